/* scan.c -- shared argument parsing and batch walk of the SCAN family;
 * see scan.h for what it promises. */
#include "config.h"
#include "scan.h"

#include <limits.h>

#include "conn.h"
#include "db.h"
#include "tier.h"
#include "util.h"

/* Redis reads the cursor with strtoul and rejects only a leading space,
 * trailing characters and overflow: "" is 0 and "-1" wraps. */
static int parse_cursor(const arg *a, uint64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0;
    if (a->len == 0) {
        *out = 0;
        return 1;
    }
    if (a->p[0] == '+' || a->p[0] == '-') {
        neg = a->p[0] == '-';
        i++;
    }
    if (i == a->len) return 0;
    for (; i < a->len; i++) {
        unsigned d = (unsigned char)a->p[i] - '0';
        if (d > 9) return 0;
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = neg ? (uint64_t)0 - v : v;
    return 1;
}

static int parse_options(client *c, int first, int allow_type, scan_args *a)
{
    for (int i = first; i < c->argc; i++) {
        int more = i + 1 < c->argc;
        if (ARGEQ(c->argv[i], "count") && more) {
            long long n;
            if (!arg_ll(c, &c->argv[++i], &n)) return 0;
            if (n < 1) {
                reply_err_syntax(c);
                return 0;
            }
            a->count = n > LONG_MAX ? LONG_MAX : (long)n;
        } else if (ARGEQ(c->argv[i], "match") && more) {
            a->pat = c->argv[++i].p;
            a->patlen = c->argv[i].len;
            /* "*" matches everything: skip the matcher */
            if (a->patlen == 1 && a->pat[0] == '*') a->pat = NULL;
        } else if (allow_type && ARGEQ(c->argv[i], "type") && more) {
            a->type = &c->argv[++i];
        } else {
            reply_err_syntax(c);
            return 0;
        }
    }
    return 1;
}

static int parse_cursor_arg(client *c, const arg *cur, scan_args *a)
{
    a->pat = NULL;
    a->patlen = 0;
    a->count = 10;
    a->type = NULL;
    if (parse_cursor(cur, &a->cursor)) return 1;
    reply_error(c, "ERR invalid cursor");
    return 0;
}

int scan_parse(client *c, scan_args *a)
{
    return parse_cursor_arg(c, &c->argv[1], a) && parse_options(c, 2, 1, a);
}

kv *scan_open_key(client *c, int type, scan_args *a)
{
    if (!parse_cursor_arg(c, &c->argv[2], a)) return NULL;
    int wrong;
    kv *e = cmd_lookup_type(c, &c->argv[1], type, &wrong);
    if (wrong) return NULL;
    if (!e) {
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        reply_empty_array(c);
        return NULL;
    }
    if (!parse_options(c, 3, 0, a)) return NULL;
    reply_array(c, 2);
    return e;
}

static void collect_one(void *priv, dict_node *n)
{
    scan_batch *b = priv;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->v = tier_dram_realloc(b->v, b->cap * sizeof(*b->v));
    }
    b->v[b->n++] = n;
}

uint64_t scan_collect(dict *d, const scan_args *a, scan_batch *b)
{
    uint64_t cursor = a->cursor;
    long maxiter = a->count > LONG_MAX / 10 ? LONG_MAX : a->count * 10;
    do {
        cursor = dict_scan(d, cursor, collect_one, b);
    } while (cursor && maxiter-- && b->n < (size_t)a->count);
    return cursor;
}

void scan_batch_release(scan_batch *b)
{
    tier_dram_free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}

void scan_reply_cursor(client *c, uint64_t cursor)
{
    char buf[UTIL_LL_STR_SIZE];
    reply_bulk(c, buf, util_ull2str(buf, cursor));
}

void scan_reply_nodes(client *c, dict *d, const scan_args *a, scan_emit_fn *emit)
{
    scan_batch b = {0};
    scan_reply_cursor(c, scan_collect(d, a, &b));
    reply_deferred dd = reply_defer(c);
    long n = 0;
    for (size_t i = 0; i < b.n; i++) n += emit(c, b.v[i], a);
    reply_set_deferred_array(c, dd, n);
    scan_batch_release(&b);
}
