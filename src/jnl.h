/* jnl.h -- the journal: a write-behind log of effects with group commit.
 *
 * What it promises
 *   - jnl_append() gives every entry the next sequence number (1, 2, 3 ...,
 *     continuing across restarts) and copies it into the batch being filled;
 *     no allocation once the batch buffers have grown to the working size.
 *   - jnl_submit(), called once at the end of each event-loop iteration,
 *     hands that batch to the writer thread, which writes it and makes it
 *     durable with ONE fdatasync (or pm_persist on a DAX mapping): group
 *     commit.  Batches are written in submission order.
 *   - jnl_durable_seq() is the highest seq S such that every entry <= S is
 *     durable.  It never decreases and is advanced only by jnl_on_event() on
 *     the main thread (after the eventfd fired), never past what was really
 *     synced.
 *   - Sticky ERROR: once a write, fdatasync, persist or segment creation
 *     fails, the journal stops writing, refuses appends (JNL_ESTATE), keeps
 *     the errno and a one-line reason, and the durable seq stays where the
 *     last successful sync left it, for ever.  Only a restart (recovery)
 *     leaves ERROR.  See the notes at the top of jnl.c for why.
 *   - jnl_open() recovers the directory: it checks every entry (CRC32C,
 *     sequence continuity, epoch, version), cuts a torn tail off the newest
 *     segment (reporting bytes and seq), and refuses to open on corruption
 *     followed by valid data (JNL_ECORRUPT, message names segment file and
 *     offset) unless JNL_O_TRUNCATE_CORRUPT is given.
 *
 * Threads: everything here is for the main thread (one journal, one owner),
 * except jnl_durable_seq(), jnl_stats() and jnl_crc32c(), which any thread
 * may call, and jnl_read(), which touches only its arguments.  The writer
 * thread is private to jnl.c.
 *
 * Error convention: JNL_OK (0) or a negative JNL_E* code; a one-line message
 * goes to the caller's buffer (may be NULL); "on error nothing changed"
 * unless the function says otherwise.  Failed syscalls keep their errno in
 * jnl_status.err_errno.
 *
 * Design notes (batch state machine, invariants J1..J9) are at the top of
 * jnl.c.
 *
 * ---------------------------------------------------------------------------
 * ON-MEDIA FORMAT (version 1).  All integers little-endian.
 *
 * A journal is a directory of segment files named by the seq of their first
 * entry, 20 decimal digits:  <journal-dir>/00000000000000000001.jnl
 * Segments are written in order; each holds a header and then entries
 * back to back (no padding).  On a DAX file system a segment is
 * preallocated with zeros: an all-zero entry header ends the data.
 *
 * Segment header (JNL_SEG_HDR_SIZE = 40 bytes)
 *   off size  meaning
 *     0    8  magic "TDBJNL\r\n" (JNL_SEG_MAGIC)
 *     8    4  format version (JNL_FORMAT_VERSION)
 *    12    4  reserved, 0
 *    16    8  writer epoch of every entry in this segment
 *    24    8  first seq: seq of the first entry (= the file name)
 *    32    4  reserved, 0
 *    36    4  CRC32C of bytes 0..35
 *
 * Entry (JNL_ENT_HDR_SIZE = 32 bytes + payload)
 *   off size  meaning
 *     0    4  payload length in bytes (<= JNL_MAX_PAYLOAD)
 *     4    4  CRC32C of bytes 8 .. 32+length (everything after this field)
 *     8    8  sequence number: previous entry's + 1 (segment first seq for
 *             the first entry)
 *    16    8  writer epoch (= segment header's; fencing)
 *    24    2  format version (JNL_FORMAT_VERSION)
 *    26    2  flags, 0
 *    28    4  reserved, 0
 *    32  len  payload: the entry's effects as RESP text (effects.c)
 *
 * CRC32C is the Castagnoli polynomial (0x1EDC6F41, reflected 0x82F63B78),
 * initial value and final xor 0xFFFFFFFF: crc("123456789") = 0xE3069283.
 * ---------------------------------------------------------------------------
 */
#ifndef JNL_H
#define JNL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JNL_VERSION 1                       /* API version */

#define JNL_FORMAT_VERSION 1u
#define JNL_SEG_MAGIC "TDBJNL\r\n"
#define JNL_SEG_HDR_SIZE 40u
#define JNL_ENT_HDR_SIZE 32u
#define JNL_MAX_PAYLOAD (1024u * 1024 * 1024) /* 1 GiB; larger is refused */
#define JNL_SEG_SUFFIX ".jnl"
#define JNL_SEG_NAME_LEN 24                 /* 20 digits + ".jnl" */

/* Error codes (negative errno values, so logs can strerror(-rc)). */
#define JNL_OK 0
#define JNL_EIO (-5)          /* a syscall failed; errno in the message / status */
#define JNL_EINVAL (-22)      /* bad argument or option */
#define JNL_ETOOBIG (-27)     /* payload longer than JNL_MAX_PAYLOAD */
#define JNL_EGAP (-61)        /* entries after the requested seq were trimmed */
#define JNL_ECORRUPT (-74)    /* corruption followed by valid data */
#define JNL_ESTATE (-77)      /* the journal is in ERROR and refuses work */
#define JNL_EABORT (-125)     /* the entry callback asked to stop */

