/* dict.c -- intrusive hash table; see dict.h for the contract.
 *
 * HOW REHASHING WORKS
 *   table[0] is the live array; when the load factor reaches 1 (or 5 when
 *   resizing is discouraged), table[1] is allocated at the next power of two
 *   above 2*used and buckets move from 0 to 1 a few at a time, in index
 *   order, rehash_idx marking the first unmoved bucket.  While rehashing,
 *   inserts go to table[1] and lookups look in both.  When table[0] is empty
 *   table[1] becomes table[0].
 *
 * HOW SCAN WORKS
 *   The cursor walks bucket indexes with the bits reversed: it increments the
 *   high bits first.  In a table of size 2^k, bucket i expands to buckets
 *   i and i + 2^k in a table of size 2^(k+1); with a reversed increment those
 *   children come in the order the cursor visits, so buckets already visited
 *   in the small table are never revisited-and-skipped in the large one, and
 *   vice versa when shrinking (the price: some nodes may be returned twice).
 *   While rehashing, each call visits the small table's bucket and all the
 *   large table's buckets that expand from it.
 */
#include "dict.h"

#include <string.h>

#include "tier.h"
#include "util.h"

#define DICT_MIN_SIZE 4
#define DICT_FORCE_RATIO 5

static int dict_resize_enabled = 1;

void dict_set_resize_policy(int enabled) { dict_resize_enabled = enabled; }

void dict_init(dict *d, const dict_type *type)
{
    memset(d, 0, sizeof(*d));
    d->type = type;
    d->rehash_idx = -1;
}

static inline uint64_t node_hash(const dict *d, const dict_node *n)
{
    size_t len;
    const char *k = d->type->key(n, &len);
    return util_hash(k, len);
}

void dict_clear(dict *d, void (*free_node)(dict_node *n, void *priv), void *priv)
{
    for (int t = 0; t < 2; t++) {
        if (!d->table[t]) continue;
        if (free_node) {
            for (uint64_t i = 0; i <= d->mask[t]; i++) {
                dict_node *n = d->table[t][i];
                while (n) {
                    dict_node *next = n->next;
                    free_node(n, priv);
                    n = next;
                }
            }
        }
        tier_dram_free(d->table[t]);
    }
    const dict_type *type = d->type;
    dict_init(d, type);
}

static uint64_t next_pow2(uint64_t v)
{
    uint64_t s = DICT_MIN_SIZE;
    while (s < v && s < (1ULL << 62)) s <<= 1;
    return s;
}

/* dict_expand -- start a rehash into a table of at least size buckets. */
void dict_expand(dict *d, uint64_t size)
{
    if (dict_is_rehashing(d)) return;
    uint64_t real = next_pow2(size);
    if (d->table[0] && real == d->mask[0] + 1) return;
    dict_node **t = tier_dram_calloc(real * sizeof(dict_node *));
    if (!d->table[0]) {
        d->table[0] = t;
        d->mask[0] = real - 1;
        return;
    }
    d->table[1] = t;
    d->mask[1] = real - 1;
    d->used[1] = 0;
    d->rehash_idx = 0;
}

static void dict_finish_rehash(dict *d)
{
    tier_dram_free(d->table[0]);
    d->table[0] = d->table[1];
    d->mask[0] = d->mask[1];
    d->used[0] = d->used[1];
    d->table[1] = NULL;
    d->mask[1] = 0;
    d->used[1] = 0;
    d->rehash_idx = -1;
}

