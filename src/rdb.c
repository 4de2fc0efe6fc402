/* rdb.c -- RDB version 10 encoder/decoder (format table in rdb.h).
 *
 * The writer may run in a fork child: it allocates only with mmap (see
 * rdb.h), never with the tier allocator, and keeps no global state besides
 * the CRC tables (computed once, before any fork, by rdb_crc64_init()).
 */
#include "config.h"

#include "rdb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_LZF
#include <liblzf/lzf.h>
#endif

#include "tier.h"
#include "util.h"

/* ---- CRC-64/Jones, slicing by 8 ------------------------------------------- */

#define CRC64_POLY_R 0x95ac9329ac4bc9b5ULL
static uint64_t crc_tab[8][256];
static int crc_ready;

static void crc64_init(void)
{
    for (int i = 0; i < 256; i++) {
        uint64_t c = (uint64_t)i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ CRC64_POLY_R : c >> 1;
        crc_tab[0][i] = c;
    }
    for (int i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++) crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
    crc_ready = 1;
}

uint64_t rdb_crc64(uint64_t crc, const void *buf, size_t len)
{
    if (!crc_ready) crc64_init();
    const unsigned char *p = buf;
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);          /* little-endian hosts only (x86-64, arm64) */
        crc ^= v;
        crc = crc_tab[7][crc & 0xff] ^ crc_tab[6][(crc >> 8) & 0xff] ^ crc_tab[5][(crc >> 16) & 0xff] ^
              crc_tab[4][(crc >> 24) & 0xff] ^ crc_tab[3][(crc >> 32) & 0xff] ^ crc_tab[2][(crc >> 40) & 0xff] ^
              crc_tab[1][(crc >> 48) & 0xff] ^ crc_tab[0][crc >> 56];
        p += 8;
        len -= 8;
    }
    while (len--) crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

/* ---- mmap buffers (fork-child safe) ---------------------------------------- */

