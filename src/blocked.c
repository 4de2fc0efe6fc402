/* blocked.c -- clients blocked on keys; see blocked.h for the contract.
 *
 * What it promises (beyond blocked.h)
 *   - Per database, a table maps a key to the FIFO queue of clients blocked
 *     on it; a client blocked on several keys has one queue link per key.
 *   - A signalled key is only remembered (once, in signalling order); the
 *     clients are re-run by blk_serve_ready(), which the dispatcher calls
 *     after each command and the loop calls before sleeping.
 *   - A re-run client that blocks again keeps its links, hence its place.
 *   - Deadlines live in a binary heap, so checking them in before_sleep
 *     costs O(1) when nothing is due.
 *   - While blocked, the client's argv is an owned copy: the query buffer
 *     may be reallocated by reads of the pipeline behind the command.
 * Main thread only.
 */
#include "blocked.h"

#include <math.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "dict.h"
#include "server.h"
#include "tier.h"
#include "util.h"

struct blk_state;

/* One client's place in one key's queue. */
typedef struct blk_link {
    struct blk_key *key;
    struct blk_state *st;
    struct blk_link *prev, *next;
} blk_link;

/* A key with at least one blocked client. */
typedef struct blk_key {
    dict_node node;               /* in the per-db table */
    blk_link *head, *tail;
    struct blk_key *ready_next;   /* signalled-keys list */
    int ready;
    int dbid;
    size_t len;
    char name[];
} blk_key;

typedef struct blk_state {
    client *c;
    int dbid;
    int nlinks;
    int64_t deadline;             /* ms, 0 = forever */
    size_t heap_idx;              /* index in the heap, SIZE_MAX if absent */
    enum blk_timeout_reply reply;
    int rerunning;                /* re-run of the handler in progress */
    int reblocked;                /* it called blk_block again */
    int unblocking;               /* CLIENT UNBLOCK: answered at the next timeout pass */
    const char *unblock_err;      /* ... with this error, or the timeout reply if NULL */
    blk_link links[];
} blk_state;

void (*blk_run_command)(client *c);

static dict *tables;              /* one per database, created on first use */
static int ntables;
static blk_key *ready_head, *ready_tail;
static blk_state **heap;
static size_t heap_n, heap_cap;
static uint64_t nblocked;
static int serving;

static const char *key_of(const dict_node *n, size_t *len)
{
    const blk_key *k = (const blk_key *)n;
    *len = k->len;
    return k->name;
}

static const dict_type key_type = {key_of};

static dict *table_for(int dbid, int create)
{
    if (dbid >= ntables) {
        if (!create) return NULL;
        int n = dbid + 1 > 16 ? dbid + 1 : 16;
        tables = tier_dram_realloc(tables, sizeof(dict) * (size_t)n);
        for (int i = ntables; i < n; i++) dict_init(&tables[i], &key_type);
        ntables = n;
    }
    return &tables[dbid];
}

/* ---- deadline heap ------------------------------------------------------- */

static void heap_set(size_t i, blk_state *s)
{
    heap[i] = s;
    s->heap_idx = i;
}

static void heap_up(size_t i)
{
    blk_state *s = heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (heap[p]->deadline <= s->deadline) break;
        heap_set(i, heap[p]);
        i = p;
    }
    heap_set(i, s);
}

static void heap_down(size_t i)
{
    blk_state *s = heap[i];
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        int64_t best = s->deadline;
        if (l < heap_n && heap[l]->deadline < best) { m = l; best = heap[l]->deadline; }
        if (l + 1 < heap_n && heap[l + 1]->deadline < best) m = l + 1;
        if (m == i) break;
        heap_set(i, heap[m]);
        i = m;
    }
    heap_set(i, s);
}

static void heap_push(blk_state *s)
{
    if (heap_n == heap_cap) {
        heap_cap = heap_cap ? heap_cap * 2 : 64;
        heap = tier_dram_realloc(heap, heap_cap * sizeof(*heap));
    }
    heap[heap_n] = s;
    s->heap_idx = heap_n++;
    heap_up(s->heap_idx);
}

static void heap_remove(blk_state *s)
{
    size_t i = s->heap_idx;
    if (i == SIZE_MAX) return;
    s->heap_idx = SIZE_MAX;
    blk_state *last = heap[--heap_n];
    if (i == heap_n) return;
    heap_set(i, last);
    heap_up(i);
    heap_down(last->heap_idx);
}

/* ---- blocking ------------------------------------------------------------ */

static void ready_remove(blk_key *k)
{
    if (!k->ready) return;
    blk_key **p = &ready_head, *prev = NULL;
    while (*p && *p != k) { prev = *p; p = &(*p)->ready_next; }
    if (*p) {
        *p = k->ready_next;
        if (ready_tail == k) ready_tail = prev;
    }
    k->ready = 0;
    k->ready_next = NULL;
}

