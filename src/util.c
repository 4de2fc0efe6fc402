/* util.c -- see util.h.  The parsing rules here are part of the protocol:
 * INCR on "007" must fail exactly as Redis fails, so each accepts/rejects
 * case is deliberate. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int util_str2ull(const char *s, size_t len, unsigned long long *out)
{
    if (len == 0 || len > 20) return 0;
    if (len == 1 && s[0] == '0') { *out = 0; return 1; }
    if (s[0] < '1' || s[0] > '9') return 0;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

int util_str2ll(const char *s, size_t len, long long *out)
{
    if (len == 0) return 0;
    int neg = 0;
    if (s[0] == '-') {
        neg = 1; s++; len--;
        /* "-0" is not an integer to Redis */
        if (len == 0 || s[0] == '0') return 0;
    }
    unsigned long long v;
    if (!util_str2ull(s, len, &v)) return 0;
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1) return 0;
        *out = (long long)(0 - v);
    } else {
        if (v > (unsigned long long)LLONG_MAX) return 0;
        *out = (long long)v;
    }
    return 1;
}

int util_str2ld(const char *s, size_t len, long double *out)
{
    char buf[256];
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0])) return 0;
    errno = 0;
    char *end;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v)) return 0;
    if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) return 0;
    *out = v;
    return 1;
}

int util_str2d(const char *s, size_t len, double *out)
{
    char buf[256];
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0])) return 0;
    errno = 0;
    char *end;
    double v = strtod(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v)) return 0;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) return 0;
    *out = v;
    return 1;
}

unsigned util_digits10(unsigned long long v)
{
    unsigned n = 1;
    while (v >= 10) { v /= 10; n++; }
    return n;
}

size_t util_ull2str(char *buf, unsigned long long v)
{
    char tmp[UTIL_LL_STR_SIZE];
    size_t n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

size_t util_ll2str(char *buf, long long v)
{
    if (v < 0) {
        buf[0] = '-';
        return 1 + util_ull2str(buf + 1, (unsigned long long)0 - (unsigned long long)v);
    }
    return util_ull2str(buf, (unsigned long long)v);
}

size_t util_d2str(char *buf, size_t size, double d)
{
    if (isinf(d)) {
        const char *s = d > 0 ? "inf" : "-inf";
        size_t n = strlen(s);
        memcpy(buf, s, n + 1);
        return n;
    }
    /* Integers of up to 52 bits print the same digits with %.17g as with
     * the integer formatter, which is several times cheaper (sorted-set
     * replies with integer scores).  -0 keeps snprintf's "-0". */
    if (d > -4503599627370495.0 && d < 4503599627370496.0 && d == (double)(long long)d &&
        (d != 0 || !signbit(d)) && size >= UTIL_LL_STR_SIZE)
        return util_ll2str(buf, (long long)d);
    int n = snprintf(buf, size, "%.17g", d);
    return n < 0 ? 0 : (size_t)n;
}

size_t util_ld2str_human(char *buf, size_t size, long double v)
{
    if (isinf(v)) {
        const char *s = v > 0 ? "inf" : "-inf";
        size_t n = strlen(s);
        memcpy(buf, s, n + 1);
        return n;
    }
    int n = snprintf(buf, size, "%.17Lf", v);
    if (n < 0 || (size_t)n >= size) return 0;
    if (strchr(buf, '.')) {
        char *p = buf + n - 1;
        while (*p == '0') { p--; n--; }
        if (*p == '.') n--;
        buf[n] = '\0';
    }
    if (n == 2 && buf[0] == '-' && buf[1] == '0') { buf[0] = '0'; buf[1] = '\0'; n = 1; }
    return (size_t)n;
}

/* util_glob_match -- Redis's stringmatchlen semantics.
 * *exhausted is set when a '*' tried every remaining suffix and failed: then
 * an enclosing '*' cannot succeed by consuming more either, which keeps
 * patterns like "a*a*a*...b" polynomial instead of exponential. */
static int glob_rec(const char *p, size_t pl, const char *s, size_t sl, int nocase, int depth, int *exhausted)
{
    if (depth > 1000) return 0;   /* bounded nesting */
    while (pl) {
        switch (p[0]) {
        case '*':
            while (pl > 1 && p[1] == '*') { p++; pl--; }
            if (pl == 1) return 1;
            /* the rest starts with a non-'*' token: it needs >= 1 byte */
            while (sl) {
                if (glob_rec(p + 1, pl - 1, s, sl, nocase, depth + 1, exhausted)) return 1;
                if (*exhausted) return 0;
                s++; sl--;
            }
            *exhausted = 1;
            return 0;
        case '?':
            if (!sl) return 0;
            s++; sl--;
            break;
        case '[': {
            if (!sl) return 0;
            p++; pl--;
            int not = 0, match = 0;
            if (pl && p[0] == '^') { not = 1; p++; pl--; }
            for (;;) {
                if (pl == 0) { /* unterminated: treat as end */
                    break;
                }
                if (p[0] == '\\' && pl >= 2) {
                    p++; pl--;
                    if (p[0] == s[0]) match = 1;
                } else if (p[0] == ']') {
                    break;
                } else if (pl >= 3 && p[1] == '-') {
                    int a = (unsigned char)p[0], b = (unsigned char)p[2], c = (unsigned char)s[0];
                    if (a > b) { int t = a; a = b; b = t; }
                    if (nocase) { a = tolower(a); b = tolower(b); c = tolower(c); }
                    p += 2; pl -= 2;
                    if (c >= a && c <= b) match = 1;
                } else {
                    if (nocase) { if (tolower((unsigned char)p[0]) == tolower((unsigned char)s[0])) match = 1; }
                    else if (p[0] == s[0]) match = 1;
                }
                p++; pl--;
            }
            if (not) match = !match;
            if (!match) return 0;
            s++; sl--;
            if (pl == 0) return sl == 0;   /* unterminated class consumed the pattern */
            break;
        }
        case '\\':
            if (pl >= 2) { p++; pl--; }
            /* fall through */
        default:
            if (!sl) return 0;
            if (nocase) { if (tolower((unsigned char)p[0]) != tolower((unsigned char)s[0])) return 0; }
            else if (p[0] != s[0]) return 0;
            s++; sl--;
            break;
        }
        p++; pl--;
        if (sl == 0) {
            while (pl && *p == '*') { p++; pl--; }
            break;
        }
    }
    return pl == 0 && sl == 0;
}

int util_glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase)
{
    int exhausted = 0;
    /* Redis matches an empty string only with an empty pattern, even "*"
     * (KEYS * and SCAN without MATCH list "" through their match-all path). */
    if (slen == 0) return plen == 0;
    return glob_rec(pat, plen, str, slen, nocase, 0, &exhausted);
}

