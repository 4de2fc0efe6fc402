/* tier.h -- the tier allocator: one interface for every byte tierdb keeps.
 *
 * What it promises
 *   - tier_malloc(n) places user data by the current placement policy
 *     (only-dram, only-pmem, fixed threshold, or ratio with the dynamic
 *     threshold); tier_dram_malloc(n) always places on DRAM and is for
 *     metadata: object headers, hash-table entries and buckets, list nodes,
 *     client structures and buffers.
 *   - Neither returns NULL: on exhaustion the OOM handler runs and the
 *     process aborts.  The tier_try_* variants return NULL instead and are
 *     mandatory wherever the size comes from a client.
 *   - Per-tier byte counters are exact: every alloc/free/realloc adds or
 *     subtracts the usable size of the block it touched, no sampling.
 *   - tier_free(p) frees a user-data block of either tier.  Callers that
 *     know the tier pay no lookup: tier_dram_free() for metadata,
 *     tier_free_known() for user data whose tier they remember.
 *   - tier_realloc() of a user-data block whose new size crosses the
 *     threshold moves it to the tier the policy now chooses.
 *   - When PMem is full (its capacity, or the backend refuses), user data
 *     goes to DRAM and is counted in pmem_overflow_bytes.
 *   - tier_of(p) is a single address-range compare for every kind (see
 *     "Which tier holds p" in tier.c).
 *
 * User data vs metadata: tier_malloc/tier_realloc/tier_free/tier_move work
 * on user-data blocks (counted in user[] and used[]); tier_dram_* on
 * metadata blocks (counted in used[] only).  Never free a block with the
 * other family: the user counters would drift.
 *
 * Threads: allocation, free, tier_of and the stats getters are thread-safe
 * (the journal writer may allocate).  tier_init, tier_shutdown, the
 * tier_set_* setters, tier_tick and tier_migrate belong to the main thread.
 * tier_init/tier_shutdown additionally require that no other thread
 * allocates while they run (start-up, tests).
 *
 * Fork: DRAM, emulated and kmem-dax memory is private anonymous memory and
 * a fork child sees a frozen copy.  fsdax memory is a shared file mapping:
 * the child sees the parent's later writes.  tier_pmem_fork_safe() says
 * which case holds; the snapshot code must copy-on-write at value level
 * when it returns 0.
 *
 * Error convention: TIER_OK (0, same as TDB_OK) or a negative TIER_E*
 * code; a one-line message goes to the caller's buffer (may be NULL);
 * on error nothing changed.
 *
 * Design notes are at the top of tier.c.
 */
#ifndef TIER_H
#define TIER_H

#include <stddef.h>
#include <stdint.h>

#define TIER_VERSION 2

/* Error codes (negative errno values, so logs can strerror(-rc)). */
#define TIER_OK 0
#define TIER_EINVAL (-22)      /* a parameter is out of range or inconsistent */
#define TIER_ENODEV (-19)      /* the requested PMem kind is not available here */
#define TIER_ENOMEM (-12)      /* mapping or creating the PMem tier failed */
#define TIER_EBUSY (-16)       /* PMem tier in use (live blocks, or already open) */
#define TIER_ENOTSUP (-95)     /* built without the library the kind needs */

typedef enum tier_id {
    TIER_DRAM = 0,
    TIER_PMEM = 1,
    TIER_COUNT = 2
} tier_id;

typedef enum tier_kind {
    TIER_KIND_NONE = 0,        /* DRAM only */
    TIER_KIND_EMULATED,        /* private anonymous region managed as a PMem tier */
    TIER_KIND_KMEM_DAX,        /* memkind MEMKIND_DAX_KMEM / _ALL */
    TIER_KIND_FSDAX            /* memkind file-backed kind in pmem-dir */
} tier_kind;

typedef enum tier_variant {
    TIER_VARIANT_SINGLE = 0,   /* MEMKIND_DAX_KMEM: the closest KMEM-DAX node */
    TIER_VARIANT_MULTIPLE      /* MEMKIND_DAX_KMEM_ALL: every KMEM-DAX node */
} tier_variant;

