/* snapshotter_main.c -- the tierdb-snapshot entry point: parse the command
 * line, start up like the server (server_boot) without sockets, journal
 * writer or PMem tier, and run snapshotter_run().  Exit status 0 when a new
 * snapshot was published, 1 otherwise (the reason on stderr and in the log).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev.h"
#include "jnl.h"
#include "log.h"
#include "server.h"
#include "snapshot.h"
#include "snapshotter.h"
#include "tier.h"
#include "util.h"

static void usage(int rc)
{
    fprintf(rc ? stderr : stdout,
            "Usage: tierdb-snapshot [/path/to/tierdb.conf] [--max-seq N] [--name value ...]\n\n"
            "Builds a new snapshot (<dir>/<dbfilename>) from the current one plus the journal\n"
            "after it, without contacting the server.  Any server option may be given as\n"
            "--name value; the ones that matter are --dir, --dbfilename, --journal-dir,\n"
            "--databases, --rdbcompression and --rdbchecksum.\n"
            "  --max-seq N   apply journal entries up to seq N only (the server passes its\n"
            "                durable seq); fail if the journal ends before N\n");
    exit(rc);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) usage(0);
    if (argc >= 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version"))) {
        printf("tierdb-snapshot v=%s\n", PACKAGE_VERSION);
        return 0;
    }
    const char *conf = NULL;
    int i = 1;
    if (argc >= 2 && strncmp(argv[1], "--", 2) != 0) {
        conf = argv[1];
        i = 2;
    }
    snapshotter_opts o;
    memset(&o, 0, sizeof(o));
    /* our own options out, the rest goes to the config loader */
    char **rest = tier_dram_calloc(sizeof(char *) * (size_t)(argc + 1));
    int nrest = 0;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--max-seq")) {
            unsigned long long v;
            if (i + 1 >= argc || !util_str2ull(argv[i + 1], strlen(argv[i + 1]), &v)) {
                fprintf(stderr, "tierdb-snapshot: --max-seq needs a number\n");
                usage(1);
            }
            o.max_seq = v;
            i++;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    if (server_boot(conf, nrest, rest) < 0) return 1;
    tier_dram_free(rest);
    if (jnl_cfg.durability == JNL_DURABILITY_NONE) {
        fprintf(stderr, "tierdb-snapshot: durability is none, so there is no journal to build a snapshot from\n");
        return 1;
    }
    o.test_delay_ms = snapshot_test_delay_ms();
    char prio[128];
    snapshot_lower_priority(prio, sizeof(prio));
    /* Handlers may look at the loop; it watches nothing here. */
    server.loop = ev_create(64);
    if (!server.loop) {
        fprintf(stderr, "tierdb-snapshot: cannot create the event loop\n");
        return 1;
    }
    server_init_keyspace();
    log_msg(LOG_NOTICE, "tierdb-snapshot started, pid=%d: '%s' + journal '%s'%s; priority: %s", (int)getpid(),
            server.cfg.dbfilename, jnl_cfg.dir, o.max_seq ? " (up to the server's durable seq)" : "", prio);
    snapshotter_result r;
    char err[2048];
    if (snapshotter_run(&o, &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "tierdb-snapshot: %s\n", err);
        log_msg(LOG_WARNING, "tierdb-snapshot failed: %s", err);
        return 1;
    }
    return 0;
}
