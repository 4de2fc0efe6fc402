/* rdb_types.c -- RDB savers and loaders for lists, hashes, sets and sorted
 * sets, in Redis 7.0's encodings (RDB 10).
 *
 * What it promises
 *   - Saving picks the Redis type byte that matches the tierdb encoding:
 *     list -> QUICKLIST_2 (one Redis listpack per quicklist node), hash ->
 *     HASH_LISTPACK or HASH, set -> SET_INTSET or SET, zset ->
 *     ZSET_LISTPACK or ZSET_2; the blobs are Redis's byte formats
 *     (rdb_listpack.h), so redis-server and redis-check-rdb accept them.
 *   - Saving runs in fork children: it uses only the mmap'd blob buffer
 *     and the writer, never the allocators.
 *   - Loading accepts every list/hash/set/zset encoding Redis 7.0 writes and
 *     the older ziplist ones (10, 12, 13, 14) and ZSET (3).  Values are
 *     rebuilt through the types' own APIs, so the encoding is the one the
 *     same commands would have produced under the current *-max-* configs.
 *     A corrupt value (bad blob, duplicate member or field, NaN score,
 *     empty collection) is an error; nothing half-built is kept.
 */
#include "config.h"

#include "rdb_types.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "intset.h"
#include "rdb.h"
#include "rdb_listpack.h"
#include "server.h"
#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"
#include "util.h"
#include "zset.h"

/* One blob buffer per process: a fork child gets its own copy. */
static rlp_buf blob;

static int write_blob(rdb_writer *w, const unsigned char *p, size_t len)
{
    if (!p) { w->err = ENOMEM; errno = ENOMEM; return -1; }
    return rdb_write_string(w, (const char *)p, len);
}

/* ---- lists ---------------------------------------------------------------------- */

#define QL_NODE_PLAIN 1
#define QL_NODE_PACKED 2

static int list_type(const kv *e) { (void)e; return RDB_TYPE_LIST_QUICKLIST_2; }

static int list_save(rdb_writer *w, const kv *e)
{
    const quicklist *ql = e->ptr;
    if (rdb_write_len(w, ql->len) < 0) return -1;
    for (ql_node *n = ql->head; n; n = n->next) {
        rlp_begin(&blob);
        for (unsigned char *p = lp_first(n->lp); p; p = lp_next(n->lp, p)) {
            lp_val v;
            lp_get(p, &v);
            if (v.s) rlp_add(&blob, (const char *)v.s, v.slen);
            else rlp_add_ll(&blob, v.ll);
        }
        size_t len;
        const unsigned char *b = rlp_finish(&blob, &len);
        if (rdb_write_len(w, QL_NODE_PACKED) < 0 || write_blob(w, b, len) < 0) return -1;
    }
    return 0;
}

/* Open a blob read from the RDB as a listpack or ziplist iterator. */
static int open_blob(rdb_reader *r, rdb_str *s, rlp_iter *it, int ziplist, size_t at)
{
    int rc = ziplist ? rzl_iter_init(it, s->p, s->len) : rlp_iter_init(it, s->p, s->len);
    if (rc < 0) {
        r->pos = at;
        rdb_str_free(s);
        return rdb_fail(r, "%s", it->why);
    }
    return 0;
}

static int blob_fail(rdb_reader *r, rdb_str *s, rlp_iter *it, size_t at)
{
    r->pos = at;
    rdb_str_free(s);
    return rdb_fail(r, "%s", it->why);
}

static kv *list_load(rdb_reader *r, int t, const char *key, size_t klen)
{
    quicklist *ql = list_new();
    if (t == RDB_TYPE_LIST) {
        uint64_t n;
        if (rdb_read_len(r, &n, NULL) < 0) goto fail;
        for (uint64_t i = 0; i < n; i++) {
            rdb_str s;
            if (rdb_read_string(r, &s) < 0) goto fail;
            list_append(ql, s.p, s.len);
            rdb_str_free(&s);
        }
    } else {
        uint64_t nodes = 1;
        if (t != RDB_TYPE_LIST_ZIPLIST && rdb_read_len(r, &nodes, NULL) < 0) goto fail;
        for (uint64_t i = 0; i < nodes; i++) {
            uint64_t container = QL_NODE_PACKED;
            if (t == RDB_TYPE_LIST_QUICKLIST_2) {
                size_t at = r->pos;
                if (rdb_read_len(r, &container, NULL) < 0) goto fail;
                if (container != QL_NODE_PLAIN && container != QL_NODE_PACKED) {
                    r->pos = at;
                    rdb_fail(r, "quicklist node container %llu is neither plain nor packed",
                             (unsigned long long)container);
                    goto fail;
                }
            }
            size_t at = r->pos;
            rdb_str s;
            if (rdb_read_string(r, &s) < 0) goto fail;
            if (container == QL_NODE_PLAIN) {
                list_append(ql, s.p, s.len);
                rdb_str_free(&s);
                continue;
            }
            rlp_iter it;
            if (open_blob(r, &s, &it, t != RDB_TYPE_LIST_QUICKLIST_2, at) < 0) goto fail;
            rlp_elem el;
            int rc;
            while ((rc = rlp_iter_next(&it, &el)) > 0) list_append(ql, el.s, el.len);
            if (rc < 0) { blob_fail(r, &s, &it, at); goto fail; }
            rdb_str_free(&s);
        }
    }
    if (ql_count(ql) == 0) { rdb_fail(r, "empty list"); goto fail; }
    return list_kv_new(key, klen, ql);
fail:
    ql_free(ql);
    return NULL;
}

