/* t_hash.h -- the hash type's C API for other modules (RDB save/load, tier
 * migration): build a hash from field/value pairs and visit them.
 *
 * A hash value is ENC_LISTPACK (kv->ptr is a listpack of field, value,
 * field, value ...) while it has at most hash-max-listpack-entries fields
 * and no field or value longer than hash-max-listpack-value bytes, else
 * ENC_HT (kv->ptr is a dict of struct hash_node).  Conversion happens on
 * the write that crosses a limit and keeps every pair; it never goes back.
 */
#ifndef T_HASH_H
#define T_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "dict.h"

struct kv;

/* A field/value pair of a hashtable-encoded hash.  See t_hash.c for why the
 * node is on DRAM and the bytes in one tier block. */
typedef struct hash_node {
    dict_node link;
    uint32_t flen, vlen;
    char *fv;               /* tier_malloc: field bytes then value bytes */
} hash_node;

/* A hash value under construction or in a kv: (enc, ptr) as kv holds them. */
typedef struct hash_ref {
    int enc;
    void *ptr;
} hash_ref;

/* A new empty hash (listpack-encoded). */
hash_ref hash_new(void);
/* Set field to value (conversion to a table when a limit is crossed).
 * Returns 1 if the field was new, 0 if updated. */
int hash_set(hash_ref *h, const char *f, size_t flen, const char *v, size_t vlen);
/* 1 and the value in *v, *vlen if present; ibuf (>= 21 bytes) holds integer values. */
int hash_get(const hash_ref *h, const char *f, size_t flen, const char **v, size_t *vlen, char *ibuf);
int hash_del(hash_ref *h, const char *f, size_t flen);
unsigned long hash_len(const hash_ref *h);
void hash_free(int enc, void *ptr);
struct kv *hash_kv_new(const char *key, size_t klen, hash_ref h);

/* Visit every pair; stop early when fn returns non-zero, which is then
 * returned. */
typedef int hash_visit_fn(void *priv, const char *f, size_t flen, const char *v, size_t vlen);
int hash_foreach(const hash_ref *h, hash_visit_fn *fn, void *priv);

void hash_register_type(void);

#endif
