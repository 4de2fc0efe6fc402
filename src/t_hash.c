/* t_hash.c -- hash commands with Redis 7.0's replies; listpack encoding for
 * small hashes, a dict of hash_node for big ones (see t_hash.h).
 *
 * Why a hash_node is a DRAM node plus one tier block for field+value:
 * the dict walks bucket chains by following node->link.next and, for each
 * node, compares the length before the bytes.  Keeping the link and both
 * lengths on DRAM means walking a chain and rejecting nodes of another
 * length never touches the slower tier; field and value share one block
 * because every read of a value first matched its field (one block = one
 * cache-miss path and one allocation instead of two).  Rehashing does read
 * the field bytes, which is bounded by the incremental rehash step.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "db.h"
#include "effects.h"
#include "listpack.h"
#include "scan.h"
#include "server.h"
#include "t_hash.h"
#include "tier.h"
#include "util.h"



/* ---- hashtable nodes ---------------------------------------------------------- */

static const char *hnode_key(const dict_node *n, size_t *len)
{
    const hash_node *h = (const hash_node *)n;
    *len = h->flen;
    return h->fv;
}

static const dict_type hash_dict_type = {.key = hnode_key};

static hash_node *hnode_new(const char *f, size_t flen, const char *v, size_t vlen)
{
    hash_node *n = tier_dram_malloc(sizeof(*n));
    n->link.next = NULL;
    n->flen = (uint32_t)flen;
    n->vlen = (uint32_t)vlen;
    n->fv = tier_malloc(flen + vlen ? flen + vlen : 1);
    memcpy(n->fv, f, flen);
    memcpy(n->fv + flen, v, vlen);
    return n;
}

static void hnode_set_value(hash_node *n, const char *v, size_t vlen)
{
    if (vlen != n->vlen) n->fv = tier_realloc(n->fv, n->flen + vlen ? n->flen + vlen : 1);
    memcpy(n->fv + n->flen, v, vlen);
    n->vlen = (uint32_t)vlen;
}

static void hnode_free(dict_node *dn, void *priv)
{
    (void)priv;
    hash_node *n = (hash_node *)dn;
    tier_free(n->fv);
    tier_dram_free(n);
}

/* ---- the C API ---------------------------------------------------------------- */

hash_ref hash_new(void)
{
    hash_ref h = {ENC_LISTPACK, lp_new(0)};
    return h;
}

unsigned long hash_len(const hash_ref *h)
{
    if (h->enc == ENC_LISTPACK) return lp_count(h->ptr) / 2;
    return (unsigned long)dict_size(h->ptr);
}

void hash_free(int enc, void *ptr)
{
    if (enc == ENC_LISTPACK) {
        lp_free(ptr);
    } else {
        dict_clear(ptr, hnode_free, NULL);
        tier_dram_free(ptr);
    }
}

static void *hash_dup_value(int enc, const void *ptr)
{
    if (enc == ENC_LISTPACK) return lp_dup(ptr);
    dict *src = (dict *)ptr;
    dict *d = tier_dram_malloc(sizeof(*d));
    dict_init(d, &hash_dict_type);
    dict_expand(d, dict_size(src));
    dict_iter it;
    dict_iter_init(&it, src);
    dict_node *dn;
    while ((dn = dict_iter_next(&it))) {
        hash_node *n = (hash_node *)dn;
        dict_add(d, &hnode_new(n->fv, n->flen, n->fv + n->flen, n->vlen)->link);
    }
    dict_iter_release(&it);
    return d;
}

void hash_register_type(void) { db_register_type(OBJ_HASH, hash_free, hash_dup_value); }

kv *hash_kv_new(const char *key, size_t klen, hash_ref h) { return kv_new(key, klen, OBJ_HASH, h.enc, h.ptr); }

static void convert_to_ht(hash_ref *h)
{
    unsigned char *lp = h->ptr;
    dict *d = tier_dram_malloc(sizeof(*d));
    dict_init(d, &hash_dict_type);
    dict_expand(d, lp_count(lp) / 2 + 1);
    char fb[UTIL_LL_STR_SIZE], vb[UTIL_LL_STR_SIZE];
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        size_t fl, vl;
        const char *f = lp_get_str(p, &fl, fb);
        const char *v = lp_get_str(lp_next(lp, p), &vl, vb);
        dict_add(d, &hnode_new(f, fl, v, vl)->link);
    }
    lp_free(lp);
    h->enc = ENC_HT;
    h->ptr = d;
}

