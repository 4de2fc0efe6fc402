/* test_multi_fx.c -- a MULTI/EXEC is one journal entry: MULTI, the
 * effects of the queued writes, EXEC; a transaction that changed nothing
 * leaves no entry; a blocking-capable client cannot block inside EXEC. */
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
#include "multi.h"
#include "server.h"
#include "tier.h"

static char entries[8][4096];
static size_t entry_len[8];
static int nentries;

static void consume(const char *p, size_t len, void *priv)
{
    (void)priv;
    assert_true(nentries < 8 && len < sizeof(entries[0]));
    memcpy(entries[nentries], p, len);
    entry_len[nentries] = len;
    entries[nentries][len] = '\0';
    nentries++;
}

static void call(client *c, const char *words)
{
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s", words);
    if (!c->argv) {
        c->argv = tier_dram_malloc(sizeof(arg) * 16);
        c->argv_cap = 16;
    }
    int argc = 0;
    for (char *w = strtok(tmp, " "); w; w = strtok(NULL, " ")) {
        c->argv[argc].p = w;
        c->argv[argc].len = strlen(w);
        argc++;
    }
    c->argc = argc;
    c->flags |= CF_PROTECTED;
    cmd_call(c);
    c->flags &= ~CF_PROTECTED;
    conn_reset_args(c);
}

static const char *strip_select(const char *e)
{
    /* a SELECT may precede the entry's first record when the db changes */
    if (!strncmp(e, "*2\r\n$6\r\nSELECT\r\n", 16)) {
        e = strstr(e + 16, "\r\n") + 2;   /* $len */
        e = strstr(e, "\r\n") + 2;        /* the number */
    }
    return e;
}

static void test_exec_is_one_entry(void **state)
{
    (void)state;
    client *c = conn_create(-1, 0);
    nentries = 0;
    call(c, "MULTI");
    call(c, "SET a 1");
    call(c, "INCR a");
    call(c, "GET a");
    assert_int_equal(nentries, 0);
    call(c, "EXEC");
    assert_int_equal(nentries, 1);
    const char *e = strip_select(entries[0]);
    assert_string_equal(e, "*1\r\n$5\r\nMULTI\r\n"
                           "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
                           "*2\r\n$4\r\nINCR\r\n$1\r\na\r\n"
                           "*1\r\n$4\r\nEXEC\r\n");
    /* a plain write outside a transaction is an entry of its own */
    call(c, "SET b 2");
    assert_int_equal(nentries, 2);
    assert_string_equal(strip_select(entries[1]), "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
    conn_free(c);
}

static void test_readonly_exec_no_entry(void **state)
{
    (void)state;
    client *c = conn_create(-1, 0);
    call(c, "SET s abc");
    nentries = 0;
    call(c, "MULTI");
    call(c, "GET s");
    call(c, "INCR s");     /* fails: changes nothing */
    call(c, "EXEC");
    assert_int_equal(nentries, 0);
    /* and the next write still gets its SELECT-less, well-formed entry */
    call(c, "SET t 1");
    assert_int_equal(nentries, 1);
    assert_non_null(strstr(entries[0], "*3\r\n$3\r\nSET\r\n$1\r\nt\r\n"));
    /* an aborted transaction leaves nothing either */
    nentries = 0;
    call(c, "MULTI");
    call(c, "SET u 1");
    call(c, "NOSUCH");
    call(c, "EXEC");
    assert_int_equal(nentries, 0);
    assert_null(db_peek(c->db, "u", 1));
    conn_free(c);
}

static void test_queued_while_in_multi(void **state)
{
    (void)state;
    client *c = conn_create(-1, 0);
    call(c, "MULTI");
    assert_true(c->flags & CF_MULTI);
    assert_true(blk_can_block(c) == 0);
    call(c, "DISCARD");
    assert_false(c->flags & CF_MULTI);
    assert_true(blk_can_block(c));
    conn_free(c);
}

int main(void)
{
    tier_init_default();
    static db dbs[2];
    for (int i = 0; i < 2; i++) db_init(&dbs[i], i);
    server.dbs = dbs;
    server.ndbs = 2;
    cmd_init();
    multi_init();
    fx_consumer = consume;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_is_one_entry),
        cmocka_unit_test(test_readonly_exec_no_entry),
        cmocka_unit_test(test_queued_while_in_multi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
