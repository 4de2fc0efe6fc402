/* cfg.c -- configuration; see cfg.h.
 *
 * Entries live in module tables registered at start-up; lookup is a linear
 * scan over a few dozen entries, which only CONFIG commands and start-up do.
 */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tier.h"
#include "util.h"

#define CFG_MAX_TABLES 32

static struct {
    const cfg_entry *entries;
    size_t n;
} tables[CFG_MAX_TABLES];
static int ntables;

void cfg_register(const cfg_entry *entries, size_t n)
{
    if (ntables < CFG_MAX_TABLES) {
        tables[ntables].entries = entries;
        tables[ntables].n = n;
        ntables++;
    }
}

const cfg_entry *cfg_find(const char *name)
{
    for (int t = 0; t < ntables; t++)
        for (size_t i = 0; i < tables[t].n; i++) {
            const cfg_entry *e = &tables[t].entries[i];
            if (!strcasecmp(e->name, name) || (e->alias && !strcasecmp(e->alias, name))) return e;
        }
    return NULL;
}

void cfg_foreach(cfg_visit_fn *fn, void *priv)
{
    for (int t = 0; t < ntables; t++)
        for (size_t i = 0; i < tables[t].n; i++) fn(priv, &tables[t].entries[i]);
}

/* ---- parsing values ----------------------------------------------------- */

static int parse_value(const cfg_entry *e, const char *val, const char **err)
{
    switch (e->type) {
    case CFG_BOOL:
        if (!strcasecmp(val, "yes")) *(int *)e->ptr = 1;
        else if (!strcasecmp(val, "no")) *(int *)e->ptr = 0;
        else { *err = "argument must be 'yes' or 'no'"; return -1; }
        return 0;
    case CFG_INT:
    case CFG_LL:
    case CFG_MEM: {
        long long v;
        unsigned long long uv;
        if (e->type == CFG_MEM) {
            int neg = val[0] == '-';
            if (!util_memtoull(val + neg, &uv) || uv > LLONG_MAX) {
                *err = "argument must be a memory value";
                return -1;
            }
            v = neg ? -(long long)uv : (long long)uv;
        } else if (!util_str2ll(val, strlen(val), &v)) {
            *err = "argument couldn't be parsed into an integer";
            return -1;
        }
        if (v < e->min || v > e->max) {
            static char msg[128];
            snprintf(msg, sizeof(msg), "argument must be between %lld and %lld inclusive", e->min, e->max);
            *err = msg;
            return -1;
        }
        if (e->type == CFG_INT) *(int *)e->ptr = (int)v;
        else *(long long *)e->ptr = v;
        return 0;
    }
    case CFG_ENUM:
        for (int i = 0; e->enum_names[i]; i++) {
            if (!strcasecmp(val, e->enum_names[i])) {
                *(int *)e->ptr = e->enum_vals ? e->enum_vals[i] : i;
                return 0;
            }
        }
        {
            static char msg[256];
            size_t n = (size_t)snprintf(msg, sizeof(msg), "argument(s) must be one of the following: ");
            for (int i = 0; e->enum_names[i] && n < sizeof(msg); i++)
                n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s", i ? ", " : "", e->enum_names[i]);
            *err = msg;
        }
        return -1;
    case CFG_STRING: {
        if ((e->flags & CFG_NONEMPTY) && !*val) { *err = "argument must not be empty"; return -1; }
        char **p = e->ptr;
        tier_dram_free(*p);
        *p = tier_dram_strdup(val);
        return 0;
    }
    case CFG_SPECIAL:
        return e->set(e, val, err);
    }
    return -1;
}

const char *cfg_get_text(const cfg_entry *e, char *buf, size_t cap)
{
    switch (e->type) {
    case CFG_BOOL: return *(int *)e->ptr ? "yes" : "no";
    case CFG_INT: snprintf(buf, cap, "%d", *(int *)e->ptr); return buf;
    case CFG_LL:
    case CFG_MEM: snprintf(buf, cap, "%lld", *(long long *)e->ptr); return buf;
    case CFG_ENUM: {
        int v = *(int *)e->ptr;
        for (int i = 0; e->enum_names[i]; i++)
            if ((e->enum_vals ? e->enum_vals[i] : i) == v) return e->enum_names[i];
        return "";
    }
    case CFG_STRING: {
        char *s = *(char **)e->ptr;
        return s ? s : "";
    }
    case CFG_SPECIAL:
        e->get(e, buf, cap);
        return buf;
    }
    return "";
}

/* ---- splitting lines (Redis's sdssplitargs rules) ----------------------- */

