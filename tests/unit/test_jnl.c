/* test_jnl.c -- the journal: framing round trip, CRC32C, torn tails at every
 * byte, corruption reporting, segment roll-over and trimming, sticky ERROR
 * under injected EIO/ENOSPC/torn writes, group commit, restart, DAX path,
 * O_DIRECT writes (tail-block rewrites, torn rewrite, fallback). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jnl.h"
#include "jnl_io.h"
#include "log.h"
#include "tier.h"
#include "util.h"

/* ---- helpers ---------------------------------------------------------------- */

static char tdir[128];

static int setup(void **state)
{
    (void)state;
    snprintf(tdir, sizeof(tdir), "/tmp/tdbjnl.XXXXXX");
    assert_non_null(mkdtemp(tdir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void seg_file(char *buf, size_t cap, uint64_t first)
{
    char name[32];
    jnl_segment_name(name, sizeof(name), first);
    snprintf(buf, cap, "%s/%s", tdir, name);
}

static size_t read_file(const char *path, unsigned char **out)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    *out = malloc((size_t)st.st_size + 1);
    assert_int_equal(pread(fd, *out, (size_t)st.st_size, 0), st.st_size);
    close(fd);
    return (size_t)st.st_size;
}

static void write_file(const char *path, const unsigned char *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
}

static off_t file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) return -1;
    return st.st_size;
}

static void clear_dir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -f '%s'/*", tdir);
    assert_int_equal(system(cmd), 0);
}

static int count_segments(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '\\.jnl$'", tdir);
    FILE *f = popen(cmd, "r");
    int n = 0;
    assert_int_equal(fscanf(f, "%d", &n), 1);
    pclose(f);
    return n;
}

/* Deterministic payload for seq s: RESP-looking text of varying length. */
static size_t payload_for(uint64_t s, char *buf, size_t cap)
{
    size_t vlen = (size_t)((s * 37) % 200);
    int n = snprintf(buf, cap, "*3\r\n$3\r\nSET\r\n$%u\r\nk%llu\r\n$%zu\r\n", util_digits10(s) + 1,
                     (unsigned long long)s, vlen);
    for (size_t i = 0; i < vlen; i++) buf[n + i] = (char)('a' + (s + i) % 26);
    memcpy(buf + n + vlen, "\r\n", 2);
    return (size_t)n + vlen + 2;
}

static jnl_t *open_dir(int flags, const jnl_io_ops *io, uint64_t segsize, jnl_recovery *rep)
{
    jnl_options o = {.dir = tdir, .flags = flags | JNL_O_NO_PMEM, .io = io, .segment_size = segsize,
                     .batch_size = 4096};
    if (flags & 0x100) o.flags &= ~(JNL_O_NO_PMEM | 0x100);   /* test flag: allow the DAX probe */
    jnl_t *j = NULL;
    char err[512] = "";
    int rc = jnl_open(&o, &j, rep, err, sizeof(err));
    if (rc) fprintf(stderr, "jnl_open: %d %s\n", rc, err);
    assert_int_equal(rc, JNL_OK);
    return j;
}

static void append_n(jnl_t *j, uint64_t from, uint64_t n)
{
    char buf[512];
    for (uint64_t s = from; s < from + n; s++) {
        uint64_t got;
        size_t len = payload_for(s, buf, sizeof(buf));
        assert_int_equal(jnl_append(j, buf, len, &got), JNL_OK);
        assert_int_equal(got, s);
    }
}

/* Checks that entries arrive in order, each with its expected payload. */
typedef struct checker {
    uint64_t next;
    uint64_t count;
} checker;

static int check_cb(void *priv, uint64_t seq, const char *p, size_t len)
{
    checker *c = priv;
    char buf[512];
    if (seq != c->next) return 1;
    size_t want = payload_for(seq, buf, sizeof(buf));
    if (want != len || memcmp(buf, p, len)) return 1;
    c->next++;
    c->count++;
    return 0;
}

/* ---- fault-injecting I/O ops -------------------------------------------------- */

typedef struct faults {
    int fdatasyncs;            /* fdatasync calls seen */
    int writes;                /* write calls seen */
    int fail_fdatasync;        /* errno to fail fdatasync with, 0 = pass */
    int fail_write;            /* errno to fail write with, 0 = pass */
    size_t torn_write;         /* with fail_write: write this many bytes first */
    int force_pmem;
    int pwrites;               /* pwrite calls seen (preallocation, direct writes) */
    int fail_pwrite;           /* errno to fail them with, 0 = pass */
    size_t torn_pwrite;        /* with fail_pwrite: write this many bytes first */
    int refuse_direct;         /* open with O_DIRECT fails with EINVAL */
    int direct_opens;          /* O_DIRECT opens seen */
} faults;

static faults F;

static ssize_t f_write(void *ctx, int fd, const void *buf, size_t n)
{
    faults *f = ctx;
    f->writes++;
    if (f->fail_write) {
        if (f->torn_write && n > f->torn_write) {
            ssize_t w = write(fd, buf, f->torn_write);
            (void)w;
        }
        errno = f->fail_write;
        return -1;
    }
    return write(fd, buf, n);
}

static int f_fdatasync(void *ctx, int fd)
{
    faults *f = ctx;
    f->fdatasyncs++;
    if (f->fail_fdatasync) { errno = f->fail_fdatasync; return -1; }
    return fdatasync(fd);
}

static int f_is_pmem(void *ctx, const void *addr, size_t len)
{
    faults *f = ctx;
    (void)addr; (void)len;
    return f->force_pmem;
}

static int f_persist(void *ctx, const void *addr, size_t len, int is_pmem)
{
    faults *f = ctx;
    (void)is_pmem;
    f->fdatasyncs++;
    if (f->fail_fdatasync) { errno = f->fail_fdatasync; return -1; }
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), a = (uintptr_t)addr & ~(pg - 1);
    return msync((void *)a, len + ((uintptr_t)addr - a), MS_SYNC);
}

/* A descriptor without O_DIRECT on fd's file, for unaligned test writes. */
static int open_plain(int fd)
{
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    int plain = open(link, O_WRONLY | O_CLOEXEC);
    assert_true(plain >= 0);
    return plain;
}