int dict_rehash_step(dict *d, int n)
{
    if (!dict_is_rehashing(d)) return 0;
    int empty_visits = n * 10;
    while (n-- && d->used[0]) {
        while (d->table[0][d->rehash_idx] == NULL) {
            d->rehash_idx++;
            if (--empty_visits == 0) return 1;
        }
        dict_node *e = d->table[0][d->rehash_idx];
        while (e) {
            dict_node *next = e->next;
            uint64_t idx = node_hash(d, e) & d->mask[1];
            e->next = d->table[1][idx];
            d->table[1][idx] = e;
            d->used[0]--;
            d->used[1]++;
            e = next;
        }
        d->table[0][d->rehash_idx] = NULL;
        d->rehash_idx++;
    }
    if (d->used[0] == 0) {
        dict_finish_rehash(d);
        return 0;
    }
    return 1;
}

int dict_rehash_us(dict *d, uint64_t us)
{
    uint64_t start = util_monotonic_us();
    int moved = 0;
    while (dict_rehash_step(d, 100)) {
        moved += 100;
        if (util_monotonic_us() - start > us) break;
    }
    return moved;
}

static inline void rehash_if_idle(dict *d)
{
    if (d->pause_rehash == 0 && dict_is_rehashing(d)) dict_rehash_step(d, 1);
}

static void expand_if_needed(dict *d)
{
    if (dict_is_rehashing(d)) return;
    if (!d->table[0]) { dict_expand(d, DICT_MIN_SIZE); return; }
    uint64_t size = d->mask[0] + 1;
    if (d->used[0] >= size && (dict_resize_enabled || d->used[0] / size > DICT_FORCE_RATIO))
        dict_expand(d, d->used[0] + 1 > size * 2 ? d->used[0] + 1 : size * 2);
}

void dict_try_shrink(dict *d)
{
    if (!dict_resize_enabled || dict_is_rehashing(d) || !d->table[0] || d->pause_rehash) return;
    uint64_t size = d->mask[0] + 1;
    if (size > DICT_MIN_SIZE && d->used[0] * 8 < size)
        dict_expand(d, d->used[0] < DICT_MIN_SIZE ? DICT_MIN_SIZE : d->used[0]);
}

static inline int node_eq(const dict *d, const dict_node *n, const char *key, size_t len)
{
    size_t nl;
    const char *nk = d->type->key(n, &nl);
    return nl == len && memcmp(nk, key, len) == 0;
}

dict_node *dict_find_h(dict *d, const char *key, size_t len, uint64_t h)
{
    if (dict_size(d) == 0) return NULL;
    rehash_if_idle(d);
    for (int t = 0; t < 2; t++) {
        if (!d->table[t]) break;
        for (dict_node *n = d->table[t][h & d->mask[t]]; n; n = n->next)
            if (node_eq(d, n, key, len)) return n;
        if (!dict_is_rehashing(d)) break;
    }
    return NULL;
}

dict_node *dict_find(dict *d, const char *key, size_t len)
{
    if (dict_size(d) == 0) return NULL;
    return dict_find_h(d, key, len, util_hash(key, len));
}

void dict_add(dict *d, dict_node *n)
{
    rehash_if_idle(d);
    expand_if_needed(d);
    int t = dict_is_rehashing(d) ? 1 : 0;
    uint64_t idx = node_hash(d, n) & d->mask[t];
    n->next = d->table[t][idx];
    d->table[t][idx] = n;
    d->used[t]++;
}

/* Pointer to the link that points at the node with this key, or NULL. */
static dict_node **find_link(dict *d, const char *key, size_t len, int *table)
{
    if (dict_size(d) == 0) return NULL;
    uint64_t h = util_hash(key, len);
    for (int t = 0; t < 2; t++) {
        if (!d->table[t]) break;
        dict_node **link = &d->table[t][h & d->mask[t]];
        while (*link) {
            if (node_eq(d, *link, key, len)) { *table = t; return link; }
            link = &(*link)->next;
        }
        if (!dict_is_rehashing(d)) break;
    }
    return NULL;
}

dict_node *dict_unlink(dict *d, const char *key, size_t len)
{
    rehash_if_idle(d);
    int t;
    dict_node **link = find_link(d, key, len, &t);
    if (!link) return NULL;
    dict_node *n = *link;
    *link = n->next;
    n->next = NULL;
    d->used[t]--;
    return n;
}

