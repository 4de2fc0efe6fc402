/* slowlog.c -- SLOWLOG, DEBUG SLEEP / SET-ACTIVE-EXPIRE, and configuration
 * entries accepted only for compatibility.
 *
 * What it promises
 *   - Every executed command that took at least slowlog-log-slower-than
 *     microseconds (and is not flagged CMD_SKIP_SLOWLOG) is recorded with
 *     its arguments (at most 32, each cut at 128 bytes, as Redis does), the
 *     peer address and the client name; the log keeps the newest
 *     slowlog-max-len entries.  Entries are metadata: DRAM.
 *   - "appendonly" and "appendfsync" exist so tools that read them
 *     (redis-benchmark reads CONFIG GET appendonly) find them; they change
 *     nothing until the journal module takes them over.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "cmd.h"
#include "server.h"
#include "tier.h"
#include "util.h"


#define SLOWLOG_MAX_ARGC 32
#define SLOWLOG_MAX_ARGLEN 128

typedef struct slow_entry {
    struct slow_entry *next;        /* older */
    struct slow_entry *prev;        /* newer */
    long long id;
    long long time;                 /* unix seconds */
    long long duration;             /* microseconds */
    int argc;
    char **argv;                    /* NUL-terminated; lens below */
    size_t *lens;
    char peer[64];
    char name[64];
} slow_entry;

static slow_entry *newest, *oldest;
static long long slow_len, slow_next_id;

static void entry_free(slow_entry *e)
{
    for (int i = 0; i < e->argc; i++) tier_dram_free(e->argv[i]);
    tier_dram_free(e->argv);
    tier_dram_free(e->lens);
    tier_dram_free(e);
}

static void drop_oldest(void)
{
    slow_entry *e = oldest;
    if (!e) return;
    oldest = e->prev;
    if (oldest) oldest->next = NULL;
    else newest = NULL;
    slow_len--;
    entry_free(e);
}

static char *dup_bytes(const char *p, size_t n)
{
    char *s = tier_dram_malloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

void slowlog_record(client *c, cmd *cm, int64_t dur_us)
{
    if (server.cfg.slowlog_log_slower_than < 0 || (cm->flags & CMD_SKIP_SLOWLOG)) return;
    if (dur_us < server.cfg.slowlog_log_slower_than) return;
    if (server.cfg.slowlog_max_len <= 0) {
        while (slow_len) drop_oldest();
        return;
    }
    slow_entry *e = tier_dram_calloc(sizeof(*e));
    int argc = c->argc > SLOWLOG_MAX_ARGC ? SLOWLOG_MAX_ARGC : c->argc;
    e->argc = argc;
    e->argv = tier_dram_malloc(sizeof(char *) * (size_t)(argc ? argc : 1));
    e->lens = tier_dram_malloc(sizeof(size_t) * (size_t)(argc ? argc : 1));
    for (int i = 0; i < argc; i++) {
        char tmp[96];
        if (argc == SLOWLOG_MAX_ARGC && i == argc - 1 && c->argc > SLOWLOG_MAX_ARGC) {
            int n = snprintf(tmp, sizeof(tmp), "... (%d more arguments)", c->argc - argc + 1);
            e->argv[i] = dup_bytes(tmp, (size_t)n);
            e->lens[i] = (size_t)n;
        } else if (c->argv[i].len > SLOWLOG_MAX_ARGLEN) {
            int n = snprintf(tmp, sizeof(tmp), "... (%zu more bytes)", c->argv[i].len - SLOWLOG_MAX_ARGLEN);
            char *s = tier_dram_malloc(SLOWLOG_MAX_ARGLEN + (size_t)n + 1);
            memcpy(s, c->argv[i].p, SLOWLOG_MAX_ARGLEN);
            memcpy(s + SLOWLOG_MAX_ARGLEN, tmp, (size_t)n + 1);
            e->argv[i] = s;
            e->lens[i] = SLOWLOG_MAX_ARGLEN + (size_t)n;
        } else {
            e->argv[i] = dup_bytes(c->argv[i].p, c->argv[i].len);
            e->lens[i] = c->argv[i].len;
        }
    }
    e->id = slow_next_id++;
    e->time = (long long)time(NULL);
    e->duration = dur_us;
    snprintf(e->peer, sizeof(e->peer), "%s", c->addr);
    snprintf(e->name, sizeof(e->name), "%s", c->name);
    e->next = newest;
    if (newest) newest->prev = e;
    newest = e;
    if (!oldest) oldest = e;
    slow_len++;
    while (slow_len > server.cfg.slowlog_max_len) drop_oldest();
}

/* SLOWLOG GET [count] | LEN | RESET | HELP */
void cmd_slowlog(client *c)
{
    const arg *sub = &c->argv[1];
    if (ARGEQ(*sub, "reset") && c->argc == 2) {
        while (slow_len) drop_oldest();
        reply_ok(c);
    } else if (ARGEQ(*sub, "len") && c->argc == 2) {
        reply_ll(c, slow_len);
    } else if (ARGEQ(*sub, "get") && (c->argc == 2 || c->argc == 3)) {
        long long count = 10;
        if (c->argc == 3) {
            if (!util_str2ll(c->argv[2].p, c->argv[2].len, &count) || count < -1) {
                reply_error(c, "ERR count should be greater than or equal to -1");
                return;
            }
            if (count == -1) count = slow_len;
        }
        if (count > slow_len) count = slow_len;
        reply_array(c, (long)count);
        slow_entry *e = newest;
        for (long long i = 0; i < count && e; i++, e = e->next) {
            reply_array(c, 6);
            reply_ll(c, e->id);
            reply_ll(c, e->time);
            reply_ll(c, e->duration);
            reply_array(c, e->argc);
            for (int j = 0; j < e->argc; j++) reply_bulk(c, e->argv[j], e->lens[j]);
            reply_cstr(c, e->peer);
            reply_cstr(c, e->name);
        }
    } else if (ARGEQ(*sub, "help") && c->argc == 2) {
        static const char *help[] = {
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
            "HELP",
            "    Prints this help.",
        };
        size_t n = sizeof(help) / sizeof(help[0]);
        reply_array(c, (long)n);
        for (size_t i = 0; i < n; i++) reply_status(c, help[i]);
    } else {
        reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try SLOWLOG HELP.",
                     (int)(sub->len > 128 ? 128 : sub->len), sub->p);
    }
}

