/* durability.c -- see durability.h.
 *
 * Order inside one event-loop iteration (server.c LOOP ORDER):
 *   commands run  -> effects finished per command -> jnl_append (seq S),
 *                    trk_note_key(keys, S), trk_after_command holds reply
 *   before_sleep  -> jnl_submit (group commit of the iteration's entries)
 *                 -> conn_write_pending writes only what is not held
 *   writer thread -> write + fdatasync -> eventfd
 *   next iteration: eventfd handler -> jnl_on_event -> trk_durable(S)
 *                 -> held replies up to S queued for writing.
 * The seq an entry will get is known before it is appended (last + 1, one
 * appender), which is how keys noted while an entry is being built get the
 * right seq.
 */
#include "durability.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "effects.h"
#include "ev.h"
#include "jnl.h"
#include "log.h"
#include "replay.h"
#include "server.h"
#include "snapshot.h"
#include "trk.h"
#include "util.h"

static jnl_t *J;
static uint64_t replayed_bytes;    /* payload bytes replayed at start-up */
static uint64_t cmd_entry_seq;     /* seq of the entry the running command produced */
static char refuse_msg[300];

int durability_enabled(void) { return J != NULL; }
uint64_t durability_last_seq(void) { return J ? jnl_last_seq(J) : 0; }
uint64_t durability_durable_seq(void) { return J ? jnl_durable_seq(J) : 0; }
int durability_wait(uint64_t seq) { return J && seq ? jnl_wait_durable(J, seq) : 0; }
uint64_t durability_journal_bytes(void)
{
    if (!J) return 0;
    jnl_status st;
    jnl_stats(J, &st);
    return replayed_bytes + st.bytes_written;
}
int durability_trim(uint64_t seq, unsigned *removed)
{
    if (removed) *removed = 0;
    return J ? jnl_trim(J, seq, removed) : 0;
}

static void on_entry(const char *p, size_t len, void *priv)
{
    (void)priv;
    uint64_t seq;
    int rc = jnl_append(J, p, len, &seq);
    if (rc != JNL_OK) {
        /* the journal is in ERROR: writes are refused from now on, and the
         * change just made can never be acknowledged (D4) */
        const char *why = jnl_error(J, NULL);
        trk_fail(why && *why ? why : "journal append failed");
        return;
    }
    cmd_entry_seq = seq;
}

static void on_key(int dbid, const char *key, size_t len, void *priv)
{
    (void)priv;
    trk_note_key(dbid, key, len, jnl_last_seq(J) + 1);
}

static void after_command(client *c, cmd *cm)
{
    uint64_t s = cmd_entry_seq;
    cmd_entry_seq = 0;
    if (s && (cm->flags & CMD_WRITE) && cm->first_key <= 0 && !cm->getkeys) trk_note_all(s);
    trk_after_command(c, cm, s);
}

static const char *refuse_writes(void)
{
    const char *f = trk_failure();
    if (!f) return NULL;
    snprintf(refuse_msg, sizeof(refuse_msg),
             "MISCONF Errors writing to the journal: %s. Commands that may modify the data set are disabled until the journal works again (restart the server after fixing the cause).",
             f);
    return refuse_msg;
}

static void before_sleep_submit(void)
{
    if (J) jnl_submit(J);
}

static void on_journal_event(ev_loop *l, int fd, void *priv, int mask)
{
    (void)l; (void)fd; (void)priv; (void)mask;
    uint64_t durable = 0;
    int rc = jnl_on_event(J, &durable);
    trk_durable(durable);
    if (rc == JNL_ESTATE) {
        const char *why = jnl_error(J, NULL);
        trk_fail(why && *why ? why : "journal error");
    }
}

/* ---- recovery ------------------------------------------------------------ */

typedef struct replay_ctx {
    uint64_t entries, bytes;
    uint64_t start_us;
    char err[512];
} replay_ctx;

/* Bytes of the segment files: the "total" of the loading progress. */
static uint64_t journal_dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    uint64_t sum = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
            sum += (uint64_t)st.st_size;
    }
    closedir(d);
    return sum;
}

static int replay_cb(void *priv, uint64_t seq, const char *payload, size_t len)
{
    replay_ctx *x = priv;
    if (replay_entry(payload, len, x->err, sizeof(x->err)) != 0) {
        char tmp[sizeof(x->err)];
        memcpy(tmp, x->err, sizeof(tmp));
        int n = snprintf(x->err, sizeof(x->err), "entry seq %llu: ", (unsigned long long)seq);
        if (n > 0 && (size_t)n < sizeof(x->err))
            memcpy(x->err + n, tmp, strnlen(tmp, sizeof(x->err) - (size_t)n - 1) + 1);
        x->err[sizeof(x->err) - 1] = '\0';
        return 1;
    }
    x->entries++;
    x->bytes += len;
    /* answers clients with -LOADING meanwhile, logs progress */
    if (!(x->entries & 15)) snapshot_loading_progress(x->entries, x->bytes);
    return 0;
}