void dict_replace_node(dict *d, dict_node *old, dict_node *nw)
{
    size_t len;
    const char *key = d->type->key(nw, &len);
    int t;
    dict_node **link = find_link(d, key, len, &t);
    if (!link || *link != old) return;
    nw->next = old->next;
    *link = nw;
}

dict_node *dict_random(dict *d)
{
    if (dict_size(d) == 0) return NULL;
    rehash_if_idle(d);
    dict_node *bucket = NULL;
    /* Pick a non-empty bucket at random, then a node in its chain. */
    for (int tries = 0; !bucket; tries++) {
        if (dict_is_rehashing(d)) {
            uint64_t s0 = d->mask[0] + 1, s1 = d->mask[1] + 1;
            uint64_t span = s0 + s1 - (uint64_t)d->rehash_idx;
            uint64_t h = (uint64_t)d->rehash_idx + util_rand64() % span;
            bucket = h >= s0 ? d->table[1][h - s0] : d->table[0][h];
        } else {
            bucket = d->table[0][util_rand64() & d->mask[0]];
        }
        if (tries > 1000000) return NULL;
    }
    uint64_t len = 0;
    for (dict_node *n = bucket; n; n = n->next) len++;
    uint64_t k = util_rand64() % len;
    while (k--) bucket = bucket->next;
    return bucket;
}

static inline uint64_t rev64(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    v = ((v >> 8) & 0x00FF00FF00FF00FFULL) | ((v & 0x00FF00FF00FF00FFULL) << 8);
    v = ((v >> 16) & 0x0000FFFF0000FFFFULL) | ((v & 0x0000FFFF0000FFFFULL) << 16);
    return (v >> 32) | (v << 32);
}

static inline void emit_bucket(dict_node *n, dict_scan_fn *fn, void *priv)
{
    while (n) {
        dict_node *next = n->next;
        fn(priv, n);
        n = next;
    }
}

uint64_t dict_scan(dict *d, uint64_t v, dict_scan_fn *fn, void *priv)
{
    if (dict_size(d) == 0) return 0;
    d->pause_rehash++;
    if (!dict_is_rehashing(d)) {
        uint64_t m0 = d->mask[0];
        emit_bucket(d->table[0][v & m0], fn, priv);
        v |= ~m0;
        v = rev64(v); v++; v = rev64(v);
    } else {
        int small = 0, large = 1;
        if (d->mask[0] > d->mask[1]) { small = 1; large = 0; }
        uint64_t m0 = d->mask[small], m1 = d->mask[large];
        emit_bucket(d->table[small][v & m0], fn, priv);
        do {
            emit_bucket(d->table[large][v & m1], fn, priv);
            v |= ~m1;
            v = rev64(v); v++; v = rev64(v);
        } while (v & (m0 ^ m1));
    }
    d->pause_rehash--;
    return v;
}

void dict_iter_init(dict_iter *it, dict *d)
{
    it->d = d;
    it->table = 0;
    it->idx = -1;
    it->cur = NULL;
    it->next = NULL;
    d->pause_rehash++;
}

dict_node *dict_iter_next(dict_iter *it)
{
    dict *d = it->d;
    for (;;) {
        if (it->next) {
            it->cur = it->next;
            it->next = it->cur->next;
            return it->cur;
        }
        it->idx++;
        if (!d->table[it->table] || (uint64_t)it->idx > d->mask[it->table]) {
            if (it->table == 0 && dict_is_rehashing(d)) {
                it->table = 1;
                it->idx = 0;
            } else {
                return NULL;
            }
        }
        if (!d->table[it->table]) return NULL;
        it->next = d->table[it->table][it->idx];
    }
}

void dict_iter_release(dict_iter *it)
{
    if (it->d) it->d->pause_rehash--;
    it->d = NULL;
}
