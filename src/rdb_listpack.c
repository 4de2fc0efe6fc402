/* rdb_listpack.c -- Redis listpack / ziplist / intset blobs for RDB files
 * (format in rdb_listpack.h).  The writer allocates only with mmap so a
 * fork child may use it; the readers check every byte they step over.
 */
#include "config.h"

#include "rdb_listpack.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "util.h"

/* ---- writer ------------------------------------------------------------------ */

#define RLP_HDR 6

void rlp_init(rlp_buf *b) { memset(b, 0, sizeof(*b)); }

void rlp_release(rlp_buf *b)
{
    if (b->p) munmap(b->p, b->cap);
    memset(b, 0, sizeof(*b));
}

static int reserve(rlp_buf *b, size_t add)
{
    if (b->err) return -1;
    if (b->len + add <= b->cap) return 0;
    size_t nc = b->cap ? b->cap : 65536;
    while (nc < b->len + add) nc *= 2;
    void *np = b->p ? mremap(b->p, b->cap, nc, MREMAP_MAYMOVE)
                    : mmap(NULL, nc, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (np == MAP_FAILED) { b->err = ENOMEM; return -1; }
    b->p = np;
    b->cap = nc;
    return 0;
}

void rlp_begin(rlp_buf *b)
{
    b->len = 0;
    b->count = 0;
    b->err = 0;
    if (reserve(b, RLP_HDR) == 0) b->len = RLP_HDR;
}

/* backlen bytes for an entry of l bytes (encoding + payload) */
static size_t put_backlen(unsigned char *o, size_t l)
{
    int n = l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)((l >> (7 * (n - 1 - i))) & 127);
        o[i] = i ? (unsigned char)(c | 128) : c;
    }
    return (size_t)n;
}

static void add_entry(rlp_buf *b, const unsigned char *enc, size_t elen, const char *s, size_t slen)
{
    if (reserve(b, elen + slen + 5) < 0) return;
    unsigned char *o = b->p + b->len;
    memcpy(o, enc, elen);
    if (slen) memcpy(o + elen, s, slen);
    b->len += elen + slen;
    b->len += put_backlen(b->p + b->len, elen + slen);
    b->count++;
}

void rlp_add_ll(rlp_buf *b, long long v)
{
    unsigned char e[9];
    size_t n;
    if (v >= 0 && v <= 127) {
        e[0] = (unsigned char)v;
        n = 1;
    } else if (v >= -4096 && v <= 4095) {
        uint16_t u = (uint16_t)v & 0x1fff;
        e[0] = (unsigned char)(0xC0 | (u >> 8));
        e[1] = (unsigned char)u;
        n = 2;
    } else {
        int w = v >= -32768 && v <= 32767 ? 2 : v >= -8388608 && v <= 8388607 ? 3 : v >= INT32_MIN && v <= INT32_MAX ? 4 : 8;
        e[0] = w == 2 ? 0xF1 : w == 3 ? 0xF2 : w == 4 ? 0xF3 : 0xF4;
        uint64_t u = (uint64_t)v;
        for (int i = 0; i < w; i++) e[1 + i] = (unsigned char)(u >> (8 * i));
        n = 1 + (size_t)w;
    }
    add_entry(b, e, n, NULL, 0);
}

void rlp_add(rlp_buf *b, const char *s, size_t len)
{
    long long v;
    if (len && len <= 20 && util_str2ll(s, len, &v)) {
        char t[UTIL_LL_STR_SIZE];
        if (util_ll2str(t, v) == len && !memcmp(t, s, len)) { rlp_add_ll(b, v); return; }
    }
    unsigned char e[5];
    size_t n;
    if (len < 64) {
        e[0] = (unsigned char)(0x80 | len);
        n = 1;
    } else if (len < 4096) {
        e[0] = (unsigned char)(0xE0 | (len >> 8));
        e[1] = (unsigned char)len;
        n = 2;
    } else {
        e[0] = 0xF0;
        for (int i = 0; i < 4; i++) e[1 + i] = (unsigned char)(len >> (8 * i));
        n = 5;
    }
    add_entry(b, e, n, s, len);
}

