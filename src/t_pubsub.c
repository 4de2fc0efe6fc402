/* t_pubsub.c -- SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH,
 * PUBSUB; see pubsub.h.
 *
 * What it promises
 *   - Messages reach a channel's subscribers in the order they subscribed;
 *     pattern subscribers are matched with util_glob_match, one delivery
 *     per matching (pattern, client) pair, as Redis does.
 *   - A subscription is one node linked twice: into the topic's subscriber
 *     list (for PUBLISH) and into the client's own table (for
 *     UNSUBSCRIBE), so subscribing and unsubscribing are O(1).
 *   - A client with subscriptions carries CF_PUBSUB: the dispatcher limits
 *     RESP2 subscribers to the pub/sub commands, and the pubsub class of
 *     client-output-buffer-limit applies to it.
 * Main thread only.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "dict.h"
#include "pubsub.h"
#include "server.h"
#include "tier.h"
#include "util.h"


struct topic;

/* One client subscribed to one channel or pattern. */
typedef struct sub {
    dict_node cnode;             /* in the client's table, keyed by topic name */
    struct topic *t;
    client *c;
    struct sub *prev, *next;     /* the topic's subscribers */
} sub;

/* A channel or a pattern with at least one subscriber. */
typedef struct topic {
    dict_node node;
    sub *head, *tail;
    uint64_t nsubs;
    size_t len;
    char name[];
} topic;

typedef struct ps_client {
    dict chans, pats;
} ps_client;

static const char *topic_key(const dict_node *n, size_t *len)
{
    const topic *t = (const topic *)n;
    *len = t->len;
    return t->name;
}

static const char *sub_key(const dict_node *n, size_t *len)
{
    const sub *s = (const sub *)n;
    *len = s->t->len;
    return s->t->name;
}

static const dict_type topic_type = {topic_key};
static const dict_type sub_type = {sub_key};

static dict channels, patterns;

static ps_client *state(client *c, int create)
{
    if (!c->pubsub && create) {
        ps_client *p = tier_dram_calloc(sizeof(ps_client));
        dict_init(&p->chans, &sub_type);
        dict_init(&p->pats, &sub_type);
        c->pubsub = p;
    }
    return c->pubsub;
}

static long count_subs(client *c)
{
    ps_client *p = c->pubsub;
    return p ? (long)(dict_size(&p->chans) + dict_size(&p->pats)) : 0;
}

int pubsub_client_channels(const client *c)
{
    const ps_client *p = c->pubsub;
    return p ? (int)dict_size(&p->chans) : 0;
}

int pubsub_client_patterns(const client *c)
{
    const ps_client *p = c->pubsub;
    return p ? (int)dict_size(&p->pats) : 0;
}

uint64_t pubsub_channels_count(void) { return dict_size(&channels); }
uint64_t pubsub_patterns_count(void) { return dict_size(&patterns); }

static void reply_event(client *c, const char *kind, const char *name, size_t len, int has_name)
{
    reply_push(c, 3);
    reply_bulk(c, kind, strlen(kind));
    if (has_name) reply_bulk(c, name, len);
    else reply_null(c);
    reply_ll(c, count_subs(c));
}

/* 1 if newly subscribed. */
static int subscribe(client *c, dict *global, int pattern, const arg *a)
{
    ps_client *p = state(c, 1);
    dict *mine = pattern ? &p->pats : &p->chans;
    if (dict_find(mine, a->p, a->len)) return 0;
    topic *t = (topic *)dict_find(global, a->p, a->len);
    if (!t) {
        t = tier_dram_calloc(sizeof(topic) + a->len);
        t->len = a->len;
        memcpy(t->name, a->p, a->len);
        dict_add(global, &t->node);
    }
    sub *s = tier_dram_calloc(sizeof(sub));
    s->t = t;
    s->c = c;
    s->prev = t->tail;
    if (t->tail) t->tail->next = s;
    else t->head = s;
    t->tail = s;
    t->nsubs++;
    dict_add(mine, &s->cnode);
    c->flags |= CF_PUBSUB;
    return 1;
}

static void drop_sub(dict *global, dict *mine, sub *s)
{
    topic *t = s->t;
    dict_unlink(mine, t->name, t->len);
    if (s->prev) s->prev->next = s->next;
    else t->head = s->next;
    if (s->next) s->next->prev = s->prev;
    else t->tail = s->prev;
    t->nsubs--;
    if (!t->head) {
        dict_unlink(global, t->name, t->len);
        tier_dram_free(t);
    }
    tier_dram_free(s);
}

