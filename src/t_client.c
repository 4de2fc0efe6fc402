/* t_client.c -- CLIENT, RESET and MONITOR.
 *
 * What it promises
 *   - CLIENT subcommands answer as Redis 7.0 does, including both forms of
 *     CLIENT KILL (the old "ip:port" form replies OK or an error, the filter
 *     form replies a count and by default spares the caller).  An unknown
 *     subcommand, or a known one with the wrong number of arguments, gets
 *     Redis's error for it (cmd_sub_check).
 *   - CLIENT UNBLOCK answers a client blocked on keys (BLPOP, BLMOVE,
 *     BZPOPMIN, ...) as its timeout would, or with -UNBLOCKED, before the
 *     event loop next sleeps.  A client waiting for its write to become
 *     durable is not blocked in this sense: its reply waits for the journal
 *     whatever anyone asks.
 *   - RESET returns a connection to its just-connected state; modules that
 *     keep per-client state (MULTI, pub/sub, WATCH) clear it through hooks
 *     added with client_add_reset_hook().
 *   - MONITOR clients receive every executed command, after it ran, as one
 *     status line in Redis's format; admin commands and commands flagged
 *     CMD_SKIP_MONITOR are never shown (they may carry passwords).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "blocked.h"
#include "cmd.h"
#include "server.h"
#include "tier.h"
#include "util.h"



/* ---- RESET hooks ------------------------------------------------------------ */

#define MAX_RESET_HOOKS 16
static void (*reset_hooks[MAX_RESET_HOOKS])(client *c);
static int nreset_hooks;

void client_add_reset_hook(void (*fn)(client *c))
{
    if (nreset_hooks < MAX_RESET_HOOKS) reset_hooks[nreset_hooks++] = fn;
}

/* ---- MONITOR ---------------------------------------------------------------- */

static uint64_t nmonitors;

uint64_t slowlog_monitors_count(void) { return nmonitors; }

/* Called from conn_free for a client in CF_MONITOR. */
void monitor_forget(client *c)
{
    if ((c->flags & CF_MONITOR) && nmonitors) nmonitors--;
}

static void repr_append(char **b, size_t *n, size_t *cap, const char *p, size_t len)
{
    if (*n + len * 4 + 8 > *cap) {
        *cap = (*n + len * 4 + 8) * 2;
        *b = tier_dram_realloc(*b, *cap);
    }
    char *o = *b + *n;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        switch (ch) {
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '"': *o++ = '\\'; *o++ = '"'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '\a': *o++ = '\\'; *o++ = 'a'; break;
        case '\b': *o++ = '\\'; *o++ = 'b'; break;
        default:
            if (isprint(ch)) *o++ = (char)ch;
            else o += sprintf(o, "\\x%02x", ch);
        }
    }
    *o++ = '"';
    *n = (size_t)(o - *b);
}

static void monitor_feed(client *c)
{
    if (!nmonitors) return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    size_t cap = 256, n = 0;
    char *b = tier_dram_malloc(cap);
    if (c->flags & CF_UNIX)
        n = (size_t)snprintf(b, cap, "%ld.%06ld [%d unix:%s]", (long)tv.tv_sec, (long)tv.tv_usec,
                             c->db ? c->db->id : 0, server.cfg.unixsocket ? server.cfg.unixsocket : "");
    else
        n = (size_t)snprintf(b, cap, "%ld.%06ld [%d %s]", (long)tv.tv_sec, (long)tv.tv_usec, c->db ? c->db->id : 0,
                             c->addr);
    if (n >= cap) n = cap - 1;
    for (int i = 0; i < c->argc; i++) {
        b[n++] = ' ';
        repr_append(&b, &n, &cap, c->argv[i].p, c->argv[i].len);
    }
    b[n] = '\0';
    for (client *m = conn_all; m; m = m->next)
        if ((m->flags & CF_MONITOR) && m != c) reply_status(m, b);
    tier_dram_free(b);
}

void client_install_hooks(void) { cmd_monitor_feed = monitor_feed; }

/* MONITOR */
void cmd_monitor(client *c)
{
    if (c->flags & CF_MONITOR) return;
    c->flags |= CF_MONITOR;
    nmonitors++;
    reply_ok(c);
}

/* ---- RESET -------------------------------------------------------------------- */

/* RESET */
void cmd_reset(client *c)
{
    for (int i = 0; i < nreset_hooks; i++) reset_hooks[i](c);
    if (c->flags & CF_MONITOR) {
        c->flags &= ~CF_MONITOR;
        if (nmonitors) nmonitors--;
    }
    c->db = &server.dbs[0];
    c->resp = 2;
    c->authenticated = !(server.cfg.requirepass && *server.cfg.requirepass);
    c->name[0] = '\0';
    c->flags &= ~(CF_PUBSUB | CF_NO_EVICT | CF_REPLY_OFF | CF_REPLY_SKIP_NEXT | CF_MULTI | CF_DIRTY_EXEC |
                  CF_DIRTY_CAS);
    reply_status(c, "RESET");
}

/* ---- CLIENT ------------------------------------------------------------------- */