/* jnl_options.flags */
#define JNL_O_TRUNCATE_CORRUPT 0x01  /* on corruption, cut there (and drop later segments) */
#define JNL_O_SYNCED_FILE 0x02       /* test: write <dir>/synced after every sync */
#define JNL_O_NO_PMEM 0x04           /* never map segments, always write+fdatasync */
#define JNL_O_PREALLOC 0x08          /* zero-fill ahead of the data (see jnl.c, J10) */
#define JNL_O_DIRECT 0x10            /* O_DIRECT|O_DSYNC writes where the fs has them (J11) */

typedef struct jnl jnl_t;
struct jnl_io_ops;

/* Called once per entry, in seq order.  Return 0 to go on, anything else to
 * stop (the caller then gets JNL_EABORT). */
typedef int jnl_entry_fn(void *priv, uint64_t seq, const char *payload, size_t len);

typedef struct jnl_options {
    const char *dir;               /* journal directory; created if missing */
    uint64_t segment_size;         /* roll once a segment holds this many bytes (0 = 64 MiB) */
    uint64_t epoch;                /* writer epoch; 0 = highest found + 1 */
    int flags;                     /* JNL_O_* */
    size_t batch_size;             /* initial bytes per batch buffer (0 = 1 MiB) */
    const struct jnl_io_ops *io;   /* NULL = jnl_io_posix */
    jnl_entry_fn *replay;          /* may be NULL: only check the journal */
    void *replay_priv;
    uint64_t replay_after;         /* replay only seq > this (a snapshot's seq) */
} jnl_options;

/* What recovery found and did (jnl_open, jnl_read). */
typedef struct jnl_recovery {
    uint64_t first_seq;            /* oldest entry in the journal, 0 if none */
    uint64_t last_seq;             /* newest valid entry, 0 if none */
    uint64_t next_seq;             /* seq the next append gets */
    uint64_t epoch;                /* epoch this writer uses (jnl_open) */
    uint64_t entries_replayed;     /* given to the callback */
    uint64_t bytes_replayed;       /* their payload bytes */
    unsigned segments;             /* segment files found */
    uint64_t torn_bytes;           /* bytes cut off the tail (0 = clean) */
    uint64_t torn_seq;             /* seq the torn entry would have had */
    uint64_t corrupt_bytes;        /* JNL_O_TRUNCATE_CORRUPT: bytes dropped */
    uint64_t corrupt_seq;          /* seq at which corruption was cut */
    char corrupt_segment[JNL_SEG_NAME_LEN + 1];
    uint64_t corrupt_offset;
} jnl_recovery;

typedef enum jnl_state_e {
    JNL_STATE_OK = 0,
    JNL_STATE_ERROR = 1,           /* sticky; see jnl.c */
} jnl_state_e;

#define JNL_REASON_LEN 256

/* For INFO.  A consistent copy taken under the writer lock. */
typedef struct jnl_status {
    jnl_state_e state;
    uint64_t durable_seq;          /* what jnl_durable_seq() returns */
    uint64_t synced_seq;           /* synced by the writer (may lead durable_seq until the event is handled) */
    uint64_t last_seq;             /* last seq handed out by jnl_append */
    uint64_t bytes_written;        /* bytes written to segments, headers included */
    uint64_t entries_written;
    uint64_t batches;              /* batches made durable */
    double avg_batch_entries;      /* entries_written / batches */
    uint64_t fsync_p50_us, fsync_p99_us, fsync_max_us;  /* per batch sync latency */
    uint64_t segments_created;
    uint64_t current_segment;      /* first seq of the segment being written */
    uint64_t synced_len;           /* bytes of it that are synced */
    int pmem;                      /* 1 if the current segment is a DAX mapping */
    int direct;                    /* 1 if it is written with O_DIRECT|O_DSYNC */
    int err_errno;                 /* errno of the failure, ERROR only */
    char err_reason[JNL_REASON_LEN];  /* "" unless ERROR */
} jnl_status;

/* ---- life cycle ---------------------------------------------------------- */

/* Open (creating if missing) and recover the journal in o->dir, replaying
 * entries after o->replay_after through o->replay, then start the writer
 * and create a fresh segment for this run.  A torn tail is cut and reported
 * in *rep (may be NULL).  Returns JNL_ECORRUPT (message: segment file and
 * offset) on corruption unless JNL_O_TRUNCATE_CORRUPT, JNL_EGAP when
 * entries after replay_after are gone, JNL_EABORT if replay stopped,
 * JNL_EIO on a syscall failure.  On error no journal exists, but a torn
 * tail may already have been cut. */
int jnl_open(const jnl_options *o, jnl_t **out, jnl_recovery *rep, char *err, size_t errlen);

/* Submit what is pending, wait until the writer has handled every batch,
 * stop it and free everything.  Returns JNL_ESTATE if the journal was in
 * ERROR (entries after the durable seq are lost, as they were never
 * acknowledged).  j is freed in every case. */
