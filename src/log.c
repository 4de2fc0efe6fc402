/* log.c -- see log.h. */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int log_verbosity = LOG_NOTICE;
static int log_fd = STDOUT_FILENO;

void log_set_file(const char *path)
{
    if (!path || !*path) { log_fd = STDOUT_FILENO; return; }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (log_fd != STDOUT_FILENO) close(log_fd);
        log_fd = fd;
    }
}

static void log_vwrite(int level, const char *fmt, va_list ap)
{
    static const char marks[] = ".-*#";
    char line[2048];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%d:M ", (int)getpid());
    n += (int)strftime(line + n, sizeof(line) - (size_t)n, "%d %b %Y %H:%M:%S", &tm);
    n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03d %c ", (int)(tv.tv_usec / 1000),
                  marks[level & 3]);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    if (m < 0) m = 0;
    n += m;
    if ((size_t)n > sizeof(line) - 2) n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    ssize_t w = write(log_fd, line, (size_t)n);
    (void)w;
}

void log_raw(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
}

void tdb_assert_fail(const char *expr, const char *file, int line)
{
    log_raw(LOG_WARNING, "=== ASSERTION FAILED === %s:%d '%s'", file, line, expr);
    abort();
}

void tdb_panic_impl(const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_raw(LOG_WARNING, "=== PANIC === %s:%d %s", file, line, msg);
    abort();
}
