/* tiering.c -- tiered memory in the server: options, start-up, cron,
 * migration walk and reporting; see tiering.h for what it promises.
 *
 * OPTIONS
 *   The config registry parses each option on its own.  Combinations
 *   (min <= max, a threshold for the threshold policy, a PMem tier for any
 *   policy but only-dram) are checked here, with the options' own names,
 *   before anything reaches the allocator: every apply hook runs
 *   tiering_sync(), which validates the whole set and then pushes what
 *   changed in an order the allocator accepts.  The registry restores the
 *   old values and re-applies them when a hook refuses, so a failed CONFIG
 *   SET leaves both the options and the allocator as they were.
 *
 * MIGRATION WALK
 *   The allocator says what to move (tier_migrate_plan: direction, size
 *   window, bytes wanted) and when a step is over (deadline).  We own the
 *   keys: a SCAN cursor per database survives between ticks, so each tick
 *   resumes where the last one stopped and every key is visited once per
 *   cycle whatever the table does (dict_scan's guarantee).
 *   Hot/cold choice under the ratio policy: going to PMem we first take
 *   only keys idle for at least `cold_idle` seconds, going to DRAM only keys
 *   idle at most `hot_idle` seconds.  The filter relaxes (x4) after each
 *   full cycle that ends with work still wanted, and also after DRY_STEPS
 *   steps in a row in which the filter turned away most keys examined: a
 *   keyspace too big for one step per cycle, all of it hot, would otherwise
 *   wait a whole cycle per relaxation and never get there under load.  It
 *   resets only after RESET_GAP_TICKS cron ticks in a row without work (or
 *   when the direction changes), because the plan flickers off for a tick
 *   whenever new writes shrink the error, and a reset on every flicker
 *   undid all relaxation.  The key's access clock is read, never written.
 *   Aggregates: a type's migrate may stop inside a value and say where to
 *   continue (tiering_step.cursor).  That key, and the keys after it in
 *   the same keyspace bucket (which the SCAN cursor has already passed),
 *   are kept by name in a short pending list that the next step visits
 *   before it goes on with the SCAN; so a value too big for one budget is
 *   moved over several ticks and never starves its bucket neighbours.
 *   Threshold sweeps: under the threshold policy a new threshold (or a
 *   switch to the policy) misplaces values wholesale, and the counters
 *   cannot tell how many, so the allocator hands out a sweep plan (each
 *   block to the tier its size belongs on) until we report one complete
 *   pass: the pass restarts from the first key of db 0 when a new sweep
 *   begins, and it is complete when the keyspace cursor wraps with no
 *   pending key left.
 *   Budget: the copy rate is measured (bytes/us, smoothed) and a block is
 *   moved only if its estimated copy time fits in what is left of the
 *   budget; a block that would not fit even in a whole budget is skipped
 *   and counted (skipped_large) rather than stalling clients.
 */
#include "config.h"
#include "tiering.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "server.h"
#include "util.h"

/* ---- options ------------------------------------------------------------- */

static struct {
    int kind;                  /* tier_kind */
    int variant;               /* tier_variant */
    char *nodes;
    char *dir;
    long long size;
    int policy;                /* tier_policy */
    long long static_thr;
    long ratio_dram, ratio_pmem;
    long long thr_initial, thr_min, thr_max;
    long long period_ms;
    int ht_on_dram;
    long long budget_us;
} tc;

static int started;            /* tier_init succeeded: hooks push to the allocator */

static const char *const kind_names[] = {"emulated", "kmem-dax", "fsdax", "none", NULL};
static const int kind_vals[] = {TIER_KIND_EMULATED, TIER_KIND_KMEM_DAX, TIER_KIND_FSDAX, TIER_KIND_NONE};
static const char *const variant_names[] = {"single", "multiple", NULL};
static const int variant_vals[] = {TIER_VARIANT_SINGLE, TIER_VARIANT_MULTIPLE};
static const char *const policy_names[] = {"only-dram", "only-pmem", "threshold", "ratio", NULL};
static const int policy_vals[] = {TIER_POLICY_ONLY_DRAM, TIER_POLICY_ONLY_PMEM, TIER_POLICY_THRESHOLD,
                                  TIER_POLICY_RATIO};

#define RATIO_PART_MAX 1000000L

