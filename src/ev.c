/* ev.c -- epoll event loop; see ev.h. */
#include "ev.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "tier.h"
#include "util.h"

typedef struct ev_file {
    int mask;
    ev_file_fn *rfn, *wfn;
    void *rpriv, *wpriv;
} ev_file;

typedef struct ev_timer {
    long long id;
    uint64_t when_us;
    ev_timer_fn *fn;
    void *priv;
    uint64_t ran;            /* loop iteration that last ran it */
    struct ev_timer *next;
} ev_timer;

struct ev_loop {
    int epfd;
    int setsize;
    ev_file *files;
    struct epoll_event *fired;
    ev_timer *timers;
    long long next_timer_id;
    ev_sleep_fn *before_sleep, *after_sleep;
    int stop;
    uint64_t iteration;
    int busy;                /* the last wait returned events */
    int poll_score;          /* recent busy polls: up when one found events */
    unsigned poll_probe;
    int no_poll;             /* ev_poll_hint said polling cannot pay */
};

/* Polling pays only when events arrive while the loop polls, i.e. the
 * senders run on other CPUs.  Each poll that finds events raises the score,
 * each that runs dry lowers it; at 0 the loop sleeps at once and tries a
 * poll again only every POLL_PROBE_EVERY busy iterations (a sender sharing
 * this CPU cannot run while we poll, so polling would only delay it). */
#define POLL_SCORE_MAX 8
#define POLL_PROBE_EVERY 64

int ev_busy_poll_us;

ev_loop *ev_create(int setsize)
{
    ev_loop *l = tier_dram_calloc(sizeof(*l));
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) { tier_dram_free(l); return NULL; }
    l->setsize = setsize;
    l->files = tier_dram_calloc(sizeof(ev_file) * (size_t)setsize);
    l->fired = tier_dram_calloc(sizeof(struct epoll_event) * (size_t)setsize);
    l->poll_score = POLL_SCORE_MAX / 2;
    return l;
}

void ev_destroy(ev_loop *l)
{
    close(l->epfd);
    while (l->timers) {
        ev_timer *t = l->timers;
        l->timers = t->next;
        tier_dram_free(t);
    }
    tier_dram_free(l->files);
    tier_dram_free(l->fired);
    tier_dram_free(l);
}

int ev_setsize(ev_loop *l) { return l->setsize; }

int ev_add(ev_loop *l, int fd, int mask, ev_file_fn *fn, void *priv)
{
    if (fd >= l->setsize) { errno = ERANGE; return -1; }
    ev_file *f = &l->files[fd];
    struct epoll_event ee = {0};
    int op = f->mask == EV_NONE ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    int newmask = f->mask | mask;
    if (newmask & EV_READABLE) ee.events |= EPOLLIN;
    if (newmask & EV_WRITABLE) ee.events |= EPOLLOUT;
    ee.data.fd = fd;
    if ((newmask & (EV_READABLE | EV_WRITABLE)) != (f->mask & (EV_READABLE | EV_WRITABLE)))
        if (epoll_ctl(l->epfd, op, fd, &ee) == -1) return -1;
    f->mask = newmask;
    if (mask & EV_READABLE) { f->rfn = fn; f->rpriv = priv; }
    if (mask & EV_WRITABLE) { f->wfn = fn; f->wpriv = priv; }
    return 0;
}

void ev_del(ev_loop *l, int fd, int mask)
{
    if (fd >= l->setsize) return;
    ev_file *f = &l->files[fd];
    if (f->mask == EV_NONE) return;
    if (mask & EV_WRITABLE) mask |= EV_BARRIER;
    int newmask = f->mask & ~mask;
    struct epoll_event ee = {0};
    if (newmask & EV_READABLE) ee.events |= EPOLLIN;
    if (newmask & EV_WRITABLE) ee.events |= EPOLLOUT;
    ee.data.fd = fd;
    if ((newmask & (EV_READABLE | EV_WRITABLE)) == 0)
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, &ee);
    else
        epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ee);
    f->mask = newmask;
}

int ev_get_mask(ev_loop *l, int fd) { return fd < l->setsize ? l->files[fd].mask : 0; }

long long ev_timer_add(ev_loop *l, long long ms, ev_timer_fn *fn, void *priv)
{
    ev_timer *t = tier_dram_malloc(sizeof(*t));
    t->id = l->next_timer_id++;
    t->when_us = util_monotonic_us() + (uint64_t)ms * 1000;
    t->fn = fn;
    t->priv = priv;
    t->ran = 0;
    t->next = l->timers;
    l->timers = t;
    return t->id;
}

void ev_timer_del(ev_loop *l, long long id)
{
    for (ev_timer **p = &l->timers; *p; p = &(*p)->next) {
        if ((*p)->id == id) {
            ev_timer *t = *p;
            *p = t->next;
            tier_dram_free(t);
            return;
        }
    }
}

