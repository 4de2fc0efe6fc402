/* jnl.c -- the journal: framing, group commit on a writer thread, recovery.
 * The contract and the on-media format are in jnl.h.
 *
 * DESIGN
 * ------
 * The main thread appends entries to the FILLING batch (a reusable DRAM
 * buffer; the entry header is filled in except for the CRC, which the writer
 * computes so the main thread does not pay for it).  At the end of each
 * event-loop iteration jnl_submit() seals it and queues it on a FIFO; the
 * writer thread takes every sealed batch queued (after a short linger when
 * it is the bottleneck: see writer_main), writes each with one write() (or
 * a memcpy into a DAX mapping) and makes them all durable with one
 * fdatasync() (or pm_persist): group commit, one sync per group however
 * many entries it holds.  Then it publishes the group's last seq as
 * synced_seq and writes the eventfd.  The main thread, woken by the eventfd, runs
 * jnl_on_event(): it releases synced batches for reuse and moves the
 * durable seq up to synced_seq.  A fixed pool of JNL_NBATCH batches bounds
 * memory in flight: if none is free when jnl_submit() runs, the writer is
 * behind and the filling batch simply keeps growing until one is (bigger
 * groups exactly when syncs are slow).
 *
 * Batch states (jnl_batch.state):
 *
 *     RELEASED --jnl_submit--> FILLING --jnl_submit--> SEALED
 *         ^      (becomes the                 (queued, FIFO)
 *         |       next filling batch)            |
 *         |                                      | writer_main pops
 *         |                                      v
 *     jnl_on_event <-- SYNCED <--write_batch-- WRITING
 *
 *     any of SEALED, WRITING --writer failure--> ERROR (sticky)
 *
 *   RELEASED  empty, owned by the main thread, may become FILLING.
 *   FILLING   exactly one batch (jnl.filling); jnl_append copies into it;
 *             main thread only.  Its entries have seq > every other batch's.
 *   SEALED    immutable, on the queue; nobody writes its buffer.
 *   WRITING   owned by the writer; only the one group being written is.
 *   SYNCED    every entry of it is durable (synced_seq >= its last seq);
 *             the buffer may not be reused until jnl_on_event has moved
 *             durable_seq past it (D5 in trk.c).
 *   ERROR     its write or sync failed, or an earlier batch's did.  Its
 *             entries will never be durable.
 *
 * Why ERROR is sticky: after a failed fdatasync the kernel may have dropped
 * the dirty pages and cleared the error, so a later "successful" fsync says
 * nothing about the lost data (the 2018 "fsyncgate").  After a failed or
 * short write the file tail is in an unknown state.  Retrying would risk
 * acknowledging writes that are not on the media, so the journal refuses
 * all further work and keeps the durable seq where the last good sync left
 * it.  Recovery at the next start-up (torn-tail cut) is the only way out.
 *
 * INVARIANTS
 *   J1  durable_seq <= synced_seq <= last_seq, and none of them decreases.
 *   J2  synced_seq is only set by the writer, after the sync covering it
 *       returned success; durable_seq only by jnl_on_event (main thread).
 *   J3  Batches are written in seq order: the queue is FIFO and there is
 *       one writer; seqs in the journal are contiguous (no gaps).
 *   J4  One sync (fdatasync, an O_DSYNC write of its blocks, or persist)
 *       per group -- every sealed batch the writer finds queued -- after
 *       or with all its bytes; a segment's header is synced (and the
 *       directory fsynced) before any entry is written into it.
 *   J5  Once failed is set it stays set; no batch is written after it.
 *   J6  A batch buffer is modified only while FILLING (main thread) or
 *       WRITING (writer, CRC fields only).
 *   J7  The current segment is never deleted by jnl_trim; a segment is
 *       deleted only when every entry in it is <= the trim seq.
 *   J8  Segments roll only between batches, so a batch never spans files;
 *       a segment may exceed segment_size by less than one batch.  A group
 *       that crosses a roll is synced in the old segment before the new
 *       one is created.
 *   J9  Recovery never skips a bad entry: it either cuts the tail (nothing
 *       valid follows in the newest segment) or stops with JNL_ECORRUPT.
 *   J10 Preallocation only ever writes zeros at or past seg_len, on the
 *       writer thread, so it never overwrites an entry; a segment is cut
 *       back to seg_len (and that made durable) before the next one is
 *       created, so only the newest segment can end in zeros.
 *   J11 Direct mode writes whole aligned blocks: the block holding seg_len
 *       is written again with the next group.  Its bytes before seg_len
 *       are the ones already durable, unchanged, and the rest is zeros, so
 *       a torn rewrite of that block (any mix of old and new sectors)
 *       still holds every durable entry.  Nothing past a group's last
 *       block is written except preallocation zeros (J10).
 *
 * Why preallocate: an fdatasync that extends a file must also commit the
 * file system's metadata (size, block allocation); one that overwrites
 * blocks already written needs only the data.  On ext4 here a 2 KB append +
 * fdatasync took ~135 us and the same overwrite ~85 us.  So when idle the
 * writer zero-fills the segment JNL_ZERO_AHEAD past its data, a chunk at a
 * time, each chunk pushed to the device at once (sync_file_range) so a later
 * group's fdatasync does not have to flush it.  Recovery reads the zero tail
 * of the newest segment as unused space and cuts it.
 *
 * Why direct I/O: a group made durable by write() + fdatasync() costs two
 * device round trips seen from the writer (writeback of the dirty page,
 * then the cache flush) and page-cache work on both sides; one pwrite() on
 * an O_DIRECT|O_DSYNC descriptor is one round trip (the block layer sends
 * the flush itself when the device has no FUA) with no page cache.  Here a
 * 2 KB group took 105 us and 32 us of CPU that way against 142 us and
 * 63 us (bench/sync-cost, medians of 5 x 3000 syncs).  The price is alignment: the
 * writer keeps the unfinished last block in an aligned staging buffer and
 * writes from it (J11).  A file system that refuses O_DIRECT gets the
 * buffered path, decided once on the first segment.
 *
 * Recovery's torn-tail rule: in the newest segment, an entry that is short,
 * fails its CRC or breaks continuity is a torn tail if no valid entry
 * (good CRC, plausible seq/epoch) starts at any later byte; it is cut there.
 * Anything else is corruption.  This is conservative: a crash that lost one
 * block of an unsynced batch but kept a later one is reported as corruption
 * and needs journal-truncate-corrupt, never silently half-loaded.
 */
#include "jnl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "jnl_io.h"
#include "log.h"
#include "tier.h"

#define JNL_NBATCH 4
#define JNL_DEFAULT_SEGMENT (64ull * 1024 * 1024)
#define JNL_DEFAULT_BATCH (1024u * 1024)
#define JNL_HIST_BUCKETS 320
#define JNL_ZERO_CHUNK (256u * 1024)        /* one preallocation step */
#define JNL_ZERO_AHEAD (4ull * 1024 * 1024)  /* how far ahead of the data */
#define JNL_DIO_ALIGN 4096u                  /* O_DIRECT offset/length/buffer alignment */

/* ---- little-endian encoding (on-media integers) ------------------------ */

static inline void put16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static inline void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint16_t get16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t get64(const unsigned char *p) { return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32); }

/* ---- CRC32C ------------------------------------------------------------- */

/* Slicing-by-8 tables, or the SSE4.2 crc32 instruction; the choice is made
 * once (pthread_once), never per call. */
static uint32_t crc_tab[8][256];
static uint32_t (*crc_impl)(uint32_t state, const unsigned char *p, size_t n);
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static uint32_t crc_sw(uint32_t c, const unsigned char *p, size_t n)
{
    while (n && ((uintptr_t)p & 7)) { c = crc_tab[0][(c ^ *p++) & 0xff] ^ (c >> 8); n--; }
    while (n >= 8) {
        uint32_t lo = c ^ get32(p), hi = get32(p + 4);
        c = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^ crc_tab[5][(lo >> 16) & 0xff] ^
            crc_tab[4][lo >> 24] ^ crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
            crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = crc_tab[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const unsigned char *p, size_t n)
{
    uint64_t c64 = c;
    while (n && ((uintptr_t)p & 7)) { c64 = __builtin_ia32_crc32qi((uint32_t)c64, *p++); n--; }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c64 = __builtin_ia32_crc32di(c64, w);
        p += 8;
        n -= 8;
    }
    while (n--) c64 = __builtin_ia32_crc32qi((uint32_t)c64, *p++);
    return (uint32_t)c64;
}
#endif

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        crc_tab[0][i] = c;
    }
    for (int t = 1; t < 8; t++)
        for (int i = 0; i < 256; i++) crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
    crc_impl = crc_sw;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2") && !getenv("TIERDB_CRC_SW")) crc_impl = crc_hw;
