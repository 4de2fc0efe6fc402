/* tier_internal.h -- what tier.c and its backends share.  Not for src/.
 *
 * A PMem backend is an ops table chosen once at tier_init (STYLE 6: decide
 * at init, not on the hot path) plus an opaque context.  DRAM is not a
 * backend: tier.c calls jemalloc directly with precomputed flags.
 *
 * Backend contract: alloc/realloc return NULL when the tier cannot take the
 * block (full) and leave the old block untouched; usable returns the exact
 * usable size of a live block; close releases everything and may assume no
 * live blocks.  Open functions return TIER_OK or a TIER_E* code with a
 * message in err, and leave *be untouched on error.
 */
#ifndef TIER_INTERNAL_H
#define TIER_INTERNAL_H

/* HAVE_MEMKIND / HAVE_NUMA come from config.h under autotools (which
 * passes -DHAVE_CONFIG_H); a bare gcc build defines them on its command
 * line instead. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "tier.h"

#include <stddef.h>
#include <stdint.h>

typedef struct tier_backend_ops {
    void *(*alloc)(void *ctx, size_t n);
    void *(*realloc)(void *ctx, void *p, size_t n);
    void (*free)(void *ctx, void *p);
    size_t (*usable)(void *ctx, const void *p);
    void (*close)(void *ctx);
} tier_backend_ops;

typedef struct tier_backend {
    const tier_backend_ops *ops;
    void *ctx;
    const char *impl;          /* static name for INFO */
    uintptr_t lo, len;         /* address range if the backend has one, else 0,0 */
    uint64_t capacity;         /* bytes tier.c lets live blocks use */
    int fork_safe;
    /* MALLOCX_ARENA(...) when the tier is a jemalloc arena of this process
     * (tier_jemalloc.c): tier.c then calls mallocx/sallocx/dallocx itself,
     * with a thread cache of its own, instead of going through ops.  0 for
     * memkind kinds. */
    int jflags;
} tier_backend;

/* Formats into err if it is non-NULL; always returns rc so callers can
 * write `return tier_err(err, n, TIER_EINVAL, "...")`. */
int tier_err(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* --- tier_jemalloc.c: jemalloc arenas over one address range ------------ */

typedef struct tier_jregion tier_jregion;

/* Create an arena whose extents all come from [base, base+size).  With
 * base == NULL, reserve `size` bytes of address space (PROT_NONE, made
 * writable as the arena grows: no commit charge for the reservation).
 * Otherwise the caller's mapping must already be readable and writable,
 * and the region owns it from then on (unmapped at close). */
int tier_jregion_open(tier_jregion **out, void *base, size_t size,
                      char *err, size_t errlen);
/* Destroys the arena (all its blocks must be freed) and unmaps the range.
 * Only for regions used without the per-thread tcache (see below). */
void tier_jregion_close(tier_jregion *r);
int tier_jregion_arena_flags(const tier_jregion *r);   /* MALLOCX_ARENA(...) */
void tier_jregion_range(const tier_jregion *r, uintptr_t *lo, uintptr_t *len);

/* The DRAM arena's per-thread explicit tcache flag, created on first use.
 * Automatic tcache bins are shared by all arenas, so a block cached from a
 * default arena could be handed out for a MALLOCX_ARENA(dram) request;
 * an explicit tcache used only with the DRAM arena cannot mix them.
 * Returns 0 (automatic) until tier_jemalloc_dram_tcache_enable(). */
extern __thread int tier_tls_dram_tcache;
int tier_jemalloc_dram_tcache_slow(void);
void tier_jemalloc_dram_tcache_enable(void);
static inline int tier_jemalloc_dram_tcache(void)
{
    int f = tier_tls_dram_tcache;
    return __builtin_expect(f != 0, 1) ? f : tier_jemalloc_dram_tcache_slow();
}

/* Backend over a jemalloc region (emulated PMem without memkind).  Takes
 * ownership of the mapping on success. */
int tier_jemalloc_open_backend(tier_backend *be, void *base, size_t size,
                               char *err, size_t errlen);

/* --- tier_emulated.c ----------------------------------------------------- */
int tier_emulated_open(tier_backend *be, uint64_t size, char *err, size_t errlen);

/* --- tier_memkind.c (stubs returning TIER_ENOTSUP without memkind) ------- */
int tier_memkind_open_kmem(tier_backend *be, tier_variant v, const char *nodes,
                           uint64_t size, char *err, size_t errlen);
int tier_memkind_open_fsdax(tier_backend *be, const char *dir, uint64_t size,
                            char *err, size_t errlen);

#define TIER_MIN_REGION (16ULL << 20)   /* smallest emulated/fsdax tier */

#endif
