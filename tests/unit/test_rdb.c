/* test_rdb.c -- RDB encodings: lengths, strings (int, raw, LZF), CRC-64,
 * whole-file round trips, DUMP payloads and the reader's error reports. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>
#include <cmocka.h>

#include "db.h"
#include "intset.h"
#include "rdb.h"
#include "rdb_listpack.h"
#include "rdb_types.h"
#include "server.h"
#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"
#include "tier.h"
#include "zset.h"

static void mem_writer(rdb_writer *w, int compress)
{
    assert_int_equal(rdb_writer_init(w, -1, compress, 1), 0);
}

static void test_crc64_vector(void **state)
{
    (void)state;
    assert_true(rdb_crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
    /* incremental = one shot, across the 8-byte fast path */
    const char *s = "The quick brown fox jumps over the lazy dog, twice over.";
    uint64_t one = rdb_crc64(0, s, strlen(s));
    uint64_t two = rdb_crc64(rdb_crc64(0, s, 13), s + 13, strlen(s) - 13);
    assert_true(one == two);
}

static void check_len(uint64_t len, const unsigned char *bytes, size_t n)
{
    rdb_writer w;
    mem_writer(&w, 0);
    assert_int_equal(rdb_write_len(&w, len), 0);
    assert_int_equal(w.len, n);
    assert_memory_equal(w.buf, bytes, n);
    rdb_reader r;
    rdb_reader_init(&r, w.buf, w.len, "t");
    uint64_t got;
    assert_int_equal(rdb_read_len(&r, &got, NULL), 0);
    assert_true(got == len);
    assert_int_equal(r.pos, n);
    rdb_writer_free(&w);
}

static void test_lengths(void **state)
{
    (void)state;
    check_len(0, (const unsigned char *)"\x00", 1);
    check_len(63, (const unsigned char *)"\x3f", 1);
    check_len(64, (const unsigned char *)"\x40\x40", 2);
    check_len(16383, (const unsigned char *)"\x7f\xff", 2);
    check_len(16384, (const unsigned char *)"\x80\x00\x00\x40\x00", 5);
    check_len(0xffffffffULL, (const unsigned char *)"\x80\xff\xff\xff\xff", 5);
    check_len(0x100000000ULL, (const unsigned char *)"\x81\x00\x00\x00\x01\x00\x00\x00\x00", 9);
}

static void check_string(const char *s, size_t len, int compress, const unsigned char *bytes, size_t n)
{
    rdb_writer w;
    mem_writer(&w, compress);
    assert_int_equal(rdb_write_string(&w, s, len), 0);
    if (bytes) {
        assert_int_equal(w.len, n);
        assert_memory_equal(w.buf, bytes, n);
    }
    rdb_reader r;
    rdb_reader_init(&r, w.buf, w.len, "t");
    rdb_str out;
    assert_int_equal(rdb_read_string(&r, &out), 0);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.p, s, len);
    assert_int_equal(r.pos, w.len);
    rdb_str_free(&out);
    rdb_writer_free(&w);
}

static void test_string_encodings(void **state)
{
    (void)state;
    check_string("", 0, 1, (const unsigned char *)"\x00", 1);
    check_string("abc", 3, 1, (const unsigned char *)"\x03" "abc", 4);
    check_string("0", 1, 1, (const unsigned char *)"\xc0\x00", 2);
    check_string("-128", 4, 1, (const unsigned char *)"\xc0\x80", 2);
    check_string("127", 3, 1, (const unsigned char *)"\xc0\x7f", 2);
    check_string("1000", 4, 1, (const unsigned char *)"\xc1\xe8\x03", 3);
    check_string("-32768", 6, 1, (const unsigned char *)"\xc1\x00\x80", 3);
    check_string("100000", 6, 1, (const unsigned char *)"\xc2\xa0\x86\x01\x00", 5);
    check_string("-2147483648", 11, 1, (const unsigned char *)"\xc2\x00\x00\x00\x80", 5);
    /* outside 32 bits, or not canonical: plain strings */
    check_string("2147483648", 10, 1, (const unsigned char *)"\x0a" "2147483648", 11);
    check_string("007", 3, 1, (const unsigned char *)"\x03" "007", 4);
    check_string("+1", 2, 1, (const unsigned char *)"\x02" "+1", 3);
}

