/* listpack.c -- compact blocks of strings and integers; see listpack.h for
 * the layout and the promises.
 *
 * Why integers are recognised on insert: list and hash elements are very
 * often numbers (ids, counters); storing "1234567" as an int32 takes 5
 * bytes plus backlen instead of 8, and HINCRBY reads them without parsing.
 * The conversion is lossless because only canonical integers qualify.
 *
 * Changes are done in place with one tier_realloc and one memmove: the
 * block is small by construction (callers convert to a scalable encoding
 * past the configured limits), so the O(n) move is cheaper than any
 * pointer-chasing alternative at these sizes.
 */
#include "listpack.h"

#include <string.h>

#include "tier.h"
#include "util.h"

#define LP_END 0xFF
#define ENC_INT16 0xD0
#define ENC_INT32 0xD1
#define ENC_INT64 0xD2
#define ENC_STR32 0xE0

static inline uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}
static inline void set_bytes(unsigned char *lp, size_t n) { wr32(lp, (uint32_t)n); }
static inline void set_count(unsigned char *lp, uint32_t n) { wr32(lp + 4, n); }

size_t lp_bytes(const unsigned char *lp) { return rd32(lp); }
uint32_t lp_count(const unsigned char *lp) { return rd32(lp + 4); }

int lp_safe_add(const unsigned char *lp, size_t add)
{
    return add < LP_MAX_SAFE && lp_bytes(lp) + add < LP_MAX_SAFE;
}

unsigned char *lp_new(size_t capacity_hint)
{
    unsigned char *lp = tier_malloc(capacity_hint > LP_HDR + 1 ? capacity_hint : LP_HDR + 1);
    set_bytes(lp, LP_HDR + 1);
    set_count(lp, 0);
    lp[LP_HDR] = LP_END;
    return lp;
}

void lp_free(unsigned char *lp) { tier_free(lp); }

unsigned char *lp_dup(const unsigned char *lp)
{
    size_t n = lp_bytes(lp);
    unsigned char *c = tier_malloc(n);
    memcpy(c, lp, n);
    return c;
}

/* ---- entry encoding ------------------------------------------------------ */

static inline size_t backlen_size(size_t l)
{
    size_t n = 1;
    while (l >= 128) {
        l >>= 7;
        n++;
    }
    return n;
}

static void backlen_write(unsigned char *p, size_t l)
{
    size_t k = backlen_size(l);
    for (size_t i = 0; i < k; i++) {
        unsigned char g = (unsigned char)(l & 127);
        l >>= 7;
        p[k - 1 - i] = g | (i < k - 1 ? 0x80 : 0);
    }
}

/* p points at the last byte of a backlen. */
static size_t backlen_read(const unsigned char *p, size_t *nbytes)
{
    size_t v = 0, shift = 0, n = 0;
    unsigned char b;
    do {
        b = *p--;
        v |= (size_t)(b & 127) << shift;
        shift += 7;
        n++;
    } while (b & 0x80);
    *nbytes = n;
    return v;
}

/* Size of header + payload of the entry at p. */
static size_t entry_body(const unsigned char *p)
{
    unsigned char b = p[0];
    if (b < 0x80) return 1;
    if ((b & 0xC0) == 0x80) return 1 + (b & 0x3F);
    if ((b & 0xF0) == 0xC0) return 2 + (((size_t)(b & 0x0F) << 8) | p[1]);
    switch (b) {
    case ENC_INT16: return 3;
    case ENC_INT32: return 5;
    case ENC_INT64: return 9;
    case ENC_STR32: return 5 + rd32(p + 1);
    }
    return 0; /* corrupt */
}

static inline size_t entry_size(const unsigned char *p)
{
    size_t b = entry_body(p);
    return b + backlen_size(b);
}

/* An encoded entry waiting to be written. */
typedef struct enc {
    unsigned char hdr[9];
    size_t hlen;                 /* header bytes, incl. integer payload */
    const char *s;               /* string payload, or NULL */
    size_t slen;
    size_t body, total;
} enc;

