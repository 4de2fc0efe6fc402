/* blocked_weak_list.c -- weak stand-ins for blocked.c so the lists branch
 * links on its own: nothing ever blocks (blk_can_block is 0), so blocking
 * pops answer as if their timeout had passed.  The integrator deletes this
 * file when blocked.c is merged; the strong definitions win anyway. */
#include <stdlib.h>
#include <string.h>

#include "blocked.h"
#include "conn.h"
#include "util.h"

__attribute__((weak)) int blk_parse_timeout(client *c, const arg *a, int64_t *deadline_ms)
{
    long double t;
    if (!util_str2ld(a->p, a->len, &t)) {
        reply_error(c, "ERR timeout is not a float or out of range");
        return 0;
    }
    if (t < 0) {
        reply_error(c, "ERR timeout is negative");
        return 0;
    }
    *deadline_ms = t > 0 ? util_mstime() + (int64_t)(t * 1000) : 0;
    return 1;
}
__attribute__((weak)) int blk_can_block(const client *c) { (void)c; return 0; }
__attribute__((weak)) void blk_block(client *c, int nkeys, const int *key_idx, int64_t deadline_ms,
                                     enum blk_timeout_reply r)
{
    (void)c; (void)nkeys; (void)key_idx; (void)deadline_ms; (void)r;
}
__attribute__((weak)) void blk_signal_key(struct db *d, const char *key, size_t len)
{
    (void)d; (void)key; (void)len;
}
__attribute__((weak)) void blk_serve_ready(void) {}
__attribute__((weak)) void blk_handle_timeouts(void) {}
__attribute__((weak)) uint64_t blk_blocked_clients(void) { return 0; }
