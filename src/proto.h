/* proto.h -- the RESP request parser (multibulk and inline), pure and
 * resumable.
 *
 * What it promises
 *   - proto_parse() reads at most one command from buf[start, len).  It keeps
 *     its progress in the parser, so a command split across any number of
 *     reads is parsed in O(its size) overall, never rescanned.
 *   - Arguments are returned as offsets into the caller's buffer, so the
 *     caller may grow (move) the buffer between calls.  Inline arguments are
 *     unescaped in place (the result is never longer than the source).
 *   - Errors carry Redis's exact text ("Protocol error: ..."); after an error
 *     the connection must be closed (the stream has lost its framing).
 *   - Limits: bulk length <= max_bulk, multibulk count <= INT_MAX, inline
 *     line <= PROTO_INLINE_MAX, header lines <= PROTO_INLINE_MAX; when the
 *     client is not authenticated, Redis's tighter limits apply.
 * Not thread-safe per parser; parsers are independent.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_INLINE_MAX (64 * 1024)
#define PROTO_BIG_ARG (32 * 1024)

enum proto_status {
    PROTO_OK = 0,      /* one command complete (argc may be 0: ignore it) */
    PROTO_MORE = 1,    /* need more bytes; *need says how many at least, if known */
    PROTO_ERR = -1,    /* protocol error: reply err and close */
};

typedef struct proto_span {
    size_t off;
    size_t len;
} proto_span;

typedef struct proto_parser {
    /* configuration */
    long long max_bulk;         /* proto-max-bulk-len */
    int authenticated;          /* unauthenticated clients get tight limits */
    /* state of the command being parsed */
    int type;                   /* 0 = none yet, '*' multibulk, 'i' inline */
    long long mb_total;         /* arguments announced */
    long long mb_done;          /* arguments complete */
    long long bulk_len;         /* -1 until the next $ header is read */
    size_t pos;                 /* next byte to look at */
    proto_span *spans;          /* argument spans (DRAM, grown as needed) */
    size_t spans_cap;
    char err[128];
} proto_parser;

void proto_init(proto_parser *p, long long max_bulk);
void proto_free(proto_parser *p);
/* Forget a partially parsed command (after a command is taken, or on reset). */
void proto_reset(proto_parser *p);

/* Parse from buf[start]; *start is where the command began and is advanced
 * past it on PROTO_OK.  *argc receives the argument count.  On PROTO_MORE,
 * *need is the total buffer length (from *start) known to be needed, or 0. */
int proto_parse(proto_parser *p, char *buf, size_t len, size_t *start, int *argc, size_t *need);

#endif
