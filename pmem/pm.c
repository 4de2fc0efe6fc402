/* pm.c -- persistence primitives; see pm.h for the contract. */
#include "config.h"
#include "pm.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef HAVE_LIBPMEM
#include <libpmem.h>
#endif

int pm_is_pmem(const void *addr, size_t len)
{
#ifdef HAVE_LIBPMEM
    return pmem_is_pmem(addr, len);
#else
    (void)addr; (void)len;
    return 0;
#endif
}

int pm_persist(const void *addr, size_t len, int is_pmem)
{
#ifdef HAVE_LIBPMEM
    if (is_pmem) {
        pmem_persist(addr, len);
        return 0;
    }
#else
    (void)is_pmem;
#endif
    /* msync needs a page-aligned start */
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)addr & ~(pg - 1);
    return msync((void *)start, len + ((uintptr_t)addr - start), MS_SYNC);
}

const char *pm_backend(void)
{
#ifdef HAVE_LIBPMEM
    return "libpmem";
#else
    return "msync";
#endif
}
