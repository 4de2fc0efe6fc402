/* test_dict.c -- the intrusive hash table: add/find/unlink against a model,
 * and the SCAN guarantee across growing and shrinking rehashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dict.h"
#include "tier.h"

typedef struct node {
    dict_node link;
    int id;
    char key[16];
    size_t klen;
} node;

static const char *node_key(const dict_node *n, size_t *len)
{
    const node *x = (const node *)n;
    *len = x->klen;
    return x->key;
}
static const dict_type type = {.key = node_key};

#define N 20000
static node nodes[N];

static void make(int i)
{
    nodes[i].id = i;
    nodes[i].klen = (size_t)snprintf(nodes[i].key, sizeof(nodes[i].key), "k%d", i);
}

static void test_add_find_unlink(void **state)
{
    (void)state;
    dict d;
    dict_init(&d, &type);
    for (int i = 0; i < N; i++) {
        make(i);
        dict_add(&d, &nodes[i].link);
    }
    assert_int_equal(dict_size(&d), N);
    for (int i = 0; i < N; i++) {
        node *x = (node *)dict_find(&d, nodes[i].key, nodes[i].klen);
        assert_non_null(x);
        assert_int_equal(x->id, i);
    }
    assert_null(dict_find(&d, "nope", 4));
    for (int i = 0; i < N; i += 2) assert_ptr_equal(dict_unlink(&d, nodes[i].key, nodes[i].klen), &nodes[i].link);
    assert_int_equal(dict_size(&d), N / 2);
    for (int i = 0; i < N; i++) {
        dict_node *x = dict_find(&d, nodes[i].key, nodes[i].klen);
        if (i % 2) assert_non_null(x);
        else assert_null(x);
    }
    /* iterate: every node once */
    dict_iter it;
    dict_iter_init(&it, &d);
    int count = 0;
    while (dict_iter_next(&it)) count++;
    dict_iter_release(&it);
    assert_int_equal(count, N / 2);
    dict_clear(&d, NULL, NULL);
}

static unsigned char seen[N];
static void mark(void *priv, dict_node *n)
{
    (void)priv;
    seen[((node *)n)->id] = 1;
}

/* Keys present for the whole scan are returned, while the table grows and
 * shrinks between calls. */
static void test_scan_across_rehash(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        dict d;
        dict_init(&d, &type);
        int stable = 1000;
        for (int i = 0; i < stable; i++) {
            make(i);
            dict_add(&d, &nodes[i].link);
        }
        if (mode == 1) {
            /* start big so the table shrinks during the scan */
            for (int i = stable; i < N; i++) { make(i); dict_add(&d, &nodes[i].link); }
            while (dict_rehash_step(&d, 1000)) {}
        }
        memset(seen, 0, sizeof(seen));
        uint64_t cursor = 0;
        int next = stable, calls = 0;
        do {
            cursor = dict_scan(&d, cursor, mark, NULL);
            calls++;
            if (mode == 0) {
                /* grow: add keys, forcing expansions mid-scan */
                for (int k = 0; k < 50 && next < N; k++, next++) { make(next); dict_add(&d, &nodes[next].link); }
            } else {
                for (int k = 0; k < 200 && next < N; k++, next++) dict_unlink(&d, nodes[next].key, nodes[next].klen);
                dict_try_shrink(&d);
            }
            dict_rehash_step(&d, 1);
        } while (cursor != 0 && calls < 1000000);
        for (int i = 0; i < stable; i++) assert_true(seen[i]);
        dict_clear(&d, NULL, NULL);
    }
}

static void test_random(void **state)
{
    (void)state;
    dict d;
    dict_init(&d, &type);
    assert_null(dict_random(&d));
    for (int i = 0; i < 100; i++) { make(i); dict_add(&d, &nodes[i].link); }
    int hits[100] = {0};
    for (int i = 0; i < 10000; i++) hits[((node *)dict_random(&d))->id]++;
    for (int i = 0; i < 100; i++) assert_true(hits[i] > 0);
    dict_clear(&d, NULL, NULL);
}

int main(void)
{
    tier_init_default();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_find_unlink),
        cmocka_unit_test(test_scan_across_rehash),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
