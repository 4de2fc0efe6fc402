/* test_types.c -- the list and hash C API other modules build on (RDB load,
 * migration): building values, visiting them, conversion at the configured
 * limits without losing a pair, and deep copies through the keyspace's
 * registered dup/free functions. */
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
#include "t_hash.h"
#include "t_list.h"
#include "tier.h"

struct acc {
    int n;
    long sum;
};

static int count_pair(void *priv, const char *f, size_t fl, const char *v, size_t vl)
{
    struct acc *a = priv;
    char fb[32], vb[32];
    /* the bytes are not NUL-terminated */
    assert_true(fl > 1 && fl < sizeof fb && vl < sizeof vb && f[0] == 'f');
    memcpy(fb, f, fl);
    fb[fl] = 0;
    memcpy(vb, v, vl);
    vb[vl] = 0;
    assert_int_equal(atoi(fb + 1) * 3, atoi(vb));
    a->n++;
    a->sum += atoi(vb);
    return 0;
}

static void test_hash_conversion_keeps_pairs(void **state)
{
    (void)state;
    server.cfg.hash_max_listpack_entries = 8;
    server.cfg.hash_max_listpack_value = 16;
    hash_ref h = hash_new();
    char f[32], v[32];
    long want = 0;
    for (int i = 0; i < 8; i++) {
        int fl = snprintf(f, sizeof f, "f%d", i), vl = snprintf(v, sizeof v, "%d", i * 3);
        assert_int_equal(hash_set(&h, f, (size_t)fl, v, (size_t)vl), 1);
        want += i * 3;
    }
    assert_int_equal(h.enc, ENC_LISTPACK);
    assert_int_equal(hash_set(&h, "f1", 2, "3", 1), 0);        /* update, no growth */
    assert_int_equal(h.enc, ENC_LISTPACK);
    assert_int_equal(hash_set(&h, "f8", 2, "24", 2), 1);       /* 9th entry converts */
    want += 24;
    assert_int_equal(h.enc, ENC_HT);
    struct acc a = {0, 0};
    hash_foreach(&h, count_pair, &a);
    assert_int_equal(a.n, 9);
    assert_int_equal(a.sum, want);
    /* copy through the keyspace's dup function, then free both */
    hash_register_type();
    kv *e = hash_kv_new("k", 1, h);
    kv *c = kv_dup_with_key(e, "c", 1);
    assert_ptr_not_equal(c->ptr, e->ptr);
    kv_free(e);
    hash_ref hc = {c->enc, c->ptr};
    const char *val;
    size_t vl;
    char ib[32];
    assert_true(hash_get(&hc, "f8", 2, &val, &vl, ib));
    assert_memory_equal(val, "24", 2);
    assert_true(hash_del(&hc, "f8", 2));
    assert_false(hash_del(&hc, "f8", 2));
    assert_int_equal(hash_len(&hc), 8);
    c->ptr = hc.ptr;
    kv_free(c);

    /* a long value converts at once */
    hash_ref g = hash_new();
    hash_set(&g, "a", 1, "1", 1);
    hash_set(&g, "b", 1, "0123456789abcdefX", 17);
    assert_int_equal(g.enc, ENC_HT);
    assert_true(hash_get(&g, "a", 1, &val, &vl, ib) && vl == 1 && val[0] == '1');
    hash_free(g.enc, g.ptr);
}

static int collect(void *priv, const char *s, size_t len)
{
    struct acc *a = priv;
    char b[32];
    assert_true(len < sizeof b);
    memcpy(b, s, len);
    b[len] = 0;
    assert_int_equal(atoi(b), a->n);
    a->n++;
    return a->n == 5000 ? 7 : 0;
}

static void test_list_build_and_visit(void **state)
{
    (void)state;
    server.cfg.list_max_listpack_size = -1;
    list_register_type();
    quicklist *ql = list_new();
    char buf[32];
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(buf, sizeof buf, "%d", i);
        list_append(ql, buf, (size_t)n);
    }
    assert_true(ql->len > 1);
    kv *e = list_kv_new("l", 1, ql);
    kv *c = kv_dup_with_key(e, "m", 1);
    kv_free(e);
    struct acc a = {0, 0};
    assert_int_equal(list_foreach(c->ptr, collect, &a), 7);      /* stops early */
    assert_int_equal(a.n, 5000);
    assert_true(ql_validate(c->ptr));
    kv_free(c);
}

int main(void)
{
    tier_init_default();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_conversion_keeps_pairs),
        cmocka_unit_test(test_list_build_and_visit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
