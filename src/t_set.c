/* t_set.c -- the set type: values (intset / hash table, see t_set.h) and
 * the S* commands, with Redis 7.0's replies.
 *
 * Effects: SPOP and SRANDMEMBER are the only non-deterministic commands.
 * SPOP is journalled as SREM of exactly the members it popped, or as DEL
 * when it took the whole set; SRANDMEMBER does not write.
 */
#include "t_set.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "db.h"
#include "effects.h"
#include "intset.h"
#include "scan.h"
#include "server.h"
#include "tier.h"


/* ---- values ---------------------------------------------------------------- */

static const char *member_key(const dict_node *n, size_t *len)
{
    const set_member *m = (const set_member *)n;
    *len = m->len;
    return m->p;
}
static const dict_type member_dict_type = {.key = member_key};

static set_member *member_new(const char *p, size_t len)
{
    set_member *m = tier_dram_malloc(sizeof(*m));
    m->node.next = NULL;
    m->len = (uint32_t)len;
    m->p = tier_malloc(len ? len : 1);
    memcpy(m->p, p, len);
    return m;
}

static void member_free(dict_node *n, void *priv)
{
    (void)priv;
    set_member *m = (set_member *)n;
    tier_free(m->p);
    tier_dram_free(m);
}

static int as_int(const char *p, size_t len, int64_t *v)
{
    long long x;
    if (len == 0 || len >= UTIL_LL_STR_SIZE || !util_str2ll(p, len, &x)) return 0;
    *v = x;
    return 1;
}

void setval_new_ht(setval *s, uint64_t n)
{
    dict *d = tier_dram_malloc(sizeof(*d));
    dict_init(d, &member_dict_type);
    if (n) dict_expand(d, n);
    s->enc = ENC_HT;
    s->ptr = d;
}

void setval_new(setval *s, const char *p, size_t len)
{
    int64_t v;
    if (server.cfg.set_max_intset_entries > 0 && as_int(p, len, &v)) {
        s->enc = ENC_INTSET;
        s->ptr = intset_new();
    } else {
        setval_new_ht(s, 0);
    }
}

static void convert_to_ht(setval *s)
{
    intset *is = s->ptr;
    setval n;
    setval_new_ht(&n, intset_len(is) + 1);
    for (uint32_t i = 0; i < intset_len(is); i++) {
        char buf[UTIL_LL_STR_SIZE];
        size_t l = util_ll2str(buf, intset_get(is, i));
        dict_add(n.ptr, &member_new(buf, l)->node);
    }
    intset_free(is);
    *s = n;
}

int setval_add(setval *s, const char *p, size_t len)
{
    if (s->enc == ENC_INTSET) {
        int64_t v;
        if (as_int(p, len, &v)) {
            int added;
            s->ptr = intset_add(s->ptr, v, &added);
            if (added && (long long)intset_len(s->ptr) > server.cfg.set_max_intset_entries) convert_to_ht(s);
            return added;
        }
        convert_to_ht(s);
    }
    dict *d = s->ptr;
    if (dict_find(d, p, len)) return 0;
    dict_add(d, &member_new(p, len)->node);
    return 1;
}

int setval_remove(setval *s, const char *p, size_t len)
{
    if (s->enc == ENC_INTSET) {
        int64_t v;
        int removed = 0;
        if (as_int(p, len, &v)) s->ptr = intset_remove(s->ptr, v, &removed);
        return removed;
    }
    dict_node *n = dict_unlink(s->ptr, p, len);
    if (!n) return 0;
    member_free(n, NULL);
    /* as Redis after a delete: SPOP/SRANDMEMBER probe random buckets, so a
     * drained table left at its peak size makes every pick slower */
    dict_try_shrink(s->ptr);
    return 1;
}

int setval_has(const setval *s, const char *p, size_t len)
{
    if (s->enc == ENC_INTSET) {
        int64_t v;
        return as_int(p, len, &v) && intset_find(s->ptr, v);
    }
    return dict_find(s->ptr, p, len) != NULL;
}

