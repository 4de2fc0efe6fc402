/* tiering_types.c -- how lists, hashes, sets and sorted sets take part in
 * tiered memory: the migration step moves their user-data blocks between
 * tiers, and MEMORY USAGE / MEMORY TIER count their bytes per tier.
 *
 * What it promises
 *   - Only user-data blocks move (quicklist listpacks, hash listpacks and
 *     field+value blocks, intsets and set member blocks, compact zset blocks
 *     and skiplist member blocks); metadata (list nodes, dicts, skiplist
 *     nodes) stays on DRAM.  Each moved block's one owner pointer is
 *     updated in place; no value changes and no hash-table layout changes
 *     (a member's bytes, hence its hash, are the same after the move).
 *   - A value with many blocks can be left part-way when the step's budget
 *     runs out: the position is handed back in tiering_step.cursor (list:
 *     node index; hash tables: dict_scan cursor of the bucket being
 *     visited) and the next tick continues there.  Positions are hints: if
 *     the value changed meanwhile, blocks missed are found on a later cycle
 *     and blocks seen twice are no longer candidates.
 *   - Usage: user blocks per tier, metadata separately (DRAM); with
 *     samples > 0 the per-tier figures are scaled up from that many
 *     elements (nodes for lists), as Redis's MEMORY USAGE estimates.
 * Main thread only.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "db.h"
#include "dict.h"
#include "intset.h"
#include "quicklist.h"
#include "t_hash.h"
#include "t_set.h"
#include "tier.h"
#include "tiering.h"
#include "zset.h"

/* ---- helpers ------------------------------------------------------------------ */

/* Move the block behind a typed pointer field (p is the field's address). */
static int move_field(tiering_step *st, void *field)
{
    void *p;
    memcpy(&p, field, sizeof(p));
    int r = tiering_move_block(st, &p);
    memcpy(field, &p, sizeof(p));
    return r;
}

static void add_block(uint64_t bytes[TIER_COUNT], const void *p)
{
    if (p) bytes[tier_of(p)] += tier_usable_size(p);
}

static uint64_t dict_meta(const dict *d)
{
    uint64_t m = 0;
    for (int t = 0; t < 2; t++)
        if (d->table[t]) m += tier_usable_size(d->table[t]);
    return m;
}

/* Scale a sample of `seen` elements up to `total`. */
static void scale(uint64_t part[TIER_COUNT], uint64_t *meta_part, uint64_t seen, uint64_t total,
                  uint64_t bytes[TIER_COUNT], uint64_t *meta)
{
    double f = seen && total > seen ? (double)total / (double)seen : 1.0;
    for (int t = 0; t < TIER_COUNT; t++) bytes[t] += (uint64_t)((double)part[t] * f);
    if (meta) *meta += (uint64_t)((double)*meta_part * f);
}

/* Walking a hash table's elements: field_off is the offset of the user-block
 * pointer inside the node. */
typedef struct dict_walk {
    tiering_step *st;
    size_t field_off;
} dict_walk;

static void dict_walk_visit(void *priv, dict_node *n)
{
    dict_walk *w = priv;
    if (tiering_step_tick(w->st)) return;
    move_field(w->st, (char *)n + w->field_off);
}

/* Migrate every element block of d from st->cursor; on a stop, hand back
 * the cursor of the bucket being visited (revisiting its moved elements
 * costs a tier_of each). */
static void dict_migrate(dict *d, size_t field_off, tiering_step *st)
{
    /* While a table is rehashing, one dict_scan call visits every bucket
     * of the large table that maps to the cursor's bucket of the small one;
     * after a big expand or shrink that group can hold more elements than a
     * budget can look at, and the walk would restart on it forever (an idle
     * value's table is only rehashed by commands on it).  So finish the
     * rehash first, a budget at a time.  It moves metadata only. */
    while (dict_is_rehashing(d) && d->pause_rehash == 0) {
        if (tier_now_us() >= st->deadline_us) {
            st->stop = 1;
            st->partial = 1;
            return;
        }
        dict_rehash_step(d, 64);
    }
    dict_walk w = {.st = st, .field_off = field_off};
    uint64_t c = st->cursor;
    do {
        uint64_t at = c;
        c = dict_scan(d, c, dict_walk_visit, &w);
        if (st->stop) {
            st->cursor = at;
            st->partial = 1;
            return;
        }
    } while (c);
}