/* "D P" (TieredMemDB) or "D:P". */
static int set_ratio(const cfg_entry *e, const char *val, const char **err)
{
    (void)e;
    static char msg[256];
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", val);
    char *colon = strchr(buf, ':');
    if (colon) *colon = ' ';
    char **av;
    int ac = cfg_split_line(buf, &av);
    long long part[2];
    int ok = ac == 2;
    for (int i = 0; ok && i < 2; i++)
        ok = util_str2ll(av[i], strlen(av[i]), &part[i]);
    cfg_free_args(ac, av);
    if (!ok) {
        snprintf(msg, sizeof(msg),
                 "dram-pmem-ratio needs two positive integers, DRAM part then PMem part "
                 "(e.g. \"1 4\"); got '%.60s'", val);
        *err = msg;
        return -1;
    }
    if (part[0] <= 0 || part[1] <= 0 || part[0] > RATIO_PART_MAX || part[1] > RATIO_PART_MAX) {
        snprintf(msg, sizeof(msg),
                 "dram-pmem-ratio parts must be positive integers up to %ld (got %lld %lld); for all data "
                 "on one tier use memory-alloc-policy only-dram or only-pmem",
                 RATIO_PART_MAX, part[0], part[1]);
        *err = msg;
        return -1;
    }
    tc.ratio_dram = (long)part[0];
    tc.ratio_pmem = (long)part[1];
    return 0;
}

static void get_ratio(const cfg_entry *e, char *buf, size_t cap)
{
    (void)e;
    snprintf(buf, cap, "%ld %ld", tc.ratio_dram, tc.ratio_pmem);
}

static int set_ht_on_dram(const cfg_entry *e, const char *val, const char **err)
{
    (void)e;
    if (!strcasecmp(val, "yes")) { tc.ht_on_dram = 1; return 0; }
    if (!strcasecmp(val, "no")) {
        *err = "hashtable-on-dram no is not supported: tierdb keeps hash tables and all other "
               "metadata on DRAM";
        return -1;
    }
    *err = "argument must be 'yes' or 'no'";
    return -1;
}

static void get_ht_on_dram(const cfg_entry *e, char *buf, size_t cap)
{
    (void)e;
    snprintf(buf, cap, "%s", tc.ht_on_dram ? "yes" : "no");
}

/* The whole set is consistent?  Messages name the options. */
static int check_all(char *err, size_t errlen)
{
    if (tc.thr_min > tc.thr_max) {
        snprintf(err, errlen, "dynamic-threshold-min (%lld) must not be above dynamic-threshold-max (%lld)",
                 tc.thr_min, tc.thr_max);
        return -1;
    }
    if (tc.policy == TIER_POLICY_THRESHOLD && tc.static_thr <= 0) {
        snprintf(err, errlen, "memory-alloc-policy threshold needs static-threshold (bytes, > 0); "
                              "set static-threshold first");
        return -1;
    }
    int kind = tc.kind;
    if (started) {
        tier_info ti;
        tier_get_info(&ti);
        kind = (int)ti.kind;
    }
    if (kind == TIER_KIND_NONE && tc.policy != TIER_POLICY_ONLY_DRAM) {
        snprintf(err, errlen, "memory-alloc-policy %s needs a PMem tier, and pmem-kind is none; set "
                              "pmem-kind emulated, kmem-dax or fsdax, or memory-alloc-policy only-dram",
                 tier_policy_name((tier_policy)tc.policy));
        return -1;
    }
    return 0;
}

/* Validate, then push every changed setting to the allocator. */
static int tiering_sync(char *err, size_t errlen)
{
    if (!started) return 0;
    if (check_all(err, errlen) < 0) return -1;
    tier_info ti;
    tier_get_info(&ti);
    int rc = TIER_OK;
    /* The threshold policy needs its threshold first; leaving it needs the
     * policy changed before the threshold may drop to 0. */
    int thr_first = tc.policy == TIER_POLICY_THRESHOLD;
    if (thr_first && ti.static_threshold != (uint64_t)tc.static_thr)
        rc = tier_set_static_threshold(tc.static_thr, err, errlen);
    if (rc == TIER_OK && ti.policy != (tier_policy)tc.policy)
        rc = tier_set_policy((tier_policy)tc.policy, err, errlen);
    if (rc == TIER_OK && !thr_first && ti.static_threshold != (uint64_t)tc.static_thr)
        rc = tier_set_static_threshold(tc.static_thr, err, errlen);
    if (rc == TIER_OK && (ti.threshold_min != (uint64_t)tc.thr_min || ti.threshold_max != (uint64_t)tc.thr_max))
        rc = tier_set_threshold_bounds(tc.thr_min, tc.thr_max, err, errlen);
    if (rc == TIER_OK && ti.threshold_initial != (uint64_t)tc.thr_initial)
        rc = tier_set_initial_threshold(tc.thr_initial, err, errlen);
    if (rc == TIER_OK && (ti.ratio_dram != tc.ratio_dram || ti.ratio_pmem != tc.ratio_pmem))
        rc = tier_set_ratio(tc.ratio_dram, tc.ratio_pmem, err, errlen);
    if (rc == TIER_OK && ti.period_ms != (uint32_t)tc.period_ms)
        rc = tier_set_period(tc.period_ms, err, errlen);
    return rc == TIER_OK ? 0 : -1;
}

