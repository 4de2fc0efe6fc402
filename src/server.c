/* server.c -- start-up, the server cron and the event-loop order.
 *
 * LOOP ORDER (before_sleep)
 *   1. commands ran in the read handlers (execute, reply queued);
 *   2. hooks registered by modules run in registration order (the journal
 *      hands its batch to the writer; the tracker releases replies whose
 *      entries are durable);
 *   3. pending replies are written to sockets;
 *   4. clients marked for closing are freed.
 *   Replies therefore never leave before the step that may hold them.
 */
#include "config.h"
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg.h"
#include "cmd.h"
#include "durability.h"
#include "log.h"
#include "snapshot.h"
#include "tier.h"
#include "tiering.h"
#include "util.h"

server_state server;

/* ---- configuration owned by the server ---------------------------------- */

static const char *const loglevel_names[] = {"debug", "verbose", "notice", "warning", NULL};
static const char *const policy_names[] = {"noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu",
                                           "volatile-lfu", "allkeys-random", "volatile-random",
                                           "volatile-ttl", NULL};

static int set_obuf(const cfg_entry *e, const char *val, const char **err)
{
    (void)e;
    char **av;
    int ac = cfg_split_line(val, &av);
    if (ac <= 0 || ac % 4 != 0) {
        cfg_free_args(ac, av);
        *err = "Wrong number of arguments in buffer limit configuration.";
        return -1;
    }
    long long hard[3], soft[3], secs[3];
    for (int i = 0; i < 3; i++) {
        hard[i] = server.cfg.obuf_hard[i];
        soft[i] = server.cfg.obuf_soft[i];
        secs[i] = server.cfg.obuf_soft_secs[i];
    }
    for (int i = 0; i < ac; i += 4) {
        int cls;
        if (!strcasecmp(av[i], "normal")) cls = 0;
        else if (!strcasecmp(av[i], "replica") || !strcasecmp(av[i], "slave")) cls = 1;
        else if (!strcasecmp(av[i], "pubsub")) cls = 2;
        else { cfg_free_args(ac, av); *err = "Invalid client class specified in buffer limit configuration."; return -1; }
        unsigned long long h, s, sec;
        if (!util_memtoull(av[i + 1], &h) || !util_memtoull(av[i + 2], &s) ||
            !util_str2ull(av[i + 3], strlen(av[i + 3]), &sec)) {
            cfg_free_args(ac, av);
            *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            return -1;
        }
        hard[cls] = (long long)h;
        soft[cls] = (long long)s;
        secs[cls] = (long long)sec;
    }
    cfg_free_args(ac, av);
    for (int i = 0; i < 3; i++) {
        server.cfg.obuf_hard[i] = hard[i];
        server.cfg.obuf_soft[i] = soft[i];
        server.cfg.obuf_soft_secs[i] = secs[i];
    }
    return 0;
}

static void get_obuf(const cfg_entry *e, char *buf, size_t cap)
{
    (void)e;
    snprintf(buf, cap, "normal %lld %lld %lld replica %lld %lld %lld pubsub %lld %lld %lld",
             server.cfg.obuf_hard[0], server.cfg.obuf_soft[0], server.cfg.obuf_soft_secs[0],
             server.cfg.obuf_hard[1], server.cfg.obuf_soft[1], server.cfg.obuf_soft_secs[1],
             server.cfg.obuf_hard[2], server.cfg.obuf_soft[2], server.cfg.obuf_soft_secs[2]);
}

/* unixsocketperm is octal, as in Redis ("700"). */
static int set_octal_perm(const cfg_entry *e, const char *val, const char **err)
{
    (void)e;
    char *end;
    long v = strtol(val, &end, 8);
    if (!*val || *end || v < 0 || v > 0777) {
        *err = "argument must be between 0 and 777 inclusive";
        return -1;
    }
    server.cfg.unixsocketperm = (int)v;
    return 0;
}
static void get_octal_perm(const cfg_entry *e, char *buf, size_t cap)
{
    (void)e;
    snprintf(buf, cap, "%o", (unsigned)server.cfg.unixsocketperm);
}

static int apply_loglevel(const cfg_entry *e, const char **err)
{
    (void)e; (void)err;
    log_verbosity = server.cfg.loglevel;
    return 0;
}