/* ---- hashes ---------------------------------------------------------------------- */

static int hash_type(const kv *e) { return e->enc == ENC_LISTPACK ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH; }

static int hash_put_lp(void *priv, const char *f, size_t fl, const char *v, size_t vl)
{
    rlp_buf *b = priv;
    rlp_add(b, f, fl);
    rlp_add(b, v, vl);
    return 0;
}

static int hash_put_plain(void *priv, const char *f, size_t fl, const char *v, size_t vl)
{
    rdb_writer *w = priv;
    return rdb_write_string(w, f, fl) < 0 || rdb_write_string(w, v, vl) < 0 ? -1 : 0;
}

static int hash_save(rdb_writer *w, const kv *e)
{
    hash_ref h = {e->enc, e->ptr};
    if (e->enc == ENC_LISTPACK) {
        rlp_begin(&blob);
        hash_foreach(&h, hash_put_lp, &blob);
        size_t len;
        const unsigned char *b = rlp_finish(&blob, &len);
        return write_blob(w, b, len);
    }
    if (rdb_write_len(w, hash_len(&h)) < 0) return -1;
    return hash_foreach(&h, hash_put_plain, w) ? -1 : 0;
}

static kv *hash_load(rdb_reader *r, int t, const char *key, size_t klen)
{
    hash_ref h = hash_new();
    if (t == RDB_TYPE_HASH) {
        uint64_t n;
        if (rdb_read_len(r, &n, NULL) < 0) goto fail;
        for (uint64_t i = 0; i < n; i++) {
            size_t at = r->pos;
            rdb_str f, v;
            if (rdb_read_string(r, &f) < 0) goto fail;
            if (rdb_read_string(r, &v) < 0) { rdb_str_free(&f); goto fail; }
            int added = hash_set(&h, f.p, f.len, v.p, v.len);
            rdb_str_free(&f);
            rdb_str_free(&v);
            if (!added) { r->pos = at; rdb_fail(r, "duplicate hash field"); goto fail; }
        }
    } else if (t == RDB_TYPE_HASH_LISTPACK || t == RDB_TYPE_HASH_ZIPLIST) {
        size_t at = r->pos;
        rdb_str s;
        if (rdb_read_string(r, &s) < 0) goto fail;
        rlp_iter it;
        if (open_blob(r, &s, &it, t == RDB_TYPE_HASH_ZIPLIST, at) < 0) goto fail;
        rlp_elem f, v;
        int rc;
        while ((rc = rlp_iter_next(&it, &f)) > 0) {
            /* f points into the blob or its own ibuf: both stay valid */
            if ((rc = rlp_iter_next(&it, &v)) <= 0) {
                if (rc == 0) it.why = "hash listpack has an odd number of elements";
                rc = -1;
                break;
            }
            if (!hash_set(&h, f.s, f.len, v.s, v.len)) { it.why = "duplicate hash field"; rc = -1; break; }
        }
        if (rc < 0) { blob_fail(r, &s, &it, at); goto fail; }
        rdb_str_free(&s);
    } else {
        rdb_fail(r, "hash encoding %d is not supported", t);
        goto fail;
    }
    if (hash_len(&h) == 0) { rdb_fail(r, "empty hash"); goto fail; }
    return hash_kv_new(key, klen, h);
fail:
    hash_free(h.enc, h.ptr);
    return NULL;
}

/* ---- sets ----------------------------------------------------------------------- */

static int set_type(const kv *e) { return e->enc == ENC_INTSET ? RDB_TYPE_SET_INTSET : RDB_TYPE_SET; }

