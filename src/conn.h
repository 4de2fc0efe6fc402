/* conn.h -- clients: sockets, the query buffer, RESP replies.
 *
 * What it promises
 *   - Reading: every complete command in a read is executed before the next
 *     read (pipelining); arguments point into the query buffer, no copy and
 *     no allocation per argument.  The buffer is compacted only between
 *     commands.  A client whose query buffer passes client-query-buffer-limit
 *     is closed.
 *   - Replies go to a fixed per-client buffer, then to a list of chunks.
 *     Nothing is written to the socket while commands run: clients with
 *     output are queued and written in before_sleep, one write (or writev)
 *     per client per iteration where the kernel takes it all.
 *   - Replies are encoded for the client's protocol (RESP2 or RESP3) by the
 *     reply_* functions; handlers never write protocol bytes themselves.
 *   - A client is freed at a safe point: conn_close_async() marks it and the
 *     loop frees it after the current command.
 * Main thread only.
 */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

struct db;
struct cmd;
struct ev_loop;

#define CONN_REPLY_BUF 16384
#define CONN_CHUNK_MIN 16384

/* client flags */
#define CF_CLOSE_AFTER_REPLY (1u << 0)   /* QUIT, protocol errors */
#define CF_CLOSE_ASAP (1u << 1)          /* output limits, CLIENT KILL */
#define CF_PENDING_WRITE (1u << 2)       /* in the pending-write list */
#define CF_UNIX (1u << 3)
#define CF_MULTI (1u << 4)
#define CF_DIRTY_EXEC (1u << 5)          /* a queued command failed: EXEC aborts */
#define CF_DIRTY_CAS (1u << 6)           /* a WATCHed key changed */
#define CF_BLOCKED (1u << 7)
#define CF_PUBSUB (1u << 8)
#define CF_MONITOR (1u << 9)
#define CF_REPLY_OFF (1u << 10)
#define CF_REPLY_SKIP_NEXT (1u << 11)
#define CF_REPLY_SKIP (1u << 12)
#define CF_NO_EVICT (1u << 13)
#define CF_PROTECTED (1u << 14)          /* do not free now (in a handler) */
#define CF_IN_FREE_LIST (1u << 15)
#define CF_EXECUTING (1u << 16)

typedef struct arg {
    char *p;
    size_t len;
} arg;

typedef struct reply_chunk {
    struct reply_chunk *next;
    size_t size;      /* capacity of buf */
    size_t used;      /* bytes written to buf */
    char buf[];
} reply_chunk;

typedef struct client {
    uint64_t id;
    int fd;
    uint32_t flags;
    int resp;                      /* 2 or 3 */
    int authenticated;
    struct db *db;
    char name[64];
    char addr[64];                 /* "ip:port" of the peer */
    char laddr[64];
    int64_t ctime;                 /* creation, ms */
    int64_t last_interaction;      /* ms, for timeout and CLIENT LIST idle */
    /* input */
    char *qbuf;                    /* DRAM */
    size_t qlen, qcap, qpos;       /* bytes in buffer, capacity, parse start */
    size_t qpeak;
    size_t rd_want;                /* free space the next read asks for (adaptive) */
    proto_parser parser;
    int argc;
    arg *argv;                     /* into qbuf, or owned copies (see argv_owned) */
    int argv_cap;
    int argv_owned;                /* argv[i].p are allocations to free */
    const struct cmd *cmd, *lastcmd;
    char lastsub[24];              /* subcommand of lastcmd, for CLIENT LIST cmd= */
    /* output */
    char *buf;                     /* CONN_REPLY_BUF bytes, DRAM */
    size_t bufpos;
    size_t sentlen;                /* bytes of the head (buf or first chunk) already written */
    reply_chunk *reply, *reply_tail;
    size_t reply_bytes;            /* bytes in chunks */
    uint64_t soft_limit_since;     /* ms when the soft output limit was passed */
    uint64_t out_total;            /* bytes ever appended to the output (offsets for holds) */
    uint64_t out_written;          /* bytes ever written to the socket */
    uint64_t cmd_out_start;        /* out_total when the running command started */
    void *held;                    /* durability tracker state: replies held for the journal */
    /* bookkeeping */
    struct client *pending_next;   /* pending-write list */
    struct client *prev, *next;    /* all clients */
    uint64_t total_cmds;
    void *multi;                   /* transaction state (t_multi) */
    void *blocked;                 /* blocking state (t_blocking) */
    void *pubsub;                  /* pubsub state */
    void *watched;                 /* watched keys */
} client;