static int valid_name(const arg *a)
{
    for (size_t i = 0; i < a->len; i++)
        if (a->p[i] < '!' || a->p[i] > '~') return 0;
    return 1;
}

static int client_type_of(const client *c)
{
    /* 0 normal, 1 master, 2 replica, 3 pubsub */
    if (c->flags & CF_MONITOR) return 2;
    if (c->flags & CF_PUBSUB) return 3;
    return 0;
}

static int parse_type(const arg *a)
{
    if (ARGEQ(*a, "normal")) return 0;
    if (ARGEQ(*a, "master")) return 1;
    if (ARGEQ(*a, "replica") || ARGEQ(*a, "slave")) return 2;
    if (ARGEQ(*a, "pubsub")) return 3;
    return -1;
}

/* Appends c's CLIENT LIST line plus "\n" to the buffer. */
static void describe_into(client *c, char **b, size_t *n, size_t *cap)
{
    if (*n + 1024 > *cap) {
        *cap = (*n + 1024) * 2;
        *b = tier_dram_realloc(*b, *cap);
    }
    size_t w = conn_describe(c, *b + *n, *cap - *n - 2);
    if (w > *cap - *n - 2) w = *cap - *n - 2;
    *n += w;
    (*b)[(*n)++] = '\n';
    (*b)[*n] = '\0';
}

static void client_list(client *c)
{
    int type = -1;
    int nids = 0;
    uint64_t *ids = NULL;
    for (int i = 2; i < c->argc; i++) {
        if (ARGEQ(c->argv[i], "type") && i + 1 < c->argc) {
            type = parse_type(&c->argv[i + 1]);
            if (type < 0) {
                reply_errorf(c, "ERR Unknown client type '%.*s'", (int)c->argv[i + 1].len, c->argv[i + 1].p);
                tier_dram_free(ids);
                return;
            }
            i++;
        } else if (ARGEQ(c->argv[i], "id") && i + 1 < c->argc) {
            int j;
            for (j = i + 1; j < c->argc; j++) {
                long long v;
                if (!util_str2ll(c->argv[j].p, c->argv[j].len, &v) || v <= 0) {
                    reply_error(c, "ERR Invalid client ID");
                    tier_dram_free(ids);
                    return;
                }
                ids = tier_dram_realloc(ids, sizeof(*ids) * (size_t)(nids + 1));
                ids[nids++] = (uint64_t)v;
            }
            i = j;
        } else {
            reply_err_syntax(c);
            tier_dram_free(ids);
            return;
        }
    }
    size_t cap = 4096, n = 0;
    char *b = tier_dram_malloc(cap);
    b[0] = '\0';
    /* oldest first, as Redis lists them: conn_all has the newest at the head */
    client *last = conn_all;
    while (last && last->next) last = last->next;
    for (client *x = last; x; x = x->prev) {
        if (type >= 0 && client_type_of(x) != type) continue;
        if (nids) {
            int found = 0;
            for (int k = 0; k < nids; k++)
                if (ids[k] == x->id) found = 1;
            if (!found) continue;
        }
        describe_into(x, &b, &n, &cap);
    }
    reply_verbatim(c, b, n, "txt");
    tier_dram_free(b);
    tier_dram_free(ids);
}

static int addr_eq(const arg *a, const char *s) { return strlen(s) == a->len && !memcmp(s, a->p, a->len); }