/* Usage of a hash table whose nodes hold one user block at field_off. */
static void dict_usage(const dict *cd, size_t field_off, long long samples, uint64_t bytes[TIER_COUNT],
                       uint64_t *meta)
{
    dict *d = (dict *)cd;
    uint64_t part[TIER_COUNT] = {0, 0}, mpart = 0, seen = 0;
    dict_iter it;
    dict_iter_init(&it, d);
    dict_node *n;
    while ((!samples || seen < (uint64_t)samples) && (n = dict_iter_next(&it))) {
        void *p;
        memcpy(&p, (char *)n + field_off, sizeof(p));
        add_block(part, p);
        mpart += tier_usable_size(n);
        seen++;
    }
    dict_iter_release(&it);
    scale(part, &mpart, seen, dict_size(d), bytes, meta);
    if (meta) *meta += tier_usable_size(d) + dict_meta(d);
}

/* ---- lists ---------------------------------------------------------------------- */

static void list_migrate(kv *e, tiering_step *st)
{
    quicklist *ql = e->ptr;
    uint64_t idx = 0;
    ql_node *n = ql->head;
    /* nodes before the resume point are DRAM metadata: skipping is cheap */
    while (n && idx < st->cursor) {
        n = n->next;
        idx++;
    }
    for (; n; n = n->next, idx++) {
        if (tiering_step_tick(st) || move_field(st, &n->lp)) {
            st->cursor = idx;
            st->partial = 1;
            return;
        }
    }
}

static void list_usage(const kv *e, long long samples, uint64_t bytes[TIER_COUNT], uint64_t *meta)
{
    const quicklist *ql = e->ptr;
    uint64_t part[TIER_COUNT] = {0, 0}, mpart = 0, seen = 0;
    for (const ql_node *n = ql->head; n && (!samples || seen < (uint64_t)samples); n = n->next) {
        add_block(part, n->lp);
        mpart += tier_usable_size(n);
        seen++;
    }
    scale(part, &mpart, seen, ql->len, bytes, meta);
    if (meta) *meta += tier_usable_size(ql);
}

/* ---- hashes --------------------------------------------------------------------- */

static void hash_migrate(kv *e, tiering_step *st)
{
    if (e->enc == ENC_LISTPACK) {
        move_field(st, &e->ptr);
        return;
    }
    dict_migrate(e->ptr, offsetof(hash_node, fv), st);
}

static void hash_usage(const kv *e, long long samples, uint64_t bytes[TIER_COUNT], uint64_t *meta)
{
    if (e->enc == ENC_LISTPACK) add_block(bytes, e->ptr);
    else dict_usage(e->ptr, offsetof(hash_node, fv), samples, bytes, meta);
}

/* ---- sets ----------------------------------------------------------------------- */

static void set_migrate(kv *e, tiering_step *st)
{
    if (e->enc == ENC_INTSET) {
        move_field(st, &e->ptr);
        return;
    }
    dict_migrate(e->ptr, offsetof(set_member, p), st);
}

static void set_usage(const kv *e, long long samples, uint64_t bytes[TIER_COUNT], uint64_t *meta)
{
    if (e->enc == ENC_INTSET) add_block(bytes, e->ptr);
    else dict_usage(e->ptr, offsetof(set_member, p), samples, bytes, meta);
}

/* ---- sorted sets ---------------------------------------------------------------- */

static void zset_migrate(kv *e, tiering_step *st)
{
    if (e->enc == ENC_LISTPACK) {
        move_field(st, &e->ptr);
        return;
    }
    zsl *s = e->ptr;
    /* the index holds every element node (the head is not in it) */
    dict_migrate(&s->index, offsetof(zsl_node, m), st);
}

static void zset_usage(const kv *e, long long samples, uint64_t bytes[TIER_COUNT], uint64_t *meta)
{
    if (e->enc == ENC_LISTPACK) {
        add_block(bytes, e->ptr);
        return;
    }
    const zsl *s = e->ptr;
    uint64_t part[TIER_COUNT] = {0, 0}, mpart = 0, seen = 0;
    for (const zsl_node *x = s->head->lv[0].fwd; x && (!samples || seen < (uint64_t)samples); x = x->lv[0].fwd) {
        add_block(part, x->m);
        mpart += tier_usable_size(x);
        seen++;
    }
    scale(part, &mpart, seen, s->len, bytes, meta);
    if (meta) *meta += tier_usable_size(s) + tier_usable_size(s->head) + dict_meta(&s->index);
}

/* ---- registration ---------------------------------------------------------------- */

void tiering_types_register(void)
{
    static const tiering_type_ops list_ops = {.migrate = list_migrate, .usage = list_usage};
    static const tiering_type_ops hash_ops = {.migrate = hash_migrate, .usage = hash_usage};
    static const tiering_type_ops set_ops = {.migrate = set_migrate, .usage = set_usage};
    static const tiering_type_ops zset_ops = {.migrate = zset_migrate, .usage = zset_usage};
    tiering_register_type(OBJ_LIST, &list_ops);
    tiering_register_type(OBJ_HASH, &hash_ops);
    tiering_register_type(OBJ_SET, &set_ops);
    tiering_register_type(OBJ_ZSET, &zset_ops);
}
