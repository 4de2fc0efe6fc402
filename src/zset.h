/* zset.h -- sorted-set values: a compact sorted block while small, a
 * skiplist indexed by a hash table when big.
 *
 * What it promises
 *   - A value is (enc, ptr).  ENC_LISTPACK ("listpack" in OBJECT ENCODING):
 *     ptr is one tier_malloc block of entries sorted by (score, member),
 *     used while the count <= zset-max-listpack-entries and every member is
 *     <= zset-max-listpack-value bytes.  ENC_SKIPLIST: ptr is a zsl (DRAM)
 *     whose nodes (DRAM metadata) are also the hash-table nodes, and whose
 *     member bytes are tier_malloc blocks.
 *   - zobj_set converts compact -> skiplist before a change that would break
 *     the limits; nothing converts back except zobj_shrink_if_fits (used
 *     when a command builds a new value, as Redis 7.0 does).  A conversion
 *     never loses an element.
 *   - Order is by score, then by member bytes (memcmp, shorter first).
 *   - Ranks: zobj_count_prefix gives the number of leading elements for
 *     which a monotone predicate holds, in O(log n) on skiplists (spans),
 *     O(n) on compact blocks; every range command is built on it.
 *   - For RDB and tier migration: zit iterates (member, score) in order;
 *     zobj_new + zobj_set build a value from members.
 * Scores are never NaN (callers check).  Main thread only.
 */
#ifndef ZSET_H
#define ZSET_H

#include <stddef.h>
#include <stdint.h>

#include "dict.h"

#define ZSL_MAXLEVEL 32

typedef struct zobj {
    uint8_t enc;
    void *ptr;
} zobj;

typedef struct zsl_node {
    dict_node hnode;             /* member -> node index (first member: intrusive) */
    char *m;                     /* member bytes, tier_malloc */
    uint32_t mlen;
    uint32_t level;
    double score;
    struct zsl_node *back;
    struct zsl_level {
        struct zsl_node *fwd;
        uint64_t span;           /* elements skipped by following fwd */
    } lv[];
} zsl_node;

typedef struct zsl {
    dict index;
    zsl_node *head, *tail;
    uint64_t len;
    int level;
} zsl;

/* New empty value; compact if size_hint elements of up to maxlen bytes fit
 * the limits, else skiplist. */
void zobj_new(zobj *z, uint64_t size_hint, size_t maxlen);
void zobj_free(int enc, void *ptr);
void *zobj_dup(int enc, const void *ptr);
uint64_t zobj_len(const zobj *z);
int zobj_score(const zobj *z, const char *m, size_t len, double *score);
/* Insert or change the score of m: 1 if added, 0 if it existed. */
int zobj_set(zobj *z, const char *m, size_t len, double score);
/* zobj_set for a member the caller has just found absent (skips the
 * lookup); always adds. */
void zobj_add_absent(zobj *z, const char *m, size_t len, double score);
int zobj_del(zobj *z, const char *m, size_t len);
/* Number of leading elements for which below() is true (it must be true
 * on a prefix of the order and false after it). */
typedef int zobj_pred(const char *m, size_t len, double score, void *priv);
uint64_t zobj_count_prefix(const zobj *z, zobj_pred *below, void *priv);
/* Rank (0-based) of member m with score; m must be present. */
uint64_t zobj_rank(const zobj *z, const char *m, size_t len, double score);
/* Delete the elements of ranks [start, end). */
void zobj_delete_range(zobj *z, uint64_t start, uint64_t end);
void zobj_convert(zobj *z, int enc);
/* Compact again if the value fits the limits (for newly built values). */
void zobj_shrink_if_fits(zobj *z);
/* Checks every invariant (order, spans, index, counts); 1 if ok. */
int zobj_valid(const zobj *z);

/* Iterator over (member, score) in order; invalid past either end. */
typedef struct zit {
    const zobj *z;
    size_t off;          /* compact: entry offset, SIZE_MAX when invalid */
    zsl_node *n;         /* skiplist: node, NULL when invalid */
} zit;
/* Position at rank (0-based); invalid if rank >= len. */
void zit_seek(zit *it, const zobj *z, uint64_t rank);
int zit_valid(const zit *it);
void zit_get(const zit *it, const char **m, size_t *len, double *score);
void zit_next(zit *it);
void zit_prev(zit *it);

/* Order of (s1, m1) against (s2, m2). */
int zobj_cmp(double s1, const char *m1, size_t l1, double s2, const char *m2, size_t l2);
/* memcmp order of members, shorter first on a common prefix. */
int zobj_lexcmp(const char *a, size_t al, const char *b, size_t bl);

/* Register OBJ_ZSET with the keyspace (free/dup); from modules.c
 * (defined in t_zset.c). */
void t_zset_register(void);

#endif
