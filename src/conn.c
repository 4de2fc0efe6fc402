/* conn.c -- clients, sockets and replies; see conn.h.
 *
 * DESIGN
 *   Read path: read() into qbuf, then run every complete command in it.
 *   Arguments are spans of qbuf turned into pointers just before the call;
 *   qbuf is compacted (unparsed tail moved to the front) only after the
 *   loop, so pointers stay valid for the whole command.  A bulk argument
 *   larger than PROTO_BIG_ARG makes qbuf grow to exactly what the command
 *   needs, so a large SET is read with few copies.
 *
 *   Write path: reply_* append to c->buf (16 KB, allocated once per client)
 *   and, when full or when chunks already exist, to a chunk list.  The client
 *   is put on the pending list; before_sleep calls conn_write_pending(),
 *   which writes each client with one writev.  Only what the kernel refuses
 *   gets a write handler.  Appending is never a syscall.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "blocked.h"
#include "cfg.h"
#include "pubsub.h"
#include "cmd.h"
#include "log.h"
#include "server.h"
#include "tier.h"
#include "util.h"

client *conn_all;
uint64_t conn_count;
client *conn_current;
uint64_t conn_stat_rejected, conn_stat_net_in, conn_stat_net_out, conn_stat_connections;

static client *pending_head;
static uint64_t next_client_id = 1;

#define QBUF_INIT 16384
#define QBUF_READ_MAX (256 * 1024)

/* ---- lifecycle ---------------------------------------------------------- */

static void read_handler(ev_loop *l, int fd, void *priv, int mask);
static void close_vec_remove(client *c);
static void write_handler(ev_loop *l, int fd, void *priv, int mask);

client *conn_create(int fd, int flags)
{
    client *c = tier_dram_calloc(sizeof(*c));
    c->id = next_client_id++;
    c->fd = fd;
    c->flags = (uint32_t)flags;
    c->resp = 2;
    c->authenticated = !(server.cfg.requirepass && *server.cfg.requirepass);
    c->db = &server.dbs[0];
    c->ctime = c->last_interaction = util_mstime();
    proto_init(&c->parser, server.cfg.proto_max_bulk_len);
    c->parser.authenticated = c->authenticated;
    c->buf = NULL;
    if (fd >= 0) {
        if (ev_add(server.loop, fd, EV_READABLE, read_handler, c) < 0) {
            proto_free(&c->parser);
            tier_dram_free(c);
            return NULL;
        }
    }
    c->next = conn_all;
    if (conn_all) conn_all->prev = c;
    conn_all = c;
    conn_count++;
    return c;
}

static void unlink_pending(client *c)
{
    if (!(c->flags & CF_PENDING_WRITE)) return;
    for (client **p = &pending_head; *p; p = &(*p)->pending_next) {
        if (*p == c) {
            *p = c->pending_next;
            break;
        }
    }
    c->flags &= ~CF_PENDING_WRITE;
}

/* Hooks other modules set to clean their per-client state. */
void (*conn_free_hook)(client *c);
static void (*free_hooks[16])(client *c);
static int nfree_hooks;
void conn_add_free_hook(void (*fn)(client *c)) { if (nfree_hooks < 16) free_hooks[nfree_hooks++] = fn; }

void monitor_forget(client *c);

void conn_free(client *c)
{
    if (conn_free_hook) conn_free_hook(c);
    monitor_forget(c);
    for (int i = 0; i < nfree_hooks; i++) free_hooks[i](c);
    if (c->flags & CF_IN_FREE_LIST) close_vec_remove(c);
    if (c->fd >= 0) {
        ev_del(server.loop, c->fd, EV_READABLE | EV_WRITABLE);
        close(c->fd);
        c->fd = -1;
    }
    unlink_pending(c);
    if (c->prev) c->prev->next = c->next;
    else conn_all = c->next;
    if (c->next) c->next->prev = c->prev;
    conn_count--;
    conn_reset_args(c);
    tier_dram_free(c->argv);
    proto_free(&c->parser);
    tier_dram_free(c->qbuf);
    tier_dram_free(c->buf);
    while (c->reply) {
        reply_chunk *n = c->reply->next;
        tier_dram_free(c->reply);
        c->reply = n;
    }
    if (conn_current == c) conn_current = NULL;
    tier_dram_free(c);
}

/* Clients to free at the next safe point (never inside their own command). */
static client **close_vec;
static size_t close_n, close_cap;