int hash_get(const hash_ref *h, const char *f, size_t flen, const char **v, size_t *vlen, char *ibuf)
{
    if (h->enc == ENC_LISTPACK) {
        unsigned char *lp = h->ptr;
        unsigned char *p = lp_find(lp, lp_first(lp), f, flen, 1);
        if (!p) return 0;
        *v = lp_get_str(lp_next(lp, p), vlen, ibuf);
        return 1;
    }
    hash_node *n = (hash_node *)dict_find(h->ptr, f, flen);
    if (!n) return 0;
    *v = n->fv + n->flen;
    *vlen = n->vlen;
    return 1;
}

static int too_big_for_lp(size_t len) { return (long long)len > server.cfg.hash_max_listpack_value; }

int hash_set(hash_ref *h, const char *f, size_t flen, const char *v, size_t vlen)
{
    if (h->enc == ENC_LISTPACK &&
        (too_big_for_lp(flen) || too_big_for_lp(vlen) || !lp_safe_add(h->ptr, flen + vlen + 32)))
        convert_to_ht(h);
    if (h->enc == ENC_LISTPACK) {
        unsigned char *lp = h->ptr;
        unsigned char *p = lp_find(lp, lp_first(lp), f, flen, 1);
        if (p) {
            h->ptr = lp_replace(lp, lp_next(lp, p), v, vlen, NULL);
            return 0;
        }
        lp = lp_append(lp, f, flen);
        h->ptr = lp_append(lp, v, vlen);
        if ((long long)hash_len(h) > server.cfg.hash_max_listpack_entries) convert_to_ht(h);
        return 1;
    }
    hash_node *n = (hash_node *)dict_find(h->ptr, f, flen);
    if (n) {
        hnode_set_value(n, v, vlen);
        return 0;
    }
    dict_add(h->ptr, &hnode_new(f, flen, v, vlen)->link);
    return 1;
}

int hash_del(hash_ref *h, const char *f, size_t flen)
{
    if (h->enc == ENC_LISTPACK) {
        unsigned char *lp = h->ptr;
        unsigned char *p = lp_find(lp, lp_first(lp), f, flen, 1);
        if (!p) return 0;
        h->ptr = lp_delete_n(lp, p, 2, NULL);
        return 1;
    }
    dict_node *n = dict_unlink(h->ptr, f, flen);
    if (!n) return 0;
    hnode_free(n, NULL);
    /* as Redis after a delete: a mostly empty table costs memory, and
     * HRANDFIELD probes its empty buckets */
    dict_try_shrink(h->ptr);
    return 1;
}

int hash_foreach(const hash_ref *h, hash_visit_fn *fn, void *priv)
{
    if (h->enc == ENC_LISTPACK) {
        unsigned char *lp = h->ptr;
        char fb[UTIL_LL_STR_SIZE], vb[UTIL_LL_STR_SIZE];
        for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
            size_t fl, vl;
            const char *f = lp_get_str(p, &fl, fb);
            const char *v = lp_get_str(lp_next(lp, p), &vl, vb);
            int r = fn(priv, f, fl, v, vl);
            if (r) return r;
        }
        return 0;
    }
    dict_iter it;
    dict_iter_init(&it, h->ptr);
    dict_node *dn;
    int r = 0;
    while ((dn = dict_iter_next(&it))) {
        hash_node *n = (hash_node *)dn;
        if ((r = fn(priv, n->fv, n->flen, n->fv + n->flen, n->vlen))) break;
    }
    dict_iter_release(&it);
    return r;
}

/* ---- helpers ------------------------------------------------------------------- */

static inline hash_ref ref_of(const kv *e)
{
    hash_ref h = {e->enc, e->ptr};
    return h;
}

static inline void ref_store(kv *e, const hash_ref *h)
{
    e->enc = (uint8_t)h->enc;
    e->ptr = h->ptr;
}

