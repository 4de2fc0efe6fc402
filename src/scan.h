/* scan.h -- what SCAN, SSCAN, HSCAN and ZSCAN share: reading their
 * arguments as Redis 7.0 does, and the bucket walk that gathers one batch.
 *
 * What it promises
 *   - scan_parse() reads the cursor as Redis's strtoul does ("" is 0, a
 *     sign is accepted and "-1" wraps, a leading space or trailing junk is
 *     "ERR invalid cursor"), then, for the
 *     key scans, the key, then MATCH, COUNT (an integer >= 1, else the
 *     integer or syntax error) and, for SCAN only, TYPE.  On a bad
 *     argument it has replied the error and returns 0.
 *   - scan_collect() is Redis's step: it visits buckets from the cursor
 *     until COUNT nodes are gathered or 10*COUNT bucket visits were made,
 *     and returns the next cursor (0 when the walk is over).  The nodes are
 *     only pointed at: they stay valid until the command frees or changes
 *     one of them.  MATCH is applied after collecting, as Redis does, so a
 *     pattern never makes one call walk further.
 */
#ifndef SCAN_H
#define SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "dict.h"
#include "util.h"

typedef struct scan_args {
    uint64_t cursor;
    const char *pat;        /* NULL: match everything */
    size_t patlen;
    long count;
    const arg *type;        /* SCAN's TYPE, or NULL */
} scan_args;

/* SCAN: argv[1] is the cursor, options follow it. */
int scan_parse(client *c, scan_args *a);

/* SSCAN/HSCAN/ZSCAN key cursor [options], in Redis's order: the cursor,
 * then the key (missing: the empty scan reply; wrong type: WRONGTYPE),
 * then the options.  Returns the key's entry with the two-element reply
 * array already opened, or NULL when the reply is complete. */
struct kv *scan_open_key(client *c, int type, scan_args *a);

static inline int scan_match(const scan_args *a, const char *p, size_t len)
{
    return !a->pat || util_glob_match(a->pat, a->patlen, p, len, 0);
}

typedef struct scan_batch {
    dict_node **v;
    size_t n, cap;
} scan_batch;

uint64_t scan_collect(dict *d, const scan_args *a, scan_batch *b);
void scan_batch_release(scan_batch *b);

/* the cursor of the reply as a bulk string */
void scan_reply_cursor(client *c, uint64_t cursor);

/* The dict-encoded reply of SSCAN/HSCAN/ZSCAN: one scan_collect step, the
 * cursor, then the array of what emit replies for each node MATCH lets
 * through: emit checks scan_match itself and returns how many elements it
 * added (0 for a node the pattern rejects). */
typedef long scan_emit_fn(client *c, const dict_node *n, const scan_args *a);
void scan_reply_nodes(client *c, dict *d, const scan_args *a, scan_emit_fn *emit);

#endif