static void *mm_grow(void *old, size_t oldcap, size_t newcap)
{
    void *p;
    if (!old) p = mmap(NULL, newcap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    else p = mremap(old, oldcap, newcap, MREMAP_MAYMOVE);
    return p == MAP_FAILED ? NULL : p;
}

static size_t page_round(size_t n) { return (n + 65535) & ~(size_t)65535; }

/* ---- writer --------------------------------------------------------------- */

#define RDB_IO_BUF (1024 * 1024)

int rdb_writer_init(rdb_writer *w, int fd, int compress, int checksum)
{
    memset(w, 0, sizeof(*w));
    if (!crc_ready) crc64_init();
    w->fd = fd;
    w->compress = compress;
    w->checksum = checksum;
    w->cap = fd >= 0 ? RDB_IO_BUF : 65536;
    w->buf = mm_grow(NULL, 0, w->cap);
    if (!w->buf) { w->cap = 0; errno = ENOMEM; return -1; }
    return 0;
}

void rdb_writer_free(rdb_writer *w)
{
    if (w->buf) munmap(w->buf, w->cap);
    if (w->scratch) munmap(w->scratch, w->scratch_cap);
    w->buf = w->scratch = NULL;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Incremental write-back (sync_every > 0): once a chunk of sync_every
 * bytes is in the file, wait for the previous chunk's write-back and start
 * this one's.  Dirty data of the file stays below about two chunks, so the
 * final fsync is short and other fsyncs on the disk (the journal's) never
 * queue behind gigabytes at once.  Failures are left to the final fsync. */
static void writeback(rdb_writer *w)
{
    if (w->sync_started > w->sync_done &&
        sync_file_range(w->fd, (off_t)w->sync_done, (off_t)(w->sync_started - w->sync_done),
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) < 0 &&
        (errno == ESPIPE || errno == EINVAL || errno == ENOSYS)) {
        w->sync_every = 0;         /* not a regular file */
        return;
    }
    w->sync_done = w->sync_started;
    if (sync_file_range(w->fd, (off_t)w->sync_started, (off_t)(w->on_disk - w->sync_started),
                        SYNC_FILE_RANGE_WRITE) < 0 &&
        (errno == ESPIPE || errno == EINVAL || errno == ENOSYS)) {
        w->sync_every = 0;
        return;
    }
    w->sync_started = w->on_disk;
    w->writebacks++;
}

static int out(rdb_writer *w, const unsigned char *p, size_t len)
{
    if (write_all(w->fd, p, len) < 0) { w->err = errno; return -1; }
    w->on_disk += len;
    if (w->sync_every && w->on_disk - w->sync_started >= w->sync_every) writeback(w);
    return 0;
}

int rdb_flush(rdb_writer *w)
{
    if (w->err) { errno = w->err; return -1; }
    if (w->fd < 0 || !w->len) return 0;
    if (out(w, w->buf, w->len) < 0) return -1;
    w->len = 0;
    return 0;
}

int rdb_write_raw(rdb_writer *w, const void *p, size_t len)
{
    if (w->err) { errno = w->err; return -1; }
    if (w->checksum) w->crc = rdb_crc64(w->crc, p, len);
    w->written += len;
    if (w->len + len > w->cap) {
        if (w->fd >= 0) {
            if (rdb_flush(w) < 0) return -1;
            if (len > w->cap) {
                return out(w, p, len);
            }
        } else {
            size_t nc = w->cap;
            while (nc < w->len + len) nc *= 2;
            unsigned char *nb = mm_grow(w->buf, w->cap, page_round(nc));
            if (!nb) { w->err = ENOMEM; errno = ENOMEM; return -1; }
            w->buf = nb;
            w->cap = page_round(nc);
        }
    }
    memcpy(w->buf + w->len, p, len);
    w->len += len;
    return 0;
}

int rdb_write_byte(rdb_writer *w, int b)
{
    unsigned char c = (unsigned char)b;
    return rdb_write_raw(w, &c, 1);
}

int rdb_write_len(rdb_writer *w, uint64_t len)
{
    unsigned char b[9];
    size_t n;
    if (len < (1 << 6)) {
        b[0] = (unsigned char)len;
        n = 1;
    } else if (len < (1 << 14)) {
        b[0] = (unsigned char)(0x40 | (len >> 8));
        b[1] = (unsigned char)(len & 0xff);
        n = 2;
    } else if (len <= UINT32_MAX) {
        b[0] = RDB_LEN_32;
        for (int i = 0; i < 4; i++) b[1 + i] = (unsigned char)(len >> (24 - 8 * i));
        n = 5;
    } else {
        b[0] = RDB_LEN_64;
        for (int i = 0; i < 8; i++) b[1 + i] = (unsigned char)(len >> (56 - 8 * i));
        n = 9;
    }
    return rdb_write_raw(w, b, n);
}

/* Integer special encoding; 0 if v does not fit in 32 bits (nothing written). */
static int write_int_enc(rdb_writer *w, long long v, int *done)
{
    unsigned char b[5];
    size_t n;
    *done = 1;
    if (v >= -128 && v <= 127) {
        b[0] = 0xC0 | RDB_ENC_INT8;
        b[1] = (unsigned char)(int8_t)v;
        n = 2;
    } else if (v >= -32768 && v <= 32767) {
        b[0] = 0xC0 | RDB_ENC_INT16;
        uint16_t u = (uint16_t)(int16_t)v;
        b[1] = (unsigned char)u;
        b[2] = (unsigned char)(u >> 8);
        n = 3;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        b[0] = 0xC0 | RDB_ENC_INT32;
        uint32_t u = (uint32_t)(int32_t)v;
        for (int i = 0; i < 4; i++) b[1 + i] = (unsigned char)(u >> (8 * i));
        n = 5;
    } else {
        *done = 0;
        return 0;
    }
    return rdb_write_raw(w, b, n);
}

int rdb_write_ll(rdb_writer *w, long long v)
{
    int done;
    if (write_int_enc(w, v, &done) < 0) return -1;
    if (done) return 0;
    char buf[UTIL_LL_STR_SIZE];
    size_t n = util_ll2str(buf, v);
    if (rdb_write_len(w, n) < 0) return -1;
    return rdb_write_raw(w, buf, n);
}

/* 1 written compressed, 0 not worth it, -1 error. */
static int write_lzf(rdb_writer *w, const char *p, size_t len)
{
#ifdef HAVE_LZF
    if (len <= 4 || len > UINT_MAX) return 0;
    if (w->scratch_cap < len) {
        size_t nc = page_round(len);
        unsigned char *s = mm_grow(w->scratch, w->scratch_cap, nc);
        if (!s) return 0;             /* no memory for compression: write it plain */
        w->scratch = s;
        w->scratch_cap = nc;
    }
    unsigned clen = lzf_compress(p, (unsigned)len, w->scratch, (unsigned)(len - 4));
    if (clen == 0) return 0;
    if (rdb_write_byte(w, 0xC0 | RDB_ENC_LZF) < 0 || rdb_write_len(w, clen) < 0 || rdb_write_len(w, len) < 0 ||
        rdb_write_raw(w, w->scratch, clen) < 0)
        return -1;
    return 1;
#else
    (void)w; (void)p; (void)len;
    return 0;
#endif
}

int rdb_write_string(rdb_writer *w, const char *p, size_t len)
{
    long long v;
    if (len > 0 && len <= 11 && util_str2ll(p, len, &v)) {
        char buf[UTIL_LL_STR_SIZE];
        if (util_ll2str(buf, v) == len && !memcmp(buf, p, len)) {
            int done;
            if (write_int_enc(w, v, &done) < 0) return -1;
            if (done) return 0;
        }
    }
    if (w->compress && len > 20) {
        int rc = write_lzf(w, p, len);
        if (rc != 0) return rc < 0 ? -1 : 0;
    }
    if (rdb_write_len(w, len) < 0) return -1;
    return rdb_write_raw(w, p, len);
}

/* ---- type registry ------------------------------------------------------------ */

typedef struct saver {
    rdb_type_fn *type;
    rdb_save_fn *save;
} saver;
static saver savers[8];
static rdb_load_fn *loaders[RDB_TYPE_MAX + 1];

void rdb_register_saver(int obj_type, rdb_type_fn *type, rdb_save_fn *fn)
{
    if (obj_type >= 0 && obj_type < 8) {
        savers[obj_type].type = type;
        savers[obj_type].save = fn;
    }
}

void rdb_register_loader(int rdb_type, rdb_load_fn *fn)
{
    if (rdb_type >= 0 && rdb_type <= RDB_TYPE_MAX) loaders[rdb_type] = fn;
}

int rdb_value_type(const kv *e)
{
    if (e->type == OBJ_STRING) return RDB_TYPE_STRING;
    if (e->type < 8 && savers[e->type].type) return savers[e->type].type(e);
    return -1;
}

int rdb_write_value(rdb_writer *w, const kv *e)
{
    if (e->type == OBJ_STRING) {
        if (e->enc == ENC_INT) return rdb_write_ll(w, (long long)(intptr_t)e->ptr);
        char ibuf[UTIL_LL_STR_SIZE];
        size_t len;
        const char *p = kv_str(e, &len, ibuf);
        return rdb_write_string(w, p, len);
    }
    if (e->type < 8 && savers[e->type].save) return savers[e->type].save(w, e);
    errno = ENOTSUP;
    w->err = ENOTSUP;
    return -1;
}

/* ---- reader ------------------------------------------------------------------- */

void rdb_reader_init(rdb_reader *r, const void *p, size_t len, const char *name)
{
    memset(r, 0, sizeof(*r));
    r->p = p;
    r->len = len;
    r->name = name ? name : "RDB";
    r->version = RDB_VERSION;
}

int rdb_fail(rdb_reader *r, const char *fmt, ...)
{
    if (r->failed) return -1;
    r->failed = 1;
    int n = snprintf(r->err, sizeof(r->err), "%s: offset %zu: ", r->name, r->pos);
    if (n < 0 || (size_t)n >= sizeof(r->err)) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

void rdb_reader_reuse(rdb_reader *r) { r->reuse = 1; }

void rdb_reader_release(rdb_reader *r)
{
    if (r->scratch) tier_dram_free(r->scratch);
    r->scratch = NULL;
    r->scratch_cap = 0;
    r->scratch_lent = 0;
}

static int need_fail(rdb_reader *r, size_t n)
{
    if (r->failed) return -1;
    return rdb_fail(r, "unexpected end of data (truncated file?): need %zu bytes, %zu left", n, r->len - r->pos);
}

/* The readers below run a few times per key: the common case inline. */
static inline int need(rdb_reader *r, size_t n)
{
    if (__builtin_expect(r->failed || r->len - r->pos < n, 0)) return need_fail(r, n);
    return 0;
}

int rdb_read_raw(rdb_reader *r, void *out, size_t len)
{
    if (need(r, len) < 0) return -1;
    memcpy(out, r->p + r->pos, len);
    r->pos += len;
    return 0;
}

static inline int read_byte(rdb_reader *r, int *b)
{
    if (need(r, 1) < 0) return -1;
    *b = r->p[r->pos++];
    return 0;
}

int rdb_read_byte(rdb_reader *r, int *b) { return read_byte(r, b); }

static int read_len_slow(rdb_reader *r, int b, size_t at, uint64_t *len, int *is_special)
{
    switch (b >> 6) {
    case 1: {
        int c;
        if (read_byte(r, &c) < 0) return -1;
        *len = ((uint64_t)(b & 0x3F) << 8) | (uint64_t)c;
        return 0;
    }
    case 2: {
        size_t n = b == RDB_LEN_32 ? 4 : b == RDB_LEN_64 ? 8 : 0;
        if (!n) { r->pos = at; return rdb_fail(r, "invalid length prefix byte 0x%02x", b); }
        if (need(r, n) < 0) return -1;
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) v = (v << 8) | r->p[r->pos + i];
        r->pos += n;
        *len = v;
        return 0;
    }
    default:
        if (!is_special) { r->pos = at; return rdb_fail(r, "string encoding byte 0x%02x where a length was expected", b); }
        *is_special = 1;
        *len = (uint64_t)(b & 0x3F);
        return 0;
    }
}

static inline int read_len(rdb_reader *r, uint64_t *len, int *is_special)
{
    size_t at = r->pos;
    int b;
    if (read_byte(r, &b) < 0) return -1;
    if (is_special) *is_special = 0;
    if (b < 0x40) {
        *len = (uint64_t)b;
        return 0;
    }
    if (b < 0x80 && r->pos < r->len) {
        *len = ((uint64_t)(b & 0x3F) << 8) | r->p[r->pos++];
        return 0;
    }
    return read_len_slow(r, b, at, len, is_special);
}

int rdb_read_len(rdb_reader *r, uint64_t *len, int *is_special) { return read_len(r, len, is_special); }

void rdb_str_free(rdb_str *s)
{
    if (s->lender) s->lender->scratch_lent = 0;
    else if (s->own) tier_dram_free(s->own);
    s->own = NULL;
    s->lender = NULL;
}

/* A buffer of n bytes for a decoded string: the reader's scratch buffer if
 * it reuses one and nobody holds it, else a fresh one. */
static char *decode_buf(rdb_reader *r, rdb_str *s, size_t n)
{
    if (!r->reuse || r->scratch_lent) return tier_dram_malloc(n);
    if (r->scratch_cap < n) {
        size_t cap = r->scratch_cap ? r->scratch_cap : 4096;
        while (cap < n) cap *= 2;
        if (r->scratch) tier_dram_free(r->scratch);
        r->scratch = tier_dram_malloc(cap);
        r->scratch_cap = cap;
    }
    r->scratch_lent = 1;
    s->lender = r;
    return r->scratch;
}

int rdb_read_string(rdb_reader *r, rdb_str *s)
{
    s->own = NULL;
    s->lender = NULL;
    size_t at = r->pos;
    uint64_t len;
    int special;
    if (read_len(r, &len, &special) < 0) return -1;
    if (__builtin_expect(!special, 1)) {
        if (need(r, len) < 0) return -1;
        s->p = (const char *)r->p + r->pos;
        s->len = len;
        r->pos += len;
        return 0;
    }
    {
        long long v;
        unsigned char b[4];
        switch (len) {
        case RDB_ENC_INT8:
            if (rdb_read_raw(r, b, 1) < 0) return -1;
            v = (int8_t)b[0];
            break;
        case RDB_ENC_INT16:
            if (rdb_read_raw(r, b, 2) < 0) return -1;
            v = (int16_t)(uint16_t)(b[0] | (b[1] << 8));
            break;
        case RDB_ENC_INT32:
            if (rdb_read_raw(r, b, 4) < 0) return -1;
            v = (int32_t)((uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24));
            break;
        case RDB_ENC_LZF: {
            uint64_t clen, ulen;
            if (read_len(r, &clen, NULL) < 0 || read_len(r, &ulen, NULL) < 0) return -1;
            if (need(r, clen) < 0) return -1;
            /* LZF expands at most ~100x; anything more is a corrupt length */
            if (ulen == 0 || clen == 0 || ulen > clen * 128 + 64 || ulen > UINT_MAX) {
                r->pos = at;
                return rdb_fail(r, "implausible LZF lengths (compressed %llu, plain %llu)",
                                (unsigned long long)clen, (unsigned long long)ulen);
            }
#ifdef HAVE_LZF
            s->own = decode_buf(r, s, ulen + 1);
            unsigned got = lzf_decompress(r->p + r->pos, (unsigned)clen, s->own, (unsigned)ulen);
            if (got != ulen) {
                rdb_str_free(s);
                r->pos = at;
                return rdb_fail(r, "LZF data does not decompress to %llu bytes", (unsigned long long)ulen);
            }
            s->own[ulen] = '\0';
            r->pos += clen;
            s->p = s->own;
            s->len = ulen;
            return 0;
#else
            r->pos = at;
            return rdb_fail(r, "LZF-compressed string, but tierdb was built without liblzf");
#endif
        }
        default:
            r->pos = at;
            return rdb_fail(r, "unknown string encoding %llu", (unsigned long long)len);
        }
        s->len = util_ll2str(s->ibuf, v);
        s->p = s->ibuf;
        return 0;
    }
}

int rdb_read_string_ll(rdb_reader *r, long long *v)
{
    size_t at = r->pos;
    rdb_str s;
    if (rdb_read_string(r, &s) < 0) return -1;
    int ok = util_str2ll(s.p, s.len, v);
    rdb_str_free(&s);
    if (!ok) { r->pos = at; return rdb_fail(r, "expected an integer string"); }
    return 0;
}

static kv *load_string(rdb_reader *r, int t, const char *key, size_t klen)
{
    (void)t;
    rdb_str s;
    if (rdb_read_string(r, &s) < 0) return NULL;
    kv *e = kv_new_string(key, klen, s.p, s.len);
    rdb_str_free(&s);
    return e;
}

kv *rdb_read_value(rdb_reader *r, int t, const char *key, size_t klen)
{
    if (t == RDB_TYPE_STRING) return load_string(r, t, key, klen);
    if (t >= 0 && t <= RDB_TYPE_MAX && loaders[t]) return loaders[t](r, t, key, klen);
    rdb_fail(r, "value type %d is not supported by this build", t);
    return NULL;
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* ---- whole files ------------------------------------------------------------------ */

static int write_aux(rdb_writer *w, const char *name, const char *val)
{
    if (rdb_write_byte(w, RDB_OP_AUX) < 0 || rdb_write_string(w, name, strlen(name)) < 0) return -1;
    return rdb_write_string(w, val, strlen(val));
}

static int write_aux_ll(rdb_writer *w, const char *name, long long v)
{
    char buf[UTIL_LL_STR_SIZE];
    util_ll2str(buf, v);
    return write_aux(w, name, buf);
}

int rdb_save_fd(int fd, db *dbs, int ndbs, const rdb_save_opts *o, uint64_t *keys_out)
{
    rdb_writer w;
    if (rdb_writer_init(&w, fd, o->compress, o->checksum) < 0) return -1;
    w.sync_every = o->sync_bytes;
    uint64_t keys = 0;
    char magic[16];
    snprintf(magic, sizeof(magic), "REDIS%04d", RDB_VERSION);
    rdb_write_raw(&w, magic, 9);
    write_aux(&w, "redis-ver", "7.0.15");
    write_aux_ll(&w, "redis-bits", (long long)sizeof(void *) * 8);
    write_aux_ll(&w, "ctime", o->ctime ? o->ctime : util_mstime() / 1000);
    write_aux_ll(&w, "used-mem", (long long)o->used_mem);
    write_aux_ll(&w, "aof-base", 0);
    {
        char buf[32];
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)o->seq);
        write_aux(&w, "tierdb-seq", buf);
    }
    for (int i = 0; i < ndbs && !w.err; i++) {
        db *d = &dbs[i];
        uint64_t n = dict_size(&d->keys);
        if (!n) continue;
        rdb_write_byte(&w, RDB_OP_SELECTDB);
        rdb_write_len(&w, (uint64_t)i);
        rdb_write_byte(&w, RDB_OP_RESIZEDB);
        rdb_write_len(&w, n);
        rdb_write_len(&w, d->nttl);
        dict_iter it;
        dict_iter_init(&it, &d->keys);
        dict_node *nd;
        while (!w.err && (nd = dict_iter_next(&it))) {
            const kv *e = (const kv *)nd;
            int t = rdb_value_type(e);
            if (t < 0) { w.err = ENOTSUP; break; }
            int64_t when = kv_expire(e);
            if (when >= 0) {
                unsigned char b[9];
                b[0] = RDB_OP_EXPIRETIME_MS;
                put_le(b + 1, (uint64_t)when, 8);
                rdb_write_raw(&w, b, 9);
            }
            rdb_write_byte(&w, t);
            rdb_write_string(&w, kv_key(e), e->keylen);
            rdb_write_value(&w, e);
            keys++;
            if (o->progress) o->progress(o->progress_priv, keys, w.written);
        }
        dict_iter_release(&it);
    }
    rdb_write_byte(&w, RDB_OP_EOF);
    unsigned char c[8];
    put_le(c, o->checksum ? w.crc : 0, 8);
    rdb_write_raw(&w, c, 8);
    int rc = rdb_flush(&w);
    int e = w.err;
    rdb_writer_free(&w);
    if (rc < 0 || e) { errno = e ? e : errno; return -1; }
    if (keys_out) *keys_out = keys;
    return 0;
}

static void dir_of(const char *path, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, cap, ".");
    else if (slash == dir) dir[1] = '\0';     /* "/x" -> "/" */
    else *slash = '\0';
}

int rdb_save_tmp(const char *tmp, db *dbs, int ndbs, const rdb_save_opts *o, uint64_t *keys, char *err,
                 size_t errlen)
{
    const char *what = "open";
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) goto fail;
    what = "write";
    if (rdb_save_fd(fd, dbs, ndbs, o, keys) < 0) goto fail;
    what = "fsync";
    if (fsync(fd) < 0) goto fail;
    what = "close";
    if (close(fd) < 0) { fd = -1; goto fail; }
    return 0;
fail: {
        int e = errno;
        if (fd >= 0) close(fd);
        unlink(tmp);
        snprintf(err, errlen, "%s %s failed: %s", what, tmp, strerror(e));
        errno = e;
        return -1;
    }
}