#endif
}

uint32_t jnl_crc32c(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&crc_once, crc_init);
    return ~crc_impl(~crc, buf, len);
}

/* ---- state --------------------------------------------------------------- */

typedef enum jnl_bstate {
    JNL_B_RELEASED = 0,
    JNL_B_FILLING,
    JNL_B_SEALED,
    JNL_B_WRITING,
    JNL_B_SYNCED,
    JNL_B_ERROR,
} jnl_bstate;

typedef struct jnl_batch {
    jnl_bstate state;              /* under jnl.mu except FILLING<->RELEASED bookkeeping on main */
    unsigned char *buf;            /* framed entries, back to back */
    size_t len, cap;
    uint64_t first_seq, last_seq;  /* valid when nentries > 0 */
    uint32_t nentries;
    struct jnl_batch *next;        /* queue link while SEALED */
} jnl_batch;

struct jnl {
    /* configuration (fixed at open) */
    char *dir;
    uint64_t segment_size;
    uint64_t epoch;
    int flags;
    size_t batch_size;
    const jnl_io_ops *io;

    /* main thread */
    jnl_batch batches[JNL_NBATCH];
    jnl_batch *filling;            /* the one FILLING batch */
    uint64_t next_seq;             /* seq the next append gets */
    int efd;                       /* eventfd writer -> main */
    _Atomic uint64_t last_seq;     /* J1 */
    _Atomic uint64_t durable_seq;  /* J1, J2: written by jnl_on_event only */

    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    jnl_batch *q_head, *q_tail;    /* SEALED, FIFO */
    int stopping;
    _Atomic int failed;            /* J5; set under mu, read lock-free by append */
    int err_errno;
    char err_reason[JNL_REASON_LEN];
    _Atomic uint64_t synced_seq;   /* J2: written by the writer only */
    uint64_t bytes_written, entries_written, batches_done, segments_created;
    uint64_t hist[JNL_HIST_BUCKETS];   /* sync latency, log-linear us buckets */
    uint64_t sync_max_us;
    uint64_t pub_seg_first, pub_synced_len;  /* published sync position */
    int pub_pmem, pub_direct;
    uint64_t *segs;                /* first seqs of segment files, oldest first; last = current */
    unsigned nsegs, segcap;

    /* writer thread (and open/close while it is not running) */
    pthread_t thr;
    int thr_started;
    int seg_fd;                    /* current segment, -1 if none */
    uint64_t seg_first;
    uint64_t seg_len;              /* bytes in the segment, header included */
    unsigned char *map;            /* DAX mapping of the segment, or NULL */
    size_t map_len;
    int pmem_mode;                 /* -1 undecided, 0 write+fdatasync, 1 DAX */
    uint64_t zeroed_to;            /* J10: [seg_len, zeroed_to) holds zeros */
    int zero_stop;                 /* preallocation gave up on this segment */
    unsigned char *zeros;          /* JNL_ZERO_CHUNK zero bytes, JNL_DIO_ALIGN-aligned */
    void *zeros_mem;               /* what was allocated for zeros */
    int direct_mode;               /* -1 undecided, 0 buffered, 1 O_DIRECT|O_DSYNC (J11) */
    int dfd;                       /* current segment opened O_DIRECT|O_DSYNC, or -1 */
    unsigned char *stage;          /* direct: bytes from stage_off to seg_len, aligned */
    void *stage_mem;
    size_t stage_cap;
    uint64_t stage_off;            /* file offset of stage[0], a multiple of JNL_DIO_ALIGN */
    _Atomic int prealloc;          /* journal-preallocate */
    _Atomic uint64_t test_delay_us;
    _Atomic uint64_t group_delay_us;   /* writer_main's linger */
};

static _Atomic uint64_t test_delay_global;   /* journal-test-delay-us */
static jnl_t *cfg_journal;                   /* journal-group-commit-us applies to it */
static void jnl_apply_config(jnl_t *j);

#ifdef TDB_DEBUG
/* jnl_assert_state -- check J1/J3/J6 relations; main thread, debug builds. */
static void jnl_assert_state(jnl_t *j)
{
    pthread_mutex_lock(&j->mu);
    uint64_t last = atomic_load(&j->last_seq), syn = atomic_load(&j->synced_seq);
    uint64_t dur = atomic_load(&j->durable_seq);
    tdb_assert(dur <= syn && syn <= last);
    tdb_assert(j->filling && j->filling->state == JNL_B_FILLING);
    int nfill = 0, nwriting = 0;
    for (int i = 0; i < JNL_NBATCH; i++) {
        nfill += j->batches[i].state == JNL_B_FILLING;
        nwriting += j->batches[i].state == JNL_B_WRITING;
    }
    tdb_assert(nfill == 1 && nwriting <= JNL_NBATCH - 1);
    uint64_t prev = 0;
    for (jnl_batch *b = j->q_head; b; b = b->next) {
        tdb_assert(b->state == JNL_B_SEALED || b->state == JNL_B_ERROR);
        tdb_assert(prev == 0 || b->first_seq == prev + 1);
        prev = b->last_seq;
    }
    if (j->filling->nentries) tdb_assert(j->filling->last_seq == last);
    pthread_mutex_unlock(&j->mu);
}
#else
#define jnl_assert_state(j) ((void)0)
#endif

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void jnl_segment_name(char *buf, size_t cap, uint64_t first_seq)
{
    snprintf(buf, cap, "%020llu" JNL_SEG_SUFFIX, (unsigned long long)first_seq);
}