const unsigned char *rlp_finish(rlp_buf *b, size_t *len)
{
    if (reserve(b, 1) < 0 || b->len > UINT32_MAX - 1) return NULL;
    b->p[b->len++] = 0xFF;
    uint32_t tot = (uint32_t)b->len;
    uint16_t cnt = b->count < 65535 ? (uint16_t)b->count : 65535;
    for (int i = 0; i < 4; i++) b->p[i] = (unsigned char)(tot >> (8 * i));
    b->p[4] = (unsigned char)cnt;
    b->p[5] = (unsigned char)(cnt >> 8);
    *len = b->len;
    return b->p;
}

void rlp_intset_begin(rlp_buf *b, int width)
{
    b->len = 0;
    b->count = 0;
    b->err = 0;
    b->width = width;
    if (reserve(b, 8) == 0) b->len = 8;
}

void rlp_intset_add(rlp_buf *b, int64_t v)
{
    if (reserve(b, 8) < 0) return;
    for (int i = 0; i < b->width; i++) b->p[b->len + (size_t)i] = (unsigned char)((uint64_t)v >> (8 * i));
    b->len += (size_t)b->width;
    b->count++;
}

const unsigned char *rlp_intset_finish(rlp_buf *b, size_t *len)
{
    if (b->err || b->count > UINT32_MAX) return NULL;
    for (int i = 0; i < 4; i++) {
        b->p[i] = (unsigned char)((uint32_t)b->width >> (8 * i));
        b->p[4 + i] = (unsigned char)((uint32_t)b->count >> (8 * i));
    }
    *len = b->len;
    return b->p;
}

/* ---- readers ---------------------------------------------------------------- */

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static long long sext(uint64_t v, int bits)
{
    if (bits < 64 && (v >> (bits - 1)) & 1) v |= ~0ULL << bits;
    return (long long)v;
}

static int bad(rlp_iter *it, const char *why)
{
    it->why = why;
    return -1;
}

int rlp_iter_init(rlp_iter *it, const void *p, size_t len)
{
    memset(it, 0, sizeof(*it));
    it->p = p;
    it->len = len;
    if (len < RLP_HDR + 1) return bad(it, "listpack shorter than its header");
    if (le(it->p, 4) != len) return bad(it, "listpack total bytes do not match the blob length");
    uint32_t c = (uint32_t)le(it->p + 4, 2);
    it->declared = c == 65535 ? UINT32_MAX : c;
    it->pos = RLP_HDR;
    return 0;
}

int rzl_iter_init(rlp_iter *it, const void *p, size_t len)
{
    memset(it, 0, sizeof(*it));
    it->p = p;
    it->len = len;
    it->ziplist = 1;
    if (len < 11) return bad(it, "ziplist shorter than its header");
    if (le(it->p, 4) != len) return bad(it, "ziplist total bytes do not match the blob length");
    if (le(it->p + 4, 4) >= len) return bad(it, "ziplist tail offset out of range");
    uint32_t c = (uint32_t)le(it->p + 8, 2);
    it->declared = c == 65535 ? UINT32_MAX : c;
    it->pos = 10;
    return 0;
}

static int at_end(rlp_iter *it)
{
    if (it->pos != it->len - 1) return bad(it, "data after the end marker");
    if (it->declared != UINT32_MAX && it->declared != it->seen) return bad(it, "element count does not match the header");
    return 0;
}

static void set_int(rlp_elem *e, long long v)
{
    e->is_int = 1;
    e->ll = v;
    e->len = util_ll2str(e->ibuf, v);
    e->s = e->ibuf;
}

static int lp_next_entry(rlp_iter *it, rlp_elem *e)
{
    const unsigned char *p = it->p;
    size_t end = it->len - 1, at = it->pos;     /* the byte at end must be 0xFF */
    if (at > end) return bad(it, "listpack overrun");
    unsigned b = p[at];
    if (b == 0xFF) return at_end(it);
    size_t hdr, plen = 0;
    e->is_int = 0;
    if (b < 0x80) { hdr = 1; set_int(e, b); }
    else if ((b & 0xC0) == 0x80) { hdr = 1; plen = b & 0x3F; }
    else if ((b & 0xE0) == 0xC0) {
        hdr = 2;
        if (at + 2 > end) return bad(it, "listpack entry past the end");
        set_int(e, sext(((uint64_t)(b & 0x1F) << 8) | p[at + 1], 13));
    } else if ((b & 0xF0) == 0xE0) {
        hdr = 2;
        if (at + 2 > end) return bad(it, "listpack entry past the end");
        plen = ((size_t)(b & 0x0F) << 8) | p[at + 1];
    } else if (b == 0xF0) {
        hdr = 5;
        if (at + 5 > end) return bad(it, "listpack entry past the end");
        plen = (size_t)le(p + at + 1, 4);
    } else if (b >= 0xF1 && b <= 0xF4) {
        int w = b == 0xF1 ? 2 : b == 0xF2 ? 3 : b == 0xF3 ? 4 : 8;
        hdr = 1 + (size_t)w;
        if (at + hdr > end) return bad(it, "listpack entry past the end");
        set_int(e, sext(le(p + at + 1, w), 8 * w));
    } else return bad(it, "invalid listpack entry encoding");
    size_t l = hdr + plen;
    if (plen > end - at || l > end - at) return bad(it, "listpack entry past the end");
    if (!e->is_int) { e->s = (const char *)p + at + hdr; e->len = plen; }
    unsigned char bl[5];
    size_t bn = put_backlen(bl, l);
    if (at + l + bn > end || memcmp(p + at + l, bl, bn)) return bad(it, "listpack entry back length is wrong");
    it->pos = at + l + bn;
    it->seen++;
    return 1;
}

