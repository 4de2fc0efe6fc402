/* rdb_listpack.h -- Redis's own compact blobs as they appear inside RDB
 * files: listpacks (written and read), ziplists (read only, older files)
 * and intsets (written and read).
 *
 * What it promises
 *   - rlp_* builds a blob byte for byte in Redis's listpack format, so
 *     Redis's lpValidateIntegrity accepts it; strings that are canonical
 *     integers get Redis's smallest integer encoding.  The builder buffer
 *     is an anonymous mmap (no allocator calls), so it can run in a fork
 *     child like the rest of the RDB writer.
 *   - The readers never trust the blob: every header, length and back
 *     length is bounds-checked, and the element count in the header must
 *     match (unless Redis wrote "unknown").  A bad blob is -1 with a reason.
 *
 * Redis listpack (all integers little-endian)
 *   4 bytes total bytes, 2 bytes element count (65535 = unknown)
 *   entries: encoding [+ payload] + backlen, then 0xFF
 *     0xxxxxxx                uint 0..127
 *     10xxxxxx + data         string, length 0..63
 *     110xxxxx yyyyyyyy       int13, two's complement, high bits first
 *     1110xxxx yyyyyyyy+data  string, 12-bit length (high bits first)
 *     11110000 + 4 + data     string, 32-bit length
 *     11110001/2/3/4          int16 / int24 / int32 / int64
 *   backlen: size of encoding+payload, 7 bits per byte, most significant
 *     group first; every byte but the first has bit 7 set, so a reader
 *     walking backwards knows where it stops.
 *
 * Redis ziplist (read only)
 *   4 bytes total, 4 bytes tail offset, 2 bytes count, entries, 0xFF;
 *   entry: prevlen (1 byte, or 0xFE + 4 bytes), encoding:
 *     00xxxxxx / 01xxxxxx yyyyyyyy / 10000000 + 4 bytes BE: string lengths
 *     0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24, 0xFE int8,
 *     0xF1..0xFD immediate 0..12
 *
 * Redis intset: 4 bytes width (2, 4, 8), 4 bytes count, count ascending
 * little-endian integers of that width.
 */
#ifndef RDB_LISTPACK_H
#define RDB_LISTPACK_H

#include <stddef.h>
#include <stdint.h>

/* ---- writer ---- */
typedef struct rlp_buf {
    unsigned char *p;        /* mmap'd */
    size_t len, cap;
    uint64_t count;
    int width;               /* intset being built */
    int err;                 /* ENOMEM, sticky */
} rlp_buf;

void rlp_init(rlp_buf *b);
/* Start a new listpack in b (keeps the mapping for reuse). */
void rlp_begin(rlp_buf *b);
void rlp_add(rlp_buf *b, const char *s, size_t len);
void rlp_add_ll(rlp_buf *b, long long v);
/* Terminate and fill the header; NULL on ENOMEM. */
const unsigned char *rlp_finish(rlp_buf *b, size_t *len);
/* An intset blob: begin with the width, add values ascending, finish. */
void rlp_intset_begin(rlp_buf *b, int width);
void rlp_intset_add(rlp_buf *b, int64_t v);
const unsigned char *rlp_intset_finish(rlp_buf *b, size_t *len);
void rlp_release(rlp_buf *b);

/* ---- readers ---- */
/* One element: a string (s, len) or, for integers, its text in ibuf. */
typedef struct rlp_elem {
    const char *s;
    size_t len;
    long long ll;
    int is_int;
    char ibuf[24];
} rlp_elem;

typedef struct rlp_iter {
    const unsigned char *p;
    size_t len, pos;
    uint32_t declared;       /* header count, UINT32_MAX if unknown */
    uint64_t seen;
    int ziplist;
    const char *why;         /* reason on -1 */
} rlp_iter;

/* Check the header of a listpack / ziplist blob; 0 or -1 (it->why). */
int rlp_iter_init(rlp_iter *it, const void *p, size_t len);
int rzl_iter_init(rlp_iter *it, const void *p, size_t len);
/* 1 an element, 0 at the (validated) end, -1 corrupt (it->why). */
int rlp_iter_next(rlp_iter *it, rlp_elem *e);

/* Intset blob: 0 with width and count, or -1 with *why. */
int rintset_check(const unsigned char *p, size_t len, int *width, uint32_t *count, const char **why);
int64_t rintset_get(const unsigned char *p, int width, uint32_t i);

#endif
