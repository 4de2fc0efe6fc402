/* test_tier.c -- the tier allocator: accounting, placement per policy,
 * threshold-crossing realloc, PMem-full overflow, migration, run-time
 * setters, kind availability.
 *
 * Counters are process-wide, so every test compares against a baseline
 * taken at its start and must free what it allocated.  Each test that
 * opens a PMem tier closes it in teardown.
 *
 * The kmem-dax checks run in a child process re-executed from this binary
 * (--kmem-probe): memkind decides a kind's nodes once per process, so
 * "without MEMKIND_DAX_KMEM_NODES" and "with it" cannot share a process.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"             /* HAVE_MEMKIND */
#endif
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tier.h"

static char err[512];
static char self_path[4096];

static tier_stats base;

static int setup(void **state)
{
    tier_init_default();
    tier_get_stats(&base);
    return 0;
}

static int teardown(void **state)
{
    int rc = tier_shutdown(err, sizeof(err));
    if (rc != TIER_OK) fprintf(stderr, "teardown: %s\n", err);
    return rc == TIER_OK ? 0 : -1;
}

static void open_emulated(uint64_t size, tier_policy pol, uint64_t static_thr)
{
    tier_config c;
    tier_config_defaults(&c);
    c.kind = TIER_KIND_EMULATED;
    c.size = size;
    c.policy = pol;
    c.static_threshold = static_thr;
    int rc = tier_init(&c, err, sizeof(err));
    if (rc != TIER_OK) fprintf(stderr, "tier_init: %s\n", err);
    assert_int_equal(rc, TIER_OK);
}

/* Counter deltas since the test's baseline. */
static int64_t d_used(tier_id t)
{
    tier_stats s;
    tier_get_stats(&s);
    return (int64_t)(s.used[t] - base.used[t]);
}

static int64_t d_user(tier_id t)
{
    tier_stats s;
    tier_get_stats(&s);
    return (int64_t)(s.user[t] - base.user[t]);
}

static int64_t d_blocks(tier_id t)
{
    tier_stats s;
    tier_get_stats(&s);
    return (int64_t)(s.allocs[t] - base.allocs[t]);
}

static void assert_back_to_base(void)
{
    for (int t = 0; t < TIER_COUNT; t++) {
        assert_int_equal(d_used((tier_id)t), 0);
        assert_int_equal(d_user((tier_id)t), 0);
        assert_int_equal(d_blocks((tier_id)t), 0);
    }
}

/* ---- DRAM only -------------------------------------------------------------- */

static void test_dram_accounting(void **state)
{
    void *m = tier_dram_malloc(100);
    void *z = tier_dram_calloc(1000);
    void *u = tier_malloc(5000);
    assert_int_equal(tier_of(m), TIER_DRAM);
    assert_int_equal(tier_of(u), TIER_DRAM);
    for (int i = 0; i < 1000; i++) assert_int_equal(((char *)z)[i], 0);
    size_t sm = tier_usable_size(m), sz = tier_usable_size(z), su = tier_usable_size(u);
    assert_true(sm >= 100 && sz >= 1000 && su >= 5000);
    assert_int_equal(d_used(TIER_DRAM), (int64_t)(sm + sz + su));
    assert_int_equal(d_user(TIER_DRAM), (int64_t)su);
    assert_int_equal(d_blocks(TIER_DRAM), 3);

    m = tier_dram_realloc(m, 10000);
    u = tier_realloc(u, 50);
    assert_int_equal(d_used(TIER_DRAM),
                     (int64_t)(tier_usable_size(m) + sz + tier_usable_size(u)));
    assert_int_equal(d_user(TIER_DRAM), (int64_t)tier_usable_size(u));

    char *s = tier_dram_strdup("hello");
    assert_string_equal(s, "hello");
    tier_dram_free(s);
    tier_dram_free(m);
    tier_dram_free(z);
    tier_free(u);
    tier_free(NULL);
    tier_dram_free(NULL);
    assert_back_to_base();

    /* No PMem tier: every policy but only-dram is refused. */
    tier_info in;
    tier_get_info(&in);
    assert_string_equal(in.kind_name, "none");
    assert_int_equal(in.threshold, UINT64_MAX);
    assert_int_equal(tier_set_policy(TIER_POLICY_RATIO, err, sizeof(err)), TIER_EINVAL);
    assert_non_null(strstr(err, "pmem-kind"));
    assert_true(tier_places_on_dram(1 << 30));
}

/* ---- emulated: placement and accounting ------------------------------------ */