static void encode(enc *e, const char *s, size_t len)
{
    long long v;
    e->s = NULL;
    e->slen = 0;
    if (len > 0 && len <= 20 && util_str2ll(s, len, &v)) {
        if (v >= 0 && v <= 127) {
            e->hdr[0] = (unsigned char)v;
            e->hlen = 1;
        } else if (v >= INT16_MIN && v <= INT16_MAX) {
            e->hdr[0] = ENC_INT16;
            uint16_t u = (uint16_t)(int16_t)v;
            e->hdr[1] = (unsigned char)u;
            e->hdr[2] = (unsigned char)(u >> 8);
            e->hlen = 3;
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            e->hdr[0] = ENC_INT32;
            wr32(e->hdr + 1, (uint32_t)(int32_t)v);
            e->hlen = 5;
        } else {
            uint64_t u = (uint64_t)v;
            e->hdr[0] = ENC_INT64;
            for (int i = 0; i < 8; i++) e->hdr[1 + i] = (unsigned char)(u >> (8 * i));
            e->hlen = 9;
        }
    } else {
        if (len < 64) {
            e->hdr[0] = (unsigned char)(0x80 | len);
            e->hlen = 1;
        } else if (len < 4096) {
            e->hdr[0] = (unsigned char)(0xC0 | (len >> 8));
            e->hdr[1] = (unsigned char)(len & 0xFF);
            e->hlen = 2;
        } else {
            e->hdr[0] = ENC_STR32;
            wr32(e->hdr + 1, (uint32_t)len);
            e->hlen = 5;
        }
        e->s = s;
        e->slen = len;
    }
    e->body = e->hlen + e->slen;
    e->total = e->body + backlen_size(e->body);
}

static void write_entry(unsigned char *dst, const enc *e)
{
    memcpy(dst, e->hdr, e->hlen);
    if (e->slen) memcpy(dst + e->hlen, e->s, e->slen);
    backlen_write(dst + e->body, e->body);
}

size_t lp_entry_size(const char *s, size_t len)
{
    enc e;
    encode(&e, s, len);
    return e.total;
}

/* ---- reading -------------------------------------------------------------- */

void lp_get(const unsigned char *p, lp_val *v)
{
    unsigned char b = p[0];
    v->s = NULL;
    v->slen = 0;
    if (b < 0x80) { v->ll = b; return; }
    if ((b & 0xC0) == 0x80) { v->s = p + 1; v->slen = b & 0x3F; return; }
    if ((b & 0xF0) == 0xC0) { v->s = p + 2; v->slen = ((size_t)(b & 0x0F) << 8) | p[1]; return; }
    switch (b) {
    case ENC_INT16: v->ll = (int16_t)(uint16_t)(p[1] | p[2] << 8); return;
    case ENC_INT32: v->ll = (int32_t)rd32(p + 1); return;
    case ENC_INT64: {
        uint64_t u = 0;
        for (int i = 0; i < 8; i++) u |= (uint64_t)p[1 + i] << (8 * i);
        v->ll = (long long)u;
        return;
    }
    case ENC_STR32: v->s = p + 5; v->slen = rd32(p + 1); return;
    }
    v->ll = 0;
}

const char *lp_get_str(const unsigned char *p, size_t *len, char *buf)
{
    lp_val v;
    lp_get(p, &v);
    if (v.s) {
        *len = v.slen;
        return (const char *)v.s;
    }
    *len = util_ll2str(buf, v.ll);
    return buf;
}

int lp_eq(const unsigned char *p, const char *s, size_t len)
{
    lp_val v;
    lp_get(p, &v);
    if (v.s) return v.slen == len && memcmp(v.s, s, len) == 0;
    long long x;
    return len > 0 && len <= 20 && util_str2ll(s, len, &x) && x == v.ll;
}

unsigned char *lp_find(unsigned char *lp, unsigned char *p, const char *s, size_t len, unsigned skip)
{
    /* decide once whether s is an integer so each entry is one compare */
    long long x;
    int is_int = len > 0 && len <= 20 && util_str2ll(s, len, &x);
    while (p) {
        lp_val v;
        lp_get(p, &v);
        if (v.s ? (!is_int && v.slen == len && memcmp(v.s, s, len) == 0) : (is_int && v.ll == x)) return p;
        for (unsigned i = 0; i <= skip && p; i++) p = lp_next(lp, p);
    }
    return NULL;
}

/* ---- navigation ------------------------------------------------------------ */

unsigned char *lp_first(unsigned char *lp)
{
    unsigned char *p = lp + LP_HDR;
    return *p == LP_END ? NULL : p;
}

unsigned char *lp_last(unsigned char *lp)
{
    unsigned char *end = lp + lp_bytes(lp) - 1;
    if (end == lp + LP_HDR) return NULL;
    size_t n;
    size_t body = backlen_read(end - 1, &n);
    return end - n - body;
}

unsigned char *lp_next(unsigned char *lp, unsigned char *p)
{
    (void)lp;
    p += entry_size(p);
    return *p == LP_END ? NULL : p;
}

unsigned char *lp_prev(unsigned char *lp, unsigned char *p)
{
    if (p == lp + LP_HDR) return NULL;
    size_t n;
    size_t body = backlen_read(p - 1, &n);
    return p - n - body;
}

unsigned char *lp_seek(unsigned char *lp, long index)
{
    long cnt = (long)lp_count(lp);
    if (index < 0) index += cnt;
    if (index < 0 || index >= cnt) return NULL;
    unsigned char *p;
    if (index <= cnt / 2) {
        p = lp_first(lp);
        while (index--) p = lp_next(lp, p);
    } else {
        p = lp_last(lp);
        for (long i = cnt - 1; i > index; i--) p = lp_prev(lp, p);
    }
    return p;
}

