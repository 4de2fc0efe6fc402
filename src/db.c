/* db.c -- keyspace and expiry; see db.h.
 *
 * Why keys and values share one block: a key costs one DRAM allocation (plus
 * a payload block for strings longer than EMBSTR_MAX), against Redis's
 * dictEntry + key sds + robj (+ value sds).  The price is that a kv moves
 * when its size changes, which db.h makes explicit.
 *
 * The TTL array holds every kv with KV_HAS_EXPIRE; the kv stores its index
 * there, so removal is swap-with-last and sampling is a random index.
 */
#include "db.h"

#include <stddef.h>
#include <string.h>

#include "log.h"
#include "tier.h"
#include "util.h"

#define KV_HDR offsetof(kv, data)

uint32_t db_lru_clock;
int64_t db_now_ms;
uint64_t db_stat_expired_keys, db_stat_hits, db_stat_misses;

static kv_free_fn *type_free[8];
static kv_dup_fn *type_dup[8];
static db_modified_hook *modified_hook;
static db_expired_hook *expired_hook;

void db_register_type(int type, kv_free_fn *free_fn, kv_dup_fn *dup_fn)
{
    type_free[type] = free_fn;
    type_dup[type] = dup_fn;
}
void db_set_modified_hook(db_modified_hook *fn) { modified_hook = fn; }
void db_set_expired_hook(db_expired_hook *fn) { expired_hook = fn; }
void db_signal_modified(db *d, const char *key, size_t len)
{
    if (modified_hook) modified_hook(d, key, len);
}

static const char *kv_dict_key(const dict_node *n, size_t *len)
{
    const kv *e = (const kv *)n;
    *len = e->keylen;
    return kv_key(e);
}

static const dict_type kv_dict_type = {.key = kv_dict_key};

void db_init(db *d, int id)
{
    memset(d, 0, sizeof(*d));
    dict_init(&d->keys, &kv_dict_type);
    d->id = id;
}

static void free_node(dict_node *n, void *priv)
{
    (void)priv;
    kv_free((kv *)n);
}

void db_clear(db *d)
{
    int id = d->id;
    dict_clear(&d->keys, free_node, NULL);
    tier_dram_free(d->ttl);
    d->ttl = NULL;
    d->nttl = d->ttl_cap = 0;
    d->id = id;
}

uint64_t db_size(db *d) { return dict_size(&d->keys); }

/* ---- entries ------------------------------------------------------------ */

static inline uint64_t kv_ttl_index(const kv *e)
{
    uint64_t i;
    memcpy(&i, e->data + 8, 8);
    return i;
}
static inline void kv_set_ttl_index(kv *e, uint64_t i) { memcpy(e->data + 8, &i, 8); }

static kv *kv_alloc(size_t klen, size_t extra, int with_expire)
{
    kv *e = tier_dram_malloc(KV_HDR + (with_expire ? 16 : 0) + klen + extra);
    e->node.next = NULL;
    e->lru = db_lru_clock;
    e->flags = with_expire ? KV_HAS_EXPIRE : 0;
    e->spare = 0;
    e->keylen = (uint32_t)klen;
    return e;
}

kv *kv_new(const char *key, size_t klen, int type, int enc, void *ptr)
{
    kv *e = kv_alloc(klen, 0, 0);
    memcpy(kv_key(e), key, klen);
    e->type = (uint8_t)type;
    e->enc = (uint8_t)enc;
    e->ptr = ptr;
    return e;
}

str *str_new(const char *p, size_t len)
{
    str *s = tier_malloc(sizeof(str) + len + 1);
    s->len = (uint32_t)len;
    if (p) memcpy(s->buf, p, len);
    else memset(s->buf, 0, len);
    s->buf[len] = '\0';
    return s;
}

size_t str_cap(const str *s) { return tier_usable_size(s) - sizeof(str) - 1; }