int rdb_publish(const char *tmp, const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    if (rename(tmp, path) < 0) {
        int e = errno;
        snprintf(err, errlen, "rename %s to %s failed: %s", tmp, path, strerror(e));
        unlink(tmp);
        errno = e;
        return -1;
    }
    dir_of(path, dir, sizeof(dir));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0) {
        int e = errno;
        if (dfd >= 0) close(dfd);
        snprintf(err, errlen, "fsync of directory %s failed: %s", dir, strerror(e));
        errno = e;
        return -1;
    }
    close(dfd);
    return 0;
}

int rdb_save_file(const char *path, db *dbs, int ndbs, const rdb_save_opts *o, char *err, size_t errlen)
{
    char tmp[PATH_MAX + 32], dir[PATH_MAX];
    dir_of(path, dir, sizeof(dir));
    snprintf(tmp, sizeof(tmp), "%s/temp-%d.rdb", dir, (int)getpid());
    if (rdb_save_tmp(tmp, dbs, ndbs, o, NULL, err, errlen) < 0) return -1;
    return rdb_publish(tmp, path, err, errlen);
}

rdb_load_progress_fn *rdb_load_progress;

/* The CRC-64 of a large file is computed on a second thread while the main
 * thread parses it: it reads only the (read-only) input, and a valid file's
 * checksum covers everything but its last 8 bytes, so the range is known
 * before parsing ends.  Files that end elsewhere are checked inline. */