static ssize_t f_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
    faults *f = ctx;
    f->pwrites++;
    if (f->fail_pwrite) {
        if (f->torn_pwrite && n > f->torn_pwrite) {
            /* what a crash mid-write can leave: the first sectors only */
            int plain = open_plain(fd);
            ssize_t w = pwrite(plain, buf, f->torn_pwrite, off);
            (void)w;
            close(plain);
        }
        errno = f->fail_pwrite;
        return -1;
    }
    return pwrite(fd, buf, n, off);
}

static int f_open(void *ctx, const char *path, int flags, mode_t mode)
{
    faults *f = ctx;
    if (flags & O_DIRECT) {
        f->direct_opens++;
        if (f->refuse_direct) { errno = EINVAL; return -1; }
    }
    return open(path, flags | O_CLOEXEC, mode);
}

static jnl_io_ops fault_ops(void)
{
    memset(&F, 0, sizeof(F));
    jnl_io_ops io = jnl_io_posix;
    io.write = f_write;
    io.fdatasync = f_fdatasync;
    io.is_pmem = f_is_pmem;
    io.persist = f_persist;
    io.pwrite = f_pwrite;
    io.open = f_open;
    io.ctx = &F;
    return io;
}

/* ---- tests ------------------------------------------------------------------- */

static uint32_t crc_ref(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
    }
    return ~c;
}

static void test_crc32c_vectors(void **state)
{
    (void)state;
    unsigned char z[32], ff[32], inc[32];
    memset(z, 0, 32);
    memset(ff, 0xff, 32);
    for (int i = 0; i < 32; i++) inc[i] = (unsigned char)i;
    assert_int_equal(jnl_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(jnl_crc32c(0, "", 0), 0);
    assert_int_equal(jnl_crc32c(0, z, 32), 0x8A9136AAu);     /* RFC 3720 B.4 */
    assert_int_equal(jnl_crc32c(0, ff, 32), 0x62A8AB43u);
    assert_int_equal(jnl_crc32c(0, inc, 32), 0x46DD794Eu);
    /* continuation and every alignment/length against the bitwise reference */
    unsigned char buf[300];
    for (int i = 0; i < 300; i++) buf[i] = (unsigned char)(i * 131 + 7);
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n + off <= 300; n += 13) {
            uint32_t whole = jnl_crc32c(0, buf + off, n);
            assert_int_equal(whole, crc_ref(buf + off, n));
            size_t h = n / 3;
            assert_int_equal(jnl_crc32c(jnl_crc32c(0, buf + off, h), buf + off + h, n - h), whole);
        }
}

static void test_roundtrip(void **state)
{
    (void)state;
    jnl_recovery rep;
    jnl_t *j = open_dir(0, NULL, 0, &rep);
    assert_int_equal(rep.next_seq, 1);
    assert_int_equal(rep.last_seq, 0);
    append_n(j, 1, 100);
    assert_int_equal(jnl_append(j, "", 0, NULL), JNL_OK);   /* empty payload is legal */
    assert_int_equal(jnl_last_seq(j), 101);
    assert_int_equal(jnl_wait_durable(j, 101), JNL_OK);
    assert_int_equal(jnl_durable_seq(j), 101);
    assert_int_equal(jnl_close(j), JNL_OK);

    /* framing on the media: header, then entries as documented in jnl.h */
    char path[300];
    unsigned char *p;
    seg_file(path, sizeof(path), 1);
    size_t n = read_file(path, &p);
    assert_memory_equal(p, JNL_SEG_MAGIC, 8);
    assert_int_equal(p[24], 1);                                /* first seq */
    const unsigned char *e = p + JNL_SEG_HDR_SIZE;
    char buf[512];
    size_t l1 = payload_for(1, buf, sizeof(buf));
    assert_int_equal(e[0] | (e[1] << 8), l1);
    assert_int_equal(e[8], 1);                                 /* seq */
    assert_int_equal(e[16], 1);                                /* epoch */
    assert_int_equal(e[24], JNL_FORMAT_VERSION);
    uint32_t crc = (uint32_t)e[4] | (uint32_t)e[5] << 8 | (uint32_t)e[6] << 16 | (uint32_t)e[7] << 24;
    assert_int_equal(crc, jnl_crc32c(0, e + 8, 24 + l1));
    assert_memory_equal(e + 32, buf, l1);
    free(p);
    (void)n;

    checker c = {.next = 1};
    jnl_recovery r2;
    assert_int_equal(jnl_read(tdir, 0, check_cb, &c, &r2, NULL, 0), JNL_EABORT);   /* seq 101 is empty, not payload_for */
    assert_int_equal(c.count, 100);
    c = (checker){.next = 51};
    char err[256];
    assert_int_equal(jnl_read(tdir, 50, NULL, NULL, &r2, err, sizeof(err)), JNL_OK);
    assert_int_equal(r2.first_seq, 1);
    assert_int_equal(r2.last_seq, 101);
    assert_int_equal(r2.torn_bytes, 0);
}

/* Write a segment holding entries 1..n through the journal, return its bytes
 * and the offset of entry n. */
static size_t make_segment(uint64_t n, unsigned char **bytes, size_t *last_off)
{
    jnl_t *j = open_dir(0, NULL, 0, NULL);
    append_n(j, 1, n);
    assert_int_equal(jnl_close(j), JNL_OK);
    char path[300];
    seg_file(path, sizeof(path), 1);
    size_t size = read_file(path, bytes);
    size_t off = JNL_SEG_HDR_SIZE;
    for (uint64_t s = 1; s < n; s++) {
        const unsigned char *e = *bytes + off;
        off += JNL_ENT_HDR_SIZE + (size_t)(e[0] | (e[1] << 8) | (e[2] << 16));
    }
    *last_off = off;
    return size;
}

