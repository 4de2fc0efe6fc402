/* snapshotter.h -- tierdb-snapshot's work: a new snapshot from the newest
 * snapshot plus the journal after it, built in a process of its own.
 *
 * What it promises
 *   - snapshotter_run() loads <dir>/<dbfilename> (if present), applies the
 *     journal entries after the seq that snapshot covers, read read-only
 *     with jnl_read(), through replay_entry(), and writes a new RDB whose
 *     tierdb-seq is the last seq applied: temp file, fsync, rename over
 *     dbfilename, directory fsync.  A kill at any point leaves the previous
 *     snapshot in place.
 *   - It never writes the journal and never touches the server's memory:
 *     the server may keep appending to the same directory meanwhile.  With
 *     max_seq it stops after that seq (the server passes its durable seq,
 *     so a snapshot never covers entries a crash could still take back).
 *   - A snapshot older than the oldest journal segment (a gap) is an error
 *     naming both seqs, as is a journal that ends before max_seq.
 * Call after server_boot() and server_init_keyspace(); main thread only.
 */
#ifndef SNAPSHOTTER_H
#define SNAPSHOTTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct snapshotter_opts {
    uint64_t max_seq;          /* apply entries up to this seq; 0 = all on disk */
    long long test_delay_ms;   /* tests: sleep after each applied entry */
} snapshotter_opts;

typedef struct snapshotter_result {
    int had_snapshot;          /* dbfilename existed */
    uint64_t base_seq;         /* seq the old snapshot covered */
    uint64_t seq;              /* seq the new snapshot covers */
    uint64_t entries;          /* journal entries applied */
    uint64_t keys;             /* keys loaded from the old snapshot */
} snapshotter_result;

/* 0 ok; -1 with a one-line reason in err (nothing was published). */
int snapshotter_run(const snapshotter_opts *o, snapshotter_result *res, char *err, size_t errlen);

#endif