static void unlink_all(blk_state *st)
{
    for (int i = 0; i < st->nlinks; i++) {
        blk_link *l = &st->links[i];
        blk_key *k = l->key;
        if (l->prev) l->prev->next = l->next;
        else k->head = l->next;
        if (l->next) l->next->prev = l->prev;
        else k->tail = l->prev;
        if (!k->head) {
            ready_remove(k);
            dict_unlink(table_for(k->dbid, 0), k->name, k->len);
            tier_dram_free(k);
        }
    }
    st->nlinks = 0;
}

/* Forget c's blocking state; it reads and runs commands again. */
static void unblock(client *c)
{
    blk_state *st = c->blocked;
    if (!st) return;
    unlink_all(st);
    heap_remove(st);
    tier_dram_free(st);
    c->blocked = NULL;
    c->flags &= ~CF_BLOCKED;
    nblocked--;
}

/* The pipeline behind a blocking command may grow (and move) the query
 * buffer while the client waits: keep arguments of our own. */
static void own_argv(client *c)
{
    if (c->argv_owned) return;
    for (int i = 0; i < c->argc; i++) {
        char *p = tier_dram_malloc(c->argv[i].len + 1);
        memcpy(p, c->argv[i].p, c->argv[i].len);
        p[c->argv[i].len] = '\0';
        c->argv[i].p = p;
    }
    c->argv_owned = 1;
}

void blk_block(client *c, int nkeys, const int *key_idx, int64_t deadline_ms, enum blk_timeout_reply r)
{
    blk_state *old = c->blocked;
    if (old && old->rerunning) {
        /* nothing to serve after all: keep the place in every queue */
        old->reblocked = 1;
        return;
    }
    if (old) unblock(c);
    own_argv(c);
    blk_state *st = tier_dram_calloc(sizeof(blk_state) + sizeof(blk_link) * (size_t)(nkeys > 0 ? nkeys : 1));
    st->c = c;
    st->dbid = c->db ? c->db->id : 0;
    st->deadline = deadline_ms;
    st->heap_idx = SIZE_MAX;
    st->reply = r;
    dict *t = table_for(st->dbid, 1);
    for (int i = 0; i < nkeys; i++) {
        const arg *a = &c->argv[key_idx[i]];
        int dup = 0;
        for (int j = 0; j < st->nlinks; j++)
            if (st->links[j].key->len == a->len && !memcmp(st->links[j].key->name, a->p, a->len)) dup = 1;
        if (dup) continue;
        blk_key *k = (blk_key *)dict_find(t, a->p, a->len);
        if (!k) {
            k = tier_dram_calloc(sizeof(blk_key) + a->len);
            k->dbid = st->dbid;
            k->len = a->len;
            memcpy(k->name, a->p, a->len);
            dict_add(t, &k->node);
        }
        blk_link *l = &st->links[st->nlinks++];
        l->key = k;
        l->st = st;
        l->next = NULL;
        l->prev = k->tail;
        if (k->tail) k->tail->next = l;
        else k->head = l;
        k->tail = l;
    }
    if (deadline_ms > 0) heap_push(st);
    c->blocked = st;
    c->flags |= CF_BLOCKED;
    nblocked++;
}

int blk_can_block(const client *c)
{
    return !(c->flags & (CF_MULTI | CF_EXECUTING));
}

int blk_parse_timeout(client *c, const arg *a, int64_t *deadline_ms)
{
    long double v;
    if (!util_str2ld(a->p, a->len, &v)) {
        reply_error(c, "ERR timeout is not a float or out of range");
        return 0;
    }
    long double ms = v * 1000.0L;
    /* Redis converts to long long; what does not fit turns negative there */
    if (!isfinite(ms) || ms >= 9.2e18L || ms <= -9.2e18L || (long long)ms < 0) {
        reply_error(c, "ERR timeout is negative");
        return 0;
    }
    long long t = (long long)ms;
    if (t > 0) {
        int64_t now = util_mstime();
        if (t > INT64_MAX - now) {
            reply_error(c, "ERR timeout is out of range");
            return 0;
        }
        t += now;
    }
    *deadline_ms = t;
    return 1;
}

void blk_signal_key(struct db *d, const char *key, size_t len)
{
    if (!nblocked) return;
    dict *t = table_for(d->id, 0);
    if (!t || !dict_size(t)) return;
    blk_key *k = (blk_key *)dict_find(t, key, len);
    if (!k || k->ready) return;
    k->ready = 1;
    k->ready_next = NULL;
    if (ready_tail) ready_tail->ready_next = k;
    else ready_head = k;
    ready_tail = k;
}