void durability_start(void)
{
    /* the snapshot first: the journal replays only what it does not cover */
    uint64_t snap_seq = snapshot_startup_load();
    if (jnl_cfg.durability == JNL_DURABILITY_NONE) {
        log_msg(LOG_NOTICE, "durability none: no journal, writes are not persisted");
        return;
    }
    jnl_options o;
    memset(&o, 0, sizeof(o));
    o.dir = jnl_cfg.dir;
    o.segment_size = (uint64_t)jnl_cfg.segment_size;
    if (jnl_cfg.truncate_corrupt) o.flags |= JNL_O_TRUNCATE_CORRUPT;
    if (jnl_cfg.test_synced_file) o.flags |= JNL_O_SYNCED_FILE;
    if (jnl_cfg.preallocate) o.flags |= JNL_O_PREALLOC;
    if (jnl_cfg.direct_io) o.flags |= JNL_O_DIRECT;
    replay_ctx x;
    memset(&x, 0, sizeof(x));
    x.start_us = util_monotonic_us();
    o.replay = replay_cb;
    o.replay_priv = &x;
    o.replay_after = snap_seq;
    char err[1024];
    jnl_recovery rep;
    snapshot_loading_begin("journal", journal_dir_bytes(jnl_cfg.dir));
    db_expire_paused = 1;
    int rc = jnl_open(&o, &J, &rep, err, sizeof(err));
    db_expire_paused = 0;
    snapshot_loading_end();
    replay_done();
    if (rc != JNL_OK) {
        if (rc == JNL_EABORT)
            server_die("Journal replay failed at %s. The journal in '%s' does not replay cleanly; "
                       "refusing to start with a partial dataset.", x.err, jnl_cfg.dir);
        if (rc == JNL_EGAP)
            server_die("The snapshot '%s' covers the journal up to seq %llu, but the journal in '%s' no longer "
                       "holds the entries right after it (%s). Refusing to start with a gap in the data.",
                       server.cfg.dbfilename, (unsigned long long)snap_seq, jnl_cfg.dir, err);
        server_die("Cannot open the journal in '%s': %s%s", jnl_cfg.dir, err,
                   rc == JNL_ECORRUPT && !strstr(err, "journal-truncate-corrupt")
                       ? " (set journal-truncate-corrupt yes to cut the journal there on purpose)"
                       : "");
    }
    if (snap_seq && rep.next_seq <= snap_seq)
        server_die("The snapshot '%s' covers the journal up to seq %llu, but the journal in '%s' ends at seq "
                   "%llu: the journal is missing entries the snapshot holds. Refusing to start.",
                   server.cfg.dbfilename, (unsigned long long)snap_seq, jnl_cfg.dir,
                   (unsigned long long)(rep.next_seq - 1));
    replayed_bytes = x.bytes;
    double secs = (double)(util_monotonic_us() - x.start_us) / 1e6;
    log_msg(LOG_NOTICE, "Journal loaded: %llu entries (%.1f MB) in %.3f seconds; next seq %llu",
            (unsigned long long)x.entries, (double)x.bytes / 1048576.0, secs,
            (unsigned long long)rep.next_seq);
    /* everything replayed is durable by definition */
    trk_init();
    trk_durable(jnl_durable_seq(J));
    conn_add_free_hook(trk_client_gone);   /* a gone client's holds must not dangle */
    fx_consumer = on_entry;
    fx_key_consumer = on_key;
    cmd_after_durability = after_command;
    cmd_refuse_writes = refuse_writes;
    server_add_before_sleep(before_sleep_submit);
    if (ev_add(server.loop, jnl_event_fd(J), EV_READABLE, on_journal_event, NULL) < 0)
        server_die("Cannot watch the journal's event fd: %s", strerror(errno));
    jnl_set_test_delay_us(J, (uint64_t)jnl_cfg.test_delay_us);
}

void durability_stop(void)
{
    if (!J) return;
    jnl_submit(J);
    if (jnl_close(J) != JNL_OK) log_msg(LOG_WARNING, "Journal closed in error state: some writes were not persisted");
    J = NULL;
}

size_t durability_info(char *buf, size_t cap)
{
    if (!J) return (size_t)snprintf(buf, cap, "durability:none\r\n");
    jnl_status st;
    jnl_stats(J, &st);
    int n = snprintf(buf, cap,
                     "durability:log\r\n"
                     "journal_durable_seq:%llu\r\n"
                     "journal_last_seq:%llu\r\n"
                     "journal_bytes_written:%llu\r\n"
                     "journal_entries_written:%llu\r\n"
                     "journal_batches:%llu\r\n"
                     "journal_avg_batch_entries:%.2f\r\n"
                     "journal_fsync_p50_us:%llu\r\n"
                     "journal_fsync_p99_us:%llu\r\n"
                     "journal_fsync_max_us:%llu\r\n"
                     "journal_segments_created:%llu\r\n"
                     "journal_pmem:%d\r\n"
                     "journal_direct_io:%d\r\n"
                     "journal_held_replies:%llu\r\n"
                     "journal_dirty_keys:%llu\r\n"
                     "journal_writes_refused:%d\r\n"
                     "journal_error:%s\r\n",
                     (unsigned long long)st.durable_seq, (unsigned long long)st.last_seq,
                     (unsigned long long)st.bytes_written, (unsigned long long)st.entries_written,
                     (unsigned long long)st.batches, st.avg_batch_entries,
                     (unsigned long long)st.fsync_p50_us, (unsigned long long)st.fsync_p99_us,
                     (unsigned long long)st.fsync_max_us, (unsigned long long)st.segments_created, st.pmem,
                     st.direct,
                     (unsigned long long)trk_held_replies(), (unsigned long long)trk_dirty_keys(),
                     trk_failure() != NULL, trk_failure() ? trk_failure() : "");
    return n < 0 ? 0 : (size_t)n;
}
