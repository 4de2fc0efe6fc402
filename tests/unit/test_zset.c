/* test_zset.c -- sorted-set values: random inserts, score changes,
 * deletions, rank and range queries and range deletions on the compact
 * and the skiplist encodings, checked against a sorted-array model after
 * every step, plus conversions in both directions. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "db.h"
#include "server.h"
#include "tier.h"
#include "util.h"
#include "zset.h"

typedef struct elem {
    char m[24];
    size_t len;
    double score;
} elem;

#define MAXM 600
static elem model[MAXM];
static int model_len;

static int cmp_elem(const void *a, const void *b)
{
    const elem *x = a, *y = b;
    return zobj_cmp(x->score, x->m, x->len, y->score, y->m, y->len);
}
static int model_find(const char *m, size_t len)
{
    for (int i = 0; i < model_len; i++)
        if (model[i].len == len && memcmp(model[i].m, m, len) == 0) return i;
    return -1;
}
static void model_sort(void) { qsort(model, (size_t)model_len, sizeof(elem), cmp_elem); }

static void check_equal(const zobj *z)
{
    assert_true(zobj_valid(z));
    assert_int_equal(zobj_len(z), (uint64_t)model_len);
    zit it;
    int i = 0;
    for (zit_seek(&it, z, 0); zit_valid(&it); zit_next(&it), i++) {
        const char *m;
        size_t len;
        double sc;
        zit_get(&it, &m, &len, &sc);
        assert_int_equal(len, model[i].len);
        assert_memory_equal(m, model[i].m, len);
        assert_true(sc == model[i].score);
    }
    assert_int_equal(i, model_len);
    /* backwards from the last rank */
    if (model_len) {
        i = model_len - 1;
        for (zit_seek(&it, z, (uint64_t)model_len - 1); zit_valid(&it); zit_prev(&it), i--) {
            const char *m;
            size_t len;
            double sc;
            zit_get(&it, &m, &len, &sc);
            assert_int_equal(len, model[i].len);
            assert_memory_equal(m, model[i].m, len);
        }
        assert_int_equal(i, -1);
    }
}

static int below_score(const char *m, size_t len, double s, void *priv)
{
    (void)m, (void)len;
    return s < *(double *)priv;
}

static void random_ops(int enc, int steps)
{
    zobj z;
    zobj_new(&z, enc == ENC_LISTPACK ? 0 : UINT64_MAX, 0);
    assert_int_equal(z.enc, enc);
    model_len = 0;
    int maxn = enc == ENC_LISTPACK ? 100 : MAXM;
    for (int step = 0; step < steps; step++) {
        elem e;
        e.len = (size_t)snprintf(e.m, sizeof(e.m), "m%d", (int)(util_rand64() % (uint64_t)(maxn * 2)));
        e.score = (double)(int)(util_rand64() % 50) / 2.0;
        int op = (int)(util_rand64() % 10);
        int at = model_find(e.m, e.len);
        if (op < 6) {
            if (at < 0 && model_len >= maxn) continue;
            if (at < 0 && (step & 1)) {
                zobj_add_absent(&z, e.m, e.len, e.score);
            } else {
                int added = zobj_set(&z, e.m, e.len, e.score);
                assert_int_equal(added, at < 0);
            }
            if (at < 0) model[model_len++] = e;
            else model[at].score = e.score;
            model_sort();
        } else if (op < 8) {
            assert_int_equal(zobj_del(&z, e.m, e.len), at >= 0);
            if (at >= 0) {
                model[at] = model[model_len - 1];
                model_len--;
                model_sort();
            }
        } else if (op < 9) {
            /* delete a small rank range */
            if (!model_len) continue;
            uint64_t a = util_rand64() % (uint64_t)model_len;
            /* sometimes from rank 0 and longer, as ZPOPMIN and ZREMRANGEBYRANK */
            if (step % 3 == 0) a = 0;
            uint64_t b = a + util_rand64() % (step % 5 == 0 ? 40 : 4);
            if (b > (uint64_t)model_len) b = (uint64_t)model_len;
            zobj_delete_range(&z, a, b);
            memmove(model + a, model + b, (size_t)((uint64_t)model_len - b) * sizeof(elem));
            model_len -= (int)(b - a);
        } else {
            /* rank and score lookups */
            double s;
            assert_int_equal(zobj_score(&z, e.m, e.len, &s), at >= 0);
            if (at >= 0) {
                assert_true(s == model[at].score);
                assert_int_equal(zobj_rank(&z, e.m, e.len, s), (uint64_t)at);
            }
            double bound = e.score;
            uint64_t expect = 0;
            for (int i = 0; i < model_len; i++)
                if (model[i].score < bound) expect++;
            assert_int_equal(zobj_count_prefix(&z, below_score, &bound), expect);
        }
        assert_int_equal(z.enc, enc);
        if (step % 50 == 0 || steps < 2000) check_equal(&z);
    }
    check_equal(&z);
    void *d = zobj_dup(z.enc, z.ptr);
    zobj dz = {.enc = z.enc, .ptr = d};
    check_equal(&dz);
    zobj_free(dz.enc, dz.ptr);
    zobj_free(z.enc, z.ptr);
}

