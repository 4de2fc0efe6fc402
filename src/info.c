/* info.c -- INFO; see info.h.
 *
 * Sections are produced in Redis's fixed order whatever order they were
 * asked in; registered sections follow the built-in ones in registration
 * order.  Values come from the modules that own them (conn, db, cmd, tier),
 * so INFO never keeps counters of its own.
 */
#include "config.h"
#include "info.h"
#include "snapshot.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmd.h"
#include "pubsub.h"
#include "server.h"
#include "tier.h"
#include "util.h"

size_t server_error_stats(char *out, size_t cap);
extern uint64_t slowlog_monitors_count(void);

void info_addf(info_buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (b->p && (size_t)n < room) { b->len += (size_t)n; return; }
        size_t ncap = b->cap ? b->cap * 2 : 4096;
        while (ncap < b->len + (size_t)n + 1) ncap *= 2;
        b->p = tier_dram_realloc(b->p, ncap);
        b->cap = ncap;
    }
}

/* ---- registry ------------------------------------------------------------ */

#define MAX_EXT 32
typedef struct ext_section {
    char name[32];
    info_section_fn *fn;
    int in_default;
} ext_section;
static ext_section exts[MAX_EXT];
static int nexts;

void info_register_section(const char *name, info_section_fn *fn, int in_default)
{
    if (nexts >= MAX_EXT) return;
    snprintf(exts[nexts].name, sizeof(exts[nexts].name), "%s", name);
    for (char *p = exts[nexts].name; *p; p++) *p = (char)tolower((unsigned char)*p);
    exts[nexts].fn = fn;
    exts[nexts].in_default = in_default;
    nexts++;
}

/* ---- built-in sections --------------------------------------------------- */

static void sec_server(info_buf *b)
{
    static struct utsname un;
    static int have_un;
    if (!have_un) { uname(&un); have_un = 1; }
    int64_t now_us = util_ustime();
    int64_t up = (util_mstime() - server.start_ms) / 1000;
    static char exe[1024];
    if (!exe[0]) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        exe[n > 0 ? n : 0] = '\0';
    }
    info_addf(b,
              "redis_version:%s\r\n"
              "tierdb_version:%s\r\n"
              "redis_git_sha1:00000000\r\n"
              "redis_git_dirty:0\r\n"
              "redis_build_id:0\r\n"
              "redis_mode:standalone\r\n"
              "os:%s %s %s\r\n"
              "arch_bits:%d\r\n"
              "monotonic_clock:POSIX clock_gettime\r\n"
              "multiplexing_api:epoll\r\n"
              "atomicvar_api:c11-builtin\r\n"
              "gcc_version:%d.%d.%d\r\n"
              "process_id:%ld\r\n"
              "process_supervised:no\r\n"
              "run_id:%s\r\n"
              "tcp_port:%d\r\n"
              "server_time_usec:%lld\r\n"
              "uptime_in_seconds:%lld\r\n"
              "uptime_in_days:%lld\r\n"
              "hz:%d\r\n"
              "configured_hz:%d\r\n"
              "lru_clock:%u\r\n"
              "executable:%s\r\n"
              "config_file:%s\r\n"
              "io_threads_active:0\r\n",
              TDB_VERSION, TDB_OWN_VERSION, un.sysname, un.release, un.machine, (int)(sizeof(long) * 8),
#ifdef __GNUC__
              __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
              0, 0, 0,
#endif
              (long)getpid(), server.run_id, server.cfg.port, (long long)now_us, (long long)up,
              (long long)(up / 86400), server.cfg.hz, server.cfg.hz, (unsigned)(db_lru_clock & 0xFFFFFF), exe,
              server.config_file ? server.config_file : "");
}