static void test_threshold_placement_and_accounting(void **state)
{
    open_emulated(64 << 20, TIER_POLICY_THRESHOLD, 1024);
    tier_info in;
    tier_get_info(&in);
    assert_string_equal(in.kind_name, "emulated");
    assert_string_equal(in.policy_name, "threshold");
    assert_int_equal(in.threshold, 1024);
    assert_int_equal(in.fork_safe, 1);
    assert_true(in.capacity >= 64 << 20);

    assert_true(tier_places_on_dram(1023));
    assert_false(tier_places_on_dram(1024));

    enum { N = 200 };
    void *p[N];
    uint64_t want[TIER_COUNT] = {0, 0};
    for (int i = 0; i < N; i++) {
        size_t n = (size_t)(16 + (i * 397) % 8000);
        p[i] = tier_malloc(n);
        memset(p[i], i, n);
        tier_id t = tier_of(p[i]);
        assert_int_equal(t, n >= 1024 ? TIER_PMEM : TIER_DRAM);
        want[t] += tier_usable_size(p[i]);
    }
    assert_int_equal(d_user(TIER_DRAM), (int64_t)want[TIER_DRAM]);
    assert_int_equal(d_user(TIER_PMEM), (int64_t)want[TIER_PMEM]);
    assert_int_equal(d_used(TIER_PMEM), (int64_t)want[TIER_PMEM]);
    /* Metadata never lands on PMem, whatever its size. */
    void *meta = tier_dram_malloc(1 << 20);
    assert_int_equal(tier_of(meta), TIER_DRAM);
    assert_int_equal(d_user(TIER_DRAM), (int64_t)want[TIER_DRAM]);
    tier_dram_free(meta);

    /* Half freed with the lookup, half with the known tier. */
    for (int i = 0; i < N; i++) {
        if (i % 2)
            tier_free(p[i]);
        else
            tier_free_known(p[i], tier_of(p[i]));
    }
    assert_back_to_base();
}

/* Every request size, on both tiers and for metadata: the counters take
 * the usable size jemalloc really gave (the allocator computes it from the
 * request, not from the block). */
static void test_every_size_counted_at_usable(void **state)
{
    open_emulated(64 << 20, TIER_POLICY_THRESHOLD, 2048);
    for (size_t n = 0; n <= 4096 + 300; n++) {
        size_t req = n < 4200 ? n : n * 37;     /* and some past the table */
        void *u = tier_malloc(req);
        void *m = tier_dram_malloc(req);
        tier_id t = tier_of(u);
        assert_int_equal(t, req >= 2048 ? TIER_PMEM : TIER_DRAM);
        assert_int_equal(d_user(t), (int64_t)tier_usable_size(u));
        assert_int_equal(d_used(TIER_DRAM),
                         (int64_t)(tier_usable_size(m) + (t == TIER_DRAM ? tier_usable_size(u) : 0)));
        tier_free(u);
        tier_dram_free(m);
        assert_back_to_base();
    }
}

static void test_realloc_crosses_threshold(void **state)
{
    open_emulated(64 << 20, TIER_POLICY_THRESHOLD, 4096);
    tier_stats s0, s1;
    tier_get_stats(&s0);

    char *p = tier_malloc(100);
    assert_int_equal(tier_of(p), TIER_DRAM);
    for (int i = 0; i < 100; i++) p[i] = (char)i;

    p = tier_realloc(p, 10000);                 /* grows past: to PMem */
    assert_int_equal(tier_of(p), TIER_PMEM);
    for (int i = 0; i < 100; i++) assert_int_equal(p[i], (char)i);
    assert_int_equal(d_user(TIER_DRAM), 0);
    assert_int_equal(d_user(TIER_PMEM), (int64_t)tier_usable_size(p));
    memset(p + 100, 7, 9900);

    p = tier_realloc(p, 20000);                 /* stays on PMem */
    assert_int_equal(tier_of(p), TIER_PMEM);
    assert_int_equal(p[5000], 7);
    assert_int_equal(d_user(TIER_PMEM), (int64_t)tier_usable_size(p));

    p = tier_realloc(p, 50);                    /* shrinks below: back to DRAM */
    assert_int_equal(tier_of(p), TIER_DRAM);
    for (int i = 0; i < 50; i++) assert_int_equal(p[i], (char)i);
    assert_int_equal(d_user(TIER_PMEM), 0);
    assert_int_equal(d_user(TIER_DRAM), (int64_t)tier_usable_size(p));

    tier_get_stats(&s1);
    assert_true(s1.realloc_moved_bytes[TIER_PMEM] > s0.realloc_moved_bytes[TIER_PMEM]);
    assert_true(s1.realloc_moved_bytes[TIER_DRAM] > s0.realloc_moved_bytes[TIER_DRAM]);

    /* realloc(NULL) allocates by policy. */
    void *q = tier_realloc(NULL, 8192);
    assert_int_equal(tier_of(q), TIER_PMEM);
    tier_free(q);
    tier_free(p);
    assert_back_to_base();
}

static void test_policies(void **state)
{
    open_emulated(64 << 20, TIER_POLICY_ONLY_PMEM, 0);
    void *a = tier_malloc(1);
    assert_int_equal(tier_of(a), TIER_PMEM);
    assert_false(tier_places_on_dram(1));

    assert_int_equal(tier_set_policy(TIER_POLICY_ONLY_DRAM, err, sizeof(err)), TIER_OK);
    void *b = tier_malloc(1 << 20);
    assert_int_equal(tier_of(b), TIER_DRAM);

    /* threshold policy needs a threshold */
    assert_int_equal(tier_set_policy(TIER_POLICY_THRESHOLD, err, sizeof(err)), TIER_EINVAL);
    assert_non_null(strstr(err, "static-threshold"));
    assert_int_equal(tier_set_static_threshold(500, err, sizeof(err)), TIER_OK);
    assert_int_equal(tier_set_policy(TIER_POLICY_THRESHOLD, err, sizeof(err)), TIER_OK);
    assert_true(tier_places_on_dram(499));
    assert_false(tier_places_on_dram(500));
    /* ... and cannot lose it while in use */
    assert_int_equal(tier_set_static_threshold(0, err, sizeof(err)), TIER_EINVAL);
    assert_false(tier_places_on_dram(500));

    /* ratio starts at the (clamped) initial threshold */
    assert_int_equal(tier_set_initial_threshold(2000, err, sizeof(err)), TIER_OK);
    assert_int_equal(tier_set_policy(TIER_POLICY_RATIO, err, sizeof(err)), TIER_OK);
    tier_info in;
    tier_get_info(&in);
    assert_int_equal(in.threshold, 2000);
    assert_string_equal(in.policy_name, "ratio");
    assert_true(in.target_share > 0.19 && in.target_share < 0.21);   /* default 1:4 */
    assert_int_equal(in.threshold_min, 0);                           /* default floor */
    assert_int_equal(tier_set_threshold_bounds(64, 1 << 30, err, sizeof(err)), TIER_OK);
    assert_int_equal(tier_set_initial_threshold(10, err, sizeof(err)), TIER_OK);
    tier_get_info(&in);
    assert_int_equal(in.threshold, in.threshold_min);                /* clamped */
    assert_int_equal(tier_set_threshold_bounds(0, 1 << 30, err, sizeof(err)), TIER_OK);

    tier_free(a);
    tier_free(b);
    assert_back_to_base();
}