static int zl_next_entry(rlp_iter *it, rlp_elem *e)
{
    const unsigned char *p = it->p;
    size_t end = it->len - 1, at = it->pos;
    if (at > end) return bad(it, "ziplist overrun");
    if (p[at] == 0xFF) return at_end(it);
    size_t pl = p[at] == 0xFE ? 5 : 1;
    if (p[at] == 0xFF) return bad(it, "invalid ziplist prevlen");
    at += pl;
    if (at >= end) return bad(it, "ziplist entry past the end");
    unsigned b = p[at];
    size_t hdr, plen = 0;
    e->is_int = 0;
    switch (b >> 6) {
    case 0: hdr = 1; plen = b & 0x3F; break;
    case 1:
        hdr = 2;
        if (at + 2 > end) return bad(it, "ziplist entry past the end");
        plen = ((size_t)(b & 0x3F) << 8) | p[at + 1];
        break;
    case 2:
        if (b != 0x80) return bad(it, "invalid ziplist string encoding");
        hdr = 5;
        if (at + 5 > end) return bad(it, "ziplist entry past the end");
        plen = ((size_t)p[at + 1] << 24) | ((size_t)p[at + 2] << 16) | ((size_t)p[at + 3] << 8) | p[at + 4];
        break;
    default: {
        int w;
        if (b == 0xC0) w = 2;
        else if (b == 0xD0) w = 4;
        else if (b == 0xE0) w = 8;
        else if (b == 0xF0) w = 3;
        else if (b == 0xFE) w = 1;
        else if (b >= 0xF1 && b <= 0xFD) w = 0;
        else return bad(it, "invalid ziplist integer encoding");
        hdr = 1 + (size_t)w;
        if (at + hdr > end) return bad(it, "ziplist entry past the end");
        set_int(e, w ? sext(le(p + at + 1, w), 8 * w) : (long long)(b & 0x0F) - 1);
    }
    }
    if (plen > end - at || hdr + plen > end - at) return bad(it, "ziplist entry past the end");
    if (!e->is_int) { e->s = (const char *)p + at + hdr; e->len = plen; }
    it->pos = at + hdr + plen;
    it->seen++;
    return 1;
}

int rlp_iter_next(rlp_iter *it, rlp_elem *e)
{
    if (it->p[it->len - 1] != 0xFF) return bad(it, "blob does not end with 0xFF");
    return it->ziplist ? zl_next_entry(it, e) : lp_next_entry(it, e);
}

int rintset_check(const unsigned char *p, size_t len, int *width, uint32_t *count, const char **why)
{
    if (len < 8) { *why = "intset shorter than its header"; return -1; }
    uint32_t w = (uint32_t)le(p, 4), n = (uint32_t)le(p + 4, 4);
    if (w != 2 && w != 4 && w != 8) { *why = "intset width is not 2, 4 or 8"; return -1; }
    if ((uint64_t)n * w + 8 != len) { *why = "intset length does not match the blob"; return -1; }
    for (uint32_t i = 1; i < n; i++)
        if (rintset_get(p, (int)w, i - 1) >= rintset_get(p, (int)w, i)) {
            *why = "intset is not sorted and unique";
            return -1;
        }
    *width = (int)w;
    *count = n;
    return 0;
}

int64_t rintset_get(const unsigned char *p, int width, uint32_t i)
{
    return sext(le(p + 8 + (size_t)i * (size_t)width, width), 8 * width);
}
