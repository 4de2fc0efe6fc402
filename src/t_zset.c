/* t_zset.c -- the sorted-set commands with Redis 7.0's replies; values are
 * in zset.c.
 *
 * Every range command turns its range (ranks, scores or lex bounds, plus
 * LIMIT) into a span of ranks first, with zobj_count_prefix, then walks
 * it; so the reply length is known before the first element is written.
 *
 * Effects: the pops are deterministic on the same data, but the blocking
 * and multi-key ones (BZPOPMIN/BZPOPMAX/ZMPOP/BZMPOP) are journalled as the
 * ZPOPMIN/ZPOPMAX key count they did, so replay never depends on which key
 * had data or on a timeout.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blocked.h"
#include "cmd.h"
#include "db.h"
#include "effects.h"
#include "scan.h"
#include "server.h"
#include "t_set.h"
#include "tier.h"
#include "util.h"
#include "zset.h"


static void zset_free_value(int enc, void *ptr) { zobj_free(enc, ptr); }

void t_zset_register(void) { db_register_type(OBJ_ZSET, zset_free_value, zobj_dup); }

static inline zobj z_of(const kv *e) { return (zobj){.enc = e->enc, .ptr = e->ptr}; }
static inline void z_store(kv *e, const zobj *z)
{
    e->enc = z->enc;
    e->ptr = z->ptr;
}

/* Delete key if its zset became empty. */
static void drop_if_empty(client *c, const arg *k, const zobj *z)
{
    if (zobj_len(z) == 0) db_delete(c->db, k->p, k->len);
}

/* Parse a long argument like Redis's getLongFromObjectOrReply. */
static int arg_long(client *c, const arg *a, long long *out)
{
    if (!util_str2ll(a->p, a->len, out)) {
        reply_err_not_int(c);
        return 0;
    }
    return 1;
}

/* strtod over a non-terminated argument, accepting what Redis's range
 * parser accepts (strtod syntax, whole argument, not NaN). */
static int range_strtod(const char *p, size_t len, double *out)
{
    char buf[256];
    char *tmp = len < sizeof(buf) ? buf : tier_dram_malloc(len + 1);
    memcpy(tmp, p, len);
    tmp[len] = 0;
    char *end;
    double v = strtod(tmp, &end);
    int ok = *end == 0 && !isnan(v) && (size_t)(end - tmp) == len;
    if (tmp != buf) tier_dram_free(tmp);
    *out = v;
    return ok;
}

/* ---- ranges ---------------------------------------------------------------- */

typedef struct score_range {
    double min, max;
    int minex, maxex;
} score_range;

static int parse_score_bound(const arg *a, double *v, int *ex)
{
    *ex = 0;
    if (a->len && a->p[0] == '(') {
        *ex = 1;
        return range_strtod(a->p + 1, a->len - 1, v);
    }
    return range_strtod(a->p, a->len, v);
}

static int parse_score_range(const arg *min, const arg *max, score_range *r)
{
    return parse_score_bound(min, &r->min, &r->minex) && parse_score_bound(max, &r->max, &r->maxex);
}

static int below_score_min(const char *m, size_t len, double s, void *priv)
{
    (void)m, (void)len;
    const score_range *r = priv;
    return r->minex ? s <= r->min : s < r->min;
}
static int within_score_max(const char *m, size_t len, double s, void *priv)
{
    (void)m, (void)len;
    const score_range *r = priv;
    return r->maxex ? s < r->max : s <= r->max;
}

enum { LEX_NEG_INF, LEX_POS_INF, LEX_INCL, LEX_EXCL };
typedef struct lex_bound {
    int kind;
    const char *p;
    size_t len;
} lex_bound;
typedef struct lex_range {
    lex_bound min, max;
} lex_range;

static int parse_lex_bound(const arg *a, lex_bound *b)
{
    if (a->len == 0) return 0;
    b->p = a->p + 1;
    b->len = a->len - 1;
    switch (a->p[0]) {
    case '+': if (a->len != 1) return 0; b->kind = LEX_POS_INF; return 1;
    case '-': if (a->len != 1) return 0; b->kind = LEX_NEG_INF; return 1;
    case '[': b->kind = LEX_INCL; return 1;
    case '(': b->kind = LEX_EXCL; return 1;
    }
    return 0;
}

static int parse_lex_range(const arg *min, const arg *max, lex_range *r)
{
    return parse_lex_bound(min, &r->min) && parse_lex_bound(max, &r->max);
}

static int below_lex_min(const char *m, size_t len, double s, void *priv)
{
    (void)s;
    const lex_bound *b = &((const lex_range *)priv)->min;
    switch (b->kind) {
    case LEX_NEG_INF: return 0;
    case LEX_POS_INF: return 1;
    case LEX_INCL: return zobj_lexcmp(m, len, b->p, b->len) < 0;
    default: return zobj_lexcmp(m, len, b->p, b->len) <= 0;
    }
}
static int within_lex_max(const char *m, size_t len, double s, void *priv)
{
    (void)s;
    const lex_bound *b = &((const lex_range *)priv)->max;
    switch (b->kind) {
    case LEX_NEG_INF: return 0;
    case LEX_POS_INF: return 1;
    case LEX_INCL: return zobj_lexcmp(m, len, b->p, b->len) <= 0;
    default: return zobj_lexcmp(m, len, b->p, b->len) < 0;
    }
}

