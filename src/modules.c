/* modules.c -- the one place that wires modules into the server: each
 * registers its config entries and hooks here, in a fixed order. */
#include "db.h"
#include "effects.h"
#include "jnl.h"
#include "server.h"
#include "snapshot.h"
#include "tiering.h"

/* A key the server deleted because it expired is recorded as DEL, so that
 * replaying the journal never depends on the clock. */
static void expired_to_effects(db *d, const char *key, size_t len)
{
    fx_also_strs(d->id, "DEL", (size_t)3, key, len, NULL);
    server_dirty(1);
}

void server_register_modules(void)
{
    db_set_expired_hook(expired_to_effects);
    tiering_register();
    server_add_cron(tiering_cron);
    jnl_register_config();
    snapshot_register();
}
