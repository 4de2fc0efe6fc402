/* pm.h -- persistence primitives for journal files.
 *
 * What it promises: pm_persist(addr, len) makes [addr, addr+len) durable.
 * On a DAX mapping (pm_is_pmem) it flushes CPU caches with libpmem; on any
 * other mapping it falls back to msync.  The choice is made once per mapping,
 * never per call on the hot path.  Without libpmem every mapping is treated
 * as non-pmem.
 */
#ifndef PM_H
#define PM_H

#include <stddef.h>

#define PM_VERSION 1

int pm_is_pmem(const void *addr, size_t len);
int pm_persist(const void *addr, size_t len, int is_pmem);
const char *pm_backend(void);   /* "libpmem" or "msync" */

#endif
