/* modules.c -- the one place that wires modules into the server: each
 * registers its config entries and hooks here, in a fixed order. */
#include "blocked.h"
#include "db.h"
#include "effects.h"
#include "multi.h"
#include "pubsub.h"
#include "server.h"

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
    conn_add_free_hook(blk_client_freed);
    server_add_cron(blk_handle_timeouts);
    server_add_before_sleep(blk_before_sleep);
    multi_init();
    pubsub_init();
}