/* Every setter: refused values change nothing. */
static void test_setters_validate(void **state)
{
    open_emulated(32 << 20, TIER_POLICY_RATIO, 0);
    tier_info before, after;
    tier_get_info(&before);

    assert_int_equal(tier_set_ratio(0, 4, err, sizeof(err)), TIER_EINVAL);
    assert_int_equal(tier_set_ratio(1, 0, err, sizeof(err)), TIER_EINVAL);
    assert_int_equal(tier_set_ratio(-1, 4, err, sizeof(err)), TIER_EINVAL);
    assert_non_null(strstr(err, "positive"));
    assert_int_equal(tier_set_threshold_bounds(5000, 100, err, sizeof(err)), TIER_EINVAL);
    assert_non_null(strstr(err, "above"));
    assert_int_equal(tier_set_threshold_bounds(-1, 100, err, sizeof(err)), TIER_EINVAL);
    assert_int_equal(tier_set_static_threshold(-5, err, sizeof(err)), TIER_EINVAL);
    assert_int_equal(tier_set_initial_threshold(-5, err, sizeof(err)), TIER_EINVAL);
    assert_int_equal(tier_set_period(0, err, sizeof(err)), TIER_EINVAL);
    assert_int_equal(tier_set_period(-100, err, sizeof(err)), TIER_EINVAL);
    assert_int_equal(tier_set_policy((tier_policy)42, err, sizeof(err)), TIER_EINVAL);
    assert_int_equal(tier_set_policy(TIER_POLICY_THRESHOLD, err, sizeof(err)), TIER_EINVAL);
    /* NULL error buffer is allowed */
    assert_int_equal(tier_set_ratio(0, 0, NULL, 0), TIER_EINVAL);

    tier_get_info(&after);
    assert_memory_equal(&before, &after, sizeof(before));

    assert_int_equal(tier_set_ratio(3, 2, err, sizeof(err)), TIER_OK);
    assert_int_equal(tier_set_threshold_bounds(100, 100000, err, sizeof(err)), TIER_OK);
    assert_int_equal(tier_set_period(250, err, sizeof(err)), TIER_OK);
    tier_get_info(&after);
    assert_true(after.target_share > 0.59 && after.target_share < 0.61);
    assert_int_equal(after.threshold_min, 100);
    assert_int_equal(after.threshold_max, 100000);
    assert_int_equal(after.period_ms, 250);

    /* name parsers */
    tier_kind k;
    tier_policy p;
    tier_variant v;
    assert_int_equal(tier_kind_parse("kmem-dax", &k, err, sizeof(err)), TIER_OK);
    assert_int_equal(k, TIER_KIND_KMEM_DAX);
    assert_int_equal(tier_policy_parse("Ratio", &p, err, sizeof(err)), TIER_OK);
    assert_int_equal(p, TIER_POLICY_RATIO);
    assert_int_equal(tier_variant_parse("multiple", &v, err, sizeof(err)), TIER_OK);
    assert_int_equal(tier_kind_parse("optane", &k, err, sizeof(err)), TIER_EINVAL);
    assert_non_null(strstr(err, "emulated"));
}

static void test_init_errors(void **state)
{
    tier_config c;
    tier_config_defaults(&c);
    c.size = 1 << 20;                                   /* below 16 MiB */
    assert_int_equal(tier_init(&c, err, sizeof(err)), TIER_EINVAL);
    assert_non_null(strstr(err, "pmem-size"));

    tier_config_defaults(&c);
    c.ratio_dram = 0;
    assert_int_equal(tier_init(&c, err, sizeof(err)), TIER_EINVAL);

    tier_config_defaults(&c);
    c.threshold_min = 10;
    c.threshold_max = 5;
    assert_int_equal(tier_init(&c, err, sizeof(err)), TIER_EINVAL);

    tier_config_defaults(&c);
    c.kind = TIER_KIND_NONE;                            /* ratio without PMem */
    assert_int_equal(tier_init(&c, err, sizeof(err)), TIER_EINVAL);
    assert_non_null(strstr(err, "only-dram"));

    tier_config_defaults(&c);
    c.policy = TIER_POLICY_THRESHOLD;                   /* without a threshold */
    assert_int_equal(tier_init(&c, err, sizeof(err)), TIER_EINVAL);

    tier_config_defaults(&c);
    c.kind = TIER_KIND_FSDAX;
    c.dir = "/nonexistent/pmem";
    c.size = 32 << 20;
    int rc = tier_init(&c, err, sizeof(err));
    assert_true(rc == TIER_EINVAL || rc == TIER_ENOTSUP);

    /* Nothing was opened by any of these. */
    tier_info in;
    tier_get_info(&in);
    assert_string_equal(in.kind_name, "none");
    assert_string_equal(in.policy_name, "only-dram");

    /* Opening twice is refused until shutdown. */
    open_emulated(16 << 20, TIER_POLICY_ONLY_PMEM, 0);
    tier_config_defaults(&c);
    assert_int_equal(tier_init(&c, err, sizeof(err)), TIER_EBUSY);
    /* Shutdown refuses while PMem blocks live. */
    void *p = tier_malloc(100);
    assert_int_equal(tier_of(p), TIER_PMEM);
    assert_int_equal(tier_shutdown(err, sizeof(err)), TIER_EBUSY);
    tier_free(p);
}

