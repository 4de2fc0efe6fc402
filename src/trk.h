/* trk.h -- the durability tracker: which keys are dirty (written but not
 * yet durable) and which replies are held until the journal catches up.
 *
 * Summary of the invariants (full text in trk.c, "DURABILITY NOTES"):
 *   D1 a reply whose command's journal entry has seq S, or that read a key
 *      dirty at seq S, is not written before the durable seq reaches S;
 *   D2 the durable seq never decreases; only trk_durable() advances it, on
 *      the main thread;
 *   D3 replies leave a connection in command order: a reply queued behind a
 *      held one is held too;
 *   D4 once the journal has failed, no held reply is released as success:
 *      each held command gets an error reply instead;
 *   D5 (journal side) an entry's buffer is not reused before it is durable.
 *
 * Use: the journal integration calls trk_note_key() for every key of every
 * entry it appends (with that entry's seq), trk_after_command() after every
 * command, trk_durable() when the durable seq advances and trk_fail() when
 * the journal enters its error state.  Main thread only.
 */
#ifndef TRK_H
#define TRK_H

#include <stdint.h>

#include "conn.h"

struct cmd;

void trk_init(void);
/* Key k of database dbid is written by the entry with sequence seq. */
void trk_note_key(int dbid, const char *key, size_t len, uint64_t seq);
/* An entry changed keys it does not name (FLUSHALL, SWAPDB): every key is
 * dirty until seq is durable. */
void trk_note_all(uint64_t seq);
/* After a command ran: hold its reply if it wrote (entry_seq > durable) or
 * read a dirty key.  entry_seq is 0 when the command journaled nothing. */
void trk_after_command(client *c, const struct cmd *cm, uint64_t entry_seq);
/* The journal made everything up to seq durable. */
void trk_durable(uint64_t seq);
/* The journal failed: answer every held reply with an error (D4). */
void trk_fail(const char *reason);
void trk_client_gone(client *c);
/* The write-side limit for conn.c (absolute output offset). */
uint64_t trk_hold_limit(client *c);

uint64_t trk_durable_seq(void);
uint64_t trk_dirty_keys(void);
uint64_t trk_held_replies(void);
const char *trk_failure(void);      /* NULL while the journal works */

#endif
