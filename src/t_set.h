/* t_set.h -- set values (intset or hash table) and their C API.
 *
 * What it promises
 *   - A set value is (enc, ptr): ENC_INTSET with ptr an intset* while every
 *     member is an integer in Redis's canonical form and the count is at
 *     most set-max-intset-entries; ENC_HT with ptr a dict* of set_member
 *     nodes otherwise.  setval_add converts intset -> hash table when needed
 *     and never loses a member; it never converts back (as Redis 7.0).
 *   - For RDB save/load and tier migration: setval_iter visits every member
 *     once (integers formatted as text), setval_new + setval_add build a set
 *     from members (the encoding follows automatically).
 * Main thread only.
 */
#ifndef T_SET_H
#define T_SET_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "dict.h"
#include "util.h"

typedef struct setval {
    uint8_t enc;
    void *ptr;
} setval;

/* A member of a hash-table set.  The node (DRAM metadata) holds the chain
 * link and a pointer to the member bytes, which are user data
 * (tier_malloc).  Keeping the node apart from the bytes means walking a
 * hash chain never touches the slower tier except to compare a candidate
 * key, and the per-tier byte counters see exactly the member bytes as user
 * data; the price is a second allocation per member. */
typedef struct set_member {
    dict_node node;
    uint32_t len;
    char *p;
} set_member;

/* Empty set whose encoding suits a first member like p (intset if p is an
 * integer and intsets are enabled). */
void setval_new(setval *s, const char *p, size_t len);
/* Empty hash-table set pre-sized for n members. */
void setval_new_ht(setval *s, uint64_t n);
int setval_add(setval *s, const char *p, size_t len);       /* 1 if added */
int setval_remove(setval *s, const char *p, size_t len);    /* 1 if removed */
int setval_has(const setval *s, const char *p, size_t len);
uint64_t setval_size(const setval *s);
void setval_free(int enc, void *ptr);
void *setval_dup(int enc, const void *ptr);

typedef struct setval_iter {
    const setval *s;
    uint32_t pos;
    dict_iter di;
    char buf[UTIL_LL_STR_SIZE];
} setval_iter;
void setval_iter_init(setval_iter *it, const setval *s);
/* Next member (p valid until the next call); 0 at the end.  The set must
 * not change during the iteration. */
int setval_iter_next(setval_iter *it, const char **p, size_t *len);
void setval_iter_release(setval_iter *it);
/* A random member (approximately uniform for hash tables); buf holds the
 * text of an integer.  s must not be empty. */
void setval_random(const setval *s, char buf[UTIL_LL_STR_SIZE], const char **p, size_t *len);

/* Register OBJ_SET with the keyspace (free/dup); from modules.c. */
void t_set_register(void);

#endif