/* ---- PMem full ---------------------------------------------------------------- */

static void test_pmem_full_overflows_to_dram(void **state)
{
    open_emulated(16 << 20, TIER_POLICY_ONLY_PMEM, 0);
    tier_stats s0, s1;
    tier_get_stats(&s0);
    enum { N = 40 };
    void *p[N];
    int on_dram = 0;
    for (int i = 0; i < N; i++) {                       /* 40 MiB into 16 */
        p[i] = tier_malloc(1 << 20);
        memset(p[i], 1, 1 << 20);
        if (tier_of(p[i]) == TIER_DRAM) on_dram++;
    }
    assert_true(on_dram >= N - 16);
    tier_get_stats(&s1);
    assert_true(s1.used[TIER_PMEM] <= (16 << 20));
    assert_int_equal(s1.pmem_overflow_count - s0.pmem_overflow_count, (uint64_t)on_dram);
    assert_true(s1.pmem_overflow_bytes - s0.pmem_overflow_bytes >= (uint64_t)on_dram << 20);
    uint64_t dram_bytes = 0;
    for (int i = 0; i < N; i++)
        if (tier_of(p[i]) == TIER_DRAM) dram_bytes += tier_usable_size(p[i]);
    assert_int_equal(d_user(TIER_DRAM), (int64_t)dram_bytes);

    /* A PMem block that cannot grow in place leaves for DRAM, intact. */
    int pm = -1;
    for (int i = 0; i < N; i++)
        if (tier_of(p[i]) == TIER_PMEM) pm = i;
    assert_true(pm >= 0);
    ((char *)p[pm])[12345] = 42;
    p[pm] = tier_realloc(p[pm], 8 << 20);
    assert_int_equal(tier_of(p[pm]), TIER_DRAM);
    assert_int_equal(((char *)p[pm])[12345], 42);

    /* tier_move to a full PMem fails and leaves the block alone. */
    void *d = p[pm];
    assert_null(tier_move(d, TIER_PMEM));
    assert_int_equal(tier_of(d), TIER_DRAM);

    for (int i = 0; i < N; i++) tier_free(p[i]);
    assert_back_to_base();

    /* Room again: PMem is used again. */
    void *q = tier_malloc(1 << 20);
    assert_int_equal(tier_of(q), TIER_PMEM);
    tier_free(q);
}

/* ---- controller tick and migration ------------------------------------------ */

static void test_tick_moves_threshold(void **state)
{
    open_emulated(64 << 20, TIER_POLICY_RATIO, 0);
    assert_int_equal(tier_set_period(100, err, sizeof(err)), TIER_OK);
    tier_info in;
    tier_get_info(&in);
    uint64_t t0 = in.threshold;
    /* Everything on DRAM (small values): the threshold must come down. */
    enum { N = 1000 };
    void *p[N];
    tier_stats st0, st;
    tier_get_stats(&st0);
    for (int i = 0; i < N; i++) p[i] = tier_malloc(200);
    assert_int_equal(tier_tick(1000), 1);
    tier_get_info(&in);
    assert_true(in.threshold < t0);
    tier_get_stats(&st);
    assert_int_equal(st.ctl_ticks - st0.ctl_ticks, 1);
    uint64_t t1 = in.threshold;
    /* Within the period: nothing happens. */
    assert_int_equal(tier_tick(1050), 0);
    tier_get_info(&in);
    assert_int_equal(in.threshold, t1);
    tier_get_stats(&st);
    assert_int_equal(st.ctl_ticks - st0.ctl_ticks, 1);
    /* Another 1000 placements: the second such tick in a row computes the
     * threshold from their sizes, so the whole band goes below 200 at once. */
    void *q[N];
    for (int i = 0; i < N; i++) q[i] = tier_malloc(200);
    assert_int_equal(tier_tick(1100), 1);
    tier_get_info(&in);
    assert_true(in.threshold + in.threshold / 3 <= 200 + 1);
    tier_get_stats(&st);
    assert_int_equal(st.ctl_ticks - st0.ctl_ticks, 2);
    assert_int_equal(st.ctl_ticks_placed - st0.ctl_ticks_placed, 1);
    for (int i = 0; i < N; i++) tier_free(q[i]);
    /* Other policies: no controller. */
    assert_int_equal(tier_set_policy(TIER_POLICY_ONLY_DRAM, err, sizeof(err)), TIER_OK);
    assert_int_equal(tier_tick(5000), 0);
    for (int i = 0; i < N; i++) tier_free(p[i]);
    assert_back_to_base();
}

