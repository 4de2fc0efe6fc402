/* t_list.c -- list commands, with Redis 7.0's replies, over a quicklist.
 *
 * Every list is ENC_QUICKLIST because that is what Redis 7.0 reports (the
 * listpack list encoding came in 7.2); a small list is one node, so it is
 * still a single compact block.  An emptied list is deleted at once: no
 * command ever sees an empty list value.
 *
 * Blocking pops serve at once when they can, else park with blk_block()
 * and are simply re-run by blocked.c when a key is signalled.  What they
 * did is journalled as the non-blocking pop (BLPOP -> LPOP key, BLMOVE ->
 * LMOVE ...), so replay never blocks.
 */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "blocked.h"
#include "cmd.h"
#include "db.h"
#include "effects.h"
#include "server.h"
#include "t_list.h"
#include "tier.h"
#include "util.h"



/* ---- the C API --------------------------------------------------------------- */

quicklist *list_new(void)
{
    long long f = server.cfg.list_max_listpack_size;
    if (f > INT_MAX) f = INT_MAX;
    if (f < INT_MIN) f = INT_MIN;
    return ql_new((int)f);
}

void list_append(quicklist *ql, const char *s, size_t len) { ql_push(ql, QL_TAIL, s, len); }

kv *list_kv_new(const char *key, size_t klen, quicklist *ql)
{
    return kv_new(key, klen, OBJ_LIST, ENC_QUICKLIST, ql);
}

int list_foreach(const quicklist *ql, list_visit_fn *fn, void *priv)
{
    char buf[UTIL_LL_STR_SIZE];
    for (ql_node *n = ql->head; n; n = n->next) {
        for (unsigned char *p = lp_first(n->lp); p; p = lp_next(n->lp, p)) {
            size_t len;
            const char *s = lp_get_str(p, &len, buf);
            int r = fn(priv, s, len);
            if (r) return r;
        }
    }
    return 0;
}

static void list_free_value(int enc, void *ptr)
{
    (void)enc;
    ql_free(ptr);
}

static void *list_dup_value(int enc, const void *ptr)
{
    (void)enc;
    return ql_dup(ptr);
}

void list_register_type(void) { db_register_type(OBJ_LIST, list_free_value, list_dup_value); }

/* ---- helpers ------------------------------------------------------------------ */

static const char *entry_str(const ql_entry *e, size_t *len, char *buf)
{
    return lp_get_str(e->p, len, buf);
}

static void reply_entry(client *c, const ql_entry *e)
{
    char buf[UTIL_LL_STR_SIZE];
    size_t len;
    const char *s = entry_str(e, &len, buf);
    reply_bulk(c, s, len);
}

/* LRANGE replies hundreds of elements: they are formatted into a local
 * block that goes to reply_raw() in one copy, instead of a reply_raw() (with
 * its output-buffer bookkeeping) per element.  The bytes are reply_bulk()'s. */
typedef struct bulk_batch {
    client *c;
    size_t n;
    char buf[16384];
} bulk_batch;

static void batch_flush(bulk_batch *b)
{
    if (b->n) reply_raw(b->c, b->buf, b->n);
    b->n = 0;
}

static void batch_add(bulk_batch *b, const lp_val *v)
{
    char ibuf[UTIL_LL_STR_SIZE];
    const char *p;
    size_t len;
    if (v->s) {
        p = (const char *)v->s;
        len = v->slen;
    } else {
        len = util_ll2str(ibuf, v->ll);
        p = ibuf;
    }
    if (len > 1024) {
        batch_flush(b);
        reply_bulk(b->c, p, len);
        return;
    }
    /* 32: "$", up to 20 digits, two CRLFs and util_ull2str's NUL */
    if (b->n + len + 32 > sizeof(b->buf)) batch_flush(b);
    char *o = b->buf + b->n;
    *o++ = '$';
    if (len < 10) *o++ = (char)('0' + len);
    else o += util_ull2str(o, len);
    *o++ = '\r';
    *o++ = '\n';
    memcpy(o, p, len);
    o += len;
    *o++ = '\r';
    *o++ = '\n';
    b->n = (size_t)(o - b->buf);
}

/* After elements were removed: delete the key if the list is empty, else
 * report the change. */
static void list_changed(client *c, const arg *k, kv *e)
{
    if (ql_count(e->ptr) == 0) db_delete(c->db, k->p, k->len);
    else db_signal_modified(c->db, k->p, k->len);
}