static int apply_sync(const cfg_entry *e, const char **err)
{
    (void)e;
    static char msg[512];
    if (tiering_sync(msg, sizeof(msg)) < 0) {
        *err = msg;
        return -1;
    }
    return 0;
}

static const cfg_entry tiering_configs[] = {
    {.name = "pmem-kind", .type = CFG_ENUM, .flags = CFG_IMMUTABLE, .ptr = &tc.kind, .enum_names = kind_names,
     .enum_vals = kind_vals, .defval = "emulated"},
    {.name = "pmem-variant", .type = CFG_ENUM, .flags = CFG_IMMUTABLE, .ptr = &tc.variant,
     .enum_names = variant_names, .enum_vals = variant_vals, .defval = "single"},
    {.name = "pmem-numa-nodes", .type = CFG_STRING, .flags = CFG_IMMUTABLE, .ptr = &tc.nodes, .defval = ""},
    {.name = "pmem-dir", .type = CFG_STRING, .flags = CFG_IMMUTABLE, .ptr = &tc.dir, .defval = ""},
    /* 0 = the kind's natural size: the whole node(s) for kmem-dax, 1 GiB for
     * emulated; fsdax needs an explicit size */
    {.name = "pmem-size", .type = CFG_MEM, .flags = CFG_IMMUTABLE, .ptr = &tc.size, .min = 0, .max = LLONG_MAX,
     .defval = "0"},
    {.name = "memory-alloc-policy", .type = CFG_ENUM, .ptr = &tc.policy, .enum_names = policy_names,
     .enum_vals = policy_vals, .defval = "ratio", .apply = apply_sync},
    {.name = "static-threshold", .type = CFG_MEM, .ptr = &tc.static_thr, .min = 0, .max = LLONG_MAX,
     .defval = "0", .apply = apply_sync},
    {.name = "dram-pmem-ratio", .type = CFG_SPECIAL, .flags = CFG_MULTI_ARG, .set = set_ratio, .get = get_ratio,
     .defval = "1 4", .apply = apply_sync},
    {.name = "initial-dynamic-threshold", .type = CFG_MEM, .ptr = &tc.thr_initial, .min = 0, .max = LLONG_MAX,
     .defval = "4096", .apply = apply_sync},
    /* 0: the soft band needs the threshold at 3/4 of a size to put all of
     * it on PMem (at 0.82x for 80%), so any positive floor makes some
     * ratio unreachable for the smallest values (64 stopped 64-byte values
     * at a 43% DRAM share).  The controller's own floor is 3/4 of the
     * smallest size seen (tier.c ctl_params), which keeps it from winding
     * below where placement changes. */
    {.name = "dynamic-threshold-min", .type = CFG_MEM, .ptr = &tc.thr_min, .min = 0, .max = LLONG_MAX,
     .defval = "0", .apply = apply_sync},
    {.name = "dynamic-threshold-max", .type = CFG_MEM, .ptr = &tc.thr_max, .min = 0, .max = LLONG_MAX,
     .defval = "1073741824", .apply = apply_sync},
    {.name = "memory-ratio-check-period", .type = CFG_LL, .ptr = &tc.period_ms, .min = 1, .max = 3600000,
     .defval = "100", .apply = apply_sync},
    {.name = "hashtable-on-dram", .type = CFG_SPECIAL, .set = set_ht_on_dram, .get = get_ht_on_dram,
     .defval = "yes"},
    {.name = "tier-migration-budget-us", .type = CFG_LL, .ptr = &tc.budget_us, .min = 0, .max = 100000,
     .defval = "500"},
};

