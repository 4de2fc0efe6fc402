/* db.h -- the keyspace: databases, key/value entries, expiry.
 *
 * What it promises
 *   - One DRAM block per key (struct kv): the hash-table link, the value
 *     header, the expiry (only when the key has one) and the key bytes, and
 *     for short strings the value bytes too (EMBSTR).  Larger payloads live
 *     in a separate block placed by the tier allocator (tier_malloc).
 *   - A kv may move (it is reallocated when an expiry is added or removed, or
 *     when its embedded value changes size): functions that can move it take
 *     or return the new pointer.  Never keep a kv pointer across a call that
 *     may move it.
 *   - Expiry: lazy on every lookup (an expired key is deleted and reported
 *     absent) plus db_active_expire(), which samples keys that have a TTL
 *     (each database keeps an array of them, O(1) to add, remove, sample).
 *   - Every change to a key goes through db_* so the hooks (modified-key
 *     notification for WATCH, dirty counter) cannot be forgotten.
 * Main thread only.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>

#include "dict.h"

/* Value types, numbered as Redis's RDB types' families. */
enum obj_type { OBJ_STRING = 0, OBJ_LIST = 1, OBJ_SET = 2, OBJ_ZSET = 3, OBJ_HASH = 4 };

/* Encodings, numbered as Redis's OBJ_ENCODING_*. */
enum obj_enc {
    ENC_RAW = 0,        /* string in a separate tier block (struct str) */
    ENC_INT = 1,        /* string holding an integer, in kv->ptr itself */
    ENC_HT = 2,
    ENC_INTSET = 6,
    ENC_SKIPLIST = 7,
    ENC_EMBSTR = 8,     /* string bytes inside the kv block */
    ENC_QUICKLIST = 9,
    ENC_LISTPACK = 11,
};

#define KV_HAS_EXPIRE 0x01

/* struct kv layout (one DRAM block):
 *   offset  size  field
 *   0       8     node (hash chain)
 *   8       8     ptr: payload / int value / EMBSTR length
 *   16      4     lru: access clock, seconds
 *   20      1     type, 21 enc, 22 flags, 23 spare
 *   24      4     keylen
 *   28      16    [if KV_HAS_EXPIRE] int64 expire ms, uint64 index in ttl array
 *   ..      keylen key bytes (not NUL-terminated)
 *   ..      [EMBSTR] value bytes + NUL
 */
typedef struct kv {
    dict_node node;
    void *ptr;
    uint32_t lru;
    uint8_t type;
    uint8_t enc;
    uint8_t flags;
    uint8_t spare;
    uint32_t keylen;
    char data[];
} kv;

/* A raw string payload: placed by the tier allocator. */
typedef struct str {
    uint32_t len;
    char buf[];        /* len bytes + NUL; capacity from tier_usable_size */
} str;

#define EMBSTR_MAX 44

static inline char *kv_key(const kv *e)
{
    return (char *)e->data + ((e->flags & KV_HAS_EXPIRE) ? 16 : 0);
}
static inline int64_t kv_expire(const kv *e)
{
    if (!(e->flags & KV_HAS_EXPIRE)) return -1;
    int64_t v;
    __builtin_memcpy(&v, e->data, 8);
    return v;
}

typedef struct db {
    dict keys;
    kv **ttl;              /* keys with an expiry, any order */
    uint64_t nttl, ttl_cap;
    int id;
    uint64_t avg_ttl;
    uint64_t expire_cursor;
} db;

/* Global accessors the keyspace needs from the server (set in server.c). */
extern uint32_t db_lru_clock;     /* seconds, updated by cron */
extern int64_t db_now_ms;         /* cached "now" for the current command */

void db_init(db *d, int id);
void db_clear(db *d);             /* remove every key (no hooks) */
uint64_t db_size(db *d);

/* Lookups: NULL if absent or expired (an expired key is deleted). */
kv *db_lookup(db *d, const char *key, size_t len);
/* Lookup without touching lru or expiring (for SCAN filters, TYPE of
 * OBJECT...).  Still reports an expired key as absent. */
kv *db_peek(db *d, const char *key, size_t len);
int db_is_expired(const kv *e);
/* While set (the journal is being replayed) no key expires, lazily or
 * actively, and no expiry time counts as already past: keys go only through
 * the journal's own DELs, exactly when they went on the server that wrote
 * it.  Otherwise a replay run later than the original would lose keys that
 * later entries still use (RENAME, APPEND...). */
extern int db_expire_paused;
/* True if an expiry time set now is already past (never while paused). */
int db_when_passed(int64_t when_ms);

/* Adds a new kv (key must be absent). */
void db_add(db *d, kv *e);
/* Replace the value of an existing key: new kv takes old's place, old is
 * freed.  keep_ttl copies the expiry over. Returns the stored kv. */
kv *db_overwrite(db *d, kv *old, kv *nw, int keep_ttl);
/* Set key to the new kv whether or not it exists (SET). */
kv *db_set(db *d, kv *nw, int keep_ttl);
/* Delete a key; 1 if it existed. */
int db_delete(db *d, const char *key, size_t len);
/* Unlink without freeing (RENAME/MOVE). */
kv *db_unlink(db *d, const char *key, size_t len);

/* Expiry.  db_set_expire/db_persist may move the kv: use the return. */
kv *db_set_expire(db *d, kv *e, int64_t when_ms);
kv *db_persist(db *d, kv *e);
/* Active expiry: sample keys with a TTL for up to budget_us. Returns the
 * number of keys expired. */
uint64_t db_active_expire(db *d, uint64_t budget_us);

/* Construction and destruction of entries. */
kv *kv_new(const char *key, size_t klen, int type, int enc, void *ptr);
kv *kv_new_string(const char *key, size_t klen, const char *val, size_t vlen);
kv *kv_new_int(const char *key, size_t klen, long long v);
kv *kv_dup_with_key(const kv *src, const char *key, size_t klen);   /* deep copy (COPY) */
kv *kv_rekey(kv *src, const char *key, size_t klen);                /* move value (RENAME) */
void kv_free(kv *e);
void kv_free_value(int type, int enc, void *ptr);

/* String values. */
/* Borrow the bytes of a string value; ibuf (>= UTIL_LL_STR_SIZE) holds the
 * text of an ENC_INT value. */
const char *kv_str(const kv *e, size_t *len, char *ibuf);
size_t kv_strlen(const kv *e);
str *str_new(const char *p, size_t len);             /* tier_malloc */
size_t str_cap(const str *s);
/* Make an existing string value a mutable ENC_RAW of at least len bytes
 * (zero-filled growth); returns the possibly moved kv. */
kv *kv_str_make_raw(db *d, kv *e, size_t min_len);

/* Type-specific free functions registered by the type modules. */
typedef void kv_free_fn(int enc, void *ptr);
typedef void *kv_dup_fn(int enc, const void *ptr);
void db_register_type(int type, kv_free_fn *free_fn, kv_dup_fn *dup_fn);

/* Hooks fired on every change to a key (WATCH, keyspace stats). */
typedef void db_modified_hook(db *d, const char *key, size_t len);
void db_set_modified_hook(db_modified_hook *fn);
void db_signal_modified(db *d, const char *key, size_t len);
/* Hook fired when a key is deleted because it expired (effects: DEL). */
typedef void db_expired_hook(db *d, const char *key, size_t len);
void db_set_expired_hook(db_expired_hook *fn);

extern uint64_t db_stat_expired_keys;
extern uint64_t db_stat_hits, db_stat_misses;

#endif