typedef enum tier_policy {
    TIER_POLICY_ONLY_DRAM = 0,
    TIER_POLICY_ONLY_PMEM,
    TIER_POLICY_THRESHOLD,     /* size >= static threshold goes to PMem */
    TIER_POLICY_RATIO          /* dynamic threshold steering the DRAM:PMem ratio */
} tier_policy;

/* Everything tier_init needs.  Fill with tier_config_defaults() first. */
typedef struct tier_config {
    tier_kind kind;
    tier_variant variant;          /* kmem-dax only */
    const char *nodes;             /* kmem-dax: explicit node list "1" or "1,3", NULL/"" = memkind finds them */
    const char *dir;               /* fsdax: directory on a DAX file system */
    uint64_t size;                 /* PMem bytes: required for emulated and fsdax;
                                    * kmem-dax: 0 = the nodes' capacity, else a cap */
    tier_policy policy;
    uint64_t static_threshold;     /* threshold policy; 0 = unset */
    long ratio_dram, ratio_pmem;   /* target D:P of user bytes, both > 0 */
    uint64_t threshold_min;        /* bounds of the dynamic threshold */
    uint64_t threshold_max;
    uint64_t threshold_initial;    /* where the dynamic threshold starts */
    uint32_t period_ms;            /* controller period */
} tier_config;

/* Counters, all in bytes of usable size unless named *_count. */
typedef struct tier_stats {
    uint64_t used[TIER_COUNT];        /* all live blocks per tier */
    uint64_t user[TIER_COUNT];        /* live user-data blocks (tier_malloc) per tier */
    uint64_t allocs[TIER_COUNT];      /* number of live blocks per tier */
    uint64_t pmem_overflow_bytes;     /* user data placed on DRAM because PMem was full
                                       * (cumulative, allocations and reallocs) */
    uint64_t user_allocs[TIER_COUNT]; /* number of live user-data blocks per tier */
    uint64_t pmem_overflow_count;     /* how many placements overflowed */
    uint64_t migrated_bytes[TIER_COUNT];  /* by tier_move, indexed by destination:
                                           * [TIER_PMEM] = DRAM->PMem (cumulative) */
    uint64_t realloc_moved_bytes[TIER_COUNT]; /* threshold-crossing reallocs, by destination */
    uint64_t band_placements;         /* ratio policy: allocations sized inside the soft band */
    uint64_t band_reused;             /* ... that went to the tier of a band-sized block just freed */
    uint64_t band_forced;             /* ... that the ratio sent the other way (see tier.c Placement) */
    uint64_t ctl_ticks;               /* ratio controller ticks */
    uint64_t ctl_ticks_placed;        /* ... that computed the threshold from the
                                       * sizes placed (threshold_ctl_step_placed) */
} tier_stats;

/* Everything INFO memory prints about the tiers. */
typedef struct tier_info {
    tier_stats stats;
    double dram_share;         /* DRAM share of user bytes now, [0,1]; -1 with no user data */
    double target_share;       /* ratio: D/(D+P); only-dram 1; only-pmem 0; threshold -1 */
    uint64_t threshold;        /* effective: user blocks of size >= this go to PMem
                                * (UINT64_MAX: nothing does) */
    uint64_t static_threshold;
    uint64_t threshold_min, threshold_max, threshold_initial;
    long ratio_dram, ratio_pmem;
    uint32_t period_ms;
    tier_policy policy;
    const char *policy_name;   /* "only-dram" ... static strings */
    tier_kind kind;
    const char *kind_name;     /* "none", "emulated", "kmem-dax", "fsdax" */
    const char *variant_name;  /* kmem-dax: "single"/"multiple", else "" */
    const char *backend;       /* implementation: "memkind-fixed", "jemalloc-region", ... */
    char nodes[64];            /* kmem-dax explicit node list, "" when memkind chose */
    char dir[256];             /* fsdax directory, "" otherwise */
    uint64_t capacity;         /* PMem bytes tierdb may use; 0 without a PMem tier */
    int fork_safe;             /* 1 if a fork child sees a frozen PMem tier */
    int dram_own_arena;        /* 1 if DRAM has its own jemalloc arena (range-checked) */
} tier_info;