void tiering_register(void)
{
    cfg_register(tiering_configs, sizeof(tiering_configs) / sizeof(tiering_configs[0]));
}

/* ---- start-up ------------------------------------------------------------- */

void tiering_start(void)
{
    char err[1024];
    if (check_all(err, sizeof(err)) < 0) server_die("*** FATAL CONFIG ERROR *** %s", err);
    tier_config c;
    tier_config_defaults(&c);
    c.kind = (tier_kind)tc.kind;
    c.variant = (tier_variant)tc.variant;
    c.nodes = tc.nodes && *tc.nodes ? tc.nodes : NULL;
    c.dir = tc.dir && *tc.dir ? tc.dir : NULL;
    c.size = (uint64_t)tc.size;
    if (c.size == 0 && c.kind == TIER_KIND_EMULATED) c.size = 1ULL << 30;
    if (c.size == 0 && c.kind == TIER_KIND_FSDAX)
        server_die("*** FATAL CONFIG ERROR *** pmem-kind fsdax needs pmem-size (the size of the file to "
                   "create under pmem-dir), e.g. pmem-size 16gb");
    c.policy = (tier_policy)tc.policy;
    c.static_threshold = (uint64_t)tc.static_thr;
    c.ratio_dram = tc.ratio_dram;
    c.ratio_pmem = tc.ratio_pmem;
    c.threshold_min = (uint64_t)tc.thr_min;
    c.threshold_max = (uint64_t)tc.thr_max;
    c.threshold_initial = (uint64_t)tc.thr_initial;
    c.period_ms = (uint32_t)tc.period_ms;
    if (tier_init(&c, err, sizeof(err)) != TIER_OK)
        server_die("*** FATAL CONFIG ERROR *** cannot open the PMem tier (pmem-kind %s): %s",
                   tier_kind_name(c.kind), err);
    started = 1;
    tier_info ti;
    tier_get_info(&ti);
    char cap[32];
    server_bytes_human(cap, sizeof(cap), ti.capacity);
    log_msg(LOG_NOTICE, "Tiered memory: pmem-kind %s%s%s (%s), capacity %s, memory-alloc-policy %s, "
                        "dram-pmem-ratio %ld %ld",
            ti.kind_name, *ti.variant_name ? " " : "", ti.variant_name, ti.backend, cap, ti.policy_name,
            ti.ratio_dram, ti.ratio_pmem);
}

/* ---- value types ------------------------------------------------------------ */

#define TYPE_SLOTS 8
static tiering_type_ops type_ops[TYPE_SLOTS];

void tiering_register_type(int type, const tiering_type_ops *ops)
{
    if (type >= 0 && type < TYPE_SLOTS && ops) type_ops[type] = *ops;
}

static void string_migrate(kv *e, tiering_step *st)
{
    if (e->enc != ENC_RAW) return;
    void *p = e->ptr;
    /* Stopped before this block (no time left for its copy): come back for
     * it, or a sweep would end its pass with the block misplaced. */
    if (tiering_move_block(st, &e->ptr) && e->ptr == p) st->partial = 1;
}

static void string_usage(const kv *e, long long samples, uint64_t bytes[TIER_COUNT], uint64_t *meta)
{
    (void)samples;
    (void)meta;
    if (e->enc == ENC_RAW && e->ptr) bytes[tier_of(e->ptr)] += tier_usable_size(e->ptr);
}

static const tiering_type_ops string_ops = {.migrate = string_migrate, .usage = string_usage};

static const tiering_type_ops *ops_of(int type)
{
    if (type == OBJ_STRING) return &string_ops;
    return type >= 0 && type < TYPE_SLOTS ? &type_ops[type] : NULL;
}

const tiering_type_ops *tiering_type_get(int type)
{
    const tiering_type_ops *o = ops_of(type);
    return o && (o->migrate || o->usage) ? o : NULL;
}

void tiering_value_usage(const kv *e, long long samples, uint64_t bytes[TIER_COUNT])
{
    bytes[TIER_DRAM] += tier_usable_size(e);
    uint64_t meta = 0;
    const tiering_type_ops *o = ops_of(e->type);
    if (o && o->usage) o->usage(e, samples, bytes, &meta);
    bytes[TIER_DRAM] += meta;
}

const char *tiering_value_tier(const kv *e)
{
    uint64_t b[TIER_COUNT] = {0, 0};
    const tiering_type_ops *o = ops_of(e->type);
    if (o && o->usage) o->usage(e, 0, b, NULL);
    if (b[TIER_PMEM] == 0) return "dram";
    return b[TIER_DRAM] == 0 ? "pmem" : "mixed";
}