/* A loading reader lends its decode buffer to one string at a time: two
 * LZF strings held together (a key and its value) must both stay intact,
 * and the buffer is reused once returned. */
static void test_lzf_scratch_reuse(void **state)
{
    (void)state;
    char a[300], b[300];
    for (size_t i = 0; i < sizeof(a); i++) {
        a[i] = (char)('a' + i % 3);
        b[i] = (char)('x' + i % 2);
    }
    rdb_writer w;
    mem_writer(&w, 1);
    assert_int_equal(rdb_write_string(&w, a, sizeof(a)), 0);
    assert_int_equal(rdb_write_string(&w, b, sizeof(b)), 0);
    assert_int_equal(rdb_write_string(&w, a, 100), 0);
    rdb_reader r;
    rdb_reader_init(&r, w.buf, w.len, "t");
    rdb_reader_reuse(&r);
    rdb_str s1, s2, s3;
    assert_int_equal(rdb_read_string(&r, &s1), 0);
    assert_int_equal(rdb_read_string(&r, &s2), 0);
#ifdef HAVE_LZF
    assert_true(s1.lender == &r);       /* the first one borrows the buffer */
    assert_true(s2.lender == NULL);     /* the second gets its own */
    assert_true(s1.p != s2.p);
#endif
    assert_int_equal(s1.len, sizeof(a));
    assert_memory_equal(s1.p, a, sizeof(a));
    assert_int_equal(s2.len, sizeof(b));
    assert_memory_equal(s2.p, b, sizeof(b));
    const char *first = s1.p;
    rdb_str_free(&s1);
    rdb_str_free(&s2);
    assert_int_equal(rdb_read_string(&r, &s3), 0);
#ifdef HAVE_LZF
    assert_true(s3.p == first);         /* returned, then lent again */
#endif
    (void)first;
    assert_int_equal(s3.len, 100);
    assert_memory_equal(s3.p, a, 100);
    rdb_str_free(&s3);
    rdb_reader_release(&r);
    rdb_writer_free(&w);
}

/* rdb-save-incremental-fsync: a file writer with sync_every starts the
 * write-back of each chunk as it goes (and waits for the one before), so
 * little is left for the final fsync; the bytes are unchanged. */
static void test_incremental_writeback(void **state)
{
    (void)state;
    char path[] = "/tmp/test_rdb_wbXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    rdb_writer w;
    assert_int_equal(rdb_writer_init(&w, fd, 0, 1), 0);
    w.sync_every = 64 * 1024;
    static unsigned char chunk[10000];
    for (size_t i = 0; i < sizeof(chunk); i++) chunk[i] = (unsigned char)(i * 7);
    size_t total = 0;
    for (int i = 0; i < 300; i++) {            /* 3 MB: more than the 1 MB buffer */
        assert_int_equal(rdb_write_raw(&w, chunk, sizeof(chunk)), 0);
        total += sizeof(chunk);
    }
    assert_int_equal(rdb_flush(&w), 0);
    assert_true(w.on_disk == total);
    assert_true(w.writebacks >= 2);            /* one per 1 MB buffer written out, at most */
    assert_true(w.sync_done > 0 && w.sync_done <= w.sync_started && w.sync_started <= w.on_disk);
    assert_true(w.on_disk - w.sync_done <= 2 * 1024 * 1024 + 2 * w.sync_every);
    rdb_writer_free(&w);
    assert_true(lseek(fd, 0, SEEK_END) == (off_t)total);
    unsigned char back[10000];
    assert_true(pread(fd, back, sizeof(back), (off_t)(total - sizeof(back))) == (ssize_t)sizeof(back));
    assert_memory_equal(back, chunk, sizeof(back));
    close(fd);
    unlink(path);
}

