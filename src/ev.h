/* ev.h -- the epoll event loop.
 *
 * What it promises
 *   - File events: a read and/or write handler per fd; handlers run on the
 *     main thread only.  EV_BARRIER on a write handler makes it run before
 *     the read handler in the same iteration is skipped: an fd is never read
 *     and answered in one iteration, so replies wait for the group commit
 *     that runs in before_sleep (see the loop order in server.c).
 *   - Timers: a small list of one-shot/periodic timers (the server has a
 *     handful, so O(n) scans are fine and said so).
 *   - before_sleep runs once per iteration, after the events are handled and
 *     before the loop blocks again (the sleep's timeout is computed after it,
 *     so timers it adds count).
 *   - Busy polling (ev_busy_poll_us): after a busy iteration the loop polls
 *     briefly before blocking; an idle loop never spins.
 * Not thread-safe; other threads wake the loop by writing an eventfd that is
 * registered as a file event.
 */
#ifndef EV_H
#define EV_H

#include <stdint.h>

#define EV_NONE 0
#define EV_READABLE 1
#define EV_WRITABLE 2
#define EV_BARRIER 4

typedef struct ev_loop ev_loop;
typedef void ev_file_fn(ev_loop *l, int fd, void *priv, int mask);
/* Returns the next interval in ms, or -1 to delete the timer. */
typedef int ev_timer_fn(ev_loop *l, long long id, void *priv);
typedef void ev_sleep_fn(ev_loop *l);

ev_loop *ev_create(int setsize);
void ev_destroy(ev_loop *l);
int ev_setsize(ev_loop *l);
int ev_add(ev_loop *l, int fd, int mask, ev_file_fn *fn, void *priv);   /* 0 ok, -1 errno */
void ev_del(ev_loop *l, int fd, int mask);
int ev_get_mask(ev_loop *l, int fd);
long long ev_timer_add(ev_loop *l, long long ms, ev_timer_fn *fn, void *priv);
void ev_timer_del(ev_loop *l, long long id);
void ev_set_before_sleep(ev_loop *l, ev_sleep_fn *fn);
void ev_set_after_sleep(ev_loop *l, ev_sleep_fn *fn);
void ev_stop(ev_loop *l);
/* From before_sleep: whether busy polling may pay this iteration (replies
 * went out, so answers may follow at once).  Default: yes. */
void ev_poll_hint(ev_loop *l, int worth);
void ev_main(ev_loop *l);
/* One iteration without blocking longer than max_ms (-1 forever). */
int ev_process(ev_loop *l, int max_ms);

/* After an iteration that handled events, poll without blocking for up to
 * this many microseconds before sleeping (0: sleep at once).  Trades a
 * little CPU under load for not making every sender wake the loop. */
extern int ev_busy_poll_us;

#endif
