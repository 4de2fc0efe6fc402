/* server.h -- the server's global state: configuration, databases, the
 * event loop and statistics.  Modules that own state of their own (journal,
 * tracker, allocator) keep it in their own structs; this holds only what is
 * shared.  Main thread only.
 */
#ifndef SERVER_H
#define SERVER_H

#include <stdint.h>
#include <sys/types.h>

#include "conn.h"
#include "db.h"
#include "ev.h"

#define TDB_VERSION "7.0.15"          /* the Redis version tierdb answers as */
#define TDB_OWN_VERSION PACKAGE_VERSION
#define TDB_OK 0
#define TDB_ERR -1

typedef struct server_config {
    /* network */
    char *bind;                  /* space-separated addresses */
    int port;
    char *unixsocket;
    int unixsocketperm;
    int tcp_backlog;
    int tcp_keepalive;
    int protected_mode;
    int maxclients;
    int timeout;                 /* idle seconds, 0 = never */
    char *requirepass;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    long long obuf_hard[3], obuf_soft[3], obuf_soft_secs[3];   /* normal, replica, pubsub */
    /* general */
    int databases;
    int hz;
    int daemonize;
    char *pidfile;
    char *logfile;
    int loglevel;
    char *dir;
    char *dbfilename;
    long long maxmemory;
    int maxmemory_policy;
    long long slowlog_log_slower_than;
    long long slowlog_max_len;
    int active_expire;
    /* encodings (data types issue) */
    long long hash_max_listpack_entries, hash_max_listpack_value;
    long long set_max_intset_entries;
    long long zset_max_listpack_entries, zset_max_listpack_value;
    long long list_max_listpack_size;
    long long list_compress_depth;
} server_config;

typedef struct server_state {
    server_config cfg;
    /* runtime */
    ev_loop *loop;
    db *dbs;
    int ndbs;
    char *config_file;           /* absolute path, NULL if none */
    char *exec_path;
    pid_t pid;
    int64_t start_ms;
    char run_id[41];
    int listen_fds[16];
    int nlisten;
    int unix_fd;
    int shutdown_asap;
    int shutdown_signal;        /* the signal that set shutdown_asap (0: SHUTDOWN) */
    int loading;
    uint64_t dirty;              /* changes since start (rdb_changes_since...) */
    uint64_t cron_loops;
    /* stats */
    uint64_t stat_commands;
    uint64_t stat_keyspace_hits, stat_keyspace_misses;
    uint64_t stat_expired;
    uint64_t stat_evicted;
    uint64_t stat_total_reads, stat_total_writes;
    long long stat_peak_memory;
    uint64_t stat_numconnections;
    uint64_t stat_rejected_conn;
    uint64_t stat_unexpected_errors;
    uint64_t stat_errors;        /* total_error_replies */
    uint64_t stat_ops_sec_samples[16];
    int stat_ops_idx;
    uint64_t stat_ops_last_cmds;
    uint64_t stat_ops_last_ms;
    uint64_t stat_net_in_sample_last, stat_net_out_sample_last;
    double stat_ops_sec, stat_net_in_kbps, stat_net_out_kbps;
} server_state;

extern server_state server;

/* Error counters by error code prefix, for INFO errorstats. */
void server_count_error(const char *msg);
/* Called when a write changed the dataset. */
static inline void server_dirty(uint64_t n) { server.dirty += n; }
/* Human-readable memory ("1.50M"). */
void server_bytes_human(char *buf, size_t cap, unsigned long long n);
/* Refuse start-up with a message (before the loop runs). */
void server_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Hooks run by the server cron, and before the loop sleeps, in registration order. */
void server_add_cron(void (*fn)(void));
void server_add_before_sleep(void (*fn)(void));
/* Prepare for exit: close listeners, remove pidfile/socket. */
void server_prepare_shutdown(void);
/* Modules' periodic work: every cron tick, and before each loop sleep. */
void server_add_cron(void (*fn)(void));
void server_add_before_sleep(void (*fn)(void));
/* Start-up shared by tierdb-server and tierdb-snapshot (server.c): boot
 * registers every config entry, loads conf (may be NULL) and the
 * "--name value" options in argv, sets up logging and chdirs to `dir`
 * (0, or -1 after printing the error); init_keyspace creates the databases
 * and the command table.  Neither opens sockets, the journal or PMem. */
int server_boot(const char *conf, int argc, char **argv);
void server_init_keyspace(void);

#endif