/* One value size only (a cache of 4 KiB pages, a benchmark's -d): a hard
 * threshold can put all of them on one tier or all on the other, never a
 * share in between.  Overwrites under the ratio policy, the controller
 * ticking, and no migration: the share must still settle on the target. */
static void test_ratio_holds_with_one_value_size(void **state)
{
    open_emulated(256 << 20, TIER_POLICY_RATIO, 0);
    static const long parts[][2] = {{1, 1}, {1, 4}, {3, 1}};
    enum { N = 4000, SZ = 4096, PER_TICK = 400 };
    static void *v[N];
    for (int i = 0; i < N; i++) v[i] = tier_malloc(SZ);
    uint64_t now = 1000, rng = 12345;
    for (unsigned k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
        assert_int_equal(tier_set_ratio(parts[k][0], parts[k][1], err, sizeof(err)), TIER_OK);
        double target = (double)parts[k][0] / (double)(parts[k][0] + parts[k][1]);
        double worst = 0;
        for (int tick = 0; tick < 400; tick++) {
            for (int j = 0; j < PER_TICK; j++) {   /* 10% of the values rewritten per tick */
                rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                int i = (int)((rng >> 33) % N);
                tier_free(v[i]);
                v[i] = tier_malloc(SZ);
            }
            tier_tick(now += 100);
            if (tick >= 300) {   /* the last 10 s: settled, and staying there */
                tier_info in;
                tier_get_info(&in);
                double e = fabs(in.dram_share - target);
                if (e > worst) worst = e;
            }
        }
        if (worst > 0.02) fprintf(stderr, "target %.2f: worst error %.3f\n", target, worst);
        assert_true(worst <= 0.02);
    }
    for (int i = 0; i < N; i++) tier_free(v[i]);
    assert_back_to_base();
}

/* The soft band without frees: the share of PMem placements is the ramp's
 * P within the debt bound (16 blocks), not a coin's spread.  At t = 4096
 * the band is [3072, 5461), so 4800 bytes go to PMem with P = 1728/2389. */
static void test_band_placement_follows_ramp_exactly(void **state)
{
    open_emulated(64 << 20, TIER_POLICY_RATIO, 0);
    enum { N = 4000, SZ = 4800 };
    static void *v[N];
    tier_info in;
    tier_get_info(&in);
    assert_int_equal(in.threshold, 4096);
    int on_pmem = 0;
    for (int i = 0; i < N; i++) {
        v[i] = tier_malloc(SZ);
        on_pmem += tier_of(v[i]) == TIER_PMEM;
    }
    double want = (double)N * (SZ - 3072) / (5461 - 3072);
    if (fabs(on_pmem - want) > 17) fprintf(stderr, "on PMem %d, want %.1f\n", on_pmem, want);
    assert_true(fabs(on_pmem - want) <= 17);
    tier_get_stats(&in.stats);
    assert_int_equal(in.stats.band_placements - base.band_placements, N);
    for (int i = 0; i < N; i++) tier_free(v[i]);
    assert_back_to_base();
}

/* Overwrites of one value size inside the band, in the server's order (the
 * new value is allocated, then the old one freed), must reuse the tier of
 * the block just freed: a coin per block sent 2P(1-P) of them (32% at 1:4)
 * to the other tier, so neither tier's thread cache got its block back and
 * 4 KiB SETs lost 5-10% of throughput in jemalloc's slab path.  And the
 * ratio must still hold while they do. */
static void test_band_overwrite_reuses_freed_tier(void **state)
{
    open_emulated(256 << 20, TIER_POLICY_RATIO, 0);
    enum { N = 4000, SZ = 4101, PER_TICK = 400, TICKS = 300 };
    static void *v[N];
    for (int i = 0; i < N; i++) v[i] = tier_malloc(SZ);
    uint64_t now = 1000, rng = 777;
    long switched = 0, overwrites = 0;
    double worst = 0;
    for (int tick = 0; tick < TICKS; tick++) {
        for (int j = 0; j < PER_TICK; j++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            int i = (int)((rng >> 33) % N);
            void *nw = tier_malloc(SZ);
            if (tick >= TICKS / 2) {
                /* the block freed just before this allocation */
                static tier_id last_freed = TIER_COUNT;
                if (last_freed != TIER_COUNT) {
                    overwrites++;
                    switched += tier_of(nw) != last_freed;
                }
                last_freed = tier_of(v[i]);
            }
            tier_free(v[i]);
            v[i] = nw;
        }
        tier_tick(now += 100);
        if (getenv("TIER_TRACE")) {
            tier_info in;
            tier_get_info(&in);
            tier_stats st;
            tier_get_stats(&st);
            fprintf(stderr, "tick %d thr %llu share %.4f forced %llu placed %llu\n", tick,
                    (unsigned long long)in.threshold, in.dram_share,
                    (unsigned long long)st.band_forced, (unsigned long long)st.ctl_ticks_placed);
        }
        if (tick >= TICKS / 2) {
            tier_info in;
            tier_get_info(&in);
            double e = fabs(in.dram_share - 0.2);
            if (e > worst) worst = e;
        }
    }
    tier_stats st;
    tier_get_stats(&st);
    fprintf(stderr, "  switched tier on %ld of %ld overwrites; worst share error %.3f; "
            "band %llu reused %llu forced %llu\n", switched, overwrites, worst,
            (unsigned long long)(st.band_placements - base.band_placements),
            (unsigned long long)(st.band_reused - base.band_reused),
            (unsigned long long)(st.band_forced - base.band_forced));
    assert_true(overwrites > 50000);
    assert_true(switched * 20 < overwrites);        /* under 5% (1.5% now; a coin: 32%) */
    assert_true(worst <= 0.02);
    for (int i = 0; i < N; i++) tier_free(v[i]);
    assert_back_to_base();
}

