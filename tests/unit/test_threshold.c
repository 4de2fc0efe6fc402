/* test_threshold.c -- the dynamic threshold controller against simulated
 * workloads.
 *
 * The simulator is a model of the keyspace as the allocator sees it: a set
 * of live values with sizes, each on DRAM or PMem.  A new value goes to
 * PMem iff size >= threshold; a value grown by realloc across the
 * threshold moves (as tier_realloc does); deletes free.  The controller
 * ticks every `ops_per_tick` operations.  Success means the DRAM share of
 * user bytes gets within 2 percentage points of the target and stays
 * there for the rest of the run.
 *
 * Populations are 100,000 values: with far fewer, values of up to 64 KiB
 * make the share random-walk by +-1.5 points at a fixed threshold, which
 * is sampling noise no controller can remove.  Turnover per tick spans
 * 0.3% (read-mostly) to 60% (write-heavy).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "threshold.h"

#define TOL 0.02

/* ---- simulator ------------------------------------------------------------ */

typedef struct sim {
    uint64_t rng;
    size_t n, cap;
    uint64_t *size;
    uint8_t *pm;               /* 1: on PMem */
    uint64_t user[2];          /* [0] DRAM, [1] PMem */
    double thr;
    threshold_ctl ctl;
    threshold_params par;
    /* band mode: placement by the ratio policy's soft band (error
     * diffusion, as tier.c's band_choose without the free-block credit),
     * and the controller told what was placed each tick */
    int band;
    int64_t debt;              /* in 1/65536 of a block */
    double dram_bias;          /* extra DRAM probability the "allocator"
                                * adds to the band's (a model error the
                                * controller must correct) */
    threshold_hist hist;
} sim;

static uint64_t rnd(sim *s)
{
    /* xorshift64*: deterministic, so a failure reproduces exactly. */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 2685821657736338717ULL;
}

static double unif(sim *s) { return (double)(rnd(s) >> 11) / 9007199254740992.0; }

/* Log-uniform in [lo, hi]: value sizes in caches span decades. */
static uint64_t logsize(sim *s, double lo, double hi)
{
    return (uint64_t)exp(log(lo) + unif(s) * (log(hi) - log(lo)));
}

/* Band mode for the sims that follow (the workload tests run in both). */
static int g_band;

static void sim_init(sim *s, size_t cap, double target, uint64_t min, uint64_t max,
                     uint64_t thr0, uint64_t seed)
{
    memset(s, 0, sizeof(*s));
    s->band = g_band;
    s->rng = seed;
    s->cap = cap;
    s->size = calloc(cap, sizeof(uint64_t));
    s->pm = calloc(cap, 1);
    assert_non_null(s->size);
    assert_non_null(s->pm);
    s->par.target_dram_share = target;
    s->par.min = min;
    s->par.max = max;
    s->thr = thr0;
    threshold_ctl_init(&s->ctl);
    threshold_hist_init(&s->hist);
}

static void sim_free(sim *s)
{
    free(s->size);
    free(s->pm);
}

/* 1: PMem, by the band around s->thr (band mode) or the hard split. */
static int sim_place(sim *s, uint64_t sz)
{
    if (!s->band) return (double)sz >= s->thr;
    double lo, hi;
    threshold_band(s->thr, &lo, &hi);
    int pm;
    if ((double)sz >= hi) pm = 1;
    else if ((double)sz < lo) pm = 0;
    else {
        double p = ((double)sz - lo) / (hi - lo) - s->dram_bias;
        if (p < 0) p = 0;
        s->debt += (int64_t)(p * 65536);
        pm = s->debt >= 32768;
        if (pm) s->debt -= 65536;
    }
    threshold_hist_note(&s->hist, sz, !pm);
    return pm;
}

static void sim_insert(sim *s, uint64_t sz)
{
    assert_true(s->n < s->cap);
    int pm = sim_place(s, sz);
    s->size[s->n] = sz;
    s->pm[s->n] = (uint8_t)pm;
    s->user[pm] += sz;
    s->n++;
}

