/* test_effects.c -- the journal record of every non-deterministic or
 * time-dependent write is exact and replayable without the clock or the
 * random generator: relative TTLs become absolute (PXAT/PEXPIREAT), random
 * pops become the removal they did, served blocking pops become the pop
 * they did, expiries become DEL, a MULTI/EXEC is one entry, SELECT comes
 * when the database changes, and a failed or no-op command leaves nothing.
 *
 * Records are compared in a readable form: the entry's commands joined by
 * " | ", arguments by spaces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "blocked.h"
#include "cmd.h"
#include "db.h"
#include "effects.h"
#include "server.h"
#include "tier.h"

#define MAXE 64
static char *entries[MAXE];
static int nentries;

/* RESP array text -> "CMD a b | CMD2 c" */
static char *readable(const char *p, size_t len)
{
    char *out = malloc(len * 2 + 16);
    size_t o = 0, i = 0;
    while (i < len) {
        assert_int_equal(p[i], '*');
        long argc = strtol(p + i + 1, NULL, 10);
        i = (size_t)(strstr(p + i, "\r\n") - p) + 2;
        if (o) { memcpy(out + o, " | ", 3); o += 3; }
        for (long a = 0; a < argc; a++) {
            assert_int_equal(p[i], '$');
            long l = strtol(p + i + 1, NULL, 10);
            i = (size_t)(strstr(p + i, "\r\n") - p) + 2;
            if (a) out[o++] = ' ';
            memcpy(out + o, p + i, (size_t)l);
            o += (size_t)l;
            i += (size_t)l + 2;
        }
    }
    out[o] = '\0';
    return out;
}

static void consume(const char *p, size_t len, void *priv)
{
    (void)priv;
    assert_true(nentries < MAXE);
    entries[nentries++] = readable(p, len);
}

static void reset_entries(void)
{
    for (int i = 0; i < nentries; i++) free(entries[i]);
    nentries = 0;
}

/* Run one command as the connection layer does.  The words stay allocated
 * (a blocked client's argv must outlive the call). */
static void call(client *c, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    char *words = strdup(tmp);
    if (!c->argv) {
        c->argv = tier_dram_malloc(sizeof(arg) * 32);
        c->argv_cap = 32;
    }
    int argc = 0;
    for (char *w = strtok(words, " "); w; w = strtok(NULL, " ")) {
        c->argv[argc].p = w;
        c->argv[argc].len = strlen(w);
        argc++;
    }
    c->argc = argc;
    c->flags |= CF_PROTECTED;
    cmd_call(c);
    c->flags &= ~CF_PROTECTED;
    if (!(c->flags & CF_BLOCKED)) conn_reset_args(c);
    blk_serve_ready();
}

/* A readable entry without a leading SELECT. */
static const char *body(const char *e)
{
    if (!strncmp(e, "SELECT ", 7)) {
        const char *bar = strstr(e, " | ");
        return bar ? bar + 3 : "";
    }
    return e;
}

/* Run cmd; it must leave exactly one entry equal to want (without a leading
 * SELECT), or none when want is NULL. */
static void expect(client *c, const char *cmdline, const char *want)
{
    reset_entries();
    call(c, "%s", cmdline);
    if (!want) {
        if (nentries) fail_msg("%s: expected no entry, got '%s'", cmdline, entries[0]);
        return;
    }
    if (nentries != 1) fail_msg("%s: expected 1 entry '%s', got %d", cmdline, want, nentries);
    if (strcmp(body(entries[0]), want)) fail_msg("%s:\n  want '%s'\n  got  '%s'", cmdline, want, body(entries[0]));
}

/* Same, for a record holding the command's clock plus delta_ms (the clock
 * is read after the command ran). */
static void expect_at(client *c, const char *cmdline, const char *want_fmt, long long delta_ms)
{
    reset_entries();
    call(c, "%s", cmdline);
    char want[512];
    snprintf(want, sizeof(want), want_fmt, (long long)db_now_ms + delta_ms);
    if (nentries != 1) fail_msg("%s: expected 1 entry '%s', got %d", cmdline, want, nentries);
    if (strcmp(body(entries[0]), want)) fail_msg("%s:\n  want '%s'\n  got  '%s'", cmdline, want, body(entries[0]));
}

