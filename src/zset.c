/* zset.c -- sorted-set values; see zset.h.
 *
 * Compact block layout (one tier_malloc block, user data):
 *   offset  size  field
 *   0       4     count of entries
 *   4       4     bytes of entries that follow
 *   8       ..    entries, sorted by (score, member):
 *                   u32 len | f64 score | len member bytes | u32 len
 * The trailing length lets iteration walk backwards (ZREVRANGE) without an
 * offset table.  Every operation is a linear walk, which is what makes the
 * encoding cheap in memory; the entry limit keeps the walks short.
 *
 * Skiplist: a node is one DRAM block holding the hash-chain link, the
 * levels and a pointer to the member bytes (tier_malloc), so the index and
 * the list share nodes (one metadata allocation per element) and the
 * member bytes are the only user data.
 */
#include "zset.h"

#include <math.h>
#include <string.h>

#include "db.h"
#include "server.h"
#include "tier.h"
#include "util.h"

/* ---- ordering ---------------------------------------------------------------- */

int zobj_lexcmp(const char *a, size_t al, const char *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int r = n ? memcmp(a, b, n) : 0;
    if (r) return r < 0 ? -1 : 1;
    return al < bl ? -1 : al > bl;
}

int zobj_cmp(double s1, const char *m1, size_t l1, double s2, const char *m2, size_t l2)
{
    if (s1 < s2) return -1;
    if (s1 > s2) return 1;
    return zobj_lexcmp(m1, l1, m2, l2);
}

/* ---- compact block ------------------------------------------------------------ */

typedef struct zlp {
    uint32_t count;
    uint32_t bytes;
    unsigned char data[];
} zlp;

#define ZLP_OVERHEAD 16

static inline uint32_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline double rdd(const unsigned char *p)
{
    double v;
    memcpy(&v, p, 8);
    return v;
}

static void zlp_entry(const zlp *l, size_t off, const char **m, size_t *len, double *score)
{
    const unsigned char *p = l->data + off;
    *len = rd32(p);
    *score = rdd(p + 4);
    *m = (const char *)p + 12;
}

static inline size_t zlp_next(const zlp *l, size_t off) { return off + ZLP_OVERHEAD + rd32(l->data + off); }

static zlp *zlp_new(void)
{
    zlp *l = tier_malloc(sizeof(zlp));
    l->count = 0;
    l->bytes = 0;
    return l;
}

/* Offset of member m, SIZE_MAX if absent. */
static size_t zlp_find(const zlp *l, const char *m, size_t len)
{
    for (size_t off = 0; off < l->bytes; off = zlp_next(l, off)) {
        const unsigned char *p = l->data + off;
        if (rd32(p) == len && memcmp(p + 12, m, len) == 0) return off;
    }
    return SIZE_MAX;
}

static zlp *zlp_insert(zlp *l, const char *m, size_t len, double score)
{
    size_t off;
    for (off = 0; off < l->bytes; off = zlp_next(l, off)) {
        const char *em;
        size_t el;
        double es;
        zlp_entry(l, off, &em, &el, &es);
        if (zobj_cmp(es, em, el, score, m, len) > 0) break;
    }
    /* Redis's listpack keeps scores as text and writes -0 as "0": so do we */
    if (score == 0) score = 0.0;
    size_t need = ZLP_OVERHEAD + len;
    l = tier_realloc(l, sizeof(zlp) + l->bytes + need);
    memmove(l->data + off + need, l->data + off, l->bytes - off);
    unsigned char *p = l->data + off;
    uint32_t l32 = (uint32_t)len;
    memcpy(p, &l32, 4);
    memcpy(p + 4, &score, 8);
    memcpy(p + 12, m, len);
    memcpy(p + 12 + len, &l32, 4);
    l->bytes += (uint32_t)need;
    l->count++;
    return l;
}

