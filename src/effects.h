/* effects.h -- the deterministic effects of write commands.
 *
 * What it promises
 *   - Every command that changed the dataset (server.dirty moved) and has
 *     CMD_JOURNAL leaves exactly one effects record: by default its own argv;
 *     a handler whose command is not deterministic replaces it with
 *     fx_rewrite() (SPOP -> SREM, EXPIRE -> PEXPIREAT, INCRBYFLOAT -> SET
 *     ... KEEPTTL) or adds commands with fx_also().  Deletions done by the
 *     server itself (expiry, eviction) are recorded as DEL with fx_also().
 *   - Records are RESP arrays, the text an AOF holds, preceded by a SELECT
 *     when the database differs from the previous record's.
 *   - A MULTI/EXEC's records are wrapped in MULTI ... EXEC and form one
 *     entry (fx_entry_begin/fx_entry_end nest).
 *   - The journal takes whole entries with fx_take(); nothing else reads
 *     them.  With no consumer installed the records are dropped.
 * Main thread only.
 */
#ifndef EFFECTS_H
#define EFFECTS_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

struct cmd;

/* Called by the dispatcher around each command. */
void fx_cmd_begin(client *c);
void fx_cmd_end(client *c, const struct cmd *cm, int changed);

/* For handlers: replace this command's effect with argv (the whole record). */
void fx_rewrite(client *c, int argc, const arg *argv);
/* Convenience: replace with a NULL-terminated list of C strings/lengths.
 * Each pair is (const char *p, size_t len); end with NULL. */
void fx_rewrite_strs(client *c, ...);
/* Add a command to the current entry (after the command's own effect). */
void fx_also(int dbid, int argc, const arg *argv);
void fx_also_strs(int dbid, ...);
/* This command changed the dataset but its effect is nothing to replay. */
void fx_suppress(client *c);

/* A key the server deleted by itself (expired): records DEL and counts a
 * change, which is not the running command's own: a command that only
 * triggered the expiry (DEL or SET XX of an expired key) records nothing
 * more.  fx_server_dirty counts these changes for the dispatcher. */
void fx_server_del(int dbid, const char *key, size_t len);
extern uint64_t fx_server_dirty;

/* Forget which database the last record was in, so the next record starts
 * with a SELECT.  For a snapshot: replay after it starts in db 0. */
void fx_forget_db(void);

/* Entries: a MULTI/EXEC or a script groups records into one entry. */
void fx_entry_begin(void);
void fx_entry_end(void);
/* Forget the records of the outermost entry being built (EXEC that
 * changed nothing drops its MULTI record). */
void fx_entry_drop(void);

/* Consumer side (the journal): take every finished entry since the last
 * call as one buffer of RESP text; *nentries counts entries.  The buffer
 * stays valid until the next fx_take(). */
typedef void fx_entry_fn(const char *p, size_t len, void *priv);
extern fx_entry_fn *fx_consumer;        /* called once per finished entry */
extern void *fx_consumer_priv;

/* Keys touched by the entry being built (for the durability tracker). */
typedef void fx_key_fn(int dbid, const char *key, size_t len, void *priv);
extern fx_key_fn *fx_key_consumer;
extern void *fx_key_consumer_priv;

/* Statistics */
extern uint64_t fx_stat_entries, fx_stat_bytes;

#endif
