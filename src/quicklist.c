/* quicklist.c -- linked listpacks; see quicklist.h.
 *
 * Why nodes are not merged back after deletions: Redis merges neighbours on
 * insert to bound fragmentation; here a node is freed the moment it is
 * empty and pushes fill the end nodes to their limit, so the lists that
 * matter (queues: push one end, pop the other) stay dense without the
 * merge logic.  Middle deletions (LREM, LINSERT splits) can leave
 * under-filled nodes, which costs memory but never correctness.
 *
 * list-compress-depth is accepted by the config but nodes are never
 * compressed: element bytes of cold nodes are the tier allocator's job.
 */
#include "quicklist.h"

#include <string.h>

#include "tier.h"

/* Byte cap of a node when fill is positive, as Redis's SIZE_SAFETY_LIMIT. */
#define QL_SAFETY_LIMIT 8192
static const size_t fill_bytes[] = {4096, 8192, 16384, 32768, 65536};

quicklist *ql_new(int fill)
{
    quicklist *ql = tier_dram_malloc(sizeof(*ql));
    ql->head = ql->tail = NULL;
    ql->count = ql->len = 0;
    ql->fill = fill;
    return ql;
}

static ql_node *node_new(unsigned char *lp)
{
    ql_node *n = tier_dram_malloc(sizeof(*n));
    n->prev = n->next = NULL;
    n->lp = lp;
    n->count = lp_count(lp);
    return n;
}

void ql_free(quicklist *ql)
{
    if (!ql) return;
    ql_node *n = ql->head;
    while (n) {
        ql_node *nx = n->next;
        lp_free(n->lp);
        tier_dram_free(n);
        n = nx;
    }
    tier_dram_free(ql);
}

quicklist *ql_dup(const quicklist *ql)
{
    quicklist *c = ql_new(ql->fill);
    for (ql_node *n = ql->head; n; n = n->next) {
        ql_node *m = node_new(lp_dup(n->lp));
        m->prev = c->tail;
        if (c->tail) c->tail->next = m;
        else c->head = m;
        c->tail = m;
        c->len++;
    }
    c->count = ql->count;
    return c;
}

size_t ql_bytes(const quicklist *ql)
{
    size_t b = 0;
    for (ql_node *n = ql->head; n; n = n->next) b += lp_bytes(n->lp);
    return b;
}

/* Would node n still be within the fill limits with one more entry of add
 * bytes? */
static int allow_insert(const quicklist *ql, const ql_node *n, size_t add)
{
    if (!n) return 0;
    size_t sz = lp_bytes(n->lp) + add;
    if (ql->fill >= 0) {
        unsigned long maxc = ql->fill > 0 ? (unsigned long)ql->fill : 1;
        return n->count + 1 <= maxc && sz <= QL_SAFETY_LIMIT;
    }
    int lvl = -ql->fill - 1;
    if (lvl > 4) lvl = 4;
    return sz <= fill_bytes[lvl];
}

static void link_after(quicklist *ql, ql_node *at, ql_node *n)
{
    n->prev = at;
    n->next = at ? at->next : ql->head;
    if (n->next) n->next->prev = n;
    else ql->tail = n;
    if (at) at->next = n;
    else ql->head = n;
    ql->len++;
}

static void unlink_node(quicklist *ql, ql_node *n)
{
    if (n->prev) n->prev->next = n->next;
    else ql->head = n->next;
    if (n->next) n->next->prev = n->prev;
    else ql->tail = n->prev;
    ql->len--;
    lp_free(n->lp);
    tier_dram_free(n);
}

void ql_push(quicklist *ql, int where, const char *s, size_t len)
{
    size_t add = lp_entry_size(s, len);
    ql_node *n = where == QL_HEAD ? ql->head : ql->tail;
    if (!allow_insert(ql, n, add)) {
        ql_node *m = node_new(lp_new(LP_HDR + 1 + add));
        link_after(ql, where == QL_HEAD ? NULL : ql->tail, m);
        n = m;
    }
    n->lp = where == QL_HEAD ? lp_prepend(n->lp, s, len) : lp_append(n->lp, s, len);
    n->count++;
    ql->count++;
}