uint64_t setval_size(const setval *s)
{
    return s->enc == ENC_INTSET ? intset_len(s->ptr) : dict_size(s->ptr);
}

void setval_free(int enc, void *ptr)
{
    if (enc == ENC_INTSET) {
        intset_free(ptr);
        return;
    }
    dict_clear(ptr, member_free, NULL);
    tier_dram_free(ptr);
}

void *setval_dup(int enc, const void *ptr)
{
    if (enc == ENC_INTSET) return intset_dup(ptr);
    setval src = {.enc = (uint8_t)enc, .ptr = (void *)ptr}, dst;
    setval_new_ht(&dst, setval_size(&src));
    setval_iter it;
    const char *p;
    size_t len;
    setval_iter_init(&it, &src);
    while (setval_iter_next(&it, &p, &len)) dict_add(dst.ptr, &member_new(p, len)->node);
    setval_iter_release(&it);
    return dst.ptr;
}

void setval_iter_init(setval_iter *it, const setval *s)
{
    it->s = s;
    it->pos = 0;
    if (s->enc == ENC_HT) dict_iter_init(&it->di, s->ptr);
}

int setval_iter_next(setval_iter *it, const char **p, size_t *len)
{
    if (it->s->enc == ENC_INTSET) {
        if (it->pos >= intset_len(it->s->ptr)) return 0;
        *len = util_ll2str(it->buf, intset_get(it->s->ptr, it->pos++));
        *p = it->buf;
        return 1;
    }
    dict_node *n = dict_iter_next(&it->di);
    if (!n) return 0;
    *p = member_key(n, len);
    return 1;
}

void setval_iter_release(setval_iter *it)
{
    if (it->s->enc == ENC_HT) dict_iter_release(&it->di);
}

void setval_random(const setval *s, char buf[UTIL_LL_STR_SIZE], const char **p, size_t *len)
{
    if (s->enc == ENC_INTSET) {
        *len = util_ll2str(buf, intset_random(s->ptr));
        *p = buf;
        return;
    }
    dict_node *n = dict_random(s->ptr);
    *p = member_key(n, len);
}

void t_set_register(void) { db_register_type(OBJ_SET, setval_free, setval_dup); }

/* ---- helpers for the commands ------------------------------------------------ */

static inline setval sv_of(const kv *e) { return (setval){.enc = e->enc, .ptr = e->ptr}; }
static inline void sv_store(kv *e, const setval *s)
{
    e->enc = s->enc;
    e->ptr = s->ptr;
}

/* Every member, as a RESP3 set, or as an array when as_array. */
static void reply_members_as(client *c, const setval *s, int as_array)
{
    setval_iter it;
    const char *p;
    size_t len;
    if (as_array) reply_array(c, (long)setval_size(s));
    else reply_set(c, (long)setval_size(s));
    setval_iter_init(&it, s);
    while (setval_iter_next(&it, &p, &len)) reply_bulk(c, p, len);
    setval_iter_release(&it);
}

static void reply_members(client *c, const setval *s) { reply_members_as(c, s, 0); }

/* ---- commands ---------------------------------------------------------------- */

/* SADD key member [member ...] */
void cmd_sadd(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_SET, &wrong);
    if (wrong) return;
    setval s;
    if (e) s = sv_of(e);
    else setval_new(&s, c->argv[2].p, c->argv[2].len);
    long long added = 0;
    for (int i = 2; i < c->argc; i++) added += setval_add(&s, c->argv[i].p, c->argv[i].len);
    if (e) sv_store(e, &s);
    else db_add(c->db, kv_new(c->argv[1].p, c->argv[1].len, OBJ_SET, s.enc, s.ptr));
    if (added) {
        db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
        server_dirty((uint64_t)added);
    }
    reply_ll(c, added);
}

