/* tier_jemalloc.c -- jemalloc arenas confined to one address range.
 *
 * DESIGN
 *   Why: tier_of(p) has to be cheap and correct for every PMem kind.  The
 *   memkind kinds (kmem-dax, fsdax) hand out memory at addresses nobody
 *   can predict, memkind_detect_kind() takes a global mutex inside
 *   memkind's jemalloc, and asking it about a pointer that memkind never
 *   allocated walks a radix tree it has no entry for.  Turning the question
 *   around fixes all of it: if tierdb's DRAM tier lives in one known range,
 *   "is p DRAM" is a subtraction and a compare, and anything else handed to
 *   tier_free() is PMem.  So the DRAM tier gets its own jemalloc arena whose
 *   extent hooks carve extents out of one big address-space reservation.
 *   The same hooks serve the emulated PMem tier when memkind is absent:
 *   jemalloc then does the size classes, reuse and purging over the
 *   emulated region, and we only hand out address space.
 *
 *   The hooks are a bump pointer over the range, advanced with a CAS (no
 *   lock: a fork while another thread held one would deadlock the child).
 *   Extents are never given back (dalloc opts out), which is what jemalloc
 *   does by default on Linux anyway ("retain"): freed extents stay in the
 *   arena's retained set, are reused for later growth, and their pages are
 *   returned to the kernel by the purge hooks (MADV_FREE / MADV_DONTNEED).
 *   A reserved range starts PROT_NONE and is made writable piece by piece
 *   as the bump pointer passes, so reserving a terabyte costs no commit
 *   charge even under vm.overcommit_memory=2, and the range stays two VMAs.
 *
 *   Cost: memory freed inside the range can be reused only by this arena;
 *   that is the point.  Alignment padding between extents (jemalloc asks
 *   for page alignment, and 2 MiB for its own metadata) is never reused.
 *
 *   Thread caches: automatic tcache bins are shared across arenas, so a
 *   MALLOCX_ARENA(dram) request could be served a block cached from a
 *   default arena.  The DRAM arena therefore uses an explicit tcache per
 *   thread, created on first use and destroyed at thread exit.  The
 *   emulated PMem arena is driven by tier.c directly (tier_backend.jflags):
 *   the thread that opened the tier gets one explicit tcache for it, which
 *   tier_shutdown destroys before the arena, and every other thread uses
 *   none (MALLOCX_TCACHE_NONE), so there are never other threads' caches to
 *   chase.  The ops below (no tcache) serve the same arena for anything
 *   that goes through the ops table.
 */
#include "tier_internal.h"

#include <errno.h>
#include <jemalloc/jemalloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct tier_jregion {
    extent_hooks_t hooks;      /* first: jemalloc hands us &hooks back */
    uintptr_t base;            /* range start, page aligned */
    size_t size;               /* range length */
    _Atomic uintptr_t next;    /* bump pointer: [base, next) handed to jemalloc */
    int reserved;              /* 1: PROT_NONE reservation, mprotect on growth */
    unsigned arena;            /* jemalloc arena index */
};

static struct tier_jregion *region_of(extent_hooks_t *h)
{
    return (struct tier_jregion *)(void *)h;
}

