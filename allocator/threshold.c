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
 *   The threshold is a real number: rounded to whole bytes it froze at
 *   small sizes (3 * 1.05 is still 3) and could only dither around a
 *   share there.  A multiplicative update cannot leave 0, so an upward
 *   step starts from at least one byte.  Clamping happens last, so a bound
 *   is reached exactly rather than approached forever.
 */
#include "threshold.h"

#include <math.h>
#include <string.h>

void threshold_ctl_init(threshold_ctl *c)
{
    c->prev_err = 0.0;
    c->scale = 1.0;
    c->last_sign = 0;
    c->have_prev = 0;
    c->stalled_ticks = 0;
    c->last_share = -1.0;
    c->placed_mode = 0;
    c->placed_streak = 0;
    c->bias = 0.0;
    c->integ = 0.0;
}

void threshold_hist_init(threshold_hist *h)
{
    memset(h, 0, sizeof(*h));
}

void threshold_hist_reset(threshold_hist *h)
{
    /* The note keeps no range of the buckets it used (two compares per
     * placement); a histogram with placements is cleared whole, once a
     * tick. */
    if (h->placed_bytes || h->count[0]) threshold_hist_init(h);   /* count[0]: size 0 */
    h->dram_bytes = 0;
    h->grown_bytes = 0;
}

/* The buckets in use are within [*lo, *hi]; *lo > *hi when none is. */
static void hist_span(const threshold_hist *h, unsigned *lo, unsigned *hi)
{
    unsigned a = 0, b = THRESHOLD_HIST_BUCKETS;
    while (a < b && !h->count[a]) a++;
    while (b > a && !h->count[b - 1]) b--;
    *lo = a;
    *hi = b - 1;     /* a - 1 when empty */
}

static double hist_dram_fraction(const threshold_hist *h, unsigned lo_b, unsigned hi_b, double t)
{
    double lo, hi;
    threshold_band(t, &lo, &hi);
    double dram = 0.0, all = 0.0;
    for (unsigned b = lo_b; b <= hi_b && b < THRESHOLD_HIST_BUCKETS; b++) {
        if (!h->count[b]) continue;
        double w = (double)h->bytes[b];
        double m = w / (double)h->count[b];
        all += w;
        if (m < lo) dram += w;
        else if (m < hi) dram += w * (hi - m) / (hi - lo);
    }
    return all > 0 ? dram / all : -1.0;
}

double threshold_hist_dram_fraction(const threshold_hist *h, double t)
{
    unsigned lo_b, hi_b;
    hist_span(h, &lo_b, &hi_b);
    return hist_dram_fraction(h, lo_b, hi_b, t);
}

double threshold_for_dram_fraction(const threshold_hist *h, double f, double lo, double hi)
{
    if (hi < lo) hi = lo;
    if (h->placed_bytes == 0) return lo;
    unsigned lo_b, hi_b;
    hist_span(h, &lo_b, &hi_b);
    if (hist_dram_fraction(h, lo_b, hi_b, hi) < f) return hi;
    if (hist_dram_fraction(h, lo_b, hi_b, lo) >= f) return lo;
    /* F does not fall as t rises, and F(lo) < f <= F(hi): bisect, in log
     * space since the band is relative, until the ends agree to a part in
     * 10^12 (at most 60 halvings; a tick has time for that). */
    double a = lo > 1.0 / 256 ? lo : 1.0 / 256, b = hi;
    if (hist_dram_fraction(h, lo_b, hi_b, a) >= f) return a;
    double la = log(a), lb = log(b);
    for (int i = 0; i < 60 && lb - la > 1e-12; i++) {
        double lm = 0.5 * (la + lb);
        if (hist_dram_fraction(h, lo_b, hi_b, exp(lm)) >= f) lb = lm;
        else la = lm;
    }
    double r = exp(lb);
    return r < lo ? lo : r > hi ? hi : r;
}

double threshold_share(uint64_t dram_user, uint64_t pmem_user)
{
    /* In long double so that two counters near 2^64 do not overflow. */
    long double total = (long double)dram_user + (long double)pmem_user;
    if (total <= 0) return -1.0;
    return (double)((long double)dram_user / total);
}

