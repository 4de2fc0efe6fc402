/* threshold.h -- the dynamic threshold controller, a pure module.
 *
 * What it promises
 *   - threshold_ctl_step() turns the measured user bytes per tier, the
 *     target DRAM share and the current size threshold into the next
 *     threshold.  Values of size >= threshold go to PMem, so a higher
 *     threshold keeps more data on DRAM.
 *   - The step is proportional to the error (in log space, because value
 *     sizes span orders of magnitude) plus a damping term on the change of
 *     the error.  Both are scaled by an adaptive gain that doubles while the
 *     error does not shrink from one tick to the next and halves at each
 *     overshoot (sign flip), so the same controller works whether the share
 *     follows the threshold within one tick or over hundreds.
 *   - The result is always in [min, max], narrowed to the range of
 *     thresholds that change placement when the caller knows it (see
 *     threshold_params).  Clamping comes last, so it never creeps towards
 *     a bound without reaching it.
 *   - Thresholds are real numbers of bytes, not whole bytes: with values of
 *     64 bytes one byte of threshold moved 3.4% of the band's placements,
 *     so a whole-byte threshold could only dither around a target share.
 *   - With no user data at all it holds the threshold (there is no share to
 *     measure); with one tier empty the share is 0 or 1 and it steers
 *     normally.
 *   - threshold_ctl_step_placed() also takes a histogram of what was placed
 *     since the last tick.  While placements are a real part of the
 *     traffic, it picks the mix of placements that closes about half the
 *     error per tick and computes the threshold that places it, so a
 *     write-heavy load is on target within a few ticks, with no search;
 *     otherwise it is threshold_ctl_step().  Both modes keep the same stall
 *     and bound signals, which the caller's migration goes by.
 *
 * It knows nothing about the allocator or the server: no globals, no
 * clock, no allocation.  One threshold_ctl per controlled quantity; a ctl
 * is not shared between threads (the caller serialises).
 *
 * Error convention: none of these functions can fail.  Callers validate
 * the parameters (0 < target < 1, min <= max) before handing them over;
 * out-of-range values are clamped rather than trusted.
 */
#ifndef THRESHOLD_H
#define THRESHOLD_H

#include <stdint.h>

/* ---- what was placed since the last tick ------------------------------------
 * A histogram of the sizes of user blocks placed during one tick, by
 * eighth of an octave, with the bytes of each bucket (so the mean size of
 * a bucket is exact for a workload of one value size), and how many of
 * those bytes went to DRAM.  The allocator fills it on its hot path (one
 * bucket index, three or four additions) and the controller reads it: it is what
 * lets the controller compute the threshold for a wanted placement mix
 * instead of searching for it by trial (see threshold_ctl_step_placed). */
#define THRESHOLD_HIST_SUB 8                     /* buckets per octave */
#define THRESHOLD_HIST_BUCKETS (62 * THRESHOLD_HIST_SUB)

typedef struct threshold_hist {
    uint64_t count[THRESHOLD_HIST_BUCKETS];
    uint64_t bytes[THRESHOLD_HIST_BUCKETS];
    uint64_t placed_bytes;      /* sum of bytes[] (the early tick's test) */
    uint64_t dram_bytes;        /* of which placed on DRAM */
    uint64_t grown_bytes;       /* added to blocks by reallocs that kept their
                                 * place: the threshold does not steer them */
} threshold_hist;

/* Sizes below 2 * SUB have a bucket each; above, SUB per octave. */
static inline unsigned threshold_hist_bucket(uint64_t n)
{
    if (n < 2 * THRESHOLD_HIST_SUB) return (unsigned)n;
    unsigned o = 63u - (unsigned)__builtin_clzll(n);          /* >= 4 */
    return (o - 2) * THRESHOLD_HIST_SUB + (unsigned)((n >> (o - 3)) & (THRESHOLD_HIST_SUB - 1));
}

/* A new histogram: empty.  reset empties a used one (nothing to clear
 * when nothing was placed). */
void threshold_hist_init(threshold_hist *h);
void threshold_hist_reset(threshold_hist *h);

static inline void threshold_hist_note(threshold_hist *h, uint64_t n, int on_dram)
{
    unsigned b = threshold_hist_bucket(n);
    h->count[b]++;
    h->bytes[b] += n;
    h->placed_bytes += n;
    if (on_dram) h->dram_bytes += n;
}

static inline void threshold_hist_grow(threshold_hist *h, uint64_t added)
{
    h->grown_bytes += added;
}

/* The ratio policy's soft band around threshold t: sizes in [lo, hi) go
 * to PMem with probability (n - lo) / (hi - lo), at or above hi always.
 * [3/4 t, 4/3 t): symmetric in log size, about 0.58 e-folds wide. */
static inline void threshold_band(double t, double *lo, double *hi)
{
    *lo = t * 0.75;
    *hi = t * (4.0 / 3.0);
}

/* The DRAM fraction of h's bytes that threshold t places, by the band;
 * -1 for an empty histogram. */
double threshold_hist_dram_fraction(const threshold_hist *h, double t);

/* The threshold in [lo, hi] whose band places the DRAM fraction f of h's
 * bytes (lo or hi when f is out of reach). */
double threshold_for_dram_fraction(const threshold_hist *h, double f, double lo, double hi);

/* Errors inside the dead band (absolute, in share units) leave the
 * threshold alone: chasing noise only churns placement. */