static void client_kill(client *c)
{
    if (c->argc == 3) {
        /* old form: CLIENT KILL ip:port */
        for (client *x = conn_all; x; x = x->next) {
            if (addr_eq(&c->argv[2], x->addr)) {
                if (x == c) c->flags |= CF_CLOSE_AFTER_REPLY;
                else conn_close_async(x);
                reply_ok(c);
                return;
            }
        }
        reply_error(c, "ERR No such client");
        return;
    }
    if ((c->argc - 2) % 2 != 0) { reply_err_syntax(c); return; }
    long long id = 0;
    int type = -1, skipme = 1;
    const arg *addr = NULL, *laddr = NULL, *user = NULL;
    for (int i = 2; i < c->argc; i += 2) {
        const arg *o = &c->argv[i], *v = &c->argv[i + 1];
        if (ARGEQ(*o, "id")) {
            if (!util_str2ll(v->p, v->len, &id) || id <= 0) {
                reply_error(c, "ERR client-id should be greater than 0");
                return;
            }
        } else if (ARGEQ(*o, "type")) {
            type = parse_type(v);
            if (type < 0) {
                reply_errorf(c, "ERR Unknown client type '%.*s'", (int)v->len, v->p);
                return;
            }
        } else if (ARGEQ(*o, "addr")) {
            addr = v;
        } else if (ARGEQ(*o, "laddr")) {
            laddr = v;
        } else if (ARGEQ(*o, "user")) {
            user = v;
            if (!ARGEQ(*v, "default")) {
                reply_errorf(c, "ERR No such user '%.*s'", (int)v->len, v->p);
                return;
            }
        } else if (ARGEQ(*o, "skipme")) {
            if (ARGEQ(*v, "yes")) skipme = 1;
            else if (ARGEQ(*v, "no")) skipme = 0;
            else { reply_err_syntax(c); return; }
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    (void)user;
    long long killed = 0;
    for (client *x = conn_all; x; x = x->next) {
        if (id && x->id != (uint64_t)id) continue;
        if (type >= 0 && client_type_of(x) != type) continue;
        if (addr && !addr_eq(addr, x->addr)) continue;
        if (laddr && !addr_eq(laddr, x->laddr)) continue;
        if (x == c && skipme) continue;
        if (x == c) c->flags |= CF_CLOSE_AFTER_REPLY;
        else conn_close_async(x);
        killed++;
    }
    reply_ll(c, killed);
}

static const char *client_help[] = {
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
};

static void reply_subcmd_error(client *c);

/* CLIENT UNBLOCK <id> [TIMEOUT|ERROR] */
static void client_unblock(client *c)
{
    if (c->argc > 4) { reply_subcmd_error(c); return; }
    long long id;
    if (!arg_ll(c, &c->argv[2], &id)) return;
    const char *err = NULL;
    if (c->argc == 4) {
        if (ARGEQ(c->argv[3], "error")) err = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
        else if (!ARGEQ(c->argv[3], "timeout")) {
            reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    for (client *x = conn_all; x; x = x->next) {
        if (x->id == (uint64_t)id && id > 0) {
            reply_ll(c, blk_unblock_client(x, err));
            return;
        }
    }
    reply_ll(c, 0);
}

/* the subcommands this file answers, with Redis 7.0's arities */
static const cmd_sub client_subs[] = {
    {"id", 2},       {"getname", 2}, {"setname", 3}, {"list", -2},   {"info", 2},
    {"kill", -3},    {"no-evict", 3}, {"reply", 3},  {"getredir", 2}, {"unpause", 2},
    {"unblock", -3}, {"help", 2},
};

static void reply_subcmd_error(client *c)
{
    reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.",
                 (int)(c->argv[1].len > 128 ? 128 : c->argv[1].len), c->argv[1].p, "CLIENT");
}

/* CLIENT <subcommand> ... */
void cmd_client(client *c)
{
    const arg *sub = &c->argv[1];
    if (!cmd_sub_check(c, "client", client_subs, sizeof(client_subs) / sizeof(client_subs[0]))) return;
    if (ARGEQ(*sub, "id") && c->argc == 2) {
        reply_ll(c, (long long)c->id);
    } else if (ARGEQ(*sub, "getname") && c->argc == 2) {
        if (c->name[0]) reply_cstr(c, c->name);
        else reply_null(c);
    } else if (ARGEQ(*sub, "setname") && c->argc == 3) {
        const arg *a = &c->argv[2];
        if (!valid_name(a)) {
            reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
            return;
        }
        size_t n = a->len < sizeof(c->name) - 1 ? a->len : sizeof(c->name) - 1;
        memcpy(c->name, a->p, n);
        c->name[n] = '\0';
        reply_ok(c);
    } else if (ARGEQ(*sub, "list")) {
        client_list(c);
    } else if (ARGEQ(*sub, "info") && c->argc == 2) {
        size_t cap = 1024, n = 0;
        char *b = tier_dram_malloc(cap);
        describe_into(c, &b, &n, &cap);
        reply_verbatim(c, b, n, "txt");
        tier_dram_free(b);
    } else if (ARGEQ(*sub, "kill") && c->argc >= 3) {
        client_kill(c);
    } else if (ARGEQ(*sub, "no-evict") && c->argc == 3) {
        if (ARGEQ(c->argv[2], "on")) { c->flags |= CF_NO_EVICT; reply_ok(c); }
        else if (ARGEQ(c->argv[2], "off")) { c->flags &= ~CF_NO_EVICT; reply_ok(c); }
        else reply_err_syntax(c);
    } else if (ARGEQ(*sub, "reply") && c->argc == 3) {
        if (ARGEQ(c->argv[2], "on")) {
            c->flags &= ~(CF_REPLY_SKIP | CF_REPLY_OFF);
            reply_ok(c);
        } else if (ARGEQ(c->argv[2], "off")) {
            c->flags |= CF_REPLY_OFF;
        } else if (ARGEQ(c->argv[2], "skip")) {
            if (!(c->flags & CF_REPLY_OFF)) c->flags |= CF_REPLY_SKIP_NEXT;
        } else {
            reply_err_syntax(c);
        }
    } else if (ARGEQ(*sub, "getredir") && c->argc == 2) {
        reply_ll(c, -1);
    } else if (ARGEQ(*sub, "unpause") && c->argc == 2) {
        reply_ok(c);
    } else if (ARGEQ(*sub, "unblock")) {
        client_unblock(c);
    } else if (ARGEQ(*sub, "help") && c->argc == 2) {
        size_t n = sizeof(client_help) / sizeof(client_help[0]);
        reply_array(c, (long)n);
        for (size_t i = 0; i < n; i++) reply_status(c, client_help[i]);
    } else {
        reply_subcmd_error(c);
    }
}