static void seg_path(char *buf, size_t cap, const char *dir, uint64_t first_seq, const char *extra)
{
    char name[JNL_SEG_NAME_LEN + 1];
    jnl_segment_name(name, sizeof(name), first_seq);
    snprintf(buf, cap, "%s/%s%s", dir, name, extra ? extra : "");
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- latency histogram: exact below 16us, then 8 sub-buckets per power of 2 */

static unsigned hist_index(uint64_t v)
{
    if (v < 16) return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned sub = (unsigned)(v >> (msb - 3)) & 7u;
    unsigned idx = 16 + (msb - 4) * 8 + sub;
    return idx < JNL_HIST_BUCKETS ? idx : JNL_HIST_BUCKETS - 1;
}

static uint64_t hist_upper(unsigned idx)
{
    if (idx < 16) return idx;
    unsigned msb = (idx - 16) / 8 + 4, sub = (idx - 16) % 8;
    return (((uint64_t)(8 + sub)) << (msb - 3)) + ((uint64_t)1 << (msb - 3)) - 1;
}

static uint64_t hist_pct(const uint64_t *h, uint64_t total, double pct, uint64_t max)
{
    if (!total) return 0;
    uint64_t want = (uint64_t)((double)total * pct + 0.999999), seen = 0;
    if (want == 0) want = 1;
    for (unsigned i = 0; i < JNL_HIST_BUCKETS; i++) {
        seen += h[i];
        if (seen >= want) {
            uint64_t u = hist_upper(i);
            return u < max ? u : max;
        }
    }
    return max;
}

/* ---- writer side: segments ------------------------------------------------ */

/* fail (internal) -- enter ERROR: J5.  Called on the writer thread (or at
 * open) with mu NOT held. */
static void fail(jnl_t *j, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(jnl_t *j, int e, const char *fmt, ...)
{
    char msg[JNL_REASON_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&j->mu);
    if (!atomic_load(&j->failed)) {
        j->err_errno = e;
        snprintf(j->err_reason, sizeof(j->err_reason), "%s", msg);
        atomic_store(&j->failed, 1);
        log_msg(LOG_WARNING, "jnl: journal is now in ERROR and refuses writes: %s", msg);
    }
    pthread_mutex_unlock(&j->mu);
}

static int write_all(jnl_t *j, int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = j->io->write(j->io->ctx, fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (w == 0) { errno = EIO; return -1; }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_dir(jnl_t *j)
{
    int fd = j->io->open(j->io->ctx, j->dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) return -1;
    int rc = j->io->fsync(j->io->ctx, fd);
    int e = errno;
    j->io->close(j->io->ctx, fd);
    errno = e;
    return rc;
}

static void encode_seg_header(unsigned char *h, uint64_t epoch, uint64_t first)
{
    memset(h, 0, JNL_SEG_HDR_SIZE);
    memcpy(h, JNL_SEG_MAGIC, 8);
    put32(h + 8, JNL_FORMAT_VERSION);
    put64(h + 16, epoch);
    put64(h + 24, first);
    put32(h + 36, jnl_crc32c(0, h, 36));
}

/* seg_close (internal) -- close the current segment.  A DAX segment was
 * preallocated: cut it to its data and make the size durable first. */
static int seg_close(jnl_t *j)
{
    int rc = 0;
    if (j->seg_fd < 0) return 0;
    if (j->map) {
        j->io->munmap(j->io->ctx, j->map, j->map_len);
        j->map = NULL;
        if (j->io->ftruncate(j->io->ctx, j->seg_fd, (off_t)j->seg_len) < 0 ||
            j->io->fsync(j->io->ctx, j->seg_fd) < 0)
            rc = -1;
    } else if (j->zeroed_to > j->seg_len) {   /* J10 */
        if (j->io->ftruncate(j->io->ctx, j->seg_fd, (off_t)j->seg_len) < 0 ||
            j->io->fsync(j->io->ctx, j->seg_fd) < 0)
            rc = -1;
    }
    j->zeroed_to = 0;
    int e = errno;
    if (j->dfd >= 0) j->io->close(j->io->ctx, j->dfd);
    j->dfd = -1;
    j->io->close(j->io->ctx, j->seg_fd);
    j->seg_fd = -1;
    errno = e;
    return rc;
}

static inline uint64_t dio_down(uint64_t v) { return v & ~(uint64_t)(JNL_DIO_ALIGN - 1); }
static inline uint64_t dio_up(uint64_t v) { return dio_down(v + JNL_DIO_ALIGN - 1); }

/* stage_reserve (internal) -- room for n more bytes in the staging buffer
 * after the `have` it holds, and for its padding to the next block. */
static void stage_reserve(jnl_t *j, size_t have, size_t n)
{
    size_t need = (size_t)dio_up(have + n);
    if (need <= j->stage_cap) return;
    size_t cap = j->stage_cap ? j->stage_cap : 64 * 1024;
    while (cap < need) cap *= 2;
    void *mem = tier_dram_malloc(cap + JNL_DIO_ALIGN);
    unsigned char *p = (unsigned char *)dio_up((uintptr_t)mem);
    if (have) memcpy(p, j->stage, have);
    tier_dram_free(j->stage_mem);
    j->stage_mem = mem;
    j->stage = p;
    j->stage_cap = cap;
}

/* direct_open (internal) -- give the new segment fd's file an O_DIRECT|
 * O_DSYNC descriptor too, and stage its header (J11).  The first refusal
 * (EINVAL: the file system has no direct I/O) sends every later segment
 * down the buffered path; a refusal after direct I/O worked is an error. */
static int direct_open(jnl_t *j, const char *path, const unsigned char *hdr)
{
    if (j->direct_mode == 0) return 0;
    int fd = j->io->open(j->io->ctx, path, O_RDWR | O_DIRECT | O_DSYNC, 0);
    if (fd < 0) {
        if (j->direct_mode == 1 || errno != EINVAL) return -1;
        log_msg(LOG_NOTICE, "jnl: %s refuses O_DIRECT; the journal uses write + fdatasync", j->dir);
        j->direct_mode = 0;
        return 0;
    }
    j->direct_mode = 1;
    j->dfd = fd;
    j->stage_off = 0;
    stage_reserve(j, 0, JNL_SEG_HDR_SIZE);
    memcpy(j->stage, hdr, JNL_SEG_HDR_SIZE);
    return 0;
}

/* seg_create (internal) -- create the segment whose first entry is
 * first_seq and make it current: header written and synced under a temp
 * name, renamed into place, directory fsynced (J4).  An existing file of
 * that name (an empty newest segment left by a previous run) is replaced
 * atomically.  min_len: a DAX segment is at least this long.  Returns 0, or
 * -1 with errno and *what naming the step that failed. */
static int seg_create(jnl_t *j, uint64_t first_seq, size_t min_len, const char **what)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    unsigned char h[JNL_SEG_HDR_SIZE];
    seg_path(tmp, sizeof(tmp), j->dir, first_seq, ".tmp");
    seg_path(path, sizeof(path), j->dir, first_seq, NULL);
    int fd = j->io->open(j->io->ctx, tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { *what = "create"; return -1; }
    encode_seg_header(h, j->epoch, first_seq);
    if (write_all(j, fd, h, sizeof(h)) < 0) { *what = "write header of"; goto err; }

    unsigned char *map = NULL;
    size_t map_len = 0;
    if (j->pmem_mode != 0) {
        /* Decided once, on the first segment (STYLE 6): is this a DAX fs? */
        map_len = j->segment_size > min_len ? j->segment_size : min_len;
        if (j->io->ftruncate(j->io->ctx, fd, (off_t)map_len) < 0) { *what = "preallocate"; goto err; }
        void *m = j->io->mmap(j->io->ctx, fd, map_len);
        if (m != MAP_FAILED && j->io->is_pmem(j->io->ctx, m, map_len)) {
            map = m;
            j->pmem_mode = 1;
        } else {
            if (m != MAP_FAILED) j->io->munmap(j->io->ctx, m, map_len);
            if (j->pmem_mode == 1) { errno = ENOTSUP; *what = "map (DAX) of"; goto err; }
            j->pmem_mode = 0;
            map_len = 0;
            if (j->io->ftruncate(j->io->ctx, fd, JNL_SEG_HDR_SIZE) < 0) { *what = "truncate"; goto err; }
        }
    }
    if (j->io->fdatasync(j->io->ctx, fd) < 0) { *what = "sync header of"; goto err_map; }
    if (j->io->rename(j->io->ctx, tmp, path) < 0) { *what = "rename"; goto err_map; }
    if (fsync_dir(j) < 0) { *what = "fsync directory for"; goto err_map; }
    if (!map && direct_open(j, path, h) < 0) { *what = "open (O_DIRECT) of"; goto err_map; }

    j->seg_fd = fd;
    j->seg_first = first_seq;
    j->seg_len = JNL_SEG_HDR_SIZE;
    j->zeroed_to = JNL_SEG_HDR_SIZE;
    j->zero_stop = 0;
    j->map = map;
    j->map_len = map_len;
    pthread_mutex_lock(&j->mu);
    if (j->nsegs && j->segs[j->nsegs - 1] == first_seq) {
        /* replaced an empty segment of the same name */
    } else {
        if (j->nsegs == j->segcap) {
            j->segcap = j->segcap ? j->segcap * 2 : 16;
            j->segs = tier_dram_realloc(j->segs, j->segcap * sizeof(*j->segs));
        }
        j->segs[j->nsegs++] = first_seq;
    }
    j->segments_created++;
    j->bytes_written += JNL_SEG_HDR_SIZE;
    j->pub_seg_first = first_seq;
    j->pub_synced_len = JNL_SEG_HDR_SIZE;
    j->pub_pmem = map != NULL;
    j->pub_direct = j->dfd >= 0;
    pthread_mutex_unlock(&j->mu);
    return 0;
err_map:
    if (map) j->io->munmap(j->io->ctx, map, map_len);
err: {
        int e = errno;
        j->io->close(j->io->ctx, fd);
        j->io->unlink(j->io->ctx, tmp);
        errno = e;
    }
    return -1;
}

/* write_synced_file (internal) -- test aid: <dir>/synced, replaced
 * atomically, says how much of which segment is durable.  Page-cache
 * contents survive SIGKILL, so no fsync is needed for its purpose. */
static void write_synced_file(jnl_t *j, uint64_t seq)
{
    char tmp[PATH_MAX], path[PATH_MAX], name[JNL_SEG_NAME_LEN + 1], line[128];
    snprintf(tmp, sizeof(tmp), "%s/synced.tmp", j->dir);
    snprintf(path, sizeof(path), "%s/synced", j->dir);
    jnl_segment_name(name, sizeof(name), j->seg_first);
    int n = snprintf(line, sizeof(line), "%s %llu %llu\n", name, (unsigned long long)j->seg_len,
                     (unsigned long long)seq);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ssize_t w = write(fd, line, (size_t)n);
    close(fd);
    if (w == n) rename(tmp, path);
}

/* direct_write (internal) -- write the staged blocks, zero-padded, with
 * one O_DSYNC pwrite, then keep only the unfinished last block (J11).
 * Returns 0, or -1 with errno (a short write is EIO: the tail is unknown). */
static int direct_write(jnl_t *j)
{
    size_t have = (size_t)(j->seg_len - j->stage_off);
    size_t len = (size_t)dio_up(have);
    memset(j->stage + have, 0, len - have);
    ssize_t w;
    do w = j->io->pwrite(j->io->ctx, j->dfd, j->stage, len, (off_t)j->stage_off);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)len) {
        if (w >= 0) errno = EIO;
        return -1;
    }
    if (j->stage_off + len > j->zeroed_to) j->zeroed_to = j->stage_off + len;
    uint64_t keep_from = dio_down(j->seg_len);
    if (keep_from > j->stage_off) {
        memmove(j->stage, j->stage + (keep_from - j->stage_off), (size_t)(j->seg_len - keep_from));
        j->stage_off = keep_from;
    }
    if (j->stage_cap > 8 * j->batch_size) {   /* one huge entry must not pin memory */
        j->stage_cap = 0;              /* forces a new, small buffer */
        stage_reserve(j, (size_t)(j->seg_len - j->stage_off), JNL_DIO_ALIGN);
    }
    return 0;
}

/* sync_group (internal) -- make durable what was written since the last
 * sync: the batches from..to (exclusive), all in the current segment.  One
 * fdatasync, one O_DSYNC write of the staged blocks or one persist of their
 * contiguous range (J4), then publish.
 * Returns 0, or -1 after fail(). */
static int sync_group(jnl_t *j, jnl_batch *from, jnl_batch *to, uint64_t synced_off)
{
    uint64_t delay = atomic_load(&j->test_delay_us), gdelay = atomic_load(&test_delay_global);
    if (gdelay > delay) delay = gdelay;
    uint64_t t0 = now_us();
    if (delay) usleep((useconds_t)delay);
    int rc;
    const char *op;
    if (j->map) {
        op = "persist to";
        rc = j->io->persist(j->io->ctx, j->map + synced_off, (size_t)(j->seg_len - synced_off), 1);
    } else if (j->dfd >= 0) {
        op = "write (O_DIRECT) to";
        rc = direct_write(j);
    } else {
        op = "fdatasync of";
        rc = j->io->fdatasync(j->io->ctx, j->seg_fd);
    }
    if (rc < 0) {
        char name[JNL_SEG_NAME_LEN + 1];
        jnl_segment_name(name, sizeof(name), j->seg_first);
        fail(j, errno, "%s segment %s failed: %s", op, name, strerror(errno));
        return -1;
    }
    uint64_t lat = now_us() - t0;
    uint64_t last = 0;
    pthread_mutex_lock(&j->mu);
    for (jnl_batch *b = from; b != to; b = b->next) {
        j->bytes_written += b->len;
        j->entries_written += b->nentries;
        b->state = JNL_B_SYNCED;
        last = b->last_seq;
    }
    atomic_store(&j->synced_seq, last);  /* J2: after the sync returned */
    j->batches_done++;
    j->hist[hist_index(lat)]++;
    if (lat > j->sync_max_us) j->sync_max_us = lat;
    j->pub_synced_len = j->seg_len;
    pthread_mutex_unlock(&j->mu);
    if (j->flags & JNL_O_SYNCED_FILE) write_synced_file(j, last);
    return 0;
}

/* write_group (internal) -- make a chain of sealed batches durable, in
 * order: for each, roll the segment if it is full (J8; what was written to
 * the old one is synced first), fill in the CRCs and write; then one sync
 * for all that is left (J4).  Returns 0, or -1 after fail(); batches that
 * were synced before a failure stay SYNCED and *unsynced is the first that
 * was not (main may already be reusing the synced ones: do not walk them). */
static int write_group(jnl_t *j, jnl_batch *first, jnl_batch **unsynced)
{
    char name[JNL_SEG_NAME_LEN + 1];
    const char *what = NULL;
    jnl_batch *pending = first;          /* first batch written but not synced */
    uint64_t synced_off = j->seg_len;
    *unsynced = first;
    for (jnl_batch *b = first; b; b = b->next) {
        int need_roll = j->seg_fd < 0 || j->seg_len >= j->segment_size ||
                        (j->map && j->seg_len + b->len > j->map_len);
        if (need_roll) {
            if (pending != b && sync_group(j, pending, b, synced_off) < 0) return -1;
            pending = *unsynced = b;
            if (seg_close(j) < 0) {
                jnl_segment_name(name, sizeof(name), j->seg_first);
                fail(j, errno, "closing segment %s failed: %s", name, strerror(errno));
                return -1;
            }
            if (seg_create(j, b->first_seq, JNL_SEG_HDR_SIZE + b->len, &what) < 0) {
                jnl_segment_name(name, sizeof(name), b->first_seq);
                fail(j, errno, "%s segment %s failed: %s", what, name, strerror(errno));
                return -1;
            }
            synced_off = j->seg_len;
        }
        for (size_t off = 0; off < b->len;) {
            unsigned char *p = b->buf + off;
            uint32_t len = get32(p);
            put32(p + 4, jnl_crc32c(0, p + 8, JNL_ENT_HDR_SIZE - 8 + (size_t)len));
            off += JNL_ENT_HDR_SIZE + len;
        }
        if (j->map) {
            memcpy(j->map + j->seg_len, b->buf, b->len);
        } else if (j->dfd >= 0) {
            size_t have = (size_t)(j->seg_len - j->stage_off);
            stage_reserve(j, have, b->len);
            memcpy(j->stage + have, b->buf, b->len);
        } else if (write_all(j, j->seg_fd, b->buf, b->len) < 0) {
            jnl_segment_name(name, sizeof(name), j->seg_first);
            fail(j, errno, "write to segment %s failed: %s", name, strerror(errno));
            return -1;
        }
        j->seg_len += b->len;
    }
    return sync_group(j, pending, NULL, synced_off);
}

/* zero_start (internal) -- where the next zeros go: past the data and past
 * what is zeroed; in direct mode past the data's last block (J11). */
static uint64_t zero_start(const jnl_t *j)
{
    uint64_t start = j->zeroed_to > j->seg_len ? j->zeroed_to : j->seg_len;
    return j->dfd >= 0 ? dio_up(start) : start;
}

/* zero_wanted (internal) -- writer thread: is there preallocation to do? */
static int zero_wanted(const jnl_t *j)
{
    if (!atomic_load_explicit(&j->prealloc, memory_order_relaxed) || j->map || j->seg_fd < 0 ||
        j->zero_stop || j->stopping || atomic_load(&j->failed))
        return 0;
    uint64_t limit = (j->segment_size + JNL_ZERO_CHUNK - 1) / JNL_ZERO_CHUNK * JNL_ZERO_CHUNK;
    uint64_t want = j->seg_len + JNL_ZERO_AHEAD < limit ? j->seg_len + JNL_ZERO_AHEAD : limit;
    return zero_start(j) < want;
}

/* zero_chunk (internal) -- writer thread, idle: zero-fill up to the next
 * chunk boundary past the data and push it to the device (J10).  Running
 * out of space only ends preallocation for this segment (appends still
 * work, or fail on their own).  Any other error fails the journal: a sync
 * error reported here might belong to the segment's data pages, and a
 * later fdatasync on the same file would no longer see it. */
static void zero_chunk(jnl_t *j)
{
    uint64_t start = zero_start(j);
    size_t n = JNL_ZERO_CHUNK - (size_t)(start % JNL_ZERO_CHUNK);
    int fd = j->dfd >= 0 ? j->dfd : j->seg_fd;
    ssize_t w = j->io->pwrite(j->io->ctx, fd, j->zeros, n, (off_t)start);
    if (w > 0) j->zeroed_to = start + (uint64_t)w;
    if (w == (ssize_t)n &&
        (j->dfd >= 0 || j->io->sync_range(j->io->ctx, j->seg_fd, (off_t)start, (off_t)n) == 0))
        return;
    char name[JNL_SEG_NAME_LEN + 1];
    jnl_segment_name(name, sizeof(name), j->seg_first);
    if (w >= 0 || errno == ENOSPC || errno == EDQUOT) {
        j->zero_stop = 1;
        log_msg(LOG_WARNING, "jnl: cannot preallocate journal segment %s: %s; appending to it instead", name,
                w >= 0 ? "short write" : strerror(errno));
        return;
    }
    fail(j, errno, "preallocating segment %s failed: %s", name, strerror(errno));
}

static void signal_main(jnl_t *j)
{
    uint64_t one = 1;
    ssize_t w;
    do w = write(j->efd, &one, sizeof(one));
    while (w < 0 && errno == EINTR);
    /* EAGAIN means the counter is saturated: the main thread is woken anyway */
}

/* Group commit across event-loop iterations.  Under a closed loop of
 * clients (each waits for its reply before sending again) the clients
 * released by one sync answer while the next sync has already started, so
 * they fall into the sync after it: two half-size groups alternate and
 * every write waits for two syncs.  When a batch is already queued as a
 * sync ends (the writer is the bottleneck), waiting a moment lets the
 * just-released clients' next writes join it: one full group per sync.
 * An idle writer starts at once, so a lone client never waits for it. */
static void *writer_main(void *arg)
{
    jnl_t *j = arg;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        int waited = 0;
        while (!j->q_head && !j->stopping) {
            if (zero_wanted(j)) {        /* idle: preallocate (J10) */
                pthread_mutex_unlock(&j->mu);
                zero_chunk(j);
                pthread_mutex_lock(&j->mu);
            } else {
                pthread_cond_wait(&j->cv, &j->mu);
            }
            waited = 1;
        }
        if (!j->q_head) break;
        uint64_t linger = atomic_load(&j->group_delay_us);
        if (!waited && linger && !j->stopping) {
            pthread_mutex_unlock(&j->mu);
            usleep((useconds_t)linger);
            pthread_mutex_lock(&j->mu);
        }
        jnl_batch *grp = j->q_head;      /* take every sealed batch: one sync */
        j->q_head = j->q_tail = NULL;
        if (atomic_load(&j->failed)) {   /* J5: nothing is written after a failure */
            for (jnl_batch *b = grp; b; b = b->next) b->state = JNL_B_ERROR;
            continue;
        }
        for (jnl_batch *b = grp; b; b = b->next) b->state = JNL_B_WRITING;
        pthread_mutex_unlock(&j->mu);
        jnl_batch *unsynced;
        int rc = write_group(j, grp, &unsynced);
        pthread_mutex_lock(&j->mu);
        if (rc < 0)
            for (jnl_batch *b = unsynced; b; b = b->next) b->state = JNL_B_ERROR;
        pthread_mutex_unlock(&j->mu);
        signal_main(j);
        pthread_mutex_lock(&j->mu);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* ---- main thread: append / submit / events ----------------------------- */

int jnl_append(jnl_t *j, const void *payload, size_t len, uint64_t *seq)
{
    if (atomic_load_explicit(&j->failed, memory_order_relaxed)) return JNL_ESTATE;
    if (len > JNL_MAX_PAYLOAD) return JNL_ETOOBIG;
    jnl_batch *b = j->filling;
    size_t need = b->len + JNL_ENT_HDR_SIZE + len;
    if (need > b->cap) {
        size_t c = b->cap ? b->cap : j->batch_size;
        while (c < need) c *= 2;
        b->buf = tier_dram_realloc(b->buf, c);
        b->cap = c;
    }
    uint64_t s = j->next_seq++;
    unsigned char *p = b->buf + b->len;
    put32(p, (uint32_t)len);
    put32(p + 4, 0);                     /* CRC: the writer fills it in */
    put64(p + 8, s);
    put64(p + 16, j->epoch);
    put16(p + 24, (uint16_t)JNL_FORMAT_VERSION);
    put16(p + 26, 0);
    put32(p + 28, 0);
    if (len) memcpy(p + JNL_ENT_HDR_SIZE, payload, len);
    if (b->nentries == 0) b->first_seq = s;
    b->last_seq = s;
    b->nentries++;
    b->len = need;
    atomic_store_explicit(&j->last_seq, s, memory_order_release);
    if (seq) *seq = s;
    return JNL_OK;
}

int jnl_submit(jnl_t *j)
{
    if (atomic_load(&j->failed)) return JNL_ESTATE;
    jnl_batch *b = j->filling;
    if (b->nentries == 0) return JNL_OK;
    pthread_mutex_lock(&j->mu);
    jnl_batch *next = NULL;
    for (int i = 0; i < JNL_NBATCH; i++)
        if (j->batches[i].state == JNL_B_RELEASED) { next = &j->batches[i]; break; }
    if (next) {
        b->state = JNL_B_SEALED;
        b->next = NULL;
        if (j->q_tail) j->q_tail->next = b;
        else j->q_head = b;
        j->q_tail = b;
        next->state = JNL_B_FILLING;
        j->filling = next;
    }
    /* else: every buffer in flight; this batch grows and goes next time */
    pthread_mutex_unlock(&j->mu);
    /* After the unlock: a writer woken while mu is still held would only go
     * back to sleep on mu, two context switches for nothing. */
    if (next) pthread_cond_signal(&j->cv);
    jnl_assert_state(j);
    return JNL_OK;
}

uint64_t jnl_durable_seq(const jnl_t *j) { return atomic_load(&((jnl_t *)j)->durable_seq); }
uint64_t jnl_last_seq(const jnl_t *j) { return atomic_load(&((jnl_t *)j)->last_seq); }
int jnl_event_fd(const jnl_t *j) { return j->efd; }

int jnl_on_event(jnl_t *j, uint64_t *durable)
{
    uint64_t cnt;
    while (read(j->efd, &cnt, sizeof(cnt)) < 0 && errno == EINTR) {}
    pthread_mutex_lock(&j->mu);
    uint64_t syn = atomic_load(&j->synced_seq);
    for (int i = 0; i < JNL_NBATCH; i++) {
        jnl_batch *b = &j->batches[i];
        if (b->state != JNL_B_SYNCED) continue;
        tdb_assert(b->last_seq <= syn);
        b->state = JNL_B_RELEASED;   /* D5: its seqs are now durable */
        b->len = 0;
        b->nentries = 0;
        if (b->cap > 8 * j->batch_size) {   /* one huge entry must not pin memory */
            tier_dram_free(b->buf);
            b->buf = NULL;
            b->cap = 0;
        }
    }
    int failed = atomic_load(&j->failed);
    pthread_mutex_unlock(&j->mu);
    uint64_t old = atomic_load(&j->durable_seq);
    tdb_assert(syn >= old);                       /* J1 */
    atomic_store(&j->durable_seq, syn);
    if (durable) *durable = syn;
    return failed ? JNL_ESTATE : JNL_OK;
}

int jnl_wait_durable(jnl_t *j, uint64_t seq)
{
    if (seq > jnl_last_seq(j)) return JNL_EINVAL;
    for (;;) {
        uint64_t d;
        jnl_submit(j);
        int rc = jnl_on_event(j, &d);
        if (d >= seq) return JNL_OK;
        if (rc != JNL_OK) return rc;
        struct pollfd pfd = {.fd = j->efd, .events = POLLIN};
        poll(&pfd, 1, 100);
    }
}

void jnl_set_test_delay_us(jnl_t *j, uint64_t us) { atomic_store(&j->test_delay_us, us); }

jnl_state_e jnl_state(const jnl_t *j)
{
    return atomic_load(&((jnl_t *)j)->failed) ? JNL_STATE_ERROR : JNL_STATE_OK;
}

const char *jnl_error(const jnl_t *j, int *errno_out)
{
    /* err_reason and err_errno are written once, before failed is set (J5) */
    if (!atomic_load(&((jnl_t *)j)->failed)) {
        if (errno_out) *errno_out = 0;
        return "";
    }
    if (errno_out) *errno_out = j->err_errno;
    return j->err_reason;
}

void jnl_stats(jnl_t *j, jnl_status *st)
{
    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&j->mu);
    st->state = atomic_load(&j->failed) ? JNL_STATE_ERROR : JNL_STATE_OK;
    st->durable_seq = atomic_load(&j->durable_seq);
    st->synced_seq = atomic_load(&j->synced_seq);
    st->last_seq = atomic_load(&j->last_seq);
    st->bytes_written = j->bytes_written;
    st->entries_written = j->entries_written;
    st->batches = j->batches_done;
    st->avg_batch_entries = j->batches_done ? (double)j->entries_written / (double)j->batches_done : 0;
    st->fsync_p50_us = hist_pct(j->hist, j->batches_done, 0.50, j->sync_max_us);
    st->fsync_p99_us = hist_pct(j->hist, j->batches_done, 0.99, j->sync_max_us);
    st->fsync_max_us = j->sync_max_us;
    st->segments_created = j->segments_created;
    st->current_segment = j->pub_seg_first;
    st->synced_len = j->pub_synced_len;
    st->pmem = j->pub_pmem;
    st->direct = j->pub_direct;
    if (st->state == JNL_STATE_ERROR) {
        st->err_errno = j->err_errno;
        snprintf(st->err_reason, sizeof(st->err_reason), "%s", j->err_reason);
    }
    pthread_mutex_unlock(&j->mu);
}

void jnl_synced_pos(jnl_t *j, uint64_t *segment_first_seq, uint64_t *synced_len, uint64_t *synced_seq)
{
    pthread_mutex_lock(&j->mu);
    if (segment_first_seq) *segment_first_seq = j->pub_seg_first;
    if (synced_len) *synced_len = j->pub_synced_len;
    if (synced_seq) *synced_seq = atomic_load(&j->synced_seq);
    pthread_mutex_unlock(&j->mu);
}

/* ---- recovery: scanning segments ------------------------------------------ */

typedef struct scan {
    const char *dir;
    uint64_t after;
    jnl_entry_fn *cb;
    void *priv;
    int repair;                    /* jnl_open: cut torn tails, maybe corruption */
    int truncate_corrupt;
    const jnl_io_ops *io;
    jnl_recovery *rep;
    uint64_t *segs;                /* sorted first seqs */
    unsigned nsegs;
    uint64_t expect;               /* seq the next entry must have */
    uint64_t max_epoch;
    int any_entry;
    char *err;
    size_t errlen;
} scan;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* list_segments (internal) -- first seqs of every *.jnl in dir, sorted.
 * Leftover *.tmp files (a crash during segment creation) are ignored. */
static int list_segments(const char *dir, uint64_t **out, unsigned *n, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        set_err(err, errlen, "cannot open journal directory %s: %s", dir, strerror(errno));
        return JNL_EIO;
    }
    uint64_t *v = NULL;
    unsigned cnt = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *s = de->d_name;
        if (strlen(s) != JNL_SEG_NAME_LEN || strcmp(s + 20, JNL_SEG_SUFFIX)) continue;
        uint64_t f = 0;
        int ok = 1;
        for (int i = 0; i < 20; i++) {
            if (s[i] < '0' || s[i] > '9') { ok = 0; break; }
            f = f * 10 + (uint64_t)(s[i] - '0');
        }
        if (!ok) continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            v = tier_dram_realloc(v, cap * sizeof(*v));
        }
        v[cnt++] = f;
    }
    closedir(d);
    if (cnt) qsort(v, cnt, sizeof(*v), cmp_u64);
    *out = v;
    *n = cnt;
    return JNL_OK;
}

