/* cmd.c -- command table and dispatch; see cmd.h.
 *
 * Lookup is an open-addressing table keyed by the lower-cased name, built
 * once at start-up: dispatch costs one hash of the name and usually one
 * compare, with no allocation.
 */
#include "cmd.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "effects.h"
#include "db.h"
#include "log.h"
#include "server.h"
#include "tier.h"
#include "util.h"

void slowlog_record(client *c, cmd *cm, int64_t dur_us);

/* An id that cannot be a C name of its own (EXEC: cmd_exec is the
 * dispatcher's) gives its entry .name itself, overriding #id. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif
#define CMD(id, ...) {.name = #id, .proc = cmd_##id, __VA_ARGS__},
static cmd cmd_table[] = {
#include "cmd_table.def"
};
#undef CMD

#define NCMDS (sizeof(cmd_table) / sizeof(cmd_table[0]))
#define LOOKUP_SIZE 1024

/* A slot keeps the name's length and hash so a probe rarely touches the
 * name itself. */
typedef struct lookup_slot {
    cmd *c;
    uint32_t len;
    uint32_t hash;
} lookup_slot;
static lookup_slot lookup[LOOKUP_SIZE];

int (*cmd_intercept)(client *c, cmd *cm);
void (*cmd_after)(client *c, cmd *cm, uint64_t dirty_before, int64_t start_us, int64_t dur_us);
const char *(*cmd_refuse_writes)(void);
void (*cmd_after_durability)(client *c, cmd *cm);
int cmd_depth;
void (*cmd_monitor_feed)(client *c);

/* ASCII case folding: command names are ASCII, and this is what tolower()
 * does in the C locale without a call per byte. */
static inline unsigned char fold(unsigned char ch) { return (unsigned char)(ch - 'A') < 26 ? ch + 32 : ch; }

static uint64_t name_hash(const char *p, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) h = (h ^ fold((unsigned char)p[i])) * 1099511628211ULL;
    return h;
}

void cmd_init(void)
{
    tdb_assert(NCMDS * 2 < LOOKUP_SIZE);
    for (size_t i = 0; i < NCMDS; i++) {
        cmd *c = &cmd_table[i];
        size_t len = strlen(c->name);
        uint64_t full = name_hash(c->name, len);
        uint64_t h = full & (LOOKUP_SIZE - 1);
        while (lookup[h].c) h = (h + 1) & (LOOKUP_SIZE - 1);
        lookup[h].c = c;
        lookup[h].len = (uint32_t)len;
        lookup[h].hash = (uint32_t)(full >> 32);
    }
}

cmd *cmd_lookup(const char *name, size_t len)
{
    if (len > 32) return NULL;
    uint64_t full = name_hash(name, len);
    uint32_t tag = (uint32_t)(full >> 32);
    uint64_t h = full & (LOOKUP_SIZE - 1);
    while (lookup[h].c) {
        const lookup_slot *s = &lookup[h];
        if (s->hash == tag && s->len == len) {
            const char *n = s->c->name;
            size_t i = 0;
            while (i < len && fold((unsigned char)n[i]) == fold((unsigned char)name[i])) i++;
            if (i == len) return s->c;
        }
        h = (h + 1) & (LOOKUP_SIZE - 1);
    }
    return NULL;
}

size_t cmd_count(void) { return NCMDS; }
cmd *cmd_at(size_t i) { return i < NCMDS ? &cmd_table[i] : NULL; }

int cmd_sub_check(client *c, const char *parent, const cmd_sub *subs, size_t n)
{
    const arg *sub = &c->argv[1];
    for (size_t i = 0; i < n; i++) {
        if (sub->len != strlen(subs[i].name) || strncasecmp(sub->p, subs[i].name, sub->len) != 0)
            continue;
        int a = subs[i].arity;
        if (a >= 0 ? c->argc == a : c->argc >= -a) return 1;
        reply_errorf(c, "ERR wrong number of arguments for '%s|%s' command", parent, subs[i].name);
        return 0;
    }
    char up[32];
    size_t k = 0;
    for (; parent[k] && k < sizeof(up) - 1; k++) up[k] = (char)toupper((unsigned char)parent[k]);
    up[k] = '\0';
    reply_errorf(c, "ERR unknown subcommand '%.*s'. Try %s HELP.", (int)(sub->len > 128 ? 128 : sub->len),
                 sub->p, up);
    return 0;
}

void cmd_reset_stats(void)
{
    for (size_t i = 0; i < NCMDS; i++) {
        cmd_table[i].calls = cmd_table[i].usec = 0;
        cmd_table[i].rejected = cmd_table[i].failed = 0;
    }
}

int cmd_get_keys(const cmd *c, int argc, const arg *argv, int *keys, int max)
{
    if (c->getkeys) return c->getkeys(argc, argv, keys, max);
    if (c->first_key <= 0) return 0;
    int last = c->last_key;
    if (last < 0) last = argc + last;
    int n = 0;
    int step = c->key_step > 0 ? c->key_step : 1;
    for (int i = c->first_key; i <= last && i < argc && n < max; i += step) keys[n++] = i;
    return n;
}

static void reply_unknown(client *c)
{
    char args[256];
    size_t n = 0;
    args[0] = '\0';
    for (int i = 1; i < c->argc && n < 128; i++) {
        int room = 128 - (int)n;
        int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
                         (int)(c->argv[i].len < (size_t)room ? c->argv[i].len : (size_t)room), c->argv[i].p);
        if (w < 0) break;
        n += (size_t)w;
        if (n >= sizeof(args)) { n = sizeof(args) - 1; break; }
    }
    reply_errorf(c, "ERR unknown command '%.*s', with args beginning with: %s",
                 (int)(c->argv[0].len > 128 ? 128 : c->argv[0].len), c->argv[0].p, args);
}