static char *fmt(const char *f, ...)
{
    static char b[4][512];
    static int k;
    char *o = b[k++ & 3];
    va_list ap;
    va_start(ap, f);
    vsnprintf(o, 512, f, ap);
    va_end(ap);
    return o;
}

static client *C;
void server_register_modules(void);   /* modules.c; no header of its own */

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < server.ndbs; i++) db_clear(&server.dbs[i]);
    C = conn_create(-1, 0);
    call(C, "SELECT 0");
    reset_entries();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    conn_free(C);
    reset_entries();
    return 0;
}

static long long ttl_of(const char *key)
{
    kv *e = db_peek(C->db, key, strlen(key));
    assert_non_null(e);
    return kv_expire(e);
}

/* ---- strings ------------------------------------------------------------- */

static void test_set_relative_ttl_becomes_pxat(void **state)
{
    (void)state;
    expect_at(C, "SET k v EX 100", "SET k v PXAT %lld", 100000);
    assert_int_equal(ttl_of("k"), db_now_ms + 100000);
    expect_at(C, "SET k w PX 5000", "SET k w PXAT %lld", 5000);
    expect(C, "SET k v EXAT 4000000000", "SET k v PXAT 4000000000000");
    expect(C, "SET k v PXAT 4000000000123", "SET k v PXAT 4000000000123");
    expect(C, "SET k x KEEPTTL", "SET k x KEEPTTL");
    assert_int_equal(ttl_of("k"), 4000000000123LL);
    expect(C, "SET k y GET", "SET k y");
    expect_at(C, "SET k z XX EX 10 GET", "SET k z PXAT %lld", 10000);
    expect(C, "SET k v PXAT 1000", "DEL k");             /* in the past */
    assert_null(db_peek(C->db, "k", 1));
    expect(C, "SET k v EX 0", NULL);                     /* invalid: error */
}

static void test_setex_psetex(void **state)
{
    (void)state;
    expect_at(C, "SETEX k 100 v", "SET k v PXAT %lld", 100000);
    expect_at(C, "PSETEX k 2500 v", "SET k v PXAT %lld", 2500);
    expect(C, "SETEX k -1 v", NULL);
    expect(C, "SETNX k other", NULL);
    expect(C, "SETNX n 1", "SET n 1");
}

static void test_getex(void **state)
{
    (void)state;
    call(C, "SET k v");
    expect(C, "GETEX k", NULL);
    expect(C, "GETEX k PERSIST", NULL);                  /* had no TTL */
    expect_at(C, "GETEX k EX 100", "PEXPIREAT k %lld", 100000);
    expect_at(C, "GETEX k PX 100", "PEXPIREAT k %lld", 100);
    expect(C, "GETEX k EXAT 4000000000", "PEXPIREAT k 4000000000000");
    expect(C, "GETEX k PERSIST", "PERSIST k");
    assert_int_equal(ttl_of("k"), -1);
    expect(C, "GETEX k PXAT 1000", "DEL k");
    expect(C, "GETEX missing EX 10", NULL);
}

static void test_incrbyfloat_is_set_keepttl(void **state)
{
    (void)state;
    expect(C, "INCRBYFLOAT f 1.5", "SET f 1.5 KEEPTTL");
    expect(C, "INCRBYFLOAT f 1e2", "SET f 101.5 KEEPTTL");
    call(C, "PEXPIRE f 100000");
    expect(C, "INCRBYFLOAT f -0.25", "SET f 101.25 KEEPTTL");
    assert_true(ttl_of("f") > 0);
    call(C, "SET s abc");
    expect(C, "INCRBYFLOAT s 1", NULL);
    expect(C, "INCR s", NULL);
}

static void test_getdel_and_plain_writes(void **state)
{
    (void)state;
    call(C, "SET k v");
    expect(C, "GETDEL k", "DEL k");
    expect(C, "GETDEL k", NULL);
    expect(C, "APPEND k abc", "APPEND k abc");
    expect(C, "INCR i", "INCR i");
    expect(C, "MSETNX k 1 z 2", NULL);
}

