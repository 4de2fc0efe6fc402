/* snapshot.c -- see snapshot.h.
 *
 * BGSAVE life cycle (all on the main thread except the child's write):
 *   start:   S = durability_last_seq(); pause dict resize and tier
 *            migration; fork.  Child: rdb_save_tmp(temp-bg-<pid>.rdb),
 *            report its copy-on-write bytes through a pipe, _exit.
 *   cron:    waitpid(WNOHANG).  On success the temp file waits for the
 *            journal to be durable up to S ("pending publish"), then is
 *            renamed over dbfilename, the directory fsynced, the journal
 *            trimmed to S.  On failure the temp file is removed and the
 *            status says err.  Resize and migration resume at reaping.
 * Waiting for durability before the rename keeps the invariant that a
 * published snapshot never covers entries the journal could still lose; if
 * it did, entries appended after a crash would reuse seqs the snapshot
 * claims to cover, and the next start-up would skip them.
 *
 * Off-process snapshots (BGSAVE OFFBOX, snapshot-mode offbox, or the journal
 * outgrowing journal-snapshot-bytes) keep the same invariant another way:
 * tierdb-snapshot (snapshotter.c) is given the durable seq at spawn time
 * as --max-seq and publishes the file itself, so nothing waits here.  It
 * is spawned with posix_spawn (no page-table copy, no copy-on-write: the
 * server's memory is not touched), occupies the same single child slot as
 * a fork BGSAVE, and is reaped by the same cron.
 */
#include "config.h"

#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "cmd.h"
#include "db.h"
#include "dict.h"
#include "ev.h"
#include "durability.h"
#include "effects.h"
#include "jnl.h"
#include "log.h"
#include "rdb.h"
#include "server.h"
#include "tier.h"
#include "tiering.h"
#include "trk.h"
#include "util.h"

#define MAX_SAVE_RULES 16
#define BGSAVE_RETRY_SECS 5

typedef struct save_rule {
    long long secs, changes;
} save_rule;

static struct {
    /* config */
    save_rule rules[MAX_SAVE_RULES];
    int nrules;
    int compression, checksum;
    /* state */
    pid_t child;
    int cow_pipe;                  /* read end, -1 */
    uint64_t child_seq;            /* journal seq the running/pending snapshot covers */
    uint64_t child_dirty;          /* server.dirty at the fork */
    int64_t child_start;           /* unix s at the fork */
    char child_tmp[PATH_MAX];
    char child_path[PATH_MAX];
    int pending_publish;           /* child done, waiting for the journal */
    int scheduled;                 /* BGSAVE SCHEDULE / deferred from EXEC; 2 = off-process */
    int64_t lastsave;              /* unix s of the last successful save */
    int64_t last_try;
    int last_status_ok;
    int64_t last_bgsave_secs, last_bgsave_start;
    uint64_t dirty_base;           /* server.dirty the last save covered */
    uint64_t latest_fork_usec;
    uint64_t last_cow;
    uint64_t saves, forks;
    uint64_t loaded_keys, loaded_expired;
    /* off-process snapshots */
    int mode;                      /* snapshot-mode: SNAP_MODE_* */
    long long jsnap_bytes;         /* journal-snapshot-bytes, 0 = off */
    long long test_delay_ms;       /* snapshot-test-delay-ms (hidden) */
    int child_offbox;              /* the running child is tierdb-snapshot */
    int last_offbox;               /* the last finished snapshot was off-process */
    uint64_t child_jbytes;         /* journal bytes when the running snapshot started */
    uint64_t jbytes_base;          /* journal bytes the last snapshot accounted for */
    uint64_t offbox_runs, offbox_ok, auto_runs;
    int64_t last_auto_try;
    /* progress and shutdown */
    long long progress_ms;         /* snapshot-progress-interval-ms (hidden) */
    long long load_delay_us;       /* rdb-load-test-delay-us (hidden) */
    long long save_delay_us;       /* rdb-save-test-delay-us (hidden) */
    int on_sigterm, on_sigint;     /* shutdown-on-sigterm / -sigint: SHUT_* flags */
    int incr_fsync;                /* rdb-save-incremental-fsync */
    int cpu_prio, io_prio;         /* snapshotter-cpu-priority / -io-priority: PRIO_* */
    int shutdown_by_command;       /* this shutdown_asap came from SHUTDOWN, which saved already */
} S = {.child = -1, .cow_pipe = -1, .last_status_ok = 1, .last_bgsave_secs = -1,
       .compression = 1, .checksum = 1, .progress_ms = 3000, .incr_fsync = 1};

/* What a load in progress reports (INFO loading_*, the progress log). */
static struct {
    int active;
    int64_t start_unix;
    uint64_t start_us, last_report_us, last_events_us;
    uint64_t total, loaded, keys;
    const char *what;              /* "RDB" or "journal" */
    const rdb_load_info *info;     /* the RDB load's aux fields, live */
} LD;

/* Progress of the save running in this process (or fork child). */
static struct {
    uint64_t start_us, last_us;
    const char *who;
} SP;

int snapshot_child_running(void) { return S.child > 0 || S.pending_publish; }

/* ---- config ------------------------------------------------------------------ */

static int set_save(const cfg_entry *e, const char *val, const char **err)
{
    (void)e;
    save_rule r[MAX_SAVE_RULES];
    int n = 0;
    char **av;
    int ac = cfg_split_line(val, &av);
    if (ac < 0 || ac % 2 || ac / 2 > MAX_SAVE_RULES) {
        if (ac >= 0) cfg_free_args(ac, av);
        *err = "Invalid save parameters";
        return -1;
    }
    for (int i = 0; i < ac; i += 2) {
        long long s, c;
        if (!util_str2ll(av[i], strlen(av[i]), &s) || !util_str2ll(av[i + 1], strlen(av[i + 1]), &c) || s < 0 || c < 0) {
            cfg_free_args(ac, av);
            *err = "Invalid save parameters";
            return -1;
        }
        r[n].secs = s;
        r[n].changes = c;
        n++;
    }
    cfg_free_args(ac, av);
    memcpy(S.rules, r, sizeof(r[0]) * (size_t)n);
    S.nrules = n;
    return 0;
}