void blk_signal_db_keys(struct db *d)
{
    dict *t = table_for(d->id, 0);
    if (!t || !dict_size(t)) return;
    dict_iter it;
    dict_iter_init(&it, t);
    dict_node *n;
    while ((n = dict_iter_next(&it))) {
        blk_key *k = (blk_key *)n;
        if (db_peek(d, k->name, k->len)) blk_signal_key(d, k->name, k->len);
    }
    dict_iter_release(&it);
}

static void default_run(client *c) { cmd_call(c); }

/* Run the rest of c's pipeline, as the read handler would have. */
static void resume(client *c)
{
    conn_reset_args(c);
    if (c->fd >= 0 || c->qlen) conn_process_input(c);
}

/* Re-run one blocked client's command; returns 1 if it was served. */
static int rerun(client *c)
{
    blk_state *st = c->blocked;
    st->rerunning = 1;
    st->reblocked = 0;
    client *saved = conn_current;
    conn_current = c;
    uint32_t prot = c->flags & CF_PROTECTED;
    c->flags |= CF_PROTECTED;
    (blk_run_command ? blk_run_command : default_run)(c);
    if (!prot) c->flags &= ~CF_PROTECTED;
    conn_current = saved;
    st = c->blocked;
    if (!st) return 1;            /* the handler unblocked it itself */
    st->rerunning = 0;
    if (st->reblocked && !(c->flags & (CF_CLOSE_ASAP | CF_CLOSE_AFTER_REPLY))) return 0;
    unblock(c);
    resume(c);
    return 1;
}

/* A key nobody can pop from any more ends its round early. */
static int key_exists(const blk_key *k)
{
    if (!server.dbs || k->dbid >= server.ndbs) return 1;
    return dict_find(&server.dbs[k->dbid].keys, k->name, k->len) != NULL;
}

void blk_serve_ready(void)
{
    if (serving || !ready_head) return;
    serving = 1;
    client **batch = NULL;
    size_t cap = 0;
    while (ready_head) {
        blk_key *k = ready_head;
        ready_head = k->ready_next;
        if (!ready_head) ready_tail = NULL;
        k->ready = 0;
        k->ready_next = NULL;
        /* the queue as it is now: clients that block during the round wait
         * for the next signal */
        size_t n = 0;
        int dbid = k->dbid;
        size_t klen = k->len;
        char kbuf[128];
        char *kname = klen <= sizeof(kbuf) ? kbuf : tier_dram_malloc(klen);
        memcpy(kname, k->name, klen);
        for (blk_link *l = k->head; l; l = l->next) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                batch = tier_dram_realloc(batch, cap * sizeof(*batch));
            }
            batch[n++] = l->st->c;
        }
        for (size_t i = 0; i < n; i++) {
            client *c = batch[i];
            /* k may have been freed by an earlier client of the round */
            dict *t = table_for(dbid, 0);
            blk_key *cur = (blk_key *)dict_find(t, kname, klen);
            if (!cur) break;
            if (!key_exists(cur)) break;
            blk_state *st = c->blocked;
            if (!st || st->unblocking || (c->flags & CF_CLOSE_ASAP)) continue;
            int on_key = 0;
            for (int j = 0; j < st->nlinks; j++)
                if (st->links[j].key == cur) on_key = 1;
            if (!on_key) continue;
            rerun(c);
        }
        if (kname != kbuf) tier_dram_free(kname);
    }
    tier_dram_free(batch);
    serving = 0;
}

void blk_timeout_client(client *c)
{
    blk_state *st = c->blocked;
    if (!st) return;
    if (st->unblock_err) reply_error(c, st->unblock_err);
    else if (st->reply == BLK_NULL_ARRAY) reply_null_array(c);
    else reply_null(c);
    unblock(c);
    resume(c);
}

int blk_unblock_client(client *c, const char *err)
{
    blk_state *st = c->blocked;
    if (!st || st->unblocking) return 0;
    /* Not answered here: resume() runs c's pipeline, which must not happen
     * inside the command that asked.  A deadline in the past puts c first
     * in the heap, and the next timeout pass (before the loop sleeps)
     * answers it; until then a signalled key does not serve it. */
    st->unblocking = 1;
    st->unblock_err = err;
    st->deadline = 1;
    if (st->heap_idx == SIZE_MAX) heap_push(st);
    else heap_up(st->heap_idx);
    return 1;
}

void blk_handle_timeouts(void)
{
    if (!heap_n) return;
    int64_t now = util_mstime();
    /* bounded: a client resumed here may block again */
    size_t todo = heap_n;
    while (todo-- && heap_n && heap[0]->deadline <= now) {
        client *c = heap[0]->c;
        blk_timeout_client(c);
    }
}

uint64_t blk_blocked_clients(void) { return nblocked; }

void blk_client_freed(client *c)
{
    if (c->blocked) unblock(c);
}

void blk_before_sleep(void)
{
    blk_handle_timeouts();
    blk_serve_ready();
}
