/* tier.c -- the tier allocator: placement, exact accounting, policy,
 * controller tick and migration between DRAM and PMem.
 *
 * DESIGN
 *
 * DRAM
 *   DRAM blocks come from jemalloc's non-standard API (mallocx/sallocx/
 *   dallocx) so that the usable size of every block is known exactly and
 *   the counters never drift.  tierdb's DRAM has an arena of its own whose
 *   extents all lie in one reserved address range (tier_jemalloc.c), used
 *   with a per-thread explicit tcache.  The flags are computed once, so the
 *   hot path is mallocx(n, flags) with no kind lookup.  If the reservation
 *   fails at start-up (a tight ulimit -v), DRAM falls back to jemalloc's
 *   default arenas and only the emulated PMem kind can be used.
 *
 * Which tier holds p
 *   tier_of(p) is `p - lo < len ? in : out`, one subtraction and compare:
 *     - DRAM in its own range: lo/len = the DRAM range, in = DRAM,
 *       out = PMem (or DRAM when there is no PMem tier).  This works for
 *       every PMem kind, including memkind's, whose addresses are
 *       unpredictable: memkind_detect_kind is never needed.
 *     - DRAM on the default arenas (fallback): lo/len = the emulated
 *       region, in = PMem, out = DRAM.  kmem-dax and fsdax refuse to start
 *       in this mode rather than guess.
 *   There is no per-block header, so no per-block cost.
 *
 * PMem
 *   A backend ops table chosen at tier_init (tier_internal.h): memkind
 *   fixed kind or jemalloc region for emulated, MEMKIND_DAX_KMEM(_ALL) for
 *   kmem-dax, memkind_create_pmem for fsdax.  The capacity is enforced from
 *   our own counters before calling the backend: a KMEM-DAX node under
 *   MPOL_BIND does not fail malloc when full, it invokes the OOM killer.
 *   When PMem cannot take a user block, it goes to DRAM and the usable
 *   bytes are added to pmem_overflow_bytes.
 *
 * Placement
 *   Every policy reduces to one number, thr_eff: a user block of size n
 *   goes to PMem iff n >= thr_eff.  only-dram (or no PMem tier) is
 *   UINT64_MAX, only-pmem is 0, threshold is the static threshold, ratio is
 *   the controller's output.  The hot path reads it with relaxed loads;
 *   only the main thread writes it (setters, tier_tick).
 *   Under the ratio policy the split is soft: sizes in [band_lo, band_hi)
 *   around thr_eff go to PMem with a probability that rises linearly from
 *   0 to 1 across the band.  With one value size (or a few) a hard split
 *   can only put all of them on one tier, so the controller would swing
 *   between the two ends and never hold a share in between; the ramp makes
 *   the share a continuous function of the threshold.  The share is kept
 *   by error diffusion, not a coin, and a placement prefers the tier of the
 *   band-sized block freed last, so overwrites reuse the thread cache of
 *   the tier they freed on (band_choose).  A realloc that stays
 *   in the band keeps its tier (no coin toss per growth step).  The other
 *   policies have an empty band: exactly n >= threshold.
 *
 * Accounting
 *   Relaxed atomics: the main thread and the journal writer both allocate.
 *   used[] covers every live block, user[] the tier_malloc family.  A
 *   realloc adjusts by (new usable - old usable), a move by a free on one
 *   side and an alloc on the other, so the sums stay exact.  A reader may
 *   see used[] and user[] from slightly different moments; each one is
 *   exact on its own.
 *
 * Controller and migration
 *   tier_tick() runs threshold_ctl_step_placed() every period under the
 *   ratio policy, with the histogram of the sizes the main thread placed
 *   since the last tick (placed_hist: filled on the allocation path, four
 *   additions, only under the ratio policy), and sooner than the period
 *   when those placements grow big (tier_tick_due).  New allocations steer
 *   the share only as fast as the workload writes; when the controller
 *   reports it is stalled (the error stopped shrinking) or the threshold
 *   sits at a bound (its own, or the end of the range of sizes seen: see
 *   threshold.h), tier_migrate_plan_get() asks the server to move existing
 *   values (it owns the key walk) with tier_move(), within a time budget
 *   per tick.
 */
#include "tier.h"

#include "threshold.h"
#include "tier_internal.h"

#include <jemalloc/jemalloc.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TIER_MIGRATE_DEADBAND 0.01  /* share error below which nothing is moved */
#define TIER_MIGRATE_STALL_TICKS 3  /* stalled controller ticks before moving data */

/* ---- counters (any thread) ---------------------------------------------- */

static _Atomic uint64_t c_used[TIER_COUNT];
static _Atomic uint64_t c_user[TIER_COUNT];
static _Atomic uint64_t c_blocks[TIER_COUNT];
static _Atomic uint64_t c_user_blocks[TIER_COUNT];
static _Atomic uint64_t c_overflow_bytes;
static _Atomic uint64_t c_overflow_count;
static _Atomic uint64_t c_migrated[TIER_COUNT];
static _Atomic uint64_t c_realloc_moved[TIER_COUNT];

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)
#define ADD(x, v) atomic_fetch_add_explicit(&(x), (uint64_t)(v), memory_order_relaxed)

static inline void account(tier_id t, int user, int64_t delta, int64_t nblocks)
{
    ADD(c_used[t], delta);
    ADD(c_blocks[t], nblocks);
    if (user) {
        ADD(c_user[t], delta);
        ADD(c_user_blocks[t], nblocks);
    }
}

/* ---- state set at init (read by any thread, written at start-up) -------- */

static _Atomic int dram_ready;
static pthread_once_t dram_once = PTHREAD_ONCE_INIT;
static int dram_arena_flags;          /* MALLOCX_ARENA(dram) or 0 (default arenas) */
static tier_jregion *dram_region;

static uintptr_t of_lo, of_len;       /* tier_of: see DESIGN */
static tier_id of_in = TIER_DRAM, of_out = TIER_DRAM;

static tier_backend pmem;             /* valid iff pmem_open */
static int pmem_open;

/* user size >= thr_eff goes to PMem; written by the main thread only */
static _Atomic uint64_t thr_eff = UINT64_MAX;
/* The soft band (see Placement), in 1/256 byte (BAND_FX): the ratio
 * controller's threshold is a real number, and at 64-byte values one whole
 * byte of it moved 3.4% of placements.  band_lo == band_hi == thr_eff
 * outside ratio. */
#define BAND_FX 8
static _Atomic uint64_t band_lo = UINT64_MAX, band_hi = UINT64_MAX;
/* BAND_ONE * 2^32 / (band_hi - band_lo), so a band placement's P is one
 * multiplication, not three conversions and a division in double */
static _Atomic uint64_t band_inv;
/* Freed usable sizes that count as the band's (band_note_free), in whole
 * bytes: [band_free_lo, band_free_lo + band_free_span); span 0 outside
 * ratio, so a free tests one unsigned difference. */
static _Atomic uint64_t band_free_lo, band_free_span;

/* a size (or threshold) in band units, saturating */
static inline uint64_t to_fx(uint64_t n)
{
    return n >= (UINT64_C(1) << (64 - BAND_FX)) ? UINT64_MAX : n << BAND_FX;
}