/* Parse a long argument (Redis's getLongFromObjectOrReply). */
static int arg_long(client *c, const arg *a, long *out, const char *msg)
{
    long long v;
    if (!util_str2ll(a->p, a->len, &v) || v < LONG_MIN || v > LONG_MAX) {
        if (msg) reply_error(c, msg);
        else reply_err_not_int(c);
        return 0;
    }
    *out = (long)v;
    return 1;
}

static int arg_positive(client *c, const arg *a, long *out, const char *msg)
{
    if (!arg_long(c, a, out, msg)) return 0;
    if (*out < 0) {
        reply_error(c, msg);
        return 0;
    }
    return 1;
}

/* Copy an element out of the list before it is deleted (LMOVE may push it
 * back into the same list).  Small elements use the caller's buffer. */
typedef struct elem_copy {
    char *p;
    size_t len;
    char small[64];
} elem_copy;

static void elem_take(elem_copy *x, const ql_entry *e)
{
    char buf[UTIL_LL_STR_SIZE];
    size_t len;
    const char *s = entry_str(e, &len, buf);
    x->p = len <= sizeof(x->small) ? x->small : tier_dram_malloc(len);
    memcpy(x->p, s, len);
    x->len = len;
}

static void elem_release(elem_copy *x)
{
    if (x->p != x->small) tier_dram_free(x->p);
}

/* ---- pushes ------------------------------------------------------------------- */

/* Push argv[first..] at where onto key; creates the key unless xx.  Returns
 * the new length, 0 if xx and absent, -1 after WRONGTYPE. */
static long push_generic(client *c, const arg *k, int where, int first, int xx)
{
    int wrong;
    kv *e = cmd_lookup_type(c, k, OBJ_LIST, &wrong);
    if (wrong) return -1;
    if (!e) {
        if (xx) return 0;
        e = list_kv_new(k->p, k->len, list_new());
        db_add(c->db, e);
    } else {
        db_signal_modified(c->db, k->p, k->len);
    }
    quicklist *ql = e->ptr;
    for (int i = first; i < c->argc; i++) ql_push(ql, where, c->argv[i].p, c->argv[i].len);
    server_dirty((uint64_t)(c->argc - first));
    blk_signal_key(c->db, k->p, k->len);
    return (long)ql_count(ql);
}

static void push_cmd(client *c, int where, int xx)
{
    long n = push_generic(c, &c->argv[1], where, 2, xx);
    if (n >= 0) reply_ll(c, n);
}

/* LPUSH key element [element ...] */
void cmd_lpush(client *c) { push_cmd(c, QL_HEAD, 0); }
/* RPUSH key element [element ...] */
void cmd_rpush(client *c) { push_cmd(c, QL_TAIL, 0); }
/* LPUSHX key element [element ...] */
void cmd_lpushx(client *c) { push_cmd(c, QL_HEAD, 1); }
/* RPUSHX key element [element ...] */
void cmd_rpushx(client *c) { push_cmd(c, QL_TAIL, 1); }

/* ---- pops --------------------------------------------------------------------- */

/* Pop up to count elements from e at where, replying them as an array
 * (count given) or a single bulk.  Deletes the emptied key. */
static void pop_reply(client *c, const arg *k, kv *e, int where, long count, int as_array)
{
    quicklist *ql = e->ptr;
    if (as_array) {
        long n = (long)ql_count(ql);
        if (count < n) n = count;
        reply_array(c, n);
        for (long i = 0; i < n; i++) {
            ql_entry en;
            ql_peek(ql, where, &en);
            reply_entry(c, &en);
            ql_pop_discard(ql, where);
        }
        server_dirty((uint64_t)n);
    } else {
        ql_entry en;
        ql_peek(ql, where, &en);
        reply_entry(c, &en);
        ql_pop_discard(ql, where);
        server_dirty(1);
    }
    list_changed(c, k, e);
}

/* LPOP/RPOP key [count] */
static void pop_cmd(client *c, int where)
{
    long count = 1;
    int has_count = c->argc == 3;
    if (c->argc > 3) {
        reply_err_arity(c);
        return;
    }
    if (has_count && !arg_positive(c, &c->argv[2], &count, "ERR value is out of range, must be positive")) return;
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_LIST, &wrong);
    if (wrong) return;
    if (!e) {
        if (has_count) reply_null_array(c);
        else reply_null(c);
        return;
    }
    if (has_count && count == 0) {
        reply_empty_array(c);
        return;
    }
    pop_reply(c, &c->argv[1], e, where, count, has_count);
}