void conn_close_async(client *c)
{
    if (c->flags & CF_IN_FREE_LIST) return;
    c->flags |= CF_CLOSE_ASAP | CF_IN_FREE_LIST;
    if (close_n == close_cap) {
        close_cap = close_cap ? close_cap * 2 : 16;
        close_vec = tier_dram_realloc(close_vec, close_cap * sizeof(client *));
    }
    close_vec[close_n++] = c;
}

static void close_vec_remove(client *c)
{
    for (size_t i = 0; i < close_n; i++)
        if (close_vec[i] == c) { close_vec[i] = close_vec[--close_n]; return; }
}

void conn_free_pending(void)
{
    size_t i = 0;
    while (i < close_n) {
        client *c = close_vec[i];
        if (c->flags & CF_PROTECTED) { i++; continue; }
        close_vec[i] = close_vec[--close_n];
        c->flags &= ~CF_IN_FREE_LIST;
        conn_free(c);
    }
}

static int is_loopback(const struct sockaddr_storage *sa)
{
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        return IN6_IS_ADDR_LOOPBACK(&s->sin6_addr) ||
               (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr) && s->sin6_addr.s6_addr[12] == 127);
    }
    return 1;
}

static void format_addr(const struct sockaddr_storage *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
        port = ntohs(s->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
        port = ntohs(s->sin6_port);
    }
    snprintf(out, cap, "%s:%d", ip, port);
}

static void reject(int fd, const char *msg)
{
    ssize_t w = write(fd, msg, strlen(msg));
    (void)w;
    close(fd);
    conn_stat_rejected++;
}

static void accept_common(int fd, int flags, const struct sockaddr_storage *sa)
{
    if (conn_count >= (uint64_t)server.cfg.maxclients) {
        reject(fd, "-ERR max number of clients reached\r\n");
        return;
    }
    if (!(flags & CF_UNIX) && server.cfg.protected_mode &&
        !(server.cfg.requirepass && *server.cfg.requirepass) && !is_loopback(sa)) {
        reject(fd,
               "-DENIED Redis is running in protected mode because protected mode is enabled and "
               "no password is set for the default user. In this mode connections are only accepted "
               "from the loopback interface. If you want to connect from external computers to "
               "Redis you may adopt one of the following solutions: 1) Just disable protected mode "
               "sending the command 'CONFIG SET protected-mode no' from the loopback interface by "
               "connecting to Redis from the same host the server is running, however MAKE SURE "
               "Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to "
               "make this change permanent. 2) Alternatively you can just disable the protected "
               "mode by editing the Redis configuration file, and setting the protected mode "
               "option to 'no', and then restarting the server. 3) If you started the server "
               "manually just for testing, restart it with the '--protected-mode no' option. 4) "
               "Set up an authentication password for the default user. NOTE: You only need to do "
               "one of the above things in order for the server to start accepting connections "
               "from the outside.\r\n");
        return;
    }
    if (!(flags & CF_UNIX)) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (server.cfg.tcp_keepalive > 0) setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    }
    client *c = conn_create(fd, flags);
    if (!c) {
        close(fd);
        return;
    }
    conn_stat_connections++;
    if (flags & CF_UNIX) {
        snprintf(c->addr, sizeof(c->addr), "%s:0", server.cfg.unixsocket ? server.cfg.unixsocket : "");
        snprintf(c->laddr, sizeof(c->laddr), "%s:0", server.cfg.unixsocket ? server.cfg.unixsocket : "");
    } else {
        format_addr(sa, c->addr, sizeof(c->addr));
        struct sockaddr_storage la;
        socklen_t ll = sizeof(la);
        if (getsockname(fd, (struct sockaddr *)&la, &ll) == 0) format_addr(&la, c->laddr, sizeof(c->laddr));
    }
}

static void accept_loop(int lfd, int flags)
{
    for (int i = 0; i < 1000; i++) {
        struct sockaddr_storage sa;
        socklen_t sl = sizeof(sa);
        /* non-blocking from the start: no fcntl round trip per connection */
        int fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_msg(LOG_WARNING, "Accepting client connection: %s", strerror(errno));
            return;
        }
        accept_common(fd, flags, &sa);
    }
}

void conn_accept_tcp(ev_loop *l, int fd, void *priv, int mask)
{
    (void)l; (void)priv; (void)mask;
    accept_loop(fd, 0);
}

void conn_accept_unix(ev_loop *l, int fd, void *priv, int mask)
{
    (void)l; (void)priv; (void)mask;
    accept_loop(fd, CF_UNIX);
}

static const cfg_entry conn_configs[] = {
    /* microseconds the event loop polls after a busy iteration before it
     * sleeps; see ev.h */
    {.name = "busy-poll-us", .type = CFG_INT, .ptr = &ev_busy_poll_us, .min = 0, .max = 100000, .defval = "10"},
};