static inline uint64_t real_to_fx(double x)
{
    if (!(x > 0)) return 0;
    if (x >= (double)(UINT64_C(1) << (64 - BAND_FX))) return UINT64_MAX;
    return (uint64_t)(x * (1 << BAND_FX));
}
/* Smallest and largest user request seen since tier_init: the controller's
 * useful range (anti-windup, see threshold.h).  Written only when a new
 * extreme appears, so the hot path is a load and a compare each. */
static _Atomic uint64_t size_seen_lo = UINT64_MAX, size_seen_hi;
/* The band's placement state, per thread so it needs no lock (see
 * Placement).  band_debt: sum over band placements of P(PMem) minus the
 * choice (1 = PMem), in 1/BAND_ONE blocks, kept within +-BAND_DEBT_MAX.
 * band_credit[t]: band-sized user blocks this thread freed on tier t and
 * has not allocated since (capped: roughly what a thread cache holds).
 * band_last: the tier of the last of them, TIER_COUNT once taken: a thread
 * cache hands out the block freed last first, so that is the tier whose
 * next allocation is a cache hit on a warm block. */
#define BAND_ONE (1 << 16)
#define BAND_DEBT_MAX (16 * BAND_ONE)
#define BAND_CREDIT_MAX 16
static _Thread_local int64_t band_debt;
static _Thread_local uint8_t band_credit[TIER_COUNT];
static _Thread_local uint8_t band_last = TIER_COUNT;
/* Band placements and those that reused a freed block's tier, counted per
 * thread and added to the shared counters every BAND_FLUSH placements
 * and by tier_get_stats (the caller's own): two locked adds per band
 * placement otherwise.  Another thread's last few are not in INFO until
 * it places more. */
#define BAND_FLUSH 256
static _Thread_local uint32_t band_n_placed, band_n_reused;
static _Atomic uint64_t c_band_placements;
/* Placements the debt bound turned away from the tier a free pointed at
 * (INFO: a rate near zero says the band reuses freed blocks in place). */
static _Atomic uint64_t c_band_forced;
/* controller ticks, and those that steered by the placements' histogram */
static _Atomic uint64_t c_ticks, c_ticks_placed;
static _Atomic uint64_t c_band_reused;

/* ---- configuration and controller (main thread) ------------------------- */

static struct {
    tier_kind kind;
    tier_variant variant;
    char nodes[64];
    char dir[256];
    uint64_t size;
    tier_policy policy;
    uint64_t static_thr;
    long ratio_dram, ratio_pmem;
    uint64_t tmin, tmax, tinit;
    uint32_t period_ms;
} cfg = {
    .kind = TIER_KIND_NONE,
    .policy = TIER_POLICY_ONLY_DRAM,
    .ratio_dram = 1,
    .ratio_pmem = 4,
    .tmin = 0,
    .tmax = 1ULL << 30,
    .tinit = 4096,
    .period_ms = 100,
};

static double dyn_thr = 4096;         /* the ratio controller's threshold, bytes */
/* Threshold-policy sweeps: sweep_gen moves whenever the threshold policy's
 * split changes (or the policy becomes threshold); sweep_done is the last
 * generation the server walked completely.  Equal: nothing to sweep. */
static uint64_t sweep_gen, sweep_done;
static tier_policy applied_policy = TIER_POLICY_ONLY_DRAM;
static threshold_ctl ctl;
/* What the ratio policy placed since the last tick, for the controller;
 * per thread because the hot path fills it without a lock, and the main
 * thread (the one that places user data and runs tier_tick) is the one
 * read.  hist_on: the ratio policy is in force, so placements count. */
static _Thread_local threshold_hist placed_hist;
/* placed_hist.placed_bytes at which tier_tick_due() says yes; set at each tick */
static _Thread_local uint64_t early_tick_at = TIER_EARLY_TICK_MIN;
static _Atomic int hist_on;
static uint64_t last_tick_ms;
static int have_tick;

static void tier_default_oom(size_t n)
{
    fprintf(stderr, "tierdb: out of memory allocating %zu bytes\n", n);
    fflush(stderr);
    abort();
}

static tier_oom_handler oom_handler = tier_default_oom;

void tier_set_oom_handler(tier_oom_handler fn) { oom_handler = fn ? fn : tier_default_oom; }

int tier_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* ---- DRAM ----------------------------------------------------------------- */

static inline void note_placed(size_t n, int on_dram)
{
    if (atomic_load_explicit(&hist_on, memory_order_relaxed))
        threshold_hist_note(&placed_hist, n, on_dram);
}

static inline void note_grown(size_t added)
{
    if (atomic_load_explicit(&hist_on, memory_order_relaxed))
        threshold_hist_grow(&placed_hist, added);
}

/* The usable size of a fresh jemalloc block for a request of n bytes:
 * nallocx does the same size computation as mallocx (documented so), and
 * for the small requests that make up most of the traffic a table answers
 * it.  sallocx after each allocation was two radix-tree walks per SET,
 * about 45 instructions each.  Size classes up to JSIZE_MAX are multiples
 * of 8, so rounding a request up to 8 keeps its class. */
#define JSIZE_MAX 4096
static uint16_t jsize_tab[JSIZE_MAX / 8 + 1];

static void jsize_setup(void)
{
    for (size_t i = 0; i <= JSIZE_MAX / 8; i++)
        jsize_tab[i] = (uint16_t)nallocx(i ? i * 8 : 1, 0);
}

static inline size_t jsize(size_t n)
{
    return n <= JSIZE_MAX ? jsize_tab[(n + 7) >> 3] : nallocx(n, 0);
}

static void dram_setup(void)
{
    /* Largest reservation the address-space limit allows; a terabyte of
     * PROT_NONE costs nothing but page-table-free VA. */
    static const size_t sizes[] = {1ULL << 40, 1ULL << 38, 1ULL << 36, 1ULL << 34};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (tier_jregion_open(&dram_region, NULL, sizes[i], NULL, 0) == TIER_OK) {
            dram_arena_flags = tier_jregion_arena_flags(dram_region);
            tier_jregion_range(dram_region, &of_lo, &of_len);
            of_in = of_out = TIER_DRAM;
            tier_jemalloc_dram_tcache_enable();
            break;
        }
    }
    jsize_setup();
    threshold_ctl_init(&ctl);
    atomic_store_explicit(&dram_ready, 1, memory_order_release);
}

void tier_init_default(void) { pthread_once(&dram_once, dram_setup); }

static inline void ensure_ready(void)
{
    if (__builtin_expect(!atomic_load_explicit(&dram_ready, memory_order_acquire), 0))
        tier_init_default();
}

static inline int dram_flags(void)
{
    return dram_arena_flags ? dram_arena_flags | tier_jemalloc_dram_tcache() : 0;
}

static inline int dram_free_flags(void)
{
    return dram_arena_flags ? tier_jemalloc_dram_tcache() : 0;
}

