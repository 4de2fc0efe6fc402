/* test_listpack.c -- the compact block: thousands of random changes checked
 * against a plain array model, walking both ways after every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "listpack.h"
#include "tier.h"
#include "util.h"

#define MAXN 600

typedef struct model {
    char *v[MAXN];
    size_t len[MAXN];
    int n;
} model;

static char *xdup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* A random element: small and large integers, non-canonical numbers, and
 * strings across the 6-bit, 12-bit and 32-bit length classes. */
static size_t rand_elem(char *buf)
{
    static const char *odd[] = {"007", "-0", "+5", " 1", "1 ", "", "9223372036854775808",
                                "-9223372036854775808", "9223372036854775807", "-129", "128", "127",
                                "32767", "-32768", "32768", "2147483647", "-2147483649"};
    switch (rand() % 6) {
    case 0: return (size_t)sprintf(buf, "%d", rand() % 300 - 150);
    case 1: return (size_t)sprintf(buf, "%lld", (long long)(((uint64_t)rand() << 33) ^ (uint64_t)rand()) * (rand() % 2 ? 1 : -1));
    case 2: {
        const char *s = odd[rand() % (sizeof(odd) / sizeof(odd[0]))];
        strcpy(buf, s);
        return strlen(s);
    }
    case 3: {
        size_t n = (size_t)(rand() % 64);
        for (size_t i = 0; i < n; i++) buf[i] = (char)('a' + rand() % 26);
        return n;
    }
    case 4: {
        size_t n = 60 + (size_t)(rand() % 4100);
        for (size_t i = 0; i < n; i++) buf[i] = (char)(rand() % 256);
        return n;
    }
    default: {
        size_t n = (rand() % 20) ? (size_t)(rand() % 200) : 4090 + (size_t)(rand() % 20);
        memset(buf, 'x', n);
        if (n) buf[0] = (char)rand();
        return n;
    }
    }
}

static void check(unsigned char *lp, const model *m)
{
    assert_true(lp_validate(lp));
    assert_int_equal(lp_count(lp), m->n);
    char ib[UTIL_LL_STR_SIZE];
    int i = 0;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p), i++) {
        size_t len;
        const char *s = lp_get_str(p, &len, ib);
        assert_int_equal(len, m->len[i]);
        assert_memory_equal(s, m->v[i], len);
        assert_true(lp_eq(p, m->v[i], m->len[i]));
    }
    assert_int_equal(i, m->n);
    i = m->n - 1;
    for (unsigned char *p = lp_last(lp); p; p = lp_prev(lp, p), i--) {
        size_t len;
        const char *s = lp_get_str(p, &len, ib);
        assert_int_equal(len, m->len[i]);
        assert_memory_equal(s, m->v[i], len);
    }
    assert_int_equal(i, -1);
}

static void m_insert(model *m, int at, const char *s, size_t n)
{
    memmove(&m->v[at + 1], &m->v[at], sizeof(char *) * (size_t)(m->n - at));
    memmove(&m->len[at + 1], &m->len[at], sizeof(size_t) * (size_t)(m->n - at));
    m->v[at] = xdup(s, n);
    m->len[at] = n;
    m->n++;
}

static void m_delete(model *m, int at, int cnt)
{
    for (int i = at; i < at + cnt; i++) free(m->v[i]);
    memmove(&m->v[at], &m->v[at + cnt], sizeof(char *) * (size_t)(m->n - at - cnt));
    memmove(&m->len[at], &m->len[at + cnt], sizeof(size_t) * (size_t)(m->n - at - cnt));
    m->n -= cnt;
}