kv *kv_new_string(const char *key, size_t klen, const char *val, size_t vlen)
{
    long long ll;
    if (vlen <= 20 && vlen > 0 && util_str2ll(val, vlen, &ll))
        return kv_new_int(key, klen, ll);
    if (vlen <= EMBSTR_MAX && tier_places_on_dram(vlen)) {
        kv *e = kv_alloc(klen, vlen + 1, 0);
        memcpy(kv_key(e), key, klen);
        char *v = kv_key(e) + klen;
        memcpy(v, val, vlen);
        v[vlen] = '\0';
        e->type = OBJ_STRING;
        e->enc = ENC_EMBSTR;
        e->ptr = (void *)(uintptr_t)vlen;
        return e;
    }
    return kv_new(key, klen, OBJ_STRING, ENC_RAW, str_new(val, vlen));
}

kv *kv_new_int(const char *key, size_t klen, long long v)
{
    return kv_new(key, klen, OBJ_STRING, ENC_INT, (void *)(intptr_t)v);
}

void kv_free_value(int type, int enc, void *ptr)
{
    if (type == OBJ_STRING) {
        if (enc == ENC_RAW) tier_free(ptr);
        return;
    }
    if (type_free[type]) type_free[type](enc, ptr);
}

void kv_free(kv *e)
{
    kv_free_value(e->type, e->enc, e->ptr);
    tier_dram_free(e);
}

static size_t kv_emb_extra(const kv *e)
{
    return e->enc == ENC_EMBSTR ? (size_t)(uintptr_t)e->ptr + 1 : 0;
}

/* Copy of src with a different key and no expiry; the value moves over
 * (src must be freed with tier_dram_free only). */
kv *kv_rekey(kv *src, const char *key, size_t klen)
{
    size_t extra = kv_emb_extra(src);
    kv *e = kv_alloc(klen, extra, 0);
    memcpy(kv_key(e), key, klen);
    e->type = src->type;
    e->enc = src->enc;
    e->ptr = src->ptr;
    e->lru = src->lru;
    if (extra) memcpy(kv_key(e) + klen, kv_key(src) + src->keylen, extra);
    return e;
}

kv *kv_dup_with_key(const kv *src, const char *key, size_t klen)
{
    kv *e = kv_rekey((kv *)src, key, klen);
    if (src->type == OBJ_STRING) {
        if (src->enc == ENC_RAW) {
            const str *s = src->ptr;
            e->ptr = str_new(s->buf, s->len);
        }
    } else {
        e->ptr = type_dup[src->type] ? type_dup[src->type](src->enc, src->ptr) : NULL;
    }
    return e;
}

const char *kv_str(const kv *e, size_t *len, char *ibuf)
{
    switch (e->enc) {
    case ENC_EMBSTR:
        *len = (size_t)(uintptr_t)e->ptr;
        return kv_key(e) + e->keylen;
    case ENC_INT:
        *len = util_ll2str(ibuf, (long long)(intptr_t)e->ptr);
        return ibuf;
    default: {
        const str *s = e->ptr;
        *len = s->len;
        return s->buf;
    }
    }
}

size_t kv_strlen(const kv *e)
{
    if (e->enc == ENC_EMBSTR) return (size_t)(uintptr_t)e->ptr;
    if (e->enc == ENC_INT) {
        long long v = (long long)(intptr_t)e->ptr;
        return util_digits10(v < 0 ? (unsigned long long)0 - (unsigned long long)v : (unsigned long long)v) + (v < 0);
    }
    return ((const str *)e->ptr)->len;
}

/* ---- TTL array ---------------------------------------------------------- */

static void ttl_add(db *d, kv *e)
{
    if (d->nttl == d->ttl_cap) {
        d->ttl_cap = d->ttl_cap ? d->ttl_cap * 2 : 16;
        d->ttl = tier_dram_realloc(d->ttl, d->ttl_cap * sizeof(kv *));
    }
    kv_set_ttl_index(e, d->nttl);
    d->ttl[d->nttl++] = e;
}

