/* t_server.c -- connection and server commands: PING, ECHO, QUIT, HELLO,
 * AUTH, CONFIG, COMMAND, INFO, SHUTDOWN, TIME. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cfg.h"
#include "cmd.h"
#include "log.h"
#include "server.h"
#include "tier.h"
#include "util.h"



/* PING [message] */
void cmd_ping(client *c)
{
    if (c->argc > 2) { reply_err_arity(c); return; }
    if ((c->flags & CF_PUBSUB) && c->resp == 2) {
        reply_array(c, 2);
        reply_bulk(c, "pong", 4);
        if (c->argc == 2) reply_bulk(c, c->argv[1].p, c->argv[1].len);
        else reply_bulk(c, "", 0);
        return;
    }
    if (c->argc == 2) reply_bulk(c, c->argv[1].p, c->argv[1].len);
    else reply_raw(c, "+PONG\r\n", 7);
}

/* ECHO message */
void cmd_echo(client *c) { reply_bulk(c, c->argv[1].p, c->argv[1].len); }

/* QUIT */
void cmd_quit(client *c)
{
    reply_ok(c);
    c->flags |= CF_CLOSE_AFTER_REPLY;
}

static int check_password(const arg *user, const arg *pass)
{
    const char *rp = server.cfg.requirepass ? server.cfg.requirepass : "";
    if (user && !(user->len == 7 && !memcmp(user->p, "default", 7))) return 0;
    if (!*rp) return user != NULL;   /* no password: only "default" with any pass in HELLO */
    return strlen(rp) == pass->len && memcmp(rp, pass->p, pass->len) == 0;
}

