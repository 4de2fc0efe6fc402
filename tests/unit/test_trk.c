/* test_trk.c -- the durability tracker: D1 (held until durable), D3
 * (in-order release), D4 (errors after a journal failure), dirty keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cmd.h"
#include "conn.h"
#include "db.h"
#include "server.h"
#include "tier.h"
#include "trk.h"

static client *new_client(void)
{
    client *c = conn_create(-1, 0);
    assert_non_null(c);
    return c;
}

/* Run "command" bookkeeping as cmd_exec does: record the reply start, let the
 * handler reply, then tell the tracker. */
static void fake_cmd(client *c, const char *name, const char *key, const char *reply, uint64_t entry_seq)
{
    cmd *cm = cmd_lookup(name, strlen(name));
    assert_non_null(cm);
    static arg argv[3];
    argv[0].p = (char *)name;
    argv[0].len = strlen(name);
    c->argc = 1;
    if (key) {
        argv[1].p = (char *)key;
        argv[1].len = strlen(key);
        c->argc = 2;
    }
    c->argv = argv;
    c->cmd_out_start = c->out_total;
    reply_raw(c, reply, strlen(reply));
    trk_after_command(c, cm, entry_seq);
    c->argv = NULL;
    c->argc = 0;
}

/* The bytes conn.c may write now. */
static uint64_t writable(client *c)
{
    uint64_t lim = trk_hold_limit(c);
    return (lim == UINT64_MAX ? c->out_total : lim) - c->out_written;
}

static void test_write_held_until_durable(void **state)
{
    (void)state;
    client *c = new_client();
    trk_note_key(0, "k", 1, 1);
    fake_cmd(c, "set", "k", "+OK\r\n", 1);
    assert_int_equal(writable(c), 0);             /* D1 */
    assert_int_equal(trk_dirty_keys(), 1);
    fake_cmd(c, "ping", NULL, "+PONG\r\n", 0);
    assert_int_equal(writable(c), 0);             /* D3: behind the held SET */
    trk_durable(1);
    assert_int_equal(writable(c), 12);
    assert_int_equal(trk_dirty_keys(), 0);
    assert_int_equal(trk_held_replies(), 0);
    c->argv = NULL;
}

static void test_read_of_dirty_key_held(void **state)
{
    (void)state;
    client *w = new_client(), *r = new_client();
    trk_note_key(0, "a", 1, 2);
    fake_cmd(w, "set", "a", "+OK\r\n", 2);
    fake_cmd(r, "get", "b", "$-1\r\n", 0);        /* clean key: at once */
    assert_int_equal(writable(r), 5);
    fake_cmd(r, "get", "a", "$1\r\nx\r\n", 0);    /* dirty key: held */
    assert_int_equal(writable(r), 5);
    fake_cmd(r, "dbsize", NULL, ":1\r\n", 0);     /* keyspace read: held */
    assert_int_equal(writable(r), 5);
    /* a newer write to the same key keeps it dirty past the first seq */
    trk_note_key(0, "a", 1, 3);
    fake_cmd(w, "set", "a", "+OK\r\n", 3);
    trk_durable(2);
    assert_int_equal(writable(r), 5 + 7 + 4);
    assert_int_equal(trk_dirty_keys(), 1);
    trk_durable(3);
    assert_int_equal(trk_dirty_keys(), 0);
    trk_durable(2);                               /* D2: never goes back */
    assert_int_equal(trk_durable_seq(), 3);
}

static void test_failure_answers_errors(void **state)
{
    (void)state;
    client *c = new_client();
    uint64_t before = c->out_total;
    trk_note_key(0, "z", 1, 10);
    fake_cmd(c, "set", "z", "+OK\r\n", 10);
    fake_cmd(c, "ping", NULL, "+PONG\r\n", 0);
    trk_fail("fdatasync: Input/output error");
    /* D4: the held +OK and +PONG are gone, replaced by two errors */
    assert_int_equal(trk_hold_limit(c), UINT64_MAX);
    size_t n = c->bufpos;
    assert_true(c->out_total > before);
    assert_null(memmem(c->buf, n, "+OK", 3));
    int errors = 0;
    for (const char *p = c->buf; (p = memmem(p, n - (size_t)(p - c->buf), "-MISCONF", 8)); p++) errors++;
    assert_int_equal(errors, 2);
    /* later reads of keys never made durable get errors at once */
    fake_cmd(c, "get", "z", "$1\r\nv\r\n", 0);
    assert_null(memmem(c->buf, c->bufpos, "$1\r\nv", 5));
}

int main(void)
{
    tier_init_default();
    server.cfg.databases = 1;
    server.ndbs = 1;
    server.dbs = tier_dram_calloc(sizeof(db));
    db_init(&server.dbs[0], 0);
    server.cfg.proto_max_bulk_len = 512 * 1024 * 1024;
    cmd_init();
    trk_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_held_until_durable),
        cmocka_unit_test(test_read_of_dirty_key_held),
        cmocka_unit_test(test_failure_answers_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