static void *dram_alloc(size_t n, int user, int zero)
{
    ensure_ready();
    void *p = mallocx(n ? n : 1, dram_flags() | (zero ? MALLOCX_ZERO : 0));
    if (p) account(TIER_DRAM, user, (int64_t)jsize(n), 1);
    return p;
}

static void *dram_realloc(void *p, size_t n, int user)
{
    size_t old = sallocx(p, 0);
    void *q = rallocx(p, n ? n : 1, dram_flags());
    if (!q) return NULL;
    size_t now = sallocx(q, 0);
    account(TIER_DRAM, user, (int64_t)now - (int64_t)old, 0);
    if (user && now > old) note_grown(now - old);
    return q;
}

/* sdallocx with the usable size: jemalloc derives the size class from it
 * instead of a second radix-tree lookup of p. */
static inline void dram_free_sized(void *p, size_t sz, int user)
{
    account(TIER_DRAM, user, -(int64_t)sz, -1);
    sdallocx(p, sz, dram_free_flags());
}

static void dram_free(void *p, int user) { dram_free_sized(p, sallocx(p, 0), user); }

/* ---- PMem ----------------------------------------------------------------- */

/* When the PMem tier is a jemalloc arena of ours (emulated), pmem_jflags is
 * its MALLOCX_ARENA and the raw calls below go straight to jemalloc, with
 * the same kind of explicit thread cache as DRAM: no indirect call, no
 * lock on a tcache hit.  Only the thread that opened the tier (the main
 * thread, which does all the value work) gets that cache, so
 * tier_shutdown can destroy it before the arena without chasing other
 * threads; the others use none.  pmem_gen tells a thread whether its
 * cached decision belongs to the tier open now. */
static int pmem_jflags;
static int pmem_tc = MALLOCX_TCACHE_NONE;
static pthread_t pmem_owner;
static unsigned pmem_gen;
static __thread unsigned tls_pmem_gen;

static int pmem_tcache_slow(void)
{
    if (!pthread_equal(pthread_self(), pmem_owner)) return MALLOCX_TCACHE_NONE;
    tls_pmem_gen = pmem_gen;
    return pmem_tc;
}

static inline int pmem_tcache(void)
{
    return __builtin_expect(tls_pmem_gen == pmem_gen, 1) ? pmem_tc : pmem_tcache_slow();
}

static inline void *pmem_raw_alloc(size_t n)
{
    if (pmem_jflags) return mallocx(n, pmem_jflags | pmem_tcache());
    return pmem.ops->alloc(pmem.ctx, n);
}

static inline void *pmem_raw_realloc(void *p, size_t n)
{
    if (pmem_jflags) return rallocx(p, n, pmem_jflags | pmem_tcache());
    return pmem.ops->realloc(pmem.ctx, p, n);
}

static inline size_t pmem_raw_usable(const void *p)
{
    if (pmem_jflags) return sallocx((void *)p, 0);
    return pmem.ops->usable(pmem.ctx, p);
}

/* sz: the block's usable size (lets jemalloc skip its lookup). */
static inline void pmem_raw_free_sized(void *p, size_t sz)
{
    if (pmem_jflags) sdallocx(p, sz, pmem_tcache());
    else pmem.ops->free(pmem.ctx, p);
}

/* Room for n more bytes under our capacity?  A race between two threads can
 * overshoot by one block; the backend still refuses when it is truly full. */
static inline int pmem_room(uint64_t n)
{
    uint64_t used = LOAD(c_used[TIER_PMEM]);
    return used <= pmem.capacity && n <= pmem.capacity - used;
}

static void *pmem_alloc_user(size_t n)
{
    if (!pmem_open || !pmem_room(n)) return NULL;
    void *p = pmem_raw_alloc(n ? n : 1);
    if (p) account(TIER_PMEM, 1, (int64_t)(pmem_jflags ? jsize(n) : pmem_raw_usable(p)), 1);
    return p;
}

static inline void pmem_free_user_sized(void *p, size_t sz)
{
    account(TIER_PMEM, 1, -(int64_t)sz, -1);
    pmem_raw_free_sized(p, sz);
}


/* 1: PMem, 0: DRAM, -1: inside the ratio policy's band */
static inline int placement_fx(uint64_t nf)
{
    if (nf >= atomic_load_explicit(&band_hi, memory_order_relaxed)) return 1;
    if (nf < atomic_load_explicit(&band_lo, memory_order_relaxed)) return 0;
    return -1;
}

static inline int placement(size_t n) { return placement_fx(to_fx(n)); }

static void band_flush(void)
{
    ADD(c_band_placements, band_n_placed);
    ADD(c_band_reused, band_n_reused);
    band_n_placed = band_n_reused = 0;
}

/* A size inside the band: PMem with probability P = (n - lo) / (hi - lo)
 * in the long run, but not by a coin per block.  A coin sends about
 * 2P(1-P) of the overwrites of one value size to the other tier than the
 * block just freed (32% at 1:4), so neither tier's thread cache gets its
 * freed block back: the caches run empty on one side and full on the
 * other, and about one allocation in twenty went through jemalloc's slabs
 * instead of the cache (4 KiB SETs lost 5-10% of throughput to it).  So a
 * block freed in the band is a credit for its tier and the next band
 * placement takes the tier of the block freed last, or else the only tier
 * with credit (counts alone let both tiers hold credit for long stretches,
 * and meanwhile placements went by the debt: 9% of overwrites changed
 * tier, against 1.5% when the last free decides); band_debt keeps the
 * count honest: it adds P
 * per placement and subtracts each PMem choice, and a choice that would
 * push it past +-BAND_DEBT_MAX goes the other way.  The share of PMem
 * placements is therefore P within BAND_DEBT_MAX blocks, deterministically
 * (no credit at all: plain error diffusion), which is what the controller
 * needs; and when frees already come at the target mix, nearly every
 * allocation reuses the tier of the block just freed. */
static int band_choose(uint64_t nf)
{
    uint64_t lo = atomic_load_explicit(&band_lo, memory_order_relaxed);
    uint64_t hi = atomic_load_explicit(&band_hi, memory_order_relaxed);
    if (hi <= lo || nf < lo) return nf >= hi;   /* moved meanwhile */
    /* nf - lo < hi - lo, so the product is below BAND_ONE << 32 unless
     * the band moved between the loads: then P is clamped, once. */
    unsigned __int128 q = (unsigned __int128)(nf - lo) *
                          atomic_load_explicit(&band_inv, memory_order_relaxed);
    int64_t p = (q >> 32) < BAND_ONE ? (int64_t)(q >> 32) : BAND_ONE;
    int64_t d = band_debt + p;     /* the debt if this block goes to DRAM */
    if (++band_n_placed >= BAND_FLUSH) band_flush();
    int want;
    if (band_last != TIER_COUNT)
        want = band_last == TIER_PMEM;          /* the block freed last */
    else if (band_credit[TIER_PMEM] != band_credit[TIER_DRAM] &&
             (!band_credit[TIER_PMEM] || !band_credit[TIER_DRAM]))
        want = band_credit[TIER_PMEM] != 0;     /* only one tier has a freed block */
    else
        want = d >= BAND_ONE / 2;
    band_last = TIER_COUNT;
    int64_t nd = want ? d - BAND_ONE : d;
    if (nd > BAND_DEBT_MAX || nd < -BAND_DEBT_MAX) {
        want = !want;
        nd = want ? d - BAND_ONE : d;
        ADD(c_band_forced, 1);
    }
    band_debt = nd;
    if (band_credit[want]) {
        band_credit[want]--;
        band_n_reused++;
    }
    return want;
}

