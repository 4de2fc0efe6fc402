/* snapshot.h -- RDB snapshots in the server: SAVE, BGSAVE (fork), LASTSAVE,
 * `save` rules, DUMP/RESTORE, start-up loading and the INFO fields.
 *
 * What it promises
 *   - A snapshot covers the journal up to seq S (all entries appended
 *     before the fork) and records S as the aux field tierdb-seq.  The file
 *     is published (renamed over dbfilename, directory fsynced) only once
 *     the journal is durable up to S, so a published snapshot never runs
 *     ahead of the journal; then journal segments it covers are trimmed.
 *   - BGSAVE forks; the child writes and fsyncs a temp file and exits; the
 *     parent reaps it from cron (waitpid WNOHANG).  While a child runs,
 *     dict resizing and tier migration are paused.  A kill at any point
 *     leaves the previous snapshot intact.
 *   - PMem that is a shared file mapping (fsdax, tier_pmem_fork_safe() ==
 *     0) is not copied on write by fork, so a fork child could see later
 *     writes.  Then BGSAVE (fork) is refused with an error naming the
 *     reason, and the `save` rules use the off-process snapshotter (with a
 *     journal) or save in process (blocking, like SAVE, without one): a
 *     snapshot never mixes moments.
 *   - Off-process snapshots: tierdb-snapshot (snapshotter.h) rebuilds the
 *     snapshot from the files, covering the journal up to the durable seq
 *     at spawn time; BGSAVE OFFBOX, `snapshot-mode offbox` (BGSAVE and the
 *     save rules) and `journal-snapshot-bytes` (journal bytes since the
 *     last snapshot) start it.  It shares the single child slot with fork
 *     BGSAVE (rdb_bgsave_in_progress covers both).
 *   - Start-up loads dbfilename (if present) before the journal; a corrupt
 *     or truncated file stops start-up with file, offset and reason.
 * Main thread only (the fork child only writes the file).
 */
#ifndef SNAPSHOT_H
#define SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

/* Config entries and cron hook (from server_register_modules). */
void snapshot_register(void);
/* Load the RDB file at start-up; returns the journal seq it covers (0 if
 * none).  Dies with a message on a bad file. */
uint64_t snapshot_startup_load(void);
/* INFO lines ("field:value\r\n"): the persistence section's rdb_* fields
 * plus latest_fork_usec (Redis prints that one under "stats"). */
size_t rdb_info(char *buf, size_t cap);
/* Blocking save (SHUTDOWN SAVE and the like): 0 ok, -1 failed (logged). */
int snapshot_save_now(void);
int snapshot_child_running(void);
/* Off-process snapshots (BGSAVE OFFBOX; snapshot-mode offbox; the journal
 * outgrowing journal-snapshot-bytes): tierdb-snapshot is spawned, reaped
 * from cron, and on success the journal is trimmed to what it covers.
 * snapshot_shutdown() kills a running one (server exit). */
void snapshot_shutdown(void);
/* rdb_save_opts from the rdbcompression/rdbchecksum settings (the
 * snapshotter writes with the same options as the server). */
struct rdb_save_opts;
void snapshot_fill_opts(struct rdb_save_opts *o, uint64_t seq);
/* Hidden snapshot-test-delay-ms: tierdb-snapshot sleeps this long after
 * each journal entry, so tests can kill it mid-way. */
long long snapshot_test_delay_ms(void);

#endif