#define CRC_THREAD_MIN (8u << 20)

typedef struct crc_job {
    pthread_t tid;
    const unsigned char *p;
    size_t len;
    uint64_t crc;
    int running;
} crc_job;

static void *crc_thread(void *arg)
{
    crc_job *j = arg;
    j->crc = rdb_crc64(0, j->p, j->len);
    return NULL;
}

static void crc_job_start(crc_job *j, const unsigned char *p, size_t len)
{
    memset(j, 0, sizeof(*j));
    /* rdbchecksum no writes a zero checksum: nothing to check */
    static const unsigned char zero[8];
    if (len < CRC_THREAD_MIN || !memcmp(p + len - 8, zero, 8)) return;
    if (!crc_ready) crc64_init();
    j->p = p;
    j->len = len - 8;
    j->running = pthread_create(&j->tid, NULL, crc_thread, j) == 0;
}

/* The CRC of p[0..at): the thread's if it covered exactly that range. */
static uint64_t crc_job_finish(crc_job *j, const unsigned char *p, size_t at)
{
    if (!j->running) return rdb_crc64(0, p, at);
    pthread_join(j->tid, NULL);
    j->running = 0;
    return j->len == at ? j->crc : rdb_crc64(0, p, at);
}

int rdb_load_mem(const void *p, size_t len, const char *name, db *dbs, int ndbs, int64_t now_ms,
                 rdb_load_info *info, char *err, size_t errlen)
{
    rdb_reader rr, *r = &rr;
    rdb_reader_init(r, p, len, name);
    rdb_reader_reuse(r);
    crc_job cj;
    memset(&cj, 0, sizeof(cj));
    memset(info, 0, sizeof(*info));
    unsigned char hdr[9];
    if (rdb_read_raw(r, hdr, 9) < 0) goto fail;
    if (memcmp(hdr, "REDIS", 5)) { r->pos = 0; rdb_fail(r, "not an RDB file (wrong signature)"); goto fail; }
    int ver = 0;
    for (int i = 5; i < 9; i++) {
        if (hdr[i] < '0' || hdr[i] > '9') { r->pos = 5; rdb_fail(r, "bad version digits"); goto fail; }
        ver = ver * 10 + (hdr[i] - '0');
    }
    if (ver < 1 || ver > RDB_VERSION) { r->pos = 5; rdb_fail(r, "unsupported RDB version %d (this build reads 1..%d)", ver, RDB_VERSION); goto fail; }
    r->version = info->version = ver;
    if (ver >= 5) crc_job_start(&cj, p, len);
    db *cur = &dbs[0];
    int64_t expire = -1;
    for (;;) {
        size_t rec = r->pos;
        int t;
        if (read_byte(r, &t) < 0) goto fail;
        if (t == RDB_OP_EOF) break;
        switch (t) {
        case RDB_OP_EXPIRETIME_MS: {
            unsigned char b[8];
            if (rdb_read_raw(r, b, 8) < 0) goto fail;
            expire = (int64_t)get_le(b, 8);
            continue;
        }
        case RDB_OP_EXPIRETIME: {
            unsigned char b[4];
            if (rdb_read_raw(r, b, 4) < 0) goto fail;
            expire = (int64_t)(int32_t)get_le(b, 4) * 1000;
            continue;
        }
        case RDB_OP_FREQ: {
            int f;
            if (rdb_read_byte(r, &f) < 0) goto fail;
            continue;
        }
        case RDB_OP_IDLE: {
            uint64_t idle;
            if (rdb_read_len(r, &idle, NULL) < 0) goto fail;
            continue;
        }
        case RDB_OP_SELECTDB: {
            uint64_t n;
            if (rdb_read_len(r, &n, NULL) < 0) goto fail;
            if (n >= (uint64_t)ndbs) {
                r->pos = rec;
                rdb_fail(r, "SELECTDB %llu is out of range (databases %d)", (unsigned long long)n, ndbs);
                goto fail;
            }
            cur = &dbs[n];
            continue;
        }
        case RDB_OP_RESIZEDB: {
            uint64_t a, b;
            if (rdb_read_len(r, &a, NULL) < 0 || rdb_read_len(r, &b, NULL) < 0) goto fail;
            /* a hint; a corrupt value must not make us allocate the world */
            if (a && a <= len && dict_size(&cur->keys) == 0) dict_expand(&cur->keys, a);
            continue;
        }
        case RDB_OP_AUX: {
            rdb_str k, v;
            if (rdb_read_string(r, &k) < 0) goto fail;
            if (rdb_read_string(r, &v) < 0) { rdb_str_free(&k); goto fail; }
            if (k.len == 10 && !memcmp(k.p, "tierdb-seq", 10)) {
                unsigned long long s;
                if (!util_str2ull(v.p, v.len, &s)) {
                    rdb_str_free(&k); rdb_str_free(&v);
                    r->pos = rec;
                    rdb_fail(r, "aux field tierdb-seq is not a number");
                    goto fail;
                }
                info->seq = s;
                info->has_seq = 1;
            } else if (k.len == 8 && !memcmp(k.p, "used-mem", 8)) {
                unsigned long long m;
                if (util_str2ull(v.p, v.len, &m)) info->used_mem = m;
            }
            rdb_str_free(&k);
            rdb_str_free(&v);
            continue;
        }
        case RDB_OP_MODULE_AUX:
            r->pos = rec;
            rdb_fail(r, "module aux data is not supported");
            goto fail;
        case RDB_OP_FUNCTION:
        case RDB_OP_FUNCTION2:
            r->pos = rec;
            rdb_fail(r, "function libraries are not supported");
            goto fail;
        default:
            break;
        }
        if (t > RDB_TYPE_MAX || t == 6 || t == 7 || t == 8) {
            r->pos = rec;
            rdb_fail(r, "unknown record type %d", t);
            goto fail;
        }
        rdb_str key;
        if (rdb_read_string(r, &key) < 0) goto fail;
        kv *e = rdb_read_value(r, t, key.p, key.len);
        if (!e) { rdb_str_free(&key); goto fail; }
        if (expire >= 0 && expire < now_ms) {
            kv_free(e);
            info->expired_skipped++;
        } else if (dict_find(&cur->keys, key.p, key.len)) {
            kv_free(e);
            r->pos = rec;
            rdb_fail(r, "duplicate key '%.*s' in db %d", (int)(key.len > 64 ? 64 : key.len), key.p, cur->id);
            rdb_str_free(&key);
            goto fail;
        } else {
            db_add(cur, e);
            if (expire >= 0) db_set_expire(cur, e, expire);
            info->keys++;
        }
        rdb_str_free(&key);
        expire = -1;
        if (rdb_load_progress) rdb_load_progress(info->keys + info->expired_skipped, r->pos, len);
    }
    if (ver >= 5) {
        size_t at = r->pos;
        uint64_t computed = crc_job_finish(&cj, p, at);
        unsigned char b[8];
        if (rdb_read_raw(r, b, 8) < 0) goto fail;
        uint64_t stored = get_le(b, 8);
        if (stored != 0 && stored != computed) {
            r->pos = at;
            rdb_fail(r, "checksum mismatch (stored %016llx, computed %016llx)", (unsigned long long)stored,
                     (unsigned long long)computed);
            goto fail;
        }
    }
    rdb_reader_release(r);
    return 0;
fail:
    if (cj.running) pthread_join(cj.tid, NULL);
    rdb_reader_release(r);
    snprintf(err, errlen, "%s", r->err);
    return -1;
}

