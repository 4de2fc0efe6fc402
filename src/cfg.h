/* cfg.h -- configuration: Redis config-file syntax, CONFIG GET/SET/REWRITE.
 *
 * What it promises
 *   - Each module registers a table of entries it owns (cfg_register); an
 *     entry is typed (bool, int, memory size, enum, string, or special with
 *     its own parse/format) and knows its default, bounds, and whether it can
 *     change at run time.
 *   - cfg_load() applies defaults, then the file, then "--name value"
 *     overrides.  Any unknown option or bad value stops start-up with the
 *     file, line and reason (cfg_load returns -1 and fills err).
 *   - cfg_set_many() is all-or-nothing: if any value is bad or any apply
 *     hook refuses, every entry is restored to its previous value.
 *   - cfg_rewrite() rewrites the file in place keeping comments and the order
 *     of lines; options not in the file but different from their default
 *     are appended.  The write is atomic (temp file + rename).
 * Main thread only.
 */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>

typedef enum cfg_type {
    CFG_BOOL,      /* int*: yes/no */
    CFG_INT,       /* int* */
    CFG_LL,        /* long long* */
    CFG_MEM,       /* long long*: "1gb", "100mb", bytes; formatted as bytes */
    CFG_ENUM,      /* int*: one of enum_names */
    CFG_STRING,    /* char**: owned DRAM string ("" allowed unless CFG_NONEMPTY) */
    CFG_SPECIAL,   /* parse/format through set/get */
} cfg_type;

#define CFG_IMMUTABLE 0x01   /* start-up only */
#define CFG_MULTI_ARG 0x02   /* the value is all remaining arguments joined by spaces */
#define CFG_NONEMPTY 0x04
#define CFG_HIDDEN 0x08      /* not in CONFIG GET * / rewrite unless set */

typedef struct cfg_entry cfg_entry;
struct cfg_entry {
    const char *name;
    const char *alias;
    cfg_type type;
    int flags;
    void *ptr;
    long long min, max;
    const char *const *enum_names;   /* NULL-terminated; value = index unless enum_vals */
    const int *enum_vals;
    const char *defval;              /* default as config text */
    /* CFG_SPECIAL: parse text into the setting, 0 ok / -1 with *err */
    int (*set)(const cfg_entry *e, const char *val, const char **err);
    /* CFG_SPECIAL: format the setting */
    void (*get)(const cfg_entry *e, char *buf, size_t cap);
    /* optional, after a run-time change: 0 ok / -1 refuse with *err */
    int (*apply)(const cfg_entry *e, const char **err);
};

void cfg_register(const cfg_entry *entries, size_t n);
/* Defaults, file, overrides (argv-style "--name" "value" ...). */
int cfg_load(const char *path, int argc, char **argv, char *err, size_t errlen);
const cfg_entry *cfg_find(const char *name);
/* Text of the current value; buf must be >= 256 (longer values truncated
 * unless the entry is a string: then a pointer to the string is returned). */
const char *cfg_get_text(const cfg_entry *e, char *buf, size_t cap);
/* Run-time change of several entries at once, all-or-nothing. */
int cfg_set_many(int n, const char **names, const char **vals, const char **err, char *errbuf,
                 size_t errlen);
typedef void cfg_visit_fn(void *priv, const cfg_entry *e);
void cfg_foreach(cfg_visit_fn *fn, void *priv);
int cfg_rewrite(const char *path, char *err, size_t errlen);
/* Split a config line into arguments (quotes, escapes); returns argc or -1
 * on unbalanced quotes.  argv entries are DRAM strings; free with
 * cfg_free_args. */
int cfg_split_line(const char *line, char ***argv);
void cfg_free_args(int argc, char **argv);

#endif