void conn_register_configs(void) { cfg_register(conn_configs, sizeof(conn_configs) / sizeof(conn_configs[0])); }

/* ---- input -------------------------------------------------------------- */

void conn_reset_args(client *c)
{
    if (c->argv_owned) {
        for (int i = 0; i < c->argc; i++) tier_dram_free(c->argv[i].p);
        c->argv_owned = 0;
    }
    c->argc = 0;
}

static void ensure_argv(client *c, int n)
{
    if (n <= c->argv_cap) return;
    int cap = c->argv_cap ? c->argv_cap : 8;
    while (cap < n) cap *= 2;
    c->argv = tier_dram_realloc(c->argv, sizeof(arg) * (size_t)cap);
    c->argv_cap = cap;
}

static void protocol_error(client *c)
{
    char msg[160];
    snprintf(msg, sizeof(msg), "%s", c->parser.err);
    log_msg(LOG_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s", msg,
            (unsigned long long)c->id, c->addr);
    reply_error(c, msg);
    c->flags |= CF_CLOSE_AFTER_REPLY;
}

void conn_process_input(client *c)
{
    while (c->qpos < c->qlen || c->parser.type) {
        if (c->flags & (CF_BLOCKED | CF_CLOSE_AFTER_REPLY | CF_CLOSE_ASAP)) break;
        int argc;
        size_t need, start = c->qpos;
        c->parser.authenticated = c->authenticated || !(server.cfg.requirepass && *server.cfg.requirepass);
        c->parser.max_bulk = server.cfg.proto_max_bulk_len;   /* CONFIG SET applies at once */
        int rc = proto_parse(&c->parser, c->qbuf, c->qlen, &start, &argc, &need);
        if (rc == PROTO_MORE) {
            /* grow now so a big argument lands in one buffer */
            if (need > PROTO_BIG_ARG && c->qpos + need > c->qcap) {
                if (c->qpos > 0) {
                    /* compacting moves bytes; offsets in the parser are absolute */
                    size_t shift = c->qpos;
                    memmove(c->qbuf, c->qbuf + shift, c->qlen - shift);
                    c->qlen -= shift;
                    c->qpos = 0;
                    c->parser.pos -= shift;
                    for (long long i = 0; i < c->parser.mb_done; i++) c->parser.spans[i].off -= shift;
                }
                if (need > c->qcap) {
                    c->qbuf = tier_dram_realloc(c->qbuf, need);
                    c->qcap = need;
                }
            }
            break;
        }
        if (rc == PROTO_ERR) {
            protocol_error(c);
            c->qpos = c->qlen;
            proto_reset(&c->parser);
            break;
        }
        c->qpos = start;
        if (argc == 0) continue;
        ensure_argv(c, argc);
        for (int i = 0; i < argc; i++) {
            c->argv[i].p = c->qbuf + c->parser.spans[i].off;
            c->argv[i].len = c->parser.spans[i].len;
        }
        c->argc = argc;
        conn_current = c;
        c->flags |= CF_PROTECTED;
        cmd_call(c);
        /* CLIENT REPLY SKIP silences exactly the command after it */
        if (c->flags & CF_REPLY_SKIP) c->flags &= ~CF_REPLY_SKIP;
        if (c->flags & CF_REPLY_SKIP_NEXT) c->flags = (c->flags & ~CF_REPLY_SKIP_NEXT) | CF_REPLY_SKIP;
        c->flags &= ~CF_PROTECTED;
        conn_current = NULL;
        if (!(c->flags & CF_BLOCKED)) conn_reset_args(c);
        blk_serve_ready();
    }
    /* compact: keep only the unparsed tail (no command in flight uses qbuf) */
    if (c->qpos > 0 && !(c->flags & CF_BLOCKED)) {
        size_t shift = c->qpos;
        if (c->qlen > shift) memmove(c->qbuf, c->qbuf + shift, c->qlen - shift);
        c->qlen -= shift;
        c->qpos = 0;
        if (c->parser.type) {
            c->parser.pos -= shift;
            for (long long i = 0; i < c->parser.mb_done; i++) c->parser.spans[i].off -= shift;
        }
    }
    /* give back a big buffer once idle */
    if (c->qlen == 0 && c->qcap > 4 * QBUF_INIT && !c->parser.type) {
        tier_dram_free(c->qbuf);
        c->qbuf = NULL;
        c->qcap = 0;
    }
}