static void test_torn_tail_every_offset(void **state)
{
    (void)state;
    unsigned char *orig;
    size_t last_off;
    size_t size = make_segment(3, &orig, &last_off);
    char path[300];
    seg_file(path, sizeof(path), 1);
    for (int mode = 0; mode < 2; mode++) {
        /* mode 0: the file ends inside the last entry; mode 1: one byte of the
         * last entry is garbled (a torn sector) */
        for (size_t cut = last_off + (mode == 0); cut < size; cut++) {
            clear_dir();
            if (mode == 0) {
                write_file(path, orig, cut);
            } else {
                unsigned char *g = malloc(size);
                memcpy(g, orig, size);
                g[cut] ^= 0x5a;
                write_file(path, g, size);
                free(g);
            }
            jnl_recovery rep;
            checker c = {.next = 1};
            assert_int_equal(jnl_read(tdir, 0, check_cb, &c, &rep, NULL, 0), JNL_OK);
            assert_int_equal(c.count, 2);
            assert_int_equal(rep.last_seq, 2);
            assert_int_equal(rep.torn_seq, 3);
            assert_int_equal(rep.torn_bytes, (mode == 0 ? cut : size) - last_off);
            assert_int_equal(file_size(path), (off_t)(mode == 0 ? cut : size));   /* read-only */

            c = (checker){.next = 1};
            jnl_options o = {.dir = tdir, .flags = JNL_O_NO_PMEM, .replay = check_cb, .replay_priv = &c};
            jnl_t *j;
            assert_int_equal(jnl_open(&o, &j, &rep, NULL, 0), JNL_OK);
            assert_int_equal(c.count, 2);
            assert_int_equal(rep.torn_bytes, (mode == 0 ? cut : size) - last_off);
            assert_int_equal(file_size(path), (off_t)last_off);                   /* cut exactly there */
            uint64_t s;
            assert_int_equal(jnl_append(j, "x", 1, &s), JNL_OK);
            assert_int_equal(s, 3);
            assert_int_equal(jnl_close(j), JNL_OK);
        }
    }
    free(orig);
}

static void test_corrupt_middle(void **state)
{
    (void)state;
    unsigned char *orig;
    size_t last_off;
    size_t size = make_segment(5, &orig, &last_off);
    char path[300], err[512];
    seg_file(path, sizeof(path), 1);
    /* entry 2 starts after entry 1 */
    size_t e2 = JNL_SEG_HDR_SIZE + JNL_ENT_HDR_SIZE + (size_t)(orig[JNL_SEG_HDR_SIZE] | (orig[JNL_SEG_HDR_SIZE + 1] << 8));
    orig[e2 + JNL_ENT_HDR_SIZE + 3] ^= 1;
    clear_dir();
    write_file(path, orig, size);

    jnl_recovery rep;
    assert_int_equal(jnl_read(tdir, 0, NULL, NULL, &rep, err, sizeof(err)), JNL_ECORRUPT);
    char want[128];
    snprintf(want, sizeof(want), "00000000000000000001.jnl offset %zu", e2);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "CRC"));
    assert_int_equal(rep.corrupt_offset, e2);
    assert_int_equal(rep.corrupt_seq, 2);

    jnl_options o = {.dir = tdir, .flags = JNL_O_NO_PMEM};
    jnl_t *j = NULL;
    assert_int_equal(jnl_open(&o, &j, &rep, err, sizeof(err)), JNL_ECORRUPT);
    assert_null(j);
    assert_non_null(strstr(err, want));
    assert_int_equal(file_size(path), (off_t)size);     /* nothing cut without the option */

    o.flags |= JNL_O_TRUNCATE_CORRUPT;
    assert_int_equal(jnl_open(&o, &j, &rep, err, sizeof(err)), JNL_OK);
    assert_int_equal(rep.last_seq, 1);
    assert_int_equal(rep.corrupt_bytes, size - e2);
    assert_int_equal(rep.corrupt_seq, 2);
    assert_int_equal(file_size(path), (off_t)e2);
    uint64_t s;
    assert_int_equal(jnl_append(j, "x", 1, &s), JNL_OK);
    assert_int_equal(s, 2);
    assert_int_equal(jnl_close(j), JNL_OK);
    free(orig);

    /* corruption in an older segment is corruption even at its end */
    clear_dir();
    j = open_dir(0, NULL, 0, NULL);
    append_n(j, 1, 3);
    assert_int_equal(jnl_close(j), JNL_OK);
    j = open_dir(0, NULL, 0, NULL);
    append_n(j, 4, 3);
    assert_int_equal(jnl_close(j), JNL_OK);
    size = read_file(path, &orig);
    orig[size - 1] ^= 1;                                 /* last byte of entry 3 */
    write_file(path, orig, size);
    free(orig);
    assert_int_equal(jnl_read(tdir, 0, NULL, NULL, &rep, err, sizeof(err)), JNL_ECORRUPT);
    assert_non_null(strstr(err, "00000000000000000001.jnl"));
}

static void test_roll_and_trim(void **state)
{
    (void)state;
    jnl_t *j = open_dir(0, NULL, 4096, NULL);
    char big[1000];
    memset(big, 'v', sizeof(big));
    for (int i = 0; i < 40; i++) {
        uint64_t s;
        assert_int_equal(jnl_append(j, big, sizeof(big), &s), JNL_OK);
        assert_int_equal(jnl_submit(j), JNL_OK);
        assert_int_equal(jnl_wait_durable(j, s), JNL_OK);
    }
    jnl_status st;
    jnl_stats(j, &st);
    assert_true(st.segments_created >= 10);
    assert_int_equal(st.entries_written, 40);
    int nseg = count_segments();
    assert_true(nseg >= 10);
    /* every segment's size is within one batch over the limit (J8) */
    jnl_recovery rep;
    assert_int_equal(jnl_read(tdir, 0, NULL, NULL, &rep, NULL, 0), JNL_OK);
    assert_int_equal(rep.last_seq, 40);
    assert_int_equal((int)rep.segments, nseg);

    unsigned removed;
    assert_int_equal(jnl_trim(j, 20, &removed), JNL_OK);
    assert_true(removed > 0);
    assert_int_equal(count_segments(), nseg - (int)removed);
    char err[256];
    assert_int_equal(jnl_read(tdir, 0, NULL, NULL, &rep, err, sizeof(err)), JNL_EGAP);
    assert_int_equal(jnl_read(tdir, 20, NULL, NULL, &rep, err, sizeof(err)), JNL_OK);
    assert_true(rep.first_seq <= 21);
    assert_int_equal(rep.last_seq, 40);
    /* trimming everything keeps the current segment */
    assert_int_equal(jnl_trim(j, 1000, &removed), JNL_OK);
    assert_int_equal(count_segments(), 1);
    assert_int_equal(jnl_close(j), JNL_OK);

    /* restart after a full trim: needs the snapshot's seq, then continues */
    jnl_options o = {.dir = tdir, .flags = JNL_O_NO_PMEM, .segment_size = 4096};
    assert_int_equal(jnl_open(&o, &j, &rep, err, sizeof(err)), JNL_EGAP);
    o.replay_after = 40;
    assert_int_equal(jnl_open(&o, &j, &rep, err, sizeof(err)), JNL_OK);
    assert_int_equal(rep.next_seq, 41);
    assert_int_equal(rep.entries_replayed, 0);
    assert_int_equal(jnl_close(j), JNL_OK);
}

