/* replay.h -- apply journal entries to the keyspace at start-up.
 *
 * What it promises: replay_entry() executes every command of one entry (the
 * RESP effects text effects.c produced) through the normal command handlers
 * on an internal client that has no socket, with replies discarded and
 * nothing re-journaled.  SELECT records switch the database; the MULTI/EXEC
 * records that bracket a transaction are skipped, since an entry is applied
 * whole or (if it is the torn tail) not at all.  A malformed entry or a
 * command that fails is an error naming the command: a journal the server
 * wrote must replay without errors.  Main thread only, before serving.
 */
#ifndef REPLAY_H
#define REPLAY_H

#include <stddef.h>
#include <stdint.h>

int replay_entry(const char *p, size_t len, char *err, size_t errlen);
void replay_done(void);
extern uint64_t replay_commands;

#endif
