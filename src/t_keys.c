/* t_keys.c -- commands on keys of any type: existence, deletion, expiry,
 * databases, renaming/copying/moving (TTL kept, blocked clients woken),
 * iteration (KEYS, SCAN with Redis's cursor guarantee) and OBJECT.
 * Hooks for other modules: keys_flush_hook (FLUSHDB/FLUSHALL) and
 * keys_swapdb_hook (SWAPDB). */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "blocked.h"
#include "cmd.h"
#include "db.h"
#include "effects.h"
#include "scan.h"
#include "server.h"
#include "tier.h"
#include "util.h"



const char *type_name(int type)
{
    switch (type) {
    case OBJ_STRING: return "string";
    case OBJ_LIST: return "list";
    case OBJ_SET: return "set";
    case OBJ_ZSET: return "zset";
    case OBJ_HASH: return "hash";
    }
    return "none";
}

/* DEL key [key ...] */
void cmd_del(client *c)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++) {
        /* an expired key counts as absent */
        if (db_lookup(c->db, c->argv[i].p, c->argv[i].len) && db_delete(c->db, c->argv[i].p, c->argv[i].len))
            n++;
    }
    server_dirty((uint64_t)n);
    reply_ll(c, n);
}

/* UNLINK key [key ...] */
void cmd_unlink(client *c) { cmd_del(c); }

/* EXISTS key [key ...] */
void cmd_exists(client *c)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++)
        if (db_lookup(c->db, c->argv[i].p, c->argv[i].len)) n++;
    reply_ll(c, n);
}

/* TYPE key */
void cmd_type(client *c)
{
    kv *e = db_lookup(c->db, c->argv[1].p, c->argv[1].len);
    reply_status(c, e ? type_name(e->type) : "none");
}

int select_db(client *c, const arg *a)
{
    long long id;
    if (!util_str2ll(a->p, a->len, &id)) {
        reply_err_not_int(c);
        return 0;
    }
    if (id < 0 || id >= server.ndbs) {
        reply_error(c, "ERR DB index is out of range");
        return 0;
    }
    c->db = &server.dbs[id];
    return 1;
}

/* SELECT index */
void cmd_select(client *c)
{
    if (select_db(c, &c->argv[1])) reply_ok(c);
}

/* DBSIZE */
void cmd_dbsize(client *c) { reply_ll(c, (long long)db_size(c->db)); }

static int parse_flush_mode(client *c)
{
    if (c->argc > 2 || (c->argc == 2 && !ARGEQ(c->argv[1], "sync") && !ARGEQ(c->argv[1], "async"))) {
        reply_err_syntax(c);
        return 0;
    }
    return 1;
}

/* Hook so WATCH and others learn about whole-db flushes. */
void (*keys_flush_hook)(int dbid);
/* Before the keys go (WATCH needs to know which watched keys existed). */
void (*keys_before_flush_hook)(db *d);

void flush_db(db *d)
{
    uint64_t n = db_size(d);
    if (keys_before_flush_hook) keys_before_flush_hook(d);
    db_clear(d);
    server_dirty(n ? n : 1);
    if (keys_flush_hook) keys_flush_hook(d->id);
}

/* FLUSHDB [ASYNC|SYNC] */
void cmd_flushdb(client *c)
{
    if (!parse_flush_mode(c)) return;
    flush_db(c->db);
    reply_ok(c);
}

/* FLUSHALL [ASYNC|SYNC] */
void cmd_flushall(client *c)
{
    if (!parse_flush_mode(c)) return;
    for (int i = 0; i < server.ndbs; i++) flush_db(&server.dbs[i]);
    reply_ok(c);
}

/* ---- expiry -------------------------------------------------------------- */

#define EXP_NX 1
#define EXP_XX 2
#define EXP_GT 4
#define EXP_LT 8

/* EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX|XX|GT|LT] */
static void expire_generic(client *c, int64_t base_ms, int unit_sec)
{
    long long when;
    if (!arg_ll(c, &c->argv[2], &when)) return;
    int flags = 0;
    for (int i = 3; i < c->argc; i++) {
        if (ARGEQ(c->argv[i], "nx")) flags |= EXP_NX;
        else if (ARGEQ(c->argv[i], "xx")) flags |= EXP_XX;
        else if (ARGEQ(c->argv[i], "gt")) flags |= EXP_GT;
        else if (ARGEQ(c->argv[i], "lt")) flags |= EXP_LT;
        else {
            reply_errorf(c, "ERR Unsupported option %.*s", (int)c->argv[i].len, c->argv[i].p);
            return;
        }
    }
    if ((flags & EXP_NX) && (flags & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return;
    }
    if ((flags & EXP_GT) && (flags & EXP_LT)) {
        reply_error(c, "ERR GT and LT options at the same time are not compatible");
        return;
    }
    if (unit_sec) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) goto invalid;
        when *= 1000;
    }
    if (when > LLONG_MAX - base_ms) goto invalid;
    when += base_ms;
    kv *e = db_lookup(c->db, c->argv[1].p, c->argv[1].len);
    if (!e) { reply_ll(c, 0); return; }
    int64_t cur = kv_expire(e);
    if (flags & EXP_NX && cur >= 0) { reply_ll(c, 0); return; }
    if (flags & EXP_XX && cur < 0) { reply_ll(c, 0); return; }
    /* no TTL counts as an infinite TTL for GT/LT */
    if (flags & EXP_GT && (cur < 0 || when <= cur)) { reply_ll(c, 0); return; }
    if (flags & EXP_LT && cur >= 0 && when >= cur) { reply_ll(c, 0); return; }
    if (db_when_passed(when)) {
        db_delete(c->db, c->argv[1].p, c->argv[1].len);
        fx_rewrite_strs(c, "DEL", (size_t)3, c->argv[1].p, c->argv[1].len, NULL);
    } else {
        db_set_expire(c->db, e, when);
        db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
        char ms[UTIL_LL_STR_SIZE];
        size_t n = util_ll2str(ms, when);
        fx_rewrite_strs(c, "PEXPIREAT", (size_t)9, c->argv[1].p, c->argv[1].len, ms, n, NULL);
    }
    server_dirty(1);
    reply_ll(c, 1);
    return;
invalid:
    reply_errorf(c, "ERR invalid expire time in '%s' command", c->cmd->name);
}

/* EXPIRE key seconds [NX|XX|GT|LT] */
void cmd_expire(client *c) { expire_generic(c, db_now_ms, 1); }
/* PEXPIRE key milliseconds [NX|XX|GT|LT] */
void cmd_pexpire(client *c) { expire_generic(c, db_now_ms, 0); }
/* EXPIREAT key unix-time-seconds [NX|XX|GT|LT] */
void cmd_expireat(client *c) { expire_generic(c, 0, 1); }
/* PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT] */
void cmd_pexpireat(client *c) { expire_generic(c, 0, 0); }

static void ttl_generic(client *c, int ms, int absolute)
{
    kv *e = db_lookup(c->db, c->argv[1].p, c->argv[1].len);
    if (!e) { reply_ll(c, -2); return; }
    int64_t when = kv_expire(e);
    if (when < 0) { reply_ll(c, -1); return; }
    if (absolute) { reply_ll(c, ms ? when : (when + 500) / 1000); return; }
    int64_t left = when - db_now_ms;
    if (left < 0) left = 0;
    reply_ll(c, ms ? left : (left + 500) / 1000);
}

/* TTL key */
void cmd_ttl(client *c) { ttl_generic(c, 0, 0); }
/* PTTL key */
void cmd_pttl(client *c) { ttl_generic(c, 1, 0); }
/* EXPIRETIME key */
void cmd_expiretime(client *c) { ttl_generic(c, 0, 1); }
/* PEXPIRETIME key */
void cmd_pexpiretime(client *c) { ttl_generic(c, 1, 1); }