static void test_fdatasync_eio_sticky(void **state)
{
    (void)state;
    jnl_io_ops io = fault_ops();
    jnl_t *j = open_dir(0, &io, 0, NULL);
    append_n(j, 1, 5);
    assert_int_equal(jnl_wait_durable(j, 5), JNL_OK);

    F.fail_fdatasync = EIO;
    append_n(j, 6, 5);
    assert_int_equal(jnl_wait_durable(j, 10), JNL_ESTATE);
    assert_int_equal(jnl_durable_seq(j), 5);
    assert_int_equal(jnl_state(j), JNL_STATE_ERROR);
    int e;
    const char *why = jnl_error(j, &e);
    assert_int_equal(e, EIO);
    assert_non_null(strstr(why, "fdatasync"));
    uint64_t s = 0;
    assert_int_equal(jnl_append(j, "x", 1, &s), JNL_ESTATE);
    assert_int_equal(s, 0);
    assert_int_equal(jnl_submit(j), JNL_ESTATE);

    /* sticky: the device "recovers", the journal does not */
    F.fail_fdatasync = 0;
    uint64_t d;
    assert_int_equal(jnl_on_event(j, &d), JNL_ESTATE);
    assert_int_equal(d, 5);
    jnl_status st;
    jnl_stats(j, &st);
    assert_int_equal(st.state, JNL_STATE_ERROR);
    assert_int_equal(st.err_errno, EIO);
    assert_int_equal(st.durable_seq, 5);
    assert_int_equal(st.synced_seq, 5);
    assert_int_equal(jnl_close(j), JNL_ESTATE);
}

static void test_enospc_torn_write(void **state)
{
    (void)state;
    jnl_io_ops io = fault_ops();
    jnl_t *j = open_dir(0, &io, 0, NULL);
    append_n(j, 1, 3);
    assert_int_equal(jnl_wait_durable(j, 3), JNL_OK);
    F.fail_write = ENOSPC;
    F.torn_write = 50;                       /* half an entry reaches the file */
    append_n(j, 4, 3);
    assert_int_equal(jnl_wait_durable(j, 6), JNL_ESTATE);
    assert_int_equal(jnl_durable_seq(j), 3);
    int e;
    assert_non_null(strstr(jnl_error(j, &e), "write"));
    assert_int_equal(e, ENOSPC);
    assert_int_equal(jnl_close(j), JNL_ESTATE);

    /* restart: the torn half entry is cut, the sequence continues at 4 */
    jnl_recovery rep;
    checker c = {.next = 1};
    jnl_options o = {.dir = tdir, .flags = JNL_O_NO_PMEM, .replay = check_cb, .replay_priv = &c};
    assert_int_equal(jnl_open(&o, &j, &rep, NULL, 0), JNL_OK);
    assert_int_equal(c.count, 3);
    assert_int_equal(rep.torn_bytes, 50);
    assert_int_equal(rep.torn_seq, 4);
    assert_int_equal(rep.next_seq, 4);
    assert_int_equal(jnl_close(j), JNL_OK);

    /* a failure creating a segment is an ERROR too */
    clear_dir();
    io = fault_ops();
    j = open_dir(0, &io, 4096, NULL);
    char big[5000];
    memset(big, 'q', sizeof(big));
    assert_int_equal(jnl_append(j, big, sizeof(big), NULL), JNL_OK);
    assert_int_equal(jnl_wait_durable(j, 1), JNL_OK);
    F.fail_write = EIO;                        /* next segment header write fails */
    assert_int_equal(jnl_append(j, "y", 1, NULL), JNL_OK);
    assert_int_equal(jnl_wait_durable(j, 2), JNL_ESTATE);
    assert_int_equal(jnl_durable_seq(j), 1);
    assert_non_null(strstr(jnl_error(j, NULL), "segment"));
    assert_int_equal(jnl_close(j), JNL_ESTATE);
}

static void test_group_commit(void **state)
{
    (void)state;
    jnl_io_ops io = fault_ops();
    jnl_t *j = open_dir(0, &io, 0, NULL);
    int base = F.fdatasyncs, wbase = F.writes;
    append_n(j, 1, 1000);
    assert_int_equal(jnl_submit(j), JNL_OK);
    assert_int_equal(jnl_wait_durable(j, 1000), JNL_OK);
    assert_int_equal(F.fdatasyncs - base, 1);     /* one sync for 1000 entries */
    assert_int_equal(F.writes - wbase, 1);        /* one write too */
    jnl_status st;
    jnl_stats(j, &st);
    assert_int_equal(st.batches, 1);
    assert_int_equal(st.entries_written, 1000);
    assert_true(st.avg_batch_entries == 1000.0);
    assert_int_equal(st.durable_seq, 1000);
    assert_int_equal(st.last_seq, 1000);

    /* slow syncs: submissions pile up and are written as fewer, bigger
     * batches; durable seq only moves on events */
    jnl_set_test_delay_us(j, 20000);
    base = F.fdatasyncs;
    uint64_t prev = jnl_durable_seq(j);
    for (uint64_t s = 1001; s <= 1100; s++) {
        append_n(j, s, 1);
        assert_int_equal(jnl_submit(j), JNL_OK);
        uint64_t d;
        assert_int_equal(jnl_on_event(j, &d), JNL_OK);
        assert_true(d >= prev && d <= s);         /* J1 */
        prev = d;
        if (s % 10 == 0) usleep(2000);
    }
    assert_int_equal(jnl_wait_durable(j, 1100), JNL_OK);
    int syncs = F.fdatasyncs - base;
    assert_true(syncs >= 1 && syncs < 50);
    jnl_stats(j, &st);
    assert_int_equal(st.entries_written, 1100);
    assert_true(st.fsync_max_us >= 20000);
    assert_true(st.fsync_p99_us >= st.fsync_p50_us);
    assert_true(st.fsync_max_us >= st.fsync_p99_us);
    jnl_set_test_delay_us(j, 0);
    assert_int_equal(jnl_close(j), JNL_OK);

    jnl_recovery rep;
    checker c = {.next = 1};
    assert_int_equal(jnl_read(tdir, 0, check_cb, &c, &rep, NULL, 0), JNL_OK);
    assert_int_equal(c.count, 1100);
}