static void test_lzf_round_trip(void **state)
{
    (void)state;
    size_t n = 100000;
    char *s = tier_dram_malloc(n);
    static const char text[] = "the quick brown fox jumps over the lazy dog; ";
    for (size_t i = 0; i < n; i++) s[i] = text[i % (sizeof(text) - 1)];
    rdb_writer w;
    mem_writer(&w, 1);
    assert_int_equal(rdb_write_string(&w, s, n), 0);
#ifdef HAVE_LZF
    assert_int_equal(w.buf[0], 0xC3);          /* LZF */
    assert_true(w.len < n / 4);
#endif
    rdb_reader r;
    rdb_reader_init(&r, w.buf, w.len, "t");
    rdb_str out;
    assert_int_equal(rdb_read_string(&r, &out), 0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.p, s, n);
    rdb_str_free(&out);
    rdb_writer_free(&w);
    /* compression off: raw */
    check_string(s, 1000, 0, NULL, 0);
    /* incompressible data stays raw even with compression on */
    for (size_t i = 0; i < 1000; i++) s[i] = (char)(rand() & 0xff);
    mem_writer(&w, 1);
    assert_int_equal(rdb_write_string(&w, s, 1000), 0);
    assert_int_equal(w.buf[0], 0x43);   /* 14-bit length 1000 = 0x43 0xe8 */
    assert_int_equal(w.buf[1], 0xe8);
    rdb_writer_free(&w);
    tier_dram_free(s);
}

static void test_truncated_and_corrupt(void **state)
{
    (void)state;
    rdb_reader r;
    rdb_str out;
    rdb_reader_init(&r, "\x05" "ab", 3, "f.rdb");
    assert_int_equal(rdb_read_string(&r, &out), -1);
    assert_non_null(strstr(r.err, "f.rdb: offset 1: unexpected end"));
    rdb_reader_init(&r, "\xc5", 1, "f.rdb");
    assert_int_equal(rdb_read_string(&r, &out), -1);
    assert_non_null(strstr(r.err, "unknown string encoding 5"));
    /* LZF claiming an absurd plain length */
    rdb_reader_init(&r, "\xc3\x01\x81\x00\x00\x01\x00\x00\x00\x00\x00x", 12, "f.rdb");
    assert_int_equal(rdb_read_string(&r, &out), -1);
    assert_non_null(strstr(r.err, "implausible LZF"));
    rdb_reader_init(&r, "\x82", 1, "f.rdb");
    uint64_t l;
    assert_int_equal(rdb_read_len(&r, &l, NULL), -1);
    assert_non_null(strstr(r.err, "invalid length prefix"));
}

static uint32_t lru_clock_dummy;

static void fill(db *d)
{
    char key[32], val[300];
    for (int i = 0; i < 200; i++) {
        int kl = snprintf(key, sizeof(key), "k%d", i);
        int vl;
        if (i % 3 == 0) vl = snprintf(val, sizeof(val), "%d", i * 1000 - 50000);
        else if (i % 3 == 1) vl = snprintf(val, sizeof(val), "short-%d", i);
        else { memset(val, 'v', 250); vl = snprintf(val + 250, 40, "%d", i) + 250; }
        kv *e = kv_new_string(key, (size_t)kl, val, (size_t)vl);
        db_add(d, e);
        if (i % 10 == 0) db_set_expire(d, e, 4000000000000LL + i);
    }
}