/* PERSIST key */
void cmd_persist(client *c)
{
    kv *e = db_lookup(c->db, c->argv[1].p, c->argv[1].len);
    if (!e || kv_expire(e) < 0) { reply_ll(c, 0); return; }
    db_persist(c->db, e);
    db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
    server_dirty(1);
    reply_ll(c, 1);
}

/* ---- renaming, copying, moving ------------------------------------------- */

/* Redis's getIntFromObjectOrReply: an int-range integer, or the given error
 * (NULL: the generic ones). */
static int arg_int(client *c, const arg *a, int *out, const char *err)
{
    long long v;
    if (!util_str2ll(a->p, a->len, &v)) {
        reply_error(c, err ? err : "ERR value is not an integer or out of range");
        return 0;
    }
    if (v < INT_MIN || v > INT_MAX) {
        if (err) reply_error(c, err);
        else reply_errorf(c, "ERR value is out of range, value must between %d and %d", INT_MIN, INT_MAX);
        return 0;
    }
    *out = (int)v;
    return 1;
}

static db *db_by_index(int id) { return id >= 0 && id < server.ndbs ? &server.dbs[id] : NULL; }

static int same_key(const arg *a, const arg *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* The journal's tracker learns a command's keys from argv in the client's
 * database; a key written in another database (MOVE, COPY ... DB) must be
 * reported to it explicitly, or a read there would not wait for it. */
static void note_key_in_db(client *c, db *d, const char *key, size_t len)
{
    if (d != c->db && fx_key_consumer) fx_key_consumer(d->id, key, len, fx_key_consumer_priv);
}

/* Put e (not in any table, no expiry slot) under its key in d with expiry
 * when (-1 none); the key must be absent.  Wakes clients blocked on it. */
static void place_key(db *d, kv *e, int64_t when)
{
    db_add(d, e);
    if (when >= 0) e = db_set_expire(d, e, when);
    blk_signal_key(d, kv_key(e), e->keylen);
}

static void rename_generic(client *c, int nx)
{
    const arg *src = &c->argv[1], *dst = &c->argv[2];
    db *d = c->db;
    kv *e = db_lookup(d, src->p, src->len);
    if (!e) { reply_error(c, "ERR no such key"); return; }
    if (same_key(src, dst)) {
        if (nx) reply_ll(c, 0);
        else reply_ok(c);
        return;
    }
    if (db_lookup(d, dst->p, dst->len)) {
        if (nx) { reply_ll(c, 0); return; }
        db_delete(d, dst->p, dst->len);
    }
    int64_t when = kv_expire(e);
    db_unlink(d, src->p, src->len);
    kv *nw = kv_rekey(e, dst->p, dst->len);
    tier_dram_free(e);   /* the value now belongs to nw */
    place_key(d, nw, when);
    server_dirty(1);
    if (nx) reply_ll(c, 1);
    else reply_ok(c);
}

/* RENAME key newkey */
void cmd_rename(client *c) { rename_generic(c, 0); }
/* RENAMENX key newkey */
void cmd_renamenx(client *c) { rename_generic(c, 1); }

/* COPY source destination [DB destination-db] [REPLACE] */
void cmd_copy(client *c)
{
    const arg *src = &c->argv[1], *dst = &c->argv[2];
    db *from = c->db, *to = c->db;
    int replace = 0;
    for (int i = 3; i < c->argc; i++) {
        if (ARGEQ(c->argv[i], "replace")) {
            replace = 1;
        } else if (ARGEQ(c->argv[i], "db") && i + 1 < c->argc) {
            int id;
            if (!arg_int(c, &c->argv[i + 1], &id, NULL)) return;
            if (!(to = db_by_index(id))) { reply_error(c, "ERR DB index is out of range"); return; }
            i++;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if (from == to && same_key(src, dst)) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    kv *e = db_lookup(from, src->p, src->len);
    if (!e) { reply_ll(c, 0); return; }
    if (db_lookup(to, dst->p, dst->len)) {
        if (!replace) { reply_ll(c, 0); return; }
        db_delete(to, dst->p, dst->len);
    }
    place_key(to, kv_dup_with_key(e, dst->p, dst->len), kv_expire(e));
    note_key_in_db(c, to, dst->p, dst->len);
    server_dirty(1);
    reply_ll(c, 1);
}

/* MOVE key db */
void cmd_move(client *c)
{
    const arg *k = &c->argv[1];
    int id;
    if (!arg_int(c, &c->argv[2], &id, NULL)) return;
    db *to = db_by_index(id);
    if (!to) { reply_error(c, "ERR DB index is out of range"); return; }
    if (to == c->db) { reply_error(c, "ERR source and destination objects are the same"); return; }
    kv *e = db_lookup(c->db, k->p, k->len);
    if (!e || db_lookup(to, k->p, k->len)) { reply_ll(c, 0); return; }
    /* the same block moves: db_unlink drops it from the source's TTL array
     * and db_add puts it in the target's */
    db_unlink(c->db, k->p, k->len);
    db_add(to, e);
    blk_signal_key(to, k->p, k->len);
    note_key_in_db(c, to, k->p, k->len);
    server_dirty(1);
    reply_ll(c, 1);
}

/* Hook for modules that keep per-database state about keys (blocked
 * clients, WATCH): called after SWAPDB exchanged the contents of two
 * databases, so they can re-check the keys they wait on or watch. */
void (*keys_swapdb_hook)(int id1, int id2);
void (*keys_before_swapdb_hook)(db *x, db *y);

/* SWAPDB index1 index2 */
void cmd_swapdb(client *c)
{
    int a, b;
    if (!arg_int(c, &c->argv[1], &a, "ERR invalid first DB index")) return;
    if (!arg_int(c, &c->argv[2], &b, "ERR invalid second DB index")) return;
    db *x = db_by_index(a), *y = db_by_index(b);
    if (!x || !y) { reply_error(c, "ERR DB index is out of range"); return; }
    if (x != y) {
        /* Clients hold &server.dbs[i]: exchanging the contents keeps every
         * client on its database number, as Redis does.  The dict and the
         * TTL array are self-contained, so a struct swap moves them whole. */
        if (keys_before_swapdb_hook) keys_before_swapdb_hook(x, y);
        db t = *x;
        *x = *y;
        *y = t;
        y->id = x->id;
        x->id = a;
        y->id = b;
        if (keys_swapdb_hook) keys_swapdb_hook(a, b);
    }
    server_dirty(1);
    reply_ok(c);
}

/* ---- key space inspection ------------------------------------------------- */

/* TOUCH key [key ...] */
void cmd_touch(client *c)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++)
        if (db_lookup(c->db, c->argv[i].p, c->argv[i].len)) n++;
    reply_ll(c, n);
}

/* RANDOMKEY */
void cmd_randomkey(client *c)
{
    for (;;) {
        kv *e = (kv *)dict_random(&c->db->keys);
        if (!e) { reply_null(c); return; }
        if (db_is_expired(e)) {
            /* deleting it makes progress: the loop ends when no key is left */
            db_lookup(c->db, kv_key(e), e->keylen);
            continue;
        }
        reply_bulk(c, kv_key(e), e->keylen);
        return;
    }
}

/* KEYS pattern */
void cmd_keys(client *c)
{
    const arg *pat = &c->argv[1];
    int all = pat->len == 1 && pat->p[0] == '*';
    reply_deferred dr = reply_defer(c);
    long n = 0;
    dict_iter it;
    dict_iter_init(&it, &c->db->keys);
    for (dict_node *nd; (nd = dict_iter_next(&it));) {
        kv *e = (kv *)nd;
        if (!all && !util_glob_match(pat->p, pat->len, kv_key(e), e->keylen, 0)) continue;
        if (db_is_expired(e)) continue;   /* skipped, not deleted, like Redis */
        reply_bulk(c, kv_key(e), e->keylen);
        n++;
    }
    dict_iter_release(&it);
    reply_set_deferred_array(c, dr, n);
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
void cmd_scan(client *c)
{
    scan_args a;
    if (!scan_parse(c, &a)) return;
    scan_batch b = {0};
    uint64_t cursor = scan_collect(&c->db->keys, &a, &b);
    /* Filter; expired keys are deleted as Redis's expireIfNeeded does.
     * Deleting one kv frees only that block, so the others stay valid. */
    size_t keep = 0;
    for (size_t i = 0; i < b.n; i++) {
        kv *e = (kv *)b.v[i];
        if (!scan_match(&a, kv_key(e), e->keylen)) continue;
        if (a.type) {
            const char *tn = db_is_expired(e) ? "none" : type_name(e->type);
            if (strlen(tn) != a.type->len || strncasecmp(tn, a.type->p, a.type->len)) continue;
        }
        if (db_is_expired(e)) {
            db_lookup(c->db, kv_key(e), e->keylen);
            continue;
        }
        b.v[keep++] = &e->node;
    }
    reply_array(c, 2);
    scan_reply_cursor(c, cursor);
    reply_array(c, (long)keep);
    for (size_t i = 0; i < keep; i++) {
        const kv *e = (const kv *)b.v[i];
        reply_bulk(c, kv_key(e), e->keylen);
    }
    scan_batch_release(&b);
}

/* ---- OBJECT ---------------------------------------------------------------- */

static const char *enc_name(int enc)
{
    /* Redis's OBJ_ENCODING_* numbering and names */
    static const char *const names[] = {"raw", "int", "hashtable", "zipmap", "linkedlist", "ziplist",
                                        "intset", "skiplist", "embstr", "quicklist", "stream", "listpack"};
    return enc >= 0 && enc < (int)(sizeof(names) / sizeof(names[0])) ? names[enc] : "unknown";
}

/* maxmemory-policy indexes (server.c policy_names) */
static int policy_is_lfu(void) { return server.cfg.maxmemory_policy == 3 || server.cfg.maxmemory_policy == 4; }
static int policy_is_lru(void) { return server.cfg.maxmemory_policy == 1 || server.cfg.maxmemory_policy == 2; }

static const cmd_sub object_subs[] = {
    {"help", 2}, {"encoding", 3}, {"refcount", 3}, {"idletime", 3}, {"freq", 3},
};

/* OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key, OBJECT HELP */
void cmd_object(client *c)
{
    const arg *sub = &c->argv[1];
    if (!cmd_sub_check(c, "object", object_subs, sizeof(object_subs) / sizeof(object_subs[0]))) return;
    if (ARGEQ(*sub, "help")) {
        static const char *const help[] = {
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
            "HELP",
            "    Prints this help.",
        };
        reply_array(c, (long)(sizeof(help) / sizeof(help[0])));
        for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++) reply_status(c, help[i]);
        return;
    }
    /* OBJECT must not refresh the access time it reports */
    kv *e = db_peek(c->db, c->argv[2].p, c->argv[2].len);
    if (!e) { reply_null(c); return; }
    switch (tolower((unsigned char)sub->p[0])) {   /* the subcommand is one of object_subs */
    case 'e':
        reply_cstr(c, enc_name(e->enc));
        break;
    case 'r': {
        /* Redis shares the objects of small integers unless an LRU/LFU
         * policy needs per-key access data */
        long long v = (long long)(intptr_t)e->ptr;
        int shared = e->type == OBJ_STRING && e->enc == ENC_INT && v >= 0 && v < 10000 &&
                     (server.cfg.maxmemory == 0 || !(policy_is_lfu() || policy_is_lru()));
        reply_ll(c, shared ? INT_MAX : 1);
        break;
    }
    case 'i':
        if (policy_is_lfu()) {
            reply_error(c, "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
                           "switching between policies at runtime LRU and LFU data will take some time to adjust.");
            return;
        }
        reply_ll(c, db_lru_clock >= e->lru ? (long long)(db_lru_clock - e->lru) : 0);
        break;
    default:
        if (!policy_is_lfu()) {
            reply_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
                           "note that when switching between policies at runtime LRU and LFU data will take some "
                           "time to adjust.");
            return;
        }
        /* no access counter is kept per key: report Redis's initial one */
        reply_ll(c, 5);
        break;
    }
}
