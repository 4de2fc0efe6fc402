/* proto.c -- RESP request parser; see proto.h.
 *
 * The parser never trusts a length it has not checked against a limit, and
 * never reads past len.  Offsets in p->pos and p->spans are relative to the
 * start of the buffer, and the caller promises not to discard bytes from
 * *start onwards while a command is in progress (it may move them, keeping
 * offsets: the connection compacts only between commands).
 */
#include "proto.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tier.h"
#include "util.h"

void proto_init(proto_parser *p, long long max_bulk)
{
    memset(p, 0, sizeof(*p));
    p->max_bulk = max_bulk;
    p->bulk_len = -1;
}

void proto_free(proto_parser *p)
{
    tier_dram_free(p->spans);
    p->spans = NULL;
    p->spans_cap = 0;
}

void proto_reset(proto_parser *p)
{
    p->type = 0;
    p->mb_total = 0;
    p->mb_done = 0;
    p->bulk_len = -1;
    p->pos = 0;
}

static int ensure_spans(proto_parser *p, size_t n)
{
    if (n <= p->spans_cap) return 0;
    size_t cap = p->spans_cap ? p->spans_cap : 16;
    while (cap < n) cap *= 2;
    proto_span *s = tier_dram_try_malloc(cap * sizeof(*s));
    if (!s) return -1;
    if (p->spans_cap) memcpy(s, p->spans, p->spans_cap * sizeof(*s));
    tier_dram_free(p->spans);
    p->spans = s;
    p->spans_cap = cap;
    return 0;
}

static int fail(proto_parser *p, const char *msg)
{
    snprintf(p->err, sizeof(p->err), "%s", msg);
    return PROTO_ERR;
}

/* Split an inline line in place: Redis's sdssplitargs rules. */
static int parse_inline(proto_parser *p, char *buf, size_t start, size_t end, int *argc)
{
    size_t r = start, w = start;
    int n = 0;
    for (;;) {
        while (r < end && (buf[r] == ' ' || buf[r] == '\t' || buf[r] == '\r' || buf[r] == '\n' ||
                           buf[r] == '\v' || buf[r] == '\f'))
            r++;
        if (r >= end) break;
        size_t arg_start = w;
        int inq = 0, insq = 0, done = 0;
        while (!done) {
            if (inq) {
                if (r >= end) return fail(p, "Protocol error: unbalanced quotes in request");
                if (buf[r] == '\\' && r + 3 < end && buf[r + 1] == 'x' &&
                    strchr("0123456789abcdefABCDEF", buf[r + 2]) && buf[r + 2] &&
                    strchr("0123456789abcdefABCDEF", buf[r + 3]) && buf[r + 3]) {
                    char hx[3] = {buf[r + 2], buf[r + 3], 0};
                    buf[w++] = (char)strtol(hx, NULL, 16);
                    r += 4;
                } else if (buf[r] == '\\' && r + 1 < end) {
                    char c;
                    switch (buf[r + 1]) {
                    case 'n': c = '\n'; break;
                    case 'r': c = '\r'; break;
                    case 't': c = '\t'; break;
                    case 'b': c = '\b'; break;
                    case 'a': c = '\a'; break;
                    default: c = buf[r + 1]; break;
                    }
                    buf[w++] = c;
                    r += 2;
                } else if (buf[r] == '"') {
                    r++;
                    if (r < end && !(buf[r] == ' ' || buf[r] == '\t' || buf[r] == '\r' || buf[r] == '\n'))
                        return fail(p, "Protocol error: unbalanced quotes in request");
                    done = 1;
                } else {
                    buf[w++] = buf[r++];
                }
            } else if (insq) {
                if (r >= end) return fail(p, "Protocol error: unbalanced quotes in request");
                if (buf[r] == '\\' && r + 1 < end && buf[r + 1] == '\'') {
                    buf[w++] = '\'';
                    r += 2;
                } else if (buf[r] == '\'') {
                    r++;
                    if (r < end && !(buf[r] == ' ' || buf[r] == '\t' || buf[r] == '\r' || buf[r] == '\n'))
                        return fail(p, "Protocol error: unbalanced quotes in request");
                    done = 1;
                } else {
                    buf[w++] = buf[r++];
                }
            } else {
                if (r >= end) { done = 1; break; }
                switch (buf[r]) {
                case ' ': case '\n': case '\r': case '\t': case '\0':
                    done = 1;
                    break;
                case '"': inq = 1; r++; break;
                case '\'': insq = 1; r++; break;
                default: buf[w++] = buf[r++]; break;
                }
            }
        }
        if (ensure_spans(p, (size_t)n + 1) < 0) return fail(p, "Protocol error: out of memory");
        p->spans[n].off = arg_start;
        p->spans[n].len = w - arg_start;
        n++;
        /* keep the written region separate from unread input */
        if (w < r) buf[w] = '\0';
    }
    *argc = n;
    return PROTO_OK;
}

/* Reads a "\r\n"-terminated header line at pos; returns its end (the \r) or
 * 0 if incomplete. */
static size_t find_crlf(const char *buf, size_t pos, size_t len)
{
    const char *nl = memchr(buf + pos, '\r', len - pos);
    if (!nl || (size_t)(nl - buf) + 1 >= len) return 0;
    return (size_t)(nl - buf);
}

