/* snapshotter.c -- see snapshotter.h.
 *
 * Why max_seq: the journal directory is live.  Entries past the server's
 * durable seq are in the page cache but may not survive a power cut; a
 * published snapshot covering one of them would, after such a crash, claim
 * seqs the restarted journal hands out again, and start-up would skip
 * those new entries.  The server therefore passes its durable seq.
 */
#include "config.h"

#include "snapshotter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "jnl.h"
#include "log.h"
#include "rdb.h"
#include "replay.h"
#include "server.h"
#include "snapshot.h"
#include "util.h"

typedef struct apply_ctx {
    uint64_t max_seq, last, entries;
    long long delay_ms;
    int reached_max;               /* stopped on purpose at max_seq */
    uint64_t last_report_us;
    char err[512];
} apply_ctx;

static int apply_cb(void *priv, uint64_t seq, const char *payload, size_t len)
{
    apply_ctx *x = priv;
    if (x->max_seq && seq > x->max_seq) {
        x->reached_max = 1;
        return 1;
    }
    char why[400];
    if (replay_entry(payload, len, why, sizeof(why)) != 0) {
        snprintf(x->err, sizeof(x->err), "journal entry seq %llu: %s", (unsigned long long)seq, why);
        return 1;
    }
    x->last = seq;
    x->entries++;
    if (x->delay_ms > 0) {
        struct timespec ts = {x->delay_ms / 1000, (x->delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    uint64_t now = util_monotonic_us();
    if (now - x->last_report_us > (uint64_t)snapshot_progress_interval_ms() * 1000) {
        log_msg(LOG_NOTICE, "tierdb-snapshot: %llu journal entries applied (seq %llu)",
                (unsigned long long)x->entries, (unsigned long long)seq);
        x->last_report_us = now;
    }
    return 0;
}

static uint64_t load_start_us, load_report_us;

static void load_progress(uint64_t keys, size_t pos, size_t total)
{
    if (keys & 15) return;
    uint64_t now = util_monotonic_us();
    if (now - load_report_us < (uint64_t)snapshot_progress_interval_ms() * 1000) return;
    load_report_us = now;
    double secs = (double)(now - load_start_us) / 1e6, mb = (double)pos / 1048576.0;
    log_msg(LOG_NOTICE, "tierdb-snapshot: loading the snapshot: %llu keys, %.1f MB of %.1f MB read, %.1f MB/s",
            (unsigned long long)keys, mb, (double)total / 1048576.0, secs > 0 ? mb / secs : 0.0);
}

int snapshotter_run(const snapshotter_opts *o, snapshotter_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof(*res));
    const char *dbfile = server.cfg.dbfilename;
    const char *jdir = jnl_cfg.dir;
    uint64_t t0 = util_monotonic_us();

    /* 1. the newest snapshot */
    rdb_load_info info;
    char lerr[1024];
    server.loading = 1;
    load_start_us = load_report_us = util_monotonic_us();
    rdb_load_progress = load_progress;
    int rc = rdb_load_file(dbfile, server.dbs, server.ndbs, util_mstime(), &info, lerr, sizeof(lerr));
    rdb_load_progress = NULL;
    if (rc < 0) {
        server.loading = 0;
        snprintf(err, errlen, "cannot load the snapshot: %s", lerr);
        return -1;
    }
    if (rc == 0) {
        res->had_snapshot = 1;
        res->base_seq = info.seq;
        res->keys = info.keys;
    }

    /* 2. the journal after it, read-only */
    apply_ctx x;
    memset(&x, 0, sizeof(x));
    x.max_seq = o->max_seq;
    x.delay_ms = o->test_delay_ms;
    x.last_report_us = util_monotonic_us();
    jnl_recovery rep;
    memset(&rep, 0, sizeof(rep));
    struct stat st;
    if (stat(jdir, &st) == 0) {
        char jerr[1024];
        jerr[0] = '\0';
        rc = jnl_read(jdir, res->base_seq, apply_cb, &x, &rep, jerr, sizeof(jerr));
        if (rc == JNL_EABORT && x.reached_max) rc = JNL_OK;
        if (rc != JNL_OK) {
            server.loading = 0;
            replay_done();
            if (rc == JNL_EGAP)
                snprintf(err, errlen,
                         "gap: the snapshot '%s' covers the journal up to seq %llu, but the journal in '%s' "
                         "no longer holds the entries right after it (%s); refusing to build a snapshot "
                         "that would silently lose them",
                         dbfile, (unsigned long long)res->base_seq, jdir, jerr);
            else if (rc == JNL_EABORT)
                snprintf(err, errlen, "replaying the journal in '%s' failed at %s", jdir, x.err);
            else
                snprintf(err, errlen, "cannot read the journal in '%s': %s", jdir, jerr);
            return -1;
        }
    } else if (errno != ENOENT) {
        server.loading = 0;
        snprintf(err, errlen, "cannot read the journal directory '%s': %s", jdir, strerror(errno));
        return -1;
    }
    server.loading = 0;
    replay_done();
    res->entries = x.entries;
    res->seq = x.last > res->base_seq ? x.last : res->base_seq;
    if (o->max_seq && res->seq < o->max_seq) {
        snprintf(err, errlen,
                 "the journal in '%s' ends at seq %llu, before seq %llu that the new snapshot must cover",
                 jdir, (unsigned long long)res->seq, (unsigned long long)o->max_seq);
        return -1;
    }

    /* 3. the new snapshot: temp file, fsync, rename, directory fsync */
    rdb_save_opts so;
    snapshot_fill_opts(&so, res->seq, "tierdb-snapshot: writing the snapshot");
    if (rdb_save_file(dbfile, server.dbs, server.ndbs, &so, lerr, sizeof(lerr)) < 0) {
        snprintf(err, errlen, "cannot write the snapshot: %s", lerr);
        return -1;
    }
    log_msg(LOG_NOTICE,
            "tierdb-snapshot: '%s' now covers journal seq %llu (was %llu: %llu keys loaded, %llu entries "
            "applied) in %.3f s",
            dbfile, (unsigned long long)res->seq, (unsigned long long)res->base_seq,
            (unsigned long long)res->keys, (unsigned long long)res->entries,
            (double)(util_monotonic_us() - t0) / 1e6);
    return 0;
}
