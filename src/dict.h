/* dict.h -- an intrusive chained hash table with incremental rehashing.
 *
 * What it promises
 *   - Nodes are the caller's structures; the first member of each is a
 *     dict_node.  The table never allocates or frees nodes, only its bucket
 *     arrays (on DRAM, through the tier allocator), so one key costs one
 *     allocation.  The key of a node is read through dict_type.key().
 *   - Growing or shrinking never stalls: the table keeps two arrays while it
 *     rehashes and moves a few buckets on each lookup/insert/delete
 *     (dict_rehash_step) and in the server cron (dict_rehash_us).
 *   - dict_scan gives Redis's SCAN guarantee: a node present in the table
 *     from the first call to the last is returned at least once, whatever
 *     resizes happen in between (reverse-binary cursor).  It may return a
 *     node more than once.
 *   - While d->pause_rehash > 0 (an iteration is open) no rehash step runs,
 *     so iterators see every node exactly once if the table is not modified.
 *   - Resizes are allowed unless dict_set_resize_policy(0) (e.g. while a fork
 *     child runs): then it still grows when the load factor passes 5.
 * Single-threaded; no locking.
 */
#ifndef DICT_H
#define DICT_H

#include <stddef.h>
#include <stdint.h>

typedef struct dict_node {
    struct dict_node *next;
} dict_node;

typedef struct dict_type {
    /* key bytes of a node */
    const char *(*key)(const dict_node *n, size_t *len);
} dict_type;

typedef struct dict {
    const dict_type *type;
    dict_node **table[2];
    uint64_t mask[2];       /* size - 1; size 0 means mask 0 and table NULL */
    uint64_t used[2];
    int64_t rehash_idx;     /* -1 when not rehashing */
    int pause_rehash;       /* > 0 while an iterator is open */
} dict;

void dict_init(dict *d, const dict_type *type);
/* Frees the bucket arrays; calls free_node on every node if given. */
void dict_clear(dict *d, void (*free_node)(dict_node *n, void *priv), void *priv);

static inline uint64_t dict_size(const dict *d) { return d->used[0] + d->used[1]; }
static inline uint64_t dict_buckets(const dict *d)
{
    return (d->table[0] ? d->mask[0] + 1 : 0) + (d->table[1] ? d->mask[1] + 1 : 0);
}
static inline int dict_is_rehashing(const dict *d) { return d->rehash_idx != -1; }

dict_node *dict_find(dict *d, const char *key, size_t len);
dict_node *dict_find_h(dict *d, const char *key, size_t len, uint64_t h);
/* Adds a node whose key is not in the table (the caller checked). */
void dict_add(dict *d, dict_node *n);
/* Unlinks and returns the node with this key, NULL if absent. */
dict_node *dict_unlink(dict *d, const char *key, size_t len);
/* Replaces node old (present) with node new that has the same key. */
void dict_replace_node(dict *d, dict_node *old, dict_node *nw);

/* A node chosen at random (approximately uniform); NULL if empty. */
dict_node *dict_random(dict *d);

typedef void dict_scan_fn(void *priv, dict_node *n);
uint64_t dict_scan(dict *d, uint64_t cursor, dict_scan_fn *fn, void *priv);

/* Incremental rehash: up to n bucket moves; returns 1 if more remain. */
int dict_rehash_step(dict *d, int n);
/* Rehash for about us microseconds; returns buckets moved. */
int dict_rehash_us(dict *d, uint64_t us);
/* Grow/shrink to fit (called from cron when load is low). */
void dict_try_shrink(dict *d);
void dict_expand(dict *d, uint64_t size);
void dict_set_resize_policy(int enabled);

/* Iteration: visits every node once if the table is not modified, except
 * that the current node may be deleted. */
typedef struct dict_iter {
    dict *d;
    int table;
    int64_t idx;
    dict_node *cur, *next;
} dict_iter;
void dict_iter_init(dict_iter *it, dict *d);
dict_node *dict_iter_next(dict_iter *it);
void dict_iter_release(dict_iter *it);

#endif