static void get_save(const cfg_entry *e, char *buf, size_t cap)
{
    (void)e;
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < S.nrules && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%lld %lld", i ? " " : "", S.rules[i].secs, S.rules[i].changes);
}

/* shutdown-on-sigterm / shutdown-on-sigint as Redis 7.0: "default" or any
 * of save, nosave, now, force (save and nosave exclusive).  now has no
 * meaning without replicas; it is accepted and shown. */
enum { SHUT_SAVE = 1, SHUT_NOSAVE = 2, SHUT_NOW = 4, SHUT_FORCE = 8 };
static const char *const shut_names[] = {"save", "nosave", "now", "force"};

static int set_shut(const cfg_entry *e, const char *val, const char **err)
{
    char **av;
    int ac = cfg_split_line(val, &av);
    int flags = 0;
    if (ac <= 0) {
        if (ac == 0) cfg_free_args(ac, av);
        *err = "argument(s) must be one of the following: default, save, nosave, now, force";
        return -1;
    }
    for (int i = 0; i < ac; i++) {
        int f = -1;
        if (!strcasecmp(av[i], "default")) f = 0;
        for (int k = 0; k < 4 && f < 0; k++)
            if (!strcasecmp(av[i], shut_names[k])) f = 1 << k;
        if (f < 0) {
            cfg_free_args(ac, av);
            *err = "argument(s) must be one of the following: default, save, nosave, now, force";
            return -1;
        }
        flags |= f;
    }
    cfg_free_args(ac, av);
    if ((flags & SHUT_SAVE) && (flags & SHUT_NOSAVE)) {
        *err = "shutdown options SAVE and NOSAVE can't be used simultaneously";
        return -1;
    }
    *(int *)e->ptr = flags;
    return 0;
}

static void get_shut(const cfg_entry *e, char *buf, size_t cap)
{
    int flags = *(const int *)e->ptr;
    size_t o = 0;
    buf[0] = '\0';
    for (int k = 0; k < 4 && o < cap; k++)
        if (flags & (1 << k)) o += (size_t)snprintf(buf + o, cap - o, "%s%s", o ? " " : "", shut_names[k]);
    if (!flags) snprintf(buf, cap, "default");
}

enum { SNAP_MODE_FORK = 0, SNAP_MODE_OFFBOX = 1 };
static const char *const mode_names[] = {"fork", "offbox", NULL};
/* How much tierdb-snapshot yields to the server (snapshotter-*-priority). */
enum { PRIO_IDLE = 0, PRIO_LOW = 1, PRIO_NORMAL = 2 };
static const char *const prio_names[] = {"idle", "low", "normal", NULL};

/* RDB write-back chunk with rdb-save-incremental-fsync (Redis: 4 MB). */
#define RDB_SYNC_CHUNK (4 * 1024 * 1024)

long long snapshot_test_delay_ms(void) { return S.test_delay_ms; }

static const cfg_entry snapshot_configs[] = {
    {.name = "snapshot-mode", .type = CFG_ENUM, .ptr = &S.mode, .enum_names = mode_names, .defval = "fork"},
    {.name = "journal-snapshot-bytes", .type = CFG_MEM, .ptr = &S.jsnap_bytes, .min = 0, .max = LLONG_MAX,
     .defval = "0"},
    {.name = "snapshot-test-delay-ms", .type = CFG_LL, .flags = CFG_HIDDEN, .ptr = &S.test_delay_ms, .min = 0,
     .max = 3600000, .defval = "0"},
    {.name = "snapshotter-cpu-priority", .type = CFG_ENUM, .ptr = &S.cpu_prio, .enum_names = prio_names,
     .defval = "idle"},
    {.name = "snapshotter-io-priority", .type = CFG_ENUM, .ptr = &S.io_prio, .enum_names = prio_names,
     .defval = "idle"},
    {.name = "rdb-save-incremental-fsync", .type = CFG_BOOL, .ptr = &S.incr_fsync, .defval = "yes"},
    {.name = "save", .type = CFG_SPECIAL, .flags = CFG_MULTI_ARG, .set = set_save, .get = get_save, .defval = ""},
    {.name = "rdbcompression", .type = CFG_BOOL, .ptr = &S.compression, .defval = "yes"},
    {.name = "rdbchecksum", .type = CFG_BOOL, .ptr = &S.checksum, .defval = "yes"},
    {.name = "shutdown-on-sigterm", .type = CFG_SPECIAL, .flags = CFG_MULTI_ARG, .ptr = &S.on_sigterm,
     .set = set_shut, .get = get_shut, .defval = "default"},
    {.name = "shutdown-on-sigint", .type = CFG_SPECIAL, .flags = CFG_MULTI_ARG, .ptr = &S.on_sigint,
     .set = set_shut, .get = get_shut, .defval = "default"},
    /* how often SAVE/BGSAVE/tierdb-snapshot and start-up loading log progress */
    {.name = "snapshot-progress-interval-ms", .type = CFG_LL, .flags = CFG_HIDDEN, .ptr = &S.progress_ms,
     .min = 1, .max = 3600000, .defval = "3000"},
    /* tests: sleep after each key loaded from the RDB at start-up */
    {.name = "rdb-load-test-delay-us", .type = CFG_LL, .flags = CFG_HIDDEN, .ptr = &S.load_delay_us, .min = 0,
     .max = 10000000, .defval = "0"},
    /* tests: sleep after each key SAVE / the BGSAVE child writes, so a kill
     * lands mid-write for sure */
    {.name = "rdb-save-test-delay-us", .type = CFG_LL, .flags = CFG_HIDDEN, .ptr = &S.save_delay_us, .min = 0,
     .max = 10000000, .defval = "0"},
};

long long snapshot_progress_interval_ms(void) { return S.progress_ms; }

/* ---- tierdb-snapshot's priority ---------------------------------------------------- */

#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS_BE 2
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_WHO_PROCESS 1

