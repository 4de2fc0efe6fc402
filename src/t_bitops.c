/* t_bitops.c -- bit and substring commands on string values: SETBIT,
 * GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO, LCS.
 *
 * What it promises
 *   - Replies, errors and edge cases are Redis 7.0's, including its order of
 *     checks (BITCOUNT looks the key up before parsing its range, BITPOS
 *     parses the bit first, ...), so clients see the same thing.
 *   - Bits are numbered from the most significant bit of the first byte.
 *     A string grows (zero-filled) only for writes, never past
 *     proto-max-bulk-len bytes; writes turn the value into ENC_RAW through
 *     kv_str_make_raw(), as Redis "unshares" it.
 *   - Every command here is deterministic: its argv is its journal effect.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "db.h"
#include "server.h"
#include "tier.h"
#include "util.h"



static const char ERR_OFFSET[] = "ERR bit offset is not an integer or out of range";

/* A bit offset: a non-negative integer whose byte is below
 * proto-max-bulk-len; with hash (BITFIELD) "#n" means n * bits. */
static int parse_bit_offset(client *c, const arg *a, int hash, int bits, uint64_t *out)
{
    int usehash = hash && bits > 0 && a->len > 0 && a->p[0] == '#';
    long long v;
    if (!util_str2ll(a->p + usehash, a->len - (size_t)usehash, &v)) goto bad;
    if (usehash && __builtin_mul_overflow(v, (long long)bits, &v)) goto bad;
    if (v < 0 || (long long)((unsigned long long)v >> 3) >= server.cfg.proto_max_bulk_len) goto bad;
    *out = (uint64_t)v;
    return 1;
bad:
    reply_error(c, ERR_OFFSET);
    return 0;
}

/* The key as a string with room for bit maxbit, created empty if absent.
 * NULL after replying WRONGTYPE.  *grew: created or lengthened. */
static kv *lookup_for_bit_write(client *c, uint64_t maxbit, int *grew)
{
    db *d = c->db;
    const arg *k = &c->argv[1];
    size_t need = (size_t)(maxbit >> 3) + 1;
    kv *e = db_lookup(d, k->p, k->len);
    if (e && e->type != OBJ_STRING) {
        reply_err_wrongtype(c);
        return NULL;
    }
    if (!e) {
        e = kv_new(k->p, k->len, OBJ_STRING, ENC_RAW, str_new(NULL, need));
        db_add(d, e);
        *grew = 1;
        return e;
    }
    size_t old = kv_strlen(e);
    *grew = need > old;
    return kv_str_make_raw(d, e, need > old ? need : old);
}

static inline int bit_at(const unsigned char *p, uint64_t i) { return (p[i >> 3] >> (7 - (i & 7))) & 1; }

/* SETBIT key offset value */
void cmd_setbit(client *c)
{
    uint64_t off;
    long long on;
    if (!parse_bit_offset(c, &c->argv[2], 0, 0, &off)) return;
    if (!util_str2ll(c->argv[3].p, c->argv[3].len, &on) || (on & ~1LL)) {
        reply_error(c, "ERR bit is not an integer or out of range");
        return;
    }
    int grew;
    kv *e = lookup_for_bit_write(c, off, &grew);
    if (!e) return;
    unsigned char *p = (unsigned char *)((str *)e->ptr)->buf;
    int old = bit_at(p, off);
    if (grew || old != on) {
        unsigned char m = (unsigned char)(1u << (7 - (off & 7)));
        if (on) p[off >> 3] |= m;
        else p[off >> 3] &= (unsigned char)~m;
        db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
        server_dirty(1);
    }
    reply_ll(c, old);
}