static int is_hex(char c) { return isxdigit((unsigned char)c); }
static int hexval(char c) { return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10; }

int cfg_split_line(const char *line, char ***argvp)
{
    const char *p = line;
    int argc = 0, cap = 8;
    char **argv = tier_dram_malloc(sizeof(char *) * (size_t)cap);
    size_t linelen = strlen(line);
    char *cur = tier_dram_malloc(linelen + 1);
    for (;;) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) break;
        int inq = 0, insq = 0, done = 0;
        size_t n = 0;
        while (!done) {
            if (inq) {
                if (!*p) goto bad;
                if (p[0] == '\\' && p[1] == 'x' && is_hex(p[2]) && is_hex(p[3])) {
                    cur[n++] = (char)(hexval(p[2]) * 16 + hexval(p[3]));
                    p += 3;
                } else if (p[0] == '\\' && p[1]) {
                    char c;
                    p++;
                    switch (*p) {
                    case 'n': c = '\n'; break;
                    case 'r': c = '\r'; break;
                    case 't': c = '\t'; break;
                    case 'b': c = '\b'; break;
                    case 'a': c = '\a'; break;
                    default: c = *p; break;
                    }
                    cur[n++] = c;
                } else if (*p == '"') {
                    if (p[1] && !isspace((unsigned char)p[1])) goto bad;
                    done = 1;
                } else {
                    cur[n++] = *p;
                }
            } else if (insq) {
                if (!*p) goto bad;
                if (p[0] == '\\' && p[1] == '\'') {
                    p++;
                    cur[n++] = '\'';
                } else if (*p == '\'') {
                    if (p[1] && !isspace((unsigned char)p[1])) goto bad;
                    done = 1;
                } else {
                    cur[n++] = *p;
                }
            } else {
                switch (*p) {
                case ' ': case '\n': case '\r': case '\t': case '\0':
                    done = 1;
                    break;
                case '"': inq = 1; break;
                case '\'': insq = 1; break;
                default: cur[n++] = *p; break;
                }
            }
            if (*p) p++;
        }
        cur[n] = '\0';
        if (argc == cap) {
            cap *= 2;
            argv = tier_dram_realloc(argv, sizeof(char *) * (size_t)cap);
        }
        argv[argc++] = tier_dram_strdup(cur);
    }
    tier_dram_free(cur);
    *argvp = argv;
    return argc;
bad:
    tier_dram_free(cur);
    cfg_free_args(argc, argv);
    *argvp = NULL;
    return -1;
}

void cfg_free_args(int argc, char **argv)
{
    if (!argv) return;
    for (int i = 0; i < argc; i++) tier_dram_free(argv[i]);
    tier_dram_free(argv);
}

/* Join argv[from..argc) with single spaces into a new DRAM string. */
static char *join_args(int argc, char **argv, int from)
{
    size_t len = 1;
    for (int i = from; i < argc; i++) len += strlen(argv[i]) + 1;
    char *s = tier_dram_malloc(len);
    size_t n = 0;
    for (int i = from; i < argc; i++) {
        size_t l = strlen(argv[i]);
        if (i > from) s[n++] = ' ';
        memcpy(s + n, argv[i], l);
        n += l;
    }
    s[n] = '\0';
    return s;
}

/* Apply one config line's arguments; 0 ok, -1 with *err. */
static int apply_line(int argc, char **argv, const char **err)
{
    const cfg_entry *e = cfg_find(argv[0]);
    if (!e) { *err = "Bad directive or wrong number of arguments"; return -1; }
    if (argc < 2) { *err = "wrong number of arguments"; return -1; }
    if (!(e->flags & CFG_MULTI_ARG) && argc != 2) { *err = "wrong number of arguments"; return -1; }
    char *val = join_args(argc, argv, 1);
    int rc = parse_value(e, val, err);
    tier_dram_free(val);
    return rc;
}

static void load_defaults_cb(void *priv, const cfg_entry *e)
{
    (void)priv;
    const char *err;
    if (e->type == CFG_STRING) *(char **)e->ptr = NULL;
    if (e->defval && parse_value(e, e->defval, &err) < 0) {
        fprintf(stderr, "tierdb: bad built-in default for %s: %s\n", e->name, err);
        abort();
    }
}