static void sim_delete(sim *s, size_t i)
{
    s->user[s->pm[i]] -= s->size[i];
    s->n--;
    s->size[i] = s->size[s->n];
    s->pm[i] = s->pm[s->n];
}

static void sim_realloc(sim *s, size_t i, uint64_t sz)
{
    s->user[s->pm[i]] -= s->size[i];
    int pm = (double)sz >= s->thr;
    if (s->band) {
        /* as tier_realloc: inside the band a block keeps its tier */
        double lo, hi;
        threshold_band(s->thr, &lo, &hi);
        pm = (double)sz >= hi ? 1 : (double)sz < lo ? 0 : s->pm[i];
        if (pm != s->pm[i]) threshold_hist_note(&s->hist, sz, !pm);
        else if (sz > s->size[i]) threshold_hist_grow(&s->hist, sz - s->size[i]);
    }
    s->size[i] = sz;
    s->pm[i] = (uint8_t)pm;
    s->user[pm] += sz;
}

static double sim_share(const sim *s) { return threshold_share(s->user[0], s->user[1]); }

static void sim_tick(sim *s)
{
    if (s->band) {
        s->thr = threshold_ctl_step_placed(&s->ctl, &s->par, s->user[0], s->user[1], s->thr,
                                           &s->hist);
        threshold_hist_reset(&s->hist);
        if (getenv("SIM_TRACE"))
            fprintf(stderr, "tick share %.4f thr %.2f integ %.4f bias %.4f stalled %u\n",
                    sim_share(s), s->thr, s->ctl.integ, s->ctl.bias,
                    s->ctl.stalled_ticks);
    } else {
        s->thr = threshold_ctl_step(&s->ctl, &s->par, s->user[0], s->user[1], s->thr);
    }
    assert_true(s->thr >= (double)s->par.min && s->thr <= (double)s->par.max);
}

/* Tracks "reached the band, then never left it". */
typedef struct verdict {
    int first_in;              /* tick at which the share last entered the band, -1 */
    int last_out;              /* last tick outside the band */
    double worst_after;        /* largest |error| after first_in */
} verdict;

static void verdict_init(verdict *v)
{
    v->first_in = -1;
    v->last_out = -1;
    v->worst_after = 0;
}

static void verdict_note(verdict *v, int tick, double share, double target)
{
    double e = fabs(share - target);
    if (e > TOL) {
        v->last_out = tick;
        v->first_in = -1;
        v->worst_after = 0;
    } else {
        if (v->first_in < 0) v->first_in = tick;
        if (e > v->worst_after) v->worst_after = e;
    }
}

/* Converged by `by` and stayed in the band until the end. */
static void verdict_check(const verdict *v, int by, const char *what, const sim *s)
{
    if (v->first_in < 0 || v->first_in > by) {
        fprintf(stderr, "%s: not within %.0f pp by tick %d (last outside at tick %d, "
                "share %.4f target %.4f thr %.2f)\n", what, TOL * 100, by, v->last_out,
                sim_share(s), s->par.target_dram_share, s->thr);
        fail();
    }
}

/* ---- workloads -------------------------------------------------------------- */

/* Steady churn of mixed sizes: delete one, insert one. */
#define POP 100000

static void run_churn(sim *s, int ticks, int ops_per_tick, verdict *v, int tick0)
{
    for (int t = 0; t < ticks; t++) {
        for (int k = 0; k < ops_per_tick; k++) {
            if (s->n) sim_delete(s, rnd(s) % s->n);
            sim_insert(s, logsize(s, 16, 65536));
        }
        sim_tick(s);
        if (v) verdict_note(v, tick0 + t, sim_share(s), s->par.target_dram_share);
    }
}

static void fill(sim *s, size_t n, double lo, double hi)
{
    while (s->n < n) sim_insert(s, logsize(s, lo, hi));
}