/* Batches sealed while a sync runs are written together and made durable
 * with one sync (J4), also when the group has to roll to a new segment in
 * the middle (J8: the part in the old segment is synced first). */
static void run_queued_group(uint64_t segsize, uint64_t per, int want_syncs)
{
    jnl_io_ops io = fault_ops();
    jnl_t *j = open_dir(0, &io, segsize, NULL);
    append_n(j, 1, per);
    assert_int_equal(jnl_submit(j), JNL_OK);
    assert_int_equal(jnl_wait_durable(j, per), JNL_OK);
    int base = F.fdatasyncs, wbase = F.writes;
    jnl_status st0;
    jnl_stats(j, &st0);
    jnl_set_test_delay_us(j, 100000);
    append_n(j, per + 1, per);
    assert_int_equal(jnl_submit(j), JNL_OK);      /* the writer takes it and sleeps */
    usleep(30000);
    append_n(j, 2 * per + 1, per);
    assert_int_equal(jnl_submit(j), JNL_OK);      /* queued behind it */
    append_n(j, 3 * per + 1, per);
    assert_int_equal(jnl_submit(j), JNL_OK);      /* queued too */
    jnl_set_test_delay_us(j, 0);
    assert_int_equal(jnl_wait_durable(j, 4 * per), JNL_OK);
    jnl_status st;
    jnl_stats(j, &st);
    if (want_syncs >= 0) {
        assert_int_equal(F.fdatasyncs - base, want_syncs);
        assert_int_equal(st.batches - st0.batches, want_syncs);
    } else {
        /* each batch fills a segment: the group rolls in its middle, so
         * its first part is synced before the second segment is made */
        assert_int_equal(st.segments_created - st0.segments_created, 3);
        assert_int_equal(st.batches - st0.batches, 3);   /* 2nd alone, 3rd, 4th */
    }
    assert_true(F.writes - wbase >= 3);           /* one write per batch at least */
    assert_int_equal(st.entries_written, 4 * per);
    assert_int_equal(jnl_close(j), JNL_OK);
    jnl_recovery rep;
    checker c = {.next = 1};
    assert_int_equal(jnl_read(tdir, 0, check_cb, &c, &rep, NULL, 0), JNL_OK);
    assert_int_equal(c.count, 4 * per);
}

static void test_queued_batches_share_one_sync(void **state)
{
    (void)state;
    run_queued_group(0, 5, 2);       /* 6..10 alone, then 11..20 together */
}

static void test_queued_group_across_a_roll(void **state)
{
    (void)state;
    run_queued_group(4096, 40, -1);
}

static void test_restart_continues(void **state)
{
    (void)state;
    jnl_recovery rep;
    jnl_t *j = open_dir(0, NULL, 0, &rep);
    assert_int_equal(rep.epoch, 1);
    append_n(j, 1, 10);
    assert_int_equal(jnl_close(j), JNL_OK);

    checker c = {.next = 4};
    jnl_options o = {.dir = tdir, .flags = JNL_O_NO_PMEM, .replay = check_cb, .replay_priv = &c, .replay_after = 3};
    assert_int_equal(jnl_open(&o, &j, &rep, NULL, 0), JNL_OK);
    assert_int_equal(c.count, 7);
    assert_int_equal(rep.entries_replayed, 7);
    assert_int_equal(rep.first_seq, 1);
    assert_int_equal(rep.last_seq, 10);
    assert_int_equal(rep.next_seq, 11);
    assert_int_equal(rep.epoch, 2);
    assert_int_equal(jnl_durable_seq(j), 10);
    append_n(j, 11, 5);
    assert_int_equal(jnl_close(j), JNL_OK);

    /* an open with no appends leaves an empty newest segment: still fine */
    j = open_dir(0, NULL, 0, &rep);
    assert_int_equal(rep.next_seq, 16);
    assert_int_equal(jnl_close(j), JNL_OK);
    j = open_dir(0, NULL, 0, &rep);
    assert_int_equal(rep.next_seq, 16);
    assert_int_equal(rep.epoch, 4);
    append_n(j, 16, 1);
    assert_int_equal(jnl_close(j), JNL_OK);

    c = (checker){.next = 1};
    assert_int_equal(jnl_read(tdir, 0, check_cb, &c, &rep, NULL, 0), JNL_OK);
    assert_int_equal(c.count, 16);

    /* a stale writer (older epoch) is fenced off */
    jnl_options old = {.dir = tdir, .flags = JNL_O_NO_PMEM, .epoch = 2};
    char err[256];
    assert_int_equal(jnl_open(&old, &j, NULL, err, sizeof(err)), JNL_EINVAL);
    assert_non_null(strstr(err, "fenced"));

    /* replay can stop start-up */
    clear_dir();
    j = open_dir(0, NULL, 0, NULL);
    append_n(j, 1, 3);
    assert_int_equal(jnl_close(j), JNL_OK);
    c = (checker){.next = 2};          /* expects 2 first: fails on 1 */
    jnl_options o2 = {.dir = tdir, .flags = JNL_O_NO_PMEM, .replay = check_cb, .replay_priv = &c};
    assert_int_equal(jnl_open(&o2, &j, NULL, NULL, 0), JNL_EABORT);
}

/* A crash of the open journal as the disk has it now: segment 1 copied
 * into <tdir>.crash (copy; cpath is the file).  Returns its size; *bytes
 * gets them if asked (the caller frees). */
static size_t crash_copy(const char *path, char copy[300], char cpath[400], unsigned char **bytes)
{
    unsigned char *p;
    size_t n = read_file(path, &p);
    snprintf(copy, 300, "%s.crash", tdir);
    mkdir(copy, 0755);
    snprintf(cpath, 400, "%s/00000000000000000001.jnl", copy);
    write_file(cpath, p, n);
    if (bytes) *bytes = p;
    else free(p);
    return n;
}