/* ---- keys and TTLs -------------------------------------------------------- */

static void test_expire_family_becomes_pexpireat(void **state)
{
    (void)state;
    call(C, "SET k v");
    expect_at(C, "EXPIRE k 100", "PEXPIREAT k %lld", 100000);
    expect_at(C, "PEXPIRE k 1500", "PEXPIREAT k %lld", 1500);
    expect(C, "EXPIREAT k 4000000000", "PEXPIREAT k 4000000000000");
    expect(C, "PEXPIREAT k 4000000000007", "PEXPIREAT k 4000000000007");
    expect(C, "EXPIRE k 100 NX", NULL);                  /* has a TTL already */
    expect(C, "EXPIRE k 100 GT", NULL);                  /* earlier than now's */
    expect(C, "PERSIST k", "PERSIST k");
    expect(C, "PERSIST k", NULL);
    expect(C, "EXPIRE missing 100", NULL);
    expect(C, "EXPIRE k -1", "DEL k");                   /* in the past */
    call(C, "SET k v");
    expect(C, "PEXPIREAT k 1", "DEL k");
    call(C, "SET k v");
    expect(C, "EXPIREAT k 0", "DEL k");
}

static void test_noops_and_failures_leave_nothing(void **state)
{
    (void)state;
    call(C, "SET k v");
    expect(C, "SET k v2 NX", NULL);
    expect(C, "SET nope v XX", NULL);
    expect(C, "DEL missing", NULL);
    expect(C, "UNLINK missing other", NULL);
    expect(C, "LPUSH k x", NULL);                        /* WRONGTYPE */
    expect(C, "LPOP missing", NULL);
    expect(C, "HDEL missing f", NULL);
    expect(C, "SREM missing m", NULL);
    expect(C, "ZREM missing m", NULL);
    expect(C, "RENAME missing x", NULL);
    expect(C, "LPUSHX missing x", NULL);
    expect(C, "GET k", NULL);
    expect(C, "NOSUCHCOMMAND k", NULL);
    expect(C, "SET k", NULL);                            /* arity */
    expect(C, "DEL k", "DEL k");
}

static void test_restore_gets_absttl(void **state)
{
    (void)state;
    /* a DUMP payload of the string "hello", taken from this server */
    call(C, "SET src hello");
    kv *e = db_peek(C->db, "src", 3);
    assert_non_null(e);
    reset_entries();
    client *d = conn_create(-1, 0);
    d->argv = tier_dram_malloc(sizeof(arg) * 8);
    d->argv_cap = 8;
    d->argv[0] = (arg){(char *)"DUMP", 4};
    d->argv[1] = (arg){(char *)"src", 3};
    d->argc = 2;
    cmd_call(d);
    /* the reply holds "$<len>\r\n<payload>\r\n" */
    const char *r = d->buf;
    assert_int_equal(r[0], '$');
    long plen = strtol(r + 1, NULL, 10);
    const char *payload = strstr(r, "\r\n") + 2;
    char *pl = malloc((size_t)plen + 1);
    memcpy(pl, payload, (size_t)plen);
    pl[plen] = '\0';
    conn_reset_args(d);
    conn_free(d);

    /* payloads are binary: build argv by hand */
    static const char *variants[][3] = {{"0", NULL, NULL}, {"100000", NULL, NULL}, {"4000000000000", "ABSTTL", NULL}};
    for (int v = 0; v < 3; v++) {
        reset_entries();
        C->argv[0] = (arg){(char *)"RESTORE", 7};
        C->argv[1] = (arg){(char *)"dst", 3};
        C->argv[2] = (arg){(char *)variants[v][0], strlen(variants[v][0])};
        C->argv[3] = (arg){pl, (size_t)plen};
        C->argv[4] = (arg){(char *)"REPLACE", 7};
        C->argc = 5;
        if (variants[v][1]) C->argv[C->argc++] = (arg){(char *)variants[v][1], strlen(variants[v][1])};
        cmd_call(C);
        conn_reset_args(C);
        assert_int_equal(nentries, 1);
        long long want = v == 0 ? 0 : v == 1 ? db_now_ms + 100000 : 4000000000000LL;
        char *exp = malloc((size_t)plen + 128);
        int n = snprintf(exp, 128, "RESTORE dst %lld ", want);
        memcpy(exp + n, pl, (size_t)plen);
        strcpy(exp + n + plen, " ABSTTL REPLACE");
        const char *got = body(entries[0]);
        assert_memory_equal(got, exp, strlen(exp));
        assert_int_equal(strlen(got), strlen(exp));
        free(exp);
        assert_int_equal(ttl_of("dst"), v == 0 ? -1 : want);
    }
    free(pl);
}

