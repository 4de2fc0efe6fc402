/* util.h -- number parsing/formatting, glob matching and hashing, exactly as
 * Redis clients observe them.
 *
 * What it promises
 *   - util_str2ll accepts what Redis calls an integer: optional '-', no '+',
 *     no spaces, no leading zeros (except "0"), no overflow.
 *   - util_str2ld/util_str2d accept what Redis calls a float: strtod syntax,
 *     no leading/trailing space, no NaN; "inf"/"-inf" allowed.
 *   - util_d2str formats a double the way Redis replies with one
 *     ("%.17g", "inf", "-inf"); util_ld2str_human formats INCRBYFLOAT results.
 *   - util_glob_match implements Redis's KEYS/SCAN/CONFIG GET patterns:
 *     '*', '?', '[abc]', '[^a]', '[a-z]', '\' escapes.
 *   - util_hash is a seeded 64-bit hash; util_hash_seed sets the seed once at
 *     start-up so clients cannot predict collisions.
 * All functions are pure and thread-safe (bar the seed, set before threads).
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

#define UTIL_LL_STR_SIZE 21     /* "-9223372036854775808" + NUL */
#define UTIL_D_STR_SIZE 128

int util_str2ll(const char *s, size_t len, long long *out);   /* 1 ok, 0 not an integer */
int util_str2ull(const char *s, size_t len, unsigned long long *out);
int util_str2d(const char *s, size_t len, double *out);        /* 1 ok, 0 not a float */
int util_str2ld(const char *s, size_t len, long double *out);
size_t util_ll2str(char *buf, long long v);                     /* returns length */
size_t util_ull2str(char *buf, unsigned long long v);
size_t util_d2str(char *buf, size_t size, double d);            /* "%.17g" with inf */
size_t util_ld2str_human(char *buf, size_t size, long double v);/* INCRBYFLOAT style */
unsigned util_digits10(unsigned long long v);

int util_glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase);

void util_hash_seed(const uint8_t seed[16]);
uint64_t util_hash(const void *key, size_t len);
uint64_t util_hash_nocase(const void *key, size_t len);

/* Memory sizes as in redis.conf: "1gb", "100mb", "10k", plain bytes. */
int util_memtoull(const char *s, unsigned long long *out);

/* Monotonic and wall clocks. */
int64_t util_mstime(void);     /* wall clock, ms since the epoch */
int64_t util_ustime(void);     /* wall clock, µs */
uint64_t util_monotonic_us(void);

/* xorshift-based PRNG for sampling (not for security). */
uint64_t util_rand64(void);

#endif
