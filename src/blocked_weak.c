/* blocked_weak.c -- a do-nothing blk_signal_key() so that the key commands
 * link before the blocking module exists; the real one (strong symbol)
 * replaces it at link time.  Nothing else belongs here. */
#include "blocked.h"

__attribute__((weak)) void blk_signal_key(struct db *d, const char *key, size_t len)
{
    (void)d;
    (void)key;
    (void)len;
}