/* ---- migration -------------------------------------------------------------- */

#define COLD_IDLE_START 64u          /* s: to PMem, first only keys idle this long */
#define HOT_IDLE_START 2u            /* s: to DRAM, first only keys used this recently */
#define RATE_START 1000.0            /* bytes/us assumed before the first measurement */
#define MAX_CYCLES_PER_STEP 2        /* an empty or unmovable keyspace must not spin */
#define PENDING_MAX 16               /* longer bucket chains: the rest waits for the next cycle */
#define DRY_STEPS 3                  /* steps moving nothing for hotness before a relaxation */
#define DRY_RATIO 8                  /* ... dry: over this many keys turned away per block moved */
#define RESET_GAP_TICKS 10           /* cron ticks without work before the filter resets */

static struct {
    uint64_t *cursor;                /* per database */
    int ndbs;
    int db;                          /* database being walked */
    int started_cycle;               /* a cycle is under way (some cursor left 0) */
    uint32_t cold_idle, hot_idle;    /* hot/cold filter (seconds) */
    tier_id last_to;
    unsigned idle_ticks;             /* cron ticks in a row without a plan */
    unsigned dry_steps;              /* steps in a row that only met filtered keys */
    double rate;                     /* measured copy rate, bytes/us */
    tiering_stats stats;
    /* Keys a step ended on: the value it left part-way (with the position
     * to continue from) and the keys after it in the same bucket, which the
     * keyspace cursor has already passed.  Without this a big value that
     * ends every step would hide its bucket neighbours for ever. */
    struct pending_key {
        int db;
        uint8_t type;
        char *key;                   /* DRAM copy of the key bytes */
        size_t klen;
        uint64_t cursor;             /* tiering_step.cursor to continue from */
    } pend[PENDING_MAX];
    int npend;
    uint64_t sweep;                  /* sweep generation the current pass belongs to */
    int sweep_wrapped;               /* that pass's cursor wrapped: done once npend == 0 */
} mig = {.cold_idle = COLD_IDLE_START, .hot_idle = HOT_IDLE_START, .rate = RATE_START,
         .idle_ticks = RESET_GAP_TICKS};

typedef struct walk_ctx {
    tiering_step *st;
    int db;
    int use_clock;                   /* ratio policy: apply the hot/cold filter */
    unsigned visited;
    unsigned filtered;               /* keys the hot/cold filter turned away */
} walk_ctx;

void tiering_get_stats(tiering_stats *out) { *out = mig.stats; }

int tiering_step_tick(tiering_step *st)
{
    if (st->stop) return 1;
    if ((++st->ticks & 31) == 0 && tier_now_us() >= st->deadline_us) st->stop = 1;
    return st->stop;
}

static void pending_push(int dbid, const kv *e, uint64_t cursor)
{
    if (mig.npend == PENDING_MAX) return;
    struct pending_key *p = &mig.pend[mig.npend++];
    p->db = dbid;
    p->type = e->type;
    p->key = tier_dram_malloc(e->keylen ? e->keylen : 1);
    memcpy(p->key, kv_key(e), e->keylen);
    p->klen = e->keylen;
    p->cursor = cursor;
}

static void pending_pop(void)
{
    tier_dram_free(mig.pend[0].key);
    memmove(&mig.pend[0], &mig.pend[1], sizeof(mig.pend[0]) * (size_t)(mig.npend - 1));
    mig.npend--;
}

/* The key's access clock allows moving it in this direction? */
static int filter_ok(int use_clock, const kv *e, const tiering_step *st)
{
    if (!use_clock) return 1;
    uint32_t idle = db_lru_clock >= e->lru ? db_lru_clock - e->lru : 0;
    return st->plan->to == TIER_PMEM ? idle >= mig.cold_idle : idle <= mig.hot_idle;
}

/* Run the type's migrate on e from `cursor`; 1 if it stopped part-way
 * (*cursor then says where to continue). */
static int migrate_value(kv *e, const tiering_type_ops *o, tiering_step *st, uint64_t *cursor)
{
    st->cursor = *cursor;
    st->partial = 0;
    o->migrate(e, st);
    int partial = st->partial;
    if (partial) *cursor = st->cursor;
    st->cursor = 0;
    st->partial = 0;
    return partial;
}