static void read_handler(ev_loop *l, int fd, void *priv, int mask)
{
    (void)l; (void)mask;
    client *c = priv;
    if (c->flags & (CF_CLOSE_ASAP | CF_CLOSE_AFTER_REPLY)) return;
    /* A pipeline of big requests arrives faster than 16 KB reads drain it:
     * each read ran the commands it completed and wrote their replies, so
     * a 64 KB pipeline cost 6 reads and 6 writes (redis: 4).  A read that
     * fills all the room asks for twice as much next time, up to
     * QBUF_READ_MAX; one that leaves most of it empty halves it again. */
    size_t want = c->rd_want ? c->rd_want : QBUF_INIT;
    if (!c->qbuf) {
        c->qcap = want;
        c->qbuf = tier_dram_malloc(c->qcap);
    }
    if (c->qcap - c->qlen < want / 2) {
        size_t ncap = c->qcap * 2;
        if (c->qlen + want > ncap) ncap = c->qlen + want;
        c->qbuf = tier_dram_realloc(c->qbuf, ncap);
        c->qcap = ncap;
    }
    size_t room = c->qcap - c->qlen;
    ssize_t n = read(fd, c->qbuf + c->qlen, room);
    if (n > 0) {
        if ((size_t)n == room && want < QBUF_READ_MAX) c->rd_want = want * 2;
        else if ((size_t)n < room / 4 && want > QBUF_INIT) c->rd_want = want / 2;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        log_msg(LOG_VERBOSE, "Reading from client: %s", strerror(errno));
        conn_free(c);
        return;
    }
    if (n == 0) {
        log_msg(LOG_VERBOSE, "Client closed connection id=%llu addr=%s", (unsigned long long)c->id, c->addr);
        conn_free(c);
        return;
    }
    c->qlen += (size_t)n;
    conn_stat_net_in += (uint64_t)n;
    server.stat_total_reads++;
    if (c->qlen > c->qpeak) c->qpeak = c->qlen;
    if ((long long)c->qlen > server.cfg.client_query_buffer_limit) {
        log_msg(LOG_WARNING, "Closing client that reached max query buffer length: id=%llu addr=%s qbuf=%zu",
                (unsigned long long)c->id, c->addr, c->qlen);
        conn_free(c);
        return;
    }
    conn_process_input(c);
}

/* ---- output ------------------------------------------------------------- */

size_t conn_output_len(const client *c) { return c->bufpos + c->reply_bytes; }

void conn_queue_write(client *c);
static inline void queue_write(client *c)
{
    if (c->flags & CF_PENDING_WRITE) return;
    if (c->fd < 0) return;
    c->flags |= CF_PENDING_WRITE;
    c->pending_next = pending_head;
    pending_head = c;
}

static void check_obuf_limits(client *c)
{
    int cls = (c->flags & CF_PUBSUB) ? 2 : 0;
    long long hard = server.cfg.obuf_hard[cls];
    long long soft = server.cfg.obuf_soft[cls];
    size_t used = c->reply_bytes;
    if (hard && (long long)used > hard) {
        if (!(c->flags & CF_CLOSE_ASAP))
            log_msg(LOG_WARNING, "Client id=%llu addr=%s scheduled to be closed ASAP for overcoming of output buffer limits.",
                    (unsigned long long)c->id, c->addr);
        conn_close_async(c);
        return;
    }
    if (soft && (long long)used > soft) {
        int64_t now = util_mstime();
        if (!c->soft_limit_since) c->soft_limit_since = (uint64_t)now;
        else if (now - (int64_t)c->soft_limit_since > server.cfg.obuf_soft_secs[cls] * 1000)
            conn_close_async(c);
    } else {
        c->soft_limit_since = 0;
    }
}

static inline int reply_suppressed(client *c)
{
    return (c->flags & (CF_REPLY_OFF | CF_REPLY_SKIP | CF_CLOSE_ASAP)) != 0;
}

static void append_chunks(client *c, const char *p, size_t len)
{
    reply_chunk *t = c->reply_tail;
    if (t && t->size > t->used) {
        size_t n = t->size - t->used < len ? t->size - t->used : len;
        memcpy(t->buf + t->used, p, n);
        t->used += n;
        c->reply_bytes += n;
        p += n;
        len -= n;
    }
    if (len) {
        size_t size = len > CONN_CHUNK_MIN ? len : CONN_CHUNK_MIN;
        reply_chunk *nc = tier_dram_malloc(sizeof(reply_chunk) + size);
        nc->size = tier_usable_size(nc) - sizeof(reply_chunk);
        nc->used = len;
        nc->next = NULL;
        memcpy(nc->buf, p, len);
        if (c->reply_tail) c->reply_tail->next = nc;
        else c->reply = nc;
        c->reply_tail = nc;
        c->reply_bytes += len;
    }
    check_obuf_limits(c);
}