/* ---- expiry ---------------------------------------------------------------- */

static void expire_now(const char *key)
{
    kv *e = db_peek(C->db, key, strlen(key));
    assert_non_null(e);
    /* due at the last command's clock: expired for any later command */
    db_set_expire(C->db, e, db_now_ms);
}

static void test_lazy_expiry_is_del(void **state)
{
    (void)state;
    call(C, "SET k v");
    expire_now("k");
    reset_entries();
    call(C, "GET k");
    assert_int_equal(nentries, 1);
    assert_string_equal(body(entries[0]), "DEL k");
    /* a no-op write on an expired key records only the expiry */
    call(C, "SET k v");
    expire_now("k");
    expect(C, "DEL k", "DEL k");
    assert_null(db_peek(C->db, "k", 1));
    call(C, "SET k v");
    expire_now("k");
    expect(C, "SET k w XX", "DEL k");
    call(C, "SET k v");
    expire_now("k");
    expect(C, "EXPIRE k 100", "DEL k");
    /* a write that does something after the expiry: DEL then its own */
    call(C, "SET k v");
    expire_now("k");
    reset_entries();
    call(C, "SET k w NX");
    assert_int_equal(nentries, 2);
    assert_string_equal(body(entries[0]), "DEL k");
    assert_string_equal(entries[1], "SET k w");
}

static void test_active_expiry_is_del(void **state)
{
    (void)state;
    call(C, "SELECT 1");
    call(C, "SET a 1");
    call(C, "SET b 2");
    expire_now("a");
    expire_now("b");
    reset_entries();
    uint64_t n = db_active_expire(&server.dbs[1], 100000);
    assert_int_equal(n, 2);
    assert_int_equal(nentries, 2);
    assert_true((!strcmp(body(entries[0]), "DEL a") && !strcmp(body(entries[1]), "DEL b")) ||
                (!strcmp(body(entries[0]), "DEL b") && !strcmp(body(entries[1]), "DEL a")));
    /* SELECT only when the db differs from the previous record's */
    assert_false(!strncmp(entries[0], "SELECT", 6) || !strncmp(entries[1], "SELECT", 6));
    call(C, "SELECT 0");
    call(C, "SET x 1");
    reset_entries();
    call(C, "SELECT 1");
    call(C, "SET c 1");
    expire_now("c");
    call(C, "SELECT 0");
    reset_entries();
    assert_int_equal(db_active_expire(&server.dbs[1], 100000), 1);
    assert_int_equal(nentries, 1);
    assert_string_equal(entries[0], "DEL c");            /* db 1 was the last */
    call(C, "SET y 1");
    assert_string_equal(entries[1], "SELECT 0 | SET y 1");
}

static void test_replay_pauses_expiry(void **state)
{
    (void)state;
    call(C, "SET k v");
    expire_now("k");
    db_expire_paused = 1;
    reset_entries();
    call(C, "APPEND k w");               /* the key is still there */
    assert_int_equal(nentries, 1);
    assert_string_equal(body(entries[0]), "APPEND k w");
    call(C, "SET p v PXAT 1000");        /* past, but kept until a DEL */
    assert_non_null(db_peek(C->db, "p", 1));
    assert_int_equal(db_active_expire(C->db, 1000), 0);
    db_expire_paused = 0;
    assert_null(db_peek(C->db, "k", 1));
    assert_null(db_peek(C->db, "p", 1));
}

/* ---- hashes, sets, sorted sets, lists -------------------------------------- */

