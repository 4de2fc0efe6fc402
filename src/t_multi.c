/* t_multi.c -- MULTI, EXEC, DISCARD, WATCH, UNWATCH; see multi.h.
 *
 * What it promises
 *   - Between MULTI and EXEC commands are checked (existence, arity,
 *     CMD_NO_MULTI) and queued with copies of their arguments; a command
 *     rejected while queueing makes EXEC answer EXECABORT.
 *   - EXEC runs the queue back to back through cmd_exec (nothing else runs
 *     in between), answers one array, and journals one entry
 *     MULTI ... EXEC when the transaction changed the dataset.
 *   - WATCH: per database a table maps a key to the clients watching it,
 *     so a modification costs one lookup, and nothing when nobody watches.
 *     Semantics follow Redis 7.0, including keys that were already expired
 *     when watched.
 * Main thread only.
 */
#include <string.h>
#include <strings.h>

#include "blocked.h"
#include "cmd.h"
#include "db.h"
#include "dict.h"
#include "effects.h"
#include "multi.h"
#include "server.h"
#include "tier.h"
#include "util.h"

/* ---- transaction state ----------------------------------------------------- */

typedef struct queued {
    cmd *cm;
    int argc;
    arg *argv;          /* argv and the bytes in one DRAM block */
} queued;

typedef struct multi_state {
    queued *cmds;
    int n, cap;
    uint64_t flags;     /* union of the queued commands' flags */
} multi_state;

static void free_state(client *c)
{
    multi_state *m = c->multi;
    if (!m) return;
    for (int i = 0; i < m->n; i++) tier_dram_free(m->cmds[i].argv);
    tier_dram_free(m->cmds);
    tier_dram_free(m);
    c->multi = NULL;
}

static void queue_command(client *c, cmd *cm)
{
    multi_state *m = c->multi;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->cmds = tier_dram_realloc(m->cmds, sizeof(queued) * (size_t)m->cap);
    }
    size_t bytes = sizeof(arg) * (size_t)c->argc;
    for (int i = 0; i < c->argc; i++) bytes += c->argv[i].len + 1;
    arg *v = tier_dram_malloc(bytes);
    char *p = (char *)(v + c->argc);
    for (int i = 0; i < c->argc; i++) {
        memcpy(p, c->argv[i].p, c->argv[i].len);
        p[c->argv[i].len] = '\0';
        v[i].p = p;
        v[i].len = c->argv[i].len;
        p += c->argv[i].len + 1;
    }
    queued *q = &m->cmds[m->n++];
    q->cm = cm;
    q->argc = c->argc;
    q->argv = v;
    m->flags |= cm->flags;
}

/* ---- WATCH ------------------------------------------------------------------ */

struct wkey;

/* One client watching one key. */
typedef struct wlink {
    struct wkey *k;
    client *c;
    struct wlink *prev, *next;   /* the key's watchers */
    struct wlink *cnext;         /* the client's watched keys */
    int expired;                 /* the key was logically expired at WATCH */
} wlink;

typedef struct wkey {
    dict_node node;
    wlink *head;
    int dbid;
    size_t len;
    char name[];
} wkey;

static dict *wtables;
static int nwtables;
static uint64_t nwatched;

static const char *wkey_of(const dict_node *n, size_t *len)
{
    const wkey *k = (const wkey *)n;
    *len = k->len;
    return k->name;
}

static const dict_type wkey_type = {wkey_of};

static dict *wtable(int dbid, int create)
{
    if (dbid >= nwtables) {
        if (!create) return NULL;
        int n = dbid + 1 > 16 ? dbid + 1 : 16;
        wtables = tier_dram_realloc(wtables, sizeof(dict) * (size_t)n);
        for (int i = nwtables; i < n; i++) dict_init(&wtables[i], &wkey_type);
        nwtables = n;
    }
    return &wtables[dbid];
}

static int key_logically_expired(db *d, const char *key, size_t len)
{
    kv *e = (kv *)dict_find(&d->keys, key, len);
    return e && db_is_expired(e);
}

static void watch_key(client *c, const arg *a)
{
    int dbid = c->db->id;
    for (wlink *l = c->watched; l; l = l->cnext)
        if (l->k->dbid == dbid && l->k->len == a->len && !memcmp(l->k->name, a->p, a->len)) return;
    dict *t = wtable(dbid, 1);
    wkey *k = (wkey *)dict_find(t, a->p, a->len);
    if (!k) {
        k = tier_dram_calloc(sizeof(wkey) + a->len);
        k->dbid = dbid;
        k->len = a->len;
        memcpy(k->name, a->p, a->len);
        dict_add(t, &k->node);
        nwatched++;
    }
    wlink *l = tier_dram_calloc(sizeof(wlink));
    l->k = k;
    l->c = c;
    l->expired = key_logically_expired(c->db, a->p, a->len);
    l->next = k->head;
    if (k->head) k->head->prev = l;
    k->head = l;
    l->cnext = c->watched;
    c->watched = l;
}