/* A user block of usable size sz left tier t: a band credit if it is the
 * size of what the band places (a request in [lo, hi) is served by a size
 * class at most a quarter above it). */
static inline void band_note_free(tier_id t, size_t sz)
{
    if ((uint64_t)sz - atomic_load_explicit(&band_free_lo, memory_order_relaxed) <
        atomic_load_explicit(&band_free_span, memory_order_relaxed)) {
        band_last = (uint8_t)t;
        if (band_credit[t] < BAND_CREDIT_MAX) band_credit[t]++;
    }
}

static inline int wants_pmem(size_t n)
{
    uint64_t nf = to_fx(n);
    int w = placement_fx(nf);
    return w >= 0 ? w : band_choose(nf);
}

static void note_overflow(void *q)
{
    ADD(c_overflow_bytes, sallocx(q, 0));
    ADD(c_overflow_count, 1);
}

/* ---- user data -------------------------------------------------------------- */

static inline void note_size(size_t n)
{
    if (__builtin_expect((uint64_t)n > atomic_load_explicit(&size_seen_hi, memory_order_relaxed), 0))
        atomic_store_explicit(&size_seen_hi, n, memory_order_relaxed);
    if (__builtin_expect((uint64_t)n < atomic_load_explicit(&size_seen_lo, memory_order_relaxed), 0))
        atomic_store_explicit(&size_seen_lo, n, memory_order_relaxed);
}

static void *user_alloc(size_t n)
{
    ensure_ready();
    note_size(n);
    if (wants_pmem(n)) {
        void *p = pmem_alloc_user(n);
        if (p) {
            note_placed(n, 0);
            return p;
        }
        void *q = dram_alloc(n, 1, 0);
        if (q) {
            note_overflow(q);
            note_placed(n, 1);
        }
        return q;
    }
    void *q = dram_alloc(n, 1, 0);
    if (q) note_placed(n, 1);
    return q;
}

/* Allocate on `to`, copy, free the old block.  For PMem, NULL if full. */
static void *move_block(void *p, tier_id from, size_t old, size_t n, tier_id to)
{
    void *q = to == TIER_PMEM ? pmem_alloc_user(n) : dram_alloc(n, 1, 0);
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    if (from == TIER_DRAM) dram_free_sized(p, old, 1);
    else pmem_free_user_sized(p, old);
    return q;
}

static void *user_realloc(void *p, size_t n)
{
    if (!p) return user_alloc(n);
    if (n == 0) n = 1;
    note_size(n);
    tier_id cur = tier_of(p);
    int to_pmem = placement(n);
    if (to_pmem < 0) to_pmem = cur == TIER_PMEM;   /* in the band: stay */

    if (cur == TIER_DRAM) {
        if (to_pmem) {
            size_t old = sallocx(p, 0);
            void *q = move_block(p, TIER_DRAM, old, n, TIER_PMEM);
            if (q) {
                ADD(c_realloc_moved[TIER_PMEM], pmem_raw_usable(q));
                note_placed(n, 0);
                return q;
            }
            /* PMem full: stay on DRAM, counted as overflow. */
            q = dram_realloc(p, n, 1);
            if (q) note_overflow(q);
            return q;
        }
        return dram_realloc(p, n, 1);
    }

    size_t old = pmem_raw_usable(p);
    if (!to_pmem) {
        void *q = move_block(p, TIER_PMEM, old, n, TIER_DRAM);
        if (q) {
            ADD(c_realloc_moved[TIER_DRAM], sallocx(q, 0));
            note_placed(n, 1);
        }
        return q;
    }
    if (n <= old || pmem_room(n - old)) {
        void *q = pmem_raw_realloc(p, n);
        if (q) {
            size_t now = pmem_raw_usable(q);
            account(TIER_PMEM, 1, (int64_t)now - (int64_t)old, 0);
            if (now > old) note_grown(now - old);
            return q;
        }
    }
    /* PMem cannot hold the grown block: it leaves for DRAM. */
    void *q = move_block(p, TIER_PMEM, old, n, TIER_DRAM);
    if (q) note_overflow(q);
    return q;
}

void *tier_try_malloc(size_t n) { return user_alloc(n); }

void *tier_malloc(size_t n)
{
    void *p = user_alloc(n);
    if (!p) oom_handler(n);
    return p;
}

void *tier_try_realloc(void *p, size_t n) { return user_realloc(p, n); }

void *tier_realloc(void *p, size_t n)
{
    void *q = user_realloc(p, n);
    if (!q) oom_handler(n);
    return q;
}

void tier_free(void *p)
{
    if (!p) return;
    tier_free_known(p, tier_of(p));
}

void tier_free_known(void *p, tier_id t)
{
    if (!p) return;
#ifdef TDB_DEBUG
    if (tier_of(p) != t) {
        fprintf(stderr, "tierdb: tier_free_known(%p, %d) but the block is on tier %d\n",
                p, (int)t, (int)tier_of(p));
        abort();
    }
#endif
    size_t sz = t == TIER_DRAM ? sallocx(p, 0) : pmem_raw_usable(p);
    band_note_free(t, sz);
    if (t == TIER_DRAM)
        dram_free_sized(p, sz, 1);
    else
        pmem_free_user_sized(p, sz);
}

/* ---- metadata ------------------------------------------------------------- */

void *tier_dram_try_malloc(size_t n) { return dram_alloc(n, 0, 0); }

void *tier_dram_malloc(size_t n)
{
    void *p = dram_alloc(n, 0, 0);
    if (!p) oom_handler(n);
    return p;
}

void *tier_dram_calloc(size_t n)
{
    void *p = dram_alloc(n, 0, 1);
    if (!p) oom_handler(n);
    return p;
}

void *tier_dram_realloc(void *p, size_t n)
{
    void *q = p ? dram_realloc(p, n, 0) : dram_alloc(n, 0, 0);
    if (!q) oom_handler(n);
    return q;
}

void tier_dram_free(void *p)
{
    if (p) dram_free(p, 0);
}

char *tier_dram_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = tier_dram_malloc(n);
    memcpy(d, s, n);
    return d;
}

tier_id tier_of(const void *p)
{
    return (uintptr_t)p - of_lo < of_len ? of_in : of_out;
}

size_t tier_usable_size(const void *p)
{
    if (!p) return 0;
    return tier_of(p) == TIER_DRAM ? sallocx((void *)p, 0) : pmem_raw_usable(p);
}

int tier_places_on_dram(size_t n) { return placement(n) == 0; }

/* ---- names ---------------------------------------------------------------- */