/* Ranks [*lo, *hi) of the elements in a score or lex range. */
static void score_span(const zobj *z, score_range *r, uint64_t *lo, uint64_t *hi)
{
    *lo = zobj_count_prefix(z, below_score_min, r);
    *hi = zobj_count_prefix(z, within_score_max, r);
    if (*hi < *lo) *hi = *lo;
}
static void lex_span(const zobj *z, lex_range *r, uint64_t *lo, uint64_t *hi)
{
    *lo = zobj_count_prefix(z, below_lex_min, r);
    *hi = zobj_count_prefix(z, within_lex_max, r);
    if (*hi < *lo) *hi = *lo;
}

/* Redis's index sanitising for rank ranges; 0 if empty. */
static int rank_span(long long start, long long end, uint64_t len, uint64_t *lo, uint64_t *hi)
{
    long long l = (long long)len;
    if (start < 0) start += l;
    if (end < 0) end += l;
    if (start < 0) start = 0;
    if (start > end || start >= l) return 0;
    if (end >= l) end = l - 1;
    *lo = (uint64_t)start;
    *hi = (uint64_t)end + 1;
    return 1;
}

/* ---- emitting elements ---------------------------------------------------------- */

static void reply_elem(client *c, const char *m, size_t len, double score, int withscores)
{
    if (withscores && c->resp >= 3) reply_array(c, 2);
    reply_bulk(c, m, len);
    if (withscores) reply_double(c, score);
}

static void reply_elems_header(client *c, long n, int withscores)
{
    reply_array(c, withscores && c->resp < 3 ? n * 2 : n);
}

/* Reply (or add to dst) count elements starting at rank `first`, walking
 * down when rev. */
static void emit_ranks(client *c, const zobj *z, uint64_t first, uint64_t count, int rev, int withscores, zobj *dst)
{
    zit it;
    zit_seek(&it, z, first);
    if (!dst) reply_elems_header(c, (long)count, withscores);
    for (uint64_t i = 0; i < count && zit_valid(&it); i++) {
        const char *m;
        size_t len;
        double sc;
        zit_get(&it, &m, &len, &sc);
        if (dst) zobj_set(dst, m, len, sc);
        else reply_elem(c, m, len, sc, withscores);
        if (rev) zit_prev(&it);
        else zit_next(&it);
    }
}

static size_t max_member_len(const zobj *z, uint64_t first, uint64_t count, int rev)
{
    zit it;
    size_t mx = 0;
    zit_seek(&it, z, first);
    for (uint64_t i = 0; i < count && zit_valid(&it); i++) {
        const char *m;
        size_t len;
        double sc;
        zit_get(&it, &m, &len, &sc);
        if (len > mx) mx = len;
        if (rev) zit_prev(&it);
        else zit_next(&it);
    }
    return mx;
}

/* ---- ZADD / ZINCRBY ------------------------------------------------------------------ */

#define ZA_NX 1
#define ZA_XX 2
#define ZA_GT 4
#define ZA_LT 8
#define ZA_CH 16
#define ZA_INCR 32

static void zadd_generic(client *c, int flags)
{
    int i = 2;
    for (; i < c->argc; i++) {
        if (ARGEQ(c->argv[i], "nx")) flags |= ZA_NX;
        else if (ARGEQ(c->argv[i], "xx")) flags |= ZA_XX;
        else if (ARGEQ(c->argv[i], "gt")) flags |= ZA_GT;
        else if (ARGEQ(c->argv[i], "lt")) flags |= ZA_LT;
        else if (ARGEQ(c->argv[i], "ch")) flags |= ZA_CH;
        else if (ARGEQ(c->argv[i], "incr")) flags |= ZA_INCR;
        else break;
    }
    int nargs = c->argc - i;
    if (nargs == 0 || nargs % 2) { reply_err_syntax(c); return; }
    long n = nargs / 2;
    if ((flags & ZA_NX) && (flags & ZA_XX)) {
        reply_error(c, "ERR XX and NX options at the same time are not compatible");
        return;
    }
    if (((flags & ZA_GT) && (flags & ZA_NX)) || ((flags & ZA_LT) && (flags & ZA_NX)) || ((flags & ZA_GT) && (flags & ZA_LT))) {
        reply_error(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if ((flags & ZA_INCR) && n > 1) {
        reply_error(c, "ERR INCR option supports a single increment-element pair");
        return;
    }
    /* most ZADDs carry a few pairs: no allocation for them */
    double small[16];
    double *scores = n <= 16 ? small : tier_dram_malloc(sizeof(double) * (size_t)n);
    for (long j = 0; j < n; j++) {
        const arg *a = &c->argv[i + 2 * j];
        if (!util_str2d(a->p, a->len, &scores[j])) {
            reply_err_not_float(c);
            if (scores != small) tier_dram_free(scores);
            return;
        }
    }
    const arg *key = &c->argv[1];
    int wrong;
    kv *e = cmd_lookup_type(c, key, OBJ_ZSET, &wrong);
    if (wrong) {
        if (scores != small) tier_dram_free(scores);
        return;
    }
    long long added = 0, updated = 0, processed = 0;
    double newscore = 0;
    zobj z;
    if (!e) {
        if (flags & ZA_XX) goto reply;
        /* Redis 7.0 picks the encoding from the first member alone */
        zobj_new(&z, 1, c->argv[i + 1].len);
        e = kv_new(key->p, key->len, OBJ_ZSET, z.enc, z.ptr);
        db_add(c->db, e);
    }
    z = z_of(e);
    for (long j = 0; j < n; j++) {
        const arg *m = &c->argv[i + 2 * j + 1];
        double score = scores[j], cur;
        if (zobj_score(&z, m->p, m->len, &cur)) {
            if (flags & ZA_NX) continue;
            if (flags & ZA_INCR) {
                score += cur;
                if (isnan(score)) {
                    z_store(e, &z);
                    reply_error(c, "ERR resulting score is not a number (NaN)");
                    goto done;
                }
            }
            if (((flags & ZA_LT) && score >= cur) || ((flags & ZA_GT) && score <= cur)) continue;
            newscore = score;
            processed++;
            if (score != cur) {
                zobj_set(&z, m->p, m->len, score);
                updated++;
            }
        } else {
            if (flags & ZA_XX) continue;
            zobj_add_absent(&z, m->p, m->len, score);
            newscore = score;
            added++;
            processed++;
        }
    }
    z_store(e, &z);
reply:
    if (flags & ZA_INCR) {
        if (processed) reply_double(c, newscore);
        else reply_null(c);
    } else {
        reply_ll(c, (flags & ZA_CH) ? added + updated : added);
    }
done:
    if (e && zobj_len(&(zobj){e->enc, e->ptr}) == 0) db_delete(c->db, key->p, key->len);
    if (added || updated) {
        db_signal_modified(c->db, key->p, key->len);
        server_dirty((uint64_t)(added + updated));
        if (added) blk_signal_key(c->db, key->p, key->len);
    }
    if (scores != small) tier_dram_free(scores);
}

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] */
void cmd_zadd(client *c) { zadd_generic(c, 0); }

/* ZINCRBY key increment member */
void cmd_zincrby(client *c) { zadd_generic(c, ZA_INCR); }

/* ---- simple reads and ZREM ---------------------------------------------------------- */

/* ZREM key member [member ...] */
void cmd_zrem(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_ZSET, &wrong);
    if (wrong) return;
    if (!e) { reply_ll(c, 0); return; }
    zobj z = z_of(e);
    long long n = 0;
    for (int i = 2; i < c->argc && zobj_len(&z); i++) n += zobj_del(&z, c->argv[i].p, c->argv[i].len);
    z_store(e, &z);
    drop_if_empty(c, &c->argv[1], &z);
    if (n) {
        db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
        server_dirty((uint64_t)n);
    }
    reply_ll(c, n);
}

