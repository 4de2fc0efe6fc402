/* t_command.c -- COMMAND and its subcommands, answered from the command
 * table (cmd_table.def).
 *
 * What it promises
 *   - COMMAND / COMMAND INFO reply Redis 7.0's 10-element entries: name,
 *     arity, flags, first/last key, step, ACL categories, tips, key specs
 *     (derived from the table's key positions) and subcommands.
 *   - COMMAND DOCS turns each command's syntax string (Redis docs notation,
 *     "key value [NX|XX] [EX seconds|PX milliseconds]") into the structured
 *     argument tree Redis returns, which redis-cli 7 uses for its hints.  The
 *     tree only ever uses types redis-cli knows, because redis-cli asserts on
 *     anything else.
 *   - COMMAND GETKEYS uses the same key extraction as the dispatcher.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "server.h"
#include "tier.h"
#include "util.h"


/* ---- flags and categories -------------------------------------------------- */

static const struct { uint64_t flag; const char *name; } flag_names[] = {
    {CMD_WRITE, "write"},       {CMD_READONLY, "readonly"},         {CMD_DENYOOM, "denyoom"},
    {CMD_ADMIN, "admin"},       {CMD_PUBSUB, "pubsub"},             {CMD_NOSCRIPT, "noscript"},
    {CMD_BLOCKING, "blocking"}, {CMD_LOADING, "loading"},           {CMD_STALE, "stale"},
    {CMD_SKIP_MONITOR, "skip_monitor"}, {CMD_SKIP_SLOWLOG, "skip_slowlog"}, {CMD_FAST, "fast"},
    {CMD_NO_AUTH, "no_auth"},   {CMD_MAY_REPLICATE, "may_replicate"}, {CMD_NO_MULTI, "no_multi"},
    {CMD_ALLOW_BUSY, "allow_busy"},
};
#define NFLAGS (sizeof(flag_names) / sizeof(flag_names[0]))

static void reply_flags(client *c, const cmd *cm)
{
    int n = 0;
    for (size_t i = 0; i < NFLAGS; i++)
        if (cm->flags & flag_names[i].flag) n++;
    int movable = cm->getkeys != NULL;
    reply_set(c, n + movable);
    for (size_t i = 0; i < NFLAGS; i++) {
        if (!(cm->flags & flag_names[i].flag)) continue;
        if (flag_names[i].flag == CMD_ALLOW_BUSY && movable) continue;
        reply_status(c, flag_names[i].name);
    }
    if (movable) reply_status(c, "movablekeys");
    if (movable && (cm->flags & CMD_ALLOW_BUSY)) reply_status(c, "allow_busy");
}

/* Categories: the table's list, or (if empty) what Redis derives from flags. */
static int acl_words(const cmd *cm, char words[][32], int max)
{
    int n = 0;
    const char *p = cm->acl ? cm->acl : "";
    while (*p && n < max) {
        while (*p == ' ') p++;
        size_t l = strcspn(p, " ");
        if (!l) break;
        snprintf(words[n++], 32, "%.*s", (int)l, p);
        p += l;
    }
    if (n == 0) {
        if ((cm->flags & CMD_WRITE) && n < max) snprintf(words[n++], 32, "write");
        if ((cm->flags & CMD_READONLY) && n < max) snprintf(words[n++], 32, "read");
        if ((cm->flags & CMD_ADMIN) && n + 1 < max) {
            snprintf(words[n++], 32, "admin");
            snprintf(words[n++], 32, "dangerous");
        }
        if ((cm->flags & CMD_PUBSUB) && n < max) snprintf(words[n++], 32, "pubsub");
        if (n < max) snprintf(words[n++], 32, (cm->flags & CMD_FAST) ? "fast" : "slow");
        if ((cm->flags & CMD_BLOCKING) && n < max) snprintf(words[n++], 32, "blocking");
    }
    return n;
}

static void reply_acl(client *c, const cmd *cm)
{
    char words[16][32];
    int n = acl_words(cm, words, 16);
    reply_set(c, n);
    for (int i = 0; i < n; i++) {
        char b[40];
        snprintf(b, sizeof(b), "@%.31s", words[i]);
        reply_status(c, b);
    }
}

static int has_acl(const cmd *cm, const char *cat, size_t len)
{
    char words[16][32];
    int n = acl_words(cm, words, 16);
    for (int i = 0; i < n; i++)
        if (strlen(words[i]) == len && !strncasecmp(words[i], cat, len)) return 1;
    return 0;
}

