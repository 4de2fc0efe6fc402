/* info.h -- INFO: built-in sections and sections other modules add.
 *
 * What it promises
 *   - INFO [section ...] answers with Redis 7.0's section names, order and
 *     field names, so tools that parse INFO (redis-cli, redis-benchmark,
 *     client libraries, exporters) work unchanged.
 *   - A module adds a section, or extra fields to an existing section, with
 *     info_register_section(); its function is called only when the section
 *     is asked for, and writes "field:value\r\n" lines with info_addf().
 * Main thread only.
 */
#ifndef INFO_H
#define INFO_H

#include <stddef.h>

typedef struct info_buf {
    char *p;        /* DRAM, NUL-terminated */
    size_t len, cap;
} info_buf;

void info_addf(info_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef void info_section_fn(info_buf *b);
/* name is lower case ("journal").  A name that is already a section (built-in
 * or registered) appends fn's fields to that section instead.  in_default:
 * shown by plain INFO (and "default"); "all"/"everything" show every
 * section. */
void info_register_section(const char *name, info_section_fn *fn, int in_default);

/* The text INFO would reply for the given section names (DRAM; free with
 * tier_dram_free).  names may be empty (= default). */
char *info_generate(int nnames, const char *const *names, const size_t *lens);

#endif