/* Visit the keys earlier steps ended on, first to last.  Keys are looked up
 * by name: one that is gone or changed type is dropped. */
static void pending_run(tiering_step *st, walk_ctx *w)
{
    int use_clock = w->use_clock;
    while (mig.npend > 0 && !st->stop) {
        struct pending_key *p = &mig.pend[0];
        kv *e = p->db < server.ndbs ? (kv *)dict_find(&server.dbs[p->db].keys, p->key, p->klen) : NULL;
        const tiering_type_ops *o = e && e->type == p->type ? ops_of(e->type) : NULL;
        if (o && o->migrate) {
            if (!filter_ok(use_clock, e, st)) w->filtered++;
            else if (migrate_value(e, o, st, &p->cursor)) return;
        }
        pending_pop();
    }
}

int tiering_move_block(tiering_step *st, void **pp)
{
    if (st->stop) return 1;
    void *p = *pp;
    if (!tier_migrate_candidate(st->plan, p)) return 0;
    size_t sz = tier_usable_size(p);
    uint64_t now = tier_now_us();
    if (now >= st->deadline_us) { st->stop = 1; return 1; }
    double cost = (double)sz / mig.rate;
    if (cost > (double)tc.budget_us) {
        mig.stats.skipped_large++;
        return 0;
    }
    if ((double)now + cost > (double)st->deadline_us) { st->stop = 1; return 1; }
    tier_id to = tier_migrate_dest(st->plan, p);
    void *q = tier_move(p, to);
    if (!q) {
        /* A sweep still has blocks going the other way; otherwise the
         * destination cannot take it (PMem full): nothing more this step. */
        if (st->plan->sweep) return 0;
        st->stop = 1;
        return 1;
    }
    uint64_t took = tier_now_us() - now;
    if (sz >= 4096) {
        double r = (double)sz / (double)(took ? took : 1);
        mig.rate = mig.rate * 0.8 + r * 0.2;
        if (mig.rate < 50.0) mig.rate = 50.0;   /* a preempted copy must not freeze migration */
    }
    *pp = q;
    st->moved += sz;
    st->moved_blocks++;
    mig.stats.blocks_moved[to]++;
    if (st->moved >= st->plan->want_bytes) st->stop = 1;
    return st->stop;
}

static void walk_visit(void *priv, dict_node *n)
{
    walk_ctx *w = priv;
    tiering_step *st = w->st;
    kv *e = (kv *)n;
    if (!st->stop && (++w->visited & 63) == 0 && tier_now_us() >= st->deadline_us) st->stop = 1;
    if (st->stop) {
        /* the keyspace cursor moves past this bucket: come back for e */
        pending_push(w->db, e, 0);
        return;
    }
    const tiering_type_ops *o = ops_of(e->type);
    if (!o || !o->migrate) return;
    if (!filter_ok(w->use_clock, e, st)) {
        w->filtered++;
        return;
    }
    uint64_t cursor = 0;
    if (migrate_value(e, o, st, &cursor)) pending_push(w->db, e, cursor);
}

static void relax_filter(void)
{
    mig.cold_idle /= 4;
    mig.hot_idle = mig.hot_idle >= UINT32_MAX / 4 ? UINT32_MAX : mig.hot_idle * 4;
}

static void reset_filter(void)
{
    mig.cold_idle = COLD_IDLE_START;
    mig.hot_idle = HOT_IDLE_START;
}

