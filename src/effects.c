/* effects.c -- see effects.h.
 *
 * The entry under construction lives in one growable DRAM buffer reused for
 * every command, so recording a SET costs a few memcpy's and no allocation
 * once the buffer has grown.  The entry is finished (handed to the
 * consumer) when the outermost command or MULTI/EXEC ends.
 */
#include "effects.h"

#include <stdarg.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "server.h"
#include "tier.h"
#include "util.h"

fx_entry_fn *fx_consumer;
void *fx_consumer_priv;
fx_key_fn *fx_key_consumer;
void *fx_key_consumer_priv;
uint64_t fx_stat_entries, fx_stat_bytes;

static char *buf;
static size_t len, cap;
static int depth;             /* nesting of entries (MULTI/EXEC) */
static int last_db = -1;      /* database of the previous record, for SELECT */
static int entry_records;     /* records in the entry being built */
static int entry_start_db;    /* last_db when the entry began */
static int forget_pending;    /* fx_forget_db() inside an entry */

/* Nobody reads records (durability none): building them is work thrown
 * away on every write, so they are not built.  Skipping one forgets the
 * database, so a consumer installed later starts with a SELECT. */
static inline int idle(void)
{
    if (fx_consumer || fx_key_consumer) return 0;
    last_db = -1;
    return 1;
}

/* The current command's rewritten record, if any. */
static int rewritten, suppressed;
static char *rw_buf;
static size_t rw_len, rw_cap;

static void grow(char **b, size_t *c, size_t need)
{
    if (need <= *c) return;
    size_t n = *c ? *c : 4096;
    while (n < need) n *= 2;
    *b = tier_dram_realloc(*b, n);
    *c = n;
}

static void put(char **b, size_t *l, size_t *c, const char *p, size_t n)
{
    grow(b, c, *l + n);
    memcpy(*b + *l, p, n);
    *l += n;
}

static void put_header(char **b, size_t *l, size_t *c, char t, size_t n)
{
    char h[32];
    h[0] = t;
    size_t k = 1 + util_ull2str(h + 1, n);
    h[k++] = '\r';
    h[k++] = '\n';
    put(b, l, c, h, k);
}

static void put_cmd(char **b, size_t *l, size_t *c, int argc, const arg *argv)
{
    put_header(b, l, c, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        put_header(b, l, c, '$', argv[i].len);
        put(b, l, c, argv[i].p, argv[i].len);
        put(b, l, c, "\r\n", 2);
    }
}

static void select_db(int dbid)
{
    if (dbid == last_db) return;
    char num[UTIL_LL_STR_SIZE];
    size_t n = util_ll2str(num, dbid);
    arg a[2] = {{(char *)"SELECT", 6}, {num, n}};
    put_cmd(&buf, &len, &cap, 2, a);
    last_db = dbid;
}

/* The entry must say which db it starts in (a snapshot was taken while it
 * was built): put a SELECT of the db it began in at its front. */
static void prefix_select(void)
{
    forget_pending = 0;
    if (entry_start_db < 0) return;          /* its first record has a SELECT */
    char num[UTIL_LL_STR_SIZE];
    size_t n = util_ll2str(num, entry_start_db);
    arg a[2] = {{(char *)"SELECT", 6}, {num, n}};
    char *p = NULL;
    size_t pl = 0, pc = 0;
    put_cmd(&p, &pl, &pc, 2, a);
    grow(&buf, &cap, len + pl);
    memmove(buf + pl, buf, len);
    memcpy(buf, p, pl);
    len += pl;
    tier_dram_free(p);
}

static void finish_entry(void)
{
    if (entry_records == 0) { len = 0; forget_pending = 0; return; }
    if (forget_pending) prefix_select();
    if (fx_consumer) fx_consumer(buf, len, fx_consumer_priv);
    fx_stat_entries++;
    fx_stat_bytes += len;
    len = 0;
    entry_records = 0;
}

void fx_entry_begin(void)
{
    if (depth++ == 0) {
        len = 0;
        entry_records = 0;
        entry_start_db = last_db;
    }
}

void fx_entry_end(void)
{
    if (--depth > 0) return;
    finish_entry();
}

void fx_entry_drop(void)
{
    if (depth != 1) return;
    len = 0;
    entry_records = 0;
    last_db = -1;   /* a dropped SELECT must be written again */
}

void fx_cmd_begin(client *c)
{
    (void)c;
    rewritten = 0;
    suppressed = 0;
    rw_len = 0;
}

void fx_rewrite(client *c, int argc, const arg *argv)
{
    (void)c;
    rewritten = 1;
    if (idle()) return;
    rw_len = 0;
    put_cmd(&rw_buf, &rw_len, &rw_cap, argc, argv);
}

static int collect(va_list ap, arg *out, int max)
{
    int n = 0;
    for (;;) {
        const char *p = va_arg(ap, const char *);
        if (!p) break;
        size_t l = va_arg(ap, size_t);
        if (n < max) {
            out[n].p = (char *)p;
            out[n].len = l;
            n++;
        }
    }
    return n;
}

void fx_rewrite_strs(client *c, ...)
{
    if (idle()) { rewritten = 1; return; }
    arg a[16];
    va_list ap;
    va_start(ap, c);
    int n = collect(ap, a, 16);
    va_end(ap);
    fx_rewrite(c, n, a);
}

void fx_suppress(client *c)
{
    (void)c;
    suppressed = 1;
}

static void note_keys(int dbid, int argc, const arg *argv, const cmd *cm)
{
    if (!fx_key_consumer || !cm) return;
    int keys[256];
    int n = cmd_get_keys(cm, argc, argv, keys, 256);
    for (int i = 0; i < n; i++) fx_key_consumer(dbid, argv[keys[i]].p, argv[keys[i]].len, fx_key_consumer_priv);
}

void fx_also(int dbid, int argc, const arg *argv)
{
    if (idle()) return;
    int outer = depth == 0;
    if (outer) fx_entry_begin();
    select_db(dbid);
    put_cmd(&buf, &len, &cap, argc, argv);
    entry_records++;
    if (fx_key_consumer) {
        const cmd *cm = cmd_lookup(argv[0].p, argv[0].len);
        note_keys(dbid, argc, argv, cm);
    }
    if (outer) fx_entry_end();
}

void fx_also_strs(int dbid, ...)
{
    if (idle()) return;
    arg a[16];
    va_list ap;
    va_start(ap, dbid);
    int n = collect(ap, a, 16);
    va_end(ap);
    fx_also(dbid, n, a);
}

uint64_t fx_server_dirty;

void fx_server_del(int dbid, const char *key, size_t len)
{
    fx_also_strs(dbid, "DEL", (size_t)3, key, len, NULL);
    server_dirty(1);
    fx_server_dirty++;
}

void fx_forget_db(void)
{
    if (depth == 0) last_db = -1;
    else forget_pending = 1;   /* the entry being built comes right after */
}

void fx_cmd_end(client *c, const cmd *cm, int changed)
{
    if (!changed || suppressed || !(cm->flags & CMD_JOURNAL)) return;
    if (idle()) return;
    int outer = depth == 0;
    if (outer) fx_entry_begin();
    int dbid = c->db ? c->db->id : 0;
    select_db(dbid);
    if (rewritten) put(&buf, &len, &cap, rw_buf, rw_len);
    else put_cmd(&buf, &len, &cap, c->argc, c->argv);
    entry_records++;
    note_keys(dbid, c->argc, c->argv, cm);
    if (outer) fx_entry_end();
}