static void test_mixed_sizes_reach_and_hold(void **state)
{
    static const double targets[] = {0.05, 0.2, 0.5, 0.8};
    static const int ops[] = {5000, 300, 60000};   /* 5%, 0.3%, 60% turnover */
    static const int by[] = {300, 800, 300};
    for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
        for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
            sim s;
            verdict v;
            sim_init(&s, POP + 1, targets[i], 64, 1 << 30, 4096, 0x9e3779b97f4a7c15ULL + i);
            fill(&s, POP, 16, 65536);
            verdict_init(&v);
            run_churn(&s, by[o] + 300, ops[o], &v, 0);
            char what[96];
            snprintf(what, sizeof(what), "mixed sizes, %d ops/tick, target %.2f", ops[o],
                     targets[i]);
            verdict_check(&v, by[o], what, &s);
            sim_free(&s);
        }
    }
}

/* Values that grow by realloc (APPEND-style), restarting small when big. */
static void test_values_growing_by_realloc(void **state)
{
    static const double targets[] = {0.2, 0.5, 0.8};
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        sim s;
        verdict v;
        sim_init(&s, POP + 1, targets[i], 64, 1 << 30, 4096, 42 + i);
        fill(&s, POP, 16, 4096);
        verdict_init(&v);
        for (int t = 0; t < 700; t++) {
            for (int k = 0; k < 5000; k++) {
                size_t j = rnd(&s) % s.n;
                uint64_t sz = s.size[j] + s.size[j] / 4 + 1 + rnd(&s) % 64;
                if (sz > 256 * 1024) {
                    sim_delete(&s, j);
                    sim_insert(&s, logsize(&s, 16, 512));
                } else {
                    sim_realloc(&s, j, sz);
                }
            }
            sim_tick(&s);
            verdict_note(&v, t, sim_share(&s), s.par.target_dram_share);
        }
        char what[64];
        snprintf(what, sizeof(what), "growing values, target %.2f", targets[i]);
        verdict_check(&v, 400, what, &s);
        sim_free(&s);
    }
}

static void test_target_changes_midway(void **state)
{
    sim s;
    verdict v;
    sim_init(&s, POP + 1, 0.2, 64, 1 << 30, 4096, 7);
    fill(&s, POP, 16, 65536);
    verdict_init(&v);
    run_churn(&s, 400, 5000, &v, 0);
    verdict_check(&v, 300, "before the change", &s);

    s.par.target_dram_share = 0.6;            /* CONFIG SET pmem-ratio 3:2 */
    threshold_ctl_init(&s.ctl);               /* as tier_set_ratio does */
    verdict_init(&v);
    run_churn(&s, 500, 5000, &v, 400);
    verdict_check(&v, 400 + 300, "after raising the target", &s);

    s.par.target_dram_share = 0.1;            /* no reset: must cope with history */
    verdict_init(&v);
    run_churn(&s, 500, 5000, &v, 900);
    verdict_check(&v, 900 + 300, "after lowering the target", &s);
    sim_free(&s);
}

/* The keyspace grows from nothing: the first ticks see an empty or
 * one-sided population. */
static void test_growing_from_empty(void **state)
{
    sim s;
    verdict v;
    sim_init(&s, POP + 1, 0.25, 64, 1 << 30, 4096, 99);
    verdict_init(&v);
    sim_tick(&s);                              /* no data: holds */
    assert_int_equal(s.thr, 4096);
    for (int t = 0; t < 600; t++) {
        for (int k = 0; k < 2000; k++) {
            if (s.n >= POP) sim_delete(&s, rnd(&s) % s.n);
            sim_insert(&s, logsize(&s, 16, 65536));
        }
        sim_tick(&s);
        verdict_note(&v, t, sim_share(&s), s.par.target_dram_share);
    }
    verdict_check(&v, 300, "growing from empty", &s);
    sim_free(&s);
}

/* ---- migration and anti-windup ---------------------------------------------- */

/* The server's migration, modelled: once the controller has stalled for 3
 * ticks (or sits at a bound) and the share is more than 1 point off, up to
 * `budget` bytes of values move per tick to the tier the threshold now
 * assigns them.  Returns the bytes moved. */