static void reply_key_specs(client *c, const cmd *cm)
{
    if (cm->first_key <= 0 && !cm->getkeys) { reply_empty_array(c); return; }
    reply_array(c, 1);
    reply_map(c, 3);
    reply_cstr(c, "flags");
    if (cm->flags & CMD_WRITE) {
        reply_set(c, 2);
        reply_status(c, "RW");
        reply_status(c, "update");      /* 7.0 spells these in lower case */
    } else {
        reply_set(c, 2);
        reply_status(c, "RO");
        reply_status(c, "access");
    }
    if (cm->getkeys) {
        reply_cstr(c, "begin_search");
        reply_map(c, 2);
        reply_cstr(c, "type");
        reply_cstr(c, "unknown");
        reply_cstr(c, "spec");
        reply_map(c, 0);
        reply_cstr(c, "find_keys");
        reply_map(c, 2);
        reply_cstr(c, "type");
        reply_cstr(c, "unknown");
        reply_cstr(c, "spec");
        reply_map(c, 0);
        return;
    }
    reply_cstr(c, "begin_search");
    reply_map(c, 2);
    reply_cstr(c, "type");
    reply_cstr(c, "index");
    reply_cstr(c, "spec");
    reply_map(c, 1);
    reply_cstr(c, "index");
    reply_ll(c, cm->first_key);
    reply_cstr(c, "find_keys");
    reply_map(c, 2);
    reply_cstr(c, "type");
    reply_cstr(c, "range");
    reply_cstr(c, "spec");
    reply_map(c, 3);
    reply_cstr(c, "lastkey");
    reply_ll(c, cm->last_key >= 0 ? cm->last_key - cm->first_key : cm->last_key);
    reply_cstr(c, "keystep");
    reply_ll(c, cm->key_step > 0 ? cm->key_step : 1);
    reply_cstr(c, "limit");
    reply_ll(c, 0);
}

static int count_subcmds(const cmd *cm)
{
    int n = 0;
    const char *p = cm->subcmds ? cm->subcmds : "";
    while (*p) {
        while (*p == ' ') p++;
        size_t l = strcspn(p, " ");
        if (l) n++;
        p += l;
    }
    return n;
}

/* i-th subcommand name into buf ("get"); returns length. */
static size_t subcmd_at(const cmd *cm, int i, char *buf, size_t cap)
{
    const char *p = cm->subcmds ? cm->subcmds : "";
    while (*p) {
        while (*p == ' ') p++;
        size_t l = strcspn(p, " ");
        if (l && i-- == 0) {
            if (l >= cap) l = cap - 1;
            memcpy(buf, p, l);
            buf[l] = '\0';
            return l;
        }
        p += l;
    }
    buf[0] = '\0';
    return 0;
}

static void reply_info_entry(client *c, const cmd *cm, const char *subname)
{
    char full[96];
    reply_array(c, 10);
    if (subname) {
        snprintf(full, sizeof(full), "%s|%s", cm->name, subname);
        reply_cstr(c, full);
        reply_ll(c, cm->arity < 0 ? cm->arity : -cm->arity);
    } else {
        reply_cstr(c, cm->name);
        reply_ll(c, cm->arity);
    }
    reply_flags(c, cm);
    reply_ll(c, cm->getkeys ? 0 : cm->first_key);
    reply_ll(c, cm->getkeys ? 0 : cm->last_key);
    reply_ll(c, cm->getkeys ? 0 : cm->key_step);
    reply_acl(c, cm);
    reply_set(c, 0);   /* tips */
    reply_key_specs(c, cm);
    if (subname) {
        reply_empty_array(c);
        return;
    }
    int ns = count_subcmds(cm);
    reply_array(c, ns);
    for (int i = 0; i < ns; i++) {
        char sub[48];
        subcmd_at(cm, i, sub, sizeof(sub));
        reply_info_entry(c, cm, sub);
    }
}

/* ---- argument trees from the syntax notation ----------------------------- */

enum { T_WORD, T_OPEN, T_CLOSE, T_POPEN, T_PCLOSE, T_BAR, T_DOTS, T_END };

typedef struct lexer {
    const char *p;
    int t;
    char word[64];
} lexer;

