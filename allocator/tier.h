/* tier.h -- the tier allocator: one interface for every byte tierdb keeps.
 *
 * What it promises
 *   - tier_malloc(n) places user data by the current placement policy;
 *     tier_dram_malloc(n) always places on DRAM and is for metadata: object
 *     headers, hash-table entries and buckets, list nodes, client structures
 *     and buffers.
 *   - Neither returns NULL: on exhaustion the OOM handler runs and the
 *     process aborts.  The tier_try_* variants return NULL instead and are
 *     mandatory wherever the size comes from a client.
 *   - Per-tier byte counters are exact: every alloc/free/realloc adds or
 *     subtracts the usable size of the block it touched, no sampling.
 *   - User data is freed with tier_free(), metadata with tier_dram_free().
 *
 * This is the DRAM-only bootstrap: every block is on DRAM.
 * Threads: allocation and free are thread-safe.
 */
#ifndef TIER_H
#define TIER_H

#include <stddef.h>
#include <stdint.h>

typedef enum tier_id {
    TIER_DRAM = 0,
    TIER_PMEM = 1,
    TIER_COUNT = 2
} tier_id;

typedef struct tier_stats {
    uint64_t used[TIER_COUNT];        /* all live blocks per tier */
    uint64_t user[TIER_COUNT];        /* live user-data blocks per tier */
    uint64_t allocs[TIER_COUNT];      /* number of live blocks per tier */
    uint64_t pmem_overflow_bytes;     /* user data placed on DRAM because PMem was full */
} tier_stats;

void tier_init_default(void);

void *tier_malloc(size_t n);
void *tier_try_malloc(size_t n);
void *tier_realloc(void *p, size_t n);
void *tier_try_realloc(void *p, size_t n);
void tier_free(void *p);

void *tier_dram_malloc(size_t n);
void *tier_dram_try_malloc(size_t n);
void *tier_dram_calloc(size_t n);
void *tier_dram_realloc(void *p, size_t n);
void tier_dram_free(void *p);
char *tier_dram_strdup(const char *s);

size_t tier_usable_size(const void *p);
tier_id tier_of(const void *p);
int tier_places_on_dram(size_t n);

void tier_get_stats(tier_stats *out);
uint64_t tier_used_total(void);

typedef void (*tier_oom_handler)(size_t n);
void tier_set_oom_handler(tier_oom_handler fn);

#endif
