/* modules.c -- the one place that wires modules into the server: each
 * registers its config entries and hooks here, in a fixed order. */
#include "blocked.h"
#include "db.h"
#include "durability.h"
#include "info.h"
#include "blocked.h"
#include "multi.h"
#include "pubsub.h"
#include "effects.h"
#include "jnl.h"
#include "multi.h"
#include "pubsub.h"
#include "server.h"
#include "snapshot.h"
#include "tiering.h"
#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"
#include "zset.h"
#include "rdb_types.h"

/* A key the server deleted because it expired is recorded as DEL, so that
 * replaying the journal never depends on the clock. */
static void expired_to_effects(db *d, const char *key, size_t len)
{
    fx_server_del(d->id, key, len);
}

void client_install_hooks(void);
void slowlog_register_compat_configs(void);

static void info_tiering(info_buf *b)
{
    char buf[4096];
    if (tiering_info(buf, sizeof(buf)) > 0) info_addf(b, "%s", buf);
}

static void info_journal(info_buf *b)
{
    char buf[4096];
    if (durability_info(buf, sizeof(buf)) > 0) info_addf(b, "%s", buf);
}

extern void (*keys_swapdb_hook)(int id1, int id2);
extern void (*keys_before_swapdb_hook)(db *x, db *y);
void client_add_reset_hook(void (*fn)(client *c));

/* SWAPDB changes every key of both databases: WATCHers of keys whose value
 * changes are spoiled (decided before the swap), and clients blocked on keys
 * of either database may now be served. */
static void swapdb_after(int a, int b)
{
    blk_signal_db_keys(&server.dbs[a]);
    blk_signal_db_keys(&server.dbs[b]);
}

void server_register_modules(void)
{
    keys_before_swapdb_hook = multi_touch_swapdb;
    keys_swapdb_hook = swapdb_after;
    client_add_reset_hook(multi_reset_client);
    client_add_reset_hook(pubsub_reset_client);
    info_register_section("memory", info_tiering, 1);
    info_register_section("journal", info_journal, 1);
    db_set_expired_hook(expired_to_effects);
    tiering_register();
    server_add_cron(tiering_cron);
    server_add_before_sleep(tiering_before_sleep);
    tiering_types_register();
    jnl_register_config();
    list_register_type();
    hash_register_type();
    client_install_hooks();
    slowlog_register_compat_configs();
    t_set_register();
    t_zset_register();
    snapshot_register();
    rdb_types_register();
    conn_add_free_hook(blk_client_freed);
    server_add_cron(blk_handle_timeouts);
    server_add_before_sleep(blk_before_sleep);
    multi_init();
    pubsub_init();
    conn_register_configs();
}
