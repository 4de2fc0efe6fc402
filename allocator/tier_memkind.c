/* tier_memkind.c -- PMem backends on memkind: kmem-dax and fsdax
 * (emulated PMem is a jemalloc arena: tier_emulated.c).
 *
 * Every call passes its kind explicitly (memkind_free(kind, p),
 * memkind_malloc_usable_size(kind, p)) so memkind never has to look the
 * kind up; tier.c knows the tier from the address range of the DRAM arena
 * (see tier_jemalloc.c for why memkind_detect_kind is not used).
 *
 * Capacity: MEMKIND_DAX_KMEM binds pages to the node with MPOL_BIND, so a
 * full node does not make malloc fail -- it makes a page fault invoke the
 * OOM killer.  tier.c therefore enforces the capacity from its own exact
 * counters and never relies on the backend noticing.
 *
 * memkind is discontinued upstream; it stays behind this file.
 */
#include "tier_internal.h"

#ifdef HAVE_MEMKIND

#include <ctype.h>
#include <errno.h>
#include <memkind.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_NUMA
#include <numa.h>
#endif

/* Only one PMem backend is open at a time (tier.c enforces it), so its
 * context can be static. */
static struct mk_ctx {
    memkind_t kind;
    int created;               /* 1: created by us, destroy at close */
} mk;

static void *mk_alloc(void *ctx, size_t n) { return memkind_malloc(((struct mk_ctx *)ctx)->kind, n); }

static void *mk_realloc(void *ctx, void *p, size_t n)
{
    return memkind_realloc(((struct mk_ctx *)ctx)->kind, p, n);
}

static void mk_free(void *ctx, void *p) { memkind_free(((struct mk_ctx *)ctx)->kind, p); }

static size_t mk_usable(void *ctx, const void *p)
{
    return memkind_malloc_usable_size(((struct mk_ctx *)ctx)->kind, (void *)p);
}

static void mk_close(void *ctx)
{
    struct mk_ctx *c = ctx;
    if (c->created) memkind_destroy_kind(c->kind);
    memset(c, 0, sizeof(*c));
}

static const tier_backend_ops mk_ops = {
    .alloc = mk_alloc,
    .realloc = mk_realloc,
    .free = mk_free,
    .usable = mk_usable,
    .close = mk_close,
};

static void mk_message(int rc, char *buf, size_t len)
{
    memkind_error_message(rc, buf, len);
    if (!buf[0]) snprintf(buf, len, "memkind error %d", rc);
}

/* "1" or "1,3": digits and commas, each a node that exists and has memory. */
static int check_nodes(const char *nodes, char *err, size_t errlen)
{
    const char *s = nodes;
    while (*s) {
        if (!isdigit((unsigned char)*s))
            return tier_err(err, errlen, TIER_EINVAL,
                            "pmem-numa-nodes \"%s\": expected a comma-separated list of "
                            "NUMA node numbers like \"1\" or \"1,3\"", nodes);
        char *end;
        long n = strtol(s, &end, 10);
#ifdef HAVE_NUMA
        if (numa_available() < 0 || n > numa_max_node() || numa_node_size64((int)n, NULL) <= 0)
            return tier_err(err, errlen, TIER_EINVAL,
                            "pmem-numa-nodes \"%s\": NUMA node %ld does not exist or has no "
                            "memory (see numactl -H)", nodes, n);
#else
        (void)n;
#endif
        s = end;
        if (*s == ',') {
            s++;
            if (!*s)
                return tier_err(err, errlen, TIER_EINVAL,
                                "pmem-numa-nodes \"%s\": trailing comma", nodes);
        } else if (*s) {
            return tier_err(err, errlen, TIER_EINVAL,
                            "pmem-numa-nodes \"%s\": expected a comma-separated list of "
                            "NUMA node numbers like \"1\" or \"1,3\"", nodes);
        }
    }
    return TIER_OK;
}