static void update_flag(client *c)
{
    if (count_subs(c) == 0) c->flags &= ~CF_PUBSUB;
}

/* Unsubscribe from one; replies when notify.  1 if it was subscribed. */
static int unsubscribe(client *c, int pattern, const char *name, size_t len, int notify)
{
    ps_client *p = state(c, 0);
    int was = 0;
    if (p) {
        dict *mine = pattern ? &p->pats : &p->chans;
        sub *s = (sub *)dict_find(mine, name, len);
        if (s) {
            drop_sub(pattern ? &patterns : &channels, mine, s);
            was = 1;
        }
    }
    update_flag(c);
    if (notify) reply_event(c, pattern ? "punsubscribe" : "unsubscribe", name, len, 1);
    return was;
}

/* Unsubscribe from everything of one kind; returns how many. */
static int unsubscribe_all(client *c, int pattern, int notify)
{
    ps_client *p = state(c, 0);
    int n = 0;
    if (p) {
        dict *mine = pattern ? &p->pats : &p->chans;
        dict *global = pattern ? &patterns : &channels;
        /* names are freed with the topic: reply from a copy */
        char stack[256];
        dict_iter it;
        dict_iter_init(&it, mine);
        dict_node *node;
        while ((node = dict_iter_next(&it))) {
            sub *s = (sub *)node;
            size_t len = s->t->len;
            char *name = len <= sizeof(stack) ? stack : tier_dram_malloc(len);
            memcpy(name, s->t->name, len);
            drop_sub(global, mine, s);
            n++;
            update_flag(c);
            if (notify) reply_event(c, pattern ? "punsubscribe" : "unsubscribe", name, len, 1);
            if (name != stack) tier_dram_free(name);
        }
        dict_iter_release(&it);
    }
    update_flag(c);
    if (notify && n == 0) reply_event(c, pattern ? "punsubscribe" : "unsubscribe", NULL, 0, 0);
    return n;
}

void pubsub_reset_client(client *c)
{
    ps_client *p = c->pubsub;
    if (!p) return;
    unsubscribe_all(c, 0, 0);
    unsubscribe_all(c, 1, 0);
    dict_clear(&p->chans, NULL, NULL);
    dict_clear(&p->pats, NULL, NULL);
    tier_dram_free(p);
    c->pubsub = NULL;
    c->flags &= ~CF_PUBSUB;
}

void pubsub_init(void)
{
    dict_init(&channels, &topic_type);
    dict_init(&patterns, &topic_type);
    conn_add_free_hook(pubsub_reset_client);
}

long long pubsub_publish(const char *ch, size_t chlen, const char *msg, size_t msglen)
{
    long long n = 0;
    topic *t = (topic *)dict_find(&channels, ch, chlen);
    if (t) {
        for (sub *s = t->head; s; s = s->next) {
            client *c = s->c;
            reply_push(c, 3);
            reply_bulk(c, "message", 7);
            reply_bulk(c, ch, chlen);
            reply_bulk(c, msg, msglen);
            n++;
        }
    }
    if (dict_size(&patterns)) {
        dict_iter it;
        dict_iter_init(&it, &patterns);
        dict_node *node;
        while ((node = dict_iter_next(&it))) {
            topic *p = (topic *)node;
            if (!util_glob_match(p->name, p->len, ch, chlen, 0)) continue;
            for (sub *s = p->head; s; s = s->next) {
                client *c = s->c;
                reply_push(c, 4);
                reply_bulk(c, "pmessage", 8);
                reply_bulk(c, p->name, p->len);
                reply_bulk(c, ch, chlen);
                reply_bulk(c, msg, msglen);
                n++;
            }
        }
        dict_iter_release(&it);
    }
    return n;
}

/* ---- commands ------------------------------------------------------------ */

/* SUBSCRIBE channel [channel ...] */
void cmd_subscribe(client *c)
{
    for (int i = 1; i < c->argc; i++) {
        subscribe(c, &channels, 0, &c->argv[i]);
        reply_event(c, "subscribe", c->argv[i].p, c->argv[i].len, 1);
    }
}