static zlp *zlp_delete_bytes(zlp *l, size_t off, size_t end, uint32_t n)
{
    memmove(l->data + off, l->data + end, l->bytes - end);
    l->bytes -= (uint32_t)(end - off);
    l->count -= n;
    return tier_realloc(l, sizeof(zlp) + l->bytes);
}

/* ---- skiplist ------------------------------------------------------------------- */

static const char *zsl_key(const dict_node *n, size_t *len)
{
    const zsl_node *x = (const zsl_node *)n;
    *len = x->mlen;
    return x->m;
}
static const dict_type zsl_dict_type = {.key = zsl_key};

static zsl_node *zsl_node_new(int level, double score, char *m, size_t len)
{
    zsl_node *x = tier_dram_malloc(sizeof(zsl_node) + (size_t)level * sizeof(struct zsl_level));
    x->hnode.next = NULL;
    x->m = m;
    x->mlen = (uint32_t)len;
    x->level = (uint32_t)level;
    x->score = score;
    x->back = NULL;
    for (int i = 0; i < level; i++) {
        x->lv[i].fwd = NULL;
        x->lv[i].span = 0;
    }
    return x;
}

static zsl *zsl_new(void)
{
    zsl *s = tier_dram_malloc(sizeof(*s));
    dict_init(&s->index, &zsl_dict_type);
    s->head = zsl_node_new(ZSL_MAXLEVEL, 0, NULL, 0);
    s->tail = NULL;
    s->len = 0;
    s->level = 1;
    return s;
}

static int zsl_random_level(void)
{
    /* p = 1/4 per level */
    uint64_t r = util_rand64();
    int level = 1;
    while ((r & 3) == 0 && level < ZSL_MAXLEVEL) {
        level++;
        r >>= 2;
    }
    return level;
}

static inline int node_less(const zsl_node *x, double score, const char *m, size_t len)
{
    return zobj_cmp(x->score, x->m, x->mlen, score, m, len) < 0;
}