/* check_entry (internal) -- is there a valid entry at p (rem bytes left)
 * continuing the sequence?  Returns NULL if so, else why not. */
static const char *check_entry(const unsigned char *p, uint64_t rem, uint64_t expect, uint64_t epoch)
{
    if (rem < JNL_ENT_HDR_SIZE) return "truncated entry header";
    uint32_t len = get32(p);
    if (len > JNL_MAX_PAYLOAD || JNL_ENT_HDR_SIZE + (uint64_t)len > rem) return "truncated entry";
    if (jnl_crc32c(0, p + 8, JNL_ENT_HDR_SIZE - 8 + (size_t)len) != get32(p + 4)) return "CRC mismatch";
    if (get16(p + 24) != JNL_FORMAT_VERSION) return "unknown entry format version";
    if (get64(p + 16) != epoch) return "entry epoch differs from its segment's";
    if (get64(p + 8) != expect) return "sequence number out of order";
    return NULL;
}

/* valid_after (internal) -- does a plausible valid entry start anywhere in
 * (from, size)?  Cheap field checks first so a long garbage or zero tail
 * costs a few compares per byte, not a CRC per byte. */
static int valid_after(const unsigned char *p, uint64_t from, uint64_t size, uint64_t last_good, uint64_t epoch)
{
    for (uint64_t o = from; o + JNL_ENT_HDR_SIZE <= size; o++) {
        const unsigned char *e = p + o;
        uint32_t len = get32(e);
        if (len > JNL_MAX_PAYLOAD || o + JNL_ENT_HDR_SIZE + len > size) continue;
        if (get16(e + 24) != JNL_FORMAT_VERSION || get16(e + 26) != 0 || get32(e + 28) != 0) continue;
        if (get64(e + 16) != epoch) continue;
        uint64_t s = get64(e + 8);
        if (s <= last_good || s - last_good > (1ull << 32)) continue;
        if (jnl_crc32c(0, e + 8, JNL_ENT_HDR_SIZE - 8 + (size_t)len) == get32(e + 4)) return 1;
    }
    return 0;
}

