/* t_memory.c -- MEMORY USAGE/STATS/DOCTOR/PURGE/MALLOC-STATS/HELP as Redis
 * 7.0 answers them, plus MEMORY TIER key (which tier holds a value).
 * Sizes count both tiers: the key's DRAM block plus every value block
 * wherever it lives.  Nothing here touches a key's access clock. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "server.h"
#include "tier.h"
#include "tiering.h"
#include "util.h"


#define USAGE_DEFAULT_SAMPLES 5

static const cmd_sub memory_subs[] = {
    {"usage", -3}, {"tier", 3}, {"stats", 2}, {"doctor", 2}, {"malloc-stats", 2}, {"purge", 2}, {"help", 2},
};

/* MEMORY USAGE key [SAMPLES count] */
static void memory_usage(client *c)
{
    long long samples = USAGE_DEFAULT_SAMPLES;
    for (int i = 3; i < c->argc; i++) {
        if (ARGEQ(c->argv[i], "samples") && i + 1 < c->argc) {
            if (!util_str2ll(c->argv[i + 1].p, c->argv[i + 1].len, &samples)) {
                reply_err_not_int(c);
                return;
            }
            if (samples < 0) { reply_err_syntax(c); return; }
            i++;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    kv *e = db_peek(c->db, c->argv[2].p, c->argv[2].len);
    if (!e) { reply_null(c); return; }
    uint64_t b[TIER_COUNT] = {0, 0};
    tiering_value_usage(e, samples, b);
    reply_ll(c, (long long)(b[TIER_DRAM] + b[TIER_PMEM]));
}

/* MEMORY TIER key: "dram", "pmem" or "mixed" (an aggregate on both). */
static void memory_tier(client *c)
{
    kv *e = db_peek(c->db, c->argv[2].p, c->argv[2].len);
    if (!e) { reply_null(c); return; }
    reply_cstr(c, tiering_value_tier(e));
}

static void stat_ll(client *c, const char *name, long long v)
{
    reply_cstr(c, name);
    reply_ll(c, v);
}

static void memory_stats(client *c)
{
    tier_info ti;
    tier_get_info(&ti);
    const tier_stats *s = &ti.stats;
    uint64_t keys = 0;
    for (int i = 0; i < server.ndbs; i++) keys += db_size(&server.dbs[i]);
    uint64_t total = s->used[TIER_DRAM] + s->used[TIER_PMEM];
    uint64_t dataset = s->user[TIER_DRAM] + s->user[TIER_PMEM];
    reply_deferred d = reply_defer(c);
    long n = 0;
    stat_ll(c, "peak.allocated", server.stat_peak_memory > (long long)total ? server.stat_peak_memory : (long long)total); n++;
    stat_ll(c, "total.allocated", (long long)total); n++;
    stat_ll(c, "keys.count", (long long)keys); n++;
    stat_ll(c, "dataset.bytes", (long long)dataset); n++;
    reply_cstr(c, "dataset.percentage");
    reply_double(c, total ? (double)dataset * 100.0 / (double)total : 0.0); n++;
    stat_ll(c, "dram.allocated", (long long)s->used[TIER_DRAM]); n++;
    stat_ll(c, "pmem.allocated", (long long)s->used[TIER_PMEM]); n++;
    stat_ll(c, "dram.dataset.bytes", (long long)s->user[TIER_DRAM]); n++;
    stat_ll(c, "pmem.dataset.bytes", (long long)s->user[TIER_PMEM]); n++;
    reply_cstr(c, "pmem.kind"); reply_cstr(c, ti.kind_name); n++;
    stat_ll(c, "pmem.capacity", (long long)ti.capacity); n++;
    reply_cstr(c, "memory-alloc-policy"); reply_cstr(c, ti.policy_name); n++;
    stat_ll(c, "pmem.threshold", ti.threshold == UINT64_MAX ? -1LL : (long long)ti.threshold); n++;
    reply_cstr(c, "dram.share.target");
    reply_double(c, ti.target_share < 0 ? -1.0 : ti.target_share * 100.0); n++;
    reply_cstr(c, "dram.share");
    reply_double(c, ti.dram_share < 0 ? -1.0 : ti.dram_share * 100.0); n++;
    stat_ll(c, "migrated.to-pmem.bytes", (long long)s->migrated_bytes[TIER_PMEM]); n++;
    stat_ll(c, "migrated.to-dram.bytes", (long long)s->migrated_bytes[TIER_DRAM]); n++;
    stat_ll(c, "pmem.overflow.bytes", (long long)s->pmem_overflow_bytes); n++;
    reply_set_deferred_map(c, d, n);
}

void cmd_memory(client *c)
{
    const arg *sub = &c->argv[1];
    if (!cmd_sub_check(c, "memory", memory_subs, sizeof(memory_subs) / sizeof(memory_subs[0]))) return;
    if (ARGEQ(*sub, "usage")) {
        memory_usage(c);
    } else if (ARGEQ(*sub, "tier")) {
        memory_tier(c);
    } else if (ARGEQ(*sub, "stats")) {
        memory_stats(c);
    } else if (ARGEQ(*sub, "doctor")) {
        char buf[4096];
        size_t n = (size_t)snprintf(buf, sizeof(buf), "Tiered memory report:\n");
        tiering_info(buf + n, sizeof(buf) - n);
        char *w = buf;
        for (const char *r = buf; *r; r++) if (*r != '\r') *w++ = *r;
        *w = '\0';
        reply_verbatim(c, buf, strlen(buf), "txt");
    } else if (ARGEQ(*sub, "malloc-stats")) {
        char buf[4096];
        tiering_info(buf, sizeof(buf));
        reply_verbatim(c, buf, strlen(buf), "txt");
    } else if (ARGEQ(*sub, "purge")) {
        reply_ok(c);
    } else {
        static const char *help[] = {
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "TIER <key>",
            "    Return the memory tier holding the value of <key>: dram, pmem or mixed.",
            "HELP",
            "    Prints this help.",
        };
        reply_array(c, (long)(sizeof(help) / sizeof(help[0])));
        for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++) reply_status(c, help[i]);
    }
}