void snapshot_lower_priority(char *what, size_t cap)
{
    size_t o = 0;
    what[0] = '\0';
    if (S.cpu_prio != PRIO_NORMAL) {
        /* nice 19 also where SCHED_IDLE is refused; SCHED_IDLE runs only
         * on CPU time nothing else wants (the server, its clients) */
        int nice_ok = setpriority(PRIO_PROCESS, 0, 19) == 0;
        int idle_ok = 0;
        if (S.cpu_prio == PRIO_IDLE) {
            struct sched_param sp = {.sched_priority = 0};
            idle_ok = sched_setscheduler(0, SCHED_IDLE, &sp) == 0;
        }
        o += (size_t)snprintf(what + o, cap - o, "cpu %s", idle_ok ? "SCHED_IDLE" : nice_ok ? "nice 19" : "unchanged");
    } else {
        o += (size_t)snprintf(what + o, cap - o, "cpu unchanged");
    }
    if (o >= cap) return;
    if (S.io_prio != PRIO_NORMAL) {
        int cls = S.io_prio == PRIO_IDLE ? IOPRIO_CLASS_IDLE : IOPRIO_CLASS_BE;
        int data = S.io_prio == PRIO_IDLE ? 0 : 7;
        int ok = syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, (cls << IOPRIO_CLASS_SHIFT) | data) == 0;
        snprintf(what + o, cap - o, ", io %s", !ok ? "unchanged" : S.io_prio == PRIO_IDLE ? "idle class" : "best-effort 7");
    } else {
        snprintf(what + o, cap - o, ", io unchanged");
    }
}

/* ---- saving --------------------------------------------------------------------- */

/* per_key_step (internal) -- a save or load's per-key hook: sleeps the
 * test delay if one is set (and then always reports), else says whether
 * this key is one of every 16 that look at the clock. */