static uint64_t hash_k0 = 0x736f6d6570736575ULL, hash_k1 = 0x646f72616e646f6dULL;

void util_hash_seed(const uint8_t seed[16])
{
    memcpy(&hash_k0, seed, 8);
    memcpy(&hash_k1, seed + 8, 8);
}

static inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

static inline uint64_t fmix(uint64_t h)
{
    h ^= h >> 33; h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Seeded multiply-rotate hash over 8-byte words; keys are short, so speed on
 * 8..64 bytes matters more than long-input throughput. */
static inline uint64_t hash_words(const uint8_t *p, size_t len, int nocase)
{
    uint64_t h = hash_k0 ^ (len * 0x9e3779b97f4a7c15ULL);
    uint64_t k1 = hash_k1;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        if (nocase) w |= 0x2020202020202020ULL & ((w & 0x4040404040404040ULL) >> 1);
        h = rotl(h ^ (w * 0x87c37b91114253d5ULL), 31) * 5 + k1;
        p += 8; len -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        if (nocase && c >= 'A' && c <= 'Z') c |= 0x20;
        w |= (uint64_t)c << (8 * i);
    }
    h ^= rotl(w * 0x4cf5ad432745937fULL, 33);
    return fmix(h ^ k1);
}

uint64_t util_hash(const void *key, size_t len) { return hash_words(key, len, 0); }

uint64_t util_hash_nocase(const void *key, size_t len)
{
    /* Word-at-a-time folding is only exact for letters; do it bytewise. */
    uint8_t buf[64];
    if (len <= sizeof(buf)) {
        for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)tolower(((const uint8_t *)key)[i]);
        return hash_words(buf, len, 0);
    }
    uint64_t h = hash_k0;
    for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)tolower(((const uint8_t *)key)[i])) * 0x100000001b3ULL;
    return fmix(h);
}

int util_memtoull(const char *s, unsigned long long *out)
{
    size_t len = strlen(s);
    unsigned long long mul = 1;
    size_t numlen = len;
    static const struct { const char *suf; unsigned long long mul; } units[] = {
        {"kb", 1024ULL}, {"mb", 1024ULL * 1024}, {"gb", 1024ULL * 1024 * 1024},
        {"k", 1000ULL}, {"m", 1000ULL * 1000}, {"g", 1000ULL * 1000 * 1000}, {"b", 1},
    };
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t sl = strlen(units[i].suf);
        if (len > sl && strcasecmp(s + len - sl, units[i].suf) == 0) {
            mul = units[i].mul;
            numlen = len - sl;
            break;
        }
    }
    unsigned long long v;
    if (!util_str2ull(s, numlen, &v)) return 0;
    if (mul != 1 && v > ULLONG_MAX / mul) return 0;
    *out = v * mul;
    return 1;
}

int64_t util_ustime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t util_mstime(void) { return util_ustime() / 1000; }

uint64_t util_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t rng_state = 0x853c49e6748fea9bULL;

uint64_t util_rand64(void)
{
    uint64_t x = rng_state;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}