/* PSUBSCRIBE pattern [pattern ...] */
void cmd_psubscribe(client *c)
{
    for (int i = 1; i < c->argc; i++) {
        subscribe(c, &patterns, 1, &c->argv[i]);
        reply_event(c, "psubscribe", c->argv[i].p, c->argv[i].len, 1);
    }
}

/* UNSUBSCRIBE [channel ...] */
void cmd_unsubscribe(client *c)
{
    if (c->argc == 1) { unsubscribe_all(c, 0, 1); return; }
    for (int i = 1; i < c->argc; i++) unsubscribe(c, 0, c->argv[i].p, c->argv[i].len, 1);
}

/* PUNSUBSCRIBE [pattern ...] */
void cmd_punsubscribe(client *c)
{
    if (c->argc == 1) { unsubscribe_all(c, 1, 1); return; }
    for (int i = 1; i < c->argc; i++) unsubscribe(c, 1, c->argv[i].p, c->argv[i].len, 1);
}

/* PUBLISH channel message */
void cmd_publish(client *c)
{
    reply_ll(c, pubsub_publish(c->argv[1].p, c->argv[1].len, c->argv[2].p, c->argv[2].len));
}

static void reply_channels(client *c, const arg *pat)
{
    uint64_t cap = dict_size(&channels), n = 0;
    topic **out = tier_dram_malloc(sizeof(topic *) * (cap ? cap : 1));
    dict_iter it;
    dict_iter_init(&it, &channels);
    dict_node *node;
    while ((node = dict_iter_next(&it))) {
        topic *t = (topic *)node;
        if (pat && !util_glob_match(pat->p, pat->len, t->name, t->len, 0)) continue;
        out[n++] = t;
    }
    dict_iter_release(&it);
    reply_array(c, (long)n);
    for (uint64_t i = 0; i < n; i++) reply_bulk(c, out[i]->name, out[i]->len);
    tier_dram_free(out);
}

static void subcmd_arity(client *c)
{
    char name[16];
    size_t n = c->argv[1].len < sizeof(name) - 1 ? c->argv[1].len : sizeof(name) - 1;
    for (size_t i = 0; i < n; i++) name[i] = (char)tolower((unsigned char)c->argv[1].p[i]);
    name[n] = '\0';
    reply_errorf(c, "ERR wrong number of arguments for 'pubsub|%s' command", name);
}

/* PUBSUB CHANNELS|NUMPAT|NUMSUB|SHARDCHANNELS|SHARDNUMSUB|HELP */
void cmd_pubsub(client *c)
{
    const arg *sub = &c->argv[1];
    if (ARGEQ(*sub, "channels") || ARGEQ(*sub, "shardchannels")) {
        if (c->argc > 3) {
            reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try PUBSUB HELP.",
                         (int)sub->len, sub->p);
            return;
        }
        /* there are no shard channels outside a cluster */
        if (ARGEQ(*sub, "shardchannels")) { reply_empty_array(c); return; }
        reply_channels(c, c->argc == 3 ? &c->argv[2] : NULL);
    } else if (ARGEQ(*sub, "numsub") || ARGEQ(*sub, "shardnumsub")) {
        int shard = ARGEQ(*sub, "shardnumsub");
        reply_array(c, (long)(c->argc - 2) * 2);
        for (int i = 2; i < c->argc; i++) {
            long long n = 0;
            if (!shard) {
                topic *t = (topic *)dict_find(&channels, c->argv[i].p, c->argv[i].len);
                if (t) n = (long long)t->nsubs;
            }
            reply_bulk(c, c->argv[i].p, c->argv[i].len);
            reply_ll(c, n);
        }
    } else if (ARGEQ(*sub, "numpat")) {
        if (c->argc != 2) { subcmd_arity(c); return; }
        reply_ll(c, (long long)dict_size(&patterns));
    } else if (ARGEQ(*sub, "help")) {
        if (c->argc != 2) { subcmd_arity(c); return; }
        static const char *help[] = {
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
            "HELP",
            "    Prints this help.",
        };
        reply_array(c, (long)(sizeof(help) / sizeof(help[0])));
        for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++) reply_status(c, help[i]);
    } else {
        reply_errorf(c, "ERR unknown subcommand '%.*s'. Try PUBSUB HELP.", (int)(sub->len > 128 ? 128 : sub->len), sub->p);
    }
}