/* SREM key member [member ...] */
void cmd_srem(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_SET, &wrong);
    if (wrong) return;
    if (!e) { reply_ll(c, 0); return; }
    setval s = sv_of(e);
    long long removed = 0;
    for (int i = 2; i < c->argc; i++) {
        removed += setval_remove(&s, c->argv[i].p, c->argv[i].len);
        if (setval_size(&s) == 0) break;
    }
    sv_store(e, &s);
    if (setval_size(&s) == 0) db_delete(c->db, c->argv[1].p, c->argv[1].len);
    if (removed) {
        db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
        server_dirty((uint64_t)removed);
    }
    reply_ll(c, removed);
}

/* SMEMBERS key */
void cmd_smembers(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_SET, &wrong);
    if (wrong) return;
    if (!e) { reply_set(c, 0); return; }
    setval s = sv_of(e);
    reply_members(c, &s);
}

/* SISMEMBER key member */
void cmd_sismember(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_SET, &wrong);
    if (wrong) return;
    setval s = e ? sv_of(e) : (setval){0};
    reply_ll(c, e && setval_has(&s, c->argv[2].p, c->argv[2].len));
}

/* SMISMEMBER key member [member ...] */
void cmd_smismember(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_SET, &wrong);
    if (wrong) return;
    setval s = e ? sv_of(e) : (setval){0};
    reply_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) reply_ll(c, e && setval_has(&s, c->argv[i].p, c->argv[i].len));
}

/* SCARD key */
void cmd_scard(client *c)
{
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_SET, &wrong);
    if (wrong) return;
    setval s = e ? sv_of(e) : (setval){0};
    reply_ll(c, e ? (long long)setval_size(&s) : 0);
}

/* An owned copy of a member, for replies and effects built after the set
 * changed. */
typedef struct mcopy {
    char *p;
    size_t len;
} mcopy;

/* SPOP key [count] */
void cmd_spop(client *c)
{
    long long count = 1;
    int with_count = c->argc == 3;
    if (c->argc > 3) { reply_err_syntax(c); return; }
    if (with_count) {
        if (!util_str2ll(c->argv[2].p, c->argv[2].len, &count) || count < 0) {
            reply_error(c, "ERR value is out of range, must be positive");
            return;
        }
    }
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_SET, &wrong);
    if (wrong) return;
    if (!e) {
        if (with_count) reply_set(c, 0);
        else reply_null(c);
        return;
    }
    if (with_count && count == 0) { reply_set(c, 0); return; }
    setval s = sv_of(e);
    uint64_t size = setval_size(&s);
    const arg *key = &c->argv[1];
    if ((uint64_t)count >= size && with_count) {
        /* the whole set goes: reply every member, journal a DEL */
        reply_members(c, &s);
        db_delete(c->db, key->p, key->len);
        fx_rewrite_strs(c, "DEL", (size_t)3, key->p, key->len, NULL);
        db_signal_modified(c->db, key->p, key->len);
        server_dirty(size);
        return;
    }
    /* SPOP key (one member) is the common case: no allocation for it */
    arg fx_small[3];
    char copy_small[64];
    arg *fx = count == 1 ? fx_small : tier_dram_malloc(sizeof(arg) * (size_t)(count + 2));
    fx[0] = (arg){.p = "SREM", .len = 4};
    fx[1] = *key;
    if (with_count) reply_set(c, (long)count);
    for (long long i = 0; i < count; i++) {
        char buf[UTIL_LL_STR_SIZE];
        const char *p;
        size_t len;
        setval_random(&s, buf, &p, &len);
        char *cp = count == 1 && len <= sizeof(copy_small) ? copy_small : tier_dram_malloc(len ? len : 1);
        memcpy(cp, p, len);
        fx[i + 2] = (arg){.p = cp, .len = len};
        reply_bulk(c, cp, len);
        setval_remove(&s, cp, len);
    }
    sv_store(e, &s);
    if (setval_size(&s) == 0) db_delete(c->db, key->p, key->len);
    fx_rewrite(c, (int)count + 2, fx);
    for (long long i = 0; i < count; i++)
        if (fx[i + 2].p != copy_small) tier_dram_free(fx[i + 2].p);
    if (fx != fx_small) tier_dram_free(fx);
    db_signal_modified(c->db, key->p, key->len);
    server_dirty((uint64_t)count);
}