/* ZSCORE key member */
void cmd_zscore(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_ZSET, &wrong);
    if (wrong) return;
    double s;
    zobj z = e ? z_of(e) : (zobj){0};
    if (!e || !zobj_score(&z, c->argv[2].p, c->argv[2].len, &s)) reply_null(c);
    else reply_double(c, s);
}

/* ZMSCORE key member [member ...] */
void cmd_zmscore(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_ZSET, &wrong);
    if (wrong) return;
    zobj z = e ? z_of(e) : (zobj){0};
    reply_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        double s;
        if (!e || !zobj_score(&z, c->argv[i].p, c->argv[i].len, &s)) reply_null(c);
        else reply_double(c, s);
    }
}

/* ZCARD key */
void cmd_zcard(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_ZSET, &wrong);
    if (wrong) return;
    zobj z = e ? z_of(e) : (zobj){0};
    reply_ll(c, e ? (long long)zobj_len(&z) : 0);
}

/* ZCOUNT key min max */
void cmd_zcount(client *c)
{
    score_range r;
    if (!parse_score_range(&c->argv[2], &c->argv[3], &r)) { reply_error(c, "ERR min or max is not a float"); return; }
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_ZSET, &wrong);
    if (wrong) return;
    if (!e) { reply_ll(c, 0); return; }
    zobj z = z_of(e);
    uint64_t lo, hi;
    score_span(&z, &r, &lo, &hi);
    reply_ll(c, (long long)(hi - lo));
}

/* ZLEXCOUNT key min max */
void cmd_zlexcount(client *c)
{
    lex_range r;
    if (!parse_lex_range(&c->argv[2], &c->argv[3], &r)) {
        reply_error(c, "ERR min or max not valid string range item");
        return;
    }
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_ZSET, &wrong);
    if (wrong) return;
    if (!e) { reply_ll(c, 0); return; }
    zobj z = z_of(e);
    uint64_t lo, hi;
    lex_span(&z, &r, &lo, &hi);
    reply_ll(c, (long long)(hi - lo));
}

static void rank_generic(client *c, int rev)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_ZSET, &wrong);
    if (wrong) return;
    double s;
    zobj z = e ? z_of(e) : (zobj){0};
    if (!e || !zobj_score(&z, c->argv[2].p, c->argv[2].len, &s)) { reply_null(c); return; }
    uint64_t r = zobj_rank(&z, c->argv[2].p, c->argv[2].len, s);
    reply_ll(c, (long long)(rev ? zobj_len(&z) - 1 - r : r));
}

/* ZRANK key member */
void cmd_zrank(client *c) { rank_generic(c, 0); }
/* ZREVRANK key member */
void cmd_zrevrank(client *c) { rank_generic(c, 1); }

/* ---- ZRANGE family ---------------------------------------------------------------------- */

enum { RT_AUTO, RT_RANK, RT_SCORE, RT_LEX };
enum { DIR_AUTO, DIR_FWD, DIR_REV };

/* The shared worker: argv[first] is the source key (ZRANGESTORE: argv[1]
 * is the destination), then min max and the options. */