static const char *const kind_names[] = {"none", "emulated", "kmem-dax", "fsdax"};
static const char *const policy_names[] = {"only-dram", "only-pmem", "threshold", "ratio"};
static const char *const variant_names[] = {"single", "multiple"};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *tier_kind_name(tier_kind k)
{
    return (unsigned)k < NELEM(kind_names) ? kind_names[k] : "?";
}

const char *tier_policy_name(tier_policy p)
{
    return (unsigned)p < NELEM(policy_names) ? policy_names[p] : "?";
}

const char *tier_variant_name(tier_variant v)
{
    return (unsigned)v < NELEM(variant_names) ? variant_names[v] : "?";
}

static int parse_name(const char *s, const char *const *names, size_t n, int *out,
                      const char *what, char *err, size_t errlen)
{
    for (size_t i = 0; s && i < n; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (int)i;
            return TIER_OK;
        }
    }
    char list[128] = "";
    for (size_t i = 0; i < n; i++) {
        strncat(list, names[i], sizeof(list) - strlen(list) - 1);
        if (i + 1 < n) strncat(list, ", ", sizeof(list) - strlen(list) - 1);
    }
    return tier_err(err, errlen, TIER_EINVAL, "unknown %s \"%s\"; expected one of: %s",
                    what, s ? s : "", list);
}

int tier_kind_parse(const char *s, tier_kind *out, char *err, size_t errlen)
{
    int v, rc = parse_name(s, kind_names, NELEM(kind_names), &v, "pmem-kind", err, errlen);
    if (rc == TIER_OK) *out = (tier_kind)v;
    return rc;
}

int tier_policy_parse(const char *s, tier_policy *out, char *err, size_t errlen)
{
    int v, rc = parse_name(s, policy_names, NELEM(policy_names), &v, "memory-alloc-policy", err,
                           errlen);
    if (rc == TIER_OK) *out = (tier_policy)v;
    return rc;
}

int tier_variant_parse(const char *s, tier_variant *out, char *err, size_t errlen)
{
    int v, rc = parse_name(s, variant_names, NELEM(variant_names), &v, "pmem-variant", err,
                           errlen);
    if (rc == TIER_OK) *out = (tier_variant)v;
    return rc;
}

/* ---- policy state ------------------------------------------------------------ */

static double clamp_thr(double v)
{
    return v < (double)cfg.tmin ? (double)cfg.tmin : v > (double)cfg.tmax ? (double)cfg.tmax : v;
}

/* Recompute thr_eff from cfg; the only writer of thr_eff. */
static void apply_policy(void)
{
    uint64_t t = UINT64_MAX;
    if (pmem_open) {
        switch (cfg.policy) {
        case TIER_POLICY_ONLY_DRAM: t = UINT64_MAX; break;
        case TIER_POLICY_ONLY_PMEM: t = 0; break;
        case TIER_POLICY_THRESHOLD: t = cfg.static_thr; break;
        case TIER_POLICY_RATIO: t = (uint64_t)dyn_thr; break;
        }
    }
    uint64_t old = atomic_load_explicit(&thr_eff, memory_order_relaxed);
    tier_policy was = applied_policy;
    applied_policy = pmem_open ? cfg.policy : TIER_POLICY_ONLY_DRAM;
    /* Under the other policies the counters say what is misplaced; under a
     * fixed threshold only a change of it can misplace values wholesale. */
    if (applied_policy == TIER_POLICY_THRESHOLD && (was != TIER_POLICY_THRESHOLD || old != t))
        sweep_gen++;
    uint64_t lo = to_fx(t), hi = lo;
    if (applied_policy == TIER_POLICY_RATIO) {
        double l, h;
        threshold_band(dyn_thr, &l, &h);
        lo = real_to_fx(l);
        hi = real_to_fx(h);
    }
    atomic_store_explicit(&hist_on, applied_policy == TIER_POLICY_RATIO, memory_order_relaxed);
    atomic_store_explicit(&thr_eff, t, memory_order_relaxed);
    /* inv first: a placer that sees the new edges with the old inverse
     * clamps P; one that sees the new inverse with old edges errs by
     * the ratio of the widths, for one placement */
    uint64_t w = hi > lo ? hi - lo : 0;
    atomic_store_explicit(&band_inv, w ? (uint64_t)(((unsigned __int128)BAND_ONE << 32) / w) : 0,
                          memory_order_relaxed);
    atomic_store_explicit(&band_lo, lo, memory_order_relaxed);
    atomic_store_explicit(&band_hi, hi, memory_order_relaxed);
    /* a block freed in the band has the usable size of a request in
     * [lo, hi): at most a quarter above it (jemalloc's size classes) */
    uint64_t flo = 0, fspan = 0;
    if (w && hi != UINT64_MAX) {
        flo = (lo + (1 << BAND_FX) - 1) >> BAND_FX;
        uint64_t fhi = (hi + hi / 4 + (1 << BAND_FX) - 1) >> BAND_FX;
        fspan = fhi > flo ? fhi - flo : 0;
    }
    atomic_store_explicit(&band_free_lo, flo, memory_order_relaxed);
    atomic_store_explicit(&band_free_span, fspan, memory_order_relaxed);
}

static void restart_controller(void)
{
    dyn_thr = clamp_thr((double)cfg.tinit);
    threshold_ctl_init(&ctl);
    threshold_hist_reset(&placed_hist);
    have_tick = 0;
}

static int check_policy(tier_policy p, int have_pmem, uint64_t static_thr, char *err,
                        size_t errlen)
{
    if ((unsigned)p >= NELEM(policy_names))
        return tier_err(err, errlen, TIER_EINVAL, "unknown placement policy %d", (int)p);
    if (p != TIER_POLICY_ONLY_DRAM && !have_pmem)
        return tier_err(err, errlen, TIER_EINVAL,
                        "memory-alloc-policy %s needs a PMem tier, and pmem-kind is none; set "
                        "pmem-kind emulated, kmem-dax or fsdax, or memory-alloc-policy only-dram",
                        tier_policy_name(p));
    if (p == TIER_POLICY_THRESHOLD && static_thr == 0)
        return tier_err(err, errlen, TIER_EINVAL,
                        "memory-alloc-policy threshold needs static-threshold (bytes, > 0) set first");
    return TIER_OK;
}

static int check_ratio(long d, long p, char *err, size_t errlen)
{
    if (d <= 0 || p <= 0)
        return tier_err(err, errlen, TIER_EINVAL,
                        "dram-pmem-ratio %ld %ld: both parts must be positive (DRAM:PMem, e.g. "
                        "1:4); for all-DRAM or all-PMem use memory-alloc-policy only-dram/only-pmem",
                        d, p);
    return TIER_OK;
}

static int check_bounds(int64_t lo, int64_t hi, char *err, size_t errlen)
{
    if (lo < 0 || hi < 0)
        return tier_err(err, errlen, TIER_EINVAL,
                        "dynamic-threshold-min/max must not be negative (min %lld, max %lld)",
                        (long long)lo, (long long)hi);
    if (lo > hi)
        return tier_err(err, errlen, TIER_EINVAL,
                        "dynamic-threshold-min %lld is above dynamic-threshold-max %lld",
                        (long long)lo, (long long)hi);
    return TIER_OK;
}