/* GETBIT key offset */
void cmd_getbit(client *c)
{
    uint64_t off;
    if (!parse_bit_offset(c, &c->argv[2], 0, 0, &off)) return;
    kv *e = db_lookup(c->db, c->argv[1].p, c->argv[1].len);
    if (!e) { reply_ll(c, 0); return; }
    if (e->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
    char ibuf[UTIL_LL_STR_SIZE];
    size_t len;
    const unsigned char *p = (const unsigned char *)kv_str(e, &len, ibuf);
    reply_ll(c, (off >> 3) < len ? bit_at(p, off) : 0);
}

/* Set bits in bits [s, e] (inclusive, e < 8 * length). */
static long long count_bits(const unsigned char *p, uint64_t s, uint64_t e)
{
    long long n = 0;
    while (s <= e && (s & 7)) n += bit_at(p, s++);
    while (s <= e && e - s + 1 >= 64) {
        uint64_t w;
        memcpy(&w, p + (s >> 3), 8);
        n += __builtin_popcountll(w);
        s += 64;
    }
    while (s <= e && e - s + 1 >= 8) n += __builtin_popcount(p[s >> 3]), s += 8;
    while (s <= e) n += bit_at(p, s++);
    return n;
}

/* First bit equal to bit in [s, e], or -1. */
static long long find_bit(const unsigned char *p, uint64_t s, uint64_t e, int bit)
{
    unsigned char skip = bit ? 0x00 : 0xff;
    uint64_t skipw = bit ? 0 : UINT64_MAX;
    while (s <= e && (s & 7)) {
        if (bit_at(p, s) == bit) return (long long)s;
        s++;
    }
    while (s <= e && e - s + 1 >= 64) {
        uint64_t w;
        memcpy(&w, p + (s >> 3), 8);
        if (w != skipw) break;
        s += 64;
    }
    while (s <= e && e - s + 1 >= 8 && p[s >> 3] == skip) s += 8;
    for (; s <= e; s++)
        if (bit_at(p, s) == bit) return (long long)s;
    return -1;
}

/* Turn a Redis start/end pair (bytes or bits, negative from the end) into
 * an inclusive bit range; 0 if empty. */
static int bit_range(long long start, long long end, int isbit, long long len_bytes, uint64_t *s, uint64_t *e)
{
    long long tot = isbit ? len_bytes * 8 : len_bytes;
    if (start < 0) start += tot;
    if (end < 0) end += tot;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= tot) end = tot - 1;
    if (start > end) return 0;
    *s = isbit ? (uint64_t)start : (uint64_t)start * 8;
    *e = isbit ? (uint64_t)end : (uint64_t)end * 8 + 7;
    return 1;
}

static int parse_unit(client *c, const arg *a, int *isbit)
{
    if (ARGEQ(*a, "bit")) *isbit = 1;
    else if (ARGEQ(*a, "byte")) *isbit = 0;
    else { reply_err_syntax(c); return 0; }
    return 1;
}

