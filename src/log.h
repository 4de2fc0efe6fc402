/* log.h -- the server log.
 *
 * Levels, most to least verbose: LOG_DEBUG (per-operation traces, for
 * developers), LOG_VERBOSE (rare useful events), LOG_NOTICE (what an operator
 * wants in production: start-up, config, recovery progress), LOG_WARNING
 * (something is wrong).  log_msg checks the level before it formats, so a
 * disabled call costs one compare.  Lines look like Redis's:
 *   pid:role dd Mon yyyy hh:mm:ss.mmm <mark> message
 * Main thread only for configuration; log_msg itself is thread-safe (one
 * write(2) per line).
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3 };

extern int log_verbosity;

void log_set_file(const char *path);   /* "" = stdout */
void log_raw(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_msg(level, ...) \
    do { if ((level) >= log_verbosity) log_raw((level), __VA_ARGS__); } while (0)

/* Always-on assertion: logs the expression and location, then aborts. */
#define tdb_assert(e) \
    ((e) ? (void)0 : tdb_assert_fail(#e, __FILE__, __LINE__))
#define tdb_panic(...) tdb_panic_impl(__FILE__, __LINE__, __VA_ARGS__)
void tdb_assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));
void tdb_panic_impl(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#endif