static void lex_next(lexer *lx)
{
    while (*lx->p == ' ') lx->p++;
    char ch = *lx->p;
    if (!ch) { lx->t = T_END; return; }
    if (!strncmp(lx->p, "...", 3)) { lx->t = T_DOTS; lx->p += 3; return; }
    lx->p++;
    switch (ch) {
    case '[': lx->t = T_OPEN; return;
    case ']': lx->t = T_CLOSE; return;
    case '(': lx->t = T_POPEN; return;
    case ')': lx->t = T_PCLOSE; return;
    case '|': lx->t = T_BAR; return;
    }
    size_t n = 0;
    lx->word[n++] = ch;
    while (*lx->p && !strchr(" []()|", *lx->p) && strncmp(lx->p, "...", 3) != 0) {
        if (n < sizeof(lx->word) - 1) lx->word[n++] = *lx->p;
        lx->p++;
    }
    lx->word[n] = '\0';
    lx->t = T_WORD;
}

typedef struct anode {
    char name[64];
    char token[64];
    const char *type;        /* key string integer pattern unix-time pure-token oneof block */
    int optional, multiple;
    struct anode **kids;
    int nkids;
} anode;

static anode *node_new(void) { return tier_dram_calloc(sizeof(anode)); }

static void node_free(anode *n)
{
    if (!n) return;
    for (int i = 0; i < n->nkids; i++) node_free(n->kids[i]);
    tier_dram_free(n->kids);
    tier_dram_free(n);
}

static void node_add(anode *parent, anode *kid)
{
    parent->kids = tier_dram_realloc(parent->kids, sizeof(anode *) * (size_t)(parent->nkids + 1));
    parent->kids[parent->nkids++] = kid;
}

static int is_token_word(const char *w)
{
    int letters = 0;
    for (const char *p = w; *p; p++) {
        if (islower((unsigned char)*p)) return 0;
        if (isupper((unsigned char)*p)) letters++;
    }
    return letters > 0;
}

static const char *guess_type(const char *w)
{
    static const char *const ints[] = {"count", "seconds", "milliseconds", "timeout", "start", "end", "stop",
                                       "offset", "index", "db", "numkeys", "increment", "decrement", "port",
                                       "cursor", "integer", "protover", "numreplicas", "ttl", "len", NULL};
    size_t l = strlen(w);
    if (!strcmp(w, "key") || (l > 3 && !strcmp(w + l - 3, "key")) || !strcmp(w, "source") ||
        !strcmp(w, "destination") || !strcmp(w, "newkey"))
        return "key";
    if (!strcmp(w, "pattern")) return "pattern";
    if (!strncmp(w, "unix-time", 9)) return "unix-time";
    for (int i = 0; ints[i]; i++)
        if (!strcmp(w, ints[i])) return "integer";
    return "string";
}

static anode *leaf(const char *w)
{
    anode *n = node_new();
    if (is_token_word(w)) {
        snprintf(n->token, sizeof(n->token), "%s", w);
        for (size_t i = 0; w[i] && i < sizeof(n->name) - 1; i++) n->name[i] = (char)tolower((unsigned char)w[i]);
        n->type = "pure-token";
    } else {
        snprintf(n->name, sizeof(n->name), "%s", w);
        n->type = guess_type(w);
    }
    return n;
}

typedef struct seq {
    anode **items;
    int n;
} seq;

static void seq_push(seq *s, anode *a)
{
    s->items = tier_dram_realloc(s->items, sizeof(anode *) * (size_t)(s->n + 1));
    s->items[s->n++] = a;
}

static anode *parse_alts(lexer *lx, int *dots);

/* One sequence turned into a node: TOKEN value pairs merge, several items make a block. */
static anode *seq_to_node(seq *s)
{
    seq m = {0};
    for (int i = 0; i < s->n; i++) {
        anode *a = s->items[i];
        if (a && !strcmp(a->type, "pure-token") && !a->optional && !a->multiple && i + 1 < s->n) {
            anode *b = s->items[i + 1];
            if (b && strcmp(b->type, "pure-token") != 0 && !b->token[0] && !b->optional) {
                snprintf(b->token, sizeof(b->token), "%s", a->token);
                node_free(a);
                continue;
            }
        }
        seq_push(&m, a);
    }
    tier_dram_free(s->items);
    if (m.n == 1) {
        anode *r = m.items[0];
        tier_dram_free(m.items);
        return r;
    }
    anode *blk = node_new();
    blk->type = "block";
    snprintf(blk->name, sizeof(blk->name), "%s", m.n ? m.items[0]->name : "arg");
    for (int i = 0; i < m.n; i++) node_add(blk, m.items[i]);
    tier_dram_free(m.items);
    return blk;
}

