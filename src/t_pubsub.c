/* t_pubsub.c -- SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH,
 * SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, PUBSUB; see pubsub.h.
 *
 * What it promises
 *   - Messages reach a channel's subscribers in the order they subscribed;
 *     pattern subscribers are matched with util_glob_match, one delivery
 *     per matching (pattern, client) pair, as Redis does.
 *   - Shard channels (SSUBSCRIBE, SPUBLISH) are a namespace of their own,
 *     as in a one-shard Redis 7.0: SPUBLISH reaches only SSUBSCRIBErs of
 *     the name (no patterns), PUBLISH never reaches them, and the count in
 *     an (s)subscribe event is the client's shard channels for the shard
 *     commands and its channels plus patterns for the others.
 *   - A subscription is one node linked twice: into the topic's subscriber
 *     list (for PUBLISH) and into the client's own table (for
 *     UNSUBSCRIBE), so subscribing and unsubscribing are O(1).
 *   - A client with subscriptions carries CF_PUBSUB: the dispatcher limits
 *     RESP2 subscribers to the pub/sub commands, and the pubsub class of
 *     client-output-buffer-limit applies to it.
 * Main thread only.
 */
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

/* Channels, patterns, shard channels: one table of topics each, and one
 * table of each per subscribed client. */
enum { PS_CHAN, PS_PAT, PS_SHARD, PS_KINDS };

static const char *const ev_sub[PS_KINDS] = {"subscribe", "psubscribe", "ssubscribe"};
static const char *const ev_unsub[PS_KINDS] = {"unsubscribe", "punsubscribe", "sunsubscribe"};

typedef struct ps_client {
    dict mine[PS_KINDS];
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

static dict topics[PS_KINDS];

static ps_client *state(client *c, int create)
{
    if (!c->pubsub && create) {
        ps_client *p = tier_dram_calloc(sizeof(ps_client));
        for (int k = 0; k < PS_KINDS; k++) dict_init(&p->mine[k], &sub_type);
        c->pubsub = p;
    }
    return c->pubsub;
}

static long kind_subs(const client *c, int kind)
{
    const ps_client *p = c->pubsub;
    return p ? (long)dict_size(&p->mine[kind]) : 0;
}

/* the count an event of this kind reports */
static long count_subs(const client *c, int kind)
{
    if (kind == PS_SHARD) return kind_subs(c, PS_SHARD);
    return kind_subs(c, PS_CHAN) + kind_subs(c, PS_PAT);
}

int pubsub_client_channels(const client *c) { return (int)kind_subs(c, PS_CHAN); }
int pubsub_client_patterns(const client *c) { return (int)kind_subs(c, PS_PAT); }
int pubsub_client_shard_channels(const client *c) { return (int)kind_subs(c, PS_SHARD); }

uint64_t pubsub_channels_count(void) { return dict_size(&topics[PS_CHAN]); }
uint64_t pubsub_patterns_count(void) { return dict_size(&topics[PS_PAT]); }
uint64_t pubsub_shard_channels_count(void) { return dict_size(&topics[PS_SHARD]); }

static void reply_event(client *c, const char *ev, int kind, const char *name, size_t len, int has_name)
{
    reply_push(c, 3);
    reply_bulk(c, ev, strlen(ev));
    if (has_name) reply_bulk(c, name, len);
    else reply_null(c);
    reply_ll(c, count_subs(c, kind));
}

/* 1 if newly subscribed. */
static int subscribe(client *c, int kind, const arg *a)
{
    ps_client *p = state(c, 1);
    dict *global = &topics[kind], *mine = &p->mine[kind];
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
    if (count_subs(c, PS_CHAN) + count_subs(c, PS_SHARD) == 0) c->flags &= ~CF_PUBSUB;
}

/* Unsubscribe from one; replies when notify.  1 if it was subscribed. */
static int unsubscribe(client *c, int kind, const char *name, size_t len, int notify)
{
    ps_client *p = state(c, 0);
    int was = 0;
    if (p) {
        sub *s = (sub *)dict_find(&p->mine[kind], name, len);
        if (s) {
            drop_sub(&topics[kind], &p->mine[kind], s);
            was = 1;
        }
    }
    update_flag(c);
    if (notify) reply_event(c, ev_unsub[kind], kind, name, len, 1);
    return was;
}

/* Unsubscribe from everything of one kind; returns how many. */
static int unsubscribe_all(client *c, int kind, int notify)
{
    ps_client *p = state(c, 0);
    int n = 0;
    if (p) {
        dict *mine = &p->mine[kind];
        dict *global = &topics[kind];
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
            if (notify) reply_event(c, ev_unsub[kind], kind, name, len, 1);
            if (name != stack) tier_dram_free(name);
        }
        dict_iter_release(&it);
    }
    update_flag(c);
    if (notify && n == 0) reply_event(c, ev_unsub[kind], kind, NULL, 0, 0);
    return n;
}

void pubsub_reset_client(client *c)
{
    ps_client *p = c->pubsub;
    if (!p) return;
    for (int k = 0; k < PS_KINDS; k++) {
        unsubscribe_all(c, k, 0);
        dict_clear(&p->mine[k], NULL, NULL);
    }
    tier_dram_free(p);
    c->pubsub = NULL;
    c->flags &= ~CF_PUBSUB;
}