/* SRANDMEMBER key [count] */
void cmd_srandmember(client *c)
{
    if (c->argc > 3) { reply_err_syntax(c); return; }
    long long count = 0;
    if (c->argc == 3) {
        if (!util_str2ll(c->argv[2].p, c->argv[2].len, &count)) { reply_err_not_int(c); return; }
        if (count == LLONG_MIN) { reply_error(c, "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"); return; }
    }
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], OBJ_SET, &wrong);
    if (wrong) return;
    char buf[UTIL_LL_STR_SIZE];
    const char *p;
    size_t len;
    if (c->argc == 2) {
        if (!e) { reply_null(c); return; }
        setval s = sv_of(e);
        setval_random(&s, buf, &p, &len);
        reply_bulk(c, p, len);
        return;
    }
    if (!e || count == 0) { reply_empty_array(c); return; }
    setval s = sv_of(e);
    uint64_t size = setval_size(&s);
    if (count < 0) {
        /* repetitions allowed: independent draws */
        reply_array(c, (long)-count);
        for (long long i = 0; i < -count; i++) {
            setval_random(&s, buf, &p, &len);
            reply_bulk(c, p, len);
        }
        return;
    }
    if ((uint64_t)count >= size) { reply_members_as(c, &s, 1); return; }
    /* distinct members: collect into a temporary hash set.  When count is
     * close to the size, remove random members from a full copy instead,
     * so the draw does not slow down as it fills. */
    setval pick;
    setval_new_ht(&pick, 0);
    if ((uint64_t)count * 3 > size) {
        setval_iter it;
        setval_iter_init(&it, &s);
        while (setval_iter_next(&it, &p, &len)) setval_add(&pick, p, len);
        setval_iter_release(&it);
        while (setval_size(&pick) > (uint64_t)count) {
            setval_random(&pick, buf, &p, &len);
            char tmp[64];
            char *cp = len <= sizeof(tmp) ? tmp : tier_dram_malloc(len);
            memcpy(cp, p, len);
            setval_remove(&pick, cp, len);
            if (cp != tmp) tier_dram_free(cp);
        }
    } else {
        while (setval_size(&pick) < (uint64_t)count) {
            setval_random(&s, buf, &p, &len);
            setval_add(&pick, p, len);
        }
    }
    reply_array(c, (long)count);
    setval_iter it;
    setval_iter_init(&it, &pick);
    while (setval_iter_next(&it, &p, &len)) reply_bulk(c, p, len);
    setval_iter_release(&it);
    setval_free(pick.enc, pick.ptr);
}

/* SMOVE source destination member */
void cmd_smove(client *c)
{
    int wrong;
    const arg *src = &c->argv[1], *dst = &c->argv[2], *m = &c->argv[3];
    kv *se = cmd_lookup_type(c, src, OBJ_SET, &wrong);
    if (wrong) return;
    kv *de = cmd_lookup_type(c, dst, OBJ_SET, &wrong);
    if (wrong) return;
    if (!se) { reply_ll(c, 0); return; }
    setval s = sv_of(se);
    if (se == de) { reply_ll(c, setval_has(&s, m->p, m->len)); return; }
    if (!setval_remove(&s, m->p, m->len)) { reply_ll(c, 0); return; }
    sv_store(se, &s);
    if (setval_size(&s) == 0) db_delete(c->db, src->p, src->len);
    db_signal_modified(c->db, src->p, src->len);
    setval ds;
    if (de) ds = sv_of(de);
    else setval_new(&ds, m->p, m->len);
    setval_add(&ds, m->p, m->len);
    if (de) sv_store(de, &ds);
    else db_add(c->db, kv_new(dst->p, dst->len, OBJ_SET, ds.enc, ds.ptr));
    db_signal_modified(c->db, dst->p, dst->len);
    server_dirty(1);
    reply_ll(c, 1);
}

/* Store result s at key dst (deleting dst when s is empty) and reply its
 * size; s is consumed. */
