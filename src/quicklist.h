/* quicklist.h -- a doubly linked list of listpacks: the list type's storage.
 *
 * What it promises
 *   - Pushing and popping at either end are O(1) (amortised over the size of
 *     one node); indexing walks nodes from the nearer end, skipping whole
 *     nodes by their counts.
 *   - Node size follows list-max-listpack-size ("fill"): fill > 0 caps the
 *     entries of a node (and, like Redis, its bytes at 8 KiB); fill -1..-5
 *     caps its bytes at 4, 8, 16, 32, 64 KiB.  An element larger than the
 *     cap still gets a node of its own.  No node is ever empty.
 *   - Nodes (metadata) are on DRAM (tier_dram_*); each node's listpack is
 *     user data (tier_malloc) so the tier allocator places element bytes.
 *   - Positions (ql_entry) are invalidated by any change except through the
 *     iterator's own ql_iter_del().
 */
#ifndef QUICKLIST_H
#define QUICKLIST_H

#include <stddef.h>
#include <stdint.h>

#include "listpack.h"

typedef struct ql_node {
    struct ql_node *prev, *next;
    unsigned char *lp;
    uint32_t count;
} ql_node;

typedef struct quicklist {
    ql_node *head, *tail;
    unsigned long count;        /* elements */
    unsigned long len;          /* nodes */
    int fill;
} quicklist;

#define QL_HEAD 0
#define QL_TAIL 1

typedef struct ql_entry {
    ql_node *node;
    unsigned char *p;
    lp_val v;
} ql_entry;

/* Iterator: forward (QL_HEAD -> tail) or backward. */
typedef struct ql_iter {
    quicklist *ql;
    ql_node *node;      /* node of the next entry, NULL at the end */
    size_t off;         /* offset of the next entry in node->lp */
    int backward;
} ql_iter;

quicklist *ql_new(int fill);
void ql_free(quicklist *ql);
quicklist *ql_dup(const quicklist *ql);
static inline unsigned long ql_count(const quicklist *ql) { return ql->count; }
/* Bytes of all listpacks (for MEMORY USAGE / tiering). */
size_t ql_bytes(const quicklist *ql);

void ql_push(quicklist *ql, int where, const char *s, size_t len);
/* The element at an end; 0 if empty. */
int ql_peek(quicklist *ql, int where, ql_entry *e);
/* Remove the element at an end (the list must not be empty). */
void ql_pop_discard(quicklist *ql, int where);

/* Element at index (negative from the tail); 0 if out of range. */
int ql_index(quicklist *ql, long index, ql_entry *e);
void ql_replace(quicklist *ql, ql_entry *e, const char *s, size_t len);
/* Insert before (LP_BEFORE) or after (LP_AFTER) the entry e. */
void ql_insert(quicklist *ql, ql_entry *e, enum lp_where where, const char *s, size_t len);
/* Delete count elements starting at index start (>= 0). */
void ql_del_range(quicklist *ql, long start, unsigned long count);

/* Iteration starting at index (negative from the tail); backward walks
 * towards the head. */
void ql_iter_init(ql_iter *it, quicklist *ql, long index, int backward);
int ql_iter_next(ql_iter *it, ql_entry *e);
/* Delete the entry the iterator just returned; iteration continues with the
 * element after it (in the iteration's direction). */
void ql_iter_del(ql_iter *it, ql_entry *e);

/* Consistency check for tests: counts, links, no empty node, fill limits on
 * nodes with more than one entry.  1 if sound. */
int ql_validate(const quicklist *ql);

#endif