static int check_period(int64_t ms, char *err, size_t errlen)
{
    if (ms <= 0 || ms > 3600000)
        return tier_err(err, errlen, TIER_EINVAL,
                        "memory-ratio-check-period %lld ms is out of range (1 .. 3600000)",
                        (long long)ms);
    return TIER_OK;
}

int tier_set_policy(tier_policy p, char *err, size_t errlen)
{
    int rc = check_policy(p, pmem_open, cfg.static_thr, err, errlen);
    if (rc != TIER_OK) return rc;
    if (p == TIER_POLICY_RATIO && cfg.policy != TIER_POLICY_RATIO) restart_controller();
    cfg.policy = p;
    apply_policy();
    return TIER_OK;
}

int tier_set_ratio(long dram, long pmem_part, char *err, size_t errlen)
{
    int rc = check_ratio(dram, pmem_part, err, errlen);
    if (rc != TIER_OK) return rc;
    cfg.ratio_dram = dram;
    cfg.ratio_pmem = pmem_part;
    /* The old error history belongs to the old target; the threshold
     * itself is kept, the next tick steers from where we are. */
    threshold_ctl_init(&ctl);
    return TIER_OK;
}

int tier_set_static_threshold(int64_t bytes, char *err, size_t errlen)
{
    if (bytes < 0)
        return tier_err(err, errlen, TIER_EINVAL, "static-threshold %lld must not be negative",
                        (long long)bytes);
    if (bytes == 0 && cfg.policy == TIER_POLICY_THRESHOLD)
        return tier_err(err, errlen, TIER_EINVAL,
                        "static-threshold 0 would leave memory-alloc-policy threshold without a "
                        "threshold; change the policy first");
    cfg.static_thr = (uint64_t)bytes;
    apply_policy();
    return TIER_OK;
}

int tier_set_threshold_bounds(int64_t min, int64_t max, char *err, size_t errlen)
{
    int rc = check_bounds(min, max, err, errlen);
    if (rc != TIER_OK) return rc;
    cfg.tmin = (uint64_t)min;
    cfg.tmax = (uint64_t)max;
    dyn_thr = clamp_thr(dyn_thr);
    apply_policy();
    return TIER_OK;
}

int tier_set_initial_threshold(int64_t bytes, char *err, size_t errlen)
{
    if (bytes < 0)
        return tier_err(err, errlen, TIER_EINVAL,
                        "initial-dynamic-threshold %lld must not be negative", (long long)bytes);
    cfg.tinit = (uint64_t)bytes;
    if (cfg.policy == TIER_POLICY_RATIO) {
        restart_controller();
        apply_policy();
    }
    return TIER_OK;
}

int tier_set_period(int64_t ms, char *err, size_t errlen)
{
    int rc = check_period(ms, err, errlen);
    if (rc != TIER_OK) return rc;
    cfg.period_ms = (uint32_t)ms;
    return TIER_OK;
}

/* ---- init ------------------------------------------------------------------- */

void tier_config_defaults(tier_config *c)
{
    memset(c, 0, sizeof(*c));
    c->kind = TIER_KIND_EMULATED;
    c->variant = TIER_VARIANT_SINGLE;
    c->size = 1ULL << 30;
    c->policy = TIER_POLICY_RATIO;
    c->ratio_dram = 1;
    c->ratio_pmem = 4;
    c->threshold_min = 0;      /* see dynamic-threshold-min in src/tiering.c */
    c->threshold_max = 1ULL << 30;
    c->threshold_initial = 4096;
    c->period_ms = 100;
}

int tier_init(const tier_config *c, char *err, size_t errlen)
{
    int rc;
    tier_backend be;

    tier_init_default();
    if (pmem_open)
        return tier_err(err, errlen, TIER_EBUSY,
                        "a PMem tier (%s) is already open; tier_shutdown first",
                        tier_kind_name(cfg.kind));
    if ((unsigned)c->kind >= NELEM(kind_names))
        return tier_err(err, errlen, TIER_EINVAL, "unknown pmem-kind %d", (int)c->kind);
    if ((unsigned)c->variant >= NELEM(variant_names))
        return tier_err(err, errlen, TIER_EINVAL, "unknown pmem-variant %d", (int)c->variant);
    if ((rc = check_policy(c->policy, c->kind != TIER_KIND_NONE, c->static_threshold, err,
                           errlen)) != TIER_OK ||
        (rc = check_ratio(c->ratio_dram, c->ratio_pmem, err, errlen)) != TIER_OK ||
        (rc = check_bounds((int64_t)c->threshold_min, (int64_t)c->threshold_max, err,
                           errlen)) != TIER_OK ||
        (rc = check_period(c->period_ms, err, errlen)) != TIER_OK)
        return rc;
    if (c->nodes && strlen(c->nodes) >= sizeof(cfg.nodes))
        return tier_err(err, errlen, TIER_EINVAL, "pmem-numa-nodes is too long");
    if (c->dir && strlen(c->dir) >= sizeof(cfg.dir))
        return tier_err(err, errlen, TIER_EINVAL, "pmem-dir is too long");
    if ((c->kind == TIER_KIND_KMEM_DAX || c->kind == TIER_KIND_FSDAX) && !dram_arena_flags)
        return tier_err(err, errlen, TIER_ENOMEM,
                        "pmem-kind %s needs the DRAM tier in its own address range, and "
                        "reserving it failed at start-up (address-space limit?); raise "
                        "ulimit -v or set pmem-kind emulated", tier_kind_name(c->kind));

    memset(&be, 0, sizeof(be));
    switch (c->kind) {
    case TIER_KIND_NONE: rc = TIER_OK; break;
    case TIER_KIND_EMULATED: rc = tier_emulated_open(&be, c->size, err, errlen); break;
    case TIER_KIND_KMEM_DAX:
        rc = tier_memkind_open_kmem(&be, c->variant, c->nodes, c->size, err, errlen);
        break;
    case TIER_KIND_FSDAX: rc = tier_memkind_open_fsdax(&be, c->dir, c->size, err, errlen); break;
    }
    if (rc != TIER_OK) return rc;

    /* Committed from here on: nothing below fails. */
    cfg.kind = c->kind;
    cfg.variant = c->variant;
    snprintf(cfg.nodes, sizeof(cfg.nodes), "%s", c->nodes ? c->nodes : "");
    snprintf(cfg.dir, sizeof(cfg.dir), "%s", c->dir ? c->dir : "");
    cfg.size = c->size;
    cfg.static_thr = c->static_threshold;
    cfg.ratio_dram = c->ratio_dram;
    cfg.ratio_pmem = c->ratio_pmem;
    cfg.tmin = c->threshold_min;
    cfg.tmax = c->threshold_max;
    cfg.tinit = c->threshold_initial;
    cfg.period_ms = c->period_ms;
    cfg.policy = c->policy;

    if (c->kind != TIER_KIND_NONE) {
        pmem = be;
        pmem_open = 1;
        pmem_jflags = be.jflags;
        pmem_owner = pthread_self();
        pmem_gen++;
        pmem_tc = MALLOCX_TCACHE_NONE;
        if (pmem_jflags) {
            unsigned tc;
            size_t tsz = sizeof(tc);
            /* Without a tcache (none left) it is still correct, slower. */
            if (mallctl("tcache.create", &tc, &tsz, NULL, 0) == 0) pmem_tc = MALLOCX_TCACHE(tc);
        }
        if (dram_arena_flags) {
            of_out = TIER_PMEM;
        } else {
            of_lo = be.lo;
            of_len = be.len;
            of_in = TIER_PMEM;
            of_out = TIER_DRAM;
        }
    }
    restart_controller();
    apply_policy();
    band_debt = 0;             /* the opening thread's band state starts clean */
    memset(band_credit, 0, sizeof(band_credit));
    band_last = TIER_COUNT;
    sweep_done = sweep_gen;    /* a new tier holds nothing to sweep */
    /* the controller's useful range counts the sizes seen from here on */
    atomic_store_explicit(&size_seen_lo, UINT64_MAX, memory_order_relaxed);
    atomic_store_explicit(&size_seen_hi, 0, memory_order_relaxed);
    return TIER_OK;
}