static int all_zero(const unsigned char *p, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* cut_segment (internal) -- truncate a segment file at off (unlink it if
 * off == 0) and make that durable. */
static int cut_segment(scan *sc, uint64_t first, uint64_t off)
{
    char path[PATH_MAX];
    seg_path(path, sizeof(path), sc->dir, first, NULL);
    if (off == 0) {
        if (sc->io->unlink(sc->io->ctx, path) < 0) goto err;
        return JNL_OK;
    }
    int fd = sc->io->open(sc->io->ctx, path, O_RDWR, 0);
    if (fd < 0) goto err;
    if (sc->io->ftruncate(sc->io->ctx, fd, (off_t)off) < 0 || sc->io->fsync(sc->io->ctx, fd) < 0) {
        int e = errno;
        sc->io->close(sc->io->ctx, fd);
        errno = e;
        goto err;
    }
    sc->io->close(sc->io->ctx, fd);
    return JNL_OK;
err:
    set_err(sc->err, sc->errlen, "cannot cut journal segment %s: %s", path, strerror(errno));
    return JNL_EIO;
}

static int sync_dir_path(scan *sc)
{
    int fd = sc->io->open(sc->io->ctx, sc->dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0 || sc->io->fsync(sc->io->ctx, fd) < 0) {
        set_err(sc->err, sc->errlen, "cannot fsync journal directory %s: %s", sc->dir, strerror(errno));
        if (fd >= 0) sc->io->close(sc->io->ctx, fd);
        return JNL_EIO;
    }
    sc->io->close(sc->io->ctx, fd);
    return JNL_OK;
}

/* corrupt (internal) -- corruption at (segment idx, off).  Either stop with
 * JNL_ECORRUPT, or with JNL_O_TRUNCATE_CORRUPT cut there and drop every
 * later segment.  *stop is set when the scan must end. */
static int corrupt(scan *sc, unsigned idx, uint64_t off, uint64_t size, const char *why)
{
    char name[JNL_SEG_NAME_LEN + 1];
    jnl_segment_name(name, sizeof(name), sc->segs[idx]);
    if (!(sc->repair && sc->truncate_corrupt)) {
        set_err(sc->err, sc->errlen,
                "journal corrupt: segment %s/%s offset %llu: %s (expected seq %llu); "
                "set journal-truncate-corrupt yes to drop everything from there on",
                sc->dir, name, (unsigned long long)off, why, (unsigned long long)sc->expect);
        if (sc->rep) {
            snprintf(sc->rep->corrupt_segment, sizeof(sc->rep->corrupt_segment), "%s", name);
            sc->rep->corrupt_offset = off;
            sc->rep->corrupt_seq = sc->expect;
        }
        return JNL_ECORRUPT;
    }
    uint64_t dropped = size - off;
    int rc = cut_segment(sc, sc->segs[idx], off);
    if (rc) return rc;
    for (unsigned k = idx + 1; k < sc->nsegs; k++) {
        char path[PATH_MAX];
        struct stat stt;
        seg_path(path, sizeof(path), sc->dir, sc->segs[k], NULL);
        if (stat(path, &stt) == 0) dropped += (uint64_t)stt.st_size;
        if ((rc = cut_segment(sc, sc->segs[k], 0))) return rc;
    }
    if ((rc = sync_dir_path(sc))) return rc;
    log_msg(LOG_WARNING, "jnl: corruption in segment %s/%s at offset %llu (%s): dropped %llu bytes from seq %llu on",
            sc->dir, name, (unsigned long long)off, why, (unsigned long long)dropped, (unsigned long long)sc->expect);
    if (sc->rep) {
        sc->rep->corrupt_bytes = dropped;
        sc->rep->corrupt_seq = sc->expect;
        snprintf(sc->rep->corrupt_segment, sizeof(sc->rep->corrupt_segment), "%s", name);
        sc->rep->corrupt_offset = off;
    }
    sc->nsegs = off == 0 ? idx : idx + 1;
    return JNL_OK;
}

static int torn(scan *sc, unsigned idx, uint64_t off, uint64_t size, int zero)
{
    char name[JNL_SEG_NAME_LEN + 1];
    jnl_segment_name(name, sizeof(name), sc->segs[idx]);
    if (sc->rep) {
        sc->rep->torn_bytes = size - off;
        sc->rep->torn_seq = sc->expect;
    }
    if (!sc->repair) return JNL_OK;
    int rc = cut_segment(sc, sc->segs[idx], off);
    if (rc) return rc;
    if (off == 0) {
        if ((rc = sync_dir_path(sc))) return rc;
        sc->nsegs = idx;
    }
    if (zero)   /* preallocated space (J10), or a tail whose data never reached the disk */
        log_msg(LOG_NOTICE, "jnl: segment %s/%s ends at offset %llu (seq %llu on): cut %llu bytes of zeros",
                sc->dir, name, (unsigned long long)off, (unsigned long long)sc->expect,
                (unsigned long long)(size - off));
    else
        log_msg(LOG_WARNING, "jnl: torn tail in segment %s/%s: cut %llu bytes at offset %llu (seq %llu on)",
                sc->dir, name, (unsigned long long)(size - off), (unsigned long long)off,
                (unsigned long long)sc->expect);
    return JNL_OK;
}

/* scan_segment (internal) -- check (and deliver) every entry of segment
 * idx.  *stop ends the scan (a cut was made). */
static int scan_segment(scan *sc, unsigned idx, int *stop)
{
    char path[PATH_MAX];
    uint64_t first = sc->segs[idx];
    int newest = idx + 1 == sc->nsegs;
    seg_path(path, sizeof(path), sc->dir, first, NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat stt;
    if (fd < 0 || fstat(fd, &stt) < 0) {
        set_err(sc->err, sc->errlen, "cannot read journal segment %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return JNL_EIO;
    }
    uint64_t size = (uint64_t)stt.st_size;
    const unsigned char *p = NULL;
    if (size) {
        void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            set_err(sc->err, sc->errlen, "cannot map journal segment %s: %s", path, strerror(errno));
            close(fd);
            return JNL_EIO;
        }
        p = m;
    }
    close(fd);
    int rc = JNL_OK;

    if (!sc->any_entry && idx == 0) sc->expect = first;   /* the name says where seqs start */

    /* header */
    const char *why = NULL;
    if (size < JNL_SEG_HDR_SIZE) why = "truncated segment header";
    else if (memcmp(p, JNL_SEG_MAGIC, 8)) why = "bad segment magic";
    else if (jnl_crc32c(0, p, 36) != get32(p + 36)) why = "segment header CRC mismatch";
    else if (get32(p + 8) != JNL_FORMAT_VERSION) why = "unknown segment format version";
    else if (get64(p + 24) != first) why = "segment header first seq differs from file name";
    if (why) {
        /* J4: a header is synced before entries are written, so only a
         * header-sized newest file can be a torn creation. */
        if (newest && size <= JNL_SEG_HDR_SIZE) {
            *stop = 1;
            rc = torn(sc, idx, 0, size, 0);
        } else {
            *stop = 1;
            rc = corrupt(sc, idx, 0, size, why);
        }
        goto out;
    }
    uint64_t epoch = get64(p + 16);
    if (epoch < sc->max_epoch) {
        *stop = 1;
        rc = corrupt(sc, idx, 0, size, "segment epoch older than a previous segment's (fencing)");
        goto out;
    }
    sc->max_epoch = epoch;
    if (sc->any_entry || idx > 0) {
        if (first != sc->expect) {
            *stop = 1;
            rc = corrupt(sc, idx, 0, size, "segment does not continue the previous one (missing entries)");
            goto out;
        }
    } else {
        sc->expect = first;
        if (sc->rep) sc->rep->first_seq = first;
    }

    /* entries */
    uint64_t off = JNL_SEG_HDR_SIZE;
    while (off < size) {
        uint64_t rem = size - off;
        const unsigned char *e = p + off;
        why = check_entry(e, rem, sc->expect, epoch);
        if (!why) {
            uint32_t len = get32(e);
            uint64_t s = sc->expect;
            if (s > sc->after && sc->cb) {
                if (sc->cb(sc->priv, s, (const char *)e + JNL_ENT_HDR_SIZE, len)) {
                    set_err(sc->err, sc->errlen, "replay stopped at journal seq %llu", (unsigned long long)s);
                    rc = JNL_EABORT;
                    *stop = 1;
                    goto out;
                }
                if (sc->rep) {
                    sc->rep->entries_replayed++;
                    sc->rep->bytes_replayed += len;
                }
            }
            sc->any_entry = 1;
            sc->expect++;
            off += JNL_ENT_HDR_SIZE + len;
            continue;
        }
        int zero = all_zero(e, rem);
        if (!newest && zero)
            break;   /* J10: unused preallocation; the next segment must continue at expect */
        *stop = 1;
        if (newest && (zero || !valid_after(p, off + 1, size, sc->expect - 1, epoch)))
            rc = torn(sc, idx, off, size, zero);
        else
            rc = corrupt(sc, idx, off, size, why);
        goto out;
    }
out:
    if (p) munmap((void *)p, size);
    return rc;
}

/* max_header_epoch (internal) -- highest epoch among segment headers (those we
 * skip without scanning too), so a new writer's epoch is above all. */
static uint64_t max_header_epoch(const char *dir, const uint64_t *segs, unsigned n)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < n; i++) {
        char path[PATH_MAX];
        unsigned char h[JNL_SEG_HDR_SIZE];
        seg_path(path, sizeof(path), dir, segs[i], NULL);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        if (pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) && !memcmp(h, JNL_SEG_MAGIC, 8) &&
            jnl_crc32c(0, h, 36) == get32(h + 36) && get64(h + 16) > m)
            m = get64(h + 16);
        close(fd);
    }
    return m;
}