static void ttl_remove(db *d, kv *e)
{
    uint64_t i = kv_ttl_index(e);
    tdb_assert(i < d->nttl && d->ttl[i] == e);
    kv *last = d->ttl[--d->nttl];
    d->ttl[i] = last;
    kv_set_ttl_index(last, i);
    if (d->ttl_cap > 64 && d->nttl * 4 < d->ttl_cap) {
        d->ttl_cap /= 2;
        d->ttl = tier_dram_realloc(d->ttl, d->ttl_cap * sizeof(kv *));
    }
}

static void ttl_replace(db *d, kv *old, kv *nw)
{
    uint64_t i = kv_ttl_index(old);
    d->ttl[i] = nw;
    kv_set_ttl_index(nw, i);
}

/* Reallocate e with or without the expiry slot. */
static kv *kv_resize_expire(db *d, kv *e, int with_expire)
{
    size_t extra = kv_emb_extra(e);
    kv *n = kv_alloc(e->keylen, extra, with_expire);
    memcpy(kv_key(n), kv_key(e), e->keylen);
    if (extra) memcpy(kv_key(n) + e->keylen, kv_key(e) + e->keylen, extra);
    n->type = e->type;
    n->enc = e->enc;
    n->ptr = e->ptr;
    n->lru = e->lru;
    dict_replace_node(&d->keys, &e->node, &n->node);
    if (e->flags & KV_HAS_EXPIRE) {
        if (with_expire) ttl_replace(d, e, n);
        else ttl_remove(d, e);
    } else if (with_expire) {
        ttl_add(d, n);
    }
    tier_dram_free(e);
    return n;
}

kv *db_set_expire(db *d, kv *e, int64_t when_ms)
{
    if (!(e->flags & KV_HAS_EXPIRE)) e = kv_resize_expire(d, e, 1);
    memcpy(e->data, &when_ms, 8);
    return e;
}

kv *db_persist(db *d, kv *e)
{
    if (!(e->flags & KV_HAS_EXPIRE)) return e;
    return kv_resize_expire(d, e, 0);
}

/* ---- lookups and changes ------------------------------------------------ */

int db_expire_paused;

int db_is_expired(const kv *e)
{
    int64_t when = kv_expire(e);
    return when >= 0 && when <= db_now_ms && !db_expire_paused;
}

int db_when_passed(int64_t when_ms)
{
    return when_ms <= db_now_ms && !db_expire_paused;
}

static void expire_now(db *d, kv *e)
{
    char kbuf[256];
    size_t len = e->keylen;
    /* the hooks need the name after the kv is gone */
    char *name = len <= sizeof(kbuf) ? kbuf : tier_dram_malloc(len);
    memcpy(name, kv_key(e), len);
    db_delete(d, name, len);
    db_stat_expired_keys++;
    if (expired_hook) expired_hook(d, name, len);
    if (name != kbuf) tier_dram_free(name);
}

kv *db_peek(db *d, const char *key, size_t len)
{
    kv *e = (kv *)dict_find(&d->keys, key, len);
    if (e && db_is_expired(e)) return NULL;
    return e;
}

kv *db_lookup(db *d, const char *key, size_t len)
{
    kv *e = (kv *)dict_find(&d->keys, key, len);
    if (e && db_is_expired(e)) {
        expire_now(d, e);
        e = NULL;
    }
    if (e) e->lru = db_lru_clock;
    return e;
}

void db_add(db *d, kv *e)
{
    dict_add(&d->keys, &e->node);
    if (e->flags & KV_HAS_EXPIRE) ttl_add(d, e);
    db_signal_modified(d, kv_key(e), e->keylen);
}