/* The hash at key for writing, created if absent; NULL after WRONGTYPE. */
static kv *lookup_or_create(client *c, const arg *k)
{
    int wrong;
    kv *e = cmd_lookup_type(c, k, OBJ_HASH, &wrong);
    if (wrong) return NULL;
    if (!e) {
        e = hash_kv_new(k->p, k->len, hash_new());
        db_add(c->db, e);
    }
    return e;
}

/* Convert up front if any of the pairs argv[first..] is too long, as Redis
 * does (hashTypeTryConversion), so a multi-field HSET converts once. */
static void try_conversion(kv *e, client *c, int first)
{
    if (e->enc != ENC_LISTPACK) return;
    hash_ref h = ref_of(e);
    size_t sum = 0;
    for (int i = first; i < c->argc; i++) {
        sum += c->argv[i].len;
        if (too_big_for_lp(c->argv[i].len)) {
            convert_to_ht(&h);
            ref_store(e, &h);
            return;
        }
    }
    if (!lp_safe_add(h.ptr, sum)) {
        convert_to_ht(&h);
        ref_store(e, &h);
    }
}

/* ---- commands --------------------------------------------------------------------- */

static void hset_generic(client *c, int reply_count)
{
    if (c->argc % 2 == 1) {
        reply_errorf(c, "ERR wrong number of arguments for '%s' command", c->cmd->name);
        return;
    }
    kv *e = lookup_or_create(c, &c->argv[1]);
    if (!e) return;
    try_conversion(e, c, 2);
    hash_ref h = ref_of(e);
    long created = 0;
    for (int i = 2; i < c->argc; i += 2)
        created += hash_set(&h, c->argv[i].p, c->argv[i].len, c->argv[i + 1].p, c->argv[i + 1].len);
    ref_store(e, &h);
    db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
    server_dirty((uint64_t)(c->argc - 2) / 2);
    if (reply_count) reply_ll(c, created);
    else reply_ok(c);
}

/* HSET key field value [field value ...] */
void cmd_hset(client *c) { hset_generic(c, 1); }
/* HMSET key field value [field value ...] */
void cmd_hmset(client *c) { hset_generic(c, 0); }

/* HSETNX key field value */
void cmd_hsetnx(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_HASH, &wrong);
    if (wrong) return;
    if (e) {
        hash_ref h = ref_of(e);
        const char *v;
        size_t vl;
        char ib[UTIL_LL_STR_SIZE];
        if (hash_get(&h, c->argv[2].p, c->argv[2].len, &v, &vl, ib)) {
            reply_ll(c, 0);
            return;
        }
    }
    e = lookup_or_create(c, &c->argv[1]);
    try_conversion(e, c, 2);
    hash_ref h = ref_of(e);
    hash_set(&h, c->argv[2].p, c->argv[2].len, c->argv[3].p, c->argv[3].len);
    ref_store(e, &h);
    db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
    server_dirty(1);
    reply_ll(c, 1);
}

/* HGET/HSTRLEN/HEXISTS key field: the field's value.  -1 when a wrong-type
 * error was replied, 0 when the key or the field is missing, 1 found. */
static int field_of(client *c, const char **v, size_t *vl, char ib[UTIL_LL_STR_SIZE])
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_HASH, &wrong);
    if (wrong) return -1;
    if (!e) return 0;
    hash_ref h = ref_of(e);
    return hash_get(&h, c->argv[2].p, c->argv[2].len, v, vl, ib);
}

/* HGET key field */
void cmd_hget(client *c)
{
    const char *v;
    size_t vl;
    char ib[UTIL_LL_STR_SIZE];
    int found = field_of(c, &v, &vl, ib);
    if (found < 0) return;
    if (found) reply_bulk(c, v, vl);
    else reply_null(c);
}

/* HMGET key field [field ...] */
void cmd_hmget(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_HASH, &wrong);
    if (wrong) return;
    reply_array(c, c->argc - 2);
    hash_ref h = {0, NULL};
    if (e) h = ref_of(e);
    for (int i = 2; i < c->argc; i++) {
        const char *v;
        size_t vl;
        char ib[UTIL_LL_STR_SIZE];
        if (e && hash_get(&h, c->argv[i].p, c->argv[i].len, &v, &vl, ib)) reply_bulk(c, v, vl);
        else reply_null(c);
    }
}