static void *hook_alloc(extent_hooks_t *h, void *new_addr, size_t size,
                        size_t alignment, bool *zero, bool *commit, unsigned arena_ind)
{
    struct tier_jregion *r = region_of(h);
    uintptr_t end = r->base + r->size, cur, start;
    if (alignment == 0) alignment = 1;
    cur = atomic_load_explicit(&r->next, memory_order_relaxed);
    for (;;) {
        if (new_addr) {
            /* In-place growth: only possible right at the bump pointer. */
            if ((uintptr_t)new_addr != cur) return NULL;
            start = cur;
        } else {
            start = (cur + alignment - 1) & ~(uintptr_t)(alignment - 1);
        }
        if (start < cur || start > end || size > end - start) return NULL;
        if (atomic_compare_exchange_weak_explicit(&r->next, &cur, start + size,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
            break;
    }
    if (r->reserved && mprotect((void *)start, size, PROT_READ | PROT_WRITE) != 0) {
        /* Out of commit charge.  Give the range back if nobody bumped past
         * it meanwhile; otherwise it stays a PROT_NONE hole. */
        uintptr_t expect = start + size;
        atomic_compare_exchange_strong_explicit(&r->next, &expect, cur,
                                                memory_order_relaxed,
                                                memory_order_relaxed);
        return NULL;
    }
    /* Never handed out before, so still the kernel's zero pages. */
    *zero = true;
    *commit = true;
    return (void *)start;
}

/* Opt out: jemalloc keeps the extent as retained and reuses it. */
static bool hook_dalloc(extent_hooks_t *h, void *addr, size_t size, bool committed,
                        unsigned arena_ind)
{
    return true;
}

static void hook_destroy(extent_hooks_t *h, void *addr, size_t size, bool committed,
                         unsigned arena_ind)
{
    madvise(addr, size, MADV_DONTNEED);
}

static bool hook_purge_lazy(extent_hooks_t *h, void *addr, size_t size, size_t offset,
                            size_t length, unsigned arena_ind)
{
    return madvise((char *)addr + offset, length, MADV_FREE) != 0;
}

static bool hook_purge_forced(extent_hooks_t *h, void *addr, size_t size, size_t offset,
                              size_t length, unsigned arena_ind)
{
    return madvise((char *)addr + offset, length, MADV_DONTNEED) != 0;
}

/* Everything lives in one mapping, so splitting and merging are free. */
static bool hook_split(extent_hooks_t *h, void *addr, size_t size, size_t size_a,
                       size_t size_b, bool committed, unsigned arena_ind)
{
    return false;
}

static bool hook_merge(extent_hooks_t *h, void *addr_a, size_t size_a, void *addr_b,
                       size_t size_b, bool committed, unsigned arena_ind)
{
    return false;
}

static const extent_hooks_t region_hooks = {
    .alloc = hook_alloc,
    .dalloc = hook_dalloc,
    .destroy = hook_destroy,
    .commit = NULL,            /* extents are born committed and never decommitted */
    .decommit = NULL,
    .purge_lazy = hook_purge_lazy,
    .purge_forced = hook_purge_forced,
    .split = hook_split,
    .merge = hook_merge,
};

int tier_jregion_open(tier_jregion **out, void *base, size_t size,
                      char *err, size_t errlen)
{
    long pg = sysconf(_SC_PAGESIZE);
    int reserved = base == NULL;
    size = (size + (size_t)pg - 1) & ~((size_t)pg - 1);
    if (reserved) {
        base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                    -1, 0);
        if (base == MAP_FAILED)
            return tier_err(err, errlen, TIER_ENOMEM,
                            "cannot reserve %zu bytes of address space: %s", size,
                            strerror(errno));
    }
    /* Hook tables must outlive the arena, and jemalloc keeps the pointer. */
    struct tier_jregion *r = mallocx(sizeof(*r), MALLOCX_TCACHE_NONE);
    if (!r) {
        if (reserved) munmap(base, size);
        return tier_err(err, errlen, TIER_ENOMEM, "out of memory");
    }
    memset(r, 0, sizeof(*r));
    r->hooks = region_hooks;
    r->base = (uintptr_t)base;
    r->size = size;
    atomic_init(&r->next, r->base);
    r->reserved = reserved;

    extent_hooks_t *hp = &r->hooks;
    size_t sz = sizeof(r->arena);
    int rc = mallctl("arenas.create", &r->arena, &sz, &hp, sizeof(hp));
    if (rc != 0) {
        dallocx(r, MALLOCX_TCACHE_NONE);
        if (reserved) munmap(base, size);
        return tier_err(err, errlen, TIER_ENOMEM, "jemalloc arenas.create failed: %s",
                        strerror(rc));
    }
    *out = r;
    return TIER_OK;
}

void tier_jregion_close(tier_jregion *r)
{
    char name[64];
    if (!r) return;
    snprintf(name, sizeof(name), "arena.%u.destroy", r->arena);
    /* If jemalloc refuses (blocks still live), keep the mapping: unmapping
     * memory an arena still owns would turn a leak into a crash. */
    if (mallctl(name, NULL, NULL, NULL, 0) == 0) {
        munmap((void *)r->base, r->size);
        dallocx(r, MALLOCX_TCACHE_NONE);
    }
}

int tier_jregion_arena_flags(const tier_jregion *r) { return MALLOCX_ARENA(r->arena); }

void tier_jregion_range(const tier_jregion *r, uintptr_t *lo, uintptr_t *len)
{
    *lo = r->base;
    *len = r->size;
}

/* --- the DRAM arena's per-thread tcache ---------------------------------- */

__thread int tier_tls_dram_tcache;
static _Atomic int dram_tcache_on;
static pthread_key_t tcache_key;
static pthread_once_t tcache_key_once = PTHREAD_ONCE_INIT;

static void tcache_thread_exit(void *unused)
{
    int f = tier_tls_dram_tcache;
    tier_tls_dram_tcache = 0;
    if (f != 0 && f != MALLOCX_TCACHE_NONE) {
        unsigned tc = (unsigned)((f >> 8) - 2);
        mallctl("tcache.destroy", NULL, NULL, &tc, sizeof(tc));
    }
}

static void tcache_key_create(void)
{
    if (pthread_key_create(&tcache_key, tcache_thread_exit) != 0) tcache_key = 0;
}

void tier_jemalloc_dram_tcache_enable(void)
{
    pthread_once(&tcache_key_once, tcache_key_create);
    atomic_store(&dram_tcache_on, 1);
}

int tier_jemalloc_dram_tcache_slow(void)
{
    if (!atomic_load_explicit(&dram_tcache_on, memory_order_relaxed)) return 0;
    unsigned tc;
    size_t sz = sizeof(tc);
    /* Out of explicit tcaches (thousands of threads): still correct, slower. */
    if (mallctl("tcache.create", &tc, &sz, NULL, 0) != 0)
        tier_tls_dram_tcache = MALLOCX_TCACHE_NONE;
    else
        tier_tls_dram_tcache = MALLOCX_TCACHE(tc);
    pthread_setspecific(tcache_key, (void *)1);
    return tier_tls_dram_tcache;
}

/* --- PMem backend over a region (emulated without memkind) --------------- */

static void *jb_alloc(void *ctx, size_t n)
{
    return mallocx(n, tier_jregion_arena_flags(ctx) | MALLOCX_TCACHE_NONE);
}

static void *jb_realloc(void *ctx, void *p, size_t n)
{
    return rallocx(p, n, tier_jregion_arena_flags(ctx) | MALLOCX_TCACHE_NONE);
}

static void jb_free(void *ctx, void *p) { dallocx(p, MALLOCX_TCACHE_NONE); }
static size_t jb_usable(void *ctx, const void *p) { return sallocx((void *)p, 0); }
static void jb_close(void *ctx) { tier_jregion_close(ctx); }

static const tier_backend_ops jregion_ops = {
    .alloc = jb_alloc,
    .realloc = jb_realloc,
    .free = jb_free,
    .usable = jb_usable,
    .close = jb_close,
};

int tier_jemalloc_open_backend(tier_backend *be, void *base, size_t size,
                               char *err, size_t errlen)
{
    tier_jregion *r;
    int rc = tier_jregion_open(&r, base, size, err, errlen);
    if (rc != TIER_OK) return rc;
    be->ops = &jregion_ops;
    be->ctx = r;
    be->impl = "jemalloc-region";
    tier_jregion_range(r, &be->lo, &be->len);
    be->capacity = size;
    be->fork_safe = 1;
    be->jflags = tier_jregion_arena_flags(r);
    return TIER_OK;
}
