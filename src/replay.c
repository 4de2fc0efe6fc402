/* replay.c -- see replay.h. */
#include "replay.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "conn.h"
#include "effects.h"
#include "proto.h"
#include "server.h"
#include "tier.h"

uint64_t replay_commands;
static client *rc;            /* the replay client: no socket, replies off */
static char *copy;
static size_t copy_cap;

static client *replay_client(void)
{
    if (!rc) {
        rc = conn_create(-1, 0);
        rc->authenticated = 1;
        rc->flags |= CF_REPLY_OFF;
        snprintf(rc->name, sizeof(rc->name), "journal-replay");
    }
    return rc;
}

int replay_entry(const char *p, size_t len, char *err, size_t errlen)
{
    client *c = replay_client();
    if (len > copy_cap) {
        tier_dram_free(copy);
        copy_cap = len;
        copy = tier_dram_malloc(copy_cap);
    }
    memcpy(copy, p, len);
    proto_parser pp;
    proto_init(&pp, (long long)len + 1);
    pp.authenticated = 1;
    size_t start = 0;
    int rc_ = 0;
    fx_entry_fn *saved = fx_consumer;
    fx_consumer = NULL;          /* replayed effects are already in the journal */
    while (start < len) {
        int argc;
        size_t need;
        int r = proto_parse(&pp, copy, len, &start, &argc, &need);
        if (r != PROTO_OK) {
            snprintf(err, errlen, "malformed entry at byte %zu: %s", start,
                     r == PROTO_ERR ? pp.err : "truncated command");
            rc_ = -1;
            break;
        }
        if (argc == 0) continue;
        arg *argv = tier_dram_malloc(sizeof(arg) * (size_t)argc);
        for (int i = 0; i < argc; i++) {
            argv[i].p = copy + pp.spans[i].off;
            argv[i].len = pp.spans[i].len;
        }
        if ((argv[0].len == 5 && !strncasecmp(argv[0].p, "multi", 5)) ||
            (argv[0].len == 4 && !strncasecmp(argv[0].p, "exec", 4))) {
            tier_dram_free(argv);
            continue;
        }
        cmd *cm = cmd_lookup(argv[0].p, argv[0].len);
        if (!cm) {
            snprintf(err, errlen, "unknown command '%.*s' in entry", (int)argv[0].len, argv[0].p);
            tier_dram_free(argv);
            rc_ = -1;
            break;
        }
        c->argc = argc;
        c->argv = argv;
        uint64_t errs = server.stat_errors;
        cmd_exec(c, cm);
        replay_commands++;
        c->argv = NULL;
        c->argc = 0;
        tier_dram_free(argv);
        if (server.stat_errors != errs) {
            snprintf(err, errlen, "command '%s' failed during replay", cm->name);
            rc_ = -1;
            break;
        }
    }
    fx_consumer = saved;
    proto_free(&pp);
    return rc_;
}

void replay_done(void)
{
    if (rc) {
        conn_free(rc);
        rc = NULL;
    }
    tier_dram_free(copy);
    copy = NULL;
    copy_cap = 0;
}