/* scan_dir (internal) -- the shared body of jnl_open and jnl_read.  On
 * return sc->segs/nsegs list the segments that still exist. */
static int scan_dir(scan *sc)
{
    int rc = list_segments(sc->dir, &sc->segs, &sc->nsegs, sc->err, sc->errlen);
    if (rc) return rc;
    if (sc->rep) sc->rep->segments = sc->nsegs;
    sc->max_epoch = 0;
    sc->expect = 1;
    if (sc->nsegs == 0) goto done;
    if (sc->segs[0] > sc->after + 1) {
        set_err(sc->err, sc->errlen,
                "journal %s starts at seq %llu: entries after seq %llu were trimmed",
                sc->dir, (unsigned long long)sc->segs[0], (unsigned long long)sc->after);
        return JNL_EGAP;
    }
    for (unsigned i = 0; i < sc->nsegs; i++) {
        /* A segment entirely at or below `after` is skipped unread; the next
         * segment's name vouches for continuity. */
        if (i + 1 < sc->nsegs && sc->segs[i + 1] <= sc->after + 1) {
            if (i == 0 && sc->rep) sc->rep->first_seq = sc->segs[0];
            sc->any_entry = 1;
            sc->expect = sc->segs[i + 1];
            continue;
        }
        int stop = 0;
        rc = scan_segment(sc, i, &stop);
        if (rc || stop) break;
    }
    if (rc) return rc;
done:
    if (sc->rep) {
        if (sc->expect > 1 && sc->any_entry) sc->rep->last_seq = sc->expect - 1;
        if (!sc->any_entry) sc->rep->first_seq = 0;
        sc->rep->next_seq = sc->expect > sc->after + 1 ? sc->expect : sc->after + 1;
    }
    return JNL_OK;
}