int ql_peek(quicklist *ql, int where, ql_entry *e)
{
    ql_node *n = where == QL_HEAD ? ql->head : ql->tail;
    if (!n) return 0;
    e->node = n;
    e->p = where == QL_HEAD ? lp_first(n->lp) : lp_last(n->lp);
    lp_get(e->p, &e->v);
    return 1;
}

/* Delete the entry e; frees its node if it empties.  Returns the position
 * (in the possibly moved listpack) of the entry that followed, or NULL. */
static unsigned char *del_entry(quicklist *ql, ql_node *n, unsigned char *p)
{
    unsigned char *next;
    n->lp = lp_delete(n->lp, p, &next);
    n->count--;
    ql->count--;
    if (n->count == 0) {
        unlink_node(ql, n);
        return NULL;
    }
    return next;
}

void ql_pop_discard(quicklist *ql, int where)
{
    ql_node *n = where == QL_HEAD ? ql->head : ql->tail;
    del_entry(ql, n, where == QL_HEAD ? lp_first(n->lp) : lp_last(n->lp));
}

/* Node holding index (>= 0 after normalising) and the index inside it. */
static ql_node *find_node(quicklist *ql, long index, long *inner)
{
    long cnt = (long)ql->count;
    if (index < 0) index += cnt;
    if (index < 0 || index >= cnt) return NULL;
    ql_node *n;
    if (index < cnt / 2) {
        long acc = 0;
        for (n = ql->head; acc + (long)n->count <= index; n = n->next) acc += n->count;
        *inner = index - acc;
    } else {
        long acc = cnt;     /* index of the first element after n */
        for (n = ql->tail; acc - (long)n->count > index; n = n->prev) acc -= n->count;
        *inner = index - (acc - (long)n->count);
    }
    return n;
}

int ql_index(quicklist *ql, long index, ql_entry *e)
{
    long inner;
    ql_node *n = find_node(ql, index, &inner);
    if (!n) return 0;
    e->node = n;
    e->p = lp_seek(n->lp, inner);
    lp_get(e->p, &e->v);
    return 1;
}

/* Split n so that the entries from offset off on move to a new node placed
 * after n.  Returns the new node (NULL if off is the end of n). */
static ql_node *split_at(quicklist *ql, ql_node *n, unsigned char *p)
{
    if (!p) return NULL;
    unsigned char *tail = lp_split(&n->lp, p);
    ql_node *m = node_new(tail);
    n->count -= m->count;
    link_after(ql, n, m);
    return m;
}

void ql_insert(quicklist *ql, ql_entry *e, enum lp_where where, const char *s, size_t len)
{
    ql_node *n = e->node;
    size_t add = lp_entry_size(s, len);
    if (allow_insert(ql, n, add)) {
        n->lp = lp_insert(n->lp, e->p, where, s, len, NULL);
        n->count++;
        ql->count++;
        return;
    }
    int at_tail = where == LP_AFTER && lp_next(n->lp, e->p) == NULL;
    int at_head = where == LP_BEFORE && lp_prev(n->lp, e->p) == NULL;
    if (at_tail && allow_insert(ql, n->next, add)) {
        n->next->lp = lp_prepend(n->next->lp, s, len);
        n->next->count++;
    } else if (at_head && allow_insert(ql, n->prev, add)) {
        n->prev->lp = lp_append(n->prev->lp, s, len);
        n->prev->count++;
    } else if (at_tail || at_head) {
        ql_node *m = node_new(lp_append(lp_new(LP_HDR + 1 + add), s, len));
        link_after(ql, at_tail ? n : n->prev, m);
    } else {
        /* middle of a full node: split, then the new element goes at the
         * end of the left half or in a node of its own */
        unsigned char *cut = where == LP_AFTER ? lp_next(n->lp, e->p) : e->p;
        split_at(ql, n, cut);
        if (allow_insert(ql, n, add)) {
            n->lp = lp_append(n->lp, s, len);
            n->count++;
        } else {
            ql_node *m = node_new(lp_append(lp_new(LP_HDR + 1 + add), s, len));
            link_after(ql, n, m);
        }
    }
    ql->count++;
}

