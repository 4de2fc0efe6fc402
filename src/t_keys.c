/* t_keys.c -- commands on keys of any type: existence, deletion, expiry,
 * databases. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "db.h"
#include "effects.h"
#include "server.h"
#include "util.h"

#define ARGEQ(a, s) ((a).len == sizeof(s) - 1 && strncasecmp((a).p, (s), sizeof(s) - 1) == 0)

int arg_ll(client *c, const arg *a, long long *out);

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
    if (when <= db_now_ms) {
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