static void unwatch_all(client *c)
{
    wlink *l = c->watched;
    while (l) {
        wlink *next = l->cnext;
        wkey *k = l->k;
        if (l->prev) l->prev->next = l->next;
        else k->head = l->next;
        if (l->next) l->next->prev = l->prev;
        if (!k->head) {
            dict_unlink(wtable(k->dbid, 0), k->name, k->len);
            tier_dram_free(k);
            nwatched--;
        }
        tier_dram_free(l);
        l = next;
    }
    c->watched = NULL;
}

/* Mark c dirty; its watches are useless from now on. */
static void invalidate(client *c)
{
    c->flags |= CF_DIRTY_CAS;
    unwatch_all(c);
}

/* The clients to invalidate are collected first: invalidating one frees
 * links of the key being walked. */
static client **victims;
static size_t nvictims, victims_cap;

static void add_victim(client *c)
{
    for (size_t i = 0; i < nvictims; i++)
        if (victims[i] == c) return;
    if (nvictims == victims_cap) {
        victims_cap = victims_cap ? victims_cap * 2 : 16;
        victims = tier_dram_realloc(victims, victims_cap * sizeof(*victims));
    }
    victims[nvictims++] = c;
}

static void flush_victims(void)
{
    for (size_t i = 0; i < nvictims; i++) invalidate(victims[i]);
    nvictims = 0;
}

static void on_modified(db *d, const char *key, size_t len)
{
    if (!nwatched) return;
    dict *t = wtable(d->id, 0);
    if (!t || !dict_size(t)) return;
    wkey *k = (wkey *)dict_find(t, key, len);
    if (!k) return;
    int gone = dict_find(&d->keys, key, len) == NULL;
    for (wlink *l = k->head; l; l = l->next) {
        if (l->expired) {
            /* deleting a key that had already expired changes nothing */
            if (gone) { l->expired = 0; continue; }
        }
        add_victim(l->c);
    }
    flush_victims();
}

/* Redis 7.0 touchAllWatchedKeysInDb: emptied loses its keys, replaced_with
 * (SWAPDB) is what the watchers will see instead. */
static void touch_db(db *emptied, db *replaced_with)
{
    dict *t = wtable(emptied->id, 0);
    if (!t || !dict_size(t)) return;
    dict_iter it;
    dict_iter_init(&it, t);
    dict_node *n;
    while ((n = dict_iter_next(&it))) {
        wkey *k = (wkey *)n;
        int in_emptied = dict_find(&emptied->keys, k->name, k->len) != NULL;
        int in_repl = replaced_with && dict_find(&replaced_with->keys, k->name, k->len) != NULL;
        if (!in_emptied && !in_repl) continue;
        for (wlink *l = k->head; l; l = l->next) {
            if (l->expired) {
                if (!in_repl) { l->expired = 0; continue; }
                if (key_logically_expired(replaced_with, k->name, k->len)) continue;
            } else if (!in_emptied && key_logically_expired(replaced_with, k->name, k->len)) {
                l->expired = 1;
                continue;
            }
            add_victim(l->c);
        }
    }
    dict_iter_release(&it);
    flush_victims();
}

void multi_touch_swapdb(db *a, db *b)
{
    touch_db(a, b);
    touch_db(b, a);
}

extern void (*keys_before_flush_hook)(db *d);

static void on_flush(db *d) { touch_db(d, NULL); }

/* A watched key that expired since WATCH but was not deleted yet still
 * counts as changed. */
static int watched_expired(client *c)
{
    for (wlink *l = c->watched; l; l = l->cnext) {
        if (l->expired) continue;
        if (l->k->dbid < server.ndbs && key_logically_expired(&server.dbs[l->k->dbid], l->k->name, l->k->len))
            return 1;
    }
    return 0;
}

uint64_t multi_watched_keys(void) { return nwatched; }

/* ---- dispatch hook ------------------------------------------------------------ */

static int runs_now(const cmd *cm)
{
    return cm->proc == cmd_exec_ || cm->proc == cmd_discard || cm->proc == cmd_multi || cm->proc == cmd_watch ||
           cm->proc == cmd_quit || !strcmp(cm->name, "reset");
}