/* HDEL key field [field ...] */
void cmd_hdel(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_HASH, &wrong);
    if (wrong) return;
    if (!e) {
        reply_ll(c, 0);
        return;
    }
    hash_ref h = ref_of(e);
    long deleted = 0;
    for (int i = 2; i < c->argc; i++) {
        deleted += hash_del(&h, c->argv[i].p, c->argv[i].len);
        if (hash_len(&h) == 0) break;
    }
    ref_store(e, &h);
    if (deleted) {
        if (hash_len(&h) == 0) db_delete(c->db, c->argv[1].p, c->argv[1].len);
        else db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
        server_dirty((uint64_t)deleted);
    }
    reply_ll(c, deleted);
}

/* HLEN key */
void cmd_hlen(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_HASH, &wrong);
    if (wrong) return;
    hash_ref h;
    if (e) h = ref_of(e);
    reply_ll(c, e ? (long long)hash_len(&h) : 0);
}

/* HSTRLEN key field */
void cmd_hstrlen(client *c)
{
    const char *v;
    size_t vl;
    char ib[UTIL_LL_STR_SIZE];
    int found = field_of(c, &v, &vl, ib);
    if (found >= 0) reply_ll(c, found ? (long long)vl : 0);
}

/* HEXISTS key field */
void cmd_hexists(client *c)
{
    const char *v;
    size_t vl;
    char ib[UTIL_LL_STR_SIZE];
    int found = field_of(c, &v, &vl, ib);
    if (found >= 0) reply_ll(c, found);
}

#define GA_KEYS 1
#define GA_VALS 2

struct getall_ctx {
    client *c;
    int what;
};

static int getall_visit(void *priv, const char *f, size_t fl, const char *v, size_t vl)
{
    struct getall_ctx *x = priv;
    if (x->what & GA_KEYS) reply_bulk(x->c, f, fl);
    if (x->what & GA_VALS) reply_bulk(x->c, v, vl);
    return 0;
}

static void getall_generic(client *c, int what)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_HASH, &wrong);
    if (wrong) return;
    if (!e) {
        if (what == (GA_KEYS | GA_VALS)) reply_map(c, 0);
        else reply_empty_array(c);
        return;
    }
    hash_ref h = ref_of(e);
    long n = (long)hash_len(&h);
    if (what == (GA_KEYS | GA_VALS)) reply_map(c, n);
    else reply_array(c, n);
    struct getall_ctx x = {c, what};
    hash_foreach(&h, getall_visit, &x);
}

/* HGETALL key */
void cmd_hgetall(client *c) { getall_generic(c, GA_KEYS | GA_VALS); }
/* HKEYS key */
void cmd_hkeys(client *c) { getall_generic(c, GA_KEYS); }
/* HVALS key */
void cmd_hvals(client *c) { getall_generic(c, GA_VALS); }