void reply_raw(client *c, const char *p, size_t len)
{
    if (reply_suppressed(c)) return;
    if (c->fd >= 0) queue_write(c);
    c->out_total += len;
    if (!c->reply) {
        if (!c->buf) c->buf = tier_dram_malloc(CONN_REPLY_BUF);
        size_t space = CONN_REPLY_BUF - c->bufpos;
        if (len <= space) {
            memcpy(c->buf + c->bufpos, p, len);
            c->bufpos += len;
            return;
        }
    }
    append_chunks(c, p, len);
}

/* Header "<t><n>\r\n" */
static void reply_header(client *c, char t, long long n)
{
    char buf[32];
    buf[0] = t;
    size_t l = 1 + util_ll2str(buf + 1, n);
    buf[l++] = '\r';
    buf[l++] = '\n';
    reply_raw(c, buf, l);
}

void reply_ok(client *c) { reply_raw(c, "+OK\r\n", 5); }

void reply_status(client *c, const char *s)
{
    size_t n = strlen(s);
    char stack[256];
    char *b = n + 3 <= sizeof(stack) ? stack : tier_dram_malloc(n + 3);
    b[0] = '+';
    memcpy(b + 1, s, n);
    b[n + 1] = '\r';
    b[n + 2] = '\n';
    reply_raw(c, b, n + 3);
    if (b != stack) tier_dram_free(b);
}

void reply_error(client *c, const char *msg)
{
    /* Errors never contain newlines: Redis replaces them with spaces. */
    size_t n = strlen(msg);
    int has_code = msg[0] == '-' ? 1 : 0;
    if (has_code) { msg++; n--; }
    const char *sp = memchr(msg, ' ', n);
    int coded = 0;
    if (sp) {
        coded = 1;
        for (const char *q = msg; q < sp; q++)
            if (*q < 'A' || *q > 'Z') { coded = 0; break; }
    }
    char stack[512];
    size_t total = 1 + (coded ? 0 : 4) + n + 2;
    char *b = total <= sizeof(stack) ? stack : tier_dram_malloc(total);
    size_t o = 0;
    b[o++] = '-';
    if (!coded) { memcpy(b + o, "ERR ", 4); o += 4; }
    for (size_t i = 0; i < n; i++) b[o++] = (msg[i] == '\r' || msg[i] == '\n') ? ' ' : msg[i];
    b[o++] = '\r';
    b[o++] = '\n';
    server.stat_errors++;
    server_count_error(b + 1);
    reply_raw(c, b, o);
    if (b != stack) tier_dram_free(b);
}

void reply_errorf(client *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    reply_error(c, buf);
}

void reply_bulk(client *c, const char *p, size_t len)
{
    char hdr[32];
    hdr[0] = '$';
    size_t l = 1 + util_ull2str(hdr + 1, len);
    hdr[l++] = '\r';
    hdr[l++] = '\n';
    /* small bulks: one copy into the buffer */
    if (len <= 256) {
        char tmp[32 + 256 + 2];
        memcpy(tmp, hdr, l);
        memcpy(tmp + l, p, len);
        tmp[l + len] = '\r';
        tmp[l + len + 1] = '\n';
        reply_raw(c, tmp, l + len + 2);
        return;
    }
    reply_raw(c, hdr, l);
    reply_raw(c, p, len);
    reply_raw(c, "\r\n", 2);
}

void reply_cstr(client *c, const char *s) { reply_bulk(c, s, strlen(s)); }

void reply_ll(client *c, long long v)
{
    if (v == 0) { reply_raw(c, ":0\r\n", 4); return; }
    if (v == 1) { reply_raw(c, ":1\r\n", 4); return; }
    reply_header(c, ':', v);
}

void reply_double(client *c, double d)
{
    char buf[UTIL_D_STR_SIZE];
    size_t n = util_d2str(buf, sizeof(buf), d);
    if (c->resp >= 3) {
        char out[UTIL_D_STR_SIZE + 4];
        out[0] = ',';
        memcpy(out + 1, buf, n);
        out[n + 1] = '\r';
        out[n + 2] = '\n';
        reply_raw(c, out, n + 3);
    } else {
        reply_bulk(c, buf, n);
    }
}

void reply_human_ld(client *c, long double d)
{
    char buf[UTIL_D_STR_SIZE * 4];
    size_t n = util_ld2str_human(buf, sizeof(buf), d);
    reply_bulk(c, buf, n);
}