static uint64_t sim_migrate(sim *s, uint64_t budget)
{
    uint64_t lo, hi;
    threshold_bounds(&s->par, &lo, &hi);
    double e = s->par.target_dram_share - sim_share(s);
    if (fabs(e) <= 0.01) return 0;
    int pinned = (e > 0 && s->thr >= (double)hi) || (e < 0 && s->thr <= (double)lo);
    if (!pinned && s->ctl.stalled_ticks < 3) return 0;
    int to_pm = e < 0;
    uint64_t want = (uint64_t)(fabs(e) * (double)(s->user[0] + s->user[1])), moved = 0;
    size_t start = s->n ? rnd(s) % s->n : 0;
    for (size_t k = 0; k < s->n && moved < budget && moved < want; k++) {
        size_t i = (start + k) % s->n;
        if (s->pm[i] == to_pm || ((double)s->size[i] >= s->thr) != to_pm) continue;
        s->user[s->pm[i]] -= s->size[i];
        s->pm[i] = (uint8_t)to_pm;
        s->user[to_pm] += s->size[i];
        moved += s->size[i];
    }
    return moved;
}

typedef struct windup_result {
    double thr_peak;            /* highest threshold after the target change */
    int reached;                /* tick the share first came within TOL, -1 never */
    uint64_t moved_back;        /* bytes migrated to PMem after that: undoing overshoot */
    double worst_after;         /* largest |error| after reaching */
} windup_result;

/* Read-mostly (0.3% turnover per tick), mixed sizes up to 64 KiB, on target
 * at 1:4; then CONFIG SET 4:1.  New values alone would take a thousand
 * ticks, so migration does the work while the controller keeps pushing. */
static windup_result run_windup(int know_range)
{
    sim s;
    windup_result r = {0, -1, 0, 0};
    sim_init(&s, POP + 1, 0.2, 64, 1 << 30, 4096, 1234);
    fill(&s, POP, 16, 65536);
    if (know_range) {
        /* what the allocator passes: the sizes seen, hard split here */
        s.par.range_lo = 16;
        s.par.range_hi = 65536 + 1;
    }
    run_churn(&s, 600, 300, NULL, 0);
    assert_true(fabs(sim_share(&s) - 0.2) <= TOL);
    s.par.target_dram_share = 0.8;
    threshold_ctl_init(&s.ctl);
    for (int t = 0; t < 1500; t++) {
        for (int k = 0; k < 300; k++) {
            sim_delete(&s, rnd(&s) % s.n);
            sim_insert(&s, logsize(&s, 16, 65536));
        }
        sim_tick(&s);
        uint64_t m = sim_migrate(&s, 4u << 20);
        if (s.thr > r.thr_peak) r.thr_peak = s.thr;
        double e = fabs(sim_share(&s) - 0.8);
        if (r.reached < 0 && e <= TOL) r.reached = t;
        if (r.reached >= 0) {
            if (e > r.worst_after) r.worst_after = e;
            if (sim_share(&s) > 0.8) r.moved_back += m;
        }
    }
    sim_free(&s);
    return r;
}

static void test_no_windup_during_migration(void **state)
{
    windup_result without = run_windup(0), with = run_windup(1);
    fprintf(stderr, "  without range: peak threshold %.0f, reached at tick %d, worst error after "
            "%.4f, moved back %llu bytes\n", without.thr_peak, without.reached,
            without.worst_after, (unsigned long long)without.moved_back);
    fprintf(stderr, "  with range:    peak threshold %.0f, reached at tick %d, worst error after "
            "%.4f, moved back %llu bytes\n", with.thr_peak, with.reached,
            with.worst_after, (unsigned long long)with.moved_back);
    assert_true(with.reached >= 0);
    /* the threshold never left the sizes that exist */
    assert_true(with.thr_peak <= 65536 + 1);
    /* and once there, the share stayed: no wave of misplaced new values */
    assert_true(with.worst_after <= TOL);
    assert_true(with.moved_back <= (1u << 20));
}