void cmd_lpop(client *c) { pop_cmd(c, QL_HEAD); }
void cmd_rpop(client *c) { pop_cmd(c, QL_TAIL); }

/* ---- reads -------------------------------------------------------------------- */

/* LLEN key */
void cmd_llen(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_LIST, &wrong);
    if (wrong) return;
    reply_ll(c, e ? (long long)ql_count(e->ptr) : 0);
}

/* LRANGE/LTRIM key start stop: the indexes and the list (NULL when
 * missing); 0 when an error was replied. */
static int range_args(client *c, kv **e, long *start, long *end)
{
    if (!arg_long(c, &c->argv[2], start, NULL) || !arg_long(c, &c->argv[3], end, NULL)) return 0;
    int wrong;
    *e = cmd_lookup_type(c, &c->argv[1], OBJ_LIST, &wrong);
    return !wrong;
}

/* Negative indexes count from the tail; the range is clipped to the list.
 * Returns 0 when nothing is left in it. */
static int range_clamp(long len, long *start, long *end)
{
    if (*start < 0) *start += len;
    if (*end < 0) *end += len;
    if (*start < 0) *start = 0;
    if (*start > *end || *start >= len) return 0;
    if (*end >= len) *end = len - 1;
    return 1;
}

/* LRANGE key start stop */
void cmd_lrange(client *c)
{
    kv *e;
    long start, end;
    if (!range_args(c, &e, &start, &end)) return;
    if (!e) {
        reply_empty_array(c);
        return;
    }
    quicklist *ql = e->ptr;
    if (!range_clamp((long)ql_count(ql), &start, &end)) {
        reply_empty_array(c);
        return;
    }
    long n = end - start + 1;
    reply_array(c, n);
    ql_iter it;
    ql_entry en;
    ql_iter_init(&it, ql, start, 0);
    /* on the stack: a 16 KiB heap block is a jemalloc large extent, an
     * allocation and free per LRANGE that commands on the main thread do
     * not need */
    bulk_batch b;
    b.c = c;
    b.n = 0;
    while (n-- && ql_iter_next(&it, &en)) batch_add(&b, &en.v);
    batch_flush(&b);
}

/* LINDEX key index */
void cmd_lindex(client *c)
{
    long idx;
    if (!arg_long(c, &c->argv[2], &idx, NULL)) return;
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_LIST, &wrong);
    if (wrong) return;
    ql_entry en;
    if (!e || !ql_index(e->ptr, idx, &en)) {
        reply_null(c);
        return;
    }
    reply_entry(c, &en);
}

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
void cmd_lpos(client *c)
{
    long rank = 1, count = -1, maxlen = 0;
    for (int i = 3; i < c->argc; i++) {
        int more = i + 1 < c->argc;
        if (ARGEQ(c->argv[i], "rank") && more) {
            if (!arg_long(c, &c->argv[++i], &rank, NULL)) return;
            if (rank == 0) {
                reply_error(c, "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                               "second ... or use negative to start from the end of the list");
                return;
            }
        } else if (ARGEQ(c->argv[i], "count") && more) {
            if (!arg_positive(c, &c->argv[++i], &count, "ERR COUNT can't be negative")) return;
        } else if (ARGEQ(c->argv[i], "maxlen") && more) {
            if (!arg_positive(c, &c->argv[++i], &maxlen, "ERR MAXLEN can't be negative")) return;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_LIST, &wrong);
    if (wrong) return;
    if (!e) {
        if (count >= 0) reply_empty_array(c);
        else reply_null(c);
        return;
    }
    quicklist *ql = e->ptr;
    int backward = rank < 0;
    /* Redis 7.0 takes LONG_MIN and then behaves as rank -1 */
    long skip = rank == LONG_MIN ? 0 : (backward ? -rank : rank) - 1;
    long limit = count < 0 ? 1 : count;     /* 0 = all */
    reply_deferred d = {0};
    if (count >= 0) d = reply_defer(c);
    ql_iter it;
    ql_entry en;
    ql_iter_init(&it, ql, backward ? -1 : 0, backward);
    long idx = backward ? (long)ql_count(ql) - 1 : 0, seen = 0, found = 0;
    const arg *el = &c->argv[2];
    while (ql_iter_next(&it, &en) && (maxlen == 0 || seen < maxlen)) {
        seen++;
        if (lp_eq(en.p, el->p, el->len)) {
            if (skip > 0) {
                skip--;
            } else {
                reply_ll(c, idx);
                found++;
                if (limit && found == limit) break;
            }
        }
        idx += backward ? -1 : 1;
    }
    if (count >= 0) reply_set_deferred_array(c, d, found);
    else if (!found) reply_null(c);
}

/* ---- in-place changes ---------------------------------------------------------- */

/* LSET key index element */
void cmd_lset(client *c)
{
    long idx;
    if (!arg_long(c, &c->argv[2], &idx, NULL)) return;
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_LIST, &wrong);
    if (wrong) return;
    if (!e) {
        reply_error(c, "ERR no such key");
        return;
    }
    ql_entry en;
    if (!ql_index(e->ptr, idx, &en)) {
        reply_error(c, "ERR index out of range");
        return;
    }
    ql_replace(e->ptr, &en, c->argv[3].p, c->argv[3].len);
    db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
    server_dirty(1);
    reply_ok(c);
}

/* LINSERT key BEFORE|AFTER pivot element */
void cmd_linsert(client *c)
{
    enum lp_where where;
    if (ARGEQ(c->argv[2], "before")) where = LP_BEFORE;
    else if (ARGEQ(c->argv[2], "after")) where = LP_AFTER;
    else {
        reply_err_syntax(c);
        return;
    }
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_LIST, &wrong);
    if (wrong) return;
    if (!e) {
        reply_ll(c, 0);
        return;
    }
    quicklist *ql = e->ptr;
    ql_iter it;
    ql_entry en;
    ql_iter_init(&it, ql, 0, 0);
    while (ql_iter_next(&it, &en)) {
        if (lp_eq(en.p, c->argv[3].p, c->argv[3].len)) {
            ql_insert(ql, &en, where, c->argv[4].p, c->argv[4].len);
            db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
            server_dirty(1);
            reply_ll(c, (long long)ql_count(ql));
            return;
        }
    }
    reply_ll(c, -1);
}