int rdb_load_file(const char *path, db *dbs, int ndbs, int64_t now_ms, rdb_load_info *info, char *err,
                  size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) { memset(info, 0, sizeof(*info)); return 1; }
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: fstat: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (st.st_size == 0) {
        close(fd);
        snprintf(err, errlen, "%s: offset 0: empty file", path);
        return -1;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
        return -1;
    }
    madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    int rc = rdb_load_mem(m, (size_t)st.st_size, path, dbs, ndbs, now_ms, info, err, errlen);
    munmap(m, (size_t)st.st_size);
    return rc;
}

/* ---- DUMP / RESTORE ---------------------------------------------------------------- */

int rdb_dump(const kv *e, unsigned char **out, size_t *len) { return rdb_dump_ex(e, 1, out, len); }

int rdb_dump_ex(const kv *e, int compress, unsigned char **out, size_t *len)
{
    rdb_writer w;
    int t = rdb_value_type(e);
    if (t < 0) { errno = ENOTSUP; return -1; }
    if (rdb_writer_init(&w, -1, compress, 1) < 0) return -1;
    rdb_write_byte(&w, t);
    rdb_write_value(&w, e);
    unsigned char f[2] = {RDB_VERSION & 0xff, RDB_VERSION >> 8};
    rdb_write_raw(&w, f, 2);
    unsigned char c[8];
    put_le(c, w.crc, 8);
    w.checksum = 0;
    rdb_write_raw(&w, c, 8);
    if (w.err) { int er = w.err; rdb_writer_free(&w); errno = er; return -1; }
    *out = tier_dram_malloc(w.len ? w.len : 1);
    memcpy(*out, w.buf, w.len);
    *len = w.len;
    rdb_writer_free(&w);
    return 0;
}

