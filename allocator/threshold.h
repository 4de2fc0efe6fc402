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
 *     threshold_params).  A step that wants to move the threshold moves it
 *     by at least one byte, and clamping comes last, so it never creeps
 *     towards a bound without reaching it.
 *   - With no user data at all it holds the threshold (there is no share to
 *     measure); with one tier empty the share is 0 or 1 and it steers
 *     normally.
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
} threshold_ctl;

void threshold_ctl_init(threshold_ctl *c);

/* DRAM share of user bytes in [0,1], or -1 when both are zero. */
double threshold_share(uint64_t dram_user, uint64_t pmem_user);

/* The bounds the controller holds the threshold to: [min, max] narrowed
 * to the useful range when one is known, never empty. */
void threshold_bounds(const threshold_params *p, uint64_t *lo, uint64_t *hi);

/* One controller tick.  Returns the new threshold, in threshold_bounds(). */
uint64_t threshold_ctl_step(threshold_ctl *c, const threshold_params *p,
                            uint64_t dram_user, uint64_t pmem_user, uint64_t cur);

#endif