void reply_null(client *c)
{
    if (c->resp >= 3) reply_raw(c, "_\r\n", 3);
    else reply_raw(c, "$-1\r\n", 5);
}

void reply_null_array(client *c)
{
    if (c->resp >= 3) reply_raw(c, "_\r\n", 3);
    else reply_raw(c, "*-1\r\n", 5);
}

void reply_bool(client *c, int b)
{
    if (c->resp >= 3) reply_raw(c, b ? "#t\r\n" : "#f\r\n", 4);
    else reply_raw(c, b ? ":1\r\n" : ":0\r\n", 4);
}

void reply_array(client *c, long n) { reply_header(c, '*', n); }
void reply_empty_array(client *c) { reply_raw(c, "*0\r\n", 4); }
void reply_map(client *c, long n) { if (c->resp >= 3) reply_header(c, '%', n); else reply_header(c, '*', n * 2); }
void reply_set(client *c, long n) { reply_header(c, c->resp >= 3 ? '~' : '*', n); }
void reply_push(client *c, long n) { reply_header(c, c->resp >= 3 ? '>' : '*', n); }

void reply_verbatim(client *c, const char *p, size_t len, const char *ext)
{
    if (c->resp < 3) { reply_bulk(c, p, len); return; }
    char hdr[48];
    int l = snprintf(hdr, sizeof(hdr), "=%zu\r\n%.3s:", len + 4, ext);
    reply_raw(c, hdr, (size_t)l);
    reply_raw(c, p, len);
    reply_raw(c, "\r\n", 2);
}

void reply_big_number(client *c, const char *p, size_t len)
{
    if (c->resp < 3) { reply_bulk(c, p, len); return; }
    reply_raw(c, "(", 1);
    reply_raw(c, p, len);
    reply_raw(c, "\r\n", 2);
}

reply_deferred reply_defer(client *c)
{
    reply_deferred d = {NULL};
    if (reply_suppressed(c)) return d;
    if (c->fd >= 0) queue_write(c);
    reply_chunk *nc = tier_dram_malloc(sizeof(reply_chunk) + 32);
    nc->size = 0;     /* no room until filled: later replies go after it */
    nc->used = 0;
    nc->next = NULL;
    if (c->reply_tail) c->reply_tail->next = nc;
    else c->reply = nc;
    c->reply_tail = nc;
    d.chunk = nc;
    return d;
}

void reply_set_deferred(client *c, reply_deferred d, char type, long n)
{
    if (!d.chunk) return;
    char *b = d.chunk->buf;
    b[0] = type;
    size_t l = 1 + util_ll2str(b + 1, n);
    b[l++] = '\r';
    b[l++] = '\n';
    d.chunk->used = l;
    d.chunk->size = l;
    c->reply_bytes += l;
    c->out_total += l;
}

void reply_set_deferred_array(client *c, reply_deferred d, long n) { reply_set_deferred(c, d, '*', n); }
void reply_set_deferred_map(client *c, reply_deferred d, long n)
{
    if (c->resp >= 3) reply_set_deferred(c, d, '%', n);
    else reply_set_deferred(c, d, '*', n * 2);
}
void reply_set_deferred_set(client *c, reply_deferred d, long n)
{
    reply_set_deferred(c, d, c->resp >= 3 ? '~' : '*', n);
}

void reply_err_wrongtype(client *c) { reply_error(c, "WRONGTYPE Operation against a key holding the wrong kind of value"); }
void reply_err_syntax(client *c) { reply_error(c, "ERR syntax error"); }
void reply_err_not_int(client *c) { reply_error(c, "ERR value is not an integer or out of range"); }
void reply_err_not_float(client *c) { reply_error(c, "ERR value is not a valid float"); }
void reply_err_arity(client *c)
{
    reply_errorf(c, "ERR wrong number of arguments for '%s' command", c->cmd ? c->cmd->name : "?");
}

uint64_t (*conn_hold_limit)(client *c);

/* Write as much as the kernel takes, never past the hold limit; returns -1
 * if the client must go. */
