/* test_tiering_types.c -- the migration callbacks of lists, hashes, sets and
 * sorted sets, driven step by step with a tiny budget: a value too big for
 * one step is finished over many steps from the cursor each step hands back,
 * also when the value changes between steps or its table is caught in a
 * rehash; every element keeps its bytes; usage and tier reports follow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfg.h"
#include "db.h"
#include "intset.h"
#include "server.h"
#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"
#include "tier.h"
#include "tiering.h"
#include "zset.h"

typedef void between_fn(kv *e, int step);

/* Migrate e to `to` in steps of budget_us, calling between() after every
 * step that stopped part-way.  Returns the number of steps. */
static int migrate_all(kv *e, tier_id to, uint64_t budget_us, between_fn *between)
{
    const tiering_type_ops *o = tiering_type_get(e->type);
    assert_non_null(o);
    tier_migrate_plan plan = {.from = to == TIER_PMEM ? TIER_DRAM : TIER_PMEM, .to = to, .want_bytes = UINT64_MAX,
                              .min_size = 0, .max_size = SIZE_MAX};
    uint64_t cursor = 0;
    int n = 0;
    for (;;) {
        plan.deadline_us = tier_now_us() + budget_us;
        tiering_step st = {.plan = &plan, .deadline_us = plan.deadline_us, .cursor = cursor};
        o->migrate(e, &st);
        n++;
        if (!st.partial) break;
        assert_true(st.stop);
        cursor = st.cursor;
        if (between) between(e, n);
        assert_true(n < 2000000);
    }
    return n;
}

static const char *tier_name(kv *e) { return tiering_value_tier(e); }

/* ---- hashes ------------------------------------------------------------------- */

#define HN 6000
static int hver[HN + 2000];     /* model: version of field i, -1 absent */

static size_t hval(char *buf, int i, int ver)
{
    int n = snprintf(buf, 512, "value-%d-%d-", i, ver);
    int len = 80 + (i * 7) % 300;
    memset(buf + n, 'a' + i % 26, (size_t)(len - n));
    return (size_t)len;
}

static void hput(hash_ref *h, int i, int ver)
{
    char f[32], v[512];
    int fl = snprintf(f, sizeof f, "field:%d", i);
    hash_set(h, f, (size_t)fl, v, hval(v, i, ver));
    hver[i] = ver;
}

static void hcheck(kv *e)
{
    hash_ref h = {e->enc, e->ptr};
    unsigned long want = 0;
    for (int i = 0; i < (int)(sizeof hver / sizeof hver[0]); i++) {
        char f[32], v[512], ib[32];
        int fl = snprintf(f, sizeof f, "field:%d", i);
        const char *got;
        size_t gl;
        int has = hash_get(&h, f, (size_t)fl, &got, &gl, ib);
        if (hver[i] < 0) {
            assert_int_equal(has, 0);
            continue;
        }
        want++;
        assert_int_equal(has, 1);
        size_t vl = hval(v, i, hver[i]);
        assert_int_equal(gl, vl);
        assert_memory_equal(got, v, vl);
    }
    assert_int_equal(hash_len(&h), want);
}

static void hash_mutate(kv *e, int step)
{
    hash_ref h = {e->enc, e->ptr};
    int base = (step * 13) % HN;
    hput(&h, base, step);                              /* value changes (may realloc) */
    hput(&h, HN + step % 2000, step);                  /* new field: the table may grow */
    char f[32];
    int victim = (base + 1000) % HN;
    int fl = snprintf(f, sizeof f, "field:%d", victim);
    if (hver[victim] >= 0) {
        hash_del(&h, f, (size_t)fl);
        hver[victim] = -1;
    }
    e->ptr = h.ptr;
}

static kv *make_hash(void)
{
    for (size_t i = 0; i < sizeof hver / sizeof hver[0]; i++) hver[i] = -1;
    hash_ref h = hash_new();
    for (int i = 0; i < HN; i++) hput(&h, i, 0);
    assert_int_equal(h.enc, ENC_HT);
    return hash_kv_new("h", 1, h);
}

