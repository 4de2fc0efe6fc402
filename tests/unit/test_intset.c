/* test_intset.c -- the packed integer set: random adds/removes across the
 * 16/32/64-bit widths checked against a sorted-array model, and the
 * set-value layer's intset -> hash table conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "db.h"
#include "intset.h"
#include "server.h"
#include "t_set.h"
#include "tier.h"
#include "util.h"

#define MODEL_MAX 4096
static int64_t model[MODEL_MAX];
static uint32_t model_len;

static int64_t model_find(int64_t v)
{
    for (uint32_t i = 0; i < model_len; i++)
        if (model[i] == v) return i;
    return -1;
}
static int model_add(int64_t v)
{
    if (model_find(v) >= 0) return 0;
    uint32_t i = model_len;
    while (i > 0 && model[i - 1] > v) { model[i] = model[i - 1]; i--; }
    model[i] = v;
    model_len++;
    return 1;
}
static int model_remove(int64_t v)
{
    int64_t i = model_find(v);
    if (i < 0) return 0;
    memmove(model + i, model + i + 1, (model_len - (uint32_t)i - 1) * sizeof(int64_t));
    model_len--;
    return 1;
}

static int64_t pick_value(int phase)
{
    uint64_t r = util_rand64();
    switch (phase) {
    case 0: return (int64_t)(r % 200) - 100;                 /* 16-bit */
    case 1: return (int64_t)(r % 2000000) - 1000000;         /* 32-bit */
    default: return (r & 1) ? (int64_t)r : (int64_t)(r % 300) - 150;
    }
}

static void check_equal(const intset *s)
{
    assert_true(intset_valid(s));
    assert_int_equal(intset_len(s), model_len);
    for (uint32_t i = 0; i < model_len; i++) assert_true(intset_get(s, i) == model[i]);
}

static void test_random_against_model(void **state)
{
    (void)state;
    intset *s = intset_new();
    model_len = 0;
    for (int step = 0; step < 30000; step++) {
        int phase = step < 10000 ? 0 : step < 20000 ? 1 : 2;
        int64_t v = pick_value(phase);
        int r;
        if (util_rand64() % 3 == 0 && model_len) {
            /* remove an existing one half of the time */
            if (util_rand64() & 1) v = model[util_rand64() % model_len];
            s = intset_remove(s, v, &r);
            assert_int_equal(r, model_remove(v));
        } else if (model_len < MODEL_MAX) {
            s = intset_add(s, v, &r);
            assert_int_equal(r, model_add(v));
        }
        assert_int_equal(intset_find(s, v), model_find(v) >= 0);
        if (step % 500 == 0) check_equal(s);
    }
    check_equal(s);
    intset *d = intset_dup(s);
    check_equal(d);
    intset_free(d);
    intset_free(s);
}

static void test_width_upgrade(void **state)
{
    (void)state;
    intset *s = intset_new();
    int r;
    s = intset_add(s, 5, &r);
    s = intset_add(s, -3, &r);
    assert_int_equal(s->width, 2);
    s = intset_add(s, 70000, &r);
    assert_int_equal(s->width, 4);
    s = intset_add(s, INT64_MIN, &r);
    assert_int_equal(s->width, 8);
    s = intset_add(s, INT64_MAX, &r);
    assert_int_equal(intset_len(s), 5);
    assert_true(intset_get(s, 0) == INT64_MIN);
    assert_true(intset_get(s, 1) == -3);
    assert_true(intset_get(s, 4) == INT64_MAX);
    assert_true(intset_valid(s));
    /* a value wider than the set cannot be in it */
    intset *t = intset_new();
    t = intset_add(t, 1, &r);
    assert_false(intset_find(t, 1LL << 40));
    t = intset_remove(t, 1LL << 40, &r);
    assert_int_equal(r, 0);
    intset_free(t);
    intset_free(s);
}

static void test_setval_conversion(void **state)
{
    (void)state;
    server.cfg.set_max_intset_entries = 64;
    setval s;
    setval_new(&s, "1", 1);
    assert_int_equal(s.enc, ENC_INTSET);
    char buf[32];
    for (int i = 0; i < 64; i++) {
        size_t n = (size_t)snprintf(buf, sizeof(buf), "%d", i * 7 - 100);
        assert_int_equal(setval_add(&s, buf, n), 1);
    }
    assert_int_equal(s.enc, ENC_INTSET);
    /* non-canonical integers are strings */
    assert_int_equal(setval_add(&s, "007", 3), 1);
    assert_int_equal(s.enc, ENC_HT);
    assert_int_equal(setval_size(&s), 65);
    for (int i = 0; i < 64; i++) {
        size_t n = (size_t)snprintf(buf, sizeof(buf), "%d", i * 7 - 100);
        assert_true(setval_has(&s, buf, n));
    }
    /* too many integers convert as well */
    setval t;
    setval_new(&t, "1", 1);
    for (int i = 0; i < 65; i++) {
        size_t n = (size_t)snprintf(buf, sizeof(buf), "%d", i);
        setval_add(&t, buf, n);
    }
    assert_int_equal(t.enc, ENC_HT);
    assert_int_equal(setval_size(&t), 65);
    /* iteration visits each member once */
    setval_iter it;
    const char *p;
    size_t len;
    int seen = 0;
    setval_iter_init(&it, &t);
    while (setval_iter_next(&it, &p, &len)) seen++;
    setval_iter_release(&it);
    assert_int_equal(seen, 65);
    void *dup = setval_dup(t.enc, t.ptr);
    setval d = {.enc = t.enc, .ptr = dup};
    assert_int_equal(setval_size(&d), 65);
    assert_int_equal(setval_remove(&d, "3", 1), 1);
    assert_false(setval_has(&d, "3", 1));
    assert_true(setval_has(&t, "3", 1));
    setval_free(d.enc, d.ptr);
    setval_free(t.enc, t.ptr);
    setval_free(s.enc, s.ptr);
}

int main(void)
{
    tier_init_default();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_width_upgrade),
        cmocka_unit_test(test_setval_conversion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