/* A container's subcommand in lower case, as Redis names it ("list" of
 * client|list), into buf; "" when cm has none or argv[1] does not fit. */
static void sub_name(const cmd *cm, const client *c, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (!cm->subcmds || !*cm->subcmds || c->argc < 2 || c->argv[1].len >= cap) return;
    for (size_t i = 0; i < c->argv[1].len; i++) buf[i] = (char)tolower((unsigned char)c->argv[1].p[i]);
    buf[c->argv[1].len] = '\0';
}

static int is_pubsub_allowed(const cmd *cm)
{
    /* PUBLISH and PUBSUB are pub/sub commands but not allowed there */
    return ((cm->flags & CMD_PUBSUB) && strstr(cm->name, "subscribe")) || !strcmp(cm->name, "ping") || !strcmp(cm->name, "quit") || !strcmp(cm->name, "reset");
}

/* start: a clock reading taken just before (the dispatcher's, shared with
 * the client's last-interaction time). */
static void exec_at(client *c, cmd *cm, int64_t start)
{
    uint64_t dirty_before = server.dirty;
    uint64_t server_dirty_before = fx_server_dirty;   /* expiries it triggers are not its own change */
    uint64_t errs_before = server.stat_errors;
    db_now_ms = start / 1000;      /* one clock read per command, not two */
    c->lastcmd = cm;
    sub_name(cm, c, c->lastsub, sizeof(c->lastsub));
    fx_cmd_begin(c);
    if (cmd_depth == 0) c->cmd_out_start = c->out_total;
    cmd_depth++;
    cm->proc(c);
    cmd_depth--;
    fx_cmd_end(c, cm, server.dirty - dirty_before != fx_server_dirty - server_dirty_before);
    int64_t dur = util_ustime() - start;
    cm->calls++;
    cm->usec += (uint64_t)dur;
    if (server.stat_errors != errs_before) cm->failed++;
    c->lastcmd = cm;
    c->total_cmds++;
    server.stat_commands++;
    slowlog_record(c, cm, dur);
    /* after execution, as Redis 7 does; admin commands may carry secrets */
    if (cmd_monitor_feed && !(cm->flags & (CMD_SKIP_MONITOR | CMD_ADMIN))) cmd_monitor_feed(c);
    if (cmd_after) cmd_after(c, cm, dirty_before, start, dur);
    if (cmd_depth == 0 && cmd_after_durability) cmd_after_durability(c, cm);
}

void cmd_exec(client *c, cmd *cm) { exec_at(c, cm, util_ustime()); }

void cmd_call(client *c)
{
    int64_t now = util_ustime();
    c->last_interaction = now / 1000;
    cmd *cm = cmd_lookup(c->argv[0].p, c->argv[0].len);
    c->cmd = cm;
    if (!cm) {
        reply_unknown(c);
        if (c->flags & CF_MULTI) c->flags |= CF_DIRTY_EXEC;
        server.stat_unexpected_errors++;
        return;
    }
    if ((cm->arity > 0 && c->argc != cm->arity) || (cm->arity < 0 && c->argc < -cm->arity)) {
        cm->rejected++;
        if (c->flags & CF_MULTI) c->flags |= CF_DIRTY_EXEC;
        reply_err_arity(c);
        return;
    }
    if (!c->authenticated && !(cm->flags & CMD_NO_AUTH) && server.cfg.requirepass && *server.cfg.requirepass) {
        cm->rejected++;
        if (c->flags & CF_MULTI) c->flags |= CF_DIRTY_EXEC;
        reply_error(c, "NOAUTH Authentication required.");
        return;
    }
    if (cmd_intercept && cmd_intercept(c, cm)) return;
    if ((c->flags & CF_PUBSUB) && c->resp == 2 && !is_pubsub_allowed(cm)) {
        cm->rejected++;
        /* a container names its subcommand too, as Redis does ("client|list") */
        char sub[sizeof(c->lastsub)];
        sub_name(cm, c, sub, sizeof(sub));
        reply_errorf(c,
                     "ERR Can't execute '%s%s%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
                     "are allowed in this context",
                     cm->name, sub[0] ? "|" : "", sub);
        return;
    }
    if (server.loading && !(cm->flags & CMD_LOADING)) {
        cm->rejected++;
        reply_error(c, "LOADING Redis is loading the dataset in memory");
        return;
    }
    if (cm->flags & CMD_WRITE) {
        const char *why = cmd_refuse_writes ? cmd_refuse_writes() : NULL;
        if (why) {
            cm->rejected++;
            reply_error(c, why);
            return;
        }
    }
    if ((cm->flags & CMD_DENYOOM) && server.cfg.maxmemory > 0 &&
        tier_used_total() > (uint64_t)server.cfg.maxmemory) {
        cm->rejected++;
        reply_error(c, "OOM command not allowed when used memory > 'maxmemory'.");
        return;
    }
    exec_at(c, cm, now);
}

kv *cmd_lookup_type(client *c, const arg *k, int type, int *wrong)
{
    kv *e = db_lookup(c->db, k->p, k->len);
    *wrong = 0;
    if (e && e->type != type) {
        reply_err_wrongtype(c);
        *wrong = 1;
        return NULL;
    }
    return e;
}