static int set_save(rdb_writer *w, const kv *e)
{
    if (e->enc == ENC_INTSET) {
        const intset *is = e->ptr;
        rlp_intset_begin(&blob, (int)is->width);
        for (uint32_t i = 0; i < is->len; i++) rlp_intset_add(&blob, intset_get(is, i));
        size_t len;
        const unsigned char *b = rlp_intset_finish(&blob, &len);
        return write_blob(w, b, len);
    }
    setval s = {e->enc, e->ptr};
    if (rdb_write_len(w, setval_size(&s)) < 0) return -1;
    setval_iter it;
    setval_iter_init(&it, &s);
    const char *p;
    size_t len;
    int rc = 0;
    while (rc == 0 && setval_iter_next(&it, &p, &len)) rc = rdb_write_string(w, p, len);
    setval_iter_release(&it);
    return rc;
}

static kv *set_load(rdb_reader *r, int t, const char *key, size_t klen)
{
    setval s = {0, NULL};
    if (t == RDB_TYPE_SET) {
        uint64_t n;
        if (rdb_read_len(r, &n, NULL) < 0) return NULL;
        for (uint64_t i = 0; i < n; i++) {
            size_t at = r->pos;
            rdb_str m;
            if (rdb_read_string(r, &m) < 0) goto fail;
            if (!s.ptr) {
                /* a set too big for an intset starts as a table, pre-sized */
                if (n > (uint64_t)server.cfg.set_max_intset_entries) setval_new_ht(&s, n < (1u << 20) ? n : 0);
                else setval_new(&s, m.p, m.len);
            }
            int added = setval_add(&s, m.p, m.len);
            rdb_str_free(&m);
            if (!added) { r->pos = at; rdb_fail(r, "duplicate set member"); goto fail; }
        }
    } else if (t == RDB_TYPE_SET_INTSET) {
        size_t at = r->pos;
        rdb_str b;
        if (rdb_read_string(r, &b) < 0) return NULL;
        int width;
        uint32_t n;
        const char *why;
        if (rintset_check((const unsigned char *)b.p, b.len, &width, &n, &why) < 0) {
            rdb_str_free(&b);
            r->pos = at;
            rdb_fail(r, "%s", why);
            return NULL;
        }
        for (uint32_t i = 0; i < n; i++) {
            char buf[UTIL_LL_STR_SIZE];
            size_t l = util_ll2str(buf, rintset_get((const unsigned char *)b.p, width, i));
            if (!s.ptr) {
                if (n > (uint64_t)server.cfg.set_max_intset_entries) setval_new_ht(&s, n);
                else setval_new(&s, buf, l);
            }
            setval_add(&s, buf, l);
        }
        rdb_str_free(&b);
    } else {
        rdb_fail(r, "set encoding %d is not supported", t);
        return NULL;
    }
    if (!s.ptr || setval_size(&s) == 0) { rdb_fail(r, "empty set"); goto fail; }
    return kv_new(key, klen, OBJ_SET, s.enc, s.ptr);
fail:
    if (s.ptr) setval_free(s.enc, s.ptr);
    return NULL;
}

/* ---- sorted sets ---------------------------------------------------------------- */

static int zset_type(const kv *e) { return e->enc == ENC_LISTPACK ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2; }

static int zset_save(rdb_writer *w, const kv *e)
{
    zobj z = {e->enc, e->ptr};
    zit it;
    if (e->enc == ENC_LISTPACK) {
        rlp_begin(&blob);
        for (zit_seek(&it, &z, 0); zit_valid(&it); zit_next(&it)) {
            const char *m;
            size_t ml;
            double sc;
            zit_get(&it, &m, &ml, &sc);
            char buf[64];
            size_t n = util_d2str(buf, sizeof(buf), sc);
            rlp_add(&blob, m, ml);
            rlp_add(&blob, buf, n);
        }
        size_t len;
        const unsigned char *b = rlp_finish(&blob, &len);
        return write_blob(w, b, len);
    }
    uint64_t n = zobj_len(&z);
    if (rdb_write_len(w, n) < 0) return -1;
    /* highest first, as Redis writes it (its loader then inserts at the head) */
    for (zit_seek(&it, &z, n - 1); n && zit_valid(&it); zit_prev(&it)) {
        const char *m;
        size_t ml;
        double sc;
        zit_get(&it, &m, &ml, &sc);
        if (rdb_write_string(w, m, ml) < 0 || rdb_write_raw(w, &sc, 8) < 0) return -1;   /* LE hosts */
    }
    return 0;
}

static int zadd_loaded(zobj *z, const char *m, size_t ml, double sc, const char **why)
{
    if (isnan(sc)) { *why = "sorted set score is NaN"; return -1; }
    if (!zobj_set(z, m, ml, sc)) { *why = "duplicate sorted set member"; return -1; }
    return 0;
}