void ql_replace(quicklist *ql, ql_entry *e, const char *s, size_t len)
{
    ql_node *n = e->node;
    size_t add = lp_entry_size(s, len);
    unsigned char *nx = lp_next(n->lp, e->p);
    size_t cur = nx ? (size_t)(nx - e->p) : (size_t)(n->lp + lp_bytes(n->lp) - 1 - e->p);
    /* fits in place if the node stays within its byte cap */
    if (n->count == 1 || add <= cur || allow_insert(ql, n, add - cur)) {
        n->lp = lp_replace(n->lp, e->p, s, len, &e->p);
        lp_get(e->p, &e->v);
        return;
    }
    /* too big for this node: remove it and insert through the fill rules */
    size_t off = (size_t)(e->p - n->lp);
    n->lp = lp_delete(n->lp, e->p, NULL);
    n->count--;
    ql->count--;
    ql_entry at = {.node = n};
    if (n->lp[off] != 0xFF) {
        at.p = n->lp + off;
        ql_insert(ql, &at, LP_BEFORE, s, len);
    } else {
        at.p = lp_last(n->lp);
        ql_insert(ql, &at, LP_AFTER, s, len);
    }
}

void ql_del_range(quicklist *ql, long start, unsigned long count)
{
    long inner;
    ql_node *n = find_node(ql, start, &inner);
    while (n && count) {
        ql_node *nx = n->next;
        unsigned long avail = n->count - (unsigned long)inner;
        unsigned long del = count < avail ? count : avail;
        if (inner == 0 && del == n->count) {
            ql->count -= n->count;
            unlink_node(ql, n);
        } else {
            n->lp = lp_delete_range(n->lp, inner, del);
            n->count -= (uint32_t)del;
            ql->count -= del;
        }
        count -= del;
        inner = 0;
        n = nx;
    }
}

/* ---- iteration ------------------------------------------------------------- */

void ql_iter_init(ql_iter *it, quicklist *ql, long index, int backward)
{
    it->ql = ql;
    it->backward = backward;
    long inner;
    it->node = find_node(ql, index, &inner);
    if (it->node) it->off = (size_t)(lp_seek(it->node->lp, inner) - it->node->lp);
}

int ql_iter_next(ql_iter *it, ql_entry *e)
{
    ql_node *n = it->node;
    if (!n) return 0;
    e->node = n;
    e->p = n->lp + it->off;
    lp_get(e->p, &e->v);
    unsigned char *q = it->backward ? lp_prev(n->lp, e->p) : lp_next(n->lp, e->p);
    if (q) {
        it->off = (size_t)(q - n->lp);
    } else {
        it->node = it->backward ? n->prev : n->next;
        if (it->node) {
            q = it->backward ? lp_last(it->node->lp) : lp_first(it->node->lp);
            it->off = (size_t)(q - it->node->lp);
        }
    }
    return 1;
}

void ql_iter_del(ql_iter *it, ql_entry *e)
{
    ql_node *n = e->node;
    size_t off = (size_t)(e->p - n->lp);
    /* the next entry, if in the same node after e, slides into e's place */
    if (it->node == n && !it->backward) it->off = off;
    del_entry(it->ql, n, e->p);
}

int ql_validate(const quicklist *ql)
{
    unsigned long cnt = 0, len = 0;
    const ql_node *prev = NULL;
    for (const ql_node *n = ql->head; n; n = n->next) {
        if (n->prev != prev) return 0;
        if (n->count == 0 || n->count != lp_count(n->lp) || !lp_validate(n->lp)) return 0;
        if (ql->fill > 0 && n->count > (uint32_t)ql->fill) return 0;
        cnt += n->count;
        len++;
        prev = n;
    }
    return prev == ql->tail && cnt == ql->count && len == ql->len;
}