/* A tick comes early, once the placements since the last one are an
 * eighth of the user data and enough to steer by; not for a few big
 * blocks (the integral controller would run many times a period), and not
 * within the same millisecond. */
static void test_tick_comes_early_on_placements(void **state)
{
    open_emulated(256 << 20, TIER_POLICY_RATIO, 0);
    assert_int_equal(tier_set_period(100, err, sizeof(err)), TIER_OK);
    tier_stats st0, st;
    tier_tick(1000);
    tier_get_stats(&st0);
    assert_false(tier_tick_due());
    enum { N = 4000 };
    static void *v[N];
    for (int i = 0; i < N; i++) v[i] = tier_malloc(300);     /* 1.2 MB */
    assert_true(tier_tick_due());
    tier_tick(1000);                                          /* same ms: no */
    tier_get_stats(&st);
    assert_int_equal(st.ctl_ticks - st0.ctl_ticks, 0);
    tier_tick(1001);
    tier_get_stats(&st);
    assert_int_equal(st.ctl_ticks - st0.ctl_ticks, 1);
    assert_false(tier_tick_due());                            /* counted afresh */
    /* two blocks of 8 MB: a lot of bytes, too few blocks */
    void *big1 = tier_malloc(8 << 20), *big2 = tier_malloc(8 << 20);
    assert_false(tier_tick_due());
    tier_tick(1002);
    tier_get_stats(&st);
    assert_int_equal(st.ctl_ticks - st0.ctl_ticks, 1);
    tier_free(big1);
    tier_free(big2);
    /* other policies place by no controller */
    assert_int_equal(tier_set_policy(TIER_POLICY_ONLY_DRAM, err, sizeof(err)), TIER_OK);
    void *w[N];
    for (int i = 0; i < N; i++) w[i] = tier_malloc(300);
    assert_false(tier_tick_due());
    for (int i = 0; i < N; i++) tier_free(w[i]);
    for (int i = 0; i < N; i++) tier_free(v[i]);
    assert_back_to_base();
}

/* Anti-windup: with nothing allocated and nothing migrated, an error the
 * threshold cannot serve drives it to the end of the useful range (3/4 and
 * 4/3 of the sizes seen, the soft band's reach), not to 0 or 1 GiB. */
static void test_threshold_stays_within_sizes_seen(void **state)
{
    open_emulated(64 << 20, TIER_POLICY_ONLY_PMEM, 0);
    enum { N = 500 };
    void *v[N];
    for (int i = 0; i < N; i++) v[i] = tier_malloc(1000);
    assert_int_equal(d_user(TIER_DRAM), 0);
    assert_int_equal(tier_set_ratio(4, 1, err, sizeof(err)), TIER_OK);
    assert_int_equal(tier_set_policy(TIER_POLICY_RATIO, err, sizeof(err)), TIER_OK);
    uint64_t now = 1000;
    tier_info in;
    for (int t = 0; t < 60; t++) tier_tick(now += 100);
    tier_get_info(&in);
    assert_int_equal(in.threshold, 1000 + 1000 / 3 + 2);   /* not dynamic-threshold-max */
    for (int i = 0; i < N; i++) tier_free(v[i]);

    assert_int_equal(tier_set_policy(TIER_POLICY_ONLY_DRAM, err, sizeof(err)), TIER_OK);
    for (int i = 0; i < N; i++) v[i] = tier_malloc(1000);
    assert_int_equal(tier_set_ratio(1, 4, err, sizeof(err)), TIER_OK);
    assert_int_equal(tier_set_policy(TIER_POLICY_RATIO, err, sizeof(err)), TIER_OK);
    for (int t = 0; t < 60; t++) tier_tick(now += 100);
    tier_get_info(&in);
    assert_int_equal(in.threshold, 1000 - 1000 / 4);        /* not dynamic-threshold-min */
    for (int i = 0; i < N; i++) tier_free(v[i]);
    assert_back_to_base();
}

/* The server's side of migration, modelled by an array of values. */
typedef struct keyspace {
    void **v;
    int n;
    int cursor;
} keyspace;

static uint64_t walk_and_move(const tier_migrate_plan *plan, void *arg)
{
    keyspace *ks = arg;
    uint64_t moved = 0;
    for (int seen = 0; seen < ks->n && moved < plan->want_bytes; seen++) {
        int i = ks->cursor;
        ks->cursor = (ks->cursor + 1) % ks->n;
        if (!tier_migrate_candidate(plan, ks->v[i])) continue;
        void *q = tier_move(ks->v[i], plan->to);
        if (!q) break;
        ks->v[i] = q;
        moved += tier_usable_size(q);
        if (tier_now_us() >= plan->deadline_us) break;
    }
    return moved;
}