static void zrange_generic(client *c, int first, int store, int rt, int dir)
{
    int withscores = 0;
    long long offset = 0, limit = -1;
    int have_limit = 0;
    for (int j = first + 3; j < c->argc; j++) {
        int left = c->argc - j - 1;
        if (!store && ARGEQ(c->argv[j], "withscores")) withscores = 1;
        else if (ARGEQ(c->argv[j], "limit") && left >= 2) {
            if (!arg_long(c, &c->argv[j + 1], &offset) || !arg_long(c, &c->argv[j + 2], &limit)) return;
            have_limit = 1;
            j += 2;
        } else if (dir == DIR_AUTO && ARGEQ(c->argv[j], "rev")) dir = DIR_REV;
        else if (rt == RT_AUTO && ARGEQ(c->argv[j], "bylex")) rt = RT_LEX;
        else if (rt == RT_AUTO && ARGEQ(c->argv[j], "byscore")) rt = RT_SCORE;
        else { reply_err_syntax(c); return; }
    }
    (void)have_limit;
    if (dir == DIR_AUTO) dir = DIR_FWD;
    if (rt == RT_AUTO) rt = RT_RANK;
    if (limit != -1 && rt == RT_RANK) {
        reply_error(c, "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
        return;
    }
    if (withscores && rt == RT_LEX) {
        reply_error(c, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    const arg *mina = &c->argv[first + 1], *maxa = &c->argv[first + 2];
    if (dir == DIR_REV && rt != RT_RANK) {
        const arg *t = mina;
        mina = maxa;
        maxa = t;
    }
    long long start = 0, end = 0;
    score_range sr;
    lex_range lr;
    switch (rt) {
    case RT_RANK:
        if (!arg_long(c, mina, &start) || !arg_long(c, maxa, &end)) return;
        break;
    case RT_SCORE:
        if (!parse_score_range(mina, maxa, &sr)) { reply_error(c, "ERR min or max is not a float"); return; }
        break;
    default:
        if (!parse_lex_range(mina, maxa, &lr)) { reply_error(c, "ERR min or max not valid string range item"); return; }
        break;
    }
    const arg *src = &c->argv[first];
    int wrong;
    kv *e = cmd_lookup_type(c, src, OBJ_ZSET, &wrong);
    if (wrong) return;
    uint64_t lo = 0, hi = 0;
    zobj z = {0};
    if (e) {
        z = z_of(e);
        if (rt == RT_RANK) {
            if (!rank_span(start, end, zobj_len(&z), &lo, &hi)) lo = hi = 0;
        } else {
            if (rt == RT_SCORE) score_span(&z, &sr, &lo, &hi);
            else lex_span(&z, &lr, &lo, &hi);
            /* LIMIT: a negative offset gives nothing, a negative count everything */
            if (offset < 0) hi = lo;
            else if ((uint64_t)offset >= hi - lo) hi = lo;
            else {
                uint64_t avail = hi - lo - (uint64_t)offset;
                uint64_t take = limit < 0 || (uint64_t)limit > avail ? avail : (uint64_t)limit;
                if (dir == DIR_FWD) {
                    lo += (uint64_t)offset;
                    hi = lo + take;
                } else {
                    hi -= (uint64_t)offset;
                    lo = hi - take;
                }
            }
        }
    }
    uint64_t count = hi - lo;
    int rev = dir == DIR_REV;
    /* for the rank range a reversed walk counts ranks from the end */
    uint64_t firstrank = rev ? hi - 1 : lo;
    if (rt == RT_RANK && rev && count) {
        uint64_t len = zobj_len(&z);
        firstrank = len - 1 - lo;
    }
    if (!store) {
        if (!e) { reply_empty_array(c); return; }
        emit_ranks(c, &z, firstrank, count, rev, withscores, NULL);
        return;
    }
    const arg *dst = &c->argv[1];
    if (count == 0) {
        if (db_lookup(c->db, dst->p, dst->len)) {
            db_delete(c->db, dst->p, dst->len);
            db_signal_modified(c->db, dst->p, dst->len);
            server_dirty(1);
        }
        reply_ll(c, 0);
        return;
    }
    zobj out;
    zobj_new(&out, count, max_member_len(&z, firstrank, count, rev));
    emit_ranks(c, &z, firstrank, count, rev, 0, &out);
    db_set(c->db, kv_new(dst->p, dst->len, OBJ_ZSET, out.enc, out.ptr), 0);
    db_signal_modified(c->db, dst->p, dst->len);
    blk_signal_key(c->db, dst->p, dst->len);
    server_dirty(1);
    reply_ll(c, (long long)count);
}

/* ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] */
void cmd_zrange(client *c) { zrange_generic(c, 1, 0, RT_AUTO, DIR_AUTO); }
/* ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] */
void cmd_zrangestore(client *c) { zrange_generic(c, 2, 1, RT_AUTO, DIR_AUTO); }
/* ZREVRANGE key start stop [WITHSCORES] */
void cmd_zrevrange(client *c) { zrange_generic(c, 1, 0, RT_RANK, DIR_REV); }
/* ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] */
void cmd_zrangebyscore(client *c) { zrange_generic(c, 1, 0, RT_SCORE, DIR_FWD); }
/* ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] */
void cmd_zrevrangebyscore(client *c) { zrange_generic(c, 1, 0, RT_SCORE, DIR_REV); }
/* ZRANGEBYLEX key min max [LIMIT offset count] */
void cmd_zrangebylex(client *c) { zrange_generic(c, 1, 0, RT_LEX, DIR_FWD); }
/* ZREVRANGEBYLEX key max min [LIMIT offset count] */
void cmd_zrevrangebylex(client *c) { zrange_generic(c, 1, 0, RT_LEX, DIR_REV); }

/* ---- ZREMRANGEBY* -------------------------------------------------------------------------- */

static void zremrange_generic(client *c, int rt)
{
    long long start = 0, end = 0;
    score_range sr;
    lex_range lr;
    if (rt == RT_RANK) {
        if (!arg_long(c, &c->argv[2], &start) || !arg_long(c, &c->argv[3], &end)) return;
    } else if (rt == RT_SCORE) {
        if (!parse_score_range(&c->argv[2], &c->argv[3], &sr)) { reply_error(c, "ERR min or max is not a float"); return; }
    } else if (!parse_lex_range(&c->argv[2], &c->argv[3], &lr)) {
        reply_error(c, "ERR min or max not valid string range item");
        return;
    }
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_ZSET, &wrong);
    if (wrong) return;
    if (!e) { reply_ll(c, 0); return; }
    zobj z = z_of(e);
    uint64_t lo = 0, hi = 0;
    if (rt == RT_RANK) {
        if (!rank_span(start, end, zobj_len(&z), &lo, &hi)) lo = hi = 0;
    } else if (rt == RT_SCORE) {
        score_span(&z, &sr, &lo, &hi);
    } else {
        lex_span(&z, &lr, &lo, &hi);
    }
    if (hi > lo) {
        zobj_delete_range(&z, lo, hi);
        z_store(e, &z);
        drop_if_empty(c, &c->argv[1], &z);
        db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
        server_dirty(hi - lo);
    }
    reply_ll(c, (long long)(hi - lo));
}

/* ZREMRANGEBYRANK key start stop */
void cmd_zremrangebyrank(client *c) { zremrange_generic(c, RT_RANK); }
/* ZREMRANGEBYSCORE key min max */
void cmd_zremrangebyscore(client *c) { zremrange_generic(c, RT_SCORE); }
/* ZREMRANGEBYLEX key min max */
void cmd_zremrangebylex(client *c) { zremrange_generic(c, RT_LEX); }

/* ---- pops ------------------------------------------------------------------------------------ */

enum { POP_PLAIN, POP_COUNT, POP_MPOP, POP_BLOCK };

/* Pop up to count elements from the first non-empty zset among keys.
 * Returns -1 after replying an error, 0 if every key was empty (nothing
 * replied), 1 if it popped and replied.  style picks the reply shape. */
static int zpop_keys(client *c, const arg *keys, int nkeys, int max, long long count, int style)
{
    kv *e = NULL;
    const arg *key = NULL;
    for (int i = 0; i < nkeys; i++) {
        int wrong;
        e = cmd_lookup_type(c, &keys[i], OBJ_ZSET, &wrong);
        if (wrong) return -1;
        if (e) { key = &keys[i]; break; }
    }
    if (!e) return 0;
    zobj z = z_of(e);
    uint64_t len = zobj_len(&z);
    uint64_t n = (uint64_t)count > len ? len : (uint64_t)count;
    if (style == POP_MPOP) {
        reply_array(c, 2);
        reply_bulk(c, key->p, key->len);
        reply_array(c, (long)n);
    } else if (style == POP_BLOCK) {
        reply_array(c, 3);
        reply_bulk(c, key->p, key->len);
    } else if (style == POP_PLAIN || c->resp < 3) {
        reply_array(c, (long)n * 2);
    } else {
        reply_array(c, (long)n);
    }
    zit it;
    zit_seek(&it, &z, max ? len - 1 : 0);
    for (uint64_t i = 0; i < n; i++) {
        const char *m;
        size_t l;
        double sc;
        zit_get(&it, &m, &l, &sc);
        if (style == POP_MPOP || (style == POP_COUNT && c->resp >= 3)) reply_array(c, 2);
        reply_bulk(c, m, l);
        reply_double(c, sc);
        if (max) zit_prev(&it);
        else zit_next(&it);
    }
    if (max) zobj_delete_range(&z, len - n, len);
    else zobj_delete_range(&z, 0, n);
    z_store(e, &z);
    /* journal as the plain pop actually done (which key, how many) */
    if (style == POP_MPOP || style == POP_BLOCK) {
        char nb[UTIL_LL_STR_SIZE];
        size_t nl = util_ll2str(nb, (long long)n);
        fx_rewrite_strs(c, max ? "ZPOPMAX" : "ZPOPMIN", (size_t)7, key->p, key->len, nb, nl, NULL);
    }
    db_signal_modified(c->db, key->p, key->len);
    drop_if_empty(c, key, &z);
    server_dirty(n);
    return 1;
}

static void zpop_generic(client *c, int max)
{
    long long count = 1;
    int style = POP_PLAIN;
    if (c->argc > 3) { reply_err_syntax(c); return; }
    if (c->argc == 3) {
        if (!util_str2ll(c->argv[2].p, c->argv[2].len, &count) || count < 0) {
            reply_error(c, "ERR value is out of range, must be positive");
            return;
        }
        style = POP_COUNT;
        if (count == 0) { reply_empty_array(c); return; }
    }
    if (zpop_keys(c, &c->argv[1], 1, max, count, style) == 0) reply_empty_array(c);
}

/* ZPOPMIN key [count] */
void cmd_zpopmin(client *c) { zpop_generic(c, 0); }
/* ZPOPMAX key [count] */
void cmd_zpopmax(client *c) { zpop_generic(c, 1); }

/* Parses numkeys at argv[at], keys, MIN|MAX [COUNT count]. */
static int parse_mpop(client *c, int at, long long *nkeys, int *max, long long *count)
{
    if (!util_str2ll(c->argv[at].p, c->argv[at].len, nkeys) || *nkeys <= 0) {
        reply_error(c, "ERR numkeys should be greater than 0");
        return 0;
    }
    long long where = at + *nkeys + 1;
    if (where >= c->argc) { reply_err_syntax(c); return 0; }
    if (ARGEQ(c->argv[where], "min")) *max = 0;
    else if (ARGEQ(c->argv[where], "max")) *max = 1;
    else { reply_err_syntax(c); return 0; }
    *count = -1;
    for (long long j = where + 1; j < c->argc; j++) {
        if (*count == -1 && ARGEQ(c->argv[j], "count") && j + 1 < c->argc) {
            j++;
            if (!util_str2ll(c->argv[j].p, c->argv[j].len, count) || *count <= 0) {
                reply_error(c, "ERR count should be greater than 0");
                return 0;
            }
        } else {
            reply_err_syntax(c);
            return 0;
        }
    }
    if (*count == -1) *count = 1;
    return 1;
}

/* ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] */
void cmd_zmpop(client *c)
{
    long long nkeys, count;
    int max;
    if (!parse_mpop(c, 1, &nkeys, &max, &count)) return;
    if (zpop_keys(c, c->argv + 2, (int)nkeys, max, count, POP_MPOP) == 0) reply_null_array(c);
}

static void bzpop_generic(client *c, int max)
{
    int64_t deadline;
    if (!blk_parse_timeout(c, &c->argv[c->argc - 1], &deadline)) return;
    int nkeys = c->argc - 2;
    int r = zpop_keys(c, c->argv + 1, nkeys, max, 1, POP_BLOCK);
    if (r != 0) return;
    if (!blk_can_block(c)) { reply_null_array(c); return; }
    int idx[256];
    int n = nkeys < 256 ? nkeys : 256;
    for (int i = 0; i < n; i++) idx[i] = i + 1;
    blk_block(c, n, idx, deadline, BLK_NULL_ARRAY);
}

/* BZPOPMIN key [key ...] timeout */
void cmd_bzpopmin(client *c) { bzpop_generic(c, 0); }
/* BZPOPMAX key [key ...] timeout */
void cmd_bzpopmax(client *c) { bzpop_generic(c, 1); }

/* BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] */
void cmd_bzmpop(client *c)
{
    int64_t deadline;
    if (!blk_parse_timeout(c, &c->argv[1], &deadline)) return;
    long long nkeys, count;
    int max;
    if (!parse_mpop(c, 2, &nkeys, &max, &count)) return;
    int r = zpop_keys(c, c->argv + 3, (int)nkeys, max, count, POP_MPOP);
    if (r != 0) return;
    if (!blk_can_block(c)) { reply_null_array(c); return; }
    int idx[256];
    int n = nkeys < 256 ? (int)nkeys : 256;
    for (int i = 0; i < n; i++) idx[i] = i + 3;
    blk_block(c, n, idx, deadline, BLK_NULL_ARRAY);
}

/* ---- ZUNION / ZINTER / ZDIFF ------------------------------------------------------------------ */

enum { OP_UNION, OP_INTER, OP_DIFF };
enum { AGG_SUM, AGG_MIN, AGG_MAX };

/* One input: a zset, a plain set (every score 1) or nothing. */
typedef struct zsrc {
    int type;             /* OBJ_ZSET, OBJ_SET, -1 absent */
    zobj z;
    setval s;
    double weight;
} zsrc;

static uint64_t src_len(const zsrc *s)
{
    if (s->type == OBJ_ZSET) return zobj_len(&s->z);
    if (s->type == OBJ_SET) return setval_size(&s->s);
    return 0;
}

static int src_score(const zsrc *s, const char *m, size_t len, double *score)
{
    if (s->type == OBJ_ZSET) return zobj_score(&s->z, m, len, score);
    if (s->type == OBJ_SET && setval_has(&s->s, m, len)) {
        *score = 1.0;
        return 1;
    }
    return 0;
}

typedef void src_visit_fn(void *priv, const char *m, size_t len, double score);
static void src_foreach(const zsrc *s, src_visit_fn *fn, void *priv)
{
    if (s->type == OBJ_ZSET) {
        zit it;
        for (zit_seek(&it, &s->z, 0); zit_valid(&it); zit_next(&it)) {
            const char *m;
            size_t len;
            double sc;
            zit_get(&it, &m, &len, &sc);
            fn(priv, m, len, sc);
        }
    } else if (s->type == OBJ_SET) {
        setval_iter it;
        const char *m;
        size_t len;
        setval_iter_init(&it, &s->s);
        while (setval_iter_next(&it, &m, &len)) fn(priv, m, len, 1.0);
        setval_iter_release(&it);
    }
}

static void aggregate(double *acc, double v, int agg)
{
    if (agg == AGG_SUM) {
        *acc += v;
        if (isnan(*acc)) *acc = 0.0;
    } else if (agg == AGG_MIN) {
        if (v < *acc) *acc = v;
    } else if (v > *acc) {
        *acc = v;
    }
}

static double weighted(double score, double w)
{
    double v = score * w;
    return isnan(v) ? 0.0 : v;
}

typedef struct setop_ctx {
    zsrc *src;
    int n;
    int op, agg;
    zobj *out;            /* result being built (skiplist) */
    long long limit;      /* ZINTERCARD */
    long long found;
    int cur;              /* union: the source being visited */
    int stop;
} setop_ctx;

static void visit_union(void *priv, const char *m, size_t len, double score)
{
    setop_ctx *x = priv;
    double v = weighted(score, x->src[x->cur].weight), acc;
    if (zobj_score(x->out, m, len, &acc)) {
        aggregate(&acc, v, x->agg);
        zobj_set(x->out, m, len, acc);
    } else {
        zobj_set(x->out, m, len, v);
    }
}

static void visit_inter(void *priv, const char *m, size_t len, double score)
{
    setop_ctx *x = priv;
    if (x->stop) return;
    double acc = weighted(score, x->src[0].weight);
    for (int j = 1; j < x->n; j++) {
        double s;
        if (!src_score(&x->src[j], m, len, &s)) return;
        aggregate(&acc, weighted(s, x->src[j].weight), x->agg);
    }
    x->found++;
    if (x->out) zobj_set(x->out, m, len, acc);
    if (x->limit && x->found >= x->limit) x->stop = 1;
}

static void visit_diff(void *priv, const char *m, size_t len, double score)
{
    setop_ctx *x = priv;
    for (int j = 1; j < x->n; j++) {
        double s;
        if (src_score(&x->src[j], m, len, &s)) return;
    }
    zobj_set(x->out, m, len, score);
}

static int cmp_src(const void *a, const void *b)
{
    uint64_t x = src_len(a), y = src_len(b);
    return x < y ? -1 : x > y;
}

/* argv[nk] is numkeys; dst is the destination or NULL; card for ZINTERCARD. */
static void setop_generic(client *c, int nk, const arg *dst, int op, int card)
{
    long long n;
    if (!arg_long(c, &c->argv[nk], &n)) return;
    if (n < 1) {
        reply_errorf(c, "ERR at least 1 input key is needed for '%s' command", c->cmd ? c->cmd->name : "?");
        return;
    }
    if (n > c->argc - nk - 1) { reply_err_syntax(c); return; }
    zsrc *src = tier_dram_calloc(sizeof(zsrc) * (size_t)n);
    int j = nk + 1;
    for (long long i = 0; i < n; i++, j++) {
        kv *e = db_lookup(c->db, c->argv[j].p, c->argv[j].len);
        src[i].weight = 1.0;
        src[i].type = -1;
        if (!e) continue;
        if (e->type != OBJ_ZSET && e->type != OBJ_SET) {
            tier_dram_free(src);
            reply_err_wrongtype(c);
            return;
        }
        src[i].type = e->type;
        if (e->type == OBJ_ZSET) src[i].z = z_of(e);
        else src[i].s = (setval){.enc = e->enc, .ptr = e->ptr};
    }
    int agg = AGG_SUM, withscores = 0;
    long long limit = 0;
    while (j < c->argc) {
        int left = c->argc - j;
        if (op != OP_DIFF && !card && left >= n + 1 && ARGEQ(c->argv[j], "weights")) {
            j++;
            for (long long i = 0; i < n; i++, j++) {
                if (!util_str2d(c->argv[j].p, c->argv[j].len, &src[i].weight)) {
                    tier_dram_free(src);
                    reply_error(c, "ERR weight value is not a float");
                    return;
                }
            }
        } else if (op != OP_DIFF && !card && left >= 2 && ARGEQ(c->argv[j], "aggregate")) {
            j++;
            if (ARGEQ(c->argv[j], "sum")) agg = AGG_SUM;
            else if (ARGEQ(c->argv[j], "min")) agg = AGG_MIN;
            else if (ARGEQ(c->argv[j], "max")) agg = AGG_MAX;
            else {
                tier_dram_free(src);
                reply_err_syntax(c);
                return;
            }
            j++;
        } else if (left >= 1 && !dst && !card && ARGEQ(c->argv[j], "withscores")) {
            j++;
            withscores = 1;
        } else if (card && left >= 2 && ARGEQ(c->argv[j], "limit")) {
            j++;
            if (!util_str2ll(c->argv[j].p, c->argv[j].len, &limit) || limit < 0) {
                tier_dram_free(src);
                reply_error(c, "ERR LIMIT can't be negative");
                return;
            }
            j++;
        } else {
            tier_dram_free(src);
            reply_err_syntax(c);
            return;
        }
    }
    /* built as a skiplist (random inserts), compacted at the end if it fits */
    zobj out;
    zobj_new(&out, UINT64_MAX, 0);
    setop_ctx x = {.src = src, .n = (int)n, .op = op, .agg = agg, .out = card ? NULL : &out, .limit = limit};
    if (op == OP_INTER) {
        qsort(src, (size_t)n, sizeof(zsrc), cmp_src);
        if (src_len(&src[0]) > 0) src_foreach(&src[0], visit_inter, &x);
    } else if (op == OP_UNION) {
        for (int i = 0; i < (int)n; i++) {
            x.cur = i;
            src_foreach(&src[i], visit_union, &x);
        }
    } else {
        src_foreach(&src[0], visit_diff, &x);
    }
    tier_dram_free(src);
    if (card) {
        zobj_free(out.enc, out.ptr);
        reply_ll(c, x.found);
        return;
    }
    uint64_t len = zobj_len(&out);
    if (dst) {
        if (len) {
            zobj_shrink_if_fits(&out);
            db_set(c->db, kv_new(dst->p, dst->len, OBJ_ZSET, out.enc, out.ptr), 0);
            db_signal_modified(c->db, dst->p, dst->len);
            blk_signal_key(c->db, dst->p, dst->len);
            server_dirty(1);
        } else {
            zobj_free(out.enc, out.ptr);
            if (db_lookup(c->db, dst->p, dst->len)) {
                db_delete(c->db, dst->p, dst->len);
                db_signal_modified(c->db, dst->p, dst->len);
                server_dirty(1);
            }
        }
        reply_ll(c, (long long)len);
        return;
    }
    emit_ranks(c, &out, 0, len, 0, withscores, NULL);
    zobj_free(out.enc, out.ptr);
}

/* ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] */
void cmd_zunionstore(client *c) { setop_generic(c, 2, &c->argv[1], OP_UNION, 0); }
/* ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] */
void cmd_zinterstore(client *c) { setop_generic(c, 2, &c->argv[1], OP_INTER, 0); }
/* ZDIFFSTORE destination numkeys key [key ...] */
void cmd_zdiffstore(client *c) { setop_generic(c, 2, &c->argv[1], OP_DIFF, 0); }
/* ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] */
void cmd_zunion(client *c) { setop_generic(c, 1, NULL, OP_UNION, 0); }
/* ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] */
void cmd_zinter(client *c) { setop_generic(c, 1, NULL, OP_INTER, 0); }
/* ZDIFF numkeys key [key ...] [WITHSCORES] */
void cmd_zdiff(client *c) { setop_generic(c, 1, NULL, OP_DIFF, 0); }
/* ZINTERCARD numkeys key [key ...] [LIMIT limit] */
void cmd_zintercard(client *c) { setop_generic(c, 1, NULL, OP_INTER, 1); }

/* ---- ZRANDMEMBER ------------------------------------------------------------------------------- */

/* ZRANDMEMBER key [count [WITHSCORES]] */
void cmd_zrandmember(client *c)
{
    long long count = 0;
    int withscores = 0;
    if (c->argc >= 3) {
        if (!arg_long(c, &c->argv[2], &count)) return;
        if (count == LLONG_MIN) { reply_error(c, "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"); return; }
        if (c->argc > 4 || (c->argc == 4 && !ARGEQ(c->argv[3], "withscores"))) { reply_err_syntax(c); return; }
        withscores = c->argc == 4;
    }
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_ZSET, &wrong);
    if (wrong) return;
    if (c->argc == 2) {
        if (!e) { reply_null(c); return; }
        zobj z = z_of(e);
        zit it;
        zit_seek(&it, &z, util_rand64() % zobj_len(&z));
        const char *m;
        size_t len;
        double sc;
        zit_get(&it, &m, &len, &sc);
        reply_bulk(c, m, len);
        return;
    }
    if (!e || count == 0) { reply_empty_array(c); return; }
    zobj z = z_of(e);
    uint64_t size = zobj_len(&z);
    if (count < 0) {
        uint64_t n = (uint64_t)-count;
        reply_elems_header(c, (long)n, withscores);
        for (uint64_t i = 0; i < n; i++) {
            zit it;
            zit_seek(&it, &z, util_rand64() % size);
            const char *m;
            size_t len;
            double sc;
            zit_get(&it, &m, &len, &sc);
            reply_elem(c, m, len, sc, withscores);
        }
        return;
    }
    if ((uint64_t)count >= size) {
        /* the whole zset, highest first (what Redis 7.0 replies) */
        emit_ranks(c, &z, size - 1, size, 1, withscores, NULL);
        return;
    }
    /* distinct ranks: a partial Fisher-Yates shuffle over the rank array */
    uint64_t *ranks = tier_dram_malloc(sizeof(uint64_t) * size);
    for (uint64_t i = 0; i < size; i++) ranks[i] = i;
    for (uint64_t i = 0; i < (uint64_t)count; i++) {
        uint64_t j = i + util_rand64() % (size - i);
        uint64_t t = ranks[i];
        ranks[i] = ranks[j];
        ranks[j] = t;
    }
    reply_elems_header(c, (long)count, withscores);
    for (uint64_t i = 0; i < (uint64_t)count; i++) {
        zit it;
        zit_seek(&it, &z, ranks[i]);
        const char *m;
        size_t len;
        double sc;
        zit_get(&it, &m, &len, &sc);
        reply_elem(c, m, len, sc, withscores);
    }
    tier_dram_free(ranks);
}

/* ---- ZSCAN --------------------------------------------------------------------------------------- */

static void reply_score_text(client *c, double s)
{
    char buf[UTIL_D_STR_SIZE];
    reply_bulk(c, buf, util_d2str(buf, sizeof(buf), s));
}

/* ZSCAN key cursor [MATCH pattern] [COUNT count] */
static long zscan_emit(client *c, const dict_node *n, const scan_args *a)
{
    const zsl_node *x = (const zsl_node *)n;
    if (!scan_match(a, x->m, x->mlen)) return 0;
    reply_bulk(c, x->m, x->mlen);
    reply_score_text(c, x->score);
    return 2;
}

void cmd_zscan(client *c)
{
    scan_args a;
    kv *e = scan_open_key(c, OBJ_ZSET, &a);
    if (!e) return;
    zobj z = z_of(e);
    if (z.enc == ENC_LISTPACK) {
        reply_bulk(c, "0", 1);
        reply_deferred d = reply_defer(c);
        long n = 0;
        zit it;
        for (zit_seek(&it, &z, 0); zit_valid(&it); zit_next(&it)) {
            const char *m;
            size_t len;
            double sc;
            zit_get(&it, &m, &len, &sc);
            if (!scan_match(&a, m, len)) continue;
            reply_bulk(c, m, len);
            reply_score_text(c, sc);
            n += 2;
        }
        reply_set_deferred_array(c, d, n);
        return;
    }
    scan_reply_nodes(c, &((zsl *)z.ptr)->index, &a, zscan_emit);
}

/* ---- key positions of the numkeys commands ----------------------------------------------------- */

static int numkeys_keys(int argc, const arg *argv, int nk, int *keys, int max, int k)
{
    long long n;
    if (nk >= argc || !util_str2ll(argv[nk].p, argv[nk].len, &n) || n <= 0 || n > argc - nk - 1) return k;
    for (long long i = 0; i < n && k < max; i++) keys[k++] = nk + 1 + (int)i;
    return k;
}

/* ZUNION/ZINTER/ZDIFF/ZINTERCARD/ZMPOP: numkeys at 1. */
int tzset_getkeys_nk1(int argc, const arg *argv, int *keys, int max)
{
    return numkeys_keys(argc, argv, 1, keys, max, 0);
}

/* ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE: destination at 1, numkeys at 2. */
int tzset_getkeys_store(int argc, const arg *argv, int *keys, int max)
{
    if (argc < 2 || max < 1) return 0;
    keys[0] = 1;
    return numkeys_keys(argc, argv, 2, keys, max, 1);
}

/* BZMPOP: timeout at 1, numkeys at 2. */
int tzset_getkeys_bzmpop(int argc, const arg *argv, int *keys, int max)
{
    return numkeys_keys(argc, argv, 2, keys, max, 0);
}