/* ---- lifecycle ---------------------------------------------------------- */
client *conn_create(int fd, int flags);
void conn_free(client *c);
void conn_close_async(client *c);
void conn_free_pending(void);            /* frees clients marked CF_CLOSE_ASAP */
/* Modules clean their per-client state here (called first in conn_free,
 * in registration order). */
void conn_add_free_hook(void (*fn)(client *c));
/* Accept handlers for the listening sockets. */
void conn_accept_tcp(struct ev_loop *l, int fd, void *priv, int mask);
void conn_accept_unix(struct ev_loop *l, int fd, void *priv, int mask);
/* Write every client with pending output; called from before_sleep. */
void conn_write_pending(void);
/* Process commands already in the query buffer (after unblocking). */
void conn_process_input(client *c);
/* Reset argv for the next command (frees owned copies). */
void conn_reset_args(client *c);
/* Registers the connection configs (busy-poll-us). */
void conn_register_configs(void);
/* Kill idle clients (timeout) and enforce buffer limits; from cron. */
void conn_cron(void);
/* A "CLIENT LIST" line for c, appended to out (DRAM, caller frees). */
size_t conn_describe(client *c, char *out, size_t cap);

extern client *conn_all;                 /* list head of all clients */
extern uint64_t conn_count;
extern client *conn_current;             /* the client whose command runs */
extern uint64_t conn_stat_rejected;
extern uint64_t conn_stat_net_in, conn_stat_net_out;
extern uint64_t conn_stat_connections;

/* ---- replies ------------------------------------------------------------ */
void reply_raw(client *c, const char *p, size_t len);
void reply_ok(client *c);
void reply_status(client *c, const char *s);
void reply_error(client *c, const char *msg);      /* msg without "-"; "ERR " added if no code */
void reply_errorf(client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_bulk(client *c, const char *p, size_t len);
void reply_cstr(client *c, const char *s);          /* bulk */
void reply_ll(client *c, long long v);
void reply_double(client *c, double d);              /* RESP3 double, RESP2 bulk */
void reply_human_ld(client *c, long double d);       /* bulk in INCRBYFLOAT style */
void reply_null(client *c);                          /* $-1 / _ */
void reply_null_array(client *c);                    /* *-1 / _ */
void reply_bool(client *c, int b);                   /* :0/1 / #t #f */
void reply_array(client *c, long n);
void reply_map(client *c, long n);                   /* RESP2: array of 2n */
void reply_set(client *c, long n);                   /* RESP2: array */
void reply_push(client *c, long n);                  /* RESP2: array */
void reply_verbatim(client *c, const char *p, size_t len, const char *ext);
void reply_big_number(client *c, const char *p, size_t len);
void reply_empty_array(client *c);

/* Replies whose length is known only afterwards (KEYS, SCAN). */
typedef struct reply_deferred {
    reply_chunk *chunk;
} reply_deferred;
reply_deferred reply_defer(client *c);
void reply_set_deferred(client *c, reply_deferred d, char type, long n);
void reply_set_deferred_array(client *c, reply_deferred d, long n);
void reply_set_deferred_map(client *c, reply_deferred d, long n);
void reply_set_deferred_set(client *c, reply_deferred d, long n);

/* Common errors, exact Redis text. */
void reply_err_wrongtype(client *c);
void reply_err_syntax(client *c);
void reply_err_not_int(client *c);
void reply_err_not_float(client *c);
void reply_err_arity(client *c);

/* Bytes of pending output. */
size_t conn_output_len(const client *c);

/* Output holding (the durability tracker).  conn_hold_limit, when set,
 * returns the absolute output offset up to which c's output may be written
 * (UINT64_MAX = all).  conn_truncate_output drops every unwritten byte from
 * absolute offset off onwards (off >= out_written). */
extern uint64_t (*conn_hold_limit)(client *c);
void conn_truncate_output(client *c, uint64_t off);
/* Queue c for writing in before_sleep (after a hold was released). */
void conn_queue_write(client *c);

#endif