int cfg_load(const char *path, int argc, char **argv, char *errbuf, size_t errlen)
{
    cfg_foreach(load_defaults_cb, NULL);
    if (path) {
        FILE *fp = !strcmp(path, "-") ? stdin : fopen(path, "r");
        if (!fp) {
            snprintf(errbuf, errlen, "Fatal error, can't open config file '%s': %s", path, strerror(errno));
            return -1;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        int lineno = 0;
        while ((n = getline(&line, &cap, fp)) != -1) {
            lineno++;
            char *s = line;
            while (*s && isspace((unsigned char)*s)) s++;
            if (*s == '#' || *s == '\0') continue;
            char **av;
            int ac = cfg_split_line(s, &av);
            const char *err = NULL;
            if (ac < 0) {
                err = "Unbalanced quotes in configuration line";
            } else if (ac > 0) {
                if (apply_line(ac, av, &err) == 0) err = NULL;
            }
            if (err) {
                snprintf(errbuf, errlen,
                         "*** FATAL CONFIG FILE ERROR ***\nin %s line %d:\n>>> '%.*s'\n%s", path,
                         lineno, (int)strcspn(s, "\r\n"), s, err);
                cfg_free_args(ac, av);
                free(line);   /* getline's buffer */
                if (fp != stdin) fclose(fp);
                return -1;
            }
            cfg_free_args(ac, av);
        }
        free(line);
        if (fp != stdin) fclose(fp);
    }
    /* command-line overrides: --name v1 v2 --other v */
    int i = 0;
    while (i < argc) {
        if (strncmp(argv[i], "--", 2) != 0 || !argv[i][2]) {
            snprintf(errbuf, errlen, "Invalid argument '%s': options are --name value", argv[i]);
            return -1;
        }
        int j = i + 1;
        while (j < argc && strncmp(argv[j], "--", 2) != 0) j++;
        int ac = j - i;
        char **av = tier_dram_malloc(sizeof(char *) * (size_t)ac);
        av[0] = tier_dram_strdup(argv[i] + 2);
        for (int k = 1; k < ac; k++) av[k] = tier_dram_strdup(argv[i + k]);
        const char *err;
        if (ac == 1) {
            /* "--flag" alone: a boolean set to yes, as redis-server allows for some */
            tier_dram_free(av);
            av = NULL;
            snprintf(errbuf, errlen, "*** FATAL CONFIG ERROR *** option '%s' needs a value", argv[i] + 2);
            tier_dram_free(av);
            return -1;
        }
        if (apply_line(ac, av, &err) < 0) {
            snprintf(errbuf, errlen, "*** FATAL CONFIG ERROR *** in command line option '--%s': %s",
                     av[0], err);
            cfg_free_args(ac, av);
            return -1;
        }
        cfg_free_args(ac, av);
        i = j;
    }
    return 0;
}

/* ---- run-time changes --------------------------------------------------- */

int cfg_set_many(int n, const char **names, const char **vals, const char **err, char *errbuf,
                 size_t errlen)
{
    const cfg_entry **es = tier_dram_malloc(sizeof(*es) * (size_t)n);
    char **old = tier_dram_calloc(sizeof(char *) * (size_t)n);
    int rc = -1, applied = 0;
    for (int i = 0; i < n; i++) {
        es[i] = cfg_find(names[i]);
        if (!es[i]) {
            snprintf(errbuf, errlen, "Unknown option or number of arguments for CONFIG SET - '%s'", names[i]);
            *err = errbuf;
            goto out;
        }
        if (es[i]->flags & CFG_IMMUTABLE) {
            snprintf(errbuf, errlen, "CONFIG SET failed (possibly related to argument '%s') - can't set immutable config", names[i]);
            *err = errbuf;
            goto out;
        }
        for (int j = 0; j < i; j++) {
            if (es[j] == es[i]) {
                snprintf(errbuf, errlen, "CONFIG SET failed (possibly related to argument '%s') - duplicate parameter", names[i]);
                *err = errbuf;
                goto out;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        char buf[256];
        old[i] = tier_dram_strdup(cfg_get_text(es[i], buf, sizeof(buf)));
    }
    for (; applied < n; applied++) {
        const char *e = NULL;
        if (parse_value(es[applied], vals[applied], &e) < 0) {
            snprintf(errbuf, errlen, "CONFIG SET failed (possibly related to argument '%s') - %s",
                     names[applied], e);
            *err = errbuf;
            applied++;
            goto rollback;
        }
    }
    for (int i = 0; i < n; i++) {
        const char *e = NULL;
        if (es[i]->apply && es[i]->apply(es[i], &e) < 0) {
            snprintf(errbuf, errlen, "CONFIG SET failed (possibly related to argument '%s') - %s",
                     names[i], e ? e : "apply failed");
            *err = errbuf;
            goto rollback;
        }
    }
    rc = 0;
    goto out;
rollback:
    for (int i = 0; i < applied; i++) {
        const char *e;
        parse_value(es[i], old[i], &e);
        if (es[i]->apply) es[i]->apply(es[i], &e);
    }
out:
    for (int i = 0; i < n; i++) tier_dram_free(old[i]);
    tier_dram_free(old);
    tier_dram_free(es);
    return rc;
}

/* ---- CONFIG REWRITE ------------------------------------------------------ */

typedef struct rw_state {
    FILE *out;
    const cfg_entry **seen;
    int nseen;
} rw_state;

static void format_entry_line(const cfg_entry *e, char *line, size_t cap)
{
    char buf[4096];
    const char *v = cfg_get_text(e, buf, sizeof(buf));
    if (e->flags & CFG_MULTI_ARG || e->type != CFG_STRING) {
        snprintf(line, cap, "%s %s", e->name, *v ? v : "\"\"");
    } else {
        /* quote strings that need it */
        int needq = !*v || strpbrk(v, " \t\"'\\") != NULL;
        if (!needq) {
            snprintf(line, cap, "%s %s", e->name, v);
        } else {
            size_t n = (size_t)snprintf(line, cap, "%s \"", e->name);
            for (const char *p = v; *p && n + 4 < cap; p++) {
                if (*p == '"' || *p == '\\') line[n++] = '\\';
                line[n++] = *p;
            }
            line[n++] = '"';
            line[n] = '\0';
        }
    }
}

static int is_default(const cfg_entry *e)
{
    char buf[4096];
    const char *v = cfg_get_text(e, buf, sizeof(buf));
    return e->defval ? strcmp(v, e->defval) == 0 : *v == '\0';
}

static void rw_append_missing(void *priv, const cfg_entry *e)
{
    rw_state *st = priv;
    for (int i = 0; i < st->nseen; i++)
        if (st->seen[i] == e) return;
    if (is_default(e)) return;
    char line[8192];
    format_entry_line(e, line, sizeof(line));
    fprintf(st->out, "%s\n", line);
}

int cfg_rewrite(const char *path, char *errbuf, size_t errlen)
{
    if (!path) { snprintf(errbuf, errlen, "The server is running without a config file"); return -1; }
    FILE *in = fopen(path, "r");
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
    FILE *out = fopen(tmp, "w");
    if (!out) {
        snprintf(errbuf, errlen, "Rewriting config file: %s", strerror(errno));
        if (in) fclose(in);
        return -1;
    }
    rw_state st = {.out = out, .seen = NULL, .nseen = 0};
    int seen_cap = 0;
    int have_marker = 0;
    if (in) {
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, in) != -1) {
            char *s = line;
            while (*s && isspace((unsigned char)*s)) s++;
            if (!strncmp(s, "# Generated by CONFIG REWRITE", 29)) {
                /* keep the marker where it is; appended options go at the end */
                if (!have_marker) fputs(line, out);
                have_marker = 1;
                continue;
            }
            if (*s == '#' || *s == '\0') { fputs(line, out); continue; }
            char **av;
            int ac = cfg_split_line(s, &av);
            const cfg_entry *e = ac > 0 ? cfg_find(av[0]) : NULL;
            cfg_free_args(ac, av);
            if (!e) { fputs(line, out); continue; }
            int dup = 0;
            for (int i = 0; i < st.nseen; i++)
                if (st.seen[i] == e) dup = 1;
            if (dup) continue;   /* later duplicates collapse into the first */
            if (st.nseen == seen_cap) {
                seen_cap = seen_cap ? seen_cap * 2 : 32;
                st.seen = tier_dram_realloc(st.seen, sizeof(*st.seen) * (size_t)seen_cap);
            }
            st.seen[st.nseen++] = e;
            char newline[8192];
            format_entry_line(e, newline, sizeof(newline));
            fprintf(out, "%s\n", newline);
        }
        free(line);
        fclose(in);
    }
    /* options changed from their defaults but not yet in the file */
    long pos = ftell(out);
    if (!have_marker) fprintf(out, "# Generated by CONFIG REWRITE\n");
    long pos2 = ftell(out);
    cfg_foreach(rw_append_missing, &st);
    if (ftell(out) == pos2 && !have_marker) {
        /* nothing appended: drop the marker line */
        fflush(out);
        if (ftruncate(fileno(out), pos) < 0) { /* harmless: an extra comment */ }
        fseek(out, pos, SEEK_SET);
    }
    tier_dram_free(st.seen);
    if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
        snprintf(errbuf, errlen, "Rewriting config file: %s", strerror(errno));
        fclose(out);
        unlink(tmp);
        return -1;
    }
    fclose(out);
    if (rename(tmp, path) != 0) {
        snprintf(errbuf, errlen, "Rewriting config file: %s", strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