/* ---- changes --------------------------------------------------------------- */

/* Replace del bytes at offset off with the entry e (or nothing). */
static unsigned char *splice(unsigned char *lp, size_t off, size_t del, const enc *e)
{
    size_t old = lp_bytes(lp);
    size_t add = e ? e->total : 0;
    size_t nw = old - del + add;
    if (add > del) lp = tier_realloc(lp, nw);
    memmove(lp + off + add, lp + off + del, old - off - del);
    if (e) write_entry(lp + off, e);
    if (add < del) lp = tier_realloc(lp, nw);
    set_bytes(lp, nw);
    return lp;
}

unsigned char *lp_insert(unsigned char *lp, unsigned char *p, enum lp_where where, const char *s,
                         size_t len, unsigned char **pos)
{
    size_t off;
    if (!p) off = lp_bytes(lp) - 1;        /* append */
    else off = (size_t)(p - lp) + (where == LP_AFTER ? entry_size(p) : 0);
    enc e;
    encode(&e, s, len);
    lp = splice(lp, off, 0, &e);
    set_count(lp, lp_count(lp) + 1);
    if (pos) *pos = lp + off;
    return lp;
}

unsigned char *lp_append(unsigned char *lp, const char *s, size_t len)
{
    return lp_insert(lp, NULL, LP_AFTER, s, len, NULL);
}

unsigned char *lp_prepend(unsigned char *lp, const char *s, size_t len)
{
    unsigned char *f = lp_first(lp);
    return lp_insert(lp, f, LP_BEFORE, s, len, NULL);
}

unsigned char *lp_append_ll(unsigned char *lp, long long v)
{
    char buf[UTIL_LL_STR_SIZE];
    size_t n = util_ll2str(buf, v);
    return lp_append(lp, buf, n);
}

unsigned char *lp_replace(unsigned char *lp, unsigned char *p, const char *s, size_t len,
                          unsigned char **pos)
{
    size_t off = (size_t)(p - lp);
    enc e;
    encode(&e, s, len);
    lp = splice(lp, off, entry_size(p), &e);
    if (pos) *pos = lp + off;
    return lp;
}

unsigned char *lp_delete(unsigned char *lp, unsigned char *p, unsigned char **next)
{
    return lp_delete_n(lp, p, 1, next);
}

unsigned char *lp_delete_n(unsigned char *lp, unsigned char *p, unsigned long count, unsigned char **next)
{
    size_t off = (size_t)(p - lp);
    unsigned char *q = p;
    unsigned long n = 0;
    while (n < count && *q != LP_END) {
        q += entry_size(q);
        n++;
    }
    lp = splice(lp, off, (size_t)(q - p), NULL);
    set_count(lp, lp_count(lp) - (uint32_t)n);
    if (next) *next = lp[off] == LP_END ? NULL : lp + off;
    return lp;
}

unsigned char *lp_delete_range(unsigned char *lp, long index, unsigned long count)
{
    unsigned char *p = lp_seek(lp, index);
    if (!p || count == 0) return lp;
    return lp_delete_n(lp, p, count, NULL);
}

unsigned char *lp_split(unsigned char **lpp, unsigned char *p)
{
    unsigned char *lp = *lpp;
    size_t off = (size_t)(p - lp);
    size_t body = lp_bytes(lp) - off - 1;       /* entries only */
    uint32_t moved = 0;
    for (unsigned char *q = p; q; q = lp_next(lp, q)) moved++;
    /* entries carry no absolute offsets, so the bytes move as they are */
    unsigned char *t = tier_malloc(LP_HDR + body + 1);
    memcpy(t + LP_HDR, p, body);
    t[LP_HDR + body] = LP_END;
    set_bytes(t, LP_HDR + body + 1);
    set_count(t, moved);
    lp[off] = LP_END;
    set_bytes(lp, off + 1);
    set_count(lp, lp_count(lp) - moved);
    *lpp = tier_realloc(lp, off + 1);
    return t;
}

int lp_validate(const unsigned char *lp)
{
    size_t bytes = lp_bytes(lp);
    if (bytes < LP_HDR + 1 || lp[bytes - 1] != LP_END) return 0;
    const unsigned char *p = lp + LP_HDR;
    uint32_t n = 0;
    while (p < lp + bytes - 1) {
        size_t body = entry_body(p);
        if (body == 0) return 0;
        size_t nb;
        if (backlen_read(p + body + backlen_size(body) - 1, &nb) != body || nb != backlen_size(body)) return 0;
        p += body + nb;
        n++;
    }
    return p == lp + bytes - 1 && n == lp_count(lp);
}