int jnl_read(const char *dir, uint64_t after_seq, jnl_entry_fn *cb, void *priv, jnl_recovery *rep,
             char *err, size_t errlen)
{
    jnl_recovery local;
    scan sc = {.dir = dir, .after = after_seq, .cb = cb, .priv = priv, .io = &jnl_io_posix,
               .rep = rep ? rep : &local, .err = err, .errlen = errlen};
    memset(sc.rep, 0, sizeof(*sc.rep));
    int rc = scan_dir(&sc);
    tier_dram_free(sc.segs);
    return rc;
}

/* ---- open / close / trim -------------------------------------------------- */

static void jnl_free(jnl_t *j)
{
    for (int i = 0; i < JNL_NBATCH; i++) tier_dram_free(j->batches[i].buf);
    tier_dram_free(j->zeros_mem);
    tier_dram_free(j->stage_mem);
    if (j->efd >= 0) close(j->efd);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    tier_dram_free(j->segs);
    tier_dram_free(j->dir);
    tier_dram_free(j);
}

int jnl_open(const jnl_options *o, jnl_t **out, jnl_recovery *rep, char *err, size_t errlen)
{
    jnl_recovery local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof(*rep));
    *out = NULL;
    if (!o || !o->dir || !*o->dir) {
        set_err(err, errlen, "journal directory not set");
        return JNL_EINVAL;
    }
    const jnl_io_ops *io = o->io ? o->io : &jnl_io_posix;
    if (io->mkdir(io->ctx, o->dir, 0755) < 0 && errno != EEXIST) {
        set_err(err, errlen, "cannot create journal directory %s: %s", o->dir, strerror(errno));
        return JNL_EIO;
    }

    scan sc = {.dir = o->dir, .after = o->replay_after, .cb = o->replay, .priv = o->replay_priv,
               .repair = 1, .truncate_corrupt = !!(o->flags & JNL_O_TRUNCATE_CORRUPT), .io = io,
               .rep = rep, .err = err, .errlen = errlen};
    int rc = scan_dir(&sc);
    if (rc) {
        tier_dram_free(sc.segs);
        return rc;
    }
    uint64_t max_epoch = max_header_epoch(o->dir, sc.segs, sc.nsegs);
    if (o->epoch && o->epoch < max_epoch) {
        set_err(err, errlen, "fenced: writer epoch %llu is older than the journal's %llu",
                (unsigned long long)o->epoch, (unsigned long long)max_epoch);
        tier_dram_free(sc.segs);
        return JNL_EINVAL;
    }

    jnl_t *j = tier_dram_calloc(sizeof(*j));
    j->dir = tier_dram_strdup(o->dir);
    j->segment_size = o->segment_size ? o->segment_size : JNL_DEFAULT_SEGMENT;
    j->epoch = o->epoch ? o->epoch : max_epoch + 1;
    j->flags = o->flags;
    j->batch_size = o->batch_size ? o->batch_size : JNL_DEFAULT_BATCH;
    j->io = io;
    j->efd = -1;
    j->seg_fd = -1;
    j->pmem_mode = (o->flags & JNL_O_NO_PMEM) ? 0 : -1;
    j->zeros_mem = tier_dram_calloc(JNL_ZERO_CHUNK + JNL_DIO_ALIGN);
    j->zeros = (unsigned char *)dio_up((uintptr_t)j->zeros_mem);
    j->dfd = -1;
    j->direct_mode = (o->flags & JNL_O_DIRECT) ? -1 : 0;
    atomic_store(&j->prealloc, !!(o->flags & JNL_O_PREALLOC));
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    j->segs = sc.segs;
    j->nsegs = j->segcap = sc.nsegs;
    j->next_seq = rep->next_seq;
    rep->epoch = j->epoch;
    atomic_store(&j->last_seq, j->next_seq - 1);
    atomic_store(&j->synced_seq, j->next_seq - 1);
    atomic_store(&j->durable_seq, j->next_seq - 1);
    atomic_store(&test_delay_global, (uint64_t)(jnl_cfg.test_delay_us > 0 ? jnl_cfg.test_delay_us : 0));
    for (int i = 0; i < JNL_NBATCH; i++) {
        j->batches[i].buf = tier_dram_malloc(j->batch_size);
        j->batches[i].cap = j->batch_size;
    }
    j->filling = &j->batches[0];
    j->filling->state = JNL_B_FILLING;

    j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (j->efd < 0) {
        set_err(err, errlen, "eventfd: %s", strerror(errno));
        jnl_free(j);
        return JNL_EIO;
    }
    /* A fresh segment for this run's epoch, named by the next seq: the
     * directory always shows where the sequence continues. */
    const char *what = NULL;
    if (seg_create(j, j->next_seq, JNL_SEG_HDR_SIZE, &what) < 0) {
        char name[JNL_SEG_NAME_LEN + 1];
        jnl_segment_name(name, sizeof(name), j->next_seq);
        set_err(err, errlen, "%s journal segment %s/%s failed: %s", what, o->dir, name, strerror(errno));
        jnl_free(j);
        return JNL_EIO;
    }
    if (pthread_create(&j->thr, NULL, writer_main, j)) {
        set_err(err, errlen, "cannot start the journal writer thread");
        seg_close(j);
        jnl_free(j);
        return JNL_EIO;
    }
    j->thr_started = 1;
    *out = j;
    jnl_apply_config(j);
    log_msg(LOG_NOTICE, "jnl: journal %s open: seq %llu..%llu, epoch %llu, %s", o->dir,
            (unsigned long long)rep->first_seq, (unsigned long long)rep->last_seq,
            (unsigned long long)j->epoch,
            j->pmem_mode == 1 ? "DAX mapping + pm_persist" : j->dfd >= 0 ? "O_DIRECT|O_DSYNC writes" : "write + fdatasync");
    return JNL_OK;
}