static uint64_t walk(const tier_migrate_plan *plan, void *arg)
{
    (void)arg;
    if (mig.ndbs != server.ndbs) {
        tier_dram_free(mig.cursor);
        mig.cursor = tier_dram_calloc(sizeof(uint64_t) * (size_t)server.ndbs);
        mig.ndbs = server.ndbs;
        mig.db = 0;
    }
    if (mig.idle_ticks >= RESET_GAP_TICKS || plan->to != mig.last_to) {
        reset_filter();
        mig.dry_steps = 0;
    }
    mig.idle_ticks = 0;
    mig.last_to = plan->to;
    if (plan->sweep != mig.sweep) {
        /* A new sweep (or the end of one): its pass starts from the top. */
        mig.sweep = plan->sweep;
        mig.sweep_wrapped = 0;
        memset(mig.cursor, 0, sizeof(uint64_t) * (size_t)mig.ndbs);
        mig.db = 0;
    }
    tiering_step st = {.plan = plan, .deadline_us = plan->deadline_us};
    walk_ctx w = {.st = &st, .use_clock = tc.policy == TIER_POLICY_RATIO && !plan->sweep};
    pending_run(&st, &w);
    int cycles = 0;
    while (!st.stop && cycles < MAX_CYCLES_PER_STEP) {
        db *d = &server.dbs[mig.db];
        w.db = mig.db;
        if (dict_size(&d->keys) > 0) {
            mig.cursor[mig.db] = dict_scan(&d->keys, mig.cursor[mig.db], walk_visit, &w);
            if (mig.cursor[mig.db] != 0) continue;
        } else {
            mig.cursor[mig.db] = 0;
        }
        /* this database is done: on to the next, a cycle ends after the last */
        if (++mig.db == mig.ndbs) {
            mig.db = 0;
            cycles++;
            mig.stats.cycles++;
            if (w.use_clock) relax_filter();
            if (plan->sweep) mig.sweep_wrapped = 1;
        }
        if (tier_now_us() >= st.deadline_us) st.stop = 1;
        if (mig.sweep_wrapped) break;
    }
    /* Dry: the filter turned away most of what the step examined (all of
     * it, under a uniformly hot load).  A step that still finds enough
     * keys keeps the filter, so cold keys go first while there are any. */
    if (w.filtered <= DRY_RATIO * st.moved_blocks) {
        mig.dry_steps = 0;
    } else if (++mig.dry_steps >= DRY_STEPS) {
        relax_filter();
        mig.dry_steps = 0;
    }
    if (plan->sweep && mig.sweep_wrapped && mig.npend == 0) {
        tier_migrate_sweep_done(plan->sweep);
        mig.sweep = 0;
    }
    return st.moved;
}

static int paused;

void tiering_migration_pause(int delta)
{
    paused += delta;
    if (paused < 0) paused = 0;
}

static uint64_t thread_cpu_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Before the loop sleeps: a tick now if this iteration's placements made
 * one due (see tier_tick_due), without waiting for the cron. */
void tiering_before_sleep(void)
{
    if (started && tier_tick_due()) tier_tick((uint64_t)util_monotonic_us() / 1000);
}

void tiering_cron(void)
{
    if (!started) return;
    tier_tick((uint64_t)util_monotonic_us() / 1000);
    if (tc.budget_us <= 0 || paused) return;
    uint64_t t0 = tier_now_us();
    tier_migrate_plan plan;
    if (!tier_migrate_plan_get(&plan)) {
        if (mig.idle_ticks < RESET_GAP_TICKS) mig.idle_ticks++;
        return;
    }
    /* Wall time is what a client waits; CPU time is what the step itself
     * spent, which a preempted process (a loaded machine) does not inflate:
     * the budget is checked against both. */
    uint64_t c0 = thread_cpu_us();
    uint64_t moved = tier_migrate((uint64_t)tc.budget_us, walk, NULL);
    (void)moved;
    uint64_t dt = tier_now_us() - t0, dc = thread_cpu_us() - c0;
    mig.stats.steps++;
    mig.stats.last_step_us = dt;
    if (dt > mig.stats.max_step_us) mig.stats.max_step_us = dt;
    if (dc > mig.stats.max_step_cpu_us) mig.stats.max_step_cpu_us = dc;
}

/* ---- reporting ------------------------------------------------------------------ */

typedef struct out_buf {
    char *buf;
    size_t cap, len;
} out_buf;