static void test_file_round_trip(void **state)
{
    (void)state;
    (void)lru_clock_dummy;
    db a[4], b[4];
    for (int i = 0; i < 4; i++) { db_init(&a[i], i); db_init(&b[i], i); }
    fill(&a[0]);
    fill(&a[2]);
    char path[] = "/tmp/tierdb-test-rdb-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    rdb_save_opts o = {.compress = 1, .checksum = 1, .seq = 12345};
    assert_int_equal(rdb_save_fd(fd, a, 4, &o, NULL), 0);
    close(fd);
    rdb_load_info info;
    char err[512];
    assert_int_equal(rdb_load_file(path, b, 4, 1000, &info, err, sizeof(err)), 0);
    assert_int_equal(info.keys, 400);
    assert_true(info.has_seq && info.seq == 12345);
    assert_int_equal(dict_size(&b[0].keys), 200);
    assert_int_equal(dict_size(&b[1].keys), 0);
    assert_int_equal(b[2].nttl, 20);
    kv *e = db_peek(&b[2], "k20", 3);
    assert_non_null(e);
    assert_true(kv_expire(e) == 4000000000020LL);
    char ib[32];
    size_t n;
    const char *p = kv_str(db_peek(&b[0], "k5", 2), &n, ib);
    assert_int_equal(n, 251);
    assert_memory_equal(p + 250, "5", 1);
    p = kv_str(db_peek(&b[0], "k3", 2), &n, ib);
    assert_memory_equal(p, "-47000", n);

    /* every truncation is an error naming the file */
    FILE *f = fopen(path, "rb");
    static unsigned char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    for (size_t cut = 0; cut < len; cut += (cut < 200 ? 1 : 97)) {
        db c[4];
        for (int i = 0; i < 4; i++) db_init(&c[i], i);
        assert_int_equal(rdb_load_mem(buf, cut, path, c, 4, 1000, &info, err, sizeof(err)), -1);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "offset"));
        for (int i = 0; i < 4; i++) db_clear(&c[i]);
    }
    /* a flipped byte in a value is caught (by the checksum at least) */
    buf[len / 2] ^= 0x20;
    {
        db c[4];
        for (int i = 0; i < 4; i++) db_init(&c[i], i);
        assert_int_equal(rdb_load_mem(buf, len, path, c, 4, 1000, &info, err, sizeof(err)), -1);
        for (int i = 0; i < 4; i++) db_clear(&c[i]);
    }
    /* expired keys are skipped on load */
    for (int i = 0; i < 4; i++) db_clear(&b[i]);
    assert_int_equal(rdb_load_file(path, b, 4, 4000000000005LL, &info, err, sizeof(err)), 0);
    assert_int_equal(info.expired_skipped, 2);
    unlink(path);
    for (int i = 0; i < 4; i++) { db_clear(&a[i]); db_clear(&b[i]); }
}

/* Files of 8 MB and more have their checksum computed on a second thread
 * while they are parsed: a good file loads, a flipped byte is a checksum
 * mismatch, and a file with junk after EOF (checksum range not the one the
 * thread took) is still checked right. */
static void test_large_file_checksum(void **state)
{
    (void)state;
    size_t vlen = 9u << 20;
    char *v = tier_dram_malloc(vlen);
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < vlen; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        v[i] = (char)x;
    }
    db a[1], b[1];
    db_init(&a[0], 0);
    db_add(&a[0], kv_new_string("big", 3, v, vlen));
    db_add(&a[0], kv_new_string("small", 5, "x", 1));
    char path[] = "/tmp/tierdb-test-rdb-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    rdb_save_opts o = {.compress = 1, .checksum = 1};
    assert_int_equal(rdb_save_fd(fd, a, 1, &o, NULL), 0);
    off_t len = lseek(fd, 0, SEEK_END);
    assert_true(len > (off_t)vlen);
    unsigned char *buf = tier_dram_malloc((size_t)len + 16);
    assert_true(pread(fd, buf, (size_t)len, 0) == (ssize_t)len);
    close(fd);
    unlink(path);
    rdb_load_info info;
    char err[512];
    db_init(&b[0], 0);
    assert_int_equal(rdb_load_mem(buf, (size_t)len, "big.rdb", b, 1, 0, &info, err, sizeof(err)), 0);
    assert_int_equal(info.keys, 2);
    size_t n;
    char ib[32];
    const char *p = kv_str(db_peek(&b[0], "big", 3), &n, ib);
    assert_int_equal(n, vlen);
    assert_memory_equal(p, v, vlen);
    db_clear(&b[0]);
    /* junk after the checksum: the thread hashed the wrong range */
    memset(buf + len, 0x5a, 16);
    db_init(&b[0], 0);
    assert_int_equal(rdb_load_mem(buf, (size_t)len + 16, "big.rdb", b, 1, 0, &info, err, sizeof(err)), 0);
    db_clear(&b[0]);
    buf[len / 2] ^= 0x01;
    db_init(&b[0], 0);
    assert_int_equal(rdb_load_mem(buf, (size_t)len, "big.rdb", b, 1, 0, &info, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "checksum mismatch"));
    db_clear(&b[0]);
    db_clear(&a[0]);
    tier_dram_free(buf);
    tier_dram_free(v);
}

