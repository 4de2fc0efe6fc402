/* listpack.h -- a compact block of entries: one contiguous tier-placed
 * allocation holding a sequence of strings and integers.
 *
 * What it promises
 *   - A listpack is a single user-data block (tier_malloc/tier_realloc), so
 *     a small list or hash costs one allocation and is read sequentially.
 *   - Entries are visited forwards and backwards in O(1) per step; the
 *     element count and byte size are O(1).
 *   - A string that is a canonical integer (util_str2ll) is stored as an
 *     integer and read back as the same bytes, so callers never see the
 *     difference except that lp_get() may hand them a number.
 *   - Every function that changes the block may move it: it returns the new
 *     block pointer, and positions (unsigned char *) into the old block are
 *     invalid afterwards unless returned through an out-parameter.
 *   - Nothing here parses client input: callers check sizes (lp_safe_add)
 *     before they add client-sized data.
 *
 * Block layout
 *   offset  size  field
 *   0       4     total bytes of the block (little endian)
 *   4       4     number of entries
 *   8       ...   entries
 *   last    1     0xFF end marker
 *
 * Entry layout: [header][payload][backlen]
 *   header  0xxxxxxx               integer 0..127, no payload
 *           10xxxxxx               string, length 0..63
 *           1100xxxx yyyyyyyy      string, length < 4096 (12 bits, big end first)
 *           11010000 + 2 bytes     int16
 *           11010001 + 4 bytes     int32
 *           11010010 + 8 bytes     int64
 *           11100000 + 4 bytes     string, 32-bit length
 *           11111111               end of block (not an entry)
 *   backlen the size of header+payload as a varint written so that it reads
 *           from its last byte backwards (7 bits per byte, high bit = more
 *           bytes precede), which is what makes lp_prev O(1).
 */
#ifndef LISTPACK_H
#define LISTPACK_H

#include <stddef.h>
#include <stdint.h>

/* The value of an entry: a string (s != NULL, slen bytes, borrowed from the
 * block) or an integer (s == NULL, ll). */
typedef struct lp_val {
    const unsigned char *s;
    size_t slen;
    long long ll;
} lp_val;

#define LP_HDR 8
/* Blocks are kept well below 4 GiB so the 32-bit header fields and the
 * 32-bit string lengths can never overflow. */
#define LP_MAX_SAFE (1u << 30)

enum lp_where { LP_BEFORE = 0, LP_AFTER = 1 };

unsigned char *lp_new(size_t capacity_hint);
void lp_free(unsigned char *lp);
unsigned char *lp_dup(const unsigned char *lp);
size_t lp_bytes(const unsigned char *lp);
uint32_t lp_count(const unsigned char *lp);
/* 1 if adding about add bytes keeps the block under LP_MAX_SAFE. */
int lp_safe_add(const unsigned char *lp, size_t add);

/* Navigation: NULL past either end. */
unsigned char *lp_first(unsigned char *lp);
unsigned char *lp_last(unsigned char *lp);
unsigned char *lp_next(unsigned char *lp, unsigned char *p);
unsigned char *lp_prev(unsigned char *lp, unsigned char *p);
/* Entry at index (negative counts from the end); NULL if out of range.
 * Walks from whichever end is nearer. */
unsigned char *lp_seek(unsigned char *lp, long index);

void lp_get(const unsigned char *p, lp_val *v);
/* The entry's bytes as text: strings are returned in place, integers are
 * formatted into buf (>= 21 bytes). */
const char *lp_get_str(const unsigned char *p, size_t *len, char *buf);
/* 1 if the entry equals the bytes s/len. */
int lp_eq(const unsigned char *p, const char *s, size_t len);
/* From p, compare every (skip+1)-th entry with s/len; the first equal one or
 * NULL.  skip = 1 searches the fields of a field/value listpack. */
unsigned char *lp_find(unsigned char *lp, unsigned char *p, const char *s, size_t len, unsigned skip);

/* Changes.  *pos (if given) receives the position of the new/replaced entry
 * in the returned block. */
unsigned char *lp_insert(unsigned char *lp, unsigned char *p, enum lp_where where, const char *s,
                         size_t len, unsigned char **pos);
unsigned char *lp_append(unsigned char *lp, const char *s, size_t len);
unsigned char *lp_prepend(unsigned char *lp, const char *s, size_t len);
unsigned char *lp_append_ll(unsigned char *lp, long long v);
unsigned char *lp_replace(unsigned char *lp, unsigned char *p, const char *s, size_t len,
                          unsigned char **pos);
/* Delete the entry at p; *next (if given) is the entry that followed it, or
 * NULL if it was the last. */
unsigned char *lp_delete(unsigned char *lp, unsigned char *p, unsigned char **next);
/* Delete count entries starting at index (negative from the end). */
unsigned char *lp_delete_range(unsigned char *lp, long index, unsigned long count);
/* Delete count entries starting at position p (p stays valid as the
 * position of what followed, returned through *next). */
unsigned char *lp_delete_n(unsigned char *lp, unsigned char *p, unsigned long count, unsigned char **next);

/* Move the entries from p to the end into a new listpack (returned); *lp
 * keeps the ones before p and may move. */
unsigned char *lp_split(unsigned char **lp, unsigned char *p);

/* Bytes the entry for s/len would take (header + payload + backlen). */
size_t lp_entry_size(const char *s, size_t len);

/* Consistency check for tests: walks both ways; 1 if sound. */
int lp_validate(const unsigned char *lp);

#endif