static int write_client(client *c)
{
    uint64_t limit = conn_hold_limit ? conn_hold_limit(c) : UINT64_MAX;
    while (c->bufpos > c->sentlen || c->reply) {
        struct iovec iov[16];
        int n = 0;
        size_t total = 0;
        if (limit != UINT64_MAX && c->out_written >= limit) return 0;
        uint64_t allowed = limit == UINT64_MAX ? UINT64_MAX : limit - c->out_written;
        size_t first_off = c->sentlen;
        if (c->bufpos > c->sentlen) {
            iov[n].iov_base = c->buf + c->sentlen;
            iov[n].iov_len = c->bufpos - c->sentlen;
            total += iov[n].iov_len;
            n++;
            first_off = 0;
        }
        for (reply_chunk *ch = c->reply; ch && n < 16; ch = ch->next) {
            size_t off = (ch == c->reply && c->bufpos <= c->sentlen) ? first_off : 0;
            if (ch->used > off) {
                iov[n].iov_base = ch->buf + off;
                iov[n].iov_len = ch->used - off;
                total += iov[n].iov_len;
                n++;
            }
        }
        if (total > allowed) {
            /* trim the vector to the releasable prefix */
            size_t keep = 0;
            int k = 0;
            for (; k < n; k++) {
                if (keep + iov[k].iov_len >= allowed) {
                    iov[k].iov_len = (size_t)(allowed - keep);
                    k++;
                    break;
                }
                keep += iov[k].iov_len;
            }
            n = k;
            total = (size_t)allowed;
        }
        if (total == 0) {
            /* only empty chunks left */
            while (c->reply && c->reply->used == 0) {
                reply_chunk *nx = c->reply->next;
                tier_dram_free(c->reply);
                c->reply = nx;
            }
            if (!c->reply) c->reply_tail = NULL;
            if (c->bufpos <= c->sentlen) { c->bufpos = c->sentlen = 0; }
            if (!c->reply) break;
            continue;
        }
        /* the usual case is one span: write() spares the kernel the iovec copy */
        ssize_t w = n == 1 ? write(c->fd, iov[0].iov_base, iov[0].iov_len) : writev(c->fd, iov, n);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
            log_msg(LOG_VERBOSE, "Error writing to client: %s", strerror(errno));
            return -1;
        }
        conn_stat_net_out += (uint64_t)w;
        server.stat_total_writes++;
        c->out_written += (uint64_t)w;
        size_t left = (size_t)w;
        /* consume buf */
        if (c->bufpos > c->sentlen) {
            size_t in_buf = c->bufpos - c->sentlen;
            if (left >= in_buf) {
                left -= in_buf;
                c->bufpos = c->sentlen = 0;
            } else {
                c->sentlen += left;
                left = 0;
            }
        }
        /* consume chunks: sentlen applies to the head chunk once buf is empty */
        while (left && c->reply) {
            reply_chunk *ch = c->reply;
            size_t off = c->bufpos == 0 ? c->sentlen : 0;
            size_t avail = ch->used - off;
            if (left >= avail) {
                left -= avail;
                c->reply = ch->next;
                c->reply_bytes -= ch->used;
                tier_dram_free(ch);
                c->sentlen = 0;
            } else {
                c->sentlen = off + left;
                left = 0;
            }
        }
        if (!c->reply) c->reply_tail = NULL;
        if ((size_t)w < total) return 0;   /* kernel buffer full */
    }
    if (c->bufpos == 0 && !c->reply) c->sentlen = 0;
    return 0;
}

static int has_output(const client *c) { return c->bufpos > c->sentlen || c->reply != NULL; }

/* Output that may be written now (not held). */
static int has_writable_output(client *c)
{
    if (!has_output(c)) return 0;
    if (!conn_hold_limit) return 1;
    return conn_hold_limit(c) > c->out_written;
}

void conn_queue_write(client *c) { queue_write(c); }

void conn_truncate_output(client *c, uint64_t off)
{
    if (off < c->out_written) off = c->out_written;
    if (off >= c->out_total) return;
    uint64_t keep = off - c->out_written;   /* unwritten bytes to keep */
    /* buf first (its unwritten part), then chunks */
    size_t in_buf = c->bufpos > c->sentlen ? c->bufpos - c->sentlen : 0;
    if (keep <= in_buf) {
        c->bufpos = c->sentlen + (size_t)keep;
        keep = 0;
        while (c->reply) {
            reply_chunk *nx = c->reply->next;
            tier_dram_free(c->reply);
            c->reply = nx;
        }
        c->reply_tail = NULL;
        c->reply_bytes = 0;
    } else {
        keep -= in_buf;
        reply_chunk *ch = c->reply, *prev = NULL;
        size_t off0 = (c->bufpos <= c->sentlen) ? c->sentlen : 0;
        while (ch && keep >= ch->used - off0) {
            keep -= ch->used - off0;
            off0 = 0;
            prev = ch;
            ch = ch->next;
        }
        if (ch) {
            size_t cut = off0 + (size_t)keep;
            size_t dropped = ch->used - cut;
            ch->used = cut;
            ch->size = cut;      /* no appends into a truncated chunk */
            c->reply_bytes -= dropped;
            reply_chunk *rest = ch->next;
            ch->next = NULL;
            c->reply_tail = ch;
            while (rest) {
                reply_chunk *nx = rest->next;
                c->reply_bytes -= rest->used;
                tier_dram_free(rest);
                rest = nx;
            }
        } else if (prev) {
            c->reply_tail = prev;
        }
    }
    c->out_total = off;
}