#define THRESHOLD_DEADBAND 0.005
/* log(threshold) moves by scale * (KI * error + KP * (error - previous)). */
#define THRESHOLD_KI 1.0
#define THRESHOLD_KP 4.0
/* Range of the adaptive gain scale. */
#define THRESHOLD_SCALE_MIN (1.0 / 32)
#define THRESHOLD_SCALE_MAX 16.0
/* Ticks of a non-shrinking error before each doubling of the scale. */
#define THRESHOLD_STALL_TICKS 2
/* No single tick moves the threshold by more than a factor of 4. */
#define THRESHOLD_LOG_STEP_MAX 1.3862943611198906   /* ln 4 */

typedef struct threshold_params {
    double target_dram_share;   /* wanted DRAM / (DRAM + PMem) of user bytes, in (0,1) */
    uint64_t min;               /* lowest threshold allowed */
    uint64_t max;               /* highest threshold allowed, >= min */
    /* Thresholds outside [range_lo, range_hi] place nothing differently
     * from the range's ends (every value seen is below range_hi, above
     * range_lo, given the placement's soft band); range_hi == 0: unknown.
     * The threshold is kept inside (anti-windup): while migration closes
     * an error the integrator would otherwise run on to a bound, and every
     * new value would be misplaced until it came back. */
    uint64_t range_lo, range_hi;
} threshold_params;

typedef struct threshold_ctl {
    double prev_err;            /* error at the previous tick; valid if have_prev */
    int last_sign;              /* sign of the last error outside the dead band, 0 = none */
    double scale;               /* adaptive gain, THRESHOLD_SCALE_MIN..MAX, starts at 1 */
    int have_prev;              /* 0 after init/reset and after a tick with no data */
    unsigned stalled_ticks;     /* consecutive ticks outside the dead band whose
                                 * error did not shrink: new allocations alone are
                                 * not getting there (the migration hint) */
    double last_share;          /* share seen at the last tick, -1 if no data */
    /* placement-driven mode (threshold_ctl_step_placed) */
    int placed_mode;            /* 1 if the last tick computed from the histogram */
    unsigned placed_streak;     /* ticks in a row whose placements were enough */
    double bias;                /* predicted minus measured DRAM fraction of
                                 * placements at the last threshold (smoothed) */
    double integ;               /* integral of the share error, as a placement offset */
} threshold_ctl;

void threshold_ctl_init(threshold_ctl *c);

/* DRAM share of user bytes in [0,1], or -1 when both are zero. */
double threshold_share(uint64_t dram_user, uint64_t pmem_user);

/* The bounds the controller holds the threshold to: [min, max] narrowed
 * to the useful range when one is known, never empty. */
void threshold_bounds(const threshold_params *p, uint64_t *lo, uint64_t *hi);

/* One controller tick.  Returns the new threshold, in threshold_bounds(). */
double threshold_ctl_step(threshold_ctl *c, const threshold_params *p,
                          uint64_t dram_user, uint64_t pmem_user, double cur);

/* Whether h says enough to steer by, for user data of `total` bytes (see
 * THRESHOLD_PLACED_MIN_TURNOVER). */
int threshold_hist_enough(const threshold_hist *h, uint64_t total);

/* One tick when the caller also knows what was placed since the last
 * tick (h, NULL for unknown).  Where the placements are enough to steer
 * by (THRESHOLD_PLACED_MIN_TURNOVER, and at least as many bytes as grew
 * in place), it picks the placement mix that
 * closes the share error in a few ticks and computes the threshold that
 * places it; otherwise it is threshold_ctl_step(). */
double threshold_ctl_step_placed(threshold_ctl *c, const threshold_params *p,
                                 uint64_t dram_user, uint64_t pmem_user, double cur,
                                 const threshold_hist *h);

/* Placement-driven mode: used when a tick placed at least 1/this of the
 * user bytes (and THRESHOLD_PLACED_MIN_COUNT blocks, and OVER_GROWTH
 * times the bytes that grew in place); below that the placements say too little, and the
 * share moves too slowly for their mix to matter, or mostly by growth the
 * threshold does not place. */
#define THRESHOLD_PLACED_MIN_TURNOVER 512
#define THRESHOLD_PLACED_MIN_COUNT 32
#define THRESHOLD_PLACED_OVER_GROWTH 2
/* ... for this many ticks in a row: a burst of placements in a workload
 * that mostly grows values in place (APPEND) is no reason to switch. */
#define THRESHOLD_PLACED_ENTER_TICKS 2
/* Fraction of the share error the placements of one tick aim to close,
 * and the most they are asked to over-correct by (a tick that replaced
 * 1% of the data would otherwise be asked to swing the mix by 50x the
 * error). */
#define THRESHOLD_PLACED_KP 0.5
#define THRESHOLD_PLACED_GAIN_MAX 8.0
/* Integral of the error per tick, times the gain, and its bound. */
#define THRESHOLD_PLACED_KI 0.1
#define THRESHOLD_PLACED_INTEG_MAX 0.25
/* ... integrated only while the error is within this (see threshold.c). */
#define THRESHOLD_PLACED_INTEG_ZONE 0.05
/* The threshold moves only when the mix it places is this far from the
 * wanted one. */
#define THRESHOLD_PLACED_HOLD 0.01

#endif