/* AUTH [username] password */
void cmd_auth(client *c)
{
    if (c->argc > 3) { reply_err_syntax(c); return; }
    const char *rp = server.cfg.requirepass ? server.cfg.requirepass : "";
    if (c->argc == 2 && !*rp) {
        reply_error(c, "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
        return;
    }
    const arg *user = c->argc == 3 ? &c->argv[1] : NULL;
    const arg *pass = &c->argv[c->argc - 1];
    int ok;
    if (!*rp) ok = user && user->len == 7 && !memcmp(user->p, "default", 7);
    else ok = check_password(user, pass);
    if (ok) {
        c->authenticated = 1;
        reply_ok(c);
    } else {
        reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
    }
}

static void reply_hello_map(client *c)
{
    reply_map(c, 7);
    reply_cstr(c, "server");
    reply_cstr(c, "redis");
    reply_cstr(c, "version");
    reply_cstr(c, TDB_VERSION);
    reply_cstr(c, "proto");
    reply_ll(c, c->resp);
    reply_cstr(c, "id");
    reply_ll(c, (long long)c->id);
    reply_cstr(c, "mode");
    reply_cstr(c, "standalone");
    reply_cstr(c, "role");
    reply_cstr(c, "master");
    reply_cstr(c, "modules");
    reply_empty_array(c);
}

/* HELLO [protover [AUTH username password] [SETNAME clientname]] */
void cmd_hello(client *c)
{
    long long ver = 0;
    int i = 1;
    if (c->argc >= 2) {
        if (!util_str2ll(c->argv[1].p, c->argv[1].len, &ver)) {
            reply_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        i = 2;
        if (ver < 2 || ver > 3) {
            reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    const arg *user = NULL, *pass = NULL, *name = NULL;
    for (; i < c->argc; i++) {
        int more = c->argc - i - 1;
        if (ARGEQ(c->argv[i], "auth") && more >= 2) {
            user = &c->argv[i + 1];
            pass = &c->argv[i + 2];
            i += 2;
        } else if (ARGEQ(c->argv[i], "setname") && more >= 1) {
            name = &c->argv[i + 1];
            i += 1;
        } else {
            reply_errorf(c, "ERR Syntax error in HELLO option '%.*s'", (int)c->argv[i].len, c->argv[i].p);
            return;
        }
    }
    if (user) {
        const char *rp = server.cfg.requirepass ? server.cfg.requirepass : "";
        int ok = *rp ? check_password(user, pass) : (user->len == 7 && !memcmp(user->p, "default", 7));
        if (!ok) {
            reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
            return;
        }
        c->authenticated = 1;
    }
    if (!c->authenticated) {
        reply_error(c, "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    if (name) {
        for (size_t k = 0; k < name->len; k++) {
            if (name->p[k] < '!' || name->p[k] > '~') {
                reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
        }
        size_t n = name->len < sizeof(c->name) - 1 ? name->len : sizeof(c->name) - 1;
        memcpy(c->name, name->p, n);
        c->name[n] = '\0';
    }
    if (ver) c->resp = (int)ver;
    reply_hello_map(c);
}

/* ---- CONFIG --------------------------------------------------------------- */

typedef struct cfg_get_ctx {
    client *c;
    const arg *pats;
    int npats;
    long n;
    const cfg_entry *seen[512];
    int nseen;
} cfg_get_ctx;

static void config_get_visit(void *priv, const cfg_entry *e)
{
    cfg_get_ctx *x = priv;
    for (int i = 0; i < x->npats; i++) {
        const arg *p = &x->pats[i];
        const char *alias = e->alias;
        int m = util_glob_match(p->p, p->len, e->name, strlen(e->name), 1);
        int ma = !m && alias && util_glob_match(p->p, p->len, alias, strlen(alias), 1) &&
                 !memchr(p->p, '*', p->len) && !memchr(p->p, '?', p->len) &&
                 !memchr(p->p, '[', p->len);   /* aliases only when named exactly; p is not NUL-terminated */
        if (!m && !ma) continue;
        if (x->nseen < 512) x->seen[x->nseen++] = e;
        char buf[4096];
        const char *v = cfg_get_text(e, buf, sizeof(buf));
        reply_cstr(x->c, ma ? alias : e->name);
        reply_cstr(x->c, v);
        x->n++;
        return;
    }
}

static void config_get(client *c)
{
    cfg_get_ctx x = {.c = c, .pats = &c->argv[2], .npats = c->argc - 2, .n = 0};
    reply_deferred d = reply_defer(c);
    cfg_foreach(config_get_visit, &x);
    reply_set_deferred_map(c, d, x.n);
}

static void config_set(client *c)
{
    if ((c->argc - 2) % 2 != 0) {       /* fewer than 4: cmd_sub_check */
        reply_err_syntax(c);
        return;
    }
    int n = (c->argc - 2) / 2;
    const char *names[64], *vals[64];
    char *store[128];
    if (n > 64) { reply_error(c, "ERR too many parameters"); return; }
    for (int i = 0; i < n; i++) {
        const arg *k = &c->argv[2 + 2 * i], *v = &c->argv[3 + 2 * i];
        store[2 * i] = tier_dram_malloc(k->len + 1);
        memcpy(store[2 * i], k->p, k->len);
        store[2 * i][k->len] = '\0';
        store[2 * i + 1] = tier_dram_malloc(v->len + 1);
        memcpy(store[2 * i + 1], v->p, v->len);
        store[2 * i + 1][v->len] = '\0';
        names[i] = store[2 * i];
        vals[i] = store[2 * i + 1];
    }
    const char *err = NULL;
    char errbuf[512];
    if (cfg_set_many(n, names, vals, &err, errbuf, sizeof(errbuf)) == 0) reply_ok(c);
    else reply_errorf(c, "ERR %s", err);
    for (int i = 0; i < 2 * n; i++) tier_dram_free(store[i]);
}

void server_reset_error_stats(void);
void (*config_resetstat_hook)(void);

static const cmd_sub config_subs[] = {
    {"get", -3}, {"set", -4}, {"resetstat", 2}, {"rewrite", 2}, {"help", 2},
};

/* CONFIG GET|SET|RESETSTAT|REWRITE|HELP */
void cmd_config(client *c)
{
    const arg *sub = &c->argv[1];
    if (!cmd_sub_check(c, "config", config_subs, sizeof(config_subs) / sizeof(config_subs[0]))) return;
    if (ARGEQ(*sub, "get") && c->argc >= 3) {
        config_get(c);
    } else if (ARGEQ(*sub, "set")) {
        config_set(c);
    } else if (ARGEQ(*sub, "resetstat") && c->argc == 2) {
        cmd_reset_stats();
        server_reset_error_stats();
        server.stat_commands = 0;
        server.stat_keyspace_hits = server.stat_keyspace_misses = 0;
        db_stat_hits = db_stat_misses = db_stat_expired_keys = 0;
        server.stat_errors = 0;
        server.stat_numconnections = 0;
        conn_stat_connections = conn_stat_rejected = 0;
        conn_stat_net_in = conn_stat_net_out = 0;
        if (config_resetstat_hook) config_resetstat_hook();
        reply_ok(c);
    } else if (ARGEQ(*sub, "rewrite") && c->argc == 2) {
        char err[512];
        if (cfg_rewrite(server.config_file, err, sizeof(err)) == 0) {
            log_msg(LOG_NOTICE, "CONFIG REWRITE executed with success.");
            reply_ok(c);
        } else {
            reply_errorf(c, "ERR %s", err);
        }
    } else if (ARGEQ(*sub, "help") && c->argc == 2) {
        static const char *help[] = {
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Print this help.",
        };
        reply_array(c, (long)(sizeof(help) / sizeof(help[0])));
        for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++) reply_status(c, help[i]);
    } else {
        reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try CONFIG HELP.",
                     (int)sub->len, sub->p);
    }
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] */
int (*shutdown_hook)(int save);      /* -1: the save failed (snapshot.c) */
void cmd_shutdown(client *c)
{
    int save = -1, force = 0;
    for (int i = 1; i < c->argc; i++) {
        if (ARGEQ(c->argv[i], "nosave")) save = 0;
        else if (ARGEQ(c->argv[i], "save")) save = 1;
        else if (ARGEQ(c->argv[i], "force")) force = 1;
        else if (ARGEQ(c->argv[i], "now")) continue;
        else if (ARGEQ(c->argv[i], "abort")) { reply_error(c, "ERR No shutdown in progress."); return; }
        else { reply_err_syntax(c); return; }
    }
    if (shutdown_hook && shutdown_hook(save) < 0 && !force) {
        reply_error(c, "ERR Errors trying to SHUTDOWN. Check logs.");
        return;
    }
    log_msg(LOG_WARNING, "User requested shutdown...");
    server.shutdown_asap = 1;
    c->flags |= CF_CLOSE_AFTER_REPLY | CF_REPLY_OFF;
}

/* TIME */
void cmd_time(client *c)
{
    int64_t us = util_ustime();
    char buf[32];
    reply_array(c, 2);
    size_t n = util_ll2str(buf, us / 1000000);
    reply_bulk(c, buf, n);
    n = util_ll2str(buf, us % 1000000);
    reply_bulk(c, buf, n);
}