void ev_set_before_sleep(ev_loop *l, ev_sleep_fn *fn) { l->before_sleep = fn; }
void ev_set_after_sleep(ev_loop *l, ev_sleep_fn *fn) { l->after_sleep = fn; }
void ev_stop(ev_loop *l) { l->stop = 1; }

/* O(timers): the server has a handful of timers.  A callback may add or
 * delete timers, so after each call the scan restarts from the head; the
 * iteration stamp keeps a timer from running twice in one pass. */
static int process_timers(ev_loop *l)
{
    int n = 0;
    uint64_t now = util_monotonic_us();
    long long maxid = l->next_timer_id;
    l->iteration++;
    ev_timer *t = l->timers;
    while (t) {
        if (t->id < maxid && t->when_us <= now && t->ran != l->iteration) {
            long long id = t->id;
            t->ran = l->iteration;
            int again = t->fn(l, id, t->priv);
            n++;
            ev_timer *cur = l->timers;
            while (cur && cur->id != id) cur = cur->next;
            if (cur) {
                if (again >= 0) cur->when_us = util_monotonic_us() + (uint64_t)again * 1000;
                else ev_timer_del(l, id);
            }
            t = l->timers;
            continue;
        }
        t = t->next;
    }
    return n;
}

void ev_poll_hint(ev_loop *l, int worth) { l->no_poll = !worth; }

/* wait (internal) -- epoll with a microsecond timeout (-1 = forever), so a
 * timer is not rounded up to the next millisecond. */
static int wait_events(ev_loop *l, int64_t timeout_us)
{
    if (timeout_us < 0) return epoll_wait(l->epfd, l->fired, l->setsize, -1);
    struct timespec ts = {.tv_sec = (time_t)(timeout_us / 1000000), .tv_nsec = (long)(timeout_us % 1000000) * 1000};
    int n = epoll_pwait2(l->epfd, l->fired, l->setsize, &ts, NULL);
    if (n < 0 && errno == ENOSYS)   /* kernels before 5.11 */
        n = epoll_wait(l->epfd, l->fired, l->setsize, (int)((timeout_us + 999) / 1000));
    return n;
}

int ev_process(ev_loop *l, int max_ms)
{
    /* before_sleep first: it may add timers and gives the poll hint */
    if (l->before_sleep) l->before_sleep(l);
    int64_t timeout = max_ms < 0 ? -1 : (int64_t)max_ms * 1000;
    if (l->timers) {
        uint64_t now = util_monotonic_us(), nearest = UINT64_MAX;
        for (ev_timer *t = l->timers; t; t = t->next)
            if (t->when_us < nearest) nearest = t->when_us;
        int64_t us = nearest <= now ? 0 : (int64_t)(nearest - now);
        if (timeout < 0 || us < timeout) timeout = us;
    }
    int n;
    if (l->busy && !l->no_poll && ev_busy_poll_us > 0 && timeout != 0 &&
        (l->poll_score > 0 || ++l->poll_probe % POLL_PROBE_EVERY == 0)) {
        /* Under load the next event is usually microseconds away; blocking
         * would make its sender pay for waking this thread (and on a VM an
         * idle vCPU is slow to wake).  Poll for a short while first.  The
         * timeout is not shortened: timers may run up to the poll time late. */
        uint64_t until = util_monotonic_us() + (uint64_t)ev_busy_poll_us;
        do n = epoll_wait(l->epfd, l->fired, l->setsize, 0);
        while (n == 0 && util_monotonic_us() < until);
        if (n > 0) {
            if (l->poll_score < POLL_SCORE_MAX) l->poll_score++;
        } else {
            if (l->poll_score > 0) l->poll_score--;
            n = wait_events(l, timeout);
        }
    } else {
        n = wait_events(l, timeout);
    }
    l->busy = n > 0;
    l->no_poll = 0;
    if (l->after_sleep) l->after_sleep(l);
    for (int i = 0; i < n; i++) {
        int fd = l->fired[i].data.fd;
        uint32_t ev = l->fired[i].events;
        ev_file *f = &l->files[fd];
        int fired_mask = 0;
        if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) fired_mask |= EV_READABLE;
        if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) fired_mask |= EV_WRITABLE;
        int invert = f->mask & EV_BARRIER;
        int done = 0;
        if (!invert && (f->mask & fired_mask & EV_READABLE)) {
            f->rfn(l, fd, f->rpriv, fired_mask);
            done = 1;
            f = &l->files[fd];
        }
        if (f->mask & fired_mask & EV_WRITABLE) {
            if (!done || f->wfn != f->rfn || f->wpriv != f->rpriv) {
                f->wfn(l, fd, f->wpriv, fired_mask);
                done = 1;
            }
            f = &l->files[fd];
        }
        if (invert && (f->mask & fired_mask & EV_READABLE)) {
            f->rfn(l, fd, f->rpriv, fired_mask);
        }
    }
    process_timers(l);
    return n;
}

void ev_main(ev_loop *l)
{
    l->stop = 0;
    while (!l->stop) ev_process(l, -1);
}