int tier_memkind_open_kmem(tier_backend *be, tier_variant v, const char *nodes,
                           uint64_t size, char *err, size_t errlen)
{
    memkind_t kind = v == TIER_VARIANT_MULTIPLE ? MEMKIND_DAX_KMEM_ALL : MEMKIND_DAX_KMEM;
    const char *kname = v == TIER_VARIANT_MULTIPLE ? "MEMKIND_DAX_KMEM_ALL" : "MEMKIND_DAX_KMEM";
    int set_env = 0, rc;

    if (nodes && *nodes) {
        rc = check_nodes(nodes, err, errlen);
        if (rc != TIER_OK) return rc;
        /* memkind takes an explicit node list only from this variable, and
         * reads it once per process, the first time the kind is used. */
        const char *env = getenv("MEMKIND_DAX_KMEM_NODES");
        if (env && strcmp(env, nodes) != 0)
            return tier_err(err, errlen, TIER_EINVAL,
                            "pmem-numa-nodes \"%s\" contradicts MEMKIND_DAX_KMEM_NODES=%s in the "
                            "environment; unset one of them", nodes, env);
        if (!env) {
            if (setenv("MEMKIND_DAX_KMEM_NODES", nodes, 1) != 0)
                return tier_err(err, errlen, TIER_ENOMEM, "setenv: %s", strerror(errno));
            set_env = 1;
        }
    }

    rc = memkind_check_available(kind);
    if (rc != MEMKIND_SUCCESS) {
        char m[MEMKIND_ERROR_MESSAGE_SIZE] = "";
        mk_message(rc, m, sizeof(m));
        if (set_env) unsetenv("MEMKIND_DAX_KMEM_NODES");
        if (nodes && *nodes)
            return tier_err(err, errlen, TIER_ENODEV,
                            "pmem-kind kmem-dax: %s is not available on pmem-numa-nodes %s (%s); "
                            "name memory nodes that exist (numactl -H), or set pmem-kind "
                            "emulated or none", kname, nodes, m);
        return tier_err(err, errlen, TIER_ENODEV,
                        "pmem-kind kmem-dax: memkind finds no KMEM-DAX NUMA node (%s: %s); "
                        "online PMem as system RAM (daxctl reconfigure-device "
                        "--mode=system-ram daxX.Y), or name a memory node with pmem-numa-nodes "
                        "(MEMKIND_DAX_KMEM_NODES), or set pmem-kind emulated or none",
                        kname, m);
    }

    ssize_t cap = memkind_get_capacity(kind);
    if (cap <= 0 && size == 0) {
        if (set_env) unsetenv("MEMKIND_DAX_KMEM_NODES");
        return tier_err(err, errlen, TIER_EINVAL,
                        "pmem-kind kmem-dax: cannot tell the capacity of the KMEM-DAX "
                        "node(s); set pmem-size");
    }
    if (cap > 0 && size > (uint64_t)cap) {
        if (set_env) unsetenv("MEMKIND_DAX_KMEM_NODES");
        return tier_err(err, errlen, TIER_EINVAL,
                        "pmem-size %llu exceeds the %lld bytes of the KMEM-DAX node(s); "
                        "lower pmem-size or set it to 0 (use the whole node)",
                        (unsigned long long)size, (long long)cap);
    }
    memset(&mk, 0, sizeof(mk));
    mk.kind = kind;
    be->ops = &mk_ops;
    be->ctx = &mk;
    be->impl = v == TIER_VARIANT_MULTIPLE ? "memkind-dax-kmem-all" : "memkind-dax-kmem";
    be->lo = be->len = 0;
    be->capacity = size ? size : (uint64_t)cap;
    /* Private anonymous memory bound with mbind: fork copies it on write. */
    be->fork_safe = 1;
    return TIER_OK;
}

int tier_memkind_open_fsdax(tier_backend *be, const char *dir, uint64_t size,
                            char *err, size_t errlen)
{
    struct stat st;
    if (!dir || !*dir)
        return tier_err(err, errlen, TIER_EINVAL,
                        "pmem-kind fsdax needs pmem-dir: a directory on a DAX-mounted "
                        "file system (mount -o dax)");
    if (stat(dir, &st) != 0)
        return tier_err(err, errlen, TIER_EINVAL, "pmem-dir %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return tier_err(err, errlen, TIER_EINVAL, "pmem-dir %s is not a directory", dir);
    if (access(dir, W_OK | X_OK) != 0)
        return tier_err(err, errlen, TIER_EINVAL, "pmem-dir %s is not writable: %s", dir,
                        strerror(errno));
    if (size < MEMKIND_PMEM_MIN_SIZE)
        return tier_err(err, errlen, TIER_EINVAL,
                        "pmem-kind fsdax needs pmem-size of at least %d bytes (16mb); got %llu",
                        MEMKIND_PMEM_MIN_SIZE, (unsigned long long)size);
    if (size > SIZE_MAX)
        return tier_err(err, errlen, TIER_EINVAL, "pmem-size %llu is too large",
                        (unsigned long long)size);

    memkind_t kind;
    int rc = memkind_create_pmem(dir, (size_t)size, &kind);
    if (rc != MEMKIND_SUCCESS) {
        char m[MEMKIND_ERROR_MESSAGE_SIZE] = "";
        mk_message(rc, m, sizeof(m));
        return tier_err(err, errlen, TIER_ENOMEM,
                        "pmem-kind fsdax: memkind_create_pmem(%s, %llu) failed: %s", dir,
                        (unsigned long long)size, m);
    }
    memset(&mk, 0, sizeof(mk));
    mk.kind = kind;
    mk.created = 1;
    be->ops = &mk_ops;
    be->ctx = &mk;
    /* Works on any file system; on a non-DAX one it is just page cache. */
    be->impl = memkind_check_dax_path(dir) == 0 ? "memkind-pmem-dax" : "memkind-pmem-nodax";
    be->lo = be->len = 0;
    be->capacity = size;
    /* memkind maps the file MAP_SHARED (a private mapping would put every
     * written page in anonymous DRAM, defeating the tier).  A fork child
     * therefore sees the parent's later writes: this tier is NOT fork-safe,
     * and the snapshot code must copy-on-write at value level (or not fork)
     * while it is in use. */
    be->fork_safe = 0;
    return TIER_OK;
}

#else /* !HAVE_MEMKIND */

static int no_memkind(const char *what, char *err, size_t errlen)
{
    return tier_err(err, errlen, TIER_ENOTSUP,
                    "pmem-kind %s needs memkind, and tierdb was built without it: install "
                    "libmemkind-dev and re-run ./configure, or set pmem-kind emulated or none",
                    what);
}

int tier_memkind_open_kmem(tier_backend *be, tier_variant v, const char *nodes,
                           uint64_t size, char *err, size_t errlen)
{
    return no_memkind("kmem-dax", err, errlen);
}

int tier_memkind_open_fsdax(tier_backend *be, const char *dir, uint64_t size,
                            char *err, size_t errlen)
{
    return no_memkind("fsdax", err, errlen);
}

#endif