int tier_shutdown(char *err, size_t errlen)
{
    if (!pmem_open) return TIER_OK;
    uint64_t live = LOAD(c_blocks[TIER_PMEM]);
    if (live)
        return tier_err(err, errlen, TIER_EBUSY,
                        "%llu PMem blocks are still live; free them before closing the tier",
                        (unsigned long long)live);
    cfg.policy = TIER_POLICY_ONLY_DRAM;
    pmem_open = 0;
    apply_policy();
    if (dram_arena_flags) {
        of_out = TIER_DRAM;
    } else {
        of_lo = of_len = 0;
        of_in = of_out = TIER_DRAM;
    }
    if (pmem_tc != MALLOCX_TCACHE_NONE) {
        /* Its cached blocks belong to the arena about to be destroyed. */
        unsigned tc = (unsigned)((pmem_tc >> 8) - 2);
        mallctl("tcache.destroy", NULL, NULL, &tc, sizeof(tc));
        pmem_tc = MALLOCX_TCACHE_NONE;
    }
    pmem_jflags = 0;
    pmem_gen++;
    pmem.ops->close(pmem.ctx);
    memset(&pmem, 0, sizeof(pmem));
    cfg.kind = TIER_KIND_NONE;
    return TIER_OK;
}

/* ---- controller ----------------------------------------------------------- */

static double target_share(void)
{
    return (double)cfg.ratio_dram / ((double)cfg.ratio_dram + (double)cfg.ratio_pmem);
}

/* The controller's parameters.  The useful range comes from the sizes
 * seen and the soft band [t - t/4, t + t/3): at or above range_hi every
 * size seen goes to DRAM, at or below range_lo every one to PMem. */
static void ctl_params(threshold_params *p)
{
    memset(p, 0, sizeof(*p));
    p->target_dram_share = target_share();
    p->min = cfg.tmin;
    p->max = cfg.tmax;
    uint64_t lo = atomic_load_explicit(&size_seen_lo, memory_order_relaxed);
    uint64_t hi = atomic_load_explicit(&size_seen_hi, memory_order_relaxed);
    if (hi && hi < UINT64_MAX / 2 && lo <= hi) {
        p->range_hi = hi + hi / 3 + 2;
        p->range_lo = lo - lo / 4;
    }
}

int tier_tick_due(void)
{
    /* Only a tick the placements can steer: the integral controller is
     * tuned per period, and ticked at every big value it would be many
     * times as fast. */
    return placed_hist.placed_bytes >= early_tick_at &&
           atomic_load_explicit(&hist_on, memory_order_relaxed) &&
           threshold_hist_enough(&placed_hist, LOAD(c_user[TIER_DRAM]) + LOAD(c_user[TIER_PMEM]));
}

int tier_tick(uint64_t now_ms)
{
    if (cfg.policy != TIER_POLICY_RATIO || !pmem_open) return 0;
    if (have_tick && now_ms - last_tick_ms < cfg.period_ms &&
        (now_ms == last_tick_ms || !tier_tick_due()))
        return 0;
    last_tick_ms = now_ms;
    have_tick = 1;
    threshold_params p;
    ctl_params(&p);
    uint64_t d = LOAD(c_user[TIER_DRAM]), pm = LOAD(c_user[TIER_PMEM]);
    double next = threshold_ctl_step_placed(&ctl, &p, d, pm, dyn_thr, &placed_hist);
    threshold_hist_reset(&placed_hist);
    uint64_t total = d + pm;
    early_tick_at = total / 8 > TIER_EARLY_TICK_MIN ? total / 8 : TIER_EARLY_TICK_MIN;
    ADD(c_ticks, 1);
    if (ctl.placed_mode) ADD(c_ticks_placed, 1);
    int changed = next != dyn_thr;
    dyn_thr = next;
    apply_policy();
    return changed;
}

/* ---- migration ---------------------------------------------------------------- */

uint64_t tier_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t pmem_free_room(void)
{
    uint64_t used = LOAD(c_used[TIER_PMEM]);
    return used < pmem.capacity ? pmem.capacity - used : 0;
}

int tier_migrate_plan_get(tier_migrate_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    plan->max_size = SIZE_MAX;
    if (!pmem_open) return 0;
    uint64_t d = LOAD(c_user[TIER_DRAM]), p = LOAD(c_user[TIER_PMEM]);

    switch (cfg.policy) {
    case TIER_POLICY_ONLY_DRAM:
        if (!p) return 0;
        plan->from = TIER_PMEM;
        plan->to = TIER_DRAM;
        plan->want_bytes = p;
        return 1;
    case TIER_POLICY_ONLY_PMEM: {
        uint64_t room = pmem_free_room();
        if (!d || !room) return 0;
        plan->from = TIER_DRAM;
        plan->to = TIER_PMEM;
        plan->want_bytes = d < room ? d : room;
        return 1;
    }
    case TIER_POLICY_THRESHOLD:
        if (!d && !p) sweep_done = sweep_gen;   /* nothing can be misplaced */
        if (sweep_done == sweep_gen) return 0;
        plan->sweep = sweep_gen;
        plan->split = atomic_load_explicit(&thr_eff, memory_order_relaxed);
        plan->from = TIER_DRAM;
        plan->to = TIER_PMEM;
        plan->want_bytes = UINT64_MAX;
        return 1;
    case TIER_POLICY_RATIO:
        break;
    }

    double share = threshold_share(d, p);
    if (share < 0) return 0;
    double e = target_share() - share;
    if (fabs(e) <= TIER_MIGRATE_DEADBAND) return 0;
    threshold_params tp;
    uint64_t tlo, thi;
    ctl_params(&tp);
    threshold_bounds(&tp, &tlo, &thi);
    int pinned = (e > 0 && dyn_thr >= (double)thi) || (e < 0 && dyn_thr <= (double)tlo);
    if (!pinned && ctl.stalled_ticks < TIER_MIGRATE_STALL_TICKS) return 0;
    uint64_t want = (uint64_t)(fabs(e) * ((double)d + (double)p));
    if (e < 0) {
        /* Too much on DRAM: move what the policy would now put on PMem. */
        uint64_t room = pmem_free_room();
        plan->from = TIER_DRAM;
        plan->to = TIER_PMEM;
        uint64_t lo = atomic_load_explicit(&band_lo, memory_order_relaxed);
        lo = lo == UINT64_MAX ? lo : (lo + (1 << BAND_FX) - 1) >> BAND_FX;
        plan->min_size = lo > SIZE_MAX ? SIZE_MAX : (size_t)lo;
        plan->want_bytes = want < room ? want : room;
    } else {
        /* Too little on DRAM: bring back what the policy would keep there. */
        uint64_t hi = atomic_load_explicit(&band_hi, memory_order_relaxed);
        if (hi == 0) return 0;
        hi = hi == UINT64_MAX ? hi : (hi - 1) >> BAND_FX;
        plan->from = TIER_PMEM;
        plan->to = TIER_DRAM;
        plan->max_size = hi > SIZE_MAX ? SIZE_MAX : (size_t)hi;
        plan->want_bytes = want;
    }
    return plan->want_bytes > 0;
}