/* Links a new node for (score, m) (m owned by the node); returns it. */
static zsl_node *zsl_insert(zsl *s, double score, char *m, size_t len)
{
    zsl_node *update[ZSL_MAXLEVEL], *x = s->head;
    uint64_t rank[ZSL_MAXLEVEL];
    for (int i = s->level - 1; i >= 0; i--) {
        rank[i] = i == s->level - 1 ? 0 : rank[i + 1];
        while (x->lv[i].fwd && node_less(x->lv[i].fwd, score, m, len)) {
            rank[i] += x->lv[i].span;
            x = x->lv[i].fwd;
        }
        update[i] = x;
    }
    int level = zsl_random_level();
    if (level > s->level) {
        for (int i = s->level; i < level; i++) {
            rank[i] = 0;
            update[i] = s->head;
            update[i]->lv[i].span = s->len;
        }
        s->level = level;
    }
    x = zsl_node_new(level, score, m, len);
    for (int i = 0; i < level; i++) {
        x->lv[i].fwd = update[i]->lv[i].fwd;
        update[i]->lv[i].fwd = x;
        x->lv[i].span = update[i]->lv[i].span - (rank[0] - rank[i]);
        update[i]->lv[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = level; i < s->level; i++) update[i]->lv[i].span++;
    x->back = update[0] == s->head ? NULL : update[0];
    if (x->lv[0].fwd) x->lv[0].fwd->back = x;
    else s->tail = x;
    s->len++;
    return x;
}

/* Unlinks x given update[i], the last node before x on each level. */
static void zsl_unlink_at(zsl *s, zsl_node *x, zsl_node **update)
{
    for (int i = 0; i < s->level; i++) {
        if (update[i]->lv[i].fwd == x) {
            update[i]->lv[i].span += x->lv[i].span - 1;
            update[i]->lv[i].fwd = x->lv[i].fwd;
        } else {
            update[i]->lv[i].span -= 1;
        }
    }
    if (x->lv[0].fwd) x->lv[0].fwd->back = x->back;
    else s->tail = x->back;
    while (s->level > 1 && s->head->lv[s->level - 1].fwd == NULL) s->level--;
    s->len--;
}

/* Unlinks node x from the list (not from the index, not freed). */
static void zsl_unlink(zsl *s, zsl_node *x)
{
    zsl_node *update[ZSL_MAXLEVEL], *y = s->head;
    for (int i = s->level - 1; i >= 0; i--) {
        while (y->lv[i].fwd && y->lv[i].fwd != x && node_less(y->lv[i].fwd, x->score, x->m, x->mlen))
            y = y->lv[i].fwd;
        update[i] = y;
    }
    zsl_unlink_at(s, x, update);
}

static zsl_node *zsl_at(const zsl *s, uint64_t rank)
{
    zsl_node *x = s->head;
    uint64_t traversed = 0;
    for (int i = s->level - 1; i >= 0; i--) {
        while (x->lv[i].fwd && traversed + x->lv[i].span <= rank + 1) {
            traversed += x->lv[i].span;
            x = x->lv[i].fwd;
        }
        if (traversed == rank + 1) return x;
    }
    return NULL;
}

static void zsl_free_node(dict_node *n, void *priv)
{
    (void)priv;
    zsl_node *x = (zsl_node *)n;
    tier_free(x->m);
    tier_dram_free(x);
}

static void zsl_free(zsl *s)
{
    dict_clear(&s->index, zsl_free_node, NULL);
    tier_dram_free(s->head);
    tier_dram_free(s);
}

static char *copy_member(const char *m, size_t len)
{
    char *p = tier_malloc(len ? len : 1);
    memcpy(p, m, len);
    return p;
}

static void zsl_add(zsl *s, const char *m, size_t len, double score)
{
    zsl_node *x = zsl_insert(s, score, copy_member(m, len), len);
    dict_add(&s->index, &x->hnode);
}

/* ---- the value ---------------------------------------------------------------------- */

static int fits(uint64_t n, size_t maxlen)
{
    return n <= (uint64_t)server.cfg.zset_max_listpack_entries && maxlen <= (size_t)server.cfg.zset_max_listpack_value;
}

void zobj_new(zobj *z, uint64_t size_hint, size_t maxlen)
{
    if (server.cfg.zset_max_listpack_entries > 0 && fits(size_hint, maxlen)) {
        z->enc = ENC_LISTPACK;
        z->ptr = zlp_new();
    } else {
        z->enc = ENC_SKIPLIST;
        z->ptr = zsl_new();
    }
}

void zobj_free(int enc, void *ptr)
{
    if (enc == ENC_LISTPACK) tier_free(ptr);
    else zsl_free(ptr);
}

void *zobj_dup(int enc, const void *ptr)
{
    if (enc == ENC_LISTPACK) {
        const zlp *l = ptr;
        zlp *n = tier_malloc(sizeof(zlp) + l->bytes);
        memcpy(n, l, sizeof(zlp) + l->bytes);
        return n;
    }
    const zsl *s = ptr;
    zsl *n = zsl_new();
    dict_expand(&n->index, s->len);
    /* inserting from the highest down: each insert walk stops at the head */
    for (zsl_node *x = s->tail; x; x = x->back) zsl_add(n, x->m, x->mlen, x->score);
    return n;
}

uint64_t zobj_len(const zobj *z)
{
    return z->enc == ENC_LISTPACK ? ((const zlp *)z->ptr)->count : ((const zsl *)z->ptr)->len;
}

int zobj_score(const zobj *z, const char *m, size_t len, double *score)
{
    if (z->enc == ENC_LISTPACK) {
        size_t off = zlp_find(z->ptr, m, len);
        if (off == SIZE_MAX) return 0;
        *score = rdd(((const zlp *)z->ptr)->data + off + 4);
        return 1;
    }
    dict_node *n = dict_find(&((zsl *)z->ptr)->index, m, len);
    if (!n) return 0;
    *score = ((zsl_node *)n)->score;
    return 1;
}

void zobj_convert(zobj *z, int enc)
{
    if (z->enc == enc) return;
    if (enc == ENC_SKIPLIST) {
        zlp *l = z->ptr;
        zsl *s = zsl_new();
        dict_expand(&s->index, l->count);
        for (size_t off = 0; off < l->bytes; off = zlp_next(l, off)) {
            const char *m;
            size_t len;
            double sc;
            zlp_entry(l, off, &m, &len, &sc);
            zsl_add(s, m, len, sc);
        }
        tier_free(l);
        z->enc = ENC_SKIPLIST;
        z->ptr = s;
    } else {
        zsl *s = z->ptr;
        size_t bytes = 0;
        for (zsl_node *x = s->head->lv[0].fwd; x; x = x->lv[0].fwd) bytes += ZLP_OVERHEAD + x->mlen;
        zlp *l = tier_malloc(sizeof(zlp) + bytes);
        l->count = 0;
        l->bytes = 0;
        for (zsl_node *x = s->head->lv[0].fwd; x; x = x->lv[0].fwd) {
            unsigned char *p = l->data + l->bytes;
            uint32_t l32 = x->mlen;
            memcpy(p, &l32, 4);
            memcpy(p + 4, &x->score, 8);
            memcpy(p + 12, x->m, x->mlen);
            memcpy(p + 12 + x->mlen, &l32, 4);
            l->bytes += ZLP_OVERHEAD + x->mlen;
            l->count++;
        }
        zsl_free(s);
        z->enc = ENC_LISTPACK;
        z->ptr = l;
    }
}

void zobj_shrink_if_fits(zobj *z)
{
    if (z->enc != ENC_SKIPLIST || server.cfg.zset_max_listpack_entries <= 0) return;
    zsl *s = z->ptr;
    if (s->len > (uint64_t)server.cfg.zset_max_listpack_entries) return;
    for (zsl_node *x = s->head->lv[0].fwd; x; x = x->lv[0].fwd)
        if (x->mlen > (uint64_t)server.cfg.zset_max_listpack_value) return;
    zobj_convert(z, ENC_LISTPACK);
}

int zobj_set(zobj *z, const char *m, size_t len, double score)
{
    if (z->enc == ENC_LISTPACK) {
        zlp *l = z->ptr;
        size_t off = zlp_find(l, m, len);
        if (off != SIZE_MAX) {
            if (rdd(l->data + off + 4) == score) return 0;
            l = zlp_delete_bytes(l, off, zlp_next(l, off), 1);
            z->ptr = zlp_insert(l, m, len, score);
            return 0;
        }
        if (!fits((uint64_t)l->count + 1, len)) {
            zobj_convert(z, ENC_SKIPLIST);
        } else {
            z->ptr = zlp_insert(l, m, len, score);
            return 1;
        }
    }
    zsl *s = z->ptr;
    dict_node *n = dict_find(&s->index, m, len);
    if (!n) {
        zsl_add(s, m, len, score);
        return 1;
    }
    zsl_node *x = (zsl_node *)n;
    if (x->score == score) return 0;
    /* still between its neighbours: change in place */
    if ((!x->back || zobj_cmp(x->back->score, x->back->m, x->back->mlen, score, x->m, x->mlen) < 0) &&
        (!x->lv[0].fwd || zobj_cmp(x->lv[0].fwd->score, x->lv[0].fwd->m, x->lv[0].fwd->mlen, score, x->m, x->mlen) > 0)) {
        x->score = score;
        return 0;
    }
    zsl_unlink(s, x);
    zsl_node *y = zsl_insert(s, score, x->m, x->mlen);
    dict_replace_node(&s->index, &x->hnode, &y->hnode);
    tier_dram_free(x);
    return 0;
}

void zobj_add_absent(zobj *z, const char *m, size_t len, double score)
{
    if (z->enc == ENC_LISTPACK) {
        zlp *l = z->ptr;
        if (fits((uint64_t)l->count + 1, len)) {
            z->ptr = zlp_insert(l, m, len, score);
            return;
        }
        zobj_convert(z, ENC_SKIPLIST);
    }
    zsl_add(z->ptr, m, len, score);
}

int zobj_del(zobj *z, const char *m, size_t len)
{
    if (z->enc == ENC_LISTPACK) {
        zlp *l = z->ptr;
        size_t off = zlp_find(l, m, len);
        if (off == SIZE_MAX) return 0;
        z->ptr = zlp_delete_bytes(l, off, zlp_next(l, off), 1);
        return 1;
    }
    zsl *s = z->ptr;
    dict_node *n = dict_unlink(&s->index, m, len);
    if (!n) return 0;
    zsl_unlink(s, (zsl_node *)n);
    zsl_free_node(n, NULL);
    dict_try_shrink(&s->index);
    return 1;
}

uint64_t zobj_count_prefix(const zobj *z, zobj_pred *below, void *priv)
{
    if (z->enc == ENC_LISTPACK) {
        const zlp *l = z->ptr;
        uint64_t n = 0;
        for (size_t off = 0; off < l->bytes; off = zlp_next(l, off)) {
            const char *m;
            size_t len;
            double sc;
            zlp_entry(l, off, &m, &len, &sc);
            if (!below(m, len, sc, priv)) break;
            n++;
        }
        return n;
    }
    const zsl *s = z->ptr;
    zsl_node *x = s->head;
    uint64_t rank = 0;
    for (int i = s->level - 1; i >= 0; i--) {
        while (x->lv[i].fwd && below(x->lv[i].fwd->m, x->lv[i].fwd->mlen, x->lv[i].fwd->score, priv)) {
            rank += x->lv[i].span;
            x = x->lv[i].fwd;
        }
    }
    return rank;
}

typedef struct rank_key {
    const char *m;
    size_t len;
    double score;
} rank_key;

static int below_key(const char *m, size_t len, double score, void *priv)
{
    const rank_key *k = priv;
    return zobj_cmp(score, m, len, k->score, k->m, k->len) < 0;
}

uint64_t zobj_rank(const zobj *z, const char *m, size_t len, double score)
{
    rank_key k = {m, len, score};
    return zobj_count_prefix(z, below_key, &k);
}

void zobj_delete_range(zobj *z, uint64_t start, uint64_t end)
{
    uint64_t n = zobj_len(z);
    if (end > n) end = n;
    if (start >= end) return;
    if (z->enc == ENC_LISTPACK) {
        zlp *l = z->ptr;
        size_t off = 0, e;
        uint64_t i = 0;
        for (; i < start; i++) off = zlp_next(l, off);
        for (e = off; i < end; i++) e = zlp_next(l, e);
        z->ptr = zlp_delete_bytes(l, off, e, (uint32_t)(end - start));
        return;
    }
    zsl *s = z->ptr;
    /* one descent to the node before rank start; the removed nodes are
     * consecutive, so the same update[] serves each of them (ZPOPMIN,
     * ZREMRANGEBYRANK do not search again per node) */
    zsl_node *update[ZSL_MAXLEVEL], *y = s->head;
    uint64_t traversed = 0;
    for (int i = s->level - 1; i >= 0; i--) {
        while (y->lv[i].fwd && traversed + y->lv[i].span <= start) {
            traversed += y->lv[i].span;
            y = y->lv[i].fwd;
        }
        update[i] = y;
    }
    zsl_node *x = y->lv[0].fwd;
    for (uint64_t i = start; i < end && x; i++) {
        zsl_node *next = x->lv[0].fwd;
        dict_unlink(&s->index, x->m, x->mlen);
        zsl_unlink_at(s, x, update);
        zsl_free_node(&x->hnode, NULL);
        x = next;
    }
    dict_try_shrink(&s->index);
}

/* ---- iteration ------------------------------------------------------------------------ */

void zit_seek(zit *it, const zobj *z, uint64_t rank)
{
    it->z = z;
    it->off = SIZE_MAX;
    it->n = NULL;
    if (rank >= zobj_len(z)) return;
    if (z->enc == ENC_LISTPACK) {
        const zlp *l = z->ptr;
        size_t off = 0;
        for (uint64_t i = 0; i < rank; i++) off = zlp_next(l, off);
        it->off = off;
    } else {
        it->n = zsl_at(z->ptr, rank);
    }
}

int zit_valid(const zit *it) { return it->z->enc == ENC_LISTPACK ? it->off != SIZE_MAX : it->n != NULL; }

void zit_get(const zit *it, const char **m, size_t *len, double *score)
{
    if (it->z->enc == ENC_LISTPACK) {
        zlp_entry(it->z->ptr, it->off, m, len, score);
    } else {
        *m = it->n->m;
        *len = it->n->mlen;
        *score = it->n->score;
    }
}

void zit_next(zit *it)
{
    if (it->z->enc == ENC_LISTPACK) {
        const zlp *l = it->z->ptr;
        it->off = zlp_next(l, it->off);
        if (it->off >= l->bytes) it->off = SIZE_MAX;
    } else {
        it->n = it->n->lv[0].fwd;
    }
}

void zit_prev(zit *it)
{
    if (it->z->enc == ENC_LISTPACK) {
        const zlp *l = it->z->ptr;
        if (it->off == 0) {
            it->off = SIZE_MAX;
            return;
        }
        uint32_t plen = rd32(l->data + it->off - 4);
        it->off -= ZLP_OVERHEAD + plen;
    } else {
        it->n = it->n->back;
    }
}

/* ---- checking --------------------------------------------------------------------------- */

int zobj_valid(const zobj *z)
{
    if (z->enc == ENC_LISTPACK) {
        const zlp *l = z->ptr;
        uint32_t n = 0;
        size_t off = 0;
        const char *pm = NULL;
        size_t pl = 0;
        double ps = 0;
        while (off < l->bytes) {
            const char *m;
            size_t len;
            double sc;
            zlp_entry(l, off, &m, &len, &sc);
            if (rd32(l->data + off + 12 + len) != len) return 0;
            if (isnan(sc)) return 0;
            if (n && zobj_cmp(ps, pm, pl, sc, m, len) >= 0) return 0;
            pm = m, pl = len, ps = sc;
            n++;
            off = zlp_next(l, off);
        }
        return off == l->bytes && n == l->count;
    }
    const zsl *s = z->ptr;
    if (dict_size(&s->index) != s->len) return 0;
    /* rank of every node by level-0 walk, then check each level's spans */
    uint64_t n = 0;
    zsl_node *prev = NULL;
    for (zsl_node *x = s->head->lv[0].fwd; x; x = x->lv[0].fwd) {
        if (x->back != prev) return 0;
        if (prev && zobj_cmp(prev->score, prev->m, prev->mlen, x->score, x->m, x->mlen) >= 0) return 0;
        if (dict_find((dict *)&s->index, x->m, x->mlen) != &x->hnode) return 0;
        prev = x;
        n++;
    }
    if (n != s->len || s->tail != prev) return 0;
    for (int i = 0; i < s->level; i++) {
        uint64_t rank = 0;
        zsl_node *x = s->head;
        while (x->lv[i].fwd) {
            zsl_node *y = x;
            uint64_t steps = 0;
            while (y != x->lv[i].fwd) {
                y = y->lv[0].fwd;
                steps++;
                if (!y) return 0;
            }
            if (steps != x->lv[i].span) return 0;
            rank += steps;
            x = x->lv[i].fwd;
        }
        if (rank > s->len) return 0;
    }
    return 1;
}
