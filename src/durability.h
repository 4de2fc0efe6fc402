/* durability.h -- wires the journal (jnl), the effects (effects.h) and the
 * tracker (trk) into the server.
 *
 * What it promises
 *   - With `durability log` (the default): every entry of effects is
 *     appended to the journal; the keys it wrote become dirty with its seq;
 *     each loop iteration's entries are submitted as one group commit in
 *     before_sleep; when the writer reports, the durable seq advances and
 *     held replies are released.  At start-up the journal is replayed while
 *     the server answers -LOADING; a corrupt journal stops start-up with the
 *     journal's message.  If the journal fails, writes are refused with
 *     -MISCONF and held replies get errors (never success).
 *   - With `durability none`: no journal, no holds; a plain in-memory server.
 * Main thread only.
 */
#ifndef DURABILITY_H
#define DURABILITY_H

#include <stddef.h>
#include <stdint.h>

/* After listening sockets exist: open/replay the journal.  Exits the
 * process with a message on failure. */
void durability_start(void);
/* Make every appended entry durable and close the journal (shutdown). */
void durability_stop(void);
/* INFO "journal" section lines ("field:value\r\n"). */
size_t durability_info(char *buf, size_t cap);
int durability_enabled(void);
/* For snapshots: the last seq appended (what a snapshot taken now covers),
 * the durable seq, a blocking wait until seq is durable (SAVE; 0 ok), and
 * trimming of segments a published snapshot covers.  All return 0 / do
 * nothing with `durability none`. */
uint64_t durability_last_seq(void);
uint64_t durability_durable_seq(void);
int durability_wait(uint64_t seq);
int durability_trim(uint64_t seq, unsigned *removed);
/* Journal bytes this run replayed at start-up plus bytes written since:
 * what journal-snapshot-bytes compares against.  0 without a journal. */
uint64_t durability_journal_bytes(void);

#endif