/* --- set-up --------------------------------------------------------------- */

/* Initialise the DRAM tier only (jemalloc), policy only-dram.  Always
 * succeeds; called first thing in main() and by unit tests.  Allocation
 * before it is fine too (it runs lazily). */
void tier_init_default(void);

/* Server defaults: emulated, 1 GiB, ratio 1:4, thresholds 64 B .. 1 GiB
 * starting at 4 KiB, period 100 ms. */
void tier_config_defaults(tier_config *c);

/* Open the PMem tier of c->kind and install the policy.  Checks that the
 * kind is available and says what is missing and what to set instead; it
 * never falls back to another kind.  Fails with TIER_EBUSY if a PMem tier
 * is already open (tier_shutdown first). */
int tier_init(const tier_config *c, char *err, size_t errlen);

/* Close the PMem tier and return to DRAM only / only-dram.  Fails with
 * TIER_EBUSY while PMem blocks are live.  For tests and orderly exit. */
int tier_shutdown(char *err, size_t errlen);

/* Names <-> enums, for the config file and CONFIG SET/GET.  Parsers return
 * TIER_OK or TIER_EINVAL (with the accepted names in the message). */
const char *tier_kind_name(tier_kind k);
const char *tier_policy_name(tier_policy p);
const char *tier_variant_name(tier_variant v);
int tier_kind_parse(const char *s, tier_kind *out, char *err, size_t errlen);
int tier_policy_parse(const char *s, tier_policy *out, char *err, size_t errlen);
int tier_variant_parse(const char *s, tier_variant *out, char *err, size_t errlen);

/* --- run-time configuration (main thread; nothing changes on error) ------ */
int tier_set_policy(tier_policy p, char *err, size_t errlen);
int tier_set_ratio(long dram, long pmem, char *err, size_t errlen);
int tier_set_static_threshold(int64_t bytes, char *err, size_t errlen);
int tier_set_threshold_bounds(int64_t min, int64_t max, char *err, size_t errlen);
/* Where the dynamic threshold restarts; applied now if the policy is ratio. */
int tier_set_initial_threshold(int64_t bytes, char *err, size_t errlen);
int tier_set_period(int64_t ms, char *err, size_t errlen);

/* --- allocation ---------------------------------------------------------- */
void *tier_malloc(size_t n);                  /* user data, placed by policy */
void *tier_try_malloc(size_t n);              /* same, NULL on failure */
void *tier_realloc(void *p, size_t n);        /* user data; may change tier */
void *tier_try_realloc(void *p, size_t n);    /* NULL on failure, p untouched */
void tier_free(void *p);                      /* user data, either tier; NULL is a no-op */
void tier_free_known(void *p, tier_id t);     /* user data the caller knows is on t */

void *tier_dram_malloc(size_t n);             /* metadata, always DRAM */
void *tier_dram_try_malloc(size_t n);
void *tier_dram_calloc(size_t n);
void *tier_dram_realloc(void *p, size_t n);
void tier_dram_free(void *p);                 /* p must be a DRAM metadata block */
char *tier_dram_strdup(const char *s);

size_t tier_usable_size(const void *p);       /* either tier */
tier_id tier_of(const void *p);               /* which tier holds p */

/* Would a user-data block of n bytes go to DRAM under the current policy?
 * Lets callers embed small values in a DRAM metadata block. */
int tier_places_on_dram(size_t n);

/* --- controller and migration (main thread) ------------------------------ */

/* The server calls this from its timer with a monotonic clock in ms.  Runs
 * the controller when the policy is ratio and a period has passed, or
 * sooner (at most once per ms) once tier_tick_due().
 * Returns 1 if the threshold changed, else 0. */
int tier_tick(uint64_t now_ms);

/* 1 when the calling thread placed, since the last tick, an eighth of the
 * user data (at least TIER_EARLY_TICK_MIN bytes) under the ratio policy,
 * enough for the controller to steer by them (threshold_hist_enough): a
 * load filling memory faster than the period would otherwise place a big
 * part of it by a stale threshold (a 4 KiB SET load places 25 MB per 100
 * ms tick, 20% of a 100k-key dataset).  Cheap: a compare, for the loop to
 * call before it sleeps. */