static int per_key_step(long long delay_us, uint64_t keys)
{
    if (delay_us > 0) {
        struct timespec ts = {delay_us / 1000000, (delay_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
        return 1;
    }
    return !(keys & 15);
}

/* Called after every key written: looks at the clock every 16 keys. */
static void save_progress(void *priv, uint64_t keys, uint64_t bytes)
{
    (void)priv;
    if (!per_key_step(S.save_delay_us, keys)) return;
    uint64_t now = util_monotonic_us();
    if (now - SP.last_us < (uint64_t)S.progress_ms * 1000) return;
    SP.last_us = now;
    double secs = (double)(now - SP.start_us) / 1e6;
    double mb = (double)bytes / 1048576.0;
    log_msg(LOG_NOTICE, "%s: %llu keys written, %.1f MB, %.1f s elapsed (%.1f MB/s)", SP.who,
            (unsigned long long)keys, mb, secs, secs > 0 ? mb / secs : 0.0);
}

void snapshot_fill_opts(rdb_save_opts *o, uint64_t seq, const char *who)
{
    memset(o, 0, sizeof(*o));
    o->compress = S.compression;
    o->checksum = S.checksum;
    o->seq = seq;
    o->ctime = util_mstime() / 1000;
    o->used_mem = tier_used_total();
    o->sync_bytes = S.incr_fsync ? RDB_SYNC_CHUNK : 0;
    SP.start_us = SP.last_us = util_monotonic_us();
    SP.who = who;
    o->progress = save_progress;
}

static void after_success(uint64_t seq, uint64_t dirty_at_start, uint64_t jbytes_at_start)
{
    S.jbytes_base = jbytes_at_start;
    S.lastsave = util_mstime() / 1000;
    S.last_status_ok = 1;
    S.dirty_base = dirty_at_start;
    S.saves++;
    if (durability_enabled() && seq) {
        unsigned removed = 0;
        if (durability_trim(seq, &removed) != 0)
            log_msg(LOG_WARNING, "Trimming the journal up to seq %llu failed", (unsigned long long)seq);
        else if (removed)
            log_msg(LOG_NOTICE, "Journal trimmed: %u segment(s) covered by the snapshot (seq <= %llu) removed",
                    removed, (unsigned long long)seq);
    }
}

int snapshot_save_now(void)
{
    if (S.child > 0 || S.pending_publish) return -1;
    uint64_t seq = durability_last_seq();
    fx_forget_db();     /* the entry after seq must say its db: replay from here starts in db 0 */
    if (durability_enabled() && durability_wait(seq) != 0) {
        log_msg(LOG_WARNING, "SAVE refused: the journal cannot make seq %llu durable", (unsigned long long)seq);
        S.last_status_ok = 0;
        return -1;
    }
    rdb_save_opts o;
    snapshot_fill_opts(&o, seq, "Saving the DB");
    char err[PATH_MAX + 256];
    uint64_t t0 = util_monotonic_us();
    uint64_t dirty = server.dirty;
    uint64_t jbytes = durability_journal_bytes();
    S.last_try = util_mstime() / 1000;
    if (rdb_save_file(server.cfg.dbfilename, server.dbs, server.ndbs, &o, err, sizeof(err)) < 0) {
        log_msg(LOG_WARNING, "Failed saving the DB: %s", err);
        S.last_status_ok = 0;
        return -1;
    }
    log_msg(LOG_NOTICE, "DB saved on disk (%.3f s, covers journal seq %llu)",
            (double)(util_monotonic_us() - t0) / 1e6, (unsigned long long)seq);
    S.last_offbox = 0;
    after_success(seq, dirty, jbytes);
    return 0;
}

/* Private dirty bytes of this process: what fork's copy-on-write cost. */
static uint64_t private_dirty_bytes(void)
{
    int fd = open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    const char *p = strstr(buf, "Private_Dirty:");
    if (!p) return 0;
    return strtoull(p + 14, NULL, 10) * 1024;
}

static void child_main(void)
{
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    rdb_save_opts o;
    snapshot_fill_opts(&o, S.child_seq, "Background save child");
    char err[PATH_MAX + 256];
    uint64_t keys = 0;
    uint64_t t0 = util_monotonic_us();
    int rc = rdb_save_tmp(S.child_tmp, server.dbs, server.ndbs, &o, &keys, err, sizeof(err));
    if (rc < 0) {
        log_msg(LOG_WARNING, "Background save child: %s", err);
        _exit(1);
    }
    uint64_t cow = private_dirty_bytes();
    log_msg(LOG_NOTICE, "Background save child: %llu keys written in %.3f s; %llu MB of memory used by copy-on-write",
            (unsigned long long)keys, (double)(util_monotonic_us() - t0) / 1e6,
            (unsigned long long)(cow / (1024 * 1024)));
    if (S.cow_pipe >= 0) {
        ssize_t w = write(S.cow_pipe, &cow, sizeof(cow));
        (void)w;
    }
    _exit(0);
}

static void resume_parent_work(void)
{
    dict_set_resize_policy(1);
    tiering_migration_pause(-1);
}

/* 0 started; -1 failed with *why */
static int bgsave_start(const char **why)
{
    if (!tier_pmem_fork_safe()) {
        *why = "ERR BGSAVE is not available: the PMem tier is a shared file mapping (fsdax) that fork does not "
               "copy on write, so a child would see later writes; use SAVE or BGSAVE OFFBOX";
        return -1;
    }
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) pfd[0] = pfd[1] = -1;
    S.child_seq = durability_last_seq();
    fx_forget_db();     /* the entry after child_seq must say its db */
    S.child_dirty = server.dirty;
    S.child_jbytes = durability_journal_bytes();
    S.child_offbox = 0;
    S.child_start = util_mstime() / 1000;
    S.last_try = S.child_start;
    snprintf(S.child_path, sizeof(S.child_path), "%s", server.cfg.dbfilename);
    dict_set_resize_policy(0);
    tiering_migration_pause(1);
    uint64_t t0 = util_monotonic_us();
    pid_t pid = fork();
    if (pid == 0) {
        S.cow_pipe = pfd[1];
        snprintf(S.child_tmp, sizeof(S.child_tmp), "temp-bg-%d.rdb", (int)getpid());
        child_main();
    }
    S.latest_fork_usec = util_monotonic_us() - t0;
    if (pfd[1] >= 0) close(pfd[1]);
    if (pid < 0) {
        int e = errno;
        if (pfd[0] >= 0) close(pfd[0]);
        resume_parent_work();
        S.last_status_ok = 0;
        log_msg(LOG_WARNING, "Can't save in background: fork: %s", strerror(e));
        *why = "ERR";
        return -1;
    }
    S.forks++;
    S.child = pid;
    S.cow_pipe = pfd[0];
    S.last_bgsave_start = util_mstime();
    snprintf(S.child_tmp, sizeof(S.child_tmp), "temp-bg-%d.rdb", (int)pid);
    log_msg(LOG_NOTICE, "Background saving started by pid %d (covers journal seq %llu, fork took %llu us)",
            (int)pid, (unsigned long long)S.child_seq, (unsigned long long)S.latest_fork_usec);
    return 0;
}

/* tierdb-snapshot next to this binary (/proc/self/exe's directory). */
static int snapshotter_path(char *buf, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = '\0';
    int w = snprintf(buf, cap, "%s/tierdb-snapshot", exe);
    return w > 0 && (size_t)w < cap ? 0 : -1;
}

/* 0 started; -1 failed with *why ("ERR ..."; just "ERR" when logged). */
static int offbox_start(const char **why)
{
    if (!durability_enabled()) {
        *why = "ERR BGSAVE OFFBOX needs the journal (durability log): tierdb-snapshot builds the snapshot "
               "from the previous snapshot plus the journal";
        return -1;
    }
    static char path[PATH_MAX], cwd[PATH_MAX], seqbuf[32], dbs[16], delay[32];
    if (snapshotter_path(path, sizeof(path)) < 0 || !getcwd(cwd, sizeof(cwd))) {
        *why = "ERR cannot locate tierdb-snapshot next to the server binary";
        return -1;
    }
    if (access(path, X_OK) != 0) {
        log_msg(LOG_WARNING, "Can't start the off-process snapshot: %s: %s", path, strerror(errno));
        *why = "ERR tierdb-snapshot is missing next to the server binary";
        return -1;
    }
    /* Only durable entries: see the notes at the top. */
    uint64_t seq = durability_durable_seq();
    snprintf(seqbuf, sizeof(seqbuf), "%llu", (unsigned long long)seq);
    snprintf(dbs, sizeof(dbs), "%d", server.ndbs);
    snprintf(delay, sizeof(delay), "%lld", S.test_delay_ms);
    /* Run-time changes (CONFIG SET) win over the file: pass what matters. */
    const char *argv[32];
    int ac = 0;
    argv[ac++] = path;
    if (server.config_file) argv[ac++] = server.config_file;
    argv[ac++] = "--dir"; argv[ac++] = cwd;
    argv[ac++] = "--dbfilename"; argv[ac++] = server.cfg.dbfilename;
    argv[ac++] = "--journal-dir"; argv[ac++] = jnl_cfg.dir;
    argv[ac++] = "--databases"; argv[ac++] = dbs;
    argv[ac++] = "--rdbcompression"; argv[ac++] = S.compression ? "yes" : "no";
    argv[ac++] = "--rdbchecksum"; argv[ac++] = S.checksum ? "yes" : "no";
    if (server.cfg.logfile && *server.cfg.logfile) { argv[ac++] = "--logfile"; argv[ac++] = server.cfg.logfile; }
    if (S.test_delay_ms) { argv[ac++] = "--snapshot-test-delay-ms"; argv[ac++] = delay; }
    argv[ac++] = "--snapshotter-cpu-priority"; argv[ac++] = prio_names[S.cpu_prio];
    argv[ac++] = "--snapshotter-io-priority"; argv[ac++] = prio_names[S.io_prio];
    argv[ac++] = "--rdb-save-incremental-fsync"; argv[ac++] = S.incr_fsync ? "yes" : "no";
    static char progress[32];
    snprintf(progress, sizeof(progress), "%lld", S.progress_ms);
    if (S.progress_ms != 3000) { argv[ac++] = "--snapshot-progress-interval-ms"; argv[ac++] = progress; }
    argv[ac++] = "--max-seq"; argv[ac++] = seqbuf;
    argv[ac] = NULL;

    posix_spawnattr_t at;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_init(&fa);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&at, &all);   /* the server ignores SIGPIPE; the child must not inherit that */
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);   /* no client sockets or journal fds */
    extern char **environ;
    pid_t pid;
    int64_t t0 = util_mstime();
    int rc = posix_spawn(&pid, path, &fa, &at, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    S.last_try = t0 / 1000;
    if (rc != 0) {
        S.last_status_ok = 0;
        log_msg(LOG_WARNING, "Can't start the off-process snapshot: posix_spawn %s: %s", path, strerror(rc));
        *why = "ERR";
        return -1;
    }
    S.child = pid;
    S.child_offbox = 1;
    S.cow_pipe = -1;
    S.child_seq = seq;
    S.child_dirty = server.dirty;
    S.child_jbytes = durability_journal_bytes();
    S.child_start = t0 / 1000;
    S.last_bgsave_start = t0;
    S.offbox_runs++;
    log_msg(LOG_NOTICE, "Off-process snapshot started by pid %d (tierdb-snapshot; covers journal seq %llu)",
            (int)pid, (unsigned long long)seq);
    return 0;
}