static void test_hash_over_many_steps(void **state)
{
    (void)state;
    kv *e = make_hash();
    assert_string_equal(tier_name(e), "dram");
    int steps = migrate_all(e, TIER_PMEM, 20, NULL);
    assert_true(steps > 5);
    assert_string_equal(tier_name(e), "pmem");
    hcheck(e);
    uint64_t b[TIER_COUNT] = {0, 0};
    tiering_value_usage(e, 0, b);
    assert_true(b[TIER_PMEM] >= (uint64_t)HN * 80);
    assert_true(b[TIER_DRAM] >= (uint64_t)HN * sizeof(hash_node));   /* nodes + table are metadata */
    /* and back, while the hash changes between steps */
    steps = migrate_all(e, TIER_DRAM, 20, hash_mutate);
    assert_true(steps > 5);
    assert_string_equal(tier_name(e), "dram");
    hcheck(e);
    kv_free(e);
}

static void test_hash_caught_in_rehash(void **state)
{
    (void)state;
    kv *e = make_hash();
    /* a big expand leaves the table rehashing until commands touch it,
     * with elements in both arrays: the walk finishes the rehash (metadata
     * only) over its steps, then moves every element */
    dict_expand(e->ptr, 1u << 18);
    assert_true(dict_is_rehashing((dict *)e->ptr));
    int steps = migrate_all(e, TIER_PMEM, 20, NULL);
    assert_true(steps > 2);
    assert_false(dict_is_rehashing((dict *)e->ptr));
    assert_string_equal(tier_name(e), "pmem");
    hcheck(e);
    migrate_all(e, TIER_DRAM, 1000, NULL);
    kv_free(e);
}

/* ---- lists --------------------------------------------------------------------- */

#define LN 30000

struct lcheck {
    long i;
    long first;
};

static int list_visit(void *priv, const char *s, size_t len)
{
    struct lcheck *c = priv;
    char buf[64];
    int n = snprintf(buf, sizeof buf, "element-%ld-", c->first + c->i);
    assert_true(len == (size_t)n + 30);
    assert_memory_equal(s, buf, (size_t)n);
    c->i++;
    return 0;
}

static long list_first;

static void lpush_el(quicklist *ql, long v, int where)
{
    char buf[96];
    int n = snprintf(buf, sizeof buf, "element-%ld-", v);
    memset(buf + n, 'x', 30);
    ql_push(ql, where, buf, (size_t)n + 30);
}

static void list_mutate(kv *e, int step)
{
    quicklist *ql = e->ptr;
    (void)step;
    lpush_el(ql, --list_first, QL_HEAD);      /* shifts every node index */
    lpush_el(ql, list_first + (long)ql_count(ql), QL_TAIL);
}

static void test_list_over_many_steps(void **state)
{
    (void)state;
    server.cfg.list_max_listpack_size = -1;    /* 4 KB nodes: many blocks */
    quicklist *ql = list_new();
    list_first = 0;
    for (long i = 0; i < LN; i++) lpush_el(ql, i, QL_TAIL);
    assert_true(ql->len > 100);
    kv *e = list_kv_new("l", 1, ql);
    int steps = migrate_all(e, TIER_PMEM, 15, list_mutate);
    assert_true(steps > 2);
    /* pushes meanwhile shifted node indexes and placed new bytes by the
     * policy (DRAM): a later walk finds what this one missed */
    migrate_all(e, TIER_PMEM, 1000, NULL);
    assert_string_equal(tier_name(e), "pmem");
    struct lcheck c = {0, list_first};
    list_foreach(e->ptr, list_visit, &c);
    assert_int_equal(c.i, (long)ql_count(e->ptr));
    assert_int_equal(c.i, LN + 2 * (steps - 1));
    migrate_all(e, TIER_DRAM, 1000, NULL);
    assert_string_equal(tier_name(e), "dram");
    kv_free(e);
}

/* ---- sets and sorted sets -------------------------------------------------------- */

#define SN 5000