/* The useful range narrows [min, max]; it never widens it, never empties it. */
static void test_range_bounds(void **state)
{
    threshold_params p = {.target_dram_share = 0.5, .min = 64, .max = 1 << 30};
    uint64_t lo, hi;
    threshold_bounds(&p, &lo, &hi);
    assert_int_equal(lo, 64);
    assert_int_equal(hi, 1 << 30);
    p.range_lo = 10;
    p.range_hi = 90000;
    threshold_bounds(&p, &lo, &hi);
    assert_int_equal(lo, 64);
    assert_int_equal(hi, 90000);
    p.range_lo = 100;
    threshold_bounds(&p, &lo, &hi);
    assert_int_equal(lo, 100);
    p.range_lo = 2;
    p.range_hi = 30;              /* every value below min: min holds */
    threshold_bounds(&p, &lo, &hi);
    assert_int_equal(lo, 64);
    assert_int_equal(hi, 64);
    p.range_lo = 1ULL << 31;      /* every value above max: max holds */
    p.range_hi = 1ULL << 32;
    threshold_bounds(&p, &lo, &hi);
    assert_int_equal(lo, 1 << 30);
    assert_int_equal(hi, 1 << 30);
    /* stepping on an error the range cannot serve stops at its end */
    threshold_ctl c;
    threshold_ctl_init(&c);
    p.range_lo = 100;
    p.range_hi = 5000;
    double t = 1000;
    for (int i = 0; i < 50; i++) t = threshold_ctl_step(&c, &p, 10, 90, t);
    assert_int_equal(t, 5000);
    assert_true(c.scale <= 16.0);
}

/* ---- direct properties ----------------------------------------------------- */

static void test_empty_and_one_sided(void **state)
{
    threshold_ctl c;
    threshold_params p = {.target_dram_share = 0.5, .min = 64, .max = 1 << 20};
    threshold_ctl_init(&c);
    assert_true(threshold_share(0, 0) < 0);
    assert_int_equal(threshold_ctl_step(&c, &p, 0, 0, 1000), 1000);
    /* Everything on DRAM: threshold must come down, tick after tick. */
    double t = 1000, prev;
    for (int i = 0; i < 5; i++) {
        prev = t;
        t = threshold_ctl_step(&c, &p, 1000000, 0, t);
        assert_true(t < prev || t == p.min);
    }
    /* Everything on PMem: up. */
    threshold_ctl_init(&c);
    t = 1000;
    for (int i = 0; i < 5; i++) {
        prev = t;
        t = threshold_ctl_step(&c, &p, 0, 1000000, t);
        assert_true(t > prev || t == p.max);
    }
}

static void test_dead_band_holds(void **state)
{
    threshold_ctl c;
    threshold_params p = {.target_dram_share = 0.25, .min = 0, .max = 1 << 20};
    threshold_ctl_init(&c);
    for (int i = 0; i < 100; i++)
        assert_int_equal(threshold_ctl_step(&c, &p, 2520, 7480, 5000), 5000);
}

/* An unreachable target drives the threshold to the bound exactly, never
 * to a value just short of it, and it stays there. */
static void test_bounds_reached_exactly(void **state)
{
    threshold_ctl c;
    threshold_params p = {.target_dram_share = 0.9, .min = 100, .max = 123457};
    double t = 5000;
    threshold_ctl_init(&c);
    int i;
    for (i = 0; i < 200 && t != (double)p.max; i++) t = threshold_ctl_step(&c, &p, 10, 90, t);
    assert_int_equal(t, p.max);
    for (i = 0; i < 10; i++) assert_int_equal(threshold_ctl_step(&c, &p, 10, 90, t), p.max);

    p.target_dram_share = 0.01;
    for (i = 0; i < 200 && t != (double)p.min; i++) t = threshold_ctl_step(&c, &p, 90, 10, t);
    assert_int_equal(t, p.min);

    /* A tiny threshold still moves, by less than a byte (whole bytes froze
     * it: 3 * 1.01 rounded back to 3). */
    threshold_ctl_init(&c);
    p.min = 0;
    p.target_dram_share = 0.51;
    double t3 = threshold_ctl_step(&c, &p, 49, 51, 3);
    assert_true(t3 > 3.0 && t3 < 3.5);
    /* From 0 upwards, and down to nothing (below the band's resolution,
     * 1/256 byte: every value on PMem). */
    threshold_ctl_init(&c);
    assert_true(threshold_ctl_step(&c, &p, 10, 90, 0) >= 1);
    threshold_ctl_init(&c);
    p.target_dram_share = 0.1;
    t = 2;
    for (i = 0; i < 10; i++) t = threshold_ctl_step(&c, &p, 90, 10, t);
    assert_true(t >= 0 && t < 1.0 / 256);
}