static int apply_maxclients(const cfg_entry *e, const char **err)
{
    (void)e;
    if (server.loop && server.cfg.maxclients + 128 > ev_setsize(server.loop)) {
        *err = "The event loop cannot grow at run time; set maxclients in the config file";
        return -1;
    }
    return 0;
}

static int apply_hz(const cfg_entry *e, const char **err)
{
    (void)e; (void)err;
    if (server.cfg.hz < 1) server.cfg.hz = 1;
    if (server.cfg.hz > 500) server.cfg.hz = 500;
    return 0;
}

static const cfg_entry server_configs[] = {
    {.name = "bind", .type = CFG_STRING, .flags = CFG_MULTI_ARG | CFG_IMMUTABLE, .ptr = &server.cfg.bind, .defval = "127.0.0.1 -::1"},
    {.name = "port", .type = CFG_INT, .flags = CFG_IMMUTABLE, .ptr = &server.cfg.port, .min = 0, .max = 65535, .defval = "6379"},
    {.name = "unixsocket", .type = CFG_STRING, .flags = CFG_IMMUTABLE, .ptr = &server.cfg.unixsocket, .defval = ""},
    {.name = "unixsocketperm", .type = CFG_SPECIAL, .flags = CFG_IMMUTABLE, .set = set_octal_perm, .get = get_octal_perm, .defval = "0"},
    {.name = "tcp-backlog", .type = CFG_INT, .flags = CFG_IMMUTABLE, .ptr = &server.cfg.tcp_backlog, .min = 0, .max = INT_MAX, .defval = "511"},
    {.name = "tcp-keepalive", .type = CFG_INT, .ptr = &server.cfg.tcp_keepalive, .min = 0, .max = INT_MAX, .defval = "300"},
    {.name = "protected-mode", .type = CFG_BOOL, .ptr = &server.cfg.protected_mode, .defval = "yes"},
    {.name = "maxclients", .type = CFG_INT, .ptr = &server.cfg.maxclients, .min = 1, .max = INT_MAX, .defval = "10000", .apply = apply_maxclients},
    {.name = "timeout", .type = CFG_INT, .ptr = &server.cfg.timeout, .min = 0, .max = INT_MAX, .defval = "0"},
    {.name = "requirepass", .type = CFG_STRING, .ptr = &server.cfg.requirepass, .defval = ""},
    {.name = "proto-max-bulk-len", .type = CFG_MEM, .ptr = &server.cfg.proto_max_bulk_len, .min = 1024 * 1024, .max = LLONG_MAX, .defval = "536870912"},
    {.name = "client-query-buffer-limit", .type = CFG_MEM, .ptr = &server.cfg.client_query_buffer_limit, .min = 1024 * 1024, .max = LLONG_MAX, .defval = "1073741824"},
    {.name = "client-output-buffer-limit", .type = CFG_SPECIAL, .flags = CFG_MULTI_ARG, .set = set_obuf, .get = get_obuf,
     .defval = "normal 0 0 0 replica 268435456 67108864 60 pubsub 33554432 8388608 60"},
    {.name = "databases", .type = CFG_INT, .flags = CFG_IMMUTABLE, .ptr = &server.cfg.databases, .min = 1, .max = INT_MAX, .defval = "16"},
    {.name = "hz", .type = CFG_INT, .ptr = &server.cfg.hz, .min = 0, .max = INT_MAX, .defval = "10", .apply = apply_hz},
    {.name = "daemonize", .type = CFG_BOOL, .flags = CFG_IMMUTABLE, .ptr = &server.cfg.daemonize, .defval = "no"},
    {.name = "pidfile", .type = CFG_STRING, .flags = CFG_IMMUTABLE, .ptr = &server.cfg.pidfile, .defval = ""},
    {.name = "logfile", .type = CFG_STRING, .flags = CFG_IMMUTABLE, .ptr = &server.cfg.logfile, .defval = ""},
    {.name = "loglevel", .type = CFG_ENUM, .ptr = &server.cfg.loglevel, .enum_names = loglevel_names, .defval = "notice", .apply = apply_loglevel},
    {.name = "dir", .type = CFG_STRING, .flags = CFG_NONEMPTY, .ptr = &server.cfg.dir, .defval = "./"},
    {.name = "dbfilename", .type = CFG_STRING, .flags = CFG_NONEMPTY, .ptr = &server.cfg.dbfilename, .defval = "dump.rdb"},
    {.name = "maxmemory", .type = CFG_MEM, .ptr = &server.cfg.maxmemory, .min = 0, .max = LLONG_MAX, .defval = "0"},
    {.name = "maxmemory-policy", .type = CFG_ENUM, .ptr = &server.cfg.maxmemory_policy, .enum_names = policy_names, .defval = "noeviction"},
    {.name = "slowlog-log-slower-than", .type = CFG_LL, .ptr = &server.cfg.slowlog_log_slower_than, .min = -1, .max = LLONG_MAX, .defval = "10000"},
    {.name = "slowlog-max-len", .type = CFG_LL, .ptr = &server.cfg.slowlog_max_len, .min = 0, .max = LONG_MAX, .defval = "128"},
    {.name = "hash-max-listpack-entries", .alias = "hash-max-ziplist-entries", .type = CFG_LL, .ptr = &server.cfg.hash_max_listpack_entries, .min = 0, .max = LLONG_MAX, .defval = "128"},
    {.name = "hash-max-listpack-value", .alias = "hash-max-ziplist-value", .type = CFG_LL, .ptr = &server.cfg.hash_max_listpack_value, .min = 0, .max = LLONG_MAX, .defval = "64"},
    {.name = "set-max-intset-entries", .type = CFG_LL, .ptr = &server.cfg.set_max_intset_entries, .min = 0, .max = LLONG_MAX, .defval = "512"},
    {.name = "zset-max-listpack-entries", .alias = "zset-max-ziplist-entries", .type = CFG_LL, .ptr = &server.cfg.zset_max_listpack_entries, .min = 0, .max = LLONG_MAX, .defval = "128"},
    {.name = "zset-max-listpack-value", .alias = "zset-max-ziplist-value", .type = CFG_LL, .ptr = &server.cfg.zset_max_listpack_value, .min = 0, .max = LLONG_MAX, .defval = "64"},
    {.name = "list-max-listpack-size", .alias = "list-max-ziplist-size", .type = CFG_LL, .ptr = &server.cfg.list_max_listpack_size, .min = LLONG_MIN, .max = LLONG_MAX, .defval = "-2"},
    {.name = "list-compress-depth", .type = CFG_LL, .ptr = &server.cfg.list_compress_depth, .min = 0, .max = INT_MAX, .defval = "0"},
};