static int intercept(client *c, cmd *cm)
{
    if (!(c->flags & CF_MULTI)) return 0;
    if (cm->flags & CMD_NO_MULTI) {
        c->flags |= CF_DIRTY_EXEC;
        cm->rejected++;
        reply_error(c, "ERR Command not allowed inside a transaction");
        return 1;
    }
    if (runs_now(cm)) return 0;
    queue_command(c, cm);
    reply_raw(c, "+QUEUED\r\n", 9);
    return 1;
}

void multi_reset_client(client *c)
{
    free_state(c);
    c->flags &= ~(CF_MULTI | CF_DIRTY_EXEC | CF_DIRTY_CAS);
    unwatch_all(c);
}

void multi_init(void)
{
    cmd_intercept = intercept;
    db_set_modified_hook(on_modified);
    keys_before_flush_hook = on_flush;
    conn_add_free_hook(multi_reset_client);
}

/* ---- commands ------------------------------------------------------------------ */

/* MULTI */
void cmd_multi(client *c)
{
    if (c->flags & CF_MULTI) {
        reply_error(c, "ERR MULTI calls can not be nested");
        return;
    }
    c->flags |= CF_MULTI;
    c->multi = tier_dram_calloc(sizeof(multi_state));
    reply_ok(c);
}

/* DISCARD */
void cmd_discard(client *c)
{
    if (!(c->flags & CF_MULTI)) {
        reply_error(c, "ERR DISCARD without MULTI");
        return;
    }
    multi_reset_client(c);
    reply_ok(c);
}

static void exec_abort(client *c, const char *why)
{
    multi_reset_client(c);
    reply_errorf(c, "EXECABORT Transaction discarded because of: %s", why[0] == '-' ? why + 1 : why);
}

/* EXEC */
void cmd_exec_(client *c)
{
    if (!(c->flags & CF_MULTI)) {
        reply_error(c, "ERR EXEC without MULTI");
        return;
    }
    if (c->flags & CF_DIRTY_EXEC) {
        multi_reset_client(c);
        reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
        return;
    }
    if ((c->flags & CF_DIRTY_CAS) || watched_expired(c)) {
        multi_reset_client(c);
        reply_null_array(c);
        return;
    }
    multi_state *m = c->multi;
    /* refusals that would hit every write of the queue abort it whole */
    if (m->flags & CMD_WRITE) {
        const char *why = cmd_refuse_writes ? cmd_refuse_writes() : NULL;
        if (why) { exec_abort(c, why); return; }
    }
    if ((m->flags & CMD_DENYOOM) && server.cfg.maxmemory > 0 &&
        tier_used_total() > (uint64_t)server.cfg.maxmemory) {
        exec_abort(c, "OOM command not allowed when used memory > 'maxmemory'.");
        return;
    }
    c->multi = NULL;
    c->flags &= ~(CF_MULTI | CF_DIRTY_EXEC | CF_DIRTY_CAS);
    /* our own writes must not look like someone else's */
    unwatch_all(c);

    int argc = c->argc, owned = c->argv_owned;
    arg *argv = c->argv;
    int argv_cap = c->argv_cap;
    const cmd *self = c->cmd;
    uint64_t dirty0 = server.dirty;
    fx_entry_begin();
    fx_also_strs(c->db->id, "MULTI", (size_t)5, NULL);
    c->flags |= CF_EXECUTING;
    reply_array(c, m->n);
    for (int i = 0; i < m->n; i++) {
        queued *q = &m->cmds[i];
        c->argc = q->argc;
        c->argv = q->argv;
        c->argv_owned = 0;
        c->argv_cap = q->argc;
        c->cmd = q->cm;
        cmd_exec(c, q->cm);
    }
    c->flags &= ~CF_EXECUTING;
    if (server.dirty != dirty0) fx_also_strs(c->db->id, "EXEC", (size_t)4, NULL);
    else fx_entry_drop();
    fx_entry_end();
    c->argc = argc;
    c->argv = argv;
    c->argv_owned = owned;
    c->argv_cap = argv_cap;
    c->cmd = self;
    for (int i = 0; i < m->n; i++) tier_dram_free(m->cmds[i].argv);
    tier_dram_free(m->cmds);
    tier_dram_free(m);
}

/* WATCH key [key ...] */
void cmd_watch(client *c)
{
    if (c->flags & CF_MULTI) {
        reply_error(c, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    /* already doomed: watching more changes nothing */
    if (!(c->flags & CF_DIRTY_CAS))
        for (int i = 1; i < c->argc; i++) watch_key(c, &c->argv[i]);
    reply_ok(c);
}

/* UNWATCH */
void cmd_unwatch(client *c)
{
    unwatch_all(c);
    c->flags &= ~CF_DIRTY_CAS;
    reply_ok(c);
}