void pubsub_init(void)
{
    for (int k = 0; k < PS_KINDS; k++) dict_init(&topics[k], &topic_type);
    conn_add_free_hook(pubsub_reset_client);
}

/* The subscribers of one channel or shard channel get [ev, ch, msg]. */
static long long deliver(int kind, const char *ev, const char *ch, size_t chlen, const char *msg,
                         size_t msglen)
{
    long long n = 0;
    topic *t = (topic *)dict_find(&topics[kind], ch, chlen);
    if (!t) return 0;
    for (sub *s = t->head; s; s = s->next) {
        client *c = s->c;
        reply_push(c, 3);
        reply_bulk(c, ev, strlen(ev));
        reply_bulk(c, ch, chlen);
        reply_bulk(c, msg, msglen);
        n++;
    }
    return n;
}

long long pubsub_publish(const char *ch, size_t chlen, const char *msg, size_t msglen)
{
    long long n = deliver(PS_CHAN, "message", ch, chlen, msg, msglen);
    dict *patterns = &topics[PS_PAT];
    if (dict_size(patterns)) {
        dict_iter it;
        dict_iter_init(&it, patterns);
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

static void subscribe_args(client *c, int kind)
{
    for (int i = 1; i < c->argc; i++) {
        subscribe(c, kind, &c->argv[i]);
        reply_event(c, ev_sub[kind], kind, c->argv[i].p, c->argv[i].len, 1);
    }
}

static void unsubscribe_args(client *c, int kind)
{
    if (c->argc == 1) { unsubscribe_all(c, kind, 1); return; }
    for (int i = 1; i < c->argc; i++) unsubscribe(c, kind, c->argv[i].p, c->argv[i].len, 1);
}

/* SUBSCRIBE channel [channel ...] */
void cmd_subscribe(client *c) { subscribe_args(c, PS_CHAN); }

/* PSUBSCRIBE pattern [pattern ...] */
void cmd_psubscribe(client *c) { subscribe_args(c, PS_PAT); }

/* SSUBSCRIBE shardchannel [shardchannel ...] */
void cmd_ssubscribe(client *c)
{
    /* Redis 7.0 refuses it where a client may not block (inside EXEC),
     * unlike SUBSCRIBE */
    if (c->flags & (CF_MULTI | CF_EXECUTING)) {
        reply_error(c, "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    subscribe_args(c, PS_SHARD);
}

/* UNSUBSCRIBE [channel ...] */
void cmd_unsubscribe(client *c) { unsubscribe_args(c, PS_CHAN); }

/* PUNSUBSCRIBE [pattern ...] */
void cmd_punsubscribe(client *c) { unsubscribe_args(c, PS_PAT); }

/* SUNSUBSCRIBE [shardchannel ...] */
void cmd_sunsubscribe(client *c) { unsubscribe_args(c, PS_SHARD); }

/* PUBLISH channel message */
void cmd_publish(client *c)
{
    reply_ll(c, pubsub_publish(c->argv[1].p, c->argv[1].len, c->argv[2].p, c->argv[2].len));
}

/* SPUBLISH shardchannel message */
void cmd_spublish(client *c)
{
    reply_ll(c, deliver(PS_SHARD, "smessage", c->argv[1].p, c->argv[1].len, c->argv[2].p, c->argv[2].len));
}

static void reply_channels(client *c, int kind, const arg *pat)
{
    dict *all = &topics[kind];
    uint64_t cap = dict_size(all), n = 0;
    topic **out = tier_dram_malloc(sizeof(topic *) * (cap ? cap : 1));
    dict_iter it;
    dict_iter_init(&it, all);
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

static const cmd_sub pubsub_subs[] = {
    {"channels", -2}, {"numpat", 2}, {"numsub", -2}, {"shardchannels", -2}, {"shardnumsub", -2}, {"help", 2},
};

/* PUBSUB CHANNELS|NUMPAT|NUMSUB|SHARDCHANNELS|SHARDNUMSUB|HELP */
void cmd_pubsub(client *c)
{
    const arg *sub = &c->argv[1];
    if (!cmd_sub_check(c, "pubsub", pubsub_subs, sizeof(pubsub_subs) / sizeof(pubsub_subs[0]))) return;
    if (ARGEQ(*sub, "channels") || ARGEQ(*sub, "shardchannels")) {
        if (c->argc > 3) {
            reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try PUBSUB HELP.",
                         (int)sub->len, sub->p);
            return;
        }
        reply_channels(c, ARGEQ(*sub, "shardchannels") ? PS_SHARD : PS_CHAN, c->argc == 3 ? &c->argv[2] : NULL);
    } else if (ARGEQ(*sub, "numsub") || ARGEQ(*sub, "shardnumsub")) {
        int kind = ARGEQ(*sub, "shardnumsub") ? PS_SHARD : PS_CHAN;
        reply_array(c, (long)(c->argc - 2) * 2);
        for (int i = 2; i < c->argc; i++) {
            topic *t = (topic *)dict_find(&topics[kind], c->argv[i].p, c->argv[i].len);
            reply_bulk(c, c->argv[i].p, c->argv[i].len);
            reply_ll(c, t ? (long long)t->nsubs : 0);
        }
    } else if (ARGEQ(*sub, "numpat")) {
        reply_ll(c, (long long)dict_size(&topics[PS_PAT]));
    } else {
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
    }
}
