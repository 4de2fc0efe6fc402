/* multi.h -- transactions (MULTI/EXEC) and WATCH, for other modules.
 *
 * What it promises
 *   - A WATCHed key is invalidated by every db_signal_modified() on it
 *     (writes, deletes, expiry), by FLUSHDB/FLUSHALL when it existed, and
 *     by SWAPDB when its value changes (multi_touch_swapdb).
 *   - A whole EXEC is one journal entry, wrapped in MULTI ... EXEC.
 * Main thread only.
 */
#ifndef MULTI_H
#define MULTI_H

#include "conn.h"

struct db;

/* Wire the hooks (cmd_intercept, modified-key hook, flush hook). */
void multi_init(void);
/* Before SWAPDB swaps a and b: invalidate watchers whose key changes. */
void multi_touch_swapdb(struct db *a, struct db *b);
/* RESET and disconnect: drop the transaction and every watched key. */
void multi_reset_client(client *c);
/* Watched keys in all databases (INFO). */
uint64_t multi_watched_keys(void);

#endif