kv *db_overwrite(db *d, kv *old, kv *nw, int keep_ttl)
{
    int64_t when = kv_expire(old);
    if (keep_ttl && when >= 0 && !(nw->flags & KV_HAS_EXPIRE)) {
        /* give nw an expiry slot before it goes in */
        size_t extra = kv_emb_extra(nw);
        kv *t = kv_alloc(nw->keylen, extra, 1);
        memcpy(kv_key(t), kv_key(nw), nw->keylen + extra);
        t->type = nw->type; t->enc = nw->enc; t->ptr = nw->ptr; t->lru = nw->lru;
        tier_dram_free(nw);
        nw = t;
    }
    if (nw->flags & KV_HAS_EXPIRE) {
        if (!keep_ttl || when < 0) {
            /* caller built it with an expiry it will set; keep slot */
        } else {
            memcpy(nw->data, &when, 8);
        }
    }
    dict_replace_node(&d->keys, &old->node, &nw->node);
    if (old->flags & KV_HAS_EXPIRE) {
        if (nw->flags & KV_HAS_EXPIRE) ttl_replace(d, old, nw);
        else ttl_remove(d, old);
    } else if (nw->flags & KV_HAS_EXPIRE) {
        ttl_add(d, nw);
    }
    kv_free(old);
    db_signal_modified(d, kv_key(nw), nw->keylen);
    return nw;
}

kv *db_set(db *d, kv *nw, int keep_ttl)
{
    kv *old = (kv *)dict_find(&d->keys, kv_key(nw), nw->keylen);
    if (old) return db_overwrite(d, old, nw, keep_ttl);
    db_add(d, nw);
    return nw;
}

kv *db_unlink(db *d, const char *key, size_t len)
{
    kv *e = (kv *)dict_unlink(&d->keys, key, len);
    if (!e) return NULL;
    if (e->flags & KV_HAS_EXPIRE) ttl_remove(d, e);
    db_signal_modified(d, key, len);
    return e;
}

int db_delete(db *d, const char *key, size_t len)
{
    kv *e = db_unlink(d, key, len);
    if (!e) return 0;
    kv_free(e);
    return 1;
}

kv *kv_str_make_raw(db *d, kv *e, size_t min_len)
{
    if (e->enc == ENC_RAW) {
        str *s = e->ptr;
        if (min_len > s->len) {
            size_t cap = str_cap(s);
            if (min_len > cap) {
                /* grow geometrically for APPEND-heavy workloads, like sds */
                size_t want = min_len < 1024 * 1024 ? min_len * 2 : min_len + 1024 * 1024;
                s = tier_realloc(s, sizeof(str) + want + 1);
                e->ptr = s;
            }
            memset(s->buf + s->len, 0, min_len - s->len + 1);
            s->len = (uint32_t)min_len;
        }
        return e;
    }
    char ibuf[UTIL_LL_STR_SIZE];
    size_t len;
    const char *p = kv_str(e, &len, ibuf);
    str *s = str_new(NULL, min_len > len ? min_len : len);
    memcpy(s->buf, p, len);
    if (e->enc == ENC_EMBSTR) {
        /* shrink the kv: the bytes now live in s */
        kv *n = kv_new(kv_key(e), e->keylen, OBJ_STRING, ENC_RAW, s);
        n->lru = e->lru;
        int64_t when = kv_expire(e);
        if (when >= 0) {
            kv *t = kv_alloc(e->keylen, 0, 1);
            memcpy(kv_key(t), kv_key(e), e->keylen);
            t->type = OBJ_STRING; t->enc = ENC_RAW; t->ptr = s; t->lru = e->lru;
            memcpy(t->data, &when, 8);
            tier_dram_free(n);
            n = t;
        }
        dict_replace_node(&d->keys, &e->node, &n->node);
        if (when >= 0) ttl_replace(d, e, n);
        tier_dram_free(e);
        return n;
    }
    e->enc = ENC_RAW;
    e->ptr = s;
    return e;
}

uint64_t db_active_expire(db *d, uint64_t budget_us)
{
    if (d->nttl == 0) return 0;
    uint64_t start = util_monotonic_us(), expired = 0;
    for (;;) {
        int sampled = 0, hit = 0;
        for (int i = 0; i < 20 && d->nttl; i++) {
            kv *e = d->ttl[util_rand64() % d->nttl];
            sampled++;
            if (db_is_expired(e)) {
                expire_now(d, e);
                hit++;
            }
        }
        expired += (uint64_t)hit;
        /* keep going only while more than a quarter of samples were stale */
        if (sampled == 0 || hit * 4 <= sampled) break;
        if (util_monotonic_us() - start > budget_us) break;
    }
    return expired;
}