static void store_result(client *c, const arg *dst, setval *s)
{
    uint64_t n = setval_size(s);
    if (n == 0) {
        setval_free(s->enc, s->ptr);
        if (db_lookup(c->db, dst->p, dst->len)) {
            db_delete(c->db, dst->p, dst->len);
            db_signal_modified(c->db, dst->p, dst->len);
            server_dirty(1);
        }
    } else {
        db_set(c->db, kv_new(dst->p, dst->len, OBJ_SET, s->enc, s->ptr), 0);
        db_signal_modified(c->db, dst->p, dst->len);
        server_dirty(1);
    }
    reply_ll(c, (long long)n);
}

static int cmp_size(const void *a, const void *b)
{
    uint64_t x = setval_size(a), y = setval_size(b);
    return x < y ? -1 : x > y;
}

/* The intersection of sets keys[0..n): replies (or stores at dst, or counts
 * up to limit when card). */
static void inter_generic(client *c, const arg *keys, int n, const arg *dst, int card, long long limit)
{
    setval *sets = tier_dram_malloc(sizeof(setval) * (size_t)n);
    int empty = 0;
    for (int i = 0; i < n; i++) {
        int wrong;
        kv *e = cmd_lookup_type(c, &keys[i], OBJ_SET, &wrong);
        if (wrong) { tier_dram_free(sets); return; }
        if (e) sets[i] = sv_of(e);
        else empty = 1;
    }
    /* every key is type-checked first; then a missing key means empty */
    if (empty) {
        tier_dram_free(sets);
        if (dst) {
            if (db_lookup(c->db, dst->p, dst->len)) {
                db_delete(c->db, dst->p, dst->len);
                db_signal_modified(c->db, dst->p, dst->len);
                server_dirty(1);
            }
            reply_ll(c, 0);
        } else if (card) {
            reply_ll(c, 0);
        } else {
            reply_set(c, 0);
        }
        return;
    }
    qsort(sets, (size_t)n, sizeof(setval), cmp_size);
    setval out = {0};
    reply_deferred d = {0};
    long long found = 0;
    if (dst) setval_new(&out, "0", 1);
    else if (!card) d = reply_defer(c);
    setval_iter it;
    const char *p;
    size_t len;
    setval_iter_init(&it, &sets[0]);
    while (setval_iter_next(&it, &p, &len)) {
        int j;
        for (j = 1; j < n; j++) {
            if (sets[j].ptr == sets[0].ptr) continue;
            if (!setval_has(&sets[j], p, len)) break;
        }
        if (j < n) continue;
        found++;
        if (dst) setval_add(&out, p, len);
        else if (!card) reply_bulk(c, p, len);
        else if (limit && found >= limit) break;
    }
    setval_iter_release(&it);
    tier_dram_free(sets);
    if (dst) store_result(c, dst, &out);
    else if (card) reply_ll(c, found);
    else reply_set_deferred_set(c, d, (long)found);
}

/* SINTER key [key ...] */
void cmd_sinter(client *c) { inter_generic(c, c->argv + 1, c->argc - 1, NULL, 0, 0); }
/* SINTERSTORE destination key [key ...] */
void cmd_sinterstore(client *c) { inter_generic(c, c->argv + 2, c->argc - 2, &c->argv[1], 0, 0); }