static void finish_offbox(int ok)
{
    S.last_bgsave_secs = (util_mstime() - S.last_bgsave_start) / 1000;
    S.child_offbox = 0;
    if (!ok) {
        S.last_status_ok = 0;
        return;
    }
    S.offbox_ok++;
    S.last_offbox = 1;
    log_msg(LOG_NOTICE, "Off-process snapshot terminated with success (covers journal seq %llu)",
            (unsigned long long)S.child_seq);
    after_success(S.child_seq, S.child_dirty, S.child_jbytes);
}

void snapshot_shutdown(void)
{
    if (S.pending_publish) {
        /* finished but never published: the journal holds all it has */
        S.pending_publish = 0;
        unlink(S.child_tmp);
    }
    if (S.child <= 0) return;
    /* The next start-up does not need it (the previous snapshot and the
     * journal hold everything); Redis kills its child too.  An off-process
     * run cut short leaves only a temp file it removes next time. */
    if (!S.child_offbox) log_msg(LOG_WARNING, "There is a child saving an .rdb. Killing it!");
    kill(S.child, SIGKILL);
    int st;
    while (waitpid(S.child, &st, 0) < 0 && errno == EINTR) {}
    if (!S.child_offbox) unlink(S.child_tmp);
    if (S.cow_pipe >= 0) close(S.cow_pipe);
    S.cow_pipe = -1;
    S.child = -1;
    S.child_offbox = 0;
}

static void finish_bgsave(int ok)
{
    S.last_bgsave_secs = (util_mstime() - S.last_bgsave_start) / 1000;
    S.last_offbox = 0;
    if (!ok) {
        unlink(S.child_tmp);
        S.last_status_ok = 0;
        return;
    }
    char err[PATH_MAX * 2 + 128];
    if (rdb_publish(S.child_tmp, S.child_path, err, sizeof(err)) < 0) {
        log_msg(LOG_WARNING, "Background saving error: %s", err);
        S.last_status_ok = 0;
        return;
    }
    log_msg(LOG_NOTICE, "Background saving terminated with success");
    after_success(S.child_seq, S.child_dirty, S.child_jbytes);
}

static void try_publish(void)
{
    if (!S.pending_publish) return;
    if (durability_enabled() && durability_durable_seq() < S.child_seq) {
        if (!trk_failure()) return;           /* the journal will get there */
        log_msg(LOG_WARNING, "Background saving discarded: the journal failed before seq %llu was durable",
                (unsigned long long)S.child_seq);
        S.pending_publish = 0;
        finish_bgsave(0);
        return;
    }
    S.pending_publish = 0;
    finish_bgsave(1);
}

