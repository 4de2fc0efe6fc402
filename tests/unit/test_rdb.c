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
#include <unistd.h>
#include <cmocka.h>

#include "db.h"
#include "rdb.h"
#include "tier.h"

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

int main(void)
{
    tier_init_default();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc64_vector),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_string_encodings),
        cmocka_unit_test(test_lzf_round_trip),
        cmocka_unit_test(test_truncated_and_corrupt),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_dump_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