uint64_t tier_migrate(uint64_t budget_us, tier_migrate_fn fn, void *arg)
{
    tier_migrate_plan plan;
    if (!fn || !tier_migrate_plan_get(&plan)) return 0;
    plan.deadline_us = tier_now_us() + budget_us;
    return fn(&plan, arg);
}

int tier_migrate_candidate(const tier_migrate_plan *plan, const void *p)
{
    if (!p) return 0;
    tier_id t = tier_of(p);
    if (plan->sweep) {
        int big = (uint64_t)tier_usable_size(p) >= plan->split;
        return t == TIER_DRAM ? big : !big;
    }
    if (t != plan->from) return 0;
    size_t sz = tier_usable_size(p);
    return sz >= plan->min_size && sz <= plan->max_size;
}

tier_id tier_migrate_dest(const tier_migrate_plan *plan, const void *p)
{
    if (!plan->sweep) return plan->to;
    return tier_of(p) == TIER_DRAM ? TIER_PMEM : TIER_DRAM;
}

void tier_migrate_sweep_done(uint64_t gen)
{
    if (gen == sweep_gen) sweep_done = gen;
}

void *tier_move(void *p, tier_id to)
{
    if (!p) return NULL;
    tier_id from = tier_of(p);
    if (from == to) return p;
    if (to == TIER_PMEM && !pmem_open) return NULL;
    /* One size lookup per move: the old block is freed by its known size,
     * and when both tiers are jemalloc arenas (DRAM always is; PMem when it
     * is emulated) a request of exactly a size class gets that class, so
     * the new block's usable size is known too. */
    size_t sz = from == TIER_DRAM ? sallocx(p, 0) : pmem_raw_usable(p);
    void *q;
    size_t qsz;
    if (to == TIER_PMEM) {
        if (!pmem_room(sz) || !(q = pmem_raw_alloc(sz))) return NULL;
        qsz = pmem_jflags ? sz : pmem_raw_usable(q);
    } else {
        if (!(q = mallocx(sz, dram_flags()))) return NULL;
        qsz = pmem_jflags ? sz : sallocx(q, 0);
    }
#ifdef TDB_DEBUG
    if (qsz != tier_usable_size(q)) {
        fprintf(stderr, "tierdb: tier_move: usable %zu, assumed %zu\n", tier_usable_size(q), qsz);
        abort();
    }
#endif
    memcpy(q, p, sz);
    account(to, 1, (int64_t)qsz, 1);
    if (from == TIER_DRAM) dram_free_sized(p, sz, 1);
    else pmem_free_user_sized(p, sz);
    ADD(c_migrated[to], qsz);
    return q;
}

/* ---- introspection ---------------------------------------------------------- */

void tier_get_stats(tier_stats *out)
{
    band_flush();
    memset(out, 0, sizeof(*out));
    for (int t = 0; t < TIER_COUNT; t++) {
        out->used[t] = LOAD(c_used[t]);
        out->user[t] = LOAD(c_user[t]);
        out->allocs[t] = LOAD(c_blocks[t]);
        out->user_allocs[t] = LOAD(c_user_blocks[t]);
        out->migrated_bytes[t] = LOAD(c_migrated[t]);
        out->realloc_moved_bytes[t] = LOAD(c_realloc_moved[t]);
    }
    out->pmem_overflow_bytes = LOAD(c_overflow_bytes);
    out->pmem_overflow_count = LOAD(c_overflow_count);
    out->band_placements = LOAD(c_band_placements);
    out->band_reused = LOAD(c_band_reused);
    out->band_forced = LOAD(c_band_forced);
    out->ctl_ticks = LOAD(c_ticks);
    out->ctl_ticks_placed = LOAD(c_ticks_placed);
}

void tier_get_info(tier_info *out)
{
    memset(out, 0, sizeof(*out));
    tier_get_stats(&out->stats);
    out->dram_share = threshold_share(out->stats.user[TIER_DRAM], out->stats.user[TIER_PMEM]);
    switch (cfg.policy) {
    case TIER_POLICY_ONLY_DRAM: out->target_share = 1.0; break;
    case TIER_POLICY_ONLY_PMEM: out->target_share = 0.0; break;
    case TIER_POLICY_THRESHOLD: out->target_share = -1.0; break;
    case TIER_POLICY_RATIO: out->target_share = target_share(); break;
    }
    out->threshold = atomic_load_explicit(&thr_eff, memory_order_relaxed);
    out->static_threshold = cfg.static_thr;
    out->threshold_min = cfg.tmin;
    out->threshold_max = cfg.tmax;
    out->threshold_initial = cfg.tinit;
    out->ratio_dram = cfg.ratio_dram;
    out->ratio_pmem = cfg.ratio_pmem;
    out->period_ms = cfg.period_ms;
    out->policy = cfg.policy;
    out->policy_name = tier_policy_name(cfg.policy);
    out->kind = cfg.kind;
    out->kind_name = tier_kind_name(cfg.kind);
    out->variant_name = cfg.kind == TIER_KIND_KMEM_DAX ? tier_variant_name(cfg.variant) : "";
    out->backend = pmem_open ? pmem.impl : "";
    snprintf(out->nodes, sizeof(out->nodes), "%s", cfg.nodes);
    snprintf(out->dir, sizeof(out->dir), "%s", cfg.dir);
    out->capacity = pmem_open ? pmem.capacity : 0;
    out->fork_safe = tier_pmem_fork_safe();
    out->dram_own_arena = dram_arena_flags != 0;
}

uint64_t tier_used_total(void)
{
    return LOAD(c_used[TIER_DRAM]) + LOAD(c_used[TIER_PMEM]);
}

int tier_pmem_fork_safe(void) { return pmem_open ? pmem.fork_safe : 1; }

int tier_maxmemory_exceeded(uint64_t limit, uint64_t *used, uint64_t *excess)
{
    uint64_t u = tier_used_total();
    int over = limit != 0 && u > limit;
    if (used) *used = u;
    if (excess) *excess = over ? u - limit : 0;
    return over;
}