/* The usual header number: 1 to 18 digits without a leading zero right
 * before "\r\n", from buf[i].  Returns the offset past the "\r\n", or 0 to
 * leave the case (more bytes needed, a sign, a zero, an error) to the general
 * path, which gives the same answer for everything accepted here. */
static inline size_t fast_number(const char *buf, size_t i, size_t len, long long *out)
{
    if (i >= len) return 0;
    size_t end = len - i > 18 ? i + 18 : len;
    if ((unsigned char)(buf[i] - '1') > 8) return 0;
    long long v = buf[i++] - '0';
    while (i < end && (unsigned char)(buf[i] - '0') <= 9) v = v * 10 + (buf[i++] - '0');
    if (i + 1 >= len || buf[i] != '\r' || buf[i + 1] != '\n') return 0;
    *out = v;
    return i + 2;
}

int proto_parse(proto_parser *p, char *buf, size_t len, size_t *start, int *argc, size_t *need)
{
    *need = 0;
    if (p->type == 0) {
        p->pos = *start;
        if (p->pos >= len) return PROTO_MORE;
        p->type = buf[p->pos] == '*' ? '*' : 'i';
    }

    if (p->type == 'i') {
        const char *nl = memchr(buf + *start, '\n', len - *start);
        if (!nl) {
            if (len - *start > PROTO_INLINE_MAX) return fail(p, "Protocol error: too big inline request");
            return PROTO_MORE;
        }
        size_t end = (size_t)(nl - buf);
        size_t line_end = end;
        if (line_end > *start && buf[line_end - 1] == '\r') line_end--;
        int rc = parse_inline(p, buf, *start, line_end, argc);
        if (rc != PROTO_OK) return rc;
        *start = end + 1;
        proto_reset(p);
        return PROTO_OK;
    }

    /* multibulk */
    if (p->mb_total == 0) {
        long long n;
        size_t next = fast_number(buf, p->pos + 1, len, &n);
        if (next) goto have_count;
        size_t cr = find_crlf(buf, p->pos, len);
        if (!cr) {
            if (len - p->pos > PROTO_INLINE_MAX) return fail(p, "Protocol error: too big mbulk count string");
            return PROTO_MORE;
        }
        if (buf[cr + 1] != '\n') return fail(p, "Protocol error: invalid multibulk length");
        if (!util_str2ll(buf + p->pos + 1, cr - p->pos - 1, &n))
            return fail(p, "Protocol error: invalid multibulk length");
        next = cr + 2;
    have_count:
        if (n > INT_MAX) return fail(p, "Protocol error: invalid multibulk length");
        if (!p->authenticated && n > 10)
            return fail(p, "Protocol error: unauthenticated multibulk length");
        p->pos = next;
        if (n <= 0) {
            *start = p->pos;
            *argc = 0;
            proto_reset(p);
            return PROTO_OK;
        }
        /* Grow lazily: a huge announced count must not allocate up front. */
        if (ensure_spans(p, (size_t)(n < 1024 ? n : 1024)) < 0)
            return fail(p, "Protocol error: out of memory");
        p->mb_total = n;
        p->mb_done = 0;
        p->bulk_len = -1;
    }

    while (p->mb_done < p->mb_total) {
        if (p->bulk_len == -1) {
            long long bl;
            size_t next;
            if (p->pos < len && buf[p->pos] == '$' && (next = fast_number(buf, p->pos + 1, len, &bl)))
                goto have_bulk_len;
            size_t cr = find_crlf(buf, p->pos, len);
            if (!cr) {
                if (len - p->pos > PROTO_INLINE_MAX) return fail(p, "Protocol error: too big bulk count string");
                return PROTO_MORE;
            }
            if (buf[p->pos] != '$') {
                char m[64];
                snprintf(m, sizeof(m), "Protocol error: expected '$', got '%c'", buf[p->pos]);
                return fail(p, m);
            }
            if (!util_str2ll(buf + p->pos + 1, cr - p->pos - 1, &bl) || bl < 0 || bl > p->max_bulk)
                return fail(p, "Protocol error: invalid bulk length");
            if (!p->authenticated && bl > 16384)
                return fail(p, "Protocol error: unauthenticated bulk length");
            if (buf[cr + 1] != '\n') return fail(p, "Protocol error: invalid bulk length");
            next = cr + 2;
            goto bulk_len_ok;
        have_bulk_len:
            if (bl > p->max_bulk) return fail(p, "Protocol error: invalid bulk length");
            if (!p->authenticated && bl > 16384)
                return fail(p, "Protocol error: unauthenticated bulk length");
        bulk_len_ok:
            p->pos = next;
            p->bulk_len = bl;
        }
        if (len - p->pos < (size_t)p->bulk_len + 2) {
            *need = p->pos + (size_t)p->bulk_len + 2 - *start;
            return PROTO_MORE;
        }
        if ((size_t)p->mb_done >= p->spans_cap && ensure_spans(p, (size_t)p->mb_done + 1) < 0)
            return fail(p, "Protocol error: out of memory");
        p->spans[p->mb_done].off = p->pos;
        p->spans[p->mb_done].len = (size_t)p->bulk_len;
        p->pos += (size_t)p->bulk_len + 2;
        p->mb_done++;
        p->bulk_len = -1;
    }
    *argc = (int)p->mb_total;
    *start = p->pos;
    proto_reset(p);
    return PROTO_OK;
}
