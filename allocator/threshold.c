/* threshold.c -- dynamic size threshold controller.
 *
 * DESIGN
 *   The plant is "DRAM share of user bytes as a function of the size
 *   threshold", and its speed is unknown: moving the threshold only
 *   changes where *new* allocations go, so the share follows at the rate
 *   the workload replaces its data -- a fraction of a percent per tick for
 *   a read-mostly cache, most of the data per tick for a write-heavy one.
 *   The controller works in log space (a 10-point error moves the
 *   threshold by the same factor at 100 bytes or at 1 MiB, matching
 *   value-size distributions that are roughly log-uniform) and in velocity
 *   form:
 *
 *       log thr += scale * (KI * e + KP * (e - e_prev)),   e = target - share
 *
 *   The KI term is an integrator: it keeps pushing until the error is gone.
 *   The KP term damps: while the share is already moving towards the
 *   target it takes back part of the push, which is what stops a lagging
 *   plant from being overshot.
 *
 *   No fixed gain suits both ends of the speed range (a linearised
 *   analysis gives a critical KI proportional to the turnover per tick),
 *   so `scale` adapts: it doubles after THRESHOLD_STALL_TICKS ticks in
 *   which the error did not shrink (the plant is slow, or far away: go
 *   faster) and halves whenever the error changes sign (we overshot: go
 *   gentler).  A fast plant that starts to ring is damped within a few
 *   ticks; a slow one is accelerated.  The sign is compared with the last
 *   error *outside* the dead band, because an overshoot often passes
 *   straight through it.  Inside the dead band the scale is capped at 1:
 *   acceleration that was right far from the target turns sampling noise
 *   into a limit cycle near it.  Tuned by simulation (the model in
 *   tests/unit/test_threshold.c) over turnovers from 0.3% to 60% of the
 *   values per tick, DRAM targets from 5% to 95%, churn, growing values and
 *   a keyspace growing from empty.
 *
 *   The dead band keeps the threshold still once on target, so a
 *   stationary workload stays put instead of dithering on sampling noise.
 *
 *   Anti-windup: when new allocations cannot close the error (a read-mostly
 *   load after CONFIG SET of the ratio), migration closes it, slowly, and
 *   the integrator meanwhile runs on, accelerated, to a bound -- 1 GiB --
 *   though every value already lands on one tier at 4/3 of the largest
 *   size.  Once the share arrives every new value is misplaced until the
 *   threshold has unwound those decades.  So the caller passes the range
 *   of thresholds that change placement (from the value sizes it has
 *   seen) and the threshold is clamped to it like to [min, max]: beyond
 *   it the integrator has nothing to gain.  While the threshold sits at
 *   such an end the scale is not accelerated further either, so the first
 *   step back is not a 16x one.
 *
 *   Rounding to whole bytes could freeze a small threshold (3 * 1.05 is
 *   still 3), and a multiplicative update cannot leave 0; both are handled
 *   by computing from max(cur, 1) and forcing at least a one-byte move in
 *   the direction of the error.  Clamping happens last, so a bound is
 *   reached exactly rather than approached forever.
 */
#include "threshold.h"

#include <math.h>

void threshold_ctl_init(threshold_ctl *c)
{
    c->prev_err = 0.0;
    c->scale = 1.0;
    c->last_sign = 0;
    c->have_prev = 0;
    c->stalled_ticks = 0;
    c->last_share = -1.0;
}

double threshold_share(uint64_t dram_user, uint64_t pmem_user)
{
    /* In long double so that two counters near 2^64 do not overflow. */
    long double total = (long double)dram_user + (long double)pmem_user;
    if (total <= 0) return -1.0;
    return (double)((long double)dram_user / total);
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
    if (v < lo) return lo;
    if (v > hi) return hi;
    return v;
}

void threshold_bounds(const threshold_params *p, uint64_t *lo, uint64_t *hi)
{
    uint64_t l = p->min, h = p->max >= p->min ? p->max : p->min;
    if (p->range_hi && p->range_hi >= p->range_lo) {
        /* Narrow to the useful range; where the two do not overlap, the
         * operator's bound nearer to it wins. */
        if (p->range_hi < h) h = p->range_hi > l ? p->range_hi : l;
        if (p->range_lo > l) l = p->range_lo < h ? p->range_lo : h;
    }
    *lo = l;
    *hi = h;
}

uint64_t threshold_ctl_step(threshold_ctl *c, const threshold_params *p,
                            uint64_t dram_user, uint64_t pmem_user, uint64_t cur)
{
    uint64_t lo, hi;
    threshold_bounds(p, &lo, &hi);
    double target = p->target_dram_share;
    if (!(target >= 0.0)) target = 0.0;       /* also catches NaN */
    if (target > 1.0) target = 1.0;

    double share = threshold_share(dram_user, pmem_user);
    c->last_share = share;
    if (share < 0) {
        /* Nothing to measure: forget the history so the first real error
         * is not compared with a stale one. */
        c->have_prev = 0;
        c->last_sign = 0;
        c->stalled_ticks = 0;
        return clamp_u64(cur, lo, hi);
    }

    double err = target - share;     /* > 0: too little on DRAM, raise */
    double derr = c->have_prev ? err - c->prev_err : 0.0;
    if (fabs(err) <= THRESHOLD_DEADBAND) {
        /* On target: whatever acceleration got us here is no longer
         * wanted, and noise will push us out again soon. */
        if (c->scale > 1.0) c->scale = 1.0;
        c->prev_err = err;
        c->have_prev = 1;
        c->stalled_ticks = 0;
        return clamp_u64(cur, lo, hi);
    }

    int sign = err > 0 ? 1 : -1;
    if (c->last_sign && sign != c->last_sign) {
        /* Overshot, possibly straight through the dead band: gentler. */
        c->scale /= 2.0;
        if (c->scale < THRESHOLD_SCALE_MIN) c->scale = THRESHOLD_SCALE_MIN;
        c->stalled_ticks = 0;
    } else if (c->have_prev && fabs(err) >= fabs(c->prev_err)) {
        int pinned = (sign > 0 && cur >= hi) || (sign < 0 && cur <= lo);
        if (++c->stalled_ticks >= THRESHOLD_STALL_TICKS && !pinned) {
            c->scale *= 2.0;
            if (c->scale > THRESHOLD_SCALE_MAX) c->scale = THRESHOLD_SCALE_MAX;
        }
    } else {
        c->stalled_ticks = 0;
    }
    c->last_sign = sign;
    c->prev_err = err;
    c->have_prev = 1;

    double lstep = c->scale * (THRESHOLD_KI * err + THRESHOLD_KP * derr);
    if (lstep > THRESHOLD_LOG_STEP_MAX) lstep = THRESHOLD_LOG_STEP_MAX;
    if (lstep < -THRESHOLD_LOG_STEP_MAX) lstep = -THRESHOLD_LOG_STEP_MAX;

    double base = cur > 0 ? (double)cur : 1.0;
    double want = base * exp(lstep);
    uint64_t next;
    if (want >= (double)hi) next = hi;
    else if (want <= (double)lo) next = lo;
    else next = (uint64_t)llround(want);

    /* The damping term may legitimately cancel the push (lstep == 0 or
     * against the error for a tick); the integral term wins once the error
     * stops moving, so forcing by the sign of lstep cannot stall short of a
     * bound. */
    if (lstep > 0 && next <= cur) next = cur < UINT64_MAX ? cur + 1 : cur;
    if (lstep < 0 && next >= cur) next = cur > 0 ? cur - 1 : 0;
    return clamp_u64(next, lo, hi);
}
