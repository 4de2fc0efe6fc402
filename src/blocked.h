/* blocked.h -- clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, ...).
 *
 * What it promises
 *   - blk_block() parks a client on one or more keys until a key is
 *     signalled ready or the timeout passes.  While parked, the client reads
 *     nothing further (its pipeline waits) and its argv stays valid.
 *   - When a key is signalled (blk_signal_key, called by any code that adds
 *     elements a blocked pop could take: pushes, ZADD, RENAME/MOVE/COPY onto
 *     the key, RESTORE, EXEC), the clients blocked on it are re-run in FIFO
 *     order of blocking, after the command that signalled finishes (never in
 *     the middle of another command): the blocking command's handler simply
 *     runs again and either serves (and replies) or, if nothing is there any
 *     more, calls blk_block() again keeping its place.
 *   - On timeout the client gets the null reply appropriate for its command
 *     (blk_block takes it: RESP2 *-1 for BLPOP family, etc.).
 *   - A client that disconnects while blocked leaves nothing behind.
 *   - Inside MULTI/EXEC (or any context where blocking is not allowed)
 *     blk_can_block() is false: the handler must answer as if the timeout
 *     had passed at once.
 * Main thread only.
 */
#ifndef BLOCKED_H
#define BLOCKED_H

#include <stdint.h>

#include "conn.h"

struct db;

/* Reply sent on timeout. */
enum blk_timeout_reply { BLK_NULL_ARRAY, BLK_NULL_BULK };

/* Parse a blocking timeout in seconds (float allowed) into an absolute
 * deadline in ms (0 = forever).  Replies Redis's error and returns 0 on bad
 * input ("timeout is not a float or out of range", "timeout is negative"). */
int blk_parse_timeout(client *c, const arg *a, int64_t *deadline_ms);
int blk_can_block(const client *c);
/* Park c on keys (argv indexes) until deadline_ms (0 = forever). */
void blk_block(client *c, int nkeys, const int *key_idx, int64_t deadline_ms, enum blk_timeout_reply r);
/* A key got elements: wake its blocked clients after the current command. */
void blk_signal_key(struct db *d, const char *key, size_t len);
/* Run the clients woken since the last call (from the dispatcher, after a
 * command, and from before_sleep); times out expired ones. */
void blk_serve_ready(void);
void blk_handle_timeouts(void);
uint64_t blk_blocked_clients(void);

/* Added by the blocking module itself: */
/* SWAPDB: signal every blocked-on key that now exists in d. */
void blk_signal_db_keys(struct db *d);
/* Answer c's timeout now (null reply) and resume its pipeline. */
void blk_timeout_client(client *c);
/* CLIENT UNBLOCK: answer c, if it is blocked, with its timeout reply (err
 * NULL) or with the error err (a static string, "-" not included) before
 * the event loop next sleeps, and never serve it from a key meanwhile.
 * 0 if c is not blocked (or already being unblocked). */
int blk_unblock_client(client *c, const char *err);
/* Registered from modules.c: disconnect clean-up, before_sleep work. */
void blk_client_freed(client *c);
void blk_before_sleep(void);
/* How a woken client's command is re-run (default: cmd_call); unit tests
 * replace it to drive the module with fake clients. */
extern void (*blk_run_command)(client *c);

#endif