/* Bounds changed at run time under a threshold outside them: clamped at
 * once, whatever the error says. */
static void test_clamps_out_of_bounds(void **state)
{
    threshold_ctl c;
    threshold_params p = {.target_dram_share = 0.5, .min = 1000, .max = 2000};
    threshold_ctl_init(&c);
    assert_int_equal(threshold_ctl_step(&c, &p, 50, 50, 10), 1000);
    assert_int_equal(threshold_ctl_step(&c, &p, 50, 50, 1 << 20), 2000);
    assert_int_equal(threshold_ctl_step(&c, &p, 0, 0, 1 << 20), 2000);
    /* min == max pins it. */
    p.min = p.max = 777;
    assert_int_equal(threshold_ctl_step(&c, &p, 1, 99, 5), 777);
}

/* The step grows while the error refuses to shrink... */
static void test_accelerates_when_stalled(void **state)
{
    threshold_ctl c;
    threshold_params p = {.target_dram_share = 0.5, .min = 1, .max = UINT64_MAX};
    threshold_ctl_init(&c);
    double t = 1000000, prev = t;
    double first = 0, last = 0;
    for (int i = 0; i < 6; i++) {
        t = threshold_ctl_step(&c, &p, 40, 60, t);  /* same error every tick */
        double l = log(t / prev);
        assert_true(l > 0);
        if (i == 0) first = l;
        last = l;
        prev = t;
    }
    assert_true(last >= 4 * first);
    assert_true(c.stalled_ticks >= 3);
}

/* ... and shrinks when it overshoots: an error that flips sign every tick
 * gets ever smaller steps. */
static void test_damps_when_overshooting(void **state)
{
    threshold_ctl c;
    threshold_params p = {.target_dram_share = 0.5, .min = 1, .max = UINT64_MAX};
    threshold_ctl_init(&c);
    double t = 1000000, prev = t;
    double first = 0, last = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t d = i % 2 ? 60 : 40;
        t = threshold_ctl_step(&c, &p, d, 100 - d, t);
        double l = fabs(log(t / prev));
        if (i == 1) first = l;
        last = l;
        prev = t;
    }
    assert_true(last < first / 8);
}

/* ---- placement-driven mode ---------------------------------------------------- */

/* The workloads above run again placed by the band, with the controller
 * told what was placed each tick (band_on/band_off around them, see main):
 * they must converge within the same tick budgets and hold. */
static int band_on(void **state)
{
    (void)state;
    g_band = 1;
    return 0;
}

static int band_off(void **state)
{
    (void)state;
    g_band = 0;
    return 0;
}

/* One value size, overwritten at 25% of the keys per tick (4 KiB SETs in
 * redis-benchmark): the plant is steep (the whole band is 0.58 e-folds of
 * size), and the integral controller rang between the ends of the range
 * for about 20 ticks; every swing misplaced a quarter of the data.  From
 * the histogram the threshold is computed: within 2 points by the 4th
 * tick, then still. */
static void run_one_size(int placed, int *reached, int *moves_after, double *worst_after)
{
    enum { N = 20000, SZ = 4101, PER_TICK = 5000, TICKS = 60 };
    sim s;
    sim_init(&s, N + 1, 0.2, 0, 1 << 30, 4096, 5);
    s.band = 1;
    s.par.range_lo = SZ - SZ / 4;
    s.par.range_hi = SZ + SZ / 3 + 2;
    *reached = -1;
    *moves_after = 0;
    *worst_after = 0;
    for (int t = 0; t < TICKS; t++) {
        for (int k = 0; k < PER_TICK; k++) {
            if (s.n >= N) sim_delete(&s, rnd(&s) % s.n);
            sim_insert(&s, SZ);
        }
        double before = s.thr;
        if (placed) {
            sim_tick(&s);
        } else {
            s.thr = threshold_ctl_step(&s.ctl, &s.par, s.user[0], s.user[1], s.thr);
            threshold_hist_reset(&s.hist);
        }
        double e = fabs(sim_share(&s) - 0.2);
        if (*reached < 0 && e <= TOL) *reached = t;
        if (*reached >= 0 && t > *reached) {
            if (s.thr != before) (*moves_after)++;
            if (e > *worst_after) *worst_after = e;
        }
    }
    sim_free(&s);
}

