/* tier_emulated.c -- emulated PMem: a private anonymous region of
 * pmem-size bytes managed as a tier of its own.
 *
 * Why private anonymous: a fork child (BGSAVE) must see a frozen copy, and
 * private anonymous pages are copied on write exactly like DRAM.  The
 * region is mapped MAP_NORESERVE so an unused tier costs nothing; pages are
 * committed as values land on them.
 *
 * jemalloc manages it through an arena confined to the region
 * (tier_jemalloc.c), and tier.c calls that arena directly with a thread
 * cache, so placing a value on emulated PMem costs what placing it on DRAM
 * does.  (It used to be a memkind fixed kind: memkind's arena path took a
 * mutex and ~700 instructions per allocation, against ~100 for a tcache
 * hit, which alone cost the ratio policy 8% of SET throughput with 4 KiB
 * values.  The real kinds still go through memkind.)
 */
#include "tier_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int tier_emulated_open(tier_backend *be, uint64_t size, char *err, size_t errlen)
{
    uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    if (size < TIER_MIN_REGION)
        return tier_err(err, errlen, TIER_EINVAL,
                        "pmem-kind emulated needs pmem-size of at least %llu bytes "
                        "(16mb); got %llu",
                        (unsigned long long)TIER_MIN_REGION, (unsigned long long)size);
    if (size > SIZE_MAX - pg)
        return tier_err(err, errlen, TIER_EINVAL, "pmem-size %llu is too large",
                        (unsigned long long)size);
    size_t len = (size_t)((size + pg - 1) & ~(pg - 1));
    void *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
        return tier_err(err, errlen, TIER_ENOMEM,
                        "pmem-kind emulated: cannot map %zu bytes: %s; "
                        "lower pmem-size", len, strerror(errno));
    /* No MADV_DONTFORK: BGSAVE children read values from the region. */
    int rc = tier_jemalloc_open_backend(be, base, len, err, errlen);
    if (rc != TIER_OK) {
        munmap(base, len);
        return rc;
    }
    be->fork_safe = 1;
    return TIER_OK;
}