/* ---- error statistics ---------------------------------------------------- */

#define MAX_ERR_CODES 64
static struct { char code[32]; uint64_t count; } err_codes[MAX_ERR_CODES];
static int nerr_codes;

void server_count_error(const char *msg)
{
    size_t n = strcspn(msg, " \r\n");
    if (n >= 32) n = 31;
    for (int i = 0; i < nerr_codes; i++)
        if (strlen(err_codes[i].code) == n && !memcmp(err_codes[i].code, msg, n)) { err_codes[i].count++; return; }
    if (nerr_codes < MAX_ERR_CODES) {
        memcpy(err_codes[nerr_codes].code, msg, n);
        err_codes[nerr_codes].code[n] = '\0';
        err_codes[nerr_codes].count = 1;
        nerr_codes++;
    }
}

size_t server_error_stats(char *out, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < nerr_codes && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "errorstat_%s:count=%llu\r\n", err_codes[i].code,
                              (unsigned long long)err_codes[i].count);
    return n;
}

void server_reset_error_stats(void) { nerr_codes = 0; }

void server_bytes_human(char *buf, size_t cap, unsigned long long n)
{
    double d = (double)n;
    if (n < 1024) snprintf(buf, cap, "%lluB", n);
    else if (n < 1024ULL * 1024) snprintf(buf, cap, "%.2fK", d / 1024);
    else if (n < 1024ULL * 1024 * 1024) snprintf(buf, cap, "%.2fM", d / (1024 * 1024));
    else if (n < 1024ULL * 1024 * 1024 * 1024) snprintf(buf, cap, "%.2fG", d / (1024.0 * 1024 * 1024));
    else snprintf(buf, cap, "%.2fT", d / (1024.0 * 1024 * 1024 * 1024));
}