static void test_set_and_zset_over_many_steps(void **state)
{
    (void)state;
    setval s;
    setval_new(&s, "m", 1);
    zobj z;
    zobj_new(&z, SN, 100);
    char m[128];
    for (int i = 0; i < SN; i++) {
        int n = snprintf(m, sizeof m, "member-%d-%0*d", i, 60 + i % 40, i);
        setval_add(&s, m, (size_t)n);
        zobj_set(&z, m, (size_t)n, (double)(i % 97));
    }
    assert_int_equal(s.enc, ENC_HT);
    assert_int_equal(z.enc, ENC_SKIPLIST);
    kv *se = kv_new("s", 1, OBJ_SET, s.enc, s.ptr);
    kv *ze = kv_new("z", 1, OBJ_ZSET, z.enc, z.ptr);
    assert_true(migrate_all(se, TIER_PMEM, 20, NULL) > 2);
    assert_true(migrate_all(ze, TIER_PMEM, 20, NULL) > 2);
    assert_string_equal(tier_name(se), "pmem");
    assert_string_equal(tier_name(ze), "pmem");
    zobj zz = {ze->enc, ze->ptr};
    setval ss = {se->enc, se->ptr};
    assert_true(zobj_valid(&zz));
    for (int i = 0; i < SN; i++) {
        int n = snprintf(m, sizeof m, "member-%d-%0*d", i, 60 + i % 40, i);
        double sc;
        assert_true(setval_has(&ss, m, (size_t)n));
        assert_true(zobj_score(&zz, m, (size_t)n, &sc));
        assert_true(sc == (double)(i % 97));
    }
    kv_free(se);
    kv_free(ze);
}

static void test_single_block_values(void **state)
{
    (void)state;
    /* intset, compact zset, listpack hash: one block each */
    setval s;
    setval_new(&s, "1", 1);
    for (int i = 0; i < 300; i++) {
        char b[16];
        int n = snprintf(b, sizeof b, "%d", i * 1000);
        setval_add(&s, b, (size_t)n);
    }
    assert_int_equal(s.enc, ENC_INTSET);
    zobj z;
    zobj_new(&z, 3, 8);
    zobj_set(&z, "a", 1, 1);
    zobj_set(&z, "b", 1, 2);
    hash_ref h = hash_new();
    hash_set(&h, "f", 1, "v", 1);
    kv *v[3] = {kv_new("s", 1, OBJ_SET, s.enc, s.ptr), kv_new("z", 1, OBJ_ZSET, z.enc, z.ptr), hash_kv_new("h", 1, h)};
    for (int k = 0; k < 3; k++) {
        assert_string_equal(tier_name(v[k]), "dram");
        assert_int_equal(migrate_all(v[k], TIER_PMEM, 1000, NULL), 1);
        assert_string_equal(tier_name(v[k]), "pmem");
    }
    setval ss = {v[0]->enc, v[0]->ptr};
    assert_true(setval_has(&ss, "299000", 6));
    assert_int_equal(setval_size(&ss), 300);
    zobj zz = {v[1]->enc, v[1]->ptr};
    double sc;
    assert_true(zobj_score(&zz, "b", 1, &sc) && sc == 2);
    hash_ref hh = {v[2]->enc, v[2]->ptr};
    const char *got;
    size_t gl;
    char ib[32];
    assert_true(hash_get(&hh, "f", 1, &got, &gl, ib) && gl == 1 && got[0] == 'v');
    for (int k = 0; k < 3; k++) kv_free(v[k]);
}

static int setup(void **state)
{
    (void)state;
    tier_init_default();
    tiering_register();
    char err[256];
    assert_int_equal(cfg_load(NULL, 0, NULL, err, sizeof err), 0);
    server.cfg.hash_max_listpack_entries = 128;
    server.cfg.hash_max_listpack_value = 64;
    server.cfg.set_max_intset_entries = 512;
    server.cfg.zset_max_listpack_entries = 128;
    server.cfg.zset_max_listpack_value = 64;
    server.cfg.list_max_listpack_size = -2;
    list_register_type();
    hash_register_type();
    t_set_register();
    t_zset_register();
    tiering_types_register();
    tier_config c;
    tier_config_defaults(&c);
    c.kind = TIER_KIND_EMULATED;
    c.size = 256u << 20;
    c.policy = TIER_POLICY_ONLY_DRAM;
    assert_int_equal(tier_init(&c, err, sizeof err), TIER_OK);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_over_many_steps),
        cmocka_unit_test(test_hash_caught_in_rehash),
        cmocka_unit_test(test_list_over_many_steps),
        cmocka_unit_test(test_set_and_zset_over_many_steps),
        cmocka_unit_test(test_single_block_values),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
