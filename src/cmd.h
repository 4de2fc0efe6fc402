/* cmd.h -- the command table and dispatch.
 *
 * What it promises
 *   - One declarative table (cmd_table.def, an X-macro with designated
 *     fields, including the per-group files it includes) gives every
 *     command's name, handler, arity, flags and key positions.  The server
 *     dispatches from it, COMMAND INFO/DOCS/GETKEYS report from it, and the
 *     durability layer reads its flags, so they cannot disagree.
 *   - Handlers have one shape, void cmd_<name>(client *c), parse their
 *     arguments and reply.  They never touch the journal: the dispatcher
 *     does that from the flags.
 *
 * FLAGS (one definition for all)
 *   CMD_WRITE       changes the keyspace; refused when writes are refused
 *                   (journal error, -OOM); its effects go to the journal.
 *   CMD_READONLY    reads keys; must wait for dirty keys (CMD_DURABLE_READ is
 *                   implied for every command with keys that is not a write).
 *   CMD_DENYOOM     may grow memory: refused with -OOM past maxmemory.
 *   CMD_ADMIN       server administration (CONFIG, DEBUG, SHUTDOWN...).
 *   CMD_PUBSUB      pub/sub; allowed in RESP2 subscriber mode.
 *   CMD_NOSCRIPT    not allowed in scripts (informational).
 *   CMD_BLOCKING    may block the client.
 *   CMD_LOADING     allowed while loading the dataset.
 *   CMD_STALE       allowed with a stale replica (informational).
 *   CMD_FAST        O(1) or O(log N) (informational, COMMAND INFO).
 *   CMD_NO_AUTH     allowed before AUTH (AUTH, HELLO, QUIT...).
 *   CMD_NO_MULTI    not allowed inside MULTI (queued error).
 *   CMD_ALLOW_BUSY  allowed while busy (informational).
 *   CMD_MAY_REPLICATE  may change the dataset (informational).
 *   CMD_SENTINEL, CMD_ONLY_SENTINEL  unused, kept for COMMAND INFO parity.
 *   CMD_JOURNAL     writes a journal entry when it changed something.
 *
 * Key positions follow Redis: first_key, last_key (-1 = last argument,
 * -2 = second to last), key_step; commands whose keys depend on a count
 * (ZUNIONSTORE, LMPOP...) supply getkeys().
 */
#ifndef CMD_H
#define CMD_H

#include <stdint.h>
#include <strings.h>

#include "conn.h"

#define CMD_WRITE (1ULL << 0)
#define CMD_READONLY (1ULL << 1)
#define CMD_DENYOOM (1ULL << 2)
#define CMD_ADMIN (1ULL << 3)
#define CMD_PUBSUB (1ULL << 4)
#define CMD_NOSCRIPT (1ULL << 5)
#define CMD_BLOCKING (1ULL << 6)
#define CMD_LOADING (1ULL << 7)
#define CMD_STALE (1ULL << 8)
#define CMD_FAST (1ULL << 9)
#define CMD_NO_AUTH (1ULL << 10)
#define CMD_NO_MULTI (1ULL << 11)
#define CMD_ALLOW_BUSY (1ULL << 12)
#define CMD_MAY_REPLICATE (1ULL << 13)
#define CMD_JOURNAL (1ULL << 14)
#define CMD_SKIP_MONITOR (1ULL << 15)
#define CMD_SKIP_SLOWLOG (1ULL << 16)

typedef void cmd_proc(client *c);
/* Fills keys[] with argument indexes of keys; returns the count (<= max). */
typedef int cmd_getkeys_fn(int argc, const arg *argv, int *keys, int max);

typedef struct cmd {
    const char *name;
    cmd_proc *proc;
    int arity;
    uint64_t flags;
    int first_key, last_key, key_step;
    cmd_getkeys_fn *getkeys;
    const char *group;       /* "string", "generic", "server", ... */
    const char *summary;
    const char *since;
    const char *complexity;
    const char *args;        /* syntax after the name, Redis docs notation */
    const char *subcmds;     /* space-separated subcommands, "" if none */
    const char *acl;         /* space-separated ACL categories without '@' */
    /* statistics */
    uint64_t calls, usec, rejected, failed;
} cmd;

/* The table, sorted by name at start-up for lookup. */
void cmd_init(void);
cmd *cmd_lookup(const char *name, size_t len);
size_t cmd_count(void);
cmd *cmd_at(size_t i);
/* Keys of a command invocation: argument indexes into keys[]. */
int cmd_get_keys(const cmd *c, int argc, const arg *argv, int *keys, int max);
void cmd_reset_stats(void);

/* Dispatch one parsed command of client c (argv set): stamps
 * c->last_interaction, checks, then runs it as cmd_exec does. */
void cmd_call(client *c);
/* Run the handler with timing, stats, slowlog and the after-hooks (used by
 * cmd_call and by EXEC for queued commands). */
void cmd_exec(client *c, cmd *cm);

/* Hooks other modules install (NULL when unused).
 * cmd_intercept: return 1 if the command was taken over (MULTI queueing).
 * cmd_after: runs after every executed command (journal, tracker, monitor).
 * cmd_refuse_writes: returns an error text if writes are refused now. */
extern int (*cmd_intercept)(client *c, cmd *cm);
extern void (*cmd_after)(client *c, cmd *cm, uint64_t dirty_before, int64_t start_us, int64_t dur_us);
extern const char *(*cmd_refuse_writes)(void);
/* The durability tracker's after-hook: runs once per top-level command (not
 * for the commands EXEC runs inside a transaction). */
extern void (*cmd_after_durability)(client *c, cmd *cm);
extern int cmd_depth;    /* nesting of cmd_exec (EXEC runs commands inside) */
extern void (*cmd_monitor_feed)(client *c);

/* ---- helpers shared by the handlers ------------------------------------- */

/* An argument equal to a literal option name, ignoring case ("NX"). */
#define ARGEQ(a, s) ((a).len == sizeof(s) - 1 && strncasecmp((a).p, (s), sizeof(s) - 1) == 0)

/* A container command's subcommand and its arity as Redis 7.0 gives it
 * (N: exactly N arguments counting the command and the subcommand, -N: at
 * least N). */
typedef struct cmd_sub {
    const char *name;
    int arity;
} cmd_sub;
/* 1 if argv[1] is one of subs[0..n) and argc fits its arity.  Otherwise
 * replies Redis's error -- "unknown subcommand 'x'. Try PARENT HELP." or
 * "wrong number of arguments for 'parent|sub' command" -- and returns 0.
 * parent in lower case ("client"). */
int cmd_sub_check(client *c, const char *parent, const cmd_sub *subs, size_t n);

struct kv;
/* Parse an integer argument, or reply Redis's error; 1 on success. */
int arg_ll(client *c, const arg *a, long long *out);
/* The value at key k if it holds `type` (enum obj_type); NULL if absent.  If
 * the key holds another type, replies WRONGTYPE, sets *wrong and returns
 * NULL. */
struct kv *cmd_lookup_type(client *c, const arg *k, int type, int *wrong);

/* The handlers, declared from the table. */
#define CMD(id, ...) void cmd_##id(client *c);
#include "cmd_table.def"
#undef CMD

#endif
