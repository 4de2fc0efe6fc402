/* tier.c -- the tier allocator, DRAM-only bootstrap: jemalloc's mallocx/
 * sallocx/dallocx so the usable size of every block is known exactly and
 * the counters never drift; relaxed atomics because several threads
 * allocate. */
#include "tier.h"

#include <jemalloc/jemalloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Atomic uint64_t tier_used_bytes[TIER_COUNT];
static _Atomic uint64_t tier_user_bytes[TIER_COUNT];
static _Atomic uint64_t tier_nallocs[TIER_COUNT];

static void tier_default_oom(size_t n)
{
    fprintf(stderr, "tierdb: out of memory allocating %zu bytes\n", n);
    fflush(stderr);
    abort();
}

static tier_oom_handler oom_handler = tier_default_oom;

void tier_set_oom_handler(tier_oom_handler fn) { oom_handler = fn ? fn : tier_default_oom; }
void tier_init_default(void) {}

static inline void account(tier_id t, int user, int64_t delta, int64_t nblocks)
{
    atomic_fetch_add_explicit(&tier_used_bytes[t], (uint64_t)delta, memory_order_relaxed);
    if (user) atomic_fetch_add_explicit(&tier_user_bytes[t], (uint64_t)delta, memory_order_relaxed);
    atomic_fetch_add_explicit(&tier_nallocs[t], (uint64_t)nblocks, memory_order_relaxed);
}

static void *dram_alloc(size_t n, int user, int flags)
{
    void *p = mallocx(n ? n : 1, flags);
    if (p) account(TIER_DRAM, user, (int64_t)sallocx(p, 0), 1);
    return p;
}

void *tier_try_malloc(size_t n) { return dram_alloc(n, 1, 0); }
void *tier_dram_try_malloc(size_t n) { return dram_alloc(n, 0, 0); }

void *tier_malloc(size_t n)
{
    void *p = tier_try_malloc(n);
    if (!p) oom_handler(n);
    return p;
}

void *tier_dram_malloc(size_t n)
{
    void *p = dram_alloc(n, 0, 0);
    if (!p) oom_handler(n);
    return p;
}

void *tier_dram_calloc(size_t n)
{
    void *p = dram_alloc(n, 0, MALLOCX_ZERO);
    if (!p) oom_handler(n);
    return p;
}

static void *dram_realloc(void *p, size_t n, int user)
{
    if (!p) return dram_alloc(n, user, 0);
    size_t old = sallocx(p, 0);
    void *q = rallocx(p, n ? n : 1, 0);
    if (!q) return NULL;
    account(TIER_DRAM, user, (int64_t)sallocx(q, 0) - (int64_t)old, 0);
    return q;
}

void *tier_try_realloc(void *p, size_t n) { return dram_realloc(p, n, 1); }

void *tier_realloc(void *p, size_t n)
{
    void *q = dram_realloc(p, n, 1);
    if (!q) oom_handler(n);
    return q;
}

void *tier_dram_realloc(void *p, size_t n)
{
    void *q = dram_realloc(p, n, 0);
    if (!q) oom_handler(n);
    return q;
}

void tier_free(void *p)
{
    if (!p) return;
    account(TIER_DRAM, 1, -(int64_t)sallocx(p, 0), -1);
    dallocx(p, 0);
}

void tier_dram_free(void *p)
{
    if (!p) return;
    account(TIER_DRAM, 0, -(int64_t)sallocx(p, 0), -1);
    dallocx(p, 0);
}

char *tier_dram_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = tier_dram_malloc(n);
    memcpy(d, s, n);
    return d;
}

size_t tier_usable_size(const void *p) { return p ? sallocx((void *)p, 0) : 0; }
tier_id tier_of(const void *p) { (void)p; return TIER_DRAM; }
int tier_places_on_dram(size_t n) { (void)n; return 1; }

void tier_get_stats(tier_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (int t = 0; t < TIER_COUNT; t++) {
        out->used[t] = atomic_load_explicit(&tier_used_bytes[t], memory_order_relaxed);
        out->user[t] = atomic_load_explicit(&tier_user_bytes[t], memory_order_relaxed);
        out->allocs[t] = atomic_load_explicit(&tier_nallocs[t], memory_order_relaxed);
    }
}

uint64_t tier_used_total(void)
{
    return atomic_load_explicit(&tier_used_bytes[TIER_DRAM], memory_order_relaxed) +
           atomic_load_explicit(&tier_used_bytes[TIER_PMEM], memory_order_relaxed);
}