static void test_dump_payload(void **state)
{
    (void)state;
    kv *e = kv_new_string("key", 3, "hello", 5);
    unsigned char *p;
    size_t len;
    assert_int_equal(rdb_dump(e, &p, &len), 0);
    /* what Redis 7.0 returns for DUMP of "hello" */
    assert_int_equal(len, 1 + 6 + 2 + 8);
    assert_memory_equal(p, "\x00\x05hello\x0a\x00", 9);
    int bad;
    char err[256];
    kv *r = rdb_restore(p, len, "k2", 2, &bad, err, sizeof(err));
    assert_non_null(r);
    char ib[32];
    size_t n;
    const char *s = kv_str(r, &n, ib);
    assert_int_equal(n, 5);
    assert_memory_equal(s, "hello", 5);
    kv_free(r);
    p[3] ^= 1;
    assert_null(rdb_restore(p, len, "k2", 2, &bad, err, sizeof(err)));
    assert_int_equal(bad, 1);
    rdb_dump_free(p, len);
    kv_free(e);
}


/* ---- collection types --------------------------------------------------------- */

static void test_redis_listpack_bytes(void **state)
{
    (void)state;
    rlp_buf b;
    rlp_init(&b);
    rlp_begin(&b);
    rlp_add(&b, "ab", 2);
    rlp_add(&b, "12", 2);
    rlp_add(&b, "-5000", 5);
    rlp_add(&b, "-100", 4);
    rlp_add(&b, "007", 3);
    size_t len;
    const unsigned char *p = rlp_finish(&b, &len);
    static const unsigned char want[] = {0x19, 0, 0, 0, 5, 0, 0x82, 'a', 'b', 3, 0x0C, 1, 0xF1, 0x78, 0xEC, 3,
                                         0xDF, 0x9C, 2, 0x83, '0', '0', '7', 4, 0xFF};
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(p, want, sizeof(want));
    /* and back */
    rlp_iter it;
    rlp_elem e;
    assert_int_equal(rlp_iter_init(&it, p, len), 0);
    const char *exp[] = {"ab", "12", "-5000", "-100", "007"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rlp_iter_next(&it, &e), 1);
        assert_int_equal(e.len, strlen(exp[i]));
        assert_memory_equal(e.s, exp[i], e.len);
    }
    assert_int_equal(rlp_iter_next(&it, &e), 0);
    /* a long string: 12-bit and 32-bit lengths, multi-byte backlen */
    static char big[5000];
    memset(big, 'x', sizeof(big));
    rlp_begin(&b);
    rlp_add(&b, big, 200);
    rlp_add(&b, big, 5000);
    rlp_add_ll(&b, INT64_MIN);
    p = rlp_finish(&b, &len);
    assert_int_equal(p[6], 0xE0);
    assert_int_equal(p[7], 200);
    assert_int_equal(p[6 + 2 + 200], 1);          /* backlen 202 = 1<<7 | 74 */
    assert_int_equal(p[6 + 2 + 200 + 1], 74 | 128);
    assert_int_equal(rlp_iter_init(&it, p, len), 0);
    assert_int_equal(rlp_iter_next(&it, &e), 1);
    assert_int_equal(e.len, 200);
    assert_int_equal(rlp_iter_next(&it, &e), 1);
    assert_int_equal(e.len, 5000);
    assert_int_equal(rlp_iter_next(&it, &e), 1);
    assert_true(e.is_int && e.ll == INT64_MIN);
    assert_int_equal(rlp_iter_next(&it, &e), 0);
    /* corruption is caught */
    unsigned char bad[64];
    rlp_begin(&b);
    rlp_add(&b, "ab", 2);
    p = rlp_finish(&b, &len);
    memcpy(bad, p, len);
    bad[9] = 9;                                   /* wrong backlen */
    assert_int_equal(rlp_iter_init(&it, bad, len), 0);
    assert_int_equal(rlp_iter_next(&it, &e), -1);
    memcpy(bad, p, len);
    bad[4] = 2;                                   /* wrong count */
    assert_int_equal(rlp_iter_init(&it, bad, len), 0);
    assert_int_equal(rlp_iter_next(&it, &e), 1);
    assert_int_equal(rlp_iter_next(&it, &e), -1);
    assert_int_equal(rlp_iter_init(&it, bad, len - 1), -1);
    rlp_release(&b);
}

