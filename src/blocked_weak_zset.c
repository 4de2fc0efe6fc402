/* blocked_weak_zset.c -- weak stand-ins for the blocking API (blocked.h)
 * so the sets branch links before blocked.c exists.  blk_can_block is 0,
 * so blocking commands answer as if their timeout passed at once.  The
 * integrator deletes this file once blocked.c is merged. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blocked.h"
#include "db.h"
#include "util.h"

__attribute__((weak)) int blk_parse_timeout(client *c, const arg *a, int64_t *deadline_ms)
{
    long double v;
    if (!util_str2ld(a->p, a->len, &v) || isnan((double)v) || isinf((double)v)) {
        reply_error(c, "ERR timeout is not a float or out of range");
        return 0;
    }
    if (v < 0) {
        reply_error(c, "ERR timeout is negative");
        return 0;
    }
    *deadline_ms = v > 0 ? db_now_ms + (int64_t)(v * 1000) : 0;
    return 1;
}
__attribute__((weak)) int blk_can_block(const client *c)
{
    (void)c;
    return 0;
}
__attribute__((weak)) void blk_block(client *c, int nkeys, const int *key_idx, int64_t deadline_ms, enum blk_timeout_reply r)
{
    (void)nkeys, (void)key_idx, (void)deadline_ms, (void)r;
    reply_null_array(c);
}
__attribute__((weak)) void blk_signal_key(struct db *d, const char *key, size_t len) { (void)d, (void)key, (void)len; }
__attribute__((weak)) void blk_serve_ready(void) {}
__attribute__((weak)) void blk_handle_timeouts(void) {}
__attribute__((weak)) uint64_t blk_blocked_clients(void) { return 0; }