static void after_write(client *c)
{
    if (has_writable_output(c)) {
        if (!(ev_get_mask(server.loop, c->fd) & EV_WRITABLE))
            ev_add(server.loop, c->fd, EV_WRITABLE, write_handler, c);
    } else {
        if (ev_get_mask(server.loop, c->fd) & EV_WRITABLE) ev_del(server.loop, c->fd, EV_WRITABLE);
        if ((c->flags & CF_CLOSE_AFTER_REPLY) && !has_output(c)) conn_close_async(c);
    }
}

static void write_handler(ev_loop *l, int fd, void *priv, int mask)
{
    (void)l; (void)fd; (void)mask;
    client *c = priv;
    if (write_client(c) < 0) { conn_close_async(c); return; }
    after_write(c);
}

void conn_write_pending(void)
{
    client *c = pending_head;
    pending_head = NULL;
    while (c) {
        client *next = c->pending_next;
        c->flags &= ~CF_PENDING_WRITE;
        c->pending_next = NULL;
        if (!(c->flags & CF_CLOSE_ASAP) && c->fd >= 0) {
            if (!(ev_get_mask(server.loop, c->fd) & EV_WRITABLE)) {
                if (write_client(c) < 0) conn_close_async(c);
                else after_write(c);
            }
        }
        c = next;
    }
}

void conn_cron(void)
{
    int64_t now = util_mstime();
    for (client *c = conn_all; c; c = c->next) {
        if (server.cfg.timeout > 0 && !(c->flags & (CF_BLOCKED | CF_PUBSUB | CF_MONITOR)) &&
            now - c->last_interaction > (int64_t)server.cfg.timeout * 1000) {
            log_msg(LOG_VERBOSE, "Closing idle client id=%llu", (unsigned long long)c->id);
            conn_close_async(c);
        }
        if (c->reply_bytes) check_obuf_limits(c);
    }
}

size_t conn_describe(client *c, char *out, size_t cap)
{
    int64_t now = util_mstime();
    char flags[16];
    size_t f = 0;
    if (c->flags & CF_MULTI) flags[f++] = 'x';
    if (c->flags & CF_BLOCKED) flags[f++] = 'b';
    if (c->flags & CF_PUBSUB) flags[f++] = 'P';
    if (c->flags & CF_MONITOR) flags[f++] = 'O';
    if (c->flags & CF_CLOSE_ASAP) flags[f++] = 'A';
    if (c->flags & CF_CLOSE_AFTER_REPLY) flags[f++] = 'c';
    if (c->flags & CF_DIRTY_CAS) flags[f++] = 'd';
    if (c->flags & CF_UNIX) flags[f++] = 'U';
    if (c->flags & CF_NO_EVICT) flags[f++] = 'e';
    if (f == 0) flags[f++] = 'N';
    flags[f] = '\0';
    int n = snprintf(out, cap,
                     "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d "
                     "sub=%d psub=%d ssub=%d multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=0 "
                     "rbs=%d rbp=%zu obl=%zu oll=%zu omem=%zu tot-mem=%zu events=r cmd=%s%s%s user=default "
                     "redir=-1 resp=%d",
                     (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name,
                     (long long)((now - c->ctime) / 1000), (long long)((now - c->last_interaction) / 1000),
                     flags, c->db ? c->db->id : 0, pubsub_client_channels(c), pubsub_client_patterns(c),
                     pubsub_client_shard_channels(c), c->qlen - c->qpos, c->qcap - c->qlen,
                     c->buf ? CONN_REPLY_BUF : 0, c->qpeak, c->bufpos, (size_t)0, c->reply_bytes,
                     sizeof(client) + c->qcap + (c->buf ? CONN_REPLY_BUF : 0) + c->reply_bytes,
                     c->lastcmd ? c->lastcmd->name : "NULL", c->lastcmd && c->lastsub[0] ? "|" : "",
                     c->lastcmd ? c->lastsub : "", c->resp);
    return n < 0 ? 0 : (size_t)n;
}