/* HINCRBY key field increment */
void cmd_hincrby(client *c)
{
    long long incr, cur = 0;
    if (!arg_ll(c, &c->argv[3], &incr)) return;
    kv *e = lookup_or_create(c, &c->argv[1]);
    if (!e) return;
    hash_ref h = ref_of(e);
    const char *v;
    size_t vl;
    char ib[UTIL_LL_STR_SIZE];
    if (hash_get(&h, c->argv[2].p, c->argv[2].len, &v, &vl, ib)) {
        if (!util_str2ll(v, vl, &cur)) {
            reply_error(c, "ERR hash value is not an integer");
            return;
        }
    }
    if ((incr < 0 && cur < 0 && incr < LLONG_MIN - cur) || (incr > 0 && cur > 0 && incr > LLONG_MAX - cur)) {
        reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    cur += incr;
    char buf[UTIL_LL_STR_SIZE];
    size_t n = util_ll2str(buf, cur);
    if (too_big_for_lp(c->argv[2].len) && h.enc == ENC_LISTPACK) convert_to_ht(&h);
    hash_set(&h, c->argv[2].p, c->argv[2].len, buf, n);
    ref_store(e, &h);
    db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
    server_dirty(1);
    reply_ll(c, cur);
}

/* HINCRBYFLOAT key field increment */
void cmd_hincrbyfloat(client *c)
{
    long double incr, cur = 0;
    if (!util_str2ld(c->argv[3].p, c->argv[3].len, &incr)) {
        reply_err_not_float(c);
        return;
    }
    if (isnan(incr) || isinf(incr)) {
        reply_error(c, "ERR value is NaN or Infinity");
        return;
    }
    kv *e = lookup_or_create(c, &c->argv[1]);
    if (!e) return;
    hash_ref h = ref_of(e);
    const char *v;
    size_t vl;
    char ib[UTIL_LL_STR_SIZE];
    if (hash_get(&h, c->argv[2].p, c->argv[2].len, &v, &vl, ib)) {
        if (!util_str2ld(v, vl, &cur)) {
            reply_error(c, "ERR hash value is not a float");
            return;
        }
    }
    cur += incr;
    if (isnan(cur) || isinf(cur)) {
        reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    char buf[5 * 1024];     /* a long double in %Lf notation can take ~5000 digits */
    size_t n = util_ld2str_human(buf, sizeof(buf), cur);
    if (h.enc == ENC_LISTPACK && (too_big_for_lp(c->argv[2].len) || too_big_for_lp(n))) convert_to_ht(&h);
    hash_set(&h, c->argv[2].p, c->argv[2].len, buf, n);
    ref_store(e, &h);
    db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
    server_dirty(1);
    reply_bulk(c, buf, n);
    fx_rewrite_strs(c, "HSET", (size_t)4, c->argv[1].p, c->argv[1].len, c->argv[2].p, c->argv[2].len, buf, n,
                    NULL);
}

/* ---- HRANDFIELD ----------------------------------------------------------------- */

/* One pair picked at random: for a listpack an index, for a table a node. */
typedef struct pick {
    const char *f, *v;
    size_t fl, vl;
    char fb[UTIL_LL_STR_SIZE], vb[UTIL_LL_STR_SIZE];
} pick;

static void pick_lp_at(unsigned char *lp, unsigned char *p, pick *k)
{
    k->f = lp_get_str(p, &k->fl, k->fb);
    k->v = lp_get_str(lp_next(lp, p), &k->vl, k->vb);
}

static void pick_node(hash_node *n, pick *k)
{
    k->f = n->fv;
    k->fl = n->flen;
    k->v = n->fv + n->flen;
    k->vl = n->vlen;
}

static void reply_pick(client *c, const pick *k, int withvalues)
{
    if (withvalues && c->resp > 2) reply_array(c, 2);
    reply_bulk(c, k->f, k->fl);
    if (withvalues) reply_bulk(c, k->v, k->vl);
}

/* HRANDFIELD key [count [WITHVALUES]] */
void cmd_hrandfield(client *c)
{
    long long count = 0;
    int withvalues = 0, has_count = c->argc >= 3;
    if (c->argc > 4 || (c->argc == 4 && !ARGEQ(c->argv[3], "withvalues"))) {
        reply_err_syntax(c);
        return;
    }
    withvalues = c->argc == 4;
    if (has_count) {
        if (!util_str2ll(c->argv[2].p, c->argv[2].len, &count)) {
            reply_err_not_int(c);
            return;
        }
        if (count < -LONG_MAX) {
            reply_errorf(c, "ERR value is out of range, value must between %ld and %ld", -LONG_MAX, LONG_MAX);
            return;
        }
        if (withvalues && count < -LONG_MAX / 2) {
            reply_errorf(c, "ERR value is out of range");
            return;
        }
    }
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_HASH, &wrong);
    if (wrong) return;
    if (!e) {
        if (has_count) reply_empty_array(c);
        else reply_null(c);
        return;
    }
    hash_ref h = ref_of(e);
    unsigned long size = hash_len(&h);
    pick k;
    if (!has_count) {
        if (h.enc == ENC_LISTPACK) {
            unsigned char *lp = h.ptr;
            pick_lp_at(lp, lp_seek(lp, (long)(util_rand64() % size) * 2), &k);
        } else {
            pick_node((hash_node *)dict_random(h.ptr), &k);
        }
        reply_bulk(c, k.f, k.fl);
        return;
    }
    if (count == 0) {
        reply_empty_array(c);
        return;
    }
    if (count < 0) {
        /* repetitions allowed: independent picks */
        unsigned long n = (unsigned long)-count;
        if (withvalues && c->resp == 2) reply_array(c, (long)n * 2);
        else reply_array(c, (long)n);
        for (unsigned long i = 0; i < n; i++) {
            if (h.enc == ENC_LISTPACK) {
                unsigned char *lp = h.ptr;
                pick_lp_at(lp, lp_seek(lp, (long)(util_rand64() % size) * 2), &k);
            } else {
                pick_node((hash_node *)dict_random(h.ptr), &k);
            }
            reply_pick(c, &k, withvalues);
        }
        return;
    }
    unsigned long n = (unsigned long)count;
    if (n >= size) {
        /* the whole hash, in its order */
        if (withvalues && c->resp == 2) reply_array(c, (long)size * 2);
        else reply_array(c, (long)size);
        if (h.enc == ENC_LISTPACK) {
            unsigned char *lp = h.ptr;
            for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
                pick_lp_at(lp, p, &k);
                reply_pick(c, &k, withvalues);
            }
        } else {
            dict_iter it;
            dict_iter_init(&it, h.ptr);
            dict_node *dn;
            while ((dn = dict_iter_next(&it))) {
                pick_node((hash_node *)dn, &k);
                reply_pick(c, &k, withvalues);
            }
            dict_iter_release(&it);
        }
        return;
    }
    /* distinct picks: a partial Fisher-Yates shuffle over positions */
    void **items = tier_dram_malloc(sizeof(void *) * size);
    unsigned long m = 0;
    if (h.enc == ENC_LISTPACK) {
        unsigned char *lp = h.ptr;
        for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) items[m++] = p;
    } else {
        dict_iter it;
        dict_iter_init(&it, h.ptr);
        dict_node *dn;
        while ((dn = dict_iter_next(&it))) items[m++] = dn;
        dict_iter_release(&it);
    }
    if (withvalues && c->resp == 2) reply_array(c, (long)n * 2);
    else reply_array(c, (long)n);
    for (unsigned long i = 0; i < n; i++) {
        unsigned long j = i + util_rand64() % (m - i);
        void *t = items[i];
        items[i] = items[j];
        items[j] = t;
        if (h.enc == ENC_LISTPACK) pick_lp_at(h.ptr, items[i], &k);
        else pick_node(items[i], &k);
        reply_pick(c, &k, withvalues);
    }
    tier_dram_free(items);
}