static kv *zset_load(rdb_reader *r, int t, const char *key, size_t klen)
{
    zobj z;
    const char *why = NULL;
    if (t == RDB_TYPE_ZSET || t == RDB_TYPE_ZSET_2) {
        uint64_t n;
        if (rdb_read_len(r, &n, NULL) < 0) return NULL;
        zobj_new(&z, n, 0);
        for (uint64_t i = 0; i < n; i++) {
            size_t at = r->pos;
            rdb_str m;
            double sc;
            if (rdb_read_string(r, &m) < 0) goto fail;
            if (t == RDB_TYPE_ZSET_2) {
                if (rdb_read_raw(r, &sc, 8) < 0) { rdb_str_free(&m); goto fail; }
            } else {
                int l;
                char buf[256];
                if (rdb_read_byte(r, &l) < 0) { rdb_str_free(&m); goto fail; }
                if (l == 253) sc = NAN;
                else if (l == 254) sc = INFINITY;
                else if (l == 255) sc = -INFINITY;
                else if (rdb_read_raw(r, buf, (size_t)l) < 0 || !util_str2d(buf, (size_t)l, &sc)) {
                    rdb_str_free(&m);
                    r->pos = at;
                    rdb_fail(r, "bad sorted set score");
                    goto fail;
                }
            }
            int rc = zadd_loaded(&z, m.p, m.len, sc, &why);
            rdb_str_free(&m);
            if (rc < 0) { r->pos = at; rdb_fail(r, "%s", why); goto fail; }
        }
    } else if (t == RDB_TYPE_ZSET_LISTPACK || t == RDB_TYPE_ZSET_ZIPLIST) {
        size_t at = r->pos;
        rdb_str s;
        if (rdb_read_string(r, &s) < 0) return NULL;
        zobj_new(&z, 0, 0);
        rlp_iter it;
        if (open_blob(r, &s, &it, t == RDB_TYPE_ZSET_ZIPLIST, at) < 0) goto fail;
        rlp_elem m, v;
        int rc;
        while ((rc = rlp_iter_next(&it, &m)) > 0) {
            if ((rc = rlp_iter_next(&it, &v)) <= 0) {
                if (rc == 0) it.why = "sorted set listpack has an odd number of elements";
                rc = -1;
                break;
            }
            double sc;
            if (v.is_int) sc = (double)v.ll;
            else if (!util_str2d(v.s, v.len, &sc)) { it.why = "bad sorted set score"; rc = -1; break; }
            if (zadd_loaded(&z, m.s, m.len, sc, &it.why) < 0) { rc = -1; break; }
        }
        if (rc < 0) { blob_fail(r, &s, &it, at); goto fail; }
        rdb_str_free(&s);
    } else {
        rdb_fail(r, "sorted set encoding %d is not supported", t);
        return NULL;
    }
    if (zobj_len(&z) == 0) { rdb_fail(r, "empty sorted set"); goto fail; }
    zobj_shrink_if_fits(&z);
    return kv_new(key, klen, OBJ_ZSET, z.enc, z.ptr);
fail:
    zobj_free(z.enc, z.ptr);
    return NULL;
}

/* ---- registration ---------------------------------------------------------------- */

void rdb_types_register(void)
{
    rlp_init(&blob);
    rdb_register_saver(OBJ_LIST, list_type, list_save);
    rdb_register_loader(RDB_TYPE_LIST, list_load);
    rdb_register_loader(RDB_TYPE_LIST_ZIPLIST, list_load);
    rdb_register_loader(RDB_TYPE_LIST_QUICKLIST, list_load);
    rdb_register_loader(RDB_TYPE_LIST_QUICKLIST_2, list_load);

    rdb_register_saver(OBJ_HASH, hash_type, hash_save);
    rdb_register_loader(RDB_TYPE_HASH, hash_load);
    rdb_register_loader(RDB_TYPE_HASH_ZIPLIST, hash_load);
    rdb_register_loader(RDB_TYPE_HASH_LISTPACK, hash_load);

    rdb_register_saver(OBJ_SET, set_type, set_save);
    rdb_register_loader(RDB_TYPE_SET, set_load);
    rdb_register_loader(RDB_TYPE_SET_INTSET, set_load);

    rdb_register_saver(OBJ_ZSET, zset_type, zset_save);
    rdb_register_loader(RDB_TYPE_ZSET, zset_load);
    rdb_register_loader(RDB_TYPE_ZSET_2, zset_load);
    rdb_register_loader(RDB_TYPE_ZSET_ZIPLIST, zset_load);
    rdb_register_loader(RDB_TYPE_ZSET_LISTPACK, zset_load);
}