/* LREM key count element */
void cmd_lrem(client *c)
{
    long count;
    if (!arg_long(c, &c->argv[2], &count, NULL)) return;
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_LIST, &wrong);
    if (wrong) return;
    if (!e) {
        reply_ll(c, 0);
        return;
    }
    quicklist *ql = e->ptr;
    int backward = count < 0;
    unsigned long limit = backward ? (unsigned long)-(count + 1) + 1 : (unsigned long)count;
    ql_iter it;
    ql_entry en;
    ql_iter_init(&it, ql, backward ? -1 : 0, backward);
    long removed = 0;
    const arg *el = &c->argv[3];
    while (ql_iter_next(&it, &en)) {
        if (lp_eq(en.p, el->p, el->len)) {
            ql_iter_del(&it, &en);
            removed++;
            if (limit && (unsigned long)removed == limit) break;
        }
    }
    if (removed) {
        server_dirty((uint64_t)removed);
        list_changed(c, &c->argv[1], e);
    }
    reply_ll(c, removed);
}

/* LTRIM key start stop */
void cmd_ltrim(client *c)
{
    kv *e;
    long start, end;
    if (!range_args(c, &e, &start, &end)) return;
    if (!e) {
        reply_ok(c);
        return;
    }
    quicklist *ql = e->ptr;
    long len = (long)ql_count(ql);
    long ltrim, rtrim;
    if (!range_clamp(len, &start, &end)) {
        ltrim = len;
        rtrim = 0;
    } else {
        ltrim = start;
        rtrim = len - end - 1;
    }
    if (ltrim) ql_del_range(ql, 0, (unsigned long)ltrim);
    if (rtrim) ql_del_range(ql, (long)ql_count(ql) - rtrim, (unsigned long)rtrim);
    server_dirty((uint64_t)(ltrim + rtrim));
    list_changed(c, &c->argv[1], e);
    reply_ok(c);
}

/* ---- moves -------------------------------------------------------------------- */

static int parse_dir(client *c, const arg *a, int *where)
{
    if (ARGEQ(*a, "left")) *where = QL_HEAD;
    else if (ARGEQ(*a, "right")) *where = QL_TAIL;
    else {
        reply_err_syntax(c);
        return 0;
    }
    return 1;
}

/* Move one element from src (non-empty list kv) at wfrom to dst at wto,
 * replying the element.  The caller checked dst's type. */