static int parse_seq(lexer *lx, seq *s, int *dots)
{
    while (lx->t != T_END && lx->t != T_CLOSE && lx->t != T_PCLOSE && lx->t != T_BAR) {
        if (lx->t == T_WORD) {
            seq_push(s, leaf(lx->word));
            lex_next(lx);
        } else if (lx->t == T_DOTS) {
            lex_next(lx);
            /* "[key value ...]" repeats the whole group; "key ..." its last item */
            if (!s->n || lx->t == T_CLOSE || lx->t == T_PCLOSE) *dots = 1;
            else s->items[s->n - 1]->multiple = 1;
        } else if (lx->t == T_OPEN || lx->t == T_POPEN) {
            int optional = lx->t == T_OPEN;
            int close = optional ? T_CLOSE : T_PCLOSE;
            lex_next(lx);
            int gdots = 0;
            anode *g = parse_alts(lx, &gdots);
            if (lx->t != close) { node_free(g); return -1; }
            lex_next(lx);
            if (!g) continue;
            if (gdots) {
                /* "x [x ...]": the group repeats what precedes it */
                int k = !strcmp(g->type, "block") ? g->nkids : 1;
                if (s->n >= k && optional) {
                    if (k == 1) {
                        s->items[s->n - 1]->multiple = 1;
                    } else {
                        anode *blk = node_new();
                        blk->type = "block";
                        snprintf(blk->name, sizeof(blk->name), "%s", s->items[s->n - k]->name);
                        for (int i = s->n - k; i < s->n; i++) node_add(blk, s->items[i]);
                        s->n -= k;
                        blk->multiple = 1;
                        seq_push(s, blk);
                    }
                    node_free(g);
                    continue;
                }
                g->multiple = 1;
            }
            if (optional) g->optional = 1;
            seq_push(s, g);
        } else {
            return -1;
        }
    }
    return 0;
}

/* Returns NULL for an empty group. */
static anode *parse_alts(lexer *lx, int *dots)
{
    anode *alt[32];
    int na = 0;
    for (;;) {
        seq s = {0};
        int sdots = 0;
        if (parse_seq(lx, &s, &sdots) < 0) {
            for (int i = 0; i < s.n; i++) node_free(s.items[i]);
            tier_dram_free(s.items);
            for (int i = 0; i < na; i++) node_free(alt[i]);
            return NULL;
        }
        if (sdots) *dots = 1;
        if (s.n && na < 32) alt[na++] = seq_to_node(&s);
        else {
            for (int i = 0; i < s.n; i++) node_free(s.items[i]);
            tier_dram_free(s.items);
        }
        if (lx->t != T_BAR) break;
        lex_next(lx);
    }
    if (na == 0) return NULL;
    if (na == 1) return alt[0];
    anode *o = node_new();
    o->type = "oneof";
    snprintf(o->name, sizeof(o->name), "%s", alt[0]->name);
    for (int i = 0; i < na; i++) node_add(o, alt[i]);
    return o;
}

/* Top-level arguments of a syntax string; NULL kids when empty or unparsable. */
static anode *parse_args(const char *syntax)
{
    lexer lx = {.p = syntax ? syntax : ""};
    lex_next(&lx);
    anode *root = node_new();
    root->type = "block";
    seq s = {0};
    int dots = 0;
    if (parse_seq(&lx, &s, &dots) < 0 || lx.t != T_END) {
        for (int i = 0; i < s.n; i++) node_free(s.items[i]);
        tier_dram_free(s.items);
        return root;
    }
    /* top level: keep items separate (no token merging across the command line
     * would be wrong: "key value" are two arguments), but merge TOKEN value. */
    anode *merged = seq_to_node(&s);
    if (merged && !strcmp(merged->type, "block") && !merged->optional && !merged->multiple) {
        node_free(root);
        return merged;
    }
    if (merged) node_add(root, merged);
    return root;
}