static void test_redis_intset_and_ziplist_bytes(void **state)
{
    (void)state;
    rlp_buf b;
    rlp_init(&b);
    rlp_intset_begin(&b, 4);
    rlp_intset_add(&b, -70000);
    rlp_intset_add(&b, 1);
    rlp_intset_add(&b, 2);
    size_t len;
    const unsigned char *p = rlp_intset_finish(&b, &len);
    static const unsigned char want[] = {4, 0, 0, 0, 3, 0, 0, 0, 0x90, 0xEE, 0xFE, 0xFF, 1, 0, 0, 0, 2, 0, 0, 0};
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(p, want, len);
    int w;
    uint32_t n;
    const char *why;
    assert_int_equal(rintset_check(p, len, &w, &n, &why), 0);
    assert_int_equal(w, 4);
    assert_int_equal(n, 3);
    assert_true(rintset_get(p, w, 0) == -70000);
    unsigned char unsorted[sizeof(want)];
    memcpy(unsorted, want, sizeof(want));
    unsorted[12] = 0xF0;
    assert_int_equal(rintset_check(unsorted, len, &w, &n, &why), -1);
    rlp_release(&b);

    /* ziplist ["a", 5 (immediate), 300 (int16)] as Redis <= 6 wrote it */
    static const unsigned char zl[] = {20, 0, 0, 0, 15, 0, 0, 0, 3, 0, 0, 0x01, 'a', 3, 0xF6, 2, 0xC0, 0x2C, 0x01, 0xFF};
    rlp_iter it;
    rlp_elem e;
    assert_int_equal(rzl_iter_init(&it, zl, sizeof(zl)), 0);
    assert_int_equal(rlp_iter_next(&it, &e), 1);
    assert_memory_equal(e.s, "a", 1);
    assert_int_equal(rlp_iter_next(&it, &e), 1);
    assert_true(e.is_int && e.ll == 5);
    assert_int_equal(rlp_iter_next(&it, &e), 1);
    assert_true(e.is_int && e.ll == 300);
    assert_int_equal(rlp_iter_next(&it, &e), 0);
}

/* DUMP + RESTORE of e; checks type byte and that the encoding survives. */
static kv *dump_restore(const kv *e, int want_type)
{
    unsigned char *p;
    size_t len;
    assert_int_equal(rdb_dump(e, &p, &len), 0);
    assert_int_equal(p[0], want_type);
    int bad;
    char err[256];
    kv *r = rdb_restore(p, len, "r", 1, &bad, err, sizeof(err));
    if (!r) fail_msg("restore: %s", err);
    assert_int_equal(r->type, e->type);
    assert_int_equal(r->enc, e->enc);
    /* every truncation of the value is refused */
    for (size_t cut = 1; cut + 10 < len; cut += 1 + len / 64) {
        unsigned char *q = malloc(cut + 10);
        memcpy(q, p, cut);
        memcpy(q + cut, p + len - 10, 2);
        uint64_t crc = rdb_crc64(0, q, cut + 2);
        for (int i = 0; i < 8; i++) q[cut + 2 + i] = (unsigned char)(crc >> (8 * i));
        kv *x = rdb_restore(q, cut + 10, "r", 1, &bad, err, sizeof(err));
        assert_null(x);
        free(q);
    }
    rdb_dump_free(p, len);
    return r;
}