static void remove_crash_copy(const char *copy)
{
    char cmd[500];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", copy);
    assert_int_equal(system(cmd), 0);
}

/* Close j and check that segment 1 was cut to its len bytes of data and
 * that all count entries read back with nothing cut. */
/* Every one of entries 1..count reads back from tdir, with nothing cut. */
static void assert_replays_clean(uint64_t count)
{
    checker c = {.next = 1};
    jnl_recovery rep;
    assert_int_equal(jnl_read(tdir, 0, check_cb, &c, &rep, NULL, 0), JNL_OK);
    assert_int_equal(c.count, count);
    assert_int_equal(rep.torn_bytes, 0);
}

static void close_and_check_cut(jnl_t *j, const char *path, uint64_t len, uint64_t count)
{
    assert_int_equal(jnl_close(j), JNL_OK);
    assert_int_equal(file_size(path), (off_t)len);
    assert_replays_clean(count);
}

/* Append total entries in durable groups of per, pausing pause_us after
 * each so the idle writer zero-fills, over segments of segsize bytes; then
 * close and check that more than min_segments were made and every entry
 * replays with nothing cut (J10: each closed segment was cut to its data). */
static void fill_across_rolls(int flags, uint64_t segsize, uint64_t total, uint64_t per, useconds_t pause_us,
                              int min_segments)
{
    jnl_t *j = open_dir(flags, NULL, segsize, NULL);
    for (uint64_t s = 1; s <= total; s += per) {
        append_n(j, s, per);
        assert_int_equal(jnl_wait_durable(j, s + per - 1), JNL_OK);
        usleep(pause_us);
    }
    assert_int_equal(jnl_close(j), JNL_OK);
    assert_true(count_segments() > min_segments);
    assert_replays_clean(total);
}

/* Poll until the file at path is at least want bytes (the idle writer
 * preallocates in the background); fail after 10 s. */
static void wait_size(const char *path, off_t want)
{
    for (int i = 0; i < 10000 && file_size(path) < want; i++) usleep(1000);
    assert_true(file_size(path) >= want);
}

/* J10: an idle writer zero-fills ahead of the data; what a crash leaves
 * (entries, then zeros) recovers every entry; close cuts the zeros. */
static void test_prealloc_zero_tail(void **state)
{
    (void)state;
    jnl_t *j = open_dir(JNL_O_PREALLOC, NULL, 1 << 20, NULL);
    char path[300], copy[300], cpath[400];
    seg_file(path, sizeof(path), 1);
    for (uint64_t s = 1; s <= 300; s += 30) {     /* appends interleaved with zeroing */
        append_n(j, s, 30);
        assert_int_equal(jnl_wait_durable(j, s + 29), JNL_OK);
    }
    uint64_t first, len, sseq;
    jnl_synced_pos(j, &first, &len, &sseq);
    assert_int_equal(sseq, 300);
    wait_size(path, 1 << 20);                      /* ahead to the segment's end */
    assert_int_equal(file_size(path), 1 << 20);    /* and no further */

    unsigned char *p;
    size_t n = crash_copy(path, copy, cpath, &p);
    for (size_t i = len; i < n; i++) assert_int_equal(p[i], 0);
    free(p);
    jnl_recovery rep;
    checker c = {.next = 1};
    jnl_options o = {.dir = copy, .flags = JNL_O_NO_PMEM, .replay = check_cb, .replay_priv = &c};
    jnl_t *j2;
    assert_int_equal(jnl_open(&o, &j2, &rep, NULL, 0), JNL_OK);
    assert_int_equal(c.count, 300);
    assert_int_equal(rep.torn_bytes, n - len);
    assert_int_equal(file_size(cpath), (off_t)len);  /* the zeros are cut */
    assert_int_equal(jnl_close(j2), JNL_OK);
    remove_crash_copy(copy);
    close_and_check_cut(j, path, len, 300);
}

/* Segments roll with preallocation on: each closed segment is cut to its
 * data before the next exists (J10), and every entry replays. */
static void test_prealloc_across_rolls(void **state)
{
    (void)state;
    fill_across_rolls(JNL_O_PREALLOC, 8192, 400, 40, 2000, 3);
}

/* A zero tail in an older segment is unused space only if the next segment
 * continues the sequence; if entries are missing it is corruption. */
static void test_zero_tail_in_older_segment(void **state)
{
    (void)state;
    jnl_t *j = open_dir(0, NULL, 4096, NULL);
    for (uint64_t s = 1; s <= 200; s += 20) {
        append_n(j, s, 20);
        assert_int_equal(jnl_wait_durable(j, s + 19), JNL_OK);
    }
    assert_int_equal(jnl_close(j), JNL_OK);
    assert_true(count_segments() >= 3);
    char path[300];
    seg_file(path, sizeof(path), 1);
    off_t sz = file_size(path);
    assert_int_equal(truncate(path, sz + 5000), 0);   /* zeros after its entries */
    checker c = {.next = 1};
    jnl_recovery rep;
    assert_int_equal(jnl_read(tdir, 0, check_cb, &c, &rep, NULL, 0), JNL_OK);
    assert_int_equal(c.count, 200);

    /* zero the last entry of segment 1 as well: the next segment no longer continues */
    unsigned char *p;
    size_t n = read_file(path, &p);
    size_t off = JNL_SEG_HDR_SIZE, last = off;
    while (off + JNL_ENT_HDR_SIZE <= (size_t)sz) {
        uint32_t l = (uint32_t)(p[off] | (p[off + 1] << 8) | (p[off + 2] << 16));
        if (off + JNL_ENT_HDR_SIZE + l > (size_t)sz) break;
        last = off;
        off += JNL_ENT_HDR_SIZE + l;
    }
    memset(p + last, 0, n - last);
    write_file(path, p, n);
    free(p);
    c = (checker){.next = 1};
    char err[512] = "";
    assert_int_equal(jnl_read(tdir, 0, check_cb, &c, &rep, err, sizeof(err)), JNL_ECORRUPT);
    assert_non_null(strstr(err, "does not continue"));
}