static void move_one(client *c, const arg *src, kv *se, const arg *dst, int wfrom, int wto)
{
    ql_entry en;
    elem_copy x;
    ql_peek(se->ptr, wfrom, &en);
    elem_take(&x, &en);
    ql_pop_discard(se->ptr, wfrom);
    list_changed(c, src, se);
    /* src may have been deleted: look dst up again */
    kv *de = db_lookup(c->db, dst->p, dst->len);
    if (!de) {
        de = list_kv_new(dst->p, dst->len, list_new());
        db_add(c->db, de);
    } else {
        db_signal_modified(c->db, dst->p, dst->len);
    }
    ql_push(de->ptr, wto, x.p, x.len);
    blk_signal_key(c->db, dst->p, dst->len);
    reply_bulk(c, x.p, x.len);
    elem_release(&x);
    server_dirty(2);
}

/* Returns 1 if it served, 0 if src is empty (nothing replied), -1 on
 * WRONGTYPE (replied). */
static int lmove_try(client *c, const arg *src, const arg *dst, int wfrom, int wto)
{
    int wrong;
    kv *se = cmd_lookup_type(c, src, OBJ_LIST, &wrong);
    if (wrong) return -1;
    if (!se) return 0;
    cmd_lookup_type(c, dst, OBJ_LIST, &wrong);
    if (wrong) return -1;
    move_one(c, src, se, dst, wfrom, wto);
    return 1;
}

/* LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
void cmd_lmove(client *c)
{
    int wf, wt;
    if (!parse_dir(c, &c->argv[3], &wf) || !parse_dir(c, &c->argv[4], &wt)) return;
    if (lmove_try(c, &c->argv[1], &c->argv[2], wf, wt) == 0) reply_null(c);
}

/* RPOPLPUSH source destination */
void cmd_rpoplpush(client *c)
{
    if (lmove_try(c, &c->argv[1], &c->argv[2], QL_TAIL, QL_HEAD) == 0) reply_null(c);
}

/* ---- LMPOP ------------------------------------------------------------------- */

/* Parse "numkeys key... LEFT|RIGHT [COUNT n]" from argv[first]. */
static int parse_mpop(client *c, int first, long *numkeys, int *where, long *count)
{
    if (!arg_long(c, &c->argv[first], numkeys, "ERR numkeys should be greater than 0")) return 0;
    if (*numkeys <= 0) {
        reply_error(c, "ERR numkeys should be greater than 0");
        return 0;
    }
    if (*numkeys > c->argc - first - 2) {
        reply_err_syntax(c);
        return 0;
    }
    int dirpos = first + 1 + (int)*numkeys;
    if (!parse_dir(c, &c->argv[dirpos], where)) return 0;
    *count = 1;
    int seen_count = 0;
    for (int i = dirpos + 1; i < c->argc; i++) {
        if (ARGEQ(c->argv[i], "count") && i + 1 < c->argc && !seen_count) {
            if (!arg_long(c, &c->argv[++i], count, NULL)) return 0;
            if (*count <= 0) {
                reply_error(c, "ERR count should be greater than 0");
                return 0;
            }
            seen_count = 1;
        } else {
            reply_err_syntax(c);
            return 0;
        }
    }
    return 1;
}

/* Pop from the first non-empty list among argv[first..first+n-1]; replies
 * [key, [elements]] and rewrites the effect as LPOP/RPOP key count.
 * Returns 1 served, 0 none (nothing replied), -1 error replied. */
