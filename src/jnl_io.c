/* jnl_io.c -- the real I/O ops for the journal (see jnl_io.h): plain
 * syscalls, and pmem/pm.h for DAX mappings. */
#include "jnl_io.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pm.h"

static int px_open(void *ctx, const char *path, int flags, mode_t mode)
{
    (void)ctx;
    return open(path, flags | O_CLOEXEC, mode);
}
static int px_close(void *ctx, int fd) { (void)ctx; return close(fd); }
static ssize_t px_write(void *ctx, int fd, const void *buf, size_t n) { (void)ctx; return write(fd, buf, n); }
static int px_fdatasync(void *ctx, int fd) { (void)ctx; return fdatasync(fd); }
static int px_fsync(void *ctx, int fd) { (void)ctx; return fsync(fd); }
static int px_ftruncate(void *ctx, int fd, off_t len) { (void)ctx; return ftruncate(fd, len); }
static int px_unlink(void *ctx, const char *path) { (void)ctx; return unlink(path); }
static int px_rename(void *ctx, const char *from, const char *to) { (void)ctx; return rename(from, to); }
static int px_mkdir(void *ctx, const char *path, mode_t mode) { (void)ctx; return mkdir(path, mode); }
static ssize_t px_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
    (void)ctx;
    return pwrite(fd, buf, n, off);
}
static int px_sync_range(void *ctx, int fd, off_t off, off_t len)
{
    (void)ctx;
    return sync_file_range(fd, off, len,
                           SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
}
static void *px_mmap(void *ctx, int fd, size_t len)
{
    (void)ctx;
    return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}
static int px_munmap(void *ctx, void *addr, size_t len) { (void)ctx; return munmap(addr, len); }
static int px_persist(void *ctx, const void *addr, size_t len, int is_pmem)
{
    (void)ctx;
    return pm_persist(addr, len, is_pmem);
}
static int px_is_pmem(void *ctx, const void *addr, size_t len) { (void)ctx; return pm_is_pmem(addr, len); }

const jnl_io_ops jnl_io_posix = {
    .open = px_open,
    .close = px_close,
    .write = px_write,
    .fdatasync = px_fdatasync,
    .fsync = px_fsync,
    .ftruncate = px_ftruncate,
    .unlink = px_unlink,
    .rename = px_rename,
    .mkdir = px_mkdir,
    .pwrite = px_pwrite,
    .sync_range = px_sync_range,
    .mmap = px_mmap,
    .munmap = px_munmap,
    .persist = px_persist,
    .is_pmem = px_is_pmem,
    .ctx = NULL,
};