static void reap_child(void)
{
    int st;
    pid_t r = waitpid(S.child, &st, WNOHANG);
    if (r == 0) return;
    if (r < 0 && errno == EINTR) return;
    int ok = r == S.child && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (S.cow_pipe >= 0) {
        uint64_t cow;
        if (ok && read(S.cow_pipe, &cow, sizeof(cow)) == (ssize_t)sizeof(cow)) S.last_cow = cow;
        close(S.cow_pipe);
        S.cow_pipe = -1;
    }
    if (!ok) {
        /* remove the dead child's partial file before saying it died, so
         * whoever reads the log finds the directory already clean */
        if (!S.child_offbox) unlink(S.child_tmp);
        if (r == S.child && WIFSIGNALED(st))
            log_msg(LOG_WARNING, "%s terminated by signal %d",
                    S.child_offbox ? "Off-process snapshot" : "Background saving", WTERMSIG(st));
        else if (S.child_offbox)
            log_msg(LOG_WARNING, "Off-process snapshot failed (exit status %d); the previous snapshot stays",
                    r == S.child && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        else
            log_msg(LOG_WARNING, "Background saving error");
    }
    S.child = -1;
    if (S.child_offbox) {
        finish_offbox(ok);
        return;
    }
    resume_parent_work();
    if (ok) {
        S.pending_publish = 1;
        try_publish();
    } else {
        finish_bgsave(0);
    }
}

static void snapshot_cron(void)
{
    if (S.child > 0) reap_child();
    if (S.pending_publish) try_publish();
    if (S.child > 0 || S.pending_publish || server.loading) return;
    int64_t now = util_mstime() / 1000;
    int go = S.scheduled;
    uint64_t changes = server.dirty - S.dirty_base;
    for (int i = 0; i < S.nrules && !go; i++) {
        if (changes >= (uint64_t)S.rules[i].changes && now - S.lastsave > S.rules[i].secs &&
            (S.last_status_ok || now - S.last_try > BGSAVE_RETRY_SECS)) {
            log_msg(LOG_NOTICE, "%lld changes in %lld seconds. Saving...", S.rules[i].changes, S.rules[i].secs);
            go = 1;
        }
    }
    if (!go && S.jsnap_bytes > 0 && durability_enabled() &&
        durability_journal_bytes() - S.jbytes_base > (uint64_t)S.jsnap_bytes &&
        now - S.last_auto_try > BGSAVE_RETRY_SECS) {
        S.last_auto_try = now;
        S.auto_runs++;
        log_msg(LOG_NOTICE, "Journal grew by %llu bytes since the last snapshot (journal-snapshot-bytes %lld). "
                            "Starting the off-process snapshot...",
                (unsigned long long)(durability_journal_bytes() - S.jbytes_base), S.jsnap_bytes);
        const char *why;
        if (offbox_start(&why) < 0 && strcmp(why, "ERR") != 0) log_msg(LOG_WARNING, "%s", why + 4);
        return;
    }
    if (!go) return;
    const char *why;
    int offbox = S.scheduled == 2 || S.mode == SNAP_MODE_OFFBOX;
    S.scheduled = 0;
    /* A PMem tier fork cannot freeze is no obstacle to the snapshotter,
     * which reads only files: better than saving in process. */
    if ((offbox || !tier_pmem_fork_safe()) && durability_enabled()) {
        if (offbox_start(&why) < 0 && strcmp(why, "ERR") != 0) log_msg(LOG_WARNING, "%s", why + 4);
        return;
    }
    if (!tier_pmem_fork_safe()) {
        /* fork cannot freeze a shared PMem mapping: save in process */
        snapshot_save_now();
        return;
    }
    if (bgsave_start(&why) < 0 && strcmp(why, "ERR") != 0) log_msg(LOG_WARNING, "%s", why + 4);
}

/* ---- start-up ------------------------------------------------------------------- */

void snapshot_loading_begin(const char *what, uint64_t total_bytes)
{
    memset(&LD, 0, sizeof(LD));
    LD.active = 1;
    LD.what = what;
    LD.total = total_bytes;
    LD.start_unix = util_mstime() / 1000;
    LD.start_us = LD.last_report_us = LD.last_events_us = util_monotonic_us();
    server.loading = 1;
}

void snapshot_loading_end(void)
{
    LD.active = 0;
    LD.info = NULL;
    server.loading = 0;
}

/* SHUTDOWN or SIGTERM/SIGINT while loading: Redis exits without saving (a
 * partial dataset must never be saved), and so do we. */
static void exit_if_shutdown_while_loading(void)
{
    if (!server.shutdown_asap) return;
    log_msg(LOG_WARNING, "Received shutdown request during loading: exiting now without saving.");
    server_prepare_shutdown();
    log_msg(LOG_NOTICE, "tierdb is now ready to exit, bye bye...");
    exit(0);
}

int snapshot_loading_progress(uint64_t units, uint64_t loaded_bytes)
{
    LD.keys = units;
    LD.loaded = loaded_bytes;
    uint64_t now = util_monotonic_us();
    int ran = 0;
    if (now - LD.last_events_us >= 50000) {
        /* answer clients with -LOADING; INFO shows the progress */
        ev_process(server.loop, 0);
        exit_if_shutdown_while_loading();
        LD.last_events_us = now = util_monotonic_us();
        ran = 1;
    }
    if (now - LD.last_report_us >= (uint64_t)S.progress_ms * 1000) {
        double secs = (double)(now - LD.start_us) / 1e6;
        double mb = (double)loaded_bytes / 1048576.0;
        log_msg(LOG_NOTICE, "Loading %s: %llu %s, %.1f MB of %.1f MB read (%.1f%%), %.1f MB/s", LD.what,
                (unsigned long long)units, strcmp(LD.what, "RDB") ? "entries" : "keys", mb,
                (double)LD.total / 1048576.0, 100.0 * (double)loaded_bytes / (double)(LD.total ? LD.total : 1),
                secs > 0 ? mb / secs : 0.0);
        LD.last_report_us = now;
    }
    return ran;
}

/* Called after every key the start-up load reads. */
static void rdb_load_progress_cb(uint64_t keys, size_t pos, size_t total)
{
    (void)total;
    if (per_key_step(S.load_delay_us, keys)) snapshot_loading_progress(keys, pos);
}

uint64_t snapshot_startup_load(void)
{
    S.lastsave = util_mstime() / 1000;
    char err[1024];
    rdb_load_info info;
    memset(&info, 0, sizeof(info));
    uint64_t t0 = util_monotonic_us();
    struct stat st;
    snapshot_loading_begin("RDB", stat(server.cfg.dbfilename, &st) == 0 ? (uint64_t)st.st_size : 0);
    LD.info = &info;
    /* with a journal to replay after it, keys past their TTL stay: the
     * journal's entries may still use them and hold their DELs */
    int64_t now = jnl_cfg.durability == JNL_DURABILITY_LOG ? 0 : util_mstime();
    /* Clients are served (-LOADING) between keys; the active expire cycle
     * must not delete keys the journal may still refer to. */
    int paused = db_expire_paused;
    db_expire_paused = 1;
    /* The cron runs between keys (-LOADING): it must not shrink the keyspace
     * the file's RESIZEDB sized while it is still nearly empty, or the load
     * grows it again by doubling and rehashes every key several times.  No
     * fork child exists yet, so nothing else depends on the policy. */
    dict_set_resize_policy(0);
    rdb_load_progress = rdb_load_progress_cb;
    int rc = rdb_load_file(server.cfg.dbfilename, server.dbs, server.ndbs, now, &info, err, sizeof(err));
    rdb_load_progress = NULL;
    dict_set_resize_policy(1);
    db_expire_paused = paused;
    snapshot_loading_end();
    exit_if_shutdown_while_loading();
    if (rc < 0)
        server_die("Bad RDB snapshot, refusing to start with a partial dataset: %s (dir %s)", err,
                   server.cfg.dir ? server.cfg.dir : ".");
    if (rc == 1) return 0;
    S.loaded_keys = info.keys;
    S.loaded_expired = info.expired_skipped;
    log_msg(LOG_NOTICE, "DB loaded from disk: %llu keys (%llu expired skipped) in %.3f seconds; covers journal seq %llu",
            (unsigned long long)info.keys, (unsigned long long)info.expired_skipped,
            (double)(util_monotonic_us() - t0) / 1e6, (unsigned long long)info.seq);
    return info.seq;
}

/* Redis's loading_* fields (INFO persistence, only while loading). */
static int loading_info(char *buf, size_t cap)
{
    if (!server.loading || !LD.active) return 0;
    int64_t elapsed = util_mstime() / 1000 - LD.start_unix;
    uint64_t remaining = LD.total > LD.loaded ? LD.total - LD.loaded : 0;
    int64_t eta = elapsed == 0 ? 1 : (int64_t)((double)elapsed * (double)remaining / (double)(LD.loaded + 1));
    return snprintf(buf, cap,
                    "loading_start_time:%lld\r\n"
                    "loading_total_bytes:%llu\r\n"
                    "loading_rdb_used_mem:%llu\r\n"
                    "loading_loaded_bytes:%llu\r\n"
                    "loading_loaded_perc:%.2f\r\n"
                    "loading_eta_seconds:%lld\r\n",
                    (long long)LD.start_unix, (unsigned long long)LD.total,
                    (unsigned long long)(LD.info ? LD.info->used_mem : 0), (unsigned long long)LD.loaded,
                    100.0 * (double)LD.loaded / (double)(LD.total + 1), (long long)eta);
}

size_t rdb_info(char *buf, size_t cap)
{
    int64_t now = util_mstime();
    int n = snprintf(buf, cap,
                     "rdb_changes_since_last_save:%llu\r\n"
                     "rdb_bgsave_in_progress:%d\r\n"
                     "rdb_last_save_time:%lld\r\n"
                     "rdb_last_bgsave_status:%s\r\n"
                     "rdb_last_bgsave_time_sec:%lld\r\n"
                     "rdb_current_bgsave_time_sec:%lld\r\n"
                     "rdb_saves:%llu\r\n"
                     "rdb_last_cow_size:%llu\r\n"
                     "rdb_last_load_keys_expired:%llu\r\n"
                     "rdb_last_load_keys_loaded:%llu\r\n"
                     "latest_fork_usec:%llu\r\n"
                     "total_forks:%llu\r\n"
                     "rdb_snapshot_mode:%s\r\n"
                     "rdb_offbox_in_progress:%d\r\n"
                     "rdb_offbox_snapshots:%llu\r\n"
                     "rdb_offbox_started:%llu\r\n"
                     "rdb_offbox_auto_started:%llu\r\n"
                     "rdb_last_snapshot_kind:%s\r\n"
                     "rdb_journal_bytes_since_snapshot:%llu\r\n",
                     (unsigned long long)(server.dirty - S.dirty_base), snapshot_child_running(),
                     (long long)S.lastsave, S.last_status_ok ? "ok" : "err", (long long)S.last_bgsave_secs,
                     (long long)(snapshot_child_running() ? (now - S.last_bgsave_start) / 1000 : -1),
                     (unsigned long long)S.saves, (unsigned long long)S.last_cow,
                     (unsigned long long)S.loaded_expired, (unsigned long long)S.loaded_keys,
                     (unsigned long long)S.latest_fork_usec, (unsigned long long)S.forks,
                     mode_names[S.mode], S.child > 0 && S.child_offbox, (unsigned long long)S.offbox_ok,
                     (unsigned long long)S.offbox_runs, (unsigned long long)S.auto_runs,
                     S.last_offbox ? "offbox" : "fork",
                     (unsigned long long)(durability_journal_bytes() - S.jbytes_base));
    if (n < 0) return 0;
    if ((size_t)n < cap) {
        int m = loading_info(buf + n, cap - (size_t)n);
        if (m > 0) n += m;
    }
    return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}

/* ---- commands ------------------------------------------------------------------- */

void cmd_save(client *c)
{
    if (snapshot_child_running()) { reply_error(c, "ERR Background save already in progress"); return; }
    if (snapshot_save_now() == 0) reply_ok(c);
    else reply_error(c, "ERR");
}

void cmd_bgsave(client *c)
{
    int schedule = 0, offbox = S.mode == SNAP_MODE_OFFBOX;
    for (int i = 1; i < c->argc; i++) {
        if (ARGEQ(c->argv[i], "schedule")) schedule = 1;
        else if (ARGEQ(c->argv[i], "offbox")) offbox = 1;
        else { reply_err_syntax(c); return; }
    }
    if (offbox && !durability_enabled()) {
        reply_error(c, "ERR BGSAVE OFFBOX needs the journal (durability log): tierdb-snapshot builds the snapshot "
                       "from the previous snapshot plus the journal");
        return;
    }
    if (snapshot_child_running()) {
        if (schedule) {
            S.scheduled = offbox ? 2 : 1;
            reply_status(c, "Background saving scheduled");
        } else {
            reply_error(c, "ERR Background save already in progress");
        }
        return;
    }
    if (offbox) {
        /* it reads only durable entries, so inside EXEC is fine too */
        const char *why;
        if (offbox_start(&why) < 0) { reply_error(c, why); return; }
        reply_status(c, "Background saving started");
        return;
    }
    if (cmd_depth > 1) {
        /* Inside EXEC the transaction's journal entry is not appended yet:
         * a fork now would hold part of it while covering none of it.  The
         * cron forks right after the transaction. */
        S.scheduled = 1;
        reply_status(c, "Background saving started");
        return;
    }
    const char *why;
    if (bgsave_start(&why) < 0) { reply_error(c, why); return; }
    reply_status(c, "Background saving started");
}

void cmd_lastsave(client *c) { reply_ll(c, S.lastsave); }

void cmd_dump(client *c)
{
    kv *e = db_lookup(c->db, c->argv[1].p, c->argv[1].len);
    if (!e) { reply_null(c); return; }
    unsigned char *p;
    size_t len;
    if (rdb_dump_ex(e, S.compression, &p, &len) < 0) { reply_error(c, "ERR this value type cannot be serialized"); return; }
    reply_bulk(c, (const char *)p, len);
    rdb_dump_free(p, len);
}

/* RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] */
void cmd_restore(client *c)
{
    int replace = 0, absttl = 0;
    long long idle = -1, freq = -1;
    for (int i = 4; i < c->argc; i++) {
        int more = i + 1 < c->argc;
        if (ARGEQ(c->argv[i], "replace")) replace = 1;
        else if (ARGEQ(c->argv[i], "absttl")) absttl = 1;
        else if (ARGEQ(c->argv[i], "idletime") && more && freq == -1) {
            if (!util_str2ll(c->argv[i + 1].p, c->argv[i + 1].len, &idle)) { reply_err_not_int(c); return; }
            if (idle < 0) { reply_error(c, "ERR Invalid IDLETIME value, must be >= 0"); return; }
            i++;
        } else if (ARGEQ(c->argv[i], "freq") && more && idle == -1) {
            if (!util_str2ll(c->argv[i + 1].p, c->argv[i + 1].len, &freq)) { reply_err_not_int(c); return; }
            if (freq < 0 || freq > 255) { reply_error(c, "ERR Invalid FREQ value, must be >= 0 and <= 255"); return; }
            i++;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    const arg *key = &c->argv[1];
    kv *old = db_lookup(c->db, key->p, key->len);
    if (!replace && old) { reply_error(c, "BUSYKEY Target key name already exists."); return; }
    long long ttl;
    if (!util_str2ll(c->argv[2].p, c->argv[2].len, &ttl)) { reply_err_not_int(c); return; }
    if (ttl < 0) { reply_error(c, "ERR Invalid TTL value, must be >= 0"); return; }
    int bad_footer;
    char err[256];
    kv *e = rdb_restore(c->argv[3].p, c->argv[3].len, key->p, key->len, &bad_footer, err, sizeof(err));
    if (!e) {
        reply_error(c, bad_footer ? "ERR DUMP payload version or checksum are wrong" : "ERR Bad data format");
        return;
    }
    if (ttl && !absttl) ttl += db_now_ms;
    if (ttl && db_when_passed(ttl)) {
        /* already expired: the key ends up absent, as in Redis */
        kv_free(e);
        if (old) {
            db_delete(c->db, key->p, key->len);
            fx_rewrite_strs(c, "DEL", (size_t)3, key->p, key->len, NULL);
            server_dirty(1);
        }
        reply_ok(c);
        return;
    }
    if (idle >= 0) e->lru = db_lru_clock - (uint32_t)(idle > db_lru_clock ? db_lru_clock : idle);
    if (old) db_delete(c->db, key->p, key->len);
    db_add(c->db, e);
    if (ttl) db_set_expire(c->db, e, ttl);
    /* the journal gets an absolute, replace-safe form (replay must not depend on the clock) */
    char tbuf[UTIL_LL_STR_SIZE];
    size_t tl = util_ll2str(tbuf, ttl);
    fx_rewrite_strs(c, "RESTORE", (size_t)7, key->p, key->len, tbuf, tl, c->argv[3].p, c->argv[3].len,
                    "ABSTTL", (size_t)6, "REPLACE", (size_t)7, NULL);
    server_dirty(1);
    reply_ok(c);
}

/* ---- registration --------------------------------------------------------------- */

/* SHUTDOWN as Redis: save when told to (SAVE), or by default when save
 * rules exist; NOSAVE never saves.  A BGSAVE in flight is abandoned first
 * (its temp file removed): the blocking save supersedes it. */
extern int (*shutdown_hook)(int save);
static int shutdown_save(int save)
{
    S.shutdown_by_command = 1;
    /* while loading the dataset is partial: never save it (Redis neither) */
    if (server.loading) return 0;
    if (save == 0 || (save < 0 && S.nrules == 0)) return 0;
    if (S.child > 0) {
        log_msg(LOG_WARNING, "There is a child saving an .rdb. Killing it!");
        kill(S.child, SIGKILL);
        while (waitpid(S.child, NULL, 0) < 0 && errno == EINTR) {}
        if (S.cow_pipe >= 0) close(S.cow_pipe);
        S.cow_pipe = -1;
        S.child = -1;
        resume_parent_work();
        finish_bgsave(0);
    } else if (S.pending_publish) {
        S.pending_publish = 0;
        unlink(S.child_tmp);
    }
    log_msg(LOG_NOTICE, "Saving the final RDB snapshot before exiting.");
    if (snapshot_save_now() < 0) {
        log_msg(LOG_WARNING, "Error trying to save the DB, can't exit.");
        return -1;
    }
    log_msg(LOG_NOTICE, "DB saved on disk");
    return 0;
}

/* SIGTERM / SIGINT: the signal handler only sets shutdown_asap; this runs
 * in before_sleep, before the loop stops on it, and does what SHUTDOWN
 * (without arguments, or as shutdown-on-sig* says) does.  If the final
 * save fails the server keeps running, as Redis does. */
static void signal_shutdown(void)
{
    if (!server.shutdown_asap) {
        S.shutdown_by_command = 0;
        return;
    }
    if (S.shutdown_by_command || server.loading) return;
    S.shutdown_by_command = 1;
    const char *name = server.shutdown_signal == SIGINT ? "SIGINT" : "SIGTERM";
    int flags = server.shutdown_signal == SIGINT ? S.on_sigint : S.on_sigterm;
    log_msg(LOG_WARNING, "Received %s scheduling shutdown...", name);
    int save = flags & SHUT_SAVE ? 1 : flags & SHUT_NOSAVE ? 0 : -1;
    if (shutdown_save(save) < 0 && !(flags & SHUT_FORCE)) {
        log_msg(LOG_WARNING, "%s received but errors trying to shut down the server, check the logs for more information",
                name);
        server.shutdown_asap = 0;
        S.shutdown_by_command = 0;
    }
}

void snapshot_register(void)
{
    cfg_register(snapshot_configs, sizeof(snapshot_configs) / sizeof(snapshot_configs[0]));
    shutdown_hook = shutdown_save;
    server_add_cron(snapshot_cron);
    server_add_before_sleep(signal_shutdown);
}