static void sec_clients(info_buf *b)
{
    uint64_t blocked = 0, maxin = 0, maxout = 0;
    for (client *c = conn_all; c; c = c->next) {
        if (c->flags & CF_BLOCKED) blocked++;
        if (c->qcap > maxin) maxin = c->qcap;
        if (conn_output_len(c) > maxout) maxout = conn_output_len(c);
    }
    info_addf(b,
              "connected_clients:%llu\r\n"
              "cluster_connections:0\r\n"
              "maxclients:%d\r\n"
              "client_recent_max_input_buffer:%llu\r\n"
              "client_recent_max_output_buffer:%llu\r\n"
              "blocked_clients:%llu\r\n"
              "tracking_clients:0\r\n"
              "clients_in_timeout_table:0\r\n",
              (unsigned long long)(conn_count - slowlog_monitors_count()), server.cfg.maxclients,
              (unsigned long long)maxin, (unsigned long long)maxout, (unsigned long long)blocked);
}

static uint64_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long long size = 0, res = 0;
    if (fscanf(f, "%llu %llu", &size, &res) != 2) res = 0;
    fclose(f);
    return res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t total_system_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES);
    long psz = sysconf(_SC_PAGESIZE);
    return pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
}

static const char *policy_name(void)
{
    static const char *const names[] = {"noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu",
                                        "volatile-lfu", "allkeys-random", "volatile-random", "volatile-ttl"};
    int p = server.cfg.maxmemory_policy;
    return p >= 0 && p < 8 ? names[p] : "noeviction";
}

static void sec_memory(info_buf *b)
{
    uint64_t used = tier_used_total();
    if ((long long)used > server.stat_peak_memory) server.stat_peak_memory = (long long)used;
    uint64_t peak = (uint64_t)server.stat_peak_memory;
    uint64_t rss = rss_bytes();
    uint64_t sysmem = total_system_memory();
    char h_used[32], h_rss[32], h_peak[32], h_max[32], h_sys[32];
    server_bytes_human(h_used, sizeof(h_used), used);
    server_bytes_human(h_rss, sizeof(h_rss), rss);
    server_bytes_human(h_peak, sizeof(h_peak), peak);
    server_bytes_human(h_max, sizeof(h_max), (unsigned long long)server.cfg.maxmemory);
    server_bytes_human(h_sys, sizeof(h_sys), sysmem);
    tier_stats ts;
    tier_get_stats(&ts);
    uint64_t user = 0;
    for (int i = 0; i < TIER_COUNT; i++) user += ts.user[i];
    uint64_t overhead = used > user ? used - user : 0;
    info_addf(b,
              "used_memory:%llu\r\n"
              "used_memory_human:%s\r\n"
              "used_memory_rss:%llu\r\n"
              "used_memory_rss_human:%s\r\n"
              "used_memory_peak:%llu\r\n"
              "used_memory_peak_human:%s\r\n"
              "used_memory_peak_perc:%.2f%%\r\n"
              "used_memory_overhead:%llu\r\n"
              "used_memory_startup:0\r\n"
              "used_memory_dataset:%llu\r\n"
              "used_memory_dataset_perc:%.2f%%\r\n"
              "total_system_memory:%llu\r\n"
              "total_system_memory_human:%s\r\n"
              "used_memory_lua:0\r\n"
              "used_memory_scripts:0\r\n"
              "number_of_cached_scripts:0\r\n"
              "maxmemory:%lld\r\n"
              "maxmemory_human:%s\r\n"
              "maxmemory_policy:%s\r\n"
              "mem_fragmentation_ratio:%.2f\r\n"
              "mem_fragmentation_bytes:%lld\r\n"
              "mem_not_counted_for_evict:0\r\n"
              "mem_replication_backlog:0\r\n"
              "mem_clients_slaves:0\r\n"
              "mem_clients_normal:0\r\n"
              "mem_aof_buffer:0\r\n"
              "mem_allocator:tier\r\n"
              "active_defrag_running:0\r\n"
              "lazyfree_pending_objects:0\r\n"
              "lazyfreed_objects:0\r\n",
              (unsigned long long)used, h_used, (unsigned long long)rss, h_rss, (unsigned long long)peak, h_peak,
              peak ? 100.0 * (double)used / (double)peak : 0.0, (unsigned long long)overhead,
              (unsigned long long)user, used ? 100.0 * (double)user / (double)used : 0.0,
              (unsigned long long)sysmem, h_sys, server.cfg.maxmemory, h_max, policy_name(),
              used ? (double)rss / (double)used : 0.0, (long long)rss - (long long)used);
}