/* The target share, clamped to [0,1] (callers validate; NaN becomes 0). */
static double target_of(const threshold_params *p)
{
    double t = p->target_dram_share;
    if (!(t >= 0.0)) return 0.0;
    return t > 1.0 ? 1.0 : t;
}

static double clamp_thr(double v, uint64_t lo, uint64_t hi)
{
    if (!(v >= (double)lo)) return (double)lo;     /* also NaN */
    if (v > (double)hi) return (double)hi;
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

double threshold_ctl_step(threshold_ctl *c, const threshold_params *p,
                          uint64_t dram_user, uint64_t pmem_user, double cur)
{
    uint64_t lo, hi;
    threshold_bounds(p, &lo, &hi);
    double target = target_of(p);

    double share = threshold_share(dram_user, pmem_user);
    c->last_share = share;
    if (share < 0) {
        /* Nothing to measure: forget the history so the first real error
         * is not compared with a stale one. */
        c->have_prev = 0;
        c->last_sign = 0;
        c->stalled_ticks = 0;
        return clamp_thr(cur, lo, hi);
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
        return clamp_thr(cur, lo, hi);
    }

    int sign = err > 0 ? 1 : -1;
    if (c->last_sign && sign != c->last_sign) {
        /* Overshot, possibly straight through the dead band: gentler. */
        c->scale /= 2.0;
        if (c->scale < THRESHOLD_SCALE_MIN) c->scale = THRESHOLD_SCALE_MIN;
        c->stalled_ticks = 0;
    } else if (c->have_prev && fabs(err) >= fabs(c->prev_err)) {
        int pinned = (sign > 0 && cur >= (double)hi) || (sign < 0 && cur <= (double)lo);
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

    /* A multiplicative step cannot leave 0, so going up starts from at
     * least one byte (below that every value is on PMem anyway). */
    double want = lstep > 0 ? (cur > 1.0 ? cur : 1.0) * exp(lstep) : cur * exp(lstep);
    return clamp_thr(want, lo, hi);
}

int threshold_hist_enough(const threshold_hist *h, uint64_t total)
{
    if (h->placed_bytes < total / THRESHOLD_PLACED_MIN_TURNOVER ||
        h->placed_bytes < THRESHOLD_PLACED_OVER_GROWTH * h->grown_bytes)
        return 0;
    uint64_t n = 0;     /* blocks: summed here, not counted per placement */
    for (unsigned b = 0; b < THRESHOLD_HIST_BUCKETS && n < THRESHOLD_PLACED_MIN_COUNT; b++)
        n += h->count[b];
    return n >= THRESHOLD_PLACED_MIN_COUNT;
}

/* Placement-driven mode.
 *
 * The share moves only through what is placed (and freed, and migrated),
 * and the histogram says what was placed during the last tick: W bytes
 * of known sizes.  So the controller splits in two.  The outer part picks
 * the DRAM fraction f of the next tick's placements:
 *
 *     f = target + G * e + I,   G = KP * S / max(W, S / GAIN_MAX / KP)
 *
 * With the next tick placing about W bytes again and replacing values at
 * the current mix, that closes about half the error e per tick whatever
 * the turnover W / S is -- the integral controller above has to discover
 * the plant's speed, and on a single value size (a steep plant: the whole
 * band is 0.58 e-folds) it rang between the ends of the range for 20
 * ticks before it settled.  The inner part computes the threshold whose
 * band places f of the histogram's bytes (threshold_for_dram_fraction)
 * and corrects it by the bias it measured last tick: what the band was
 * predicted to place at the threshold in force against what the
 * allocator counted (reallocs keep their tier inside the band, a free
 * block's tier is preferred, PMem may be full).  I, a slow integral of the
 * error, takes what neither corrects (values growing in place, a mix of
 * frees that is not the share).
 *
 * Stall counting, the sign and the previous error are kept as in
 * threshold_ctl_step, so the caller's migration hint works in both modes
 * and the integral controller can take over from this history. */
double threshold_ctl_step_placed(threshold_ctl *c, const threshold_params *p,
                                 uint64_t dram_user, uint64_t pmem_user, double cur,
                                 const threshold_hist *h)
{
    double share = threshold_share(dram_user, pmem_user);
    uint64_t total = dram_user + pmem_user;
    int enough = share >= 0 && h && threshold_hist_enough(h, total);
    c->placed_streak = enough ? c->placed_streak + 1 : 0;
    if (c->placed_streak < THRESHOLD_PLACED_ENTER_TICKS) {
        /* The error history both modes keep is valid for the integral
         * controller; what only the placement mode learned is not. */
        c->placed_mode = 0;
        c->bias = 0.0;
        c->integ = 0.0;
        return threshold_ctl_step(c, p, dram_user, pmem_user, cur);
    }

    uint64_t lo, hi;
    threshold_bounds(p, &lo, &hi);
    double target = target_of(p);
    c->last_share = share;
    double err = target - share;
    double W = (double)h->placed_bytes, S = (double)total;

    /* Inner loop: how far the band's prediction at the threshold in force
     * was from what was really placed. */
    double pred = threshold_hist_dram_fraction(h, cur);   /* also the hold test below */
    double meas = (double)h->dram_bytes / W;
    double bias = pred - meas;
    c->bias = c->placed_mode ? 0.5 * c->bias + 0.5 * bias : bias;

    double wfloor = S / (THRESHOLD_PLACED_GAIN_MAX / THRESHOLD_PLACED_KP);
    double gain = THRESHOLD_PLACED_KP * S / (W > wfloor ? W : wfloor);
    int inside = fabs(err) <= THRESHOLD_DEADBAND;
    /* Inside the dead band no proportional push: the mix that holds the
     * share is the target plus what the integral learned. */
    double f = target + (inside ? 0.0 : gain * err) + c->integ;
    int saturated = f <= 0.0 || f >= 1.0;
    if (!inside && fabs(err) <= THRESHOLD_PLACED_INTEG_ZONE &&
        (!saturated || (f < 0.0) != (err < 0.0))) {
        /* No integration while the mix is already at an end, nor far from
         * the target, where the proportional part does the work and a
         * transient would wind the integral up for many ticks after. */
        c->integ += THRESHOLD_PLACED_KI * gain * err;
        if (c->integ > THRESHOLD_PLACED_INTEG_MAX) c->integ = THRESHOLD_PLACED_INTEG_MAX;
        if (c->integ < -THRESHOLD_PLACED_INTEG_MAX) c->integ = -THRESHOLD_PLACED_INTEG_MAX;
    }
    double want = f + c->bias;

    /* The same stall and sign bookkeeping as the integral mode. */
    if (!inside) {
        int sign = err > 0 ? 1 : -1;
        if (c->have_prev && c->last_sign == sign && fabs(err) >= fabs(c->prev_err))
            c->stalled_ticks++;
        else
            c->stalled_ticks = 0;
        c->last_sign = sign;
    } else {
        c->stalled_ticks = 0;
    }
    c->prev_err = err;
    c->have_prev = 1;
    c->scale = 1.0;
    int was_placed = c->placed_mode;
    c->placed_mode = 1;
    /* A mix out of reach goes to the bound, not just past the sizes of this
     * tick: at a bound the caller knows placement alone cannot do it and
     * migrates (a threshold that puts all of this tick on DRAM but sits
     * below the largest values stored says nothing of the kind). */
    if (want >= 1.0) return (double)hi;
    if (want <= 0.0) return (double)lo;
    /* Hold the threshold while the mix it places is within a point of the
     * wanted one.  Recomputed every tick from a fresh histogram it would
     * wobble by a byte or two, and every wobble moves the band's mix away
     * from the mix of the blocks being freed, so more overwrites land on
     * the other tier than the block they replace (and the thread caches
     * of both tiers run dry and full). */
    if (was_placed && cur >= (double)lo && cur <= (double)hi &&
        fabs(pred - want) <= THRESHOLD_PLACED_HOLD)
        return cur;
    return threshold_for_dram_fraction(h, want, (double)lo, (double)hi);
}