/* SINTERCARD numkeys key [key ...] [LIMIT limit] */
void cmd_sintercard(client *c)
{
    long long n, limit = 0;
    if (!util_str2ll(c->argv[1].p, c->argv[1].len, &n) || n <= 0) {
        reply_error(c, "ERR numkeys should be greater than 0");
        return;
    }
    if (n > c->argc - 2) {
        reply_error(c, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (int i = 2 + (int)n; i < c->argc; i++) {
        if (ARGEQ(c->argv[i], "limit") && i + 1 < c->argc) {
            if (!util_str2ll(c->argv[i + 1].p, c->argv[i + 1].len, &limit) || limit < 0) {
                reply_error(c, "ERR LIMIT can't be negative");
                return;
            }
            i++;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    inter_generic(c, c->argv + 2, (int)n, NULL, 1, limit);
}

/* Keys of SINTERCARD numkeys key... (numkeys at argv[1]). */
int tset_getkeys_numkeys1(int argc, const arg *argv, int *keys, int max)
{
    long long n;
    if (argc < 2 || !util_str2ll(argv[1].p, argv[1].len, &n) || n <= 0 || n > argc - 2) return 0;
    int k = 0;
    for (long long i = 0; i < n && k < max; i++) keys[k++] = 2 + (int)i;
    return k;
}

#define OP_UNION 0
#define OP_DIFF 1

static void union_diff_generic(client *c, const arg *keys, int n, const arg *dst, int op)
{
    setval *sets = tier_dram_malloc(sizeof(setval) * (size_t)n);
    for (int i = 0; i < n; i++) {
        int wrong;
        kv *e = cmd_lookup_type(c, &keys[i], OBJ_SET, &wrong);
        if (wrong) { tier_dram_free(sets); return; }
        sets[i] = e ? sv_of(e) : (setval){.enc = 0, .ptr = NULL};
    }
    setval out;
    setval_new(&out, "0", 1);
    setval_iter it;
    const char *p;
    size_t len;
    if (op == OP_UNION) {
        for (int i = 0; i < n; i++) {
            if (!sets[i].ptr) continue;
            setval_iter_init(&it, &sets[i]);
            while (setval_iter_next(&it, &p, &len)) setval_add(&out, p, len);
            setval_iter_release(&it);
        }
    } else if (sets[0].ptr) {
        setval_iter_init(&it, &sets[0]);
        while (setval_iter_next(&it, &p, &len)) {
            int j;
            for (j = 1; j < n; j++) {
                if (!sets[j].ptr) continue;
                if (sets[j].ptr == sets[0].ptr || setval_has(&sets[j], p, len)) break;
            }
            if (j == n) setval_add(&out, p, len);
        }
        setval_iter_release(&it);
    }
    tier_dram_free(sets);
    if (dst) {
        store_result(c, dst, &out);
    } else {
        reply_members(c, &out);
        setval_free(out.enc, out.ptr);
    }
}

/* SUNION key [key ...] */
void cmd_sunion(client *c) { union_diff_generic(c, c->argv + 1, c->argc - 1, NULL, OP_UNION); }
/* SUNIONSTORE destination key [key ...] */
void cmd_sunionstore(client *c) { union_diff_generic(c, c->argv + 2, c->argc - 2, &c->argv[1], OP_UNION); }
/* SDIFF key [key ...] */
void cmd_sdiff(client *c) { union_diff_generic(c, c->argv + 1, c->argc - 1, NULL, OP_DIFF); }
/* SDIFFSTORE destination key [key ...] */
void cmd_sdiffstore(client *c) { union_diff_generic(c, c->argv + 2, c->argc - 2, &c->argv[1], OP_DIFF); }

/* ---- SSCAN ---------------------------------------------------------------------- */

/* SSCAN key cursor [MATCH pattern] [COUNT count] */
static long sscan_emit(client *c, const dict_node *n, const scan_args *a)
{
    const set_member *m = (const set_member *)n;
    if (!scan_match(a, m->p, m->len)) return 0;
    reply_bulk(c, m->p, m->len);
    return 1;
}

void cmd_sscan(client *c)
{
    scan_args a;
    kv *e = scan_open_key(c, OBJ_SET, &a);
    if (!e) return;
    setval s = sv_of(e);
    if (s.enc == ENC_INTSET) {
        reply_bulk(c, "0", 1);
        reply_deferred d = reply_defer(c);
        long n = 0;
        setval_iter it;
        const char *p;
        size_t len;
        setval_iter_init(&it, &s);
        while (setval_iter_next(&it, &p, &len)) {
            if (!scan_match(&a, p, len)) continue;
            reply_bulk(c, p, len);
            n++;
        }
        setval_iter_release(&it);
        reply_set_deferred_array(c, d, n);
        return;
    }
    scan_reply_nodes(c, s.ptr, &a, sscan_emit);
}