/* BITCOUNT key [start end [BYTE|BIT]] */
void cmd_bitcount(client *c)
{
    /* Redis 7.0 looks the key up before it parses the range */
    kv *e = db_lookup(c->db, c->argv[1].p, c->argv[1].len);
    if (!e) { reply_ll(c, 0); return; }
    if (e->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
    char ibuf[UTIL_LL_STR_SIZE];
    size_t len;
    const unsigned char *p = (const unsigned char *)kv_str(e, &len, ibuf);
    long long start = 0, end = -1;
    int isbit = 0;
    if (c->argc == 4 || c->argc == 5) {
        if (!arg_ll(c, &c->argv[2], &start) || !arg_ll(c, &c->argv[3], &end)) return;
        if (c->argc == 5 && !parse_unit(c, &c->argv[4], &isbit)) return;
        if (start < 0 && end < 0 && start > end) { reply_ll(c, 0); return; }
    } else if (c->argc != 2) {
        reply_err_syntax(c);
        return;
    }
    uint64_t s, en;
    reply_ll(c, bit_range(start, end, isbit, (long long)len, &s, &en) ? count_bits(p, s, en) : 0);
}

/* BITPOS key bit [start [end [BYTE|BIT]]] */
void cmd_bitpos(client *c)
{
    long long bit;
    if (!arg_ll(c, &c->argv[2], &bit)) return;
    if (bit != 0 && bit != 1) { reply_error(c, "ERR The bit argument must be 1 or 0."); return; }
    kv *e = db_lookup(c->db, c->argv[1].p, c->argv[1].len);
    /* a missing key is an infinite run of zeros */
    if (!e) { reply_ll(c, bit ? -1 : 0); return; }
    if (e->type != OBJ_STRING) { reply_err_wrongtype(c); return; }
    char ibuf[UTIL_LL_STR_SIZE];
    size_t len;
    const unsigned char *p = (const unsigned char *)kv_str(e, &len, ibuf);
    long long start = 0, end = -1;
    int isbit = 0, end_given = 0;
    if (c->argc >= 4 && c->argc <= 6) {
        if (!arg_ll(c, &c->argv[3], &start)) return;
        if (c->argc == 6 && !parse_unit(c, &c->argv[5], &isbit)) return;
        if (c->argc >= 5) {
            if (!arg_ll(c, &c->argv[4], &end)) return;
            end_given = 1;
        }
    } else if (c->argc != 3) {
        reply_err_syntax(c);
        return;
    }
    uint64_t s, en;
    if (!bit_range(start, end, isbit, (long long)len, &s, &en)) { reply_ll(c, -1); return; }
    long long pos = find_bit(p, s, en, (int)bit);
    /* Without an explicit end the string is followed by zeros: a clear bit
     * is found right after it. */
    if (pos < 0 && bit == 0 && !end_given) pos = (long long)(en + 1);
    reply_ll(c, pos);
}

/* BITOP AND|OR|XOR|NOT destkey key [key ...] */
void cmd_bitop(client *c)
{
    enum { OP_AND, OP_OR, OP_XOR, OP_NOT } op;
    const arg *o = &c->argv[1];
    if (ARGEQ(*o, "and")) op = OP_AND;
    else if (ARGEQ(*o, "or")) op = OP_OR;
    else if (ARGEQ(*o, "xor")) op = OP_XOR;
    else if (ARGEQ(*o, "not")) op = OP_NOT;
    else { reply_err_syntax(c); return; }
    if (op == OP_NOT && c->argc != 4) {
        reply_error(c, "ERR BITOP NOT must be called with a single source key.");
        return;
    }
    int n = c->argc - 3;
    const unsigned char **src = tier_dram_malloc((size_t)n * sizeof(*src));
    size_t *len = tier_dram_malloc((size_t)n * sizeof(*len));
    char (*ibuf)[UTIL_LL_STR_SIZE] = tier_dram_malloc((size_t)n * UTIL_LL_STR_SIZE);
    size_t maxlen = 0;
    for (int i = 0; i < n; i++) {
        const arg *k = &c->argv[3 + i];
        kv *e = db_lookup(c->db, k->p, k->len);
        src[i] = NULL;
        len[i] = 0;
        if (!e) continue;    /* a missing key is an empty string */
        if (e->type != OBJ_STRING) {
            reply_err_wrongtype(c);
            goto out;
        }
        src[i] = (const unsigned char *)kv_str(e, &len[i], ibuf[i]);
        if (len[i] > maxlen) maxlen = len[i];
    }
    const arg *dk = &c->argv[2];
    if (maxlen) {
        str *r = str_new(NULL, maxlen);
        unsigned char *d = (unsigned char *)r->buf;
        for (size_t j = 0; j < maxlen; j++) {
            unsigned char v = j < len[0] ? src[0][j] : 0;
            if (op == OP_NOT) v = (unsigned char)~v;
            for (int i = 1; i < n; i++) {
                unsigned char b = j < len[i] ? src[i][j] : 0;
                if (op == OP_AND) v &= b;
                else if (op == OP_OR) v |= b;
                else v ^= b;
            }
            d[j] = v;
        }
        /* like Redis's setKey: the result replaces the key and its TTL */
        db_set(c->db, kv_new(dk->p, dk->len, OBJ_STRING, ENC_RAW, r), 0);
        server_dirty(1);
    } else if (db_lookup(c->db, dk->p, dk->len)) {
        db_delete(c->db, dk->p, dk->len);
        server_dirty(1);
    }
    reply_ll(c, (long long)maxlen);
out:
    tier_dram_free(src);
    tier_dram_free(len);
    tier_dram_free(ibuf);
}

/* ---- BITFIELD ------------------------------------------------------------ */

enum bf_op { BF_GET, BF_SET, BF_INCRBY };
enum bf_overflow { BF_WRAP, BF_SAT, BF_FAIL };

typedef struct bf_step {
    uint64_t off;
    long long v;
    uint8_t op, ow, bits, sign;
} bf_step;

static uint64_t bf_read(const unsigned char *p, uint64_t off, int bits)
{
    uint64_t v = 0;
    for (int i = 0; i < bits; i++) v = (v << 1) | (uint64_t)bit_at(p, off + (uint64_t)i);
    return v;
}

static void bf_write(unsigned char *p, uint64_t off, int bits, uint64_t v)
{
    for (int i = 0; i < bits; i++) {
        uint64_t b = off + (uint64_t)i;
        unsigned char m = (unsigned char)(1u << (7 - (b & 7)));
        if ((v >> (bits - 1 - i)) & 1) p[b >> 3] |= m;
        else p[b >> 3] &= (unsigned char)~m;
    }
}

static int64_t bf_sign_extend(uint64_t v, int bits)
{
    if (bits < 64 && (v & (1ULL << (bits - 1)))) v |= ~0ULL << bits;
    return (int64_t)v;
}

/* value + incr in a field of bits: *res is the stored result under ow;
 * returns 1 on overflow (the caller refuses FAIL). */
static int bf_add(int sign, int bits, __int128 value, long long incr, int ow, uint64_t *res)
{
    __int128 r = value + incr;
    __int128 max, min;
    if (sign) {
        max = bits == 64 ? (__int128)INT64_MAX : ((__int128)1 << (bits - 1)) - 1;
        min = -max - 1;
    } else {
        max = ((__int128)1 << bits) - 1;
        min = 0;
    }
    if (r >= min && r <= max) {
        *res = (uint64_t)r;
        return 0;
    }
    if (ow == BF_SAT) {
        *res = (uint64_t)(r > max ? max : min);
    } else {
        /* two's complement wrap to the field's width */
        uint64_t w = (uint64_t)r;
        if (bits < 64) w &= (1ULL << bits) - 1;
        *res = sign ? (uint64_t)bf_sign_extend(w, bits) : w;
    }
    return 1;
}

static int parse_bf_type(client *c, const arg *a, int *sign, int *bits)
{
    long long n;
    if (a->len >= 2 && (a->p[0] == 'i' || a->p[0] == 'I' || a->p[0] == 'u' || a->p[0] == 'U') &&
        util_str2ll(a->p + 1, a->len - 1, &n)) {
        *sign = a->p[0] == 'i' || a->p[0] == 'I';
        if (n >= 1 && n <= (*sign ? 64 : 63)) {
            *bits = (int)n;
            return 1;
        }
    }
    reply_error(c, "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
    return 0;
}

static void bitfield_generic(client *c, int readonly_cmd)
{
    int nsteps = 0, ow = BF_WRAP, writes = 0;
    uint64_t maxbit = 0;
    bf_step *steps = tier_dram_malloc(sizeof(bf_step) * (size_t)(c->argc / 3 + 1));
    for (int j = 2; j < c->argc; j++) {
        int rem = c->argc - j - 1;
        const arg *a = &c->argv[j];
        int op;
        if (ARGEQ(*a, "get") && rem >= 2) op = BF_GET;
        else if (ARGEQ(*a, "set") && rem >= 3) op = BF_SET;
        else if (ARGEQ(*a, "incrby") && rem >= 3) op = BF_INCRBY;
        else if (ARGEQ(*a, "overflow") && rem >= 1) {
            const arg *t = &c->argv[++j];
            if (ARGEQ(*t, "wrap")) ow = BF_WRAP;
            else if (ARGEQ(*t, "sat")) ow = BF_SAT;
            else if (ARGEQ(*t, "fail")) ow = BF_FAIL;
            else { reply_error(c, "ERR Invalid OVERFLOW type specified"); goto out; }
            continue;
        } else {
            reply_err_syntax(c);
            goto out;
        }
        int sign, bits;
        uint64_t off;
        long long v = 0;
        if (!parse_bf_type(c, &c->argv[j + 1], &sign, &bits)) goto out;
        if (!parse_bit_offset(c, &c->argv[j + 2], 1, bits, &off)) goto out;
        if (op != BF_GET) {
            if (readonly_cmd) { reply_error(c, "ERR BITFIELD_RO only supports the GET subcommand"); goto out; }
            if (!arg_ll(c, &c->argv[j + 3], &v)) goto out;
            writes = 1;
            if (off + (uint64_t)bits - 1 > maxbit) maxbit = off + (uint64_t)bits - 1;
        }
        steps[nsteps++] = (bf_step){.off = off, .v = v, .op = (uint8_t)op, .ow = (uint8_t)ow,
                                    .bits = (uint8_t)bits, .sign = (uint8_t)sign};
        j += op == BF_GET ? 2 : 3;
    }

    kv *e;
    int grew = 0;
    if (!writes) {
        e = db_lookup(c->db, c->argv[1].p, c->argv[1].len);
        if (e && e->type != OBJ_STRING) { reply_err_wrongtype(c); goto out; }
    } else if (!(e = lookup_for_bit_write(c, maxbit, &grew))) {
        goto out;
    }
    char ibuf[UTIL_LL_STR_SIZE];
    size_t len = 0;
    const unsigned char *rp = e ? (const unsigned char *)kv_str(e, &len, ibuf) : NULL;
    uint64_t changes = 0;
    reply_array(c, nsteps);
    for (int i = 0; i < nsteps; i++) {
        bf_step *s = &steps[i];
        if (s->op == BF_GET) {
            /* reads past the end see zeros: copy the (at most 9) bytes */
            unsigned char b[9] = {0};
            uint64_t byte = s->off >> 3;
            for (uint64_t k = 0; k < 9 && rp && byte + k < len; k++) b[k] = rp[byte + k];
            uint64_t u = bf_read(b, s->off & 7, s->bits);
            reply_ll(c, s->sign ? (long long)bf_sign_extend(u, s->bits) : (long long)u);
            continue;
        }
        unsigned char *wp = (unsigned char *)((str *)e->ptr)->buf;
        uint64_t ou = bf_read(wp, s->off, s->bits);
        __int128 old = s->sign ? (__int128)bf_sign_extend(ou, s->bits) : (__int128)ou;
        uint64_t nw;
        int over;
        if (s->op == BF_INCRBY) {
            over = bf_add(s->sign, s->bits, old, s->v, s->ow, &nw);
        } else {
            /* an unsigned SET takes the value's 64-bit pattern, as Redis does */
            __int128 val = s->sign ? (__int128)s->v : (__int128)(uint64_t)s->v;
            over = bf_add(s->sign, s->bits, val, 0, s->ow, &nw);
        }
        if (over && s->ow == BF_FAIL) {
            reply_null(c);
            continue;
        }
        long long ret = s->op == BF_INCRBY ? (long long)nw
                        : (s->sign ? (long long)bf_sign_extend(ou, s->bits) : (long long)ou);
        reply_ll(c, ret);
        uint64_t mask = s->bits == 64 ? UINT64_MAX : (1ULL << s->bits) - 1;
        bf_write(wp, s->off, s->bits, nw & mask);
        if (grew || (nw & mask) != ou) changes++;
    }
    /* a created key is a change even if every step failed (journal it) */
    if (grew && !changes) changes = 1;
    if (changes) {
        db_signal_modified(c->db, c->argv[1].p, c->argv[1].len);
        server_dirty(changes);
    }
out:
    tier_dram_free(steps);
}

/* BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] */
void cmd_bitfield(client *c) { bitfield_generic(c, 0); }
/* BITFIELD_RO key [GET type offset ...] */
void cmd_bitfield_ro(client *c) { bitfield_generic(c, 1); }

/* ---- LCS ----------------------------------------------------------------- */

/* LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] */
void cmd_lcs(client *c)
{
    kv *ea = db_lookup(c->db, c->argv[1].p, c->argv[1].len);
    kv *eb = db_lookup(c->db, c->argv[2].p, c->argv[2].len);
    if ((ea && ea->type != OBJ_STRING) || (eb && eb->type != OBJ_STRING)) {
        reply_error(c, "ERR The specified keys must contain string values");
        return;
    }
    int getlen = 0, getidx = 0, withlen = 0;
    long long minlen = 0;
    for (int j = 3; j < c->argc; j++) {
        const arg *o = &c->argv[j];
        if (ARGEQ(*o, "idx")) getidx = 1;
        else if (ARGEQ(*o, "len")) getlen = 1;
        else if (ARGEQ(*o, "withmatchlen")) withlen = 1;
        else if (ARGEQ(*o, "minmatchlen") && j + 1 < c->argc) {
            if (!arg_ll(c, &c->argv[++j], &minlen)) return;
            if (minlen < 0) minlen = 0;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if (getidx && getlen) {
        reply_error(c, "ERR If you want both the length and indexes, please just use IDX.");
        return;
    }
    char ba[UTIL_LL_STR_SIZE], bb[UTIL_LL_STR_SIZE];
    size_t alen = 0, blen = 0;
    const char *a = ea ? kv_str(ea, &alen, ba) : "";
    const char *b = eb ? kv_str(eb, &blen, bb) : "";
    if (alen >= UINT32_MAX - 1 || blen >= UINT32_MAX - 1) {
        reply_error(c, "ERR String too long for LCS");
        return;
    }
    unsigned long long cells = (unsigned long long)(alen + 1) * (blen + 1);
    if (cells > (unsigned long long)server.cfg.proto_max_bulk_len / sizeof(uint32_t)) {
        reply_error(c, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return;
    }
    /* dp[i][j] = LCS length of a[0..i) and b[0..j) */
    uint32_t *dp = tier_dram_malloc((size_t)cells * sizeof(uint32_t));
#define DP(i, j) dp[(size_t)(i) * (blen + 1) + (j)]
    for (size_t i = 0; i <= alen; i++) {
        for (size_t j = 0; j <= blen; j++) {
            if (i == 0 || j == 0) DP(i, j) = 0;
            else if (a[i - 1] == b[j - 1]) DP(i, j) = DP(i - 1, j - 1) + 1;
            else DP(i, j) = DP(i - 1, j) > DP(i, j - 1) ? DP(i - 1, j) : DP(i, j - 1);
        }
    }
    uint32_t total = DP(alen, blen);
    if (getlen) {
        reply_ll(c, total);
        tier_dram_free(dp);
        return;
    }
    /* Walk back from the end; the tie-break (prefer moving in b) and the
     * order of ranges (last first) are what Redis replies. */
    char *res = tier_dram_malloc(total + 1);
    reply_deferred dr = {NULL};
    long nranges = 0;
    if (getidx) {
        reply_map(c, 2);
        reply_cstr(c, "matches");
        dr = reply_defer(c);
    }
    size_t i = alen, j = blen, k = total;
    int in_range = 0;
    size_t as = 0, ae = 0, bs = 0, be = 0;
    while (i > 0 && j > 0) {
        int emit = 0;
        if (a[i - 1] == b[j - 1]) {
            res[--k] = a[i - 1];
            if (!in_range) {
                in_range = 1;
                as = ae = i - 1;
                bs = be = j - 1;
            } else {
                /* consecutive matches always extend the current range */
                as--;
                bs--;
            }
            if (as == 0 || bs == 0) emit = 1;
            i--;
            j--;
        } else {
            if (DP(i - 1, j) > DP(i, j - 1)) i--;
            else j--;
            if (in_range) emit = 1;
        }
        if (emit) {
            long long mlen = (long long)(ae - as + 1);
            if (getidx && (minlen == 0 || mlen >= minlen)) {
                reply_array(c, 2 + withlen);
                reply_array(c, 2);
                reply_ll(c, (long long)as);
                reply_ll(c, (long long)ae);
                reply_array(c, 2);
                reply_ll(c, (long long)bs);
                reply_ll(c, (long long)be);
                if (withlen) reply_ll(c, mlen);
                nranges++;
            }
            in_range = 0;
        }
    }
#undef DP
    if (getidx) {
        reply_cstr(c, "len");
        reply_ll(c, total);
        reply_set_deferred_array(c, dr, nranges);
    } else {
        reply_bulk(c, res, total);
    }
    tier_dram_free(res);
    tier_dram_free(dp);
}