static void test_move_and_migrate(void **state)
{
    open_emulated(64 << 20, TIER_POLICY_ONLY_PMEM, 0);
    enum { N = 300 };
    void *v[N];
    for (int i = 0; i < N; i++) {
        v[i] = tier_malloc(3000);
        memset(v[i], i & 0xff, 3000);
    }
    assert_int_equal(d_user(TIER_DRAM), 0);

    /* tier_move keeps contents and usable size, counts bytes moved. */
    tier_stats s0, s1;
    tier_get_stats(&s0);
    size_t us = tier_usable_size(v[0]);
    void *q = tier_move(v[0], TIER_DRAM);
    assert_non_null(q);
    assert_int_equal(tier_of(q), TIER_DRAM);
    assert_true(tier_usable_size(q) >= us);
    assert_int_equal(((unsigned char *)q)[2999], 0);
    assert_ptr_equal(tier_move(q, TIER_DRAM), q);        /* already there */
    v[0] = q;
    tier_get_stats(&s1);
    assert_int_equal(s1.migrated_bytes[TIER_DRAM] - s0.migrated_bytes[TIER_DRAM],
                     tier_usable_size(q));

    /* Policy switched to only-dram: the plan says bring it all back. */
    assert_int_equal(tier_set_policy(TIER_POLICY_ONLY_DRAM, err, sizeof(err)), TIER_OK);
    tier_migrate_plan plan;
    assert_int_equal(tier_migrate_plan_get(&plan), 1);
    assert_int_equal(plan.from, TIER_PMEM);
    assert_int_equal(plan.to, TIER_DRAM);
    assert_int_equal(plan.want_bytes, (uint64_t)d_user(TIER_PMEM));

    keyspace ks = {v, N, 0};
    uint64_t total = 0;
    for (int step = 0; step < 100 && d_user(TIER_PMEM) > 0; step++)
        total += tier_migrate(300, walk_and_move, &ks);   /* 300 us per tick */
    assert_int_equal(d_user(TIER_PMEM), 0);
    assert_true(total > 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(tier_of(v[i]), TIER_DRAM);
        assert_int_equal(((unsigned char *)v[i])[1234], i & 0xff);
    }
    assert_int_equal(tier_migrate_plan_get(&plan), 0);
    assert_int_equal(tier_migrate(300, walk_and_move, &ks), 0);

    /* Ratio policy pinned at its lower bound with too much on DRAM:
     * migration to PMem of values the policy may place there, i.e. from
     * the low edge of its soft band (3/4 of the threshold) up. */
    assert_int_equal(tier_set_threshold_bounds(1000, 1000, err, sizeof(err)), TIER_OK);
    assert_int_equal(tier_set_policy(TIER_POLICY_RATIO, err, sizeof(err)), TIER_OK);
    assert_int_equal(tier_migrate_plan_get(&plan), 1);
    assert_int_equal(plan.from, TIER_DRAM);
    assert_int_equal(plan.to, TIER_PMEM);
    assert_int_equal(plan.min_size, 750);
    for (int step = 0; step < 100 && tier_migrate(300, walk_and_move, &ks) > 0; step++) {
    }
    tier_info in;
    tier_get_info(&in);
    assert_true(fabs(in.dram_share - 0.2) <= 0.02);

    for (int i = 0; i < N; i++) tier_free(v[i]);
    assert_back_to_base();
}

/* ---- fork, maxmemory, threads --------------------------------------------- */

static void test_fork_sees_frozen_emulated_pmem(void **state)
{
    open_emulated(32 << 20, TIER_POLICY_ONLY_PMEM, 0);
    assert_int_equal(tier_pmem_fork_safe(), 1);
    char *p = tier_malloc(4096);
    assert_int_equal(tier_of(p), TIER_PMEM);
    memset(p, 'a', 4096);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        close(pfd[1]);
        if (read(pfd[0], &c, 1) != 1) _exit(2);     /* parent has written */
        _exit(p[100] == 'a' ? 0 : 1);
    }
    close(pfd[0]);
    memset(p, 'b', 4096);
    assert_int_equal(write(pfd[1], "x", 1), 1);
    close(pfd[1]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    tier_free(p);
}

static void test_maxmemory(void **state)
{
    uint64_t used, excess;
    assert_int_equal(tier_maxmemory_exceeded(0, &used, &excess), 0);
    assert_int_equal(used, tier_used_total());
    void *p = tier_malloc(1 << 20);
    uint64_t u = tier_used_total();
    assert_int_equal(tier_maxmemory_exceeded(u - 100, &used, &excess), 1);
    assert_int_equal(excess, 100);
    assert_int_equal(tier_maxmemory_exceeded(u, NULL, NULL), 0);
    tier_free(p);
}

static void *thread_churn(void *arg)
{
    void *user[32] = {0}, *meta[32] = {0};
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (int i = 0; i < 20000; i++) {
        int k = (int)(rand_r(&seed) % 32), op = (int)(rand_r(&seed) % 3);
        size_t n = 16 + rand_r(&seed) % 20000;
        void **v = rand_r(&seed) % 2 ? &user[k] : &meta[k];
        int is_user = v == &user[k];
        if (!*v)
            *v = is_user ? tier_malloc(n) : tier_dram_malloc(n);
        else if (op == 0)
            is_user ? tier_free(*v) : tier_dram_free(*v), *v = NULL;
        else
            *v = is_user ? tier_realloc(*v, n) : tier_dram_realloc(*v, n);
    }
    for (int k = 0; k < 32; k++) {
        tier_free(user[k]);
        tier_dram_free(meta[k]);
    }
    return NULL;
}

static void test_threads_keep_counters_exact(void **state)
{
    open_emulated(256 << 20, TIER_POLICY_THRESHOLD, 4096);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, thread_churn, (void *)(uintptr_t)(i + 1)),
                         0);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    assert_back_to_base();
}

/* ---- other kinds -------------------------------------------------------------- */