int tier_tick_due(void);
#define TIER_EARLY_TICK_MIN (256u << 10)

/* What a migration step should do.  Candidates are user blocks on `from`
 * whose usable size is in [min_size, max_size].
 *
 * A sweep (sweep != 0, threshold policy) has no single direction: after
 * the static threshold or the policy changed, every user block belongs
 * where the threshold puts it by usable size -- DRAM blocks of at least
 * `split` bytes to PMem, smaller PMem blocks to DRAM.  from/to and the
 * size window are unused, want_bytes is UINT64_MAX (the step ends at its
 * deadline), and the server reports a complete pass over its keys begun
 * under this plan with tier_migrate_sweep_done(plan->sweep). */
typedef struct tier_migrate_plan {
    tier_id from, to;
    uint64_t want_bytes;       /* 0: nothing to do */
    size_t min_size, max_size;
    uint64_t deadline_us;      /* tier_now_us() value at which the callback stops */
    uint64_t sweep;            /* 0, or the generation of the threshold sweep */
    uint64_t split;            /* sweep: blocks of usable size >= split belong on PMem */
} tier_migrate_plan;

/* Called by tier_migrate with the plan.  The server walks its keys (from a
 * cursor it keeps), and for each value p with tier_migrate_candidate(plan,
 * p) replaces it with tier_move(p, tier_migrate_dest(plan, p)); it stops
 * when it has moved want_bytes or tier_now_us() >= deadline_us.  Returns
 * bytes moved. */
typedef uint64_t (*tier_migrate_fn)(const tier_migrate_plan *plan, void *arg);

/* Fill *plan with the current need; returns 1 if there is work.  Work
 * exists only when new allocations are not getting there alone: the
 * controller has stalled or the threshold is pinned at a bound (ratio), or
 * user data sits on a tier the policy excludes (only-dram / only-pmem), or
 * the threshold policy's threshold moved (or the policy became threshold)
 * and no complete sweep has been reported since. */
int tier_migrate_plan_get(tier_migrate_plan *plan);

/* One bounded step: if there is work, call fn once with a deadline of
 * now + budget_us.  Returns the bytes fn reports moved (0 if no work). */
uint64_t tier_migrate(uint64_t budget_us, tier_migrate_fn fn, void *arg);

int tier_migrate_candidate(const tier_migrate_plan *plan, const void *p);
/* Where a candidate goes: plan->to, or for a sweep the other tier. */
tier_id tier_migrate_dest(const tier_migrate_plan *plan, const void *p);
/* The server finished a full pass of its keys under sweep generation gen;
 * a newer sweep (the threshold moved again meanwhile) stays pending. */
void tier_migrate_sweep_done(uint64_t gen);
uint64_t tier_now_us(void);                   /* CLOCK_MONOTONIC in microseconds */

/* Reallocate user block p onto tier `to` with the same usable size and
 * contents.  Returns the new pointer (p itself if already there), or NULL
 * with p untouched if `to` cannot take it (PMem full, no PMem tier). */
void *tier_move(void *p, tier_id to);

/* --- introspection ------------------------------------------------------- */
void tier_get_stats(tier_stats *out);
void tier_get_info(tier_info *out);
uint64_t tier_used_total(void);               /* DRAM + PMem, for maxmemory */
int tier_pmem_fork_safe(void);                /* 1 unless the PMem tier is a shared mapping */

/* maxmemory check: 1 if DRAM+PMem used bytes exceed limit (0 = no limit),
 * else 0.  *used gets the total, *excess how far over (0 if not); either
 * may be NULL. */
int tier_maxmemory_exceeded(uint64_t limit, uint64_t *used, uint64_t *excess);

/* Called by the server when an allocation fails after the OOM handler. */
typedef void (*tier_oom_handler)(size_t n);
void tier_set_oom_handler(tier_oom_handler fn);

#endif