int jnl_close(jnl_t *j);

/* ---- main thread: the write path ------------------------------------------ */

/* Copy one entry into the filling batch and give it the next seq (*seq).
 * JNL_ESTATE in ERROR, JNL_ETOOBIG above JNL_MAX_PAYLOAD; nothing changed. */
int jnl_append(jnl_t *j, const void *payload, size_t len, uint64_t *seq);

/* Seal the filling batch and queue it for the writer (end of each loop
 * iteration).  Cheap when nothing was appended.  If every batch buffer is
 * in flight the batch stays FILLING and goes with the next call (the
 * writer is behind, so the batch just grows).  JNL_ESTATE in ERROR. */
int jnl_submit(jnl_t *j);

/* Highest seq known durable on the main thread.  Any thread. */
uint64_t jnl_durable_seq(const jnl_t *j);

/* Last seq handed out by jnl_append (0 if none yet). */
uint64_t jnl_last_seq(const jnl_t *j);

/* The eventfd the event loop watches for readability; it fires when the
 * writer finished a batch or failed. */
int jnl_event_fd(const jnl_t *j);

/* Drain the eventfd, release finished batches and advance the durable
 * seq.  *durable (may be NULL) gets the new durable seq.  Returns JNL_OK,
 * or JNL_ESTATE when the journal is in ERROR: nothing above *durable will
 * ever become durable, fail the held replies. */
int jnl_on_event(jnl_t *j, uint64_t *durable);

/* Block until seq is durable (submitting first), or the journal fails.
 * For shutdown and tests; never on the serving path. */
int jnl_wait_durable(jnl_t *j, uint64_t seq);

/* ---- status -------------------------------------------------------------- */

void jnl_stats(jnl_t *j, jnl_status *st);
jnl_state_e jnl_state(const jnl_t *j);
/* Reason text and errno of the failure ("" and 0 unless ERROR). */
const char *jnl_error(const jnl_t *j, int *errno_out);

/* Position of the last sync: the segment (its first seq) and how many of
 * its bytes are durable.  With JNL_O_SYNCED_FILE the same is written after
 * every sync, atomically, to <dir>/synced as "<segment file> <len> <seq>\n",
 * so a power-cut test can truncate the segment there after SIGKILL. */
void jnl_synced_pos(jnl_t *j, uint64_t *segment_first_seq, uint64_t *synced_len,
                    uint64_t *synced_seq);

/* ---- reading and trimming ------------------------------------------------ */

/* Read the journal in dir without changing anything: call cb for every entry
 * with seq > after_seq, in order.  A torn tail is the end (reported in
 * *rep).  JNL_EGAP if entries after after_seq were trimmed, JNL_ECORRUPT on
 * corruption, JNL_EABORT if cb stopped.  May run on any thread, also
 * against the directory of a live journal (then a half-written tail batch
 * simply reads as a torn tail). */
int jnl_read(const char *dir, uint64_t after_seq, jnl_entry_fn *cb, void *priv,
             jnl_recovery *rep, char *err, size_t errlen);

/* Delete every segment whose entries all have seq <= seq (never the segment
 * being written).  *removed (may be NULL) gets how many were deleted. */
int jnl_trim(jnl_t *j, uint64_t seq, unsigned *removed);

/* ---- tests and tools ----------------------------------------------------- */

/* CRC32C (Castagnoli) continuing from crc (start with 0).  SSE4.2 when the
 * CPU has it, else slicing-by-8 tables; chosen once. */
uint32_t jnl_crc32c(uint32_t crc, const void *buf, size_t len);

/* Make the writer sleep this long before every sync (tests of replies held
 * behind slow syncs).  0 = off.  Any thread. */
void jnl_set_test_delay_us(jnl_t *j, uint64_t us);

/* File name of the segment starting at first_seq ("%020llu.jnl"). */
void jnl_segment_name(char *buf, size_t cap, uint64_t first_seq);

/* ---- configuration (registered by jnl_register_config) ------------------- */

#define JNL_DURABILITY_LOG 0
#define JNL_DURABILITY_NONE 1

typedef struct jnl_config {
    int durability;             /* durability log|none; immutable */
    char *dir;                  /* journal-dir, relative to `dir` (default "journal"); immutable */
    long long segment_size;     /* journal-segment-size (default 64mb) */
    int truncate_corrupt;       /* journal-truncate-corrupt yes|no (default no) */
    long long test_delay_us;    /* journal-test-delay-us, hidden; run time too */
    long long group_commit_us;  /* journal-group-commit-us: writer linger when behind */
    int test_synced_file;       /* journal-test-synced-file yes|no, hidden */
    int preallocate;            /* journal-preallocate yes|no: zero-fill ahead (J10) */
    int direct_io;              /* journal-direct-io yes|no: O_DIRECT|O_DSYNC writes (J11); immutable */
} jnl_config;

extern jnl_config jnl_cfg;

/* cfg_register the entries above (from server_register_modules). */
void jnl_register_config(void);

#endif