static void reply_arg(client *c, const anode *a)
{
    int fields = 2 + (a->token[0] ? 1 : 0) + ((a->optional || a->multiple) ? 1 : 0) + (a->nkids ? 1 : 0);
    reply_map(c, fields);
    reply_cstr(c, "name");
    reply_cstr(c, a->name);
    reply_cstr(c, "type");
    reply_cstr(c, a->type);
    if (a->token[0]) {
        reply_cstr(c, "token");
        reply_cstr(c, a->token);
    }
    if (a->optional || a->multiple) {
        reply_cstr(c, "flags");
        reply_set(c, a->optional + a->multiple);
        if (a->optional) reply_status(c, "optional");
        if (a->multiple) reply_status(c, "multiple");
    }
    if (a->nkids) {
        reply_cstr(c, "arguments");
        reply_array(c, a->nkids);
        for (int i = 0; i < a->nkids; i++) reply_arg(c, a->kids[i]);
    }
}

static void reply_docs_entry(client *c, const cmd *cm, int with_subs)
{
    anode *root = parse_args(cm->args);
    int ns = with_subs ? count_subcmds(cm) : 0;
    int fields = 4 + (root->nkids ? 1 : 0) + (ns ? 1 : 0);
    reply_map(c, fields);
    reply_cstr(c, "summary");
    reply_cstr(c, cm->summary ? cm->summary : "");
    reply_cstr(c, "since");
    reply_cstr(c, cm->since ? cm->since : "1.0.0");
    reply_cstr(c, "group");
    reply_cstr(c, cm->group ? cm->group : "generic");
    reply_cstr(c, "complexity");
    reply_cstr(c, cm->complexity ? cm->complexity : "");
    if (root->nkids) {
        reply_cstr(c, "arguments");
        reply_array(c, root->nkids);
        for (int i = 0; i < root->nkids; i++) reply_arg(c, root->kids[i]);
    }
    node_free(root);
    if (ns) {
        reply_cstr(c, "subcommands");
        reply_map(c, ns);
        for (int i = 0; i < ns; i++) {
            char sub[48], full[96];
            subcmd_at(cm, i, sub, sizeof(sub));
            snprintf(full, sizeof(full), "%s|%s", cm->name, sub);
            reply_cstr(c, full);
            reply_map(c, 4);
            reply_cstr(c, "summary");
            reply_cstr(c, cm->summary ? cm->summary : "");
            reply_cstr(c, "since");
            reply_cstr(c, cm->since ? cm->since : "1.0.0");
            reply_cstr(c, "group");
            reply_cstr(c, cm->group ? cm->group : "generic");
            reply_cstr(c, "complexity");
            reply_cstr(c, cm->complexity ? cm->complexity : "");
        }
    }
}

/* ---- subcommands of COMMAND --------------------------------------------- */

static cmd *lookup_arg(const arg *a) { return cmd_lookup(a->p, a->len); }