void server_die(const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s\n", msg);
    log_raw(LOG_WARNING, "%s", msg);
    exit(1);
}

/* ---- listening ----------------------------------------------------------- */

static int listen_one(const char *addr, int port, int optional)
{
    struct addrinfo hints = {0}, *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    hints.ai_family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    int rc = getaddrinfo(addr, portstr, &hints, &res);
    if (rc != 0) {
        if (optional) return 0;
        server_die("Could not create server TCP listening socket %s:%d: %s", addr, port, gai_strerror(rc));
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        if (optional) return 0;
        server_die("Could not create server TCP listening socket %s:%d: %s", addr, port, strerror(errno));
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (res->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, server.cfg.tcp_backlog) < 0) {
        int e = errno;
        close(fd);
        freeaddrinfo(res);
        if (optional && (e == EADDRNOTAVAIL || e == EAFNOSUPPORT || e == EPROTONOSUPPORT)) return 0;
        server_die("Warning: Could not create server TCP listening socket %s:%d: %s", addr, port, strerror(e));
    }
    freeaddrinfo(res);
    if (server.nlisten >= 16) server_die("Too many bind addresses");
    server.listen_fds[server.nlisten++] = fd;
    ev_add(server.loop, fd, EV_READABLE, conn_accept_tcp, NULL);
    return 1;
}

static void listen_all(void)
{
    if (server.cfg.port != 0) {
        char **av;
        int ac = cfg_split_line(server.cfg.bind ? server.cfg.bind : "", &av);
        if (ac <= 0) {
            cfg_free_args(ac, av);
            ac = cfg_split_line("* -::*", &av);
        }
        for (int i = 0; i < ac; i++) {
            const char *a = av[i];
            int optional = 0;
            if (a[0] == '-') { optional = 1; a++; }
            if (!strcmp(a, "*")) a = "0.0.0.0";
            else if (!strcmp(a, "::*")) a = "::";
            listen_one(a, server.cfg.port, optional);
        }
        cfg_free_args(ac, av);
        if (server.nlisten == 0) server_die("Failed listening on port %d (tcp), aborting.", server.cfg.port);
    }
    server.unix_fd = -1;
    if (server.cfg.unixsocket && *server.cfg.unixsocket) {
        unlink(server.cfg.unixsocket);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {0};
        sa.sun_family = AF_UNIX;
        if (strlen(server.cfg.unixsocket) >= sizeof(sa.sun_path))
            server_die("unixsocket path too long: %s", server.cfg.unixsocket);
        strcpy(sa.sun_path, server.cfg.unixsocket);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, server.cfg.tcp_backlog) < 0)
            server_die("Failed opening Unix socket %s: %s", server.cfg.unixsocket, strerror(errno));
        if (server.cfg.unixsocketperm) chmod(server.cfg.unixsocket, (mode_t)server.cfg.unixsocketperm);
        server.unix_fd = fd;
        ev_add(server.loop, fd, EV_READABLE, conn_accept_unix, NULL);
    }
}

void server_prepare_shutdown(void)
{
    for (int i = 0; i < server.nlisten; i++) close(server.listen_fds[i]);
    server.nlisten = 0;
    if (server.unix_fd >= 0) {
        close(server.unix_fd);
        unlink(server.cfg.unixsocket);
        server.unix_fd = -1;
    }
    if (server.cfg.pidfile && *server.cfg.pidfile) unlink(server.cfg.pidfile);
}

/* ---- hooks, cron and the loop -------------------------------------------- */

#define MAX_HOOKS 16
static void (*sleep_hooks[MAX_HOOKS])(void);
static int nsleep_hooks;
static void (*cron_hooks[MAX_HOOKS])(void);
static int ncron_hooks;

void server_add_before_sleep(void (*fn)(void)) { if (nsleep_hooks < MAX_HOOKS) sleep_hooks[nsleep_hooks++] = fn; }
void server_add_cron(void (*fn)(void)) { if (ncron_hooks < MAX_HOOKS) cron_hooks[ncron_hooks++] = fn; }