static int collect(void *priv, const char *s, size_t len)
{
    char *out = priv;
    strncat(out, s, len);
    strcat(out, ",");
    return 0;
}

static void test_list_round_trip(void **state)
{
    (void)state;
    for (int big = 0; big < 2; big++) {
        quicklist *ql = list_new();
        char want[65536] = "", got[65536] = "";
        int n = big ? 1000 : 5;
        for (int i = 0; i < n; i++) {
            char b[32];
            int l = i % 3 ? snprintf(b, sizeof(b), "%d", i * 1000 - 7) : snprintf(b, sizeof(b), "e%d", i);
            list_append(ql, b, (size_t)l);
        }
        list_foreach(ql, collect, want);
        kv *e = list_kv_new("l", 1, ql);
        kv *r = dump_restore(e, RDB_TYPE_LIST_QUICKLIST_2);
        list_foreach(r->ptr, collect, got);
        assert_string_equal(want, got);
        assert_true(ql_validate(r->ptr));
        kv_free(r);
        kv_free(e);
    }
}

static int hcollect(void *priv, const char *f, size_t fl, const char *v, size_t vl)
{
    hash_ref *h = priv;
    const char *x;
    size_t xl;
    char ib[32];
    assert_int_equal(hash_get(h, f, fl, &x, &xl, ib), 1);
    assert_int_equal(xl, vl);
    assert_memory_equal(x, v, vl);
    return 0;
}

static void test_hash_round_trip(void **state)
{
    (void)state;
    for (int big = 0; big < 2; big++) {
        hash_ref h = hash_new();
        for (int i = 0; i < (big ? 100 : 4); i++) {
            char f[32], v[32];
            hash_set(&h, f, (size_t)snprintf(f, sizeof(f), "f%d", i), v, (size_t)snprintf(v, sizeof(v), "%d", i * 77));
        }
        assert_int_equal(h.enc, big ? ENC_HT : ENC_LISTPACK);
        kv *e = hash_kv_new("h", 1, h);
        kv *r = dump_restore(e, big ? RDB_TYPE_HASH : RDB_TYPE_HASH_LISTPACK);
        hash_ref rh = {r->enc, r->ptr};
        assert_int_equal(hash_len(&rh), hash_len(&h));
        hash_foreach(&rh, hcollect, &h);
        kv_free(r);
        kv_free(e);
    }
}

static void test_set_round_trip(void **state)
{
    (void)state;
    for (int kind = 0; kind < 3; kind++) {
        setval s;
        int n = kind == 2 ? 600 : 50;
        for (int i = 0; i < n; i++) {
            char b[32];
            int l = kind == 1 ? snprintf(b, sizeof(b), "m%d", i) : snprintf(b, sizeof(b), "%d", i * 100003 - 5);
            if (!i) setval_new(&s, b, (size_t)l);
            setval_add(&s, b, (size_t)l);
        }
        assert_int_equal(s.enc, kind == 0 ? ENC_INTSET : ENC_HT);
        kv *e = kv_new("s", 1, OBJ_SET, s.enc, s.ptr);
        kv *r = dump_restore(e, kind == 0 ? RDB_TYPE_SET_INTSET : RDB_TYPE_SET);
        setval rs = {r->enc, r->ptr};
        assert_int_equal(setval_size(&rs), setval_size(&s));
        setval_iter it;
        setval_iter_init(&it, &s);
        const char *p;
        size_t len;
        while (setval_iter_next(&it, &p, &len)) assert_true(setval_has(&rs, p, len));
        setval_iter_release(&it);
        kv_free(r);
        kv_free(e);
    }
}