static int mpop_try(client *c, int first, long n, int where, long count)
{
    for (long i = 0; i < n; i++) {
        const arg *k = &c->argv[first + i];
        int wrong;
        kv *e = cmd_lookup_type(c, k, OBJ_LIST, &wrong);
        if (wrong) return -1;
        if (!e) continue;
        long avail = (long)ql_count(e->ptr);
        long popped = count < avail ? count : avail;
        reply_array(c, 2);
        reply_bulk(c, k->p, k->len);
        /* keep the key name alive for the effect: argv is stable */
        char num[UTIL_LL_STR_SIZE];
        size_t nl = util_ll2str(num, popped);
        pop_reply(c, k, e, where, count, 1);
        fx_rewrite_strs(c, where == QL_HEAD ? "LPOP" : "RPOP", (size_t)4, k->p, k->len, num, nl, NULL);
        return 1;
    }
    return 0;
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
void cmd_lmpop(client *c)
{
    long n, count;
    int where;
    if (!parse_mpop(c, 1, &n, &where, &count)) return;
    if (mpop_try(c, 2, n, where, count) == 0) reply_null_array(c);
}

/* ---- blocking ------------------------------------------------------------------ */

/* BLPOP/BRPOP key [key ...] timeout */
static void bpop_cmd(client *c, int where)
{
    int64_t deadline;
    if (!blk_parse_timeout(c, &c->argv[c->argc - 1], &deadline)) return;
    int nkeys = c->argc - 2;
    for (int i = 1; i <= nkeys; i++) {
        const arg *k = &c->argv[i];
        int wrong;
        kv *e = cmd_lookup_type(c, k, OBJ_LIST, &wrong);
        if (wrong) return;
        if (!e) continue;
        reply_array(c, 2);
        reply_bulk(c, k->p, k->len);
        pop_reply(c, k, e, where, 1, 0);
        fx_rewrite_strs(c, where == QL_HEAD ? "LPOP" : "RPOP", (size_t)4, k->p, k->len, NULL);
        return;
    }
    if (!blk_can_block(c)) {
        reply_null_array(c);
        return;
    }
    int idx[256], *keys = nkeys <= 256 ? idx : tier_dram_malloc(sizeof(int) * (size_t)nkeys);
    for (int i = 0; i < nkeys; i++) keys[i] = i + 1;
    blk_block(c, nkeys, keys, deadline, BLK_NULL_ARRAY);
    if (keys != idx) tier_dram_free(keys);
}

/* BLPOP key [key ...] timeout */
void cmd_blpop(client *c) { bpop_cmd(c, QL_HEAD); }
/* BRPOP key [key ...] timeout */
void cmd_brpop(client *c) { bpop_cmd(c, QL_TAIL); }

static void blmove_generic(client *c, int wf, int wt, const arg *targ)
{
    int64_t deadline;
    if (!blk_parse_timeout(c, targ, &deadline)) return;
    int r = lmove_try(c, &c->argv[1], &c->argv[2], wf, wt);
    if (r < 0) return;
    if (r > 0) {
        fx_rewrite_strs(c, "LMOVE", (size_t)5, c->argv[1].p, c->argv[1].len, c->argv[2].p, c->argv[2].len,
                        wf == QL_HEAD ? "LEFT" : "RIGHT", (size_t)(wf == QL_HEAD ? 4 : 5),
                        wt == QL_HEAD ? "LEFT" : "RIGHT", (size_t)(wt == QL_HEAD ? 4 : 5), NULL);
        return;
    }
    if (!blk_can_block(c)) {
        reply_null(c);
        return;
    }
    int key = 1;
    /* Redis answers a timed-out BLMOVE with a null array, but a BLMOVE
     * that may not block (MULTI) with a null bulk, as above */
    blk_block(c, 1, &key, deadline, BLK_NULL_ARRAY);
}

/* BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
void cmd_blmove(client *c)
{
    int wf, wt;
    if (!parse_dir(c, &c->argv[3], &wf) || !parse_dir(c, &c->argv[4], &wt)) return;
    blmove_generic(c, wf, wt, &c->argv[5]);
}

/* BRPOPLPUSH source destination timeout */
void cmd_brpoplpush(client *c) { blmove_generic(c, QL_TAIL, QL_HEAD, &c->argv[3]); }

/* BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
void cmd_blmpop(client *c)
{
    int64_t deadline;
    if (!blk_parse_timeout(c, &c->argv[1], &deadline)) return;
    long n, count;
    int where;
    if (!parse_mpop(c, 2, &n, &where, &count)) return;
    int r = mpop_try(c, 3, n, where, count);
    if (r != 0) return;
    if (!blk_can_block(c)) {
        reply_null_array(c);
        return;
    }
    int idx[256], *keys = n <= 256 ? idx : tier_dram_malloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) keys[i] = 3 + i;
    blk_block(c, (int)n, keys, deadline, BLK_NULL_ARRAY);
    if (keys != idx) tier_dram_free(keys);
}

/* ---- key positions ---------------------------------------------------------- */

static int numkeys_getkeys(int argc, const arg *argv, int numpos, int *keys, int max)
{
    long long n;
    if (numpos >= argc || !util_str2ll(argv[numpos].p, argv[numpos].len, &n) || n <= 0) return 0;
    if (n > argc - numpos - 1) n = argc - numpos - 1;
    int cnt = 0;
    for (long long i = 0; i < n && cnt < max; i++) keys[cnt++] = numpos + 1 + (int)i;
    return cnt;
}

int list_getkeys_lmpop(int argc, const arg *argv, int *keys, int max)
{
    return numkeys_getkeys(argc, argv, 1, keys, max);
}

int list_getkeys_blmpop(int argc, const arg *argv, int *keys, int max)
{
    return numkeys_getkeys(argc, argv, 2, keys, max);
}