int jnl_close(jnl_t *j)
{
    if (!j) return JNL_OK;
    if (cfg_journal == j) cfg_journal = NULL;
    int rc = JNL_OK;
    uint64_t last = jnl_last_seq(j);
    if (!atomic_load(&j->failed) && last > jnl_durable_seq(j)) rc = jnl_wait_durable(j, last);
    pthread_mutex_lock(&j->mu);
    j->stopping = 1;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (j->thr_started) pthread_join(j->thr, NULL);
    if (seg_close(j) < 0 && !atomic_load(&j->failed))
        fail(j, errno, "closing the journal segment failed: %s", strerror(errno));
    if (atomic_load(&j->failed)) rc = JNL_ESTATE;
    jnl_free(j);
    return rc;
}

int jnl_trim(jnl_t *j, uint64_t seq, unsigned *removed)
{
    unsigned n = 0;
    int rc = JNL_OK;
    pthread_mutex_lock(&j->mu);
    /* J7: segs[i] holds seqs [segs[i], segs[i+1]-1]; the last is current */
    while (j->nsegs > 1 && j->segs[1] <= seq + 1) {
        char path[PATH_MAX];
        seg_path(path, sizeof(path), j->dir, j->segs[0], NULL);
        if (j->io->unlink(j->io->ctx, path) < 0 && errno != ENOENT) {
            rc = JNL_EIO;
            log_msg(LOG_WARNING, "jnl: cannot delete journal segment %s: %s", path, strerror(errno));
            break;
        }
        memmove(j->segs, j->segs + 1, (j->nsegs - 1) * sizeof(*j->segs));
        j->nsegs--;
        n++;
    }
    pthread_mutex_unlock(&j->mu);
    if (removed) *removed = n;
    return rc;
}

/* ---- configuration --------------------------------------------------------- */

/* jnl_open/jnl_close: the open journal, which the live options apply to */
static void jnl_apply_config(jnl_t *j)
{
    cfg_journal = j;
    if (j) atomic_store(&j->group_delay_us, (uint64_t)(jnl_cfg.group_commit_us > 0 ? jnl_cfg.group_commit_us : 0));
}

jnl_config jnl_cfg;

static const char *const durability_names[] = {"log", "none", NULL};

static int apply_test_delay(const cfg_entry *e, const char **err)
{
    (void)e; (void)err;
    atomic_store(&test_delay_global, (uint64_t)(jnl_cfg.test_delay_us > 0 ? jnl_cfg.test_delay_us : 0));
    return 0;
}

static int apply_group_commit(const cfg_entry *e, const char **err)
{
    (void)e; (void)err;
    jnl_apply_config(cfg_journal);
    return 0;
}

static int apply_preallocate(const cfg_entry *e, const char **err)
{
    (void)e; (void)err;
    if (cfg_journal) atomic_store(&cfg_journal->prealloc, !!jnl_cfg.preallocate);
    return 0;
}

static const cfg_entry jnl_configs[] = {
    {.name = "durability", .type = CFG_ENUM, .flags = CFG_IMMUTABLE, .ptr = &jnl_cfg.durability,
     .enum_names = durability_names, .defval = "log"},
    {.name = "journal-dir", .type = CFG_STRING, .flags = CFG_IMMUTABLE | CFG_NONEMPTY, .ptr = &jnl_cfg.dir,
     .defval = "journal"},
    {.name = "journal-segment-size", .type = CFG_MEM, .flags = CFG_IMMUTABLE, .ptr = &jnl_cfg.segment_size,
     .min = 4096, .max = 1LL << 40, .defval = "64mb"},
    {.name = "journal-truncate-corrupt", .type = CFG_BOOL, .ptr = &jnl_cfg.truncate_corrupt, .defval = "no"},
    {.name = "journal-test-delay-us", .type = CFG_LL, .flags = CFG_HIDDEN, .ptr = &jnl_cfg.test_delay_us,
     .min = 0, .max = 10000000, .defval = "0", .apply = apply_test_delay},
    {.name = "journal-group-commit-us", .type = CFG_LL, .ptr = &jnl_cfg.group_commit_us,
     .min = 0, .max = 100000, .defval = "50", .apply = apply_group_commit},
    {.name = "journal-direct-io", .type = CFG_BOOL, .flags = CFG_IMMUTABLE, .ptr = &jnl_cfg.direct_io,
     .defval = "yes"},
    {.name = "journal-preallocate", .type = CFG_BOOL, .ptr = &jnl_cfg.preallocate, .defval = "yes",
     .apply = apply_preallocate},
    {.name = "journal-test-synced-file", .type = CFG_BOOL, .flags = CFG_HIDDEN | CFG_IMMUTABLE,
     .ptr = &jnl_cfg.test_synced_file, .defval = "no"},
};

void jnl_register_config(void)
{
    cfg_register(jnl_configs, sizeof(jnl_configs) / sizeof(jnl_configs[0]));
}
