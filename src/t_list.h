/* t_list.h -- the list type's C API for other modules (RDB save/load, tier
 * migration, DEBUG): build a list value from elements and visit them.
 *
 * A list value is always ENC_QUICKLIST (Redis 7.0 reports "quicklist" for
 * every list); kv->ptr is a quicklist *.  A small list is a quicklist of one
 * node, i.e. one listpack.
 */
#ifndef T_LIST_H
#define T_LIST_H

#include <stddef.h>

#include "quicklist.h"

struct kv;

/* A new empty list with the configured list-max-listpack-size. */
quicklist *list_new(void);
/* Append an element at the tail (RDB load). */
void list_append(quicklist *ql, const char *s, size_t len);
/* A kv holding ql (takes ownership) for db_add(). */
struct kv *list_kv_new(const char *key, size_t klen, quicklist *ql);

/* Visit every element head to tail; stop early when fn returns non-zero
 * (returned).  s is valid only during the call. */
typedef int list_visit_fn(void *priv, const char *s, size_t len);
int list_foreach(const quicklist *ql, list_visit_fn *fn, void *priv);

/* Registers the type's free/dup functions with the keyspace (modules.c). */
void list_register_type(void);

#endif