static void before_sleep(ev_loop *l)
{
    /* A signal landing after the hooks ran must wait for the next round:
     * the shutdown hook (the final save) has to see it before we stop. */
    int stop = server.shutdown_asap;
    for (int i = 0; i < nsleep_hooks; i++) sleep_hooks[i]();
    conn_write_pending();
    conn_free_pending();
    /* Busy polling pays when clients just got replies and will answer at
     * once; an iteration whose replies are all held for the journal sent
     * nothing, and its clients cannot write again before the sync. */
    static uint64_t out_before;
    ev_poll_hint(l, conn_stat_net_out != out_before);
    out_before = conn_stat_net_out;
    if (stop && server.shutdown_asap) ev_stop(server.loop);
}

static void track_ops(void)
{
    uint64_t now = (uint64_t)util_mstime();
    uint64_t dt = now - server.stat_ops_last_ms;
    if (dt >= 100) {
        server.stat_ops_sec = (double)(server.stat_commands - server.stat_ops_last_cmds) * 1000.0 / (double)dt;
        server.stat_net_in_kbps = (double)(conn_stat_net_in - server.stat_net_in_sample_last) / 1024.0 * 1000.0 / (double)dt;
        server.stat_net_out_kbps = (double)(conn_stat_net_out - server.stat_net_out_sample_last) / 1024.0 * 1000.0 / (double)dt;
        server.stat_ops_last_cmds = server.stat_commands;
        server.stat_net_in_sample_last = conn_stat_net_in;
        server.stat_net_out_sample_last = conn_stat_net_out;
        server.stat_ops_last_ms = now;
    }
}

static int server_cron(ev_loop *l, long long id, void *priv)
{
    (void)l; (void)id; (void)priv;
    server.cron_loops++;
    db_now_ms = util_mstime();
    db_lru_clock = (uint32_t)(db_now_ms / 1000);
    track_ops();
    uint64_t used = tier_used_total();
    if ((long long)used > server.stat_peak_memory) server.stat_peak_memory = (long long)used;
    /* active expiry and incremental rehash: about 1/4 of a cron period at most */
    uint64_t budget = 250000 / (uint64_t)(server.cfg.hz > 0 ? server.cfg.hz : 10);
    uint64_t per_db = budget / (uint64_t)server.ndbs + 1;
    for (int i = 0; i < server.ndbs; i++) {
        db *d = &server.dbs[i];
        if (server.cfg.active_expire) server.stat_expired += db_active_expire(d, per_db);
        if (dict_is_rehashing(&d->keys)) dict_rehash_us(&d->keys, 1000);
        else dict_try_shrink(&d->keys);
    }
    conn_cron();
    for (int i = 0; i < ncron_hooks; i++) cron_hooks[i]();
    return 1000 / (server.cfg.hz > 0 ? server.cfg.hz : 10);
}

static void on_signal(int sig)
{
    server.shutdown_signal = sig;
    server.shutdown_asap = 1;
}

static void make_run_id(void)
{
    uint8_t seed[20];
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, seed, sizeof(seed)) != (ssize_t)sizeof(seed)) {
        for (size_t i = 0; i < sizeof(seed); i++) seed[i] = (uint8_t)(util_ustime() >> (i % 8));
    }
    if (fd >= 0) close(fd);
    util_hash_seed(seed);
    static const char hex[] = "0123456789abcdef";
    uint64_t x = util_ustime() ^ ((uint64_t)getpid() << 32);
    for (int i = 0; i < 40; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        server.run_id[i] = hex[(x ^ seed[i % 20]) & 15];
    }
    server.run_id[40] = '\0';
}

/* Modules register their configs and hooks here (called once). */
void server_register_modules(void);

static void usage(void)
{
    fprintf(stderr,
            "Usage: ./tierdb-server [/path/to/tierdb.conf] [options] [-]\n"
            "       ./tierdb-server - (read config from stdin)\n"
            "       ./tierdb-server -v or --version\n"
            "       ./tierdb-server -h or --help\n\n"
            "Examples:\n"
            "       ./tierdb-server (run the server with default config)\n"
            "       ./tierdb-server /etc/tierdb/6379.conf\n"
            "       ./tierdb-server --port 7777\n"
            "       ./tierdb-server /etc/mytierdb.conf --loglevel verbose\n");
    exit(1);
}

/* Start-up shared by tierdb-server and tierdb-snapshot: the allocator, the
 * config registry with every module's entries, the config file and
 * "--name value" options, logging, and chdir to `dir`.  Keeping one path
 * means the snapshotter reads a config file exactly as the server does.
 * Returns 0, or -1 after printing the config error. */