static void test_placed_one_size_converges_at_once(void **state)
{
    int r_int, m_int, r_pl, m_pl;
    double w_int, w_pl;
    run_one_size(0, &r_int, &m_int, &w_int);
    run_one_size(1, &r_pl, &m_pl, &w_pl);
    fprintf(stderr, "  integral:  within 2 pp at tick %d, then %d threshold moves, worst %.4f\n",
            r_int, m_int, w_int);
    fprintf(stderr, "  placement: within 2 pp at tick %d, then %d threshold moves, worst %.4f\n",
            r_pl, m_pl, w_pl);
    assert_true(r_pl >= 0 && r_pl <= 4);
    assert_true(w_pl <= 0.01);
    assert_true(m_pl <= 20);
}

/* The inverse: the threshold whose band places a wanted DRAM fraction. */
static void test_threshold_for_dram_fraction(void **state)
{
    threshold_hist h;
    threshold_hist_init(&h);
    assert_int_equal(threshold_hist_bucket(0), 0);
    assert_int_equal(threshold_hist_bucket(15), 15);
    assert_int_equal(threshold_hist_bucket(16), 16);
    assert_int_equal(threshold_hist_bucket(31), 23);
    assert_int_equal(threshold_hist_bucket(32), 24);
    assert_true(threshold_hist_bucket(UINT64_MAX) < THRESHOLD_HIST_BUCKETS);
    assert_true(threshold_hist_dram_fraction(&h, 100) < 0);   /* empty */
    /* one size: F(t) is the band's ramp, exactly */
    for (int i = 0; i < 100; i++) threshold_hist_note(&h, 1000, 1);
    for (double f = 0.05; f < 1.0; f += 0.1) {
        double t = threshold_for_dram_fraction(&h, f, 1, 1 << 20);
        double lo, hi;
        threshold_band(t, &lo, &hi);
        double got = 1.0 - (1000.0 - lo) / (hi - lo);
        assert_true(fabs(got - f) < 1e-6);
        assert_true(fabs(threshold_hist_dram_fraction(&h, t) - got) < 1e-9);
    }
    /* out of reach: the bounds */
    assert_int_equal(threshold_for_dram_fraction(&h, 1.0, 100, 900), 900);
    assert_int_equal(threshold_for_dram_fraction(&h, 0.0, 100, 900), 100);
    /* two sizes a decade apart, equal bytes: 50% DRAM lies between them */
    threshold_hist_reset(&h);
    for (int i = 0; i < 1000; i++) threshold_hist_note(&h, 100, 1);
    for (int i = 0; i < 100; i++) threshold_hist_note(&h, 1000, 0);
    double t = threshold_for_dram_fraction(&h, 0.5, 1, 1 << 20);
    double lo, hi;
    threshold_band(t, &lo, &hi);
    assert_true(hi <= 1000 && lo >= 100);
    assert_true(fabs(threshold_hist_dram_fraction(&h, t) - 0.5) < 1e-9);
    /* and F never falls as t rises */
    double prev = -1;
    for (double x = 1; x < 4000; x *= 1.01) {
        double f = threshold_hist_dram_fraction(&h, x);
        assert_true(f >= prev);
        prev = f;
    }
}

/* An allocator that places 15 points more on DRAM than the band says
 * (inside the band): the measured bias and the integral take it out. */