static void command_getkeys(client *c, int with_flags)
{
    cmd *cm = lookup_arg(&c->argv[2]);
    int argc = c->argc - 2;
    if (!cm) { reply_error(c, "ERR Invalid command specified"); return; }
    if ((cm->arity > 0 && argc != cm->arity) || argc < -cm->arity) {
        reply_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    int keys[256];
    int n = cmd_get_keys(cm, argc, &c->argv[2], keys, 256);
    if (n == 0) { reply_error(c, "ERR The command has no key arguments"); return; }
    reply_array(c, n);
    for (int i = 0; i < n; i++) {
        const arg *k = &c->argv[2 + keys[i]];
        if (with_flags) {
            reply_array(c, 2);
            reply_bulk(c, k->p, k->len);
            reply_set(c, 2);
            reply_status(c, (cm->flags & CMD_WRITE) ? "RW" : "RO");
            reply_status(c, (cm->flags & CMD_WRITE) ? "update" : "access");
        } else {
            reply_bulk(c, k->p, k->len);
        }
    }
}

static void command_list(client *c)
{
    int mode = 0;   /* 0 all, 1 module, 2 aclcat, 3 pattern */
    const arg *val = NULL;
    if (c->argc == 5 && ARGEQ(c->argv[2], "filterby")) {
        val = &c->argv[4];
        if (ARGEQ(c->argv[3], "module")) mode = 1;
        else if (ARGEQ(c->argv[3], "aclcat")) mode = 2;
        else if (ARGEQ(c->argv[3], "pattern")) mode = 3;
        else { reply_err_syntax(c); return; }
    } else if (c->argc != 2) {
        reply_err_syntax(c);
        return;
    }
    if (mode == 1) { reply_empty_array(c); return; }
    reply_deferred d = reply_defer(c);
    long n = 0;
    for (size_t i = 0; i < cmd_count(); i++) {
        const cmd *cm = cmd_at(i);
        if (mode == 2 && !has_acl(cm, val->p, val->len)) continue;
        if (mode != 3 || util_glob_match(val->p, val->len, cm->name, strlen(cm->name), 1)) {
            reply_cstr(c, cm->name);
            n++;
        }
        int ns = count_subcmds(cm);
        for (int k = 0; k < ns; k++) {
            char sub[48], full[96];
            subcmd_at(cm, k, sub, sizeof(sub));
            snprintf(full, sizeof(full), "%s|%s", cm->name, sub);
            if (mode == 3 && !util_glob_match(val->p, val->len, full, strlen(full), 1)) continue;
            reply_cstr(c, full);
            n++;
        }
    }
    reply_set_deferred_array(c, d, n);
}

/* "config|get" or "config" → command, with the subcommand name in sub. */
static cmd *lookup_full(const arg *a, char *sub, size_t cap)
{
    sub[0] = '\0';
    const char *bar = memchr(a->p, '|', a->len);
    if (!bar) return lookup_arg(a);
    cmd *cm = cmd_lookup(a->p, (size_t)(bar - a->p));
    if (!cm) return NULL;
    size_t sl = a->len - (size_t)(bar - a->p) - 1;
    int ns = count_subcmds(cm);
    for (int i = 0; i < ns; i++) {
        char s[48];
        size_t l = subcmd_at(cm, i, s, sizeof(s));
        if (l == sl && !strncasecmp(s, bar + 1, sl)) {
            snprintf(sub, cap, "%s", s);
            return cm;
        }
    }
    return NULL;
}

static const char *command_help[] = {
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
};

/* COMMAND [COUNT|INFO|DOCS|LIST|GETKEYS|GETKEYSANDFLAGS|HELP ...] */
void cmd_command(client *c)
{
    if (c->argc == 1) {
        reply_array(c, (long)cmd_count());
        for (size_t i = 0; i < cmd_count(); i++) reply_info_entry(c, cmd_at(i), NULL);
        return;
    }
    const arg *sub = &c->argv[1];
    if (ARGEQ(*sub, "count") && c->argc == 2) {
        reply_ll(c, (long long)cmd_count());
    } else if (ARGEQ(*sub, "info")) {
        if (c->argc == 2) {
            reply_array(c, (long)cmd_count());
            for (size_t i = 0; i < cmd_count(); i++) reply_info_entry(c, cmd_at(i), NULL);
            return;
        }
        reply_array(c, c->argc - 2);
        for (int i = 2; i < c->argc; i++) {
            char s[48];
            cmd *cm = lookup_full(&c->argv[i], s, sizeof(s));
            if (!cm) reply_null_array(c);
            else reply_info_entry(c, cm, s[0] ? s : NULL);
        }
    } else if (ARGEQ(*sub, "docs")) {
        if (c->argc == 2) {
            reply_map(c, (long)cmd_count());
            for (size_t i = 0; i < cmd_count(); i++) {
                reply_cstr(c, cmd_at(i)->name);
                reply_docs_entry(c, cmd_at(i), 1);
            }
            return;
        }
        reply_deferred d = reply_defer(c);
        long n = 0;
        for (int i = 2; i < c->argc; i++) {
            char s[48];
            cmd *cm = lookup_full(&c->argv[i], s, sizeof(s));
            if (!cm) continue;
            reply_bulk(c, c->argv[i].p, c->argv[i].len);
            reply_docs_entry(c, cm, !s[0]);
            n++;
        }
        reply_set_deferred_map(c, d, n);
    } else if (ARGEQ(*sub, "list")) {
        command_list(c);
    } else if (ARGEQ(*sub, "getkeys") && c->argc >= 3) {
        command_getkeys(c, 0);
    } else if (ARGEQ(*sub, "getkeysandflags") && c->argc >= 3) {
        command_getkeys(c, 1);
    } else if (ARGEQ(*sub, "help") && c->argc == 2) {
        size_t n = sizeof(command_help) / sizeof(command_help[0]);
        reply_array(c, (long)n);
        for (size_t i = 0; i < n; i++) reply_status(c, command_help[i]);
    } else {
        reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try COMMAND HELP.",
                     (int)(sub->len > 128 ? 128 : sub->len), sub->p);
    }
}
