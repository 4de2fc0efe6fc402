/* intset.h -- a sorted set of 64-bit integers in one contiguous block.
 *
 * What it promises
 *   - Members are kept sorted and unique in a packed array whose element
 *     width (2, 4 or 8 bytes) is the smallest that holds every member; adding
 *     a member outside the current width widens the whole array once.  The
 *     width never narrows (removals keep it), so a set that once held a big
 *     value pays 8 bytes per member until it is rebuilt.
 *   - The block (header + array) is user data: it is allocated with
 *     tier_malloc/tier_realloc and may live on either tier.  Functions that
 *     can resize it return the possibly moved pointer.
 *   - Lookup is a binary search, O(log n); add/remove are O(n) (memmove).
 *   - Elements are stored little-endian-native (host order); the block is not
 *     a serialisation format (RDB code converts explicitly).
 */
#ifndef INTSET_H
#define INTSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct intset {
    uint32_t width;      /* bytes per element: 2, 4 or 8 */
    uint32_t len;        /* number of elements */
    unsigned char data[];
} intset;

intset *intset_new(void);
void intset_free(intset *s);
intset *intset_dup(const intset *s);
/* *added = 1 if v was not a member (it is now). */
intset *intset_add(intset *s, int64_t v, int *added);
/* *removed = 1 if v was a member (it is not now). */
intset *intset_remove(intset *s, int64_t v, int *removed);
int intset_find(const intset *s, int64_t v);
static inline uint32_t intset_len(const intset *s) { return s->len; }
/* Element at pos (0 <= pos < len), in ascending order. */
int64_t intset_get(const intset *s, uint32_t pos);
/* A uniformly chosen element; s must not be empty. */
int64_t intset_random(const intset *s);
/* Bytes the block occupies (header + array). */
size_t intset_bytes(const intset *s);
/* Checks the invariants (sorted, unique, minimal-enough width); 1 if ok. */
int intset_valid(const intset *s);

#endif
