/* t_string.c -- string commands.
 *
 * Strings are stored three ways (db.h): ENC_INT inside the kv, ENC_EMBSTR
 * inside the kv block, ENC_RAW in a tier-placed block.  Handlers parse and
 * reply; db_* does every change so hooks fire.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "db.h"
#include "effects.h"
#include "server.h"
#include "tier.h"
#include "util.h"


static inline kv *lookup_read(client *c, const arg *k) { return db_lookup(c->db, k->p, k->len); }

/* Parse a long long argument or reply the error; 1 on success. */
int arg_ll(client *c, const arg *a, long long *out)
{
    if (!util_str2ll(a->p, a->len, out)) {
        reply_err_not_int(c);
        return 0;
    }
    return 1;
}

static void reply_value(client *c, const kv *e)
{
    char ibuf[UTIL_LL_STR_SIZE];
    size_t len;
    const char *p = kv_str(e, &len, ibuf);
    reply_bulk(c, p, len);
}

/* GET key */
void cmd_get(client *c)
{
    kv *e = lookup_read(c, &c->argv[1]);
    if (!e) { db_stat_misses++; reply_null(c); return; }
    db_stat_hits++;
    if (e->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
    reply_value(c, e);
}

#define SET_NX (1 << 0)
#define SET_XX (1 << 1)
#define SET_GET (1 << 2)
#define SET_KEEPTTL (1 << 3)
#define SET_EX (1 << 4)
#define SET_PX (1 << 5)
#define SET_EXAT (1 << 6)
#define SET_PXAT (1 << 7)
#define SET_PERSIST (1 << 8)

/* Parses [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL|PERSIST] from argv[from].
 * allowed restricts the set (GETEX accepts only the expiry ones + PERSIST).
 * On success *when_ms is the absolute expiry (or -1). */
static int parse_set_opts(client *c, int from, int allowed, int *flags, int64_t *when_ms, const char *cmdname)
{
    *flags = 0;
    *when_ms = -1;
    arg *expire_arg = NULL;
    for (int i = from; i < c->argc; i++) {
        arg *a = &c->argv[i];
        int has_next = i + 1 < c->argc;
        int exp_flags = SET_EX | SET_PX | SET_EXAT | SET_PXAT | SET_KEEPTTL | SET_PERSIST;
        if ((allowed & SET_NX) && ARGEQ(*a, "nx") && !(*flags & SET_XX)) *flags |= SET_NX;
        else if ((allowed & SET_XX) && ARGEQ(*a, "xx") && !(*flags & SET_NX)) *flags |= SET_XX;
        else if ((allowed & SET_GET) && ARGEQ(*a, "get")) *flags |= SET_GET;
        else if ((allowed & SET_KEEPTTL) && ARGEQ(*a, "keepttl") && !(*flags & exp_flags)) *flags |= SET_KEEPTTL;
        else if ((allowed & SET_PERSIST) && ARGEQ(*a, "persist") && !(*flags & exp_flags)) *flags |= SET_PERSIST;
        else if (ARGEQ(*a, "ex") && !(*flags & exp_flags) && has_next) { *flags |= SET_EX; expire_arg = &c->argv[++i]; }
        else if (ARGEQ(*a, "px") && !(*flags & exp_flags) && has_next) { *flags |= SET_PX; expire_arg = &c->argv[++i]; }
        else if (ARGEQ(*a, "exat") && !(*flags & exp_flags) && has_next) { *flags |= SET_EXAT; expire_arg = &c->argv[++i]; }
        else if (ARGEQ(*a, "pxat") && !(*flags & exp_flags) && has_next) { *flags |= SET_PXAT; expire_arg = &c->argv[++i]; }
        else { reply_err_syntax(c); return 0; }
    }
    if (expire_arg) {
        long long v;
        if (!arg_ll(c, expire_arg, &v)) return 0;
        if (v <= 0) {
            reply_errorf(c, "ERR invalid expire time in '%s' command", cmdname);
            return 0;
        }
        if ((*flags & (SET_EX | SET_EXAT)) && v > LLONG_MAX / 1000) {
            reply_errorf(c, "ERR invalid expire time in '%s' command", cmdname);
            return 0;
        }
        if (*flags & (SET_EX | SET_EXAT)) v *= 1000;
        if (*flags & (SET_EX | SET_PX)) {
            if (v > LLONG_MAX - db_now_ms) {
                reply_errorf(c, "ERR invalid expire time in '%s' command", cmdname);
                return 0;
            }
            v += db_now_ms;
        }
        *when_ms = v;
    }
    return 1;
}

/* The shared worker of SET/SETNX/SETEX/PSETEX/GETSET: sets key to val with
 * the given flags/expiry; replies according to flags.  ok_reply: reply to
 * give on success when not GET (NULL = +OK). */
static void set_generic(client *c, const arg *key, const arg *val, int flags, int64_t when_ms,
                        int reply_int)
{
    db *d = c->db;
    kv *old = db_lookup(d, key->p, key->len);
    if (flags & SET_GET) {
        if (old && old->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
    }
    if (((flags & SET_NX) && old) || ((flags & SET_XX) && !old)) {
        if (flags & SET_GET) {
            if (old) reply_value(c, old);
            else reply_null(c);
        } else if (reply_int) {
            reply_ll(c, 0);
        } else {
            reply_null(c);
        }
        return;
    }
    if (flags & SET_GET) {
        if (old) reply_value(c, old);
        else reply_null(c);
    }
    kv *e = kv_new_string(key->p, key->len, val->p, val->len);
    if (old) e = db_overwrite(d, old, e, (flags & SET_KEEPTTL) != 0);
    else db_add(d, e);
    if (when_ms >= 0) {
        if (db_when_passed(when_ms)) {
            /* already expired: the key is gone, as if deleted */
            db_delete(d, key->p, key->len);
            fx_rewrite_strs(c, "DEL", (size_t)3, key->p, key->len, NULL);
        } else {
            db_set_expire(d, e, when_ms);
            char ms[UTIL_LL_STR_SIZE];
            size_t n = util_ll2str(ms, when_ms);
            fx_rewrite_strs(c, "SET", (size_t)3, key->p, key->len, val->p, val->len, "PXAT", (size_t)4, ms, n, NULL);
        }
    } else if (flags & SET_KEEPTTL) {
        fx_rewrite_strs(c, "SET", (size_t)3, key->p, key->len, val->p, val->len, "KEEPTTL", (size_t)7, NULL);
    } else {
        fx_rewrite_strs(c, "SET", (size_t)3, key->p, key->len, val->p, val->len, NULL);
    }
    server_dirty(1);
    if (!(flags & SET_GET)) {
        if (reply_int) reply_ll(c, 1);
        else reply_ok(c);
    }
}

/* SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL] */
void cmd_set(client *c)
{
    int flags;
    int64_t when;
    if (c->argc > 3) {
        if (!parse_set_opts(c, 3, SET_NX | SET_XX | SET_GET | SET_KEEPTTL, &flags, &when, "set")) return;
    } else {
        flags = 0;
        when = -1;
    }
    set_generic(c, &c->argv[1], &c->argv[2], flags, when, 0);
}

/* SETNX key value */
void cmd_setnx(client *c) { set_generic(c, &c->argv[1], &c->argv[2], SET_NX, -1, 1); }

static void setex_generic(client *c, int unit_ms, const char *name)
{
    long long v;
    if (!arg_ll(c, &c->argv[2], &v)) return;
    if (v <= 0 || (!unit_ms && v > LLONG_MAX / 1000)) {
        reply_errorf(c, "ERR invalid expire time in '%s' command", name);
        return;
    }
    if (!unit_ms) v *= 1000;
    if (v > LLONG_MAX - db_now_ms) {
        reply_errorf(c, "ERR invalid expire time in '%s' command", name);
        return;
    }
    set_generic(c, &c->argv[1], &c->argv[3], 0, db_now_ms + v, 0);
}

/* SETEX key seconds value */
void cmd_setex(client *c) { setex_generic(c, 0, "setex"); }
/* PSETEX key milliseconds value */
void cmd_psetex(client *c) { setex_generic(c, 1, "psetex"); }
/* GETSET key value */
void cmd_getset(client *c) { set_generic(c, &c->argv[1], &c->argv[2], SET_GET, -1, 0); }

/* GETDEL key */
void cmd_getdel(client *c)
{
    kv *e = lookup_read(c, &c->argv[1]);
    if (!e) { reply_null(c); return; }
    if (e->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
    reply_value(c, e);
    db_delete(c->db, c->argv[1].p, c->argv[1].len);
    fx_rewrite_strs(c, "DEL", (size_t)3, c->argv[1].p, c->argv[1].len, NULL);
    server_dirty(1);
}

/* GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST] */
void cmd_getex(client *c)
{
    int flags;
    int64_t when;
    if (!parse_set_opts(c, 2, SET_PERSIST, &flags, &when, "getex")) return;
    kv *e = lookup_read(c, &c->argv[1]);
    if (!e) { reply_null(c); return; }
    if (e->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
    reply_value(c, e);
    const arg *k = &c->argv[1];
    if (when >= 0) {
        if (db_when_passed(when)) {
            db_delete(c->db, k->p, k->len);
            fx_rewrite_strs(c, "DEL", (size_t)3, k->p, k->len, NULL);
        } else {
            db_set_expire(c->db, e, when);
            db_signal_modified(c->db, k->p, k->len);
            char ms[UTIL_LL_STR_SIZE];
            size_t n = util_ll2str(ms, when);
            fx_rewrite_strs(c, "PEXPIREAT", (size_t)9, k->p, k->len, ms, n, NULL);
        }
        server_dirty(1);
    } else if ((flags & SET_PERSIST) && kv_expire(e) >= 0) {
        db_persist(c->db, e);
        db_signal_modified(c->db, k->p, k->len);
        fx_rewrite_strs(c, "PERSIST", (size_t)7, k->p, k->len, NULL);
        server_dirty(1);
    }
}

/* MGET key [key ...] */
void cmd_mget(client *c)
{
    reply_array(c, c->argc - 1);
    for (int i = 1; i < c->argc; i++) {
        kv *e = lookup_read(c, &c->argv[i]);
        if (!e || e->type != OBJ_STRING) {
            if (e) db_stat_hits++;
            else db_stat_misses++;
            reply_null(c);
        } else {
            db_stat_hits++;
            reply_value(c, e);
        }
    }
}

static void mset_generic(client *c, int nx)
{
    if (c->argc % 2 == 0) {
        reply_err_arity(c);
        return;
    }
    if (nx) {
        for (int i = 1; i < c->argc; i += 2) {
            if (db_lookup(c->db, c->argv[i].p, c->argv[i].len)) {
                reply_ll(c, 0);
                return;
            }
        }
    }
    for (int i = 1; i < c->argc; i += 2) {
        kv *e = kv_new_string(c->argv[i].p, c->argv[i].len, c->argv[i + 1].p, c->argv[i + 1].len);
        db_set(c->db, e, 0);
    }
    server_dirty((uint64_t)(c->argc - 1) / 2);
    if (nx) reply_ll(c, 1);
    else reply_ok(c);
}

/* MSET key value [key value ...] */
void cmd_mset(client *c) { mset_generic(c, 0); }
/* MSETNX key value [key value ...] */
void cmd_msetnx(client *c) { mset_generic(c, 1); }

/* Add incr to the integer value of key (creating it at 0). */
static void incr_generic(client *c, long long incr)
{
    db *d = c->db;
    const arg *k = &c->argv[1];
    kv *e = db_lookup(d, k->p, k->len);
    long long v = 0;
    if (e) {
        if (e->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
        if (e->enc == ENC_INT) {
            v = (long long)(intptr_t)e->ptr;
        } else {
            char ibuf[UTIL_LL_STR_SIZE];
            size_t len;
            const char *p = kv_str(e, &len, ibuf);
            if (!util_str2ll(p, len, &v)) { reply_err_not_int(c); return; }
        }
    }
    if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) || (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
        reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    v += incr;
    if (e && e->enc == ENC_INT) {
        e->ptr = (void *)(intptr_t)v;   /* in place: no allocation */
        db_signal_modified(d, k->p, k->len);
    } else if (e) {
        kv_free_value(e->type, e->enc, e->enc == ENC_EMBSTR ? NULL : e->ptr);
        if (e->enc == ENC_EMBSTR) {
            kv *n = kv_new_int(k->p, k->len, v);
            db_overwrite(d, e, n, 1);
        } else {
            e->enc = ENC_INT;
            e->ptr = (void *)(intptr_t)v;
            db_signal_modified(d, k->p, k->len);
        }
    } else {
        db_add(d, kv_new_int(k->p, k->len, v));
    }
    server_dirty(1);
    reply_ll(c, v);
}

/* INCR key */
void cmd_incr(client *c) { incr_generic(c, 1); }
/* DECR key */
void cmd_decr(client *c) { incr_generic(c, -1); }
/* INCRBY key increment */
void cmd_incrby(client *c)
{
    long long v;
    if (arg_ll(c, &c->argv[2], &v)) incr_generic(c, v);
}
/* DECRBY key decrement */
void cmd_decrby(client *c)
{
    long long v;
    if (!arg_ll(c, &c->argv[2], &v)) return;
    if (v == LLONG_MIN) { reply_error(c, "ERR decrement would overflow"); return; }
    incr_generic(c, -v);
}

/* INCRBYFLOAT key increment */
void cmd_incrbyfloat(client *c)
{
    db *d = c->db;
    const arg *k = &c->argv[1];
    long double incr, v = 0;
    kv *e = db_lookup(d, k->p, k->len);
    if (e) {
        if (e->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
        char ibuf[UTIL_LL_STR_SIZE];
        size_t len;
        const char *p = kv_str(e, &len, ibuf);
        if (!util_str2ld(p, len, &v)) { reply_err_not_float(c); return; }
    }
    if (!util_str2ld(c->argv[2].p, c->argv[2].len, &incr)) { reply_err_not_float(c); return; }
    v += incr;
    if (isnan(v) || isinf(v)) {
        reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    char buf[UTIL_D_STR_SIZE * 4];
    size_t n = util_ld2str_human(buf, sizeof(buf), v);
    kv *nw = kv_new_string(k->p, k->len, buf, n);
    if (e) db_overwrite(d, e, nw, 1);
    else db_add(d, nw);
    server_dirty(1);
    /* replay must not redo float arithmetic: record the result */
    fx_rewrite_strs(c, "SET", (size_t)3, k->p, k->len, buf, n, "KEEPTTL", (size_t)7, NULL);
    reply_bulk(c, buf, n);
}

/* STRLEN key */
void cmd_strlen(client *c)
{
    kv *e = lookup_read(c, &c->argv[1]);
    if (!e) { reply_ll(c, 0); return; }
    if (e->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
    reply_ll(c, (long long)kv_strlen(e));
}

static int check_string_size(client *c, long long total)
{
    if (total > server.cfg.proto_max_bulk_len) {
        reply_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return 0;
    }
    return 1;
}

/* APPEND key value */
void cmd_append(client *c)
{
    db *d = c->db;
    const arg *k = &c->argv[1], *v = &c->argv[2];
    kv *e = db_lookup(d, k->p, k->len);
    if (!e) {
        db_add(d, kv_new_string(k->p, k->len, v->p, v->len));
        server_dirty(1);
        reply_ll(c, (long long)v->len);
        return;
    }
    if (e->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
    size_t old = kv_strlen(e);
    if (!check_string_size(c, (long long)(old + v->len))) return;
    e = kv_str_make_raw(d, e, old + v->len);
    str *s = e->ptr;
    memcpy(s->buf + old, v->p, v->len);
    db_signal_modified(d, k->p, k->len);
    server_dirty(1);
    reply_ll(c, (long long)s->len);
}

/* GETRANGE key start end */
void cmd_getrange(client *c)
{
    long long start, end;
    if (!arg_ll(c, &c->argv[2], &start) || !arg_ll(c, &c->argv[3], &end)) return;
    kv *e = lookup_read(c, &c->argv[1]);
    if (!e) { reply_bulk(c, "", 0); return; }
    if (e->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
    char ibuf[UTIL_LL_STR_SIZE];
    size_t len;
    const char *p = kv_str(e, &len, ibuf);
    /* Redis 7.0: a negative start and end with start > end is empty */
    if (start < 0 && end < 0 && start > end) { reply_bulk(c, "", 0); return; }
    long long sl = (long long)len;
    if (start < 0) start += sl;
    if (end < 0) end += sl;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= sl) end = sl - 1;
    if (sl == 0 || start > end) { reply_bulk(c, "", 0); return; }
    reply_bulk(c, p + start, (size_t)(end - start + 1));
}

/* SETRANGE key offset value */
void cmd_setrange(client *c)
{
    db *d = c->db;
    const arg *k = &c->argv[1], *v = &c->argv[3];
    long long off;
    if (!arg_ll(c, &c->argv[2], &off)) return;
    if (off < 0) { reply_error(c, "ERR offset is out of range"); return; }
    kv *e = db_lookup(d, k->p, k->len);
    if (e && e->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
    if (v->len == 0) {
        reply_ll(c, e ? (long long)kv_strlen(e) : 0);
        return;
    }
    if (!check_string_size(c, off + (long long)v->len)) return;
    if (!e) {
        str *s = str_new(NULL, (size_t)off + v->len);
        memcpy(s->buf + off, v->p, v->len);
        db_add(d, kv_new(k->p, k->len, OBJ_STRING, ENC_RAW, s));
        server_dirty(1);
        reply_ll(c, (long long)s->len);
        return;
    }
    size_t old = kv_strlen(e);
    size_t need = (size_t)off + v->len;
    e = kv_str_make_raw(d, e, need > old ? need : old);
    str *s = e->ptr;
    memcpy(s->buf + off, v->p, v->len);
    db_signal_modified(d, k->p, k->len);
    server_dirty(1);
    reply_ll(c, (long long)s->len);
}