static void test_hincrbyfloat_is_hset(void **state)
{
    (void)state;
    expect(C, "HINCRBYFLOAT h f 1.5", "HSET h f 1.5");
    expect(C, "HINCRBYFLOAT h f 0.25", "HSET h f 1.75");
    expect(C, "HINCRBYFLOAT h f 1e2", "HSET h f 101.75");
    call(C, "HSET h s abc");
    expect(C, "HINCRBYFLOAT h s 1", NULL);
    expect(C, "HINCRBY h n 3", "HINCRBY h n 3");
}

static void test_spop_is_srem(void **state)
{
    (void)state;
    call(C, "SADD s a b c d e");
    reset_entries();
    call(C, "SPOP s");
    assert_int_equal(nentries, 1);
    const char *e = body(entries[0]);
    assert_true(!strncmp(e, "SREM s ", 7) && strlen(e) == 8);
    assert_false(db_peek(C->db, "s", 1) == NULL);
    reset_entries();
    call(C, "SPOP s 2");
    assert_int_equal(nentries, 1);
    e = body(entries[0]);
    assert_true(!strncmp(e, "SREM s ", 7) && strlen(e) == 10);
    expect(C, "SPOP s 0", NULL);
    expect(C, "SPOP s 5", "DEL s");                      /* count >= size */
    expect(C, "SPOP s", NULL);
    expect(C, "SPOP s 3", NULL);
    call(C, "SADD s 1 2 3");                             /* an intset */
    reset_entries();
    call(C, "SPOP s");
    assert_int_equal(nentries, 1);
    assert_true(!strncmp(body(entries[0]), "SREM s ", 7));
    call(C, "SADD t only");
    expect(C, "SPOP t", "SREM t only");
    assert_null(db_peek(C->db, "t", 1));
    call(C, "SADD s x y");
    expect(C, "SRANDMEMBER s", NULL);
    expect(C, "SRANDMEMBER s -5", NULL);
    expect(C, "SMOVE s t x", "SMOVE s t x");
}

static void test_zset_pops(void **state)
{
    (void)state;
    call(C, "ZADD z 1 a 2 b 3 c 4 d");
    expect(C, "ZPOPMIN z", "ZPOPMIN z");
    expect(C, "ZPOPMAX z 2", "ZPOPMAX z 2");
    expect(C, "ZPOPMIN missing", NULL);
    call(C, "ZADD y 5 e 6 f");
    expect(C, "ZMPOP 2 missing y MAX COUNT 5", "ZPOPMAX y 2");
    expect(C, "ZMPOP 2 missing y MIN", NULL);
    expect(C, "ZMPOP 1 z MIN", "ZPOPMIN z 1");
    expect(C, "ZINCRBY z 1.5 q", "ZINCRBY z 1.5 q");
    expect(C, "ZADD z NX 9 q", NULL);
}

static void test_list_pops(void **state)
{
    (void)state;
    call(C, "RPUSH l a b c d");
    expect(C, "LMPOP 2 missing l LEFT", "LPOP l 1");
    expect(C, "LMPOP 1 l RIGHT COUNT 2", "RPOP l 2");
    expect(C, "LMPOP 1 missing LEFT", NULL);
    expect(C, "RPOPLPUSH l m", "RPOPLPUSH l m");
    expect(C, "LMOVE m l LEFT RIGHT", "LMOVE m l LEFT RIGHT");
    /* blocking pops with data: served at once, recorded as the plain pop */
    call(C, "RPUSH q 1 2 3");
    expect(C, "BLPOP missing q 0", "LPOP q");
    expect(C, "BRPOP q 0", "RPOP q");
    call(C, "RPUSH q 1 2");
    expect(C, "BLMOVE q r RIGHT LEFT 0", "LMOVE q r RIGHT LEFT");
    expect(C, "BRPOPLPUSH r q 0", "LMOVE r q RIGHT LEFT");
    expect(C, "BLMPOP 0 1 q LEFT COUNT 9", "LPOP q 3");
}

/* A client blocks on an empty key; another pushes; the served pop is
 * journaled right after the push, as the pop it did. */