static void outf(out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(out_buf *o, const char *fmt, ...)
{
    if (o->cap == 0 || o->len >= o->cap - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    o->len += (size_t)n;
    if (o->len > o->cap - 1) o->len = o->cap - 1;
}

static void out_bytes(out_buf *o, const char *name, uint64_t v)
{
    char h[32];
    server_bytes_human(h, sizeof(h), v);
    outf(o, "%s:%llu\r\n%s_human:%s\r\n", name, (unsigned long long)v, name, h);
}

static void out_share(out_buf *o, const char *name, double share)
{
    if (share < 0) outf(o, "%s:-\r\n", name);
    else outf(o, "%s:%.2f%%\r\n", name, share * 100.0);
}

size_t tiering_info(char *buf, size_t cap)
{
    out_buf o = {.buf = buf, .cap = cap, .len = 0};
    if (cap) buf[0] = '\0';
    tier_info ti;
    tier_get_info(&ti);
    const tier_stats *s = &ti.stats;
    out_bytes(&o, "used_memory_dram", s->used[TIER_DRAM]);
    out_bytes(&o, "used_memory_pmem", s->used[TIER_PMEM]);
    outf(&o, "used_memory_dram_user:%llu\r\n", (unsigned long long)s->user[TIER_DRAM]);
    outf(&o, "used_memory_pmem_user:%llu\r\n", (unsigned long long)s->user[TIER_PMEM]);
    outf(&o, "pmem_kind:%s\r\n", ti.kind_name);
    outf(&o, "pmem_variant:%s\r\n", ti.variant_name);
    outf(&o, "pmem_numa_nodes:%s\r\n", ti.nodes);
    outf(&o, "pmem_dir:%s\r\n", ti.dir);
    outf(&o, "pmem_backend:%s\r\n", ti.backend);
    out_bytes(&o, "pmem_capacity", ti.capacity);
    outf(&o, "pmem_fork_safe:%d\r\n", ti.fork_safe);
    outf(&o, "memory_alloc_policy:%s\r\n", ti.policy_name);
    /* -1: nothing goes to PMem (only-dram, no PMem tier) */
    outf(&o, "pmem_threshold:%lld\r\n", ti.threshold == UINT64_MAX ? -1LL : (long long)ti.threshold);
    outf(&o, "static_threshold:%llu\r\n", (unsigned long long)ti.static_threshold);
    outf(&o, "dynamic_threshold_min:%llu\r\n", (unsigned long long)ti.threshold_min);
    outf(&o, "dynamic_threshold_max:%llu\r\n", (unsigned long long)ti.threshold_max);
    outf(&o, "dram_pmem_ratio:%ld:%ld\r\n", ti.ratio_dram, ti.ratio_pmem);
    out_share(&o, "dram_share_target_perc", ti.target_share);
    out_share(&o, "dram_share_perc", ti.dram_share);
    outf(&o, "migrated_to_pmem_bytes:%llu\r\n", (unsigned long long)s->migrated_bytes[TIER_PMEM]);
    outf(&o, "migrated_to_dram_bytes:%llu\r\n", (unsigned long long)s->migrated_bytes[TIER_DRAM]);
    outf(&o, "realloc_moved_to_pmem_bytes:%llu\r\n", (unsigned long long)s->realloc_moved_bytes[TIER_PMEM]);
    outf(&o, "realloc_moved_to_dram_bytes:%llu\r\n", (unsigned long long)s->realloc_moved_bytes[TIER_DRAM]);
    outf(&o, "pmem_overflow_bytes:%llu\r\n", (unsigned long long)s->pmem_overflow_bytes);
    outf(&o, "pmem_overflow_count:%llu\r\n", (unsigned long long)s->pmem_overflow_count);
    /* soft-band placements, how many reused the tier of a block just freed,
     * how many the ratio sent elsewhere (tier.c, Placement) */
    outf(&o, "pmem_band_placements:%llu\r\n", (unsigned long long)s->band_placements);
    outf(&o, "pmem_band_reused:%llu\r\n", (unsigned long long)s->band_reused);
    outf(&o, "pmem_band_forced:%llu\r\n", (unsigned long long)s->band_forced);
    outf(&o, "tier_controller_ticks:%llu\r\n", (unsigned long long)s->ctl_ticks);
    outf(&o, "tier_controller_placed_ticks:%llu\r\n", (unsigned long long)s->ctl_ticks_placed);
    outf(&o, "tier_migration_budget_us:%lld\r\n", tc.budget_us);
    outf(&o, "tier_migration_steps:%llu\r\n", (unsigned long long)mig.stats.steps);
    outf(&o, "tier_migration_last_step_us:%llu\r\n", (unsigned long long)mig.stats.last_step_us);
    outf(&o, "tier_migration_max_step_us:%llu\r\n", (unsigned long long)mig.stats.max_step_us);
    outf(&o, "tier_migration_max_step_cpu_us:%llu\r\n", (unsigned long long)mig.stats.max_step_cpu_us);
    outf(&o, "tier_migration_skipped_large:%llu\r\n", (unsigned long long)mig.stats.skipped_large);
    /* the walk's hot/cold filter now: to PMem keys idle >= cold, to DRAM idle <= hot (s) */
    outf(&o, "tier_migration_cold_idle:%u\r\n", mig.cold_idle);
    outf(&o, "tier_migration_hot_idle:%u\r\n", mig.hot_idle);
    return o.len;
}