/* No space for preallocation: the journal goes on appending. */
static void test_prealloc_enospc(void **state)
{
    (void)state;
    jnl_io_ops io = fault_ops();
    F.fail_pwrite = ENOSPC;
    jnl_t *j = open_dir(JNL_O_PREALLOC, &io, 1 << 20, NULL);
    append_n(j, 1, 50);
    assert_int_equal(jnl_wait_durable(j, 50), JNL_OK);
    for (int i = 0; i < 100 && F.pwrites == 0; i++) usleep(1000);
    assert_int_equal(F.pwrites, 1);               /* tried once, then gave up on the segment */
    append_n(j, 51, 50);
    assert_int_equal(jnl_wait_durable(j, 100), JNL_OK);
    assert_int_equal(jnl_state(j), JNL_STATE_OK);
    assert_int_equal(jnl_close(j), JNL_OK);
    checker c = {.next = 1};
    assert_int_equal(jnl_read(tdir, 0, check_cb, &c, NULL, NULL, 0), JNL_OK);
    assert_int_equal(c.count, 100);
}

/* A pwrite error other than running out of space fails the journal (the
 * error might stand for the segment's data pages). */
static void test_prealloc_eio_is_sticky(void **state)
{
    (void)state;
    jnl_io_ops io = fault_ops();
    F.fail_pwrite = EIO;
    jnl_t *j = open_dir(JNL_O_PREALLOC, &io, 1 << 20, NULL);
    append_n(j, 1, 10);
    assert_int_equal(jnl_wait_durable(j, 10), JNL_OK);
    for (int i = 0; i < 1000 && jnl_state(j) == JNL_STATE_OK; i++) usleep(1000);
    assert_int_equal(jnl_state(j), JNL_STATE_ERROR);
    uint64_t s;
    assert_int_equal(jnl_append(j, "x", 1, &s), JNL_ESTATE);
    jnl_close(j);
}

static void test_dax_path(void **state)
{
    (void)state;
    jnl_io_ops io = fault_ops();
    F.force_pmem = 1;
    jnl_t *j = open_dir(0x100, &io, 1 << 20, NULL);
    append_n(j, 1, 50);
    assert_int_equal(jnl_wait_durable(j, 50), JNL_OK);
    jnl_status st;
    jnl_stats(j, &st);
    assert_int_equal(st.pmem, 1);
    char path[300], copy[300], cpath[400];
    seg_file(path, sizeof(path), 1);
    assert_int_equal(file_size(path), 1 << 20);         /* preallocated */
    uint64_t first, len, sseq;
    jnl_synced_pos(j, &first, &len, &sseq);
    assert_int_equal(first, 1);
    assert_int_equal(sseq, 50);

    /* a crash now leaves the zero-filled preallocation: recovery cuts it */
    crash_copy(path, copy, cpath, NULL);
    jnl_recovery rep;
    checker c = {.next = 1};
    assert_int_equal(jnl_read(copy, 0, check_cb, &c, &rep, NULL, 0), JNL_OK);
    assert_int_equal(c.count, 50);
    assert_int_equal(rep.torn_bytes, (1 << 20) - len);
    remove_crash_copy(copy);
    close_and_check_cut(j, path, len, 50);               /* cut to its data on close */
}

/* Does the file system under tdir take O_DIRECT?  (tmpfs before Linux 6.6
 * does not: the journal must then fall back to write + fdatasync.) */
static int dir_takes_direct(void)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/probe", tdir);
    int fd = open(path, O_RDWR | O_CREAT | O_DIRECT, 0644);
    if (fd >= 0) close(fd);
    unlink(path);
    return fd >= 0;
}

/* J11: with O_DIRECT every group rewrites the unfinished last block; after
 * each group the file holds exactly the entries so far, zero-padded to the
 * block, with no fdatasync of the segment; close cuts the padding. */
static void test_direct_groups_rewrite_the_tail_block(void **state)
{
    (void)state;
    if (!dir_takes_direct()) {
        fprintf(stderr, "# %s refuses O_DIRECT: checking the buffered fallback only\n", tdir);
        jnl_t *j = open_dir(JNL_O_DIRECT, NULL, 0, NULL);
        jnl_status st;
        jnl_stats(j, &st);
        assert_int_equal(st.direct, 0);
        append_n(j, 1, 10);
        assert_int_equal(jnl_wait_durable(j, 10), JNL_OK);
        char path[300];
        seg_file(path, sizeof(path), 1);
        close_and_check_cut(j, path, (uint64_t)file_size(path), 10);
        return;
    }
    jnl_io_ops io = fault_ops();
    jnl_t *j = open_dir(JNL_O_DIRECT, &io, 0, NULL);
    jnl_status st;
    jnl_stats(j, &st);
    assert_int_equal(st.direct, 1);
    assert_int_equal(F.direct_opens, 1);
    int syncs_at_open = F.fdatasyncs;              /* the header's, before the rename */
    char path[300];
    seg_file(path, sizeof(path), 1);
    uint64_t first, len, sseq, prev_len = JNL_SEG_HDR_SIZE;
    for (uint64_t s = 1; s <= 120; s += 3) {       /* groups of 3, many in one block */
        append_n(j, s, 3);
        assert_int_equal(jnl_wait_durable(j, s + 2), JNL_OK);
        jnl_synced_pos(j, &first, &len, &sseq);
        assert_int_equal(sseq, s + 2);
        assert_true(len > prev_len);
        prev_len = len;
        unsigned char *p;
        size_t n = read_file(path, &p);
        assert_int_equal(n, (len + 4095) / 4096 * 4096);   /* padded to the block */
        for (size_t i = len; i < n; i++) assert_int_equal(p[i], 0);
        free(p);
        checker c = {.next = 1};
        jnl_recovery rep;
        assert_int_equal(jnl_read(tdir, 0, check_cb, &c, &rep, NULL, 0), JNL_OK);
        assert_int_equal(c.count, s + 2);
        assert_int_equal(rep.torn_bytes, n - len);      /* only the padding */
    }
    assert_int_equal(F.fdatasyncs, syncs_at_open);      /* O_DSYNC writes, no fdatasync */
    assert_true(F.pwrites >= 40);
    close_and_check_cut(j, path, len, 120);
}

/* J11: a crash in the middle of rewriting the tail block leaves its old
 * sectors or new ones; the durable entries before it survive either way. */