static void test_zset_round_trip(void **state)
{
    (void)state;
    for (int big = 0; big < 2; big++) {
        zobj z;
        zobj_new(&z, 0, 0);
        int n = big ? 300 : 6;
        for (int i = 0; i < n; i++) {
            char m[32];
            double sc = i == 0 ? -INFINITY : i == 1 ? INFINITY : i == 2 ? 0.1 : i == 3 ? -0.0 : i * 1.5e10 / 7;
            zobj_set(&z, m, (size_t)snprintf(m, sizeof(m), "m%d", i), sc);
        }
        assert_int_equal(z.enc, big ? ENC_SKIPLIST : ENC_LISTPACK);
        kv *e = kv_new("z", 1, OBJ_ZSET, z.enc, z.ptr);
        kv *r = dump_restore(e, big ? RDB_TYPE_ZSET_2 : RDB_TYPE_ZSET_LISTPACK);
        zobj rz = {r->enc, r->ptr};
        assert_true(zobj_valid(&rz));
        assert_int_equal(zobj_len(&rz), zobj_len(&z));
        zit a, b;
        for (zit_seek(&a, &z, 0), zit_seek(&b, &rz, 0); zit_valid(&a); zit_next(&a), zit_next(&b)) {
            const char *m1, *m2;
            size_t l1, l2;
            double s1, s2;
            zit_get(&a, &m1, &l1, &s1);
            zit_get(&b, &m2, &l2, &s2);
            assert_int_equal(l1, l2);
            assert_memory_equal(m1, m2, l1);
            assert_memory_equal(&s1, &s2, sizeof(double));    /* bit-exact, -0.0 too */
        }
        kv_free(r);
        kv_free(e);
    }
}

/* A small hash loaded from a table encoding (RDB_TYPE_HASH) is compact again,
 * as if built by HSET; a big intset payload becomes a table. */
static void test_load_follows_configs(void **state)
{
    (void)state;
    rdb_writer w;
    mem_writer(&w, 0);
    rdb_write_byte(&w, RDB_TYPE_HASH);
    rdb_write_len(&w, 2);
    rdb_write_string(&w, "a", 1);
    rdb_write_string(&w, "1", 1);
    rdb_write_string(&w, "b", 1);
    rdb_write_string(&w, "2", 1);
    unsigned char f[2] = {RDB_VERSION, 0};
    rdb_write_raw(&w, f, 2);
    unsigned char c[8];
    for (int i = 0; i < 8; i++) c[i] = (unsigned char)(w.crc >> (8 * i));
    rdb_write_raw(&w, c, 8);
    int bad;
    char err[256];
    kv *r = rdb_restore(w.buf, w.len, "h", 1, &bad, err, sizeof(err));
    assert_non_null(r);
    assert_int_equal(r->enc, ENC_LISTPACK);
    kv_free(r);
    rdb_writer_free(&w);
}

int main(void)
{
    tier_init_default();
    server.cfg.hash_max_listpack_entries = 8;
    server.cfg.hash_max_listpack_value = 16;
    server.cfg.list_max_listpack_size = 8;
    server.cfg.set_max_intset_entries = 512;
    server.cfg.zset_max_listpack_entries = 16;
    server.cfg.zset_max_listpack_value = 16;
    list_register_type();
    hash_register_type();
    t_set_register();
    t_zset_register();
    rdb_types_register();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc64_vector),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_string_encodings),
        cmocka_unit_test(test_lzf_round_trip),
        cmocka_unit_test(test_lzf_scratch_reuse),
        cmocka_unit_test(test_incremental_writeback),
        cmocka_unit_test(test_truncated_and_corrupt),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_large_file_checksum),
        cmocka_unit_test(test_dump_payload),
        cmocka_unit_test(test_redis_listpack_bytes),
        cmocka_unit_test(test_redis_intset_and_ziplist_bytes),
        cmocka_unit_test(test_list_round_trip),
        cmocka_unit_test(test_hash_round_trip),
        cmocka_unit_test(test_set_round_trip),
        cmocka_unit_test(test_zset_round_trip),
        cmocka_unit_test(test_load_follows_configs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