static void sec_persistence(info_buf *b)
{
    char rdb[2048];
    size_t n = rdb_info(rdb, sizeof(rdb));
    rdb[n] = '\0';
    info_addf(b,
              "loading:%d\r\n"
              "async_loading:0\r\n"
              "current_cow_peak:0\r\n"
              "current_cow_size:0\r\n"
              "current_cow_size_age:0\r\n"
              "current_fork_perc:0.00\r\n"
              "current_save_keys_processed:0\r\n"
              "current_save_keys_total:0\r\n"
              "%s"
              "aof_enabled:0\r\n"
              "aof_rewrite_in_progress:0\r\n"
              "aof_rewrite_scheduled:0\r\n"
              "aof_last_rewrite_time_sec:-1\r\n"
              "aof_current_rewrite_time_sec:-1\r\n"
              "aof_last_bgrewrite_status:ok\r\n"
              "aof_rewrites:0\r\n"
              "aof_rewrites_consecutive_failures:0\r\n"
              "aof_last_write_status:ok\r\n"
              "aof_last_cow_size:0\r\n"
              "module_fork_in_progress:0\r\n"
              "module_fork_last_cow_size:0\r\n",
              server.loading, rdb);
}

static void sec_stats(info_buf *b)
{
    info_addf(b,
              "total_connections_received:%llu\r\n"
              "total_commands_processed:%llu\r\n"
              "instantaneous_ops_per_sec:%lld\r\n"
              "total_net_input_bytes:%llu\r\n"
              "total_net_output_bytes:%llu\r\n"
              "total_net_repl_input_bytes:0\r\n"
              "total_net_repl_output_bytes:0\r\n"
              "instantaneous_input_kbps:%.2f\r\n"
              "instantaneous_output_kbps:%.2f\r\n"
              "instantaneous_input_repl_kbps:0.00\r\n"
              "instantaneous_output_repl_kbps:0.00\r\n"
              "rejected_connections:%llu\r\n"
              "sync_full:0\r\n"
              "sync_partial_ok:0\r\n"
              "sync_partial_err:0\r\n"
              "expired_keys:%llu\r\n"
              "expired_stale_perc:0.00\r\n"
              "expired_time_cap_reached_count:0\r\n"
              "expire_cycle_cpu_milliseconds:0\r\n"
              "evicted_keys:%llu\r\n"
              "evicted_clients:0\r\n"
              "total_eviction_exceeded_time:0\r\n"
              "current_eviction_exceeded_time:0\r\n"
              "keyspace_hits:%llu\r\n"
              "keyspace_misses:%llu\r\n"
              "pubsub_channels:%llu\r\n"
              "pubsub_patterns:%llu\r\n"
              "pubsubshard_channels:%llu\r\n"
              "latest_fork_usec:0\r\n"
              "total_forks:0\r\n"
              "migrate_cached_sockets:0\r\n"
              "slave_expires_tracked_keys:0\r\n"
              "active_defrag_hits:0\r\n"
              "active_defrag_misses:0\r\n"
              "active_defrag_key_hits:0\r\n"
              "active_defrag_key_misses:0\r\n"
              "total_active_defrag_time:0\r\n"
              "current_active_defrag_time:0\r\n"
              "tracking_total_keys:0\r\n"
              "tracking_total_items:0\r\n"
              "tracking_total_prefixes:0\r\n"
              "unexpected_error_replies:%llu\r\n"
              "total_error_replies:%llu\r\n"
              "dump_payload_sanitizations:0\r\n"
              "total_reads_processed:%llu\r\n"
              "total_writes_processed:%llu\r\n"
              "io_threaded_reads_processed:0\r\n"
              "io_threaded_writes_processed:0\r\n",
              (unsigned long long)conn_stat_connections, (unsigned long long)server.stat_commands,
              (long long)(server.stat_ops_sec + 0.5), (unsigned long long)conn_stat_net_in,
              (unsigned long long)conn_stat_net_out, server.stat_net_in_kbps, server.stat_net_out_kbps,
              (unsigned long long)conn_stat_rejected, (unsigned long long)db_stat_expired_keys,
              (unsigned long long)server.stat_evicted, (unsigned long long)(db_stat_hits + server.stat_keyspace_hits),
              (unsigned long long)(db_stat_misses + server.stat_keyspace_misses),
              (unsigned long long)pubsub_channels_count(), (unsigned long long)pubsub_patterns_count(),
              (unsigned long long)pubsub_shard_channels_count(),
              (unsigned long long)server.stat_unexpected_errors, (unsigned long long)server.stat_errors,
              (unsigned long long)server.stat_total_reads, (unsigned long long)server.stat_total_writes);
}