static void blocked_served(const char *block, const char *push, const char *want_push, const char *want_pop)
{
    client *b = conn_create(-1, 0);
    call(b, "SELECT 2");
    reset_entries();
    call(b, "%s", block);
    assert_true(b->flags & CF_BLOCKED);
    assert_int_equal(nentries, 0);
    call(C, "SELECT 2");
    call(C, "%s", push);
    assert_false(b->flags & CF_BLOCKED);
    if (nentries != 2) fail_msg("%s: expected 2 entries, got %d", block, nentries);
    if (strcmp(body(entries[0]), want_push)) fail_msg("push: want '%s' got '%s'", want_push, entries[0]);
    if (strcmp(body(entries[1]), want_pop)) fail_msg("%s: want '%s' got '%s'", block, want_pop, entries[1]);
    conn_free(b);
    call(C, "SELECT 0");
}

/* A snapshot point: the next record must name its database. */
static void test_forget_db(void **state)
{
    (void)state;
    call(C, "SELECT 2");
    call(C, "SET a 1");
    reset_entries();
    call(C, "SET b 1");
    assert_string_equal(entries[0], "SET b 1");
    fx_forget_db();
    call(C, "SET c 1");
    assert_string_equal(entries[1], "SELECT 2 | SET c 1");
    /* taken while an entry is built (SAVE inside EXEC): the entry gets a
     * SELECT of the db it began in at its front */
    fx_entry_begin();
    call(C, "SET d 1");
    fx_forget_db();
    call(C, "SELECT 1");
    call(C, "SET e 1");
    fx_entry_end();
    assert_int_equal(nentries, 3);
    assert_string_equal(entries[2], "SELECT 2 | SET d 1 | SELECT 1 | SET e 1");
    call(C, "SET f 1");
    assert_string_equal(entries[3], "SET f 1");
}

static void test_served_blocking_pops(void **state)
{
    (void)state;
    blocked_served("BLPOP bk other 0", "RPUSH bk a b", "RPUSH bk a b", "LPOP bk");
    blocked_served("BRPOP bk2 0", "LPUSH bk2 a b", "LPUSH bk2 a b", "RPOP bk2");
    blocked_served("BLMOVE bk3 dst LEFT RIGHT 0", "RPUSH bk3 x y", "RPUSH bk3 x y", "LMOVE bk3 dst LEFT RIGHT");
    blocked_served("BRPOPLPUSH bk4 dst 0", "RPUSH bk4 x", "RPUSH bk4 x", "LMOVE bk4 dst RIGHT LEFT");
    blocked_served("BLMPOP 0 2 none bk5 RIGHT COUNT 2", "RPUSH bk5 a b c", "RPUSH bk5 a b c", "RPOP bk5 2");
    blocked_served("BZPOPMIN bz 0", "ZADD bz 2 b 1 a", "ZADD bz 2 b 1 a", "ZPOPMIN bz 1");
    blocked_served("BZPOPMAX bz2 0", "ZADD bz2 2 b 1 a", "ZADD bz2 2 b 1 a", "ZPOPMAX bz2 1");
    blocked_served("BZMPOP 0 1 bz3 MIN COUNT 5", "ZADD bz3 2 b 1 a", "ZADD bz3 2 b 1 a", "ZPOPMIN bz3 2");
}

/* ---- transactions, databases ------------------------------------------------ */

static void test_multi_exec_one_entry(void **state)
{
    (void)state;
    call(C, "SADD s a");
    reset_entries();
    call(C, "MULTI");
    call(C, "SET k v EX 100");
    call(C, "SPOP s");
    call(C, "INCRBYFLOAT f 2");
    call(C, "DEL missing");
    call(C, "GET k");
    assert_int_equal(nentries, 0);
    call(C, "EXEC");
    assert_int_equal(nentries, 1);
    assert_string_equal(body(entries[0]), fmt("MULTI | SET k v PXAT %lld | SREM s a | SET f 2 KEEPTTL | EXEC",
                                              (long long)db_now_ms + 100000));
    /* a SELECT inside the transaction stays inside the entry */
    reset_entries();
    call(C, "MULTI");
    call(C, "SET a 1");
    call(C, "SELECT 3");
    call(C, "SET b 2");
    call(C, "SELECT 0");
    call(C, "EXEC");
    assert_int_equal(nentries, 1);
    assert_string_equal(body(entries[0]), "MULTI | SET a 1 | SELECT 3 | SET b 2 | SELECT 0 | EXEC");
    assert_non_null(db_peek(&server.dbs[3], "b", 1));
    /* nothing changed: no entry */
    reset_entries();
    call(C, "MULTI");
    call(C, "DEL nothing");
    call(C, "EXEC");
    assert_int_equal(nentries, 0);
}