void rdb_dump_free(unsigned char *p, size_t len)
{
    (void)len;
    tier_dram_free(p);
}

kv *rdb_restore(const void *p, size_t len, const char *key, size_t klen, int *bad_footer, char *err,
                size_t errlen)
{
    const unsigned char *b = p;
    *bad_footer = 0;
    if (len < 10) { *bad_footer = 1; snprintf(err, errlen, "payload too short"); return NULL; }
    unsigned ver = (unsigned)b[len - 10] | ((unsigned)b[len - 9] << 8);
    uint64_t crc = get_le(b + len - 8, 8);
    if (ver > RDB_VERSION || rdb_crc64(0, b, len - 8) != crc) {
        *bad_footer = 1;
        snprintf(err, errlen, "version or checksum wrong");
        return NULL;
    }
    rdb_reader r;
    rdb_reader_init(&r, b, len - 10, "DUMP payload");
    int t;
    if (rdb_read_byte(&r, &t) < 0) goto fail;
    if (t > RDB_TYPE_MAX) { rdb_fail(&r, "unknown type %d", t); goto fail; }
    kv *e = rdb_read_value(&r, t, key, klen);
    if (!e) goto fail;
    if (r.pos != r.len) {
        kv_free(e);
        rdb_fail(&r, "%zu trailing bytes", r.len - r.pos);
        goto fail;
    }
    return e;
fail:
    snprintf(err, errlen, "%s", r.err);
    return NULL;
}