static void test_placed_corrects_model_error(void **state)
{
    sim s;
    verdict v;
    sim_init(&s, POP + 1, 0.3, 0, 1 << 30, 4096, 11);
    s.band = 1;
    s.dram_bias = 0.15;
    fill(&s, POP, 256, 16384);
    verdict_init(&v);
    run_churn(&s, 200, 5000, &v, 0);
    verdict_check(&v, 60, "band with a 15-point placement bias", &s);
    sim_free(&s);
}

/* A mix out of reach (nothing placed could close the error) goes to the
 * bound, where the caller migrates; too few placements to steer by fall
 * back to the integral controller. */
static void test_placed_out_of_reach_and_fallback(void **state)
{
    threshold_ctl c;
    threshold_params p = {.target_dram_share = 0.5, .min = 0, .max = 1 << 30,
                          .range_lo = 75, .range_hi = 90000};
    threshold_hist h;
    threshold_ctl_init(&c);
    threshold_hist_init(&h);
    /* 10 MB stored, all on PMem; 100 KB of 1000-byte values placed */
    for (int i = 0; i < 100; i++) threshold_hist_note(&h, 1000, 0);
    double t = threshold_ctl_step_placed(&c, &p, 0, 10000000, 2000, &h);
    assert_int_equal(c.placed_mode, 0);       /* not on the first such tick */
    t = threshold_ctl_step_placed(&c, &p, 0, 10000000, t, &h);
    assert_int_equal(c.placed_mode, 1);
    assert_int_equal(t, 90000);
    /* the same, all on DRAM */
    threshold_ctl_init(&c);
    t = threshold_ctl_step_placed(&c, &p, 10000000, 0, 2000, &h);
    t = threshold_ctl_step_placed(&c, &p, 10000000, 0, t, &h);
    assert_int_equal(t, 75);
    /* placements outweighed by growth in place: integral mode */
    threshold_hist_grow(&h, 60000);
    t = threshold_ctl_step_placed(&c, &p, 10000000, 0, 2000, &h);
    assert_int_equal(c.placed_mode, 0);
    h.grown_bytes = 0;
    /* 10 GB stored: 100 KB is under 1/512 of it; integral mode */
    threshold_ctl_init(&c);
    t = threshold_ctl_step_placed(&c, &p, 10000000000ull, 0, 2000, &h);
    assert_int_equal(c.placed_mode, 0);
    assert_true(t < 2000 && t > 75);
    /* too few blocks */
    threshold_hist_reset(&h);
    for (int i = 0; i < THRESHOLD_PLACED_MIN_COUNT - 1; i++) threshold_hist_note(&h, 100000, 0);
    threshold_ctl_init(&c);
    threshold_ctl_step_placed(&c, &p, 0, 10000000, 2000, &h);
    assert_int_equal(c.placed_mode, 0);
    /* no histogram at all */
    threshold_ctl_step_placed(&c, &p, 0, 10000000, 2000, NULL);
    assert_int_equal(c.placed_mode, 0);
}

/* a workload test run again in band mode, under its own name */
#define PLACED(f) {"placed_" #f, f, band_on, band_off, NULL}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_one_sided),
        cmocka_unit_test(test_dead_band_holds),
        cmocka_unit_test(test_bounds_reached_exactly),
        cmocka_unit_test(test_clamps_out_of_bounds),
        cmocka_unit_test(test_accelerates_when_stalled),
        cmocka_unit_test(test_damps_when_overshooting),
        cmocka_unit_test(test_mixed_sizes_reach_and_hold),
        cmocka_unit_test(test_values_growing_by_realloc),
        cmocka_unit_test(test_target_changes_midway),
        cmocka_unit_test(test_growing_from_empty),
        cmocka_unit_test(test_no_windup_during_migration),
        cmocka_unit_test(test_range_bounds),
        cmocka_unit_test(test_threshold_for_dram_fraction),
        cmocka_unit_test(test_placed_out_of_reach_and_fallback),
        cmocka_unit_test(test_placed_one_size_converges_at_once),
        cmocka_unit_test(test_placed_corrects_model_error),
        PLACED(test_mixed_sizes_reach_and_hold),
        PLACED(test_values_growing_by_realloc),
        PLACED(test_target_changes_midway),
        PLACED(test_growing_from_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