static void test_compact_random(void **state)
{
    (void)state;
    server.cfg.zset_max_listpack_entries = 1000;
    server.cfg.zset_max_listpack_value = 64;
    random_ops(ENC_LISTPACK, 20000);
}

static void test_skiplist_random(void **state)
{
    (void)state;
    server.cfg.zset_max_listpack_entries = 128;
    server.cfg.zset_max_listpack_value = 64;
    random_ops(ENC_SKIPLIST, 20000);
}

static void test_conversions(void **state)
{
    (void)state;
    server.cfg.zset_max_listpack_entries = 16;
    server.cfg.zset_max_listpack_value = 8;
    zobj z;
    zobj_new(&z, 1, 1);
    assert_int_equal(z.enc, ENC_LISTPACK);
    model_len = 0;
    for (int i = 0; i < 16; i++) {
        elem e;
        e.len = (size_t)snprintf(e.m, sizeof(e.m), "e%d", i);
        e.score = (double)(i % 5);
        zobj_set(&z, e.m, e.len, e.score);
        model[model_len++] = e;
    }
    model_sort();
    assert_int_equal(z.enc, ENC_LISTPACK);
    check_equal(&z);
    /* the 17th element converts, losing nothing */
    elem e = {.len = 3, .score = -1};
    memcpy(e.m, "new", 3);
    zobj_set(&z, e.m, e.len, e.score);
    model[model_len++] = e;
    model_sort();
    assert_int_equal(z.enc, ENC_SKIPLIST);
    check_equal(&z);
    /* shrinking back only when everything fits */
    zobj_del(&z, "new", 3);
    model_len = 0;
    for (int i = 0; i < 16; i++) {
        elem x;
        x.len = (size_t)snprintf(x.m, sizeof(x.m), "e%d", i);
        x.score = (double)(i % 5);
        model[model_len++] = x;
    }
    model_sort();
    zobj_shrink_if_fits(&z);
    assert_int_equal(z.enc, ENC_LISTPACK);
    check_equal(&z);
    /* a long member converts too */
    zobj_set(&z, "a-long-member", 13, 2.5);
    assert_int_equal(z.enc, ENC_SKIPLIST);
    assert_int_equal(zobj_len(&z), 17);
    zobj_shrink_if_fits(&z);
    assert_int_equal(z.enc, ENC_SKIPLIST);
    assert_true(zobj_valid(&z));
    zobj_free(z.enc, z.ptr);
    /* zero entries allowed means never compact */
    server.cfg.zset_max_listpack_entries = 0;
    zobj_new(&z, 0, 0);
    assert_int_equal(z.enc, ENC_SKIPLIST);
    zobj_free(z.enc, z.ptr);
}

static void test_infinities_and_ties(void **state)
{
    (void)state;
    server.cfg.zset_max_listpack_entries = 128;
    server.cfg.zset_max_listpack_value = 64;
    for (int enc = 0; enc < 2; enc++) {
        zobj z;
        zobj_new(&z, enc ? UINT64_MAX : 0, 0);
        zobj_set(&z, "b", 1, INFINITY);
        zobj_set(&z, "a", 1, INFINITY);
        zobj_set(&z, "c", 1, -INFINITY);
        zobj_set(&z, "", 0, 0);
        assert_true(zobj_valid(&z));
        zit it;
        const char *m;
        size_t len;
        double sc;
        zit_seek(&it, &z, 0);
        zit_get(&it, &m, &len, &sc);
        assert_true(len == 1 && m[0] == 'c');
        zit_seek(&it, &z, 1);
        zit_get(&it, &m, &len, &sc);
        assert_int_equal(len, 0);
        zit_seek(&it, &z, 2);
        zit_get(&it, &m, &len, &sc);
        assert_true(m[0] == 'a' && isinf(sc));
        zit_seek(&it, &z, 4);
        assert_false(zit_valid(&it));
        zobj_free(z.enc, z.ptr);
    }
}

int main(void)
{
    tier_init_default();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_random),
        cmocka_unit_test(test_skiplist_random),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_infinities_and_ties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