/* ---- DEBUG -------------------------------------------------------------------- */

/* Other modules (RDB: DEBUG RELOAD, objects: DEBUG OBJECT) answer their own
 * subcommands through this hook: return 1 if handled. */
int (*debug_ext_hook)(client *c);

/* DEBUG SLEEP seconds | SET-ACTIVE-EXPIRE 0|1 | HELP */
void cmd_debug(client *c)
{
    const arg *sub = &c->argv[1];
    if (ARGEQ(*sub, "sleep") && c->argc == 3) {
        char buf[64];
        size_t n = c->argv[2].len < sizeof(buf) - 1 ? c->argv[2].len : sizeof(buf) - 1;
        memcpy(buf, c->argv[2].p, n);
        buf[n] = '\0';
        char *end;
        double secs = strtod(buf, &end);
        if (end == buf || *end || secs < 0) secs = 0;   /* Redis treats junk as 0 */
        int64_t us = (int64_t)(secs * 1e6);
        struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
        while (nanosleep(&ts, &ts) != 0) {}
        reply_ok(c);
    } else if (ARGEQ(*sub, "set-active-expire") && c->argc == 3) {
        long long v;
        if (!util_str2ll(c->argv[2].p, c->argv[2].len, &v)) { reply_err_not_int(c); return; }
        server.cfg.active_expire = v != 0;
        reply_ok(c);
    } else if (debug_ext_hook && debug_ext_hook(c)) {
        return;
    } else if (ARGEQ(*sub, "help") && c->argc == 2) {
        static const char *help[] = {
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            "HELP",
            "    Prints this help.",
        };
        size_t n = sizeof(help) / sizeof(help[0]);
        reply_array(c, (long)n);
        for (size_t i = 0; i < n; i++) reply_status(c, help[i]);
    } else {
        reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try DEBUG HELP.",
                     (int)(sub->len > 128 ? 128 : sub->len), sub->p);
    }
}

/* ---- compatibility configuration ------------------------------------------ */

static int compat_appendonly;
static int compat_appendfsync = 1;
static const char *const fsync_names[] = {"always", "everysec", "no", NULL};

static const cfg_entry compat_configs[] = {
    {.name = "appendonly", .type = CFG_BOOL, .ptr = &compat_appendonly, .defval = "no"},
    {.name = "appendfsync", .type = CFG_ENUM, .ptr = &compat_appendfsync, .enum_names = fsync_names, .defval = "everysec"},
};

/* Registered from modules.c; the journal module drops this call when it owns
 * these names. */
void slowlog_register_compat_configs(void)
{
    if (!cfg_find("appendonly")) cfg_register(compat_configs, sizeof(compat_configs) / sizeof(compat_configs[0]));
}