static void test_select_when_db_changes(void **state)
{
    (void)state;
    call(C, "SET a 1");
    reset_entries();
    call(C, "SET a 2");
    assert_string_equal(entries[0], "SET a 2");         /* same db: no SELECT */
    call(C, "SELECT 3");
    assert_int_equal(nentries, 1);                        /* SELECT alone is no entry */
    call(C, "SET a 3");
    assert_string_equal(entries[1], "SELECT 3 | SET a 3");
    call(C, "SET b 3");
    assert_string_equal(entries[2], "SET b 3");
    call(C, "SELECT 0");
    call(C, "SET a 4");
    assert_string_equal(entries[3], "SELECT 0 | SET a 4");
    /* MOVE and COPY ... DB: recorded in the source database */
    call(C, "MOVE a 2");
    assert_string_equal(entries[4], "MOVE a 2");
    call(C, "COPY b c DB 1");
    assert_int_equal(nentries, 5);                        /* b is not in db 0 */
    call(C, "SET b x");
    call(C, "COPY b c DB 1");
    assert_string_equal(entries[6], "COPY b c DB 1");
}

static void test_flushall_swapdb_as_they_happened(void **state)
{
    (void)state;
    call(C, "SET a 1");
    call(C, "SELECT 1");
    call(C, "SET b 1");
    expect(C, "SWAPDB 0 1", "SWAPDB 0 1");
    assert_non_null(db_peek(&server.dbs[0], "b", 1));
    expect(C, "FLUSHDB", "FLUSHDB");
    assert_int_equal(db_size(&server.dbs[1]), 0);
    expect(C, "FLUSHALL", "FLUSHALL");
    assert_int_equal(db_size(&server.dbs[0]), 0);
    expect(C, "SWAPDB 0 9", NULL);                        /* out of range */
}

static void test_rename_copy_move(void **state)
{
    (void)state;
    call(C, "SET a 1");
    expect(C, "RENAME a b", "RENAME a b");
    expect(C, "RENAMENX b b", NULL);
    call(C, "SET c 1");
    expect(C, "RENAMENX b c", NULL);
    expect(C, "COPY b c", NULL);
    expect(C, "COPY b c REPLACE", "COPY b c REPLACE");
    expect(C, "MOVE b 0", NULL);                          /* same db: error */
}

int main(void)
{
    tier_init_default();
    static db dbs[4];
    for (int i = 0; i < 4; i++) db_init(&dbs[i], i);
    server.dbs = dbs;
    server.ndbs = 4;
    server.cfg.active_expire = 1;
    server.cfg.proto_max_bulk_len = 512LL * 1024 * 1024;
    server_register_modules();   /* types, expiry -> DEL, MULTI, blocking */
    cmd_init();
    fx_consumer = consume;
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_set_relative_ttl_becomes_pxat),
        T(test_setex_psetex),
        T(test_getex),
        T(test_incrbyfloat_is_set_keepttl),
        T(test_getdel_and_plain_writes),
        T(test_expire_family_becomes_pexpireat),
        T(test_noops_and_failures_leave_nothing),
        T(test_restore_gets_absttl),
        T(test_lazy_expiry_is_del),
        T(test_active_expiry_is_del),
        T(test_replay_pauses_expiry),
        T(test_hincrbyfloat_is_hset),
        T(test_spop_is_srem),
        T(test_zset_pops),
        T(test_list_pops),
        T(test_served_blocking_pops),
        T(test_forget_db),
        T(test_multi_exec_one_entry),
        T(test_select_when_db_changes),
        T(test_flushall_swapdb_as_they_happened),
        T(test_rename_copy_move),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