static void sec_replication(info_buf *b)
{
    info_addf(b,
              "role:master\r\n"
              "connected_slaves:0\r\n"
              "master_failover_state:no-failover\r\n"
              "master_replid:%s\r\n"
              "master_replid2:0000000000000000000000000000000000000000\r\n"
              "master_repl_offset:0\r\n"
              "second_repl_offset:-1\r\n"
              "repl_backlog_active:0\r\n"
              "repl_backlog_size:1048576\r\n"
              "repl_backlog_first_byte_offset:0\r\n"
              "repl_backlog_histlen:0\r\n",
              server.run_id);
}

static double tv_sec(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

static void sec_cpu(info_buf *b)
{
    struct rusage self, children, thread;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
#ifdef RUSAGE_THREAD
    getrusage(RUSAGE_THREAD, &thread);
#else
    thread = self;
#endif
    info_addf(b,
              "used_cpu_sys:%.6f\r\n"
              "used_cpu_user:%.6f\r\n"
              "used_cpu_sys_children:%.6f\r\n"
              "used_cpu_user_children:%.6f\r\n"
              "used_cpu_sys_main_thread:%.6f\r\n"
              "used_cpu_user_main_thread:%.6f\r\n",
              tv_sec(self.ru_stime), tv_sec(self.ru_utime), tv_sec(children.ru_stime), tv_sec(children.ru_utime),
              tv_sec(thread.ru_stime), tv_sec(thread.ru_utime));
}

static void sec_modules(info_buf *b) { (void)b; }

static void sec_commandstats(info_buf *b)
{
    for (size_t i = 0; i < cmd_count(); i++) {
        cmd *c = cmd_at(i);
        if (!c->calls && !c->rejected && !c->failed) continue;
        info_addf(b, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu\r\n",
                  c->name, (unsigned long long)c->calls, (unsigned long long)c->usec,
                  c->calls ? (double)c->usec / (double)c->calls : 0.0, (unsigned long long)c->rejected,
                  (unsigned long long)c->failed);
    }
}

static void sec_errorstats(info_buf *b)
{
    char tmp[8192];
    size_t n = server_error_stats(tmp, sizeof(tmp));
    if (n >= sizeof(tmp)) n = sizeof(tmp) - 1;
    tmp[n] = '\0';
    info_addf(b, "%s", tmp);
}

static void sec_cluster(info_buf *b) { info_addf(b, "cluster_enabled:0\r\n"); }

static void sec_keyspace(info_buf *b)
{
    for (int i = 0; i < server.ndbs; i++) {
        db *d = &server.dbs[i];
        uint64_t keys = db_size(d);
        if (!keys) continue;
        info_addf(b, "db%d:keys=%llu,expires=%llu,avg_ttl=%llu\r\n", i, (unsigned long long)keys,
                  (unsigned long long)d->nttl, (unsigned long long)d->avg_ttl);
    }
}

typedef struct builtin {
    const char *name;    /* lower case, as requested */
    const char *title;   /* as printed after "# " */
    info_section_fn *fn;
    int in_default;
} builtin;

static const builtin builtins[] = {
    {"server", "Server", sec_server, 1},
    {"clients", "Clients", sec_clients, 1},
    {"memory", "Memory", sec_memory, 1},
    {"persistence", "Persistence", sec_persistence, 1},
    {"stats", "Stats", sec_stats, 1},
    {"replication", "Replication", sec_replication, 1},
    {"cpu", "CPU", sec_cpu, 1},
    {"modules", "Modules", sec_modules, 1},
    {"commandstats", "Commandstats", sec_commandstats, 0},
    {"errorstats", "Errorstats", sec_errorstats, 1},
    {"cluster", "Cluster", sec_cluster, 1},
    {"keyspace", "Keyspace", sec_keyspace, 1},
};
#define NBUILTIN (sizeof(builtins) / sizeof(builtins[0]))

static int is_builtin(const char *name)
{
    for (size_t i = 0; i < NBUILTIN; i++)
        if (!strcmp(builtins[i].name, name)) return 1;
    return 0;
}

static int named(int n, const char *const *names, const size_t *lens, const char *want)
{
    size_t wl = strlen(want);
    for (int i = 0; i < n; i++)
        if (lens[i] == wl && !strncasecmp(names[i], want, wl)) return 1;
    return 0;
}

static void ext_fields(info_buf *b, const char *name)
{
    for (int i = 0; i < nexts; i++)
        if (!strcmp(exts[i].name, name)) exts[i].fn(b);
}

char *info_generate(int n, const char *const *names, const size_t *lens)
{
    int all = named(n, names, lens, "all");
    int everything = named(n, names, lens, "everything");
    int deflt = n == 0 || named(n, names, lens, "default");
    info_buf b = {0};
    info_addf(&b, "%s", "");
    int sections = 0;
    for (size_t i = 0; i < NBUILTIN; i++) {
        const builtin *s = &builtins[i];
        int want = everything || named(n, names, lens, s->name) || (deflt && s->in_default) ||
                   (all && strcmp(s->name, "modules") != 0);
        if (!want) continue;
        if (sections++) info_addf(&b, "\r\n");
        info_addf(&b, "# %s\r\n", s->title);
        s->fn(&b);
        ext_fields(&b, s->name);
    }
    /* registered sections: the first registration of a name owns its title */
    for (int i = 0; i < nexts; i++) {
        const ext_section *s = &exts[i];
        if (is_builtin(s->name)) continue;
        int first = 1;
        for (int j = 0; j < i; j++)
            if (!strcmp(exts[j].name, s->name)) first = 0;
        if (!first) continue;
        int want = everything || all || named(n, names, lens, s->name) || (deflt && s->in_default);
        if (!want) continue;
        if (sections++) info_addf(&b, "\r\n");
        /* "journal" -> "# Journal" */
        info_addf(&b, "# %c%s\r\n", toupper((unsigned char)s->name[0]), s->name + 1);
        ext_fields(&b, s->name);
    }
    return b.p;
}

/* INFO [section [section ...]] */
void cmd_info(client *c)
{
    const char *names[64];
    size_t lens[64];
    int n = 0;
    for (int i = 1; i < c->argc && n < 64; i++, n++) {
        names[n] = c->argv[i].p;
        lens[n] = c->argv[i].len;
    }
    char *text = info_generate(n, names, lens);
    reply_verbatim(c, text, strlen(text), "txt");
    tier_dram_free(text);
}
