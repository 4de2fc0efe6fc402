/* tiering.h -- the server side of tiered memory: configuration, start-up of
 * the PMem tier, the controller tick, background migration of existing
 * values between tiers, and what INFO / MEMORY report about tiers.
 *
 * What it promises
 *   - Every tiering option (TieredMemDB's names) works in the config file,
 *     on the command line and with CONFIG GET/SET/REWRITE; a bad value or a
 *     bad combination is refused with a message naming the options, and a
 *     refused CONFIG SET changes nothing.  The options that define the PMem
 *     device (pmem-kind, -variant, -numa-nodes, -dir, -size) are start-up
 *     only.
 *   - tiering_start() opens the PMem tier once the config is loaded; if the
 *     kind is unavailable the server does not start and says why.
 *   - Migration runs from the server cron, at most tier-migration-budget-us
 *     per tick.  It walks the keyspace with a persistent SCAN cursor per
 *     database, moves value blocks with tier_move() (never changing a byte
 *     of a value, never touching the access clock), cold values to PMem and
 *     hot values to DRAM first.  A block whose copy would not fit in the
 *     budget is skipped rather than blocking clients.
 *   - Value types register how their blocks migrate and how their bytes are
 *     counted per tier (tiering_register_type); strings are built in, lists,
 *     hashes, sets and sorted sets are in tiering_types.c.  A value with
 *     more blocks than one budget can move is continued on the next tick
 *     from where the step stopped (tiering_step.cursor), and keys a step
 *     ended on are visited first by the next step, so no key is starved.
 * Main thread only.
 */
#ifndef TIERING_H
#define TIERING_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "tier.h"

/* ---- start-up and cron --------------------------------------------------- */

/* Register the config entries (from server_register_modules). */
void tiering_register(void);
/* Open the PMem tier from the loaded config; on failure it stops start-up
 * with the allocator's message (server_die). */
void tiering_start(void);
/* Controller tick + one bounded migration step (server cron). */
void tiering_cron(void);
void tiering_before_sleep(void);

/* Code that keeps raw pointers to value blocks across event-loop
 * iterations (an in-process snapshot iterator, zero-copy replies) pauses
 * migration meanwhile: +1 to pause, -1 to resume (nested). */
void tiering_migration_pause(int delta);

/* ---- value types ----------------------------------------------------------- */

/* One migration step's state, passed to the per-type callbacks. */
typedef struct tiering_step {
    const tier_migrate_plan *plan;
    uint64_t deadline_us;
    uint64_t moved;          /* bytes moved in this step so far */
    uint64_t moved_blocks;
    int stop;                /* set when the step must end (deadline, target full, done) */
    /* Per-key resume point, so a large aggregate is migrated across ticks
     * instead of being restarted from its first element by every cycle.
     * In: where to continue in this value (0 = from the start).  Out: a
     * type that stops part-way sets partial = 1 and cursor to where the
     * next step should continue; the walk then resumes this key first
     * (looked up by name, so the value may have changed or gone: the
     * cursor is a hint, never trusted as a pointer). */
    uint64_t cursor;
    int partial;
    unsigned ticks;          /* for tiering_step_tick */
} tiering_step;

/* Move one user-data block *pp if the plan wants it: replaces *pp with the
 * moved block.  Returns 1 if the caller must stop walking (st->stop set:
 * deadline reached, destination full, or enough moved), else 0.  Blocks
 * whose copy would not fit in the remaining budget are left where they
 * are.  Type modules call this for each block of an aggregate value. */
int tiering_move_block(tiering_step *st, void **pp);

/* Call once per element visited (moved or not): checks the clock every few
 * calls so a walk over many non-candidate elements still ends on time.
 * Returns 1 (and sets st->stop) when the step must end. */
int tiering_step_tick(tiering_step *st);

/* Migrate the blocks of e's value (e itself never moves).  Return as soon
 * as tiering_move_block returns 1.  Blocks that were not visited are found
 * on a later walk, so a type may stop part-way through a value. */
typedef void tiering_migrate_fn(kv *e, tiering_step *st);

/* Add the usable bytes of e's value blocks (user data) to
 * bytes[TIER_DRAM/TIER_PMEM], and, if meta is not NULL, the bytes of the
 * value's DRAM metadata (list nodes, dict tables and nodes, skiplist nodes)
 * to *meta; never the kv block itself.  samples > 0 may estimate from that
 * many elements, 0 means count everything. */
typedef void tiering_usage_fn(const kv *e, long long samples, uint64_t bytes[TIER_COUNT], uint64_t *meta);

typedef struct tiering_type_ops {
    tiering_migrate_fn *migrate;
    tiering_usage_fn *usage;
} tiering_type_ops;

/* For enum obj_type values; a type without ops is never migrated and its
 * value counts as DRAM in MEMORY TIER. */
void tiering_register_type(int type, const tiering_type_ops *ops);
/* The ops registered for a type (strings built in), NULL if none. */
const tiering_type_ops *tiering_type_get(int type);
/* Registers lists, hashes, sets and sorted sets (tiering_types.c; from
 * server_register_modules). */
void tiering_types_register(void);

/* Bytes of e per tier: the kv block and the value's metadata (DRAM) plus
 * the value's user-data blocks. */
void tiering_value_usage(const kv *e, long long samples, uint64_t bytes[TIER_COUNT]);
/* "dram", "pmem" or "mixed" for the value of e (the key block and the
 * value's metadata do not count: only user-data blocks). */
const char *tiering_value_tier(const kv *e);

/* ---- reporting -------------------------------------------------------------- */

typedef struct tiering_stats {
    uint64_t steps;              /* migration steps that had work */
    uint64_t blocks_moved[TIER_COUNT];   /* by destination */
    uint64_t skipped_large;      /* blocks too big to copy within one budget */
    uint64_t cycles;             /* full walks of the keyspace */
    uint64_t last_step_us;       /* duration of the last step */
    uint64_t max_step_us;
    uint64_t max_step_cpu_us;    /* CPU time of the longest step (no preemption) */
} tiering_stats;
void tiering_get_stats(tiering_stats *out);

/* INFO memory lines ("field:value\r\n"); returns the length written
 * (truncated to cap - 1, always NUL-terminated when cap > 0). */
size_t tiering_info(char *buf, size_t cap);

#endif