/* ---- HSCAN ------------------------------------------------------------------------- */

struct hscan_ctx {
    client *c;
    const scan_args *a;
    long n;
};

static int hscan_lp_visit(void *priv, const char *f, size_t fl, const char *v, size_t vl)
{
    struct hscan_ctx *x = priv;
    if (!scan_match(x->a, f, fl)) return 0;
    reply_bulk(x->c, f, fl);
    reply_bulk(x->c, v, vl);
    x->n += 2;
    return 0;
}

/* HSCAN key cursor [MATCH pattern] [COUNT count] */
static long hscan_emit(client *c, const dict_node *n, const scan_args *a)
{
    const hash_node *hn = (const hash_node *)n;
    if (!scan_match(a, hn->fv, hn->flen)) return 0;
    reply_bulk(c, hn->fv, hn->flen);
    reply_bulk(c, hn->fv + hn->flen, hn->vlen);
    return 2;
}

void cmd_hscan(client *c)
{
    scan_args a;
    kv *e = scan_open_key(c, OBJ_HASH, &a);
    if (!e) return;
    hash_ref h = ref_of(e);
    if (h.enc == ENC_LISTPACK) {
        /* a compact hash is returned whole, with cursor 0, as Redis does */
        struct hscan_ctx x = {c, &a, 0};
        reply_bulk(c, "0", 1);
        reply_deferred d = reply_defer(c);
        hash_foreach(&h, hscan_lp_visit, &x);
        reply_set_deferred_array(c, d, x.n);
        return;
    }
    scan_reply_nodes(c, h.ptr, &a, hscan_emit);
}
