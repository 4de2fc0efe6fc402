/* jnl_io.h -- the journal's I/O ops table.
 *
 * What it promises: every syscall the journal writer and recovery make on
 * segment files goes through one of these functions, so tests can swap in
 * fault injectors (EIO, ENOSPC, short/torn writes, lost syncs) without
 * touching the real code path.  jnl_io_posix is the real thing.  Each
 * function behaves like its syscall: -1 (or MAP_FAILED) with errno set on
 * failure.  ctx is the table's own pointer, for injectors that keep state.
 * The table is chosen once at jnl_open; the functions are called from the
 * writer thread and, during open/trim/close, from the main thread.
 */
#ifndef JNL_IO_H
#define JNL_IO_H

#include <stddef.h>
#include <sys/types.h>

typedef struct jnl_io_ops {
    int (*open)(void *ctx, const char *path, int flags, mode_t mode);
    int (*close)(void *ctx, int fd);
    ssize_t (*write)(void *ctx, int fd, const void *buf, size_t n);
    int (*fdatasync)(void *ctx, int fd);      /* segment data */
    int (*fsync)(void *ctx, int fd);          /* directories */
    int (*ftruncate)(void *ctx, int fd, off_t len);
    int (*unlink)(void *ctx, const char *path);
    int (*rename)(void *ctx, const char *from, const char *to);
    int (*mkdir)(void *ctx, const char *path, mode_t mode);
    /* Preallocation: zero-fill ahead of the data and push it to the device
     * (sync_file_range WAIT_BEFORE|WRITE|WAIT_AFTER on the range). */
    ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t n, off_t off);
    int (*sync_range)(void *ctx, int fd, off_t off, off_t len);
    /* DAX path: map a segment read-write shared, persist a range of it. */
    void *(*mmap)(void *ctx, int fd, size_t len);
    int (*munmap)(void *ctx, void *addr, size_t len);
    int (*persist)(void *ctx, const void *addr, size_t len, int is_pmem);
    int (*is_pmem)(void *ctx, const void *addr, size_t len);
    void *ctx;
} jnl_io_ops;

extern const jnl_io_ops jnl_io_posix;

#endif