/* Child mode: open kmem-dax; exit 0 and print the backend, or exit 3 and
 * print the error. */
static int kmem_probe(const char *variant, const char *nodes)
{
    tier_config c;
    tier_config_defaults(&c);
    c.kind = TIER_KIND_KMEM_DAX;
    c.size = 0;
    c.policy = TIER_POLICY_ONLY_PMEM;
    if (strcmp(variant, "multiple") == 0) c.variant = TIER_VARIANT_MULTIPLE;
    c.nodes = nodes && *nodes ? nodes : NULL;
    if (tier_init(&c, err, sizeof(err)) != TIER_OK) {
        printf("%s\n", err);
        return 3;
    }
    void *p = tier_malloc(1 << 20);
    memset(p, 1, 1 << 20);
    int ok = tier_of(p) == TIER_PMEM;
    tier_info in;
    tier_get_info(&in);
    printf("%s capacity %llu\n", in.backend, (unsigned long long)in.capacity);
    tier_free(p);
    return ok && tier_shutdown(err, sizeof(err)) == TIER_OK ? 0 : 4;
}

/* Run this binary as a probe with env_nodes as MEMKIND_DAX_KMEM_NODES
 * (NULL: unset).  Returns the exit status; output into out. */
static int run_probe(const char *env_nodes, const char *variant, const char *cfg_nodes,
                     char *out, size_t outlen)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        if (env_nodes)
            setenv("MEMKIND_DAX_KMEM_NODES", env_nodes, 1);
        else
            unsetenv("MEMKIND_DAX_KMEM_NODES");
        execl(self_path, self_path, "--kmem-probe", variant, cfg_nodes, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < outlen && (r = read(pfd[0], out + got, outlen - got - 1)) > 0)
        got += (size_t)r;
    out[got] = 0;
    close(pfd[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_kmem_dax_availability(void **state)
{
    char out[1024];
#ifdef HAVE_MEMKIND
    /* This machine has one ordinary NUMA node: no KMEM-DAX node is found. */
    int rc = run_probe(NULL, "single", "", out, sizeof(out));
    printf("  no env:                %s", out);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(out, "KMEM-DAX"));
    assert_non_null(strstr(out, "emulated"));              /* says what to set instead */

    rc = run_probe("0", "single", "", out, sizeof(out));
    printf("  MEMKIND_DAX_KMEM_NODES=0: %s", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "memkind-dax-kmem"));

    rc = run_probe("0", "multiple", "", out, sizeof(out));
    printf("  multiple, env 0:       %s", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "memkind-dax-kmem-all"));

    rc = run_probe(NULL, "single", "0", out, sizeof(out));  /* pmem-nodes 0 */
    printf("  pmem-nodes 0:          %s", out);
    assert_int_equal(rc, 0);

    rc = run_probe(NULL, "single", "7", out, sizeof(out));  /* no such node */
    printf("  pmem-nodes 7:          %s", out);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(out, "node 7"));

    rc = run_probe("0", "single", "1", out, sizeof(out));   /* contradiction */
    assert_int_equal(rc, 3);
#else
    int rc = run_probe("0", "single", "", out, sizeof(out));
    printf("  without memkind: %s", out);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(out, "memkind"));
#endif
}

static void test_fsdax_on_a_directory(void **state)
{
    char dir[] = "/tmp/tier-fsdax-XXXXXX";
    assert_non_null(mkdtemp(dir));
    tier_config c;
    tier_config_defaults(&c);
    c.kind = TIER_KIND_FSDAX;
    c.dir = dir;
    c.size = 32 << 20;
    c.policy = TIER_POLICY_ONLY_PMEM;
    int rc = tier_init(&c, err, sizeof(err));
#ifdef HAVE_MEMKIND
    if (rc != TIER_OK) fprintf(stderr, "fsdax: %s\n", err);
    assert_int_equal(rc, TIER_OK);
    assert_int_equal(tier_pmem_fork_safe(), 0);            /* shared file mapping */
    tier_info in;
    tier_get_info(&in);
    assert_string_equal(in.kind_name, "fsdax");
    assert_string_equal(in.dir, dir);
    assert_int_equal(in.fork_safe, 0);
    char *p = tier_malloc(100000);
    assert_int_equal(tier_of(p), TIER_PMEM);
    memset(p, 3, 100000);
    p = tier_realloc(p, 200000);
    assert_int_equal(p[99999], 3);
    assert_int_equal(d_user(TIER_PMEM), (int64_t)tier_usable_size(p));
    tier_free(p);
    assert_back_to_base();
    assert_int_equal(tier_shutdown(err, sizeof(err)), TIER_OK);
#else
    assert_int_equal(rc, TIER_ENOTSUP);
#endif
    rmdir(dir);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--kmem-probe") == 0)
        return kmem_probe(argv[2], argc >= 4 ? argv[3] : NULL);

    ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
    if (n <= 0) return 1;
    self_path[n] = 0;

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dram_accounting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threshold_placement_and_accounting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_size_counted_at_usable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_realloc_crosses_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setters_validate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pmem_full_overflows_to_dram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tick_comes_early_on_placements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tick_moves_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ratio_holds_with_one_value_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_band_placement_follows_ramp_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_band_overwrite_reuses_freed_tier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threshold_stays_within_sizes_seen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_and_migrate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_sees_frozen_emulated_pmem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maxmemory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_keep_counters_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kmem_dax_availability, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsdax_on_a_directory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