int server_boot(const char *conf, int argc, char **argv)
{
    tier_init_default();
    memset(&server, 0, sizeof(server));
    server.pid = getpid();
    server.start_ms = util_mstime();
    server.cfg.active_expire = 1;
    server.unix_fd = -1;
    make_run_id();

    cfg_register(server_configs, sizeof(server_configs) / sizeof(server_configs[0]));
    server_register_modules();

    if (conf && strcmp(conf, "-") != 0) {
        char *abs = realpath(conf, NULL);
        if (abs) {
            server.config_file = tier_dram_strdup(abs);
            free(abs);   /* realpath's buffer */
        }
    }
    char err[2048];
    if (cfg_load(conf, argc, argv, err, sizeof(err)) < 0) {
        fprintf(stderr, "\n%s\n", err);
        return -1;
    }
    log_verbosity = server.cfg.loglevel;
    if (server.cfg.logfile && *server.cfg.logfile) log_set_file(server.cfg.logfile);
    if (server.cfg.dir && chdir(server.cfg.dir) != 0)
        server_die("Can't chdir to '%s': %s", server.cfg.dir, strerror(errno));
    return 0;
}

/* The databases and the command table (after server_boot). */
void server_init_keyspace(void)
{
    server.ndbs = server.cfg.databases;
    server.dbs = tier_dram_calloc(sizeof(db) * (size_t)server.ndbs);
    for (int i = 0; i < server.ndbs; i++) db_init(&server.dbs[i], i);
    db_now_ms = util_mstime();
    db_lru_clock = (uint32_t)(db_now_ms / 1000);
    cmd_init();
}

int server_main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version"))) {
        printf("tierdb server v=%s redis-compat=%s\n", PACKAGE_VERSION, TDB_VERSION);
        return 0;
    }
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) usage();

    const char *conf = NULL;
    int first_opt = 1;
    if (argc >= 2 && strncmp(argv[1], "--", 2) != 0) {
        conf = argv[1];
        first_opt = 2;
    }
    if (server_boot(conf, argc - first_opt, argv + first_opt) < 0) return 1;
    /* The PMem tier opens before anything allocates user data. */
    tiering_start();

    if (server.cfg.daemonize) {
        if (fork() != 0) exit(0);
        setsid();
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) { dup2(fd, 0); dup2(fd, 1); dup2(fd, 2); if (fd > 2) close(fd); }
        server.pid = getpid();
    }
    if (server.cfg.pidfile && *server.cfg.pidfile) {
        FILE *fp = fopen(server.cfg.pidfile, "w");
        if (fp) { fprintf(fp, "%d\n", (int)getpid()); fclose(fp); }
    }

    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    /* file descriptors: clients + listeners + journal/snapshot files */
    struct rlimit rl;
    rlim_t want = (rlim_t)server.cfg.maxclients + 128;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
        rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < want && rl.rlim_cur > 128) {
            log_msg(LOG_WARNING, "You requested maxclients of %d requiring at least %llu max file descriptors; lowered to %llu.",
                    server.cfg.maxclients, (unsigned long long)want, (unsigned long long)rl.rlim_cur - 128);
            server.cfg.maxclients = (int)(rl.rlim_cur - 128);
        }
    }
    server.loop = ev_create(server.cfg.maxclients + 128);
    if (!server.loop) server_die("Failed creating the event loop: %s", strerror(errno));
    server_init_keyspace();

    listen_all();
    ev_timer_add(server.loop, 1, server_cron, NULL);
    ev_set_before_sleep(server.loop, before_sleep);
    /* replays the journal, answering -LOADING meanwhile */
    durability_start();

    log_msg(LOG_NOTICE, "tierdb %s (Redis %s compatible) started, pid=%d, port=%d", PACKAGE_VERSION,
            TDB_VERSION, (int)server.pid, server.cfg.port);
    log_msg(LOG_NOTICE, "Ready to accept connections");
    ev_main(server.loop);

    log_msg(LOG_NOTICE, "User requested shutdown...");
    snapshot_shutdown();
    durability_stop();
    server_prepare_shutdown();
    log_msg(LOG_NOTICE, "tierdb is now ready to exit, bye bye...");
    return 0;
}