static void test_random_ops(void **state)
{
    (void)state;
    srand(12345);
    static char buf[8192];
    model m = {.n = 0};
    unsigned char *lp = lp_new(0);
    for (int step = 0; step < 6000; step++) {
        int op = rand() % 9;
        size_t n = rand_elem(buf);
        if (m.n >= MAXN - 1) op = 5;
        switch (op) {
        case 0:
            lp = lp_append(lp, buf, n);
            m_insert(&m, m.n, buf, n);
            break;
        case 1:
            lp = lp_prepend(lp, buf, n);
            m_insert(&m, 0, buf, n);
            break;
        case 2: case 3: {
            if (!m.n) break;
            int at = rand() % m.n;
            int after = op == 3;
            unsigned char *pos;
            lp = lp_insert(lp, lp_seek(lp, at), after ? LP_AFTER : LP_BEFORE, buf, n, &pos);
            m_insert(&m, at + after, buf, n);
            assert_true(lp_eq(pos, buf, n));
            break;
        }
        case 4: {
            if (!m.n) break;
            int at = rand() % m.n;
            lp = lp_replace(lp, lp_seek(lp, at - (rand() % 2 ? m.n : 0)), buf, n, NULL);
            free(m.v[at]);
            m.v[at] = xdup(buf, n);
            m.len[at] = n;
            break;
        }
        case 5: {
            if (!m.n) break;
            int at = rand() % m.n;
            unsigned char *next;
            lp = lp_delete(lp, lp_seek(lp, at), &next);
            m_delete(&m, at, 1);
            if (at < m.n) assert_true(next && lp_eq(next, m.v[at], m.len[at]));
            else assert_null(next);
            break;
        }
        case 6: {
            if (!m.n) break;
            int at = rand() % m.n;
            int cnt = rand() % 5;
            lp = lp_delete_range(lp, at, (unsigned long)cnt);
            m_delete(&m, at, cnt < m.n - at ? cnt : m.n - at);
            break;
        }
        case 7: {
            /* find every (skip+1)-th element from the start */
            if (!m.n) break;
            int at = rand() % m.n;
            unsigned char *p = lp_find(lp, lp_first(lp), m.v[at], m.len[at], 0);
            assert_non_null(p);
            assert_true(lp_eq(p, m.v[at], m.len[at]));
            int first = 0;
            while (!(m.len[first] == m.len[at] && memcmp(m.v[first], m.v[at], m.len[at]) == 0)) first++;
            assert_ptr_equal(p, lp_seek(lp, first));
            break;
        }
        case 8: {
            /* split at a random point and glue back by appending */
            if (m.n < 2) break;
            int at = 1 + rand() % (m.n - 1);
            unsigned char *tail = lp_split(&lp, lp_seek(lp, at));
            assert_true(lp_validate(lp) && lp_validate(tail));
            assert_int_equal(lp_count(lp), at);
            char ib[UTIL_LL_STR_SIZE];
            for (unsigned char *p = lp_first(tail); p; p = lp_next(tail, p)) {
                size_t len;
                const char *s = lp_get_str(p, &len, ib);
                lp = lp_append(lp, s, len);
            }
            lp_free(tail);
            break;
        }
        }
        check(lp, &m);
    }
    unsigned char *d = lp_dup(lp);
    check(d, &m);
    lp_free(d);
    lp_free(lp);
    for (int i = 0; i < m.n; i++) free(m.v[i]);
}

static void test_integer_encoding(void **state)
{
    (void)state;
    unsigned char *lp = lp_new(0);
    static const long long vals[] = {0, 1, 127, 128, -1, -128, 32767, -32768, 32768, 2147483647, -2147483648LL,
                                     2147483648LL, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) lp = lp_append_ll(lp, vals[i]);
    size_t i = 0;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p), i++) {
        lp_val v;
        lp_get(p, &v);
        assert_null(v.s);
        assert_true(v.ll == vals[i]);
    }
    /* canonical integers are stored compactly: "127" is one byte + backlen */
    unsigned char *small = lp_append(lp_new(0), "127", 3);
    assert_int_equal(lp_bytes(small), LP_HDR + 2 + 1);
    lp_free(small);
    /* non-canonical stays a string */
    unsigned char *s = lp_append(lp_new(0), "007", 3);
    lp_val v;
    lp_get(lp_first(s), &v);
    assert_non_null(v.s);
    assert_false(lp_eq(lp_first(s), "7", 1));
    lp_free(s);
    lp_free(lp);
}

int main(void)
{
    tier_init_default();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_encoding),
        cmocka_unit_test(test_random_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
