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
 *     or truncated file stops start-up with file, offset and reason.  While
 *     it loads, clients are answered (-LOADING, INFO with loading:1 and the
 *     loading_* fields) and a progress line is logged every
 *     snapshot-progress-interval-ms (hidden, default 3000); SAVE, the BGSAVE
 *     child and tierdb-snapshot log theirs at the same interval.
 *   - Shutdown as Redis 7.0: SHUTDOWN, SIGTERM and SIGINT save when save
 *     rules exist (SAVE/NOSAVE and shutdown-on-sigterm/-sigint override; a
 *     failed save keeps the server running unless FORCE); a BGSAVE child is
 *     killed and its temp file removed; a shutdown while loading exits at
 *     once without saving.  The journal is synced by durability_stop().
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
/* who names the saver in the progress lines it logs every
 * snapshot-progress-interval-ms ("Background save child", ...). */
void snapshot_fill_opts(struct rdb_save_opts *o, uint64_t seq, const char *who);
long long snapshot_progress_interval_ms(void);
/* Start-up loading (the RDB here, the journal in durability.c): sets
 * server.loading, feeds INFO's loading_* fields and logs progress lines.
 * progress() runs the event loop at most every 50 ms, so clients get
 * -LOADING (returns 1 when it did), and exits the process if a shutdown
 * was asked meanwhile (nothing is saved from a partial dataset). */
void snapshot_loading_begin(const char *what, uint64_t total_bytes);
int snapshot_loading_progress(uint64_t units, uint64_t loaded_bytes);
void snapshot_loading_end(void);
/* Hidden snapshot-test-delay-ms: tierdb-snapshot sleeps this long after
 * each journal entry, so tests can kill it mid-way. */
long long snapshot_test_delay_ms(void);
/* tierdb-snapshot at start: yield CPU and disk to the server as
 * snapshotter-cpu-priority / snapshotter-io-priority say (default idle:
 * SCHED_IDLE + nice 19, idle I/O class).  what: a summary for the log. */
void snapshot_lower_priority(char *what, size_t cap);

#endif