static void test_direct_torn_rewrite_keeps_durable_entries(void **state)
{
    (void)state;
    if (!dir_takes_direct()) { fprintf(stderr, "# %s refuses O_DIRECT: nothing to tear\n", tdir); return; }
    jnl_io_ops io = fault_ops();
    jnl_t *j = open_dir(JNL_O_DIRECT, &io, 0, NULL);
    append_n(j, 1, 2);                              /* under one sector */
    assert_int_equal(jnl_wait_durable(j, 2), JNL_OK);
    uint64_t first, len, sseq;
    jnl_synced_pos(j, &first, &len, &sseq);
    assert_true(len < 512);
    F.fail_pwrite = EIO;
    F.torn_pwrite = 512;                            /* the first sector reaches the disk */
    append_n(j, 3, 20);
    assert_int_equal(jnl_wait_durable(j, 22), JNL_ESTATE);
    assert_int_equal(jnl_durable_seq(j), 2);
    int e;
    assert_non_null(strstr(jnl_error(j, &e), "O_DIRECT"));
    assert_int_equal(e, EIO);
    uint64_t s = 0;
    assert_int_equal(jnl_append(j, "x", 1, &s), JNL_ESTATE);   /* sticky */
    assert_int_equal(jnl_close(j), JNL_ESTATE);

    jnl_recovery rep;
    checker c = {.next = 1};
    jnl_options o = {.dir = tdir, .flags = JNL_O_NO_PMEM | JNL_O_DIRECT, .replay = check_cb, .replay_priv = &c};
    assert_int_equal(jnl_open(&o, &j, &rep, NULL, 0), JNL_OK);
    assert_true(c.count >= 2);                      /* 2 durable, maybe more that the sector held */
    assert_int_equal(rep.next_seq, c.count + 1);
    assert_true(rep.torn_bytes > 0);
    assert_int_equal(jnl_close(j), JNL_OK);
}

static int count_lens(void *priv, uint64_t seq, const char *p, size_t len)
{
    uint64_t *sum = priv;
    (void)seq; (void)p;
    sum[0]++;
    sum[1] += len;
    return 0;
}

/* A group far bigger than the staging buffer, then small ones again: the
 * buffer grows for it and shrinks after, and every byte is on the media. */
static void test_direct_big_group_then_small(void **state)
{
    (void)state;
    jnl_t *j = open_dir(JNL_O_DIRECT, NULL, 0, NULL);
    size_t big = 300 * 1000 + 7;
    char *p = malloc(big);
    memset(p, 'z', big);
    append_n(j, 1, 5);
    assert_int_equal(jnl_append(j, p, big, NULL), JNL_OK);
    assert_int_equal(jnl_wait_durable(j, 6), JNL_OK);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(jnl_append(j, p, 100 + (size_t)i, NULL), JNL_OK);
        assert_int_equal(jnl_wait_durable(j, 7 + (uint64_t)i), JNL_OK);
    }
    free(p);
    assert_int_equal(jnl_close(j), JNL_OK);
    uint64_t sum[2] = {0, 0};
    jnl_recovery rep;
    assert_int_equal(jnl_read(tdir, 0, count_lens, sum, &rep, NULL, 0), JNL_OK);
    char buf[512];
    uint64_t want = big;
    for (uint64_t s = 1; s <= 5; s++) want += payload_for(s, buf, sizeof(buf));
    for (int i = 0; i < 20; i++) want += 100 + (uint64_t)i;
    assert_int_equal(sum[0], 26);
    assert_int_equal(sum[1], want);
    assert_int_equal(rep.torn_bytes, 0);
}

/* A file system that refuses O_DIRECT gets write + fdatasync, and says so. */
static void test_direct_refused_falls_back(void **state)
{
    (void)state;
    jnl_io_ops io = fault_ops();
    F.refuse_direct = 1;
    jnl_t *j = open_dir(JNL_O_DIRECT | JNL_O_PREALLOC, &io, 1 << 20, NULL);
    append_n(j, 1, 30);
    assert_int_equal(jnl_wait_durable(j, 30), JNL_OK);
    jnl_status st;
    jnl_stats(j, &st);
    assert_int_equal(st.direct, 0);
    assert_int_equal(F.direct_opens, 1);            /* asked once, not per segment */
    assert_true(F.writes > 0);
    assert_true(F.fdatasyncs >= 2);                 /* header + the group */
    char path[300];
    seg_file(path, sizeof(path), 1);
    uint64_t first, len, sseq;
    jnl_synced_pos(j, &first, &len, &sseq);
    close_and_check_cut(j, path, len, 30);
}

/* Direct writes and preallocation together across segment rolls: zeros go
 * only past the data's last block, every closed segment is cut (J10, J11). */
static void test_direct_prealloc_across_rolls(void **state)
{
    (void)state;
    if (!dir_takes_direct()) { fprintf(stderr, "# %s refuses O_DIRECT\n", tdir); return; }
    fill_across_rolls(JNL_O_DIRECT | JNL_O_PREALLOC, 64 * 1024, 2000, 50, 200, 2);
}

static void test_synced_file(void **state)
{
    (void)state;
    jnl_t *j = open_dir(JNL_O_SYNCED_FILE, NULL, 0, NULL);
    append_n(j, 1, 7);
    assert_int_equal(jnl_wait_durable(j, 7), JNL_OK);
    uint64_t first, len, sseq;
    jnl_synced_pos(j, &first, &len, &sseq);
    char path[300], line[200], want[200];
    snprintf(path, sizeof(path), "%s/synced", tdir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    snprintf(want, sizeof(want), "00000000000000000001.jnl %llu 7\n", (unsigned long long)len);
    assert_string_equal(line, want);
    char seg[300];
    seg_file(seg, sizeof(seg), 1);
    assert_int_equal(file_size(seg), (off_t)len);
    assert_int_equal(jnl_close(j), JNL_OK);
}

int main(void)
{
    tier_init_default();
    log_verbosity = LOG_WARNING;   /* keep the open/close notices out of the test output */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_vectors),
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_every_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roll_and_trim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fdatasync_eio_sticky, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enospc_torn_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prealloc_zero_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prealloc_across_rolls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_tail_in_older_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prealloc_enospc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prealloc_eio_is_sticky, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queued_batches_share_one_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queued_group_across_a_roll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_continues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dax_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_synced_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_groups_rewrite_the_tail_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_torn_rewrite_keeps_durable_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_refused_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_big_group_then_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_prealloc_across_rolls, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
