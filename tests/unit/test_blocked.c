/* test_blocked.c -- the blocking contract (blocked.h) driven with fake
 * clients (fd -1) and a fake blocking command in place of the re-run:
 * FIFO per key, wake-ups only in blk_serve_ready, a re-blocked client keeps
 * its place, timeouts with the right null reply, clean-up on disconnect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "blocked.h"
#include "db.h"
#include "server.h"
#include "tier.h"
#include "util.h"

/* ---- a fake list type: key -> count of elements, mirrored in db 0 -------- */

#define NKEYS 8
static struct { char name[16]; long count; } model[NKEYS];

static long *count_of(const char *k, size_t len)
{
    for (int i = 0; i < NKEYS; i++)
        if (strlen(model[i].name) == len && !memcmp(model[i].name, k, len)) return &model[i].count;
    for (int i = 0; i < NKEYS; i++)
        if (!model[i].name[0]) {
            memcpy(model[i].name, k, len);
            model[i].name[len] = '\0';
            return &model[i].count;
        }
    fail_msg("model full");
    return NULL;
}

static void push(const char *k, long n)
{
    long *cnt = count_of(k, strlen(k));
    if (*cnt == 0 && n > 0) db_add(&server.dbs[0], kv_new_int(k, strlen(k), 1));
    *cnt += n;
    blk_signal_key(&server.dbs[0], k, strlen(k));
}

static void take(const char *k, size_t len, long n)
{
    long *cnt = count_of(k, len);
    *cnt -= n;
    if (*cnt == 0) db_delete(&server.dbs[0], k, len);
}

/* What the fake command served, in order: client id and key. */
static struct { uint64_t id; char key[16]; } served[64];
static int nserved;
static int nruns;

/* argv: POP|MOVE need key... [dest] ; serves from the first key holding at
 * least `need` elements; MOVE pushes what it took onto the last argument. */
static void fake_run(client *c)
{
    nruns++;
    long need = atol(c->argv[1].p);
    int move = c->argv[0].len == 4 && !memcmp(c->argv[0].p, "MOVE", 4);
    int last = move ? c->argc - 2 : c->argc - 1;
    for (int i = 2; i <= last; i++) {
        long *cnt = count_of(c->argv[i].p, c->argv[i].len);
        if (*cnt >= need) {
            take(c->argv[i].p, c->argv[i].len, need);
            served[nserved].id = c->id;
            memcpy(served[nserved].key, c->argv[i].p, c->argv[i].len);
            served[nserved].key[c->argv[i].len] = '\0';
            nserved++;
            if (move) push(c->argv[c->argc - 1].p, need);
            reply_ll(c, need);
            return;
        }
    }
    if (!blk_can_block(c)) { reply_null_array(c); return; }
    int idx[8], n = 0;
    for (int i = 2; i <= last; i++) idx[n++] = i;
    blk_block(c, n, idx, 0, BLK_NULL_ARRAY);
}

/* A client "sending" a command: argv points into a scratch buffer that the
 * test scribbles over afterwards, as the query buffer would be reused. */
static char scratch[256];

static client *run(const char *words)
{
    client *c = conn_create(-1, 0);
    assert_non_null(c);
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s", words);
    int argc = 0;
    c->argv = tier_dram_malloc(sizeof(arg) * 16);
    c->argv_cap = 16;
    size_t off = 0;
    for (char *w = strtok(tmp, " "); w; w = strtok(NULL, " ")) {
        size_t l = strlen(w);
        memcpy(scratch + off, w, l + 1);
        c->argv[argc].p = scratch + off;
        c->argv[argc].len = l;
        argc++;
        off += l + 1;
    }
    c->argc = argc;
    fake_run(c);
    if (!(c->flags & CF_BLOCKED)) conn_reset_args(c);
    memset(scratch, 'x', sizeof(scratch));
    return c;
}

static int replied(client *c, const char *want)
{
    return c->bufpos == strlen(want) && !memcmp(c->buf, want, c->bufpos);
}

static int setup(void **state)
{
    (void)state;
    memset(model, 0, sizeof(model));
    nserved = nruns = 0;
    db_clear(&server.dbs[0]);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    while (conn_all) conn_free(conn_all);
    assert_int_equal(blk_blocked_clients(), 0);
    return 0;
}

static void test_fifo_per_key(void **state)
{
    (void)state;
    client *a = run("POP 1 k");
    client *b = run("POP 1 k");
    client *c = run("POP 1 k");
    assert_true(a->flags & CF_BLOCKED);
    assert_int_equal(blk_blocked_clients(), 3);
    /* the blocked client's arguments survive the query buffer's reuse */
    assert_int_equal(a->argv_owned, 1);
    assert_memory_equal(a->argv[2].p, "k", 1);
    push("k", 2);
    /* nothing happens inside the signalling command */
    assert_int_equal(nserved, 0);
    blk_serve_ready();
    assert_int_equal(nserved, 2);
    assert_int_equal(served[0].id, a->id);
    assert_int_equal(served[1].id, b->id);
    assert_false(a->flags & CF_BLOCKED);
    assert_true(replied(a, ":1\r\n"));
    assert_true(c->flags & CF_BLOCKED);
    assert_int_equal(blk_blocked_clients(), 1);
    /* c was not even re-run: the key was gone */
    assert_int_equal(nruns, 3 + 2);
    push("k", 1);
    blk_serve_ready();
    assert_int_equal(nserved, 3);
    assert_int_equal(served[2].id, c->id);
    assert_int_equal(blk_blocked_clients(), 0);
}

static void test_reblock_keeps_place(void **state)
{
    (void)state;
    client *a = run("POP 2 k");
    client *b = run("POP 1 k");
    push("k", 1);
    blk_serve_ready();
    /* a found too little and blocked again; b was served */
    assert_int_equal(nserved, 1);
    assert_int_equal(served[0].id, b->id);
    assert_true(a->flags & CF_BLOCKED);
    client *c = run("POP 1 k");
    push("k", 2);
    blk_serve_ready();
    /* a is still ahead of c, which blocked later */
    assert_int_equal(nserved, 2);
    assert_int_equal(served[1].id, a->id);
    assert_true(c->flags & CF_BLOCKED);
}

static void test_several_keys(void **state)
{
    (void)state;
    client *a = run("POP 1 k1 k2");
    client *b = run("POP 1 k2");
    push("k2", 1);
    blk_serve_ready();
    assert_int_equal(nserved, 1);
    assert_int_equal(served[0].id, a->id);
    assert_string_equal(served[0].key, "k2");
    /* a left k1's queue too */
    push("k1", 1);
    blk_serve_ready();
    assert_int_equal(nserved, 1);
    assert_true(b->flags & CF_BLOCKED);
    assert_int_equal(blk_blocked_clients(), 1);
}

static void test_signal_during_serve(void **state)
{
    (void)state;
    client *b = run("POP 1 dst");
    client *a = run("MOVE 1 src dst");
    assert_true(a->flags & CF_BLOCKED);
    push("src", 1);
    blk_serve_ready();
    /* a moved the element, and b got it in the same round */
    assert_int_equal(nserved, 2);
    assert_int_equal(served[0].id, a->id);
    assert_int_equal(served[1].id, b->id);
    assert_int_equal(blk_blocked_clients(), 0);
}

static void test_disconnect_while_blocked(void **state)
{
    (void)state;
    client *a = run("POP 1 k");
    client *b = run("POP 1 k");
    conn_free(a);
    assert_int_equal(blk_blocked_clients(), 1);
    push("k", 1);
    blk_serve_ready();
    assert_int_equal(nserved, 1);
    assert_int_equal(served[0].id, b->id);
    /* the last client gone: signalling the key finds nothing */
    client *c = run("POP 1 q");
    conn_free(c);
    push("q", 1);
    blk_serve_ready();
    assert_int_equal(nserved, 1);
}

static void test_timeouts(void **state)
{
    (void)state;
    int idx[1] = {2};
    int64_t now = util_mstime();
    /* deadlines out of order: the heap must find the due ones */
    client *c1 = conn_create(-1, 0), *c2 = conn_create(-1, 0), *c3 = conn_create(-1, 0);
    client *cs[3] = {c1, c2, c3};
    int64_t deadlines[3] = {now + 100000, now - 5, now - 10};
    for (int i = 0; i < 3; i++) {
        cs[i]->argv = tier_dram_malloc(sizeof(arg) * 3);
        cs[i]->argv_cap = 3;
        cs[i]->argc = 3;
        cs[i]->argv[0] = (arg){(char *)"POP", 3};
        cs[i]->argv[1] = (arg){(char *)"1", 1};
        cs[i]->argv[2] = (arg){(char *)"k", 1};
        blk_block(cs[i], 1, idx, deadlines[i], i == 2 ? BLK_NULL_BULK : BLK_NULL_ARRAY);
    }
    c2->resp = 3;
    blk_handle_timeouts();
    assert_true(c1->flags & CF_BLOCKED);
    assert_false(c2->flags & CF_BLOCKED);
    assert_false(c3->flags & CF_BLOCKED);
    assert_true(replied(c2, "_\r\n"));
    assert_true(replied(c3, "$-1\r\n"));
    assert_int_equal(c1->bufpos, 0);
    assert_int_equal(blk_blocked_clients(), 1);
    /* the one left is still served normally */
    push("k", 1);
    blk_serve_ready();
    assert_int_equal(nserved, 1);
    assert_int_equal(served[0].id, c1->id);
}

static void test_null_reply_resp2(void **state)
{
    (void)state;
    int idx[1] = {1};
    client *c = conn_create(-1, 0);
    c->argv = tier_dram_malloc(sizeof(arg) * 2);
    c->argv_cap = 2;
    c->argc = 2;
    c->argv[0] = (arg){(char *)"POP", 3};
    c->argv[1] = (arg){(char *)"k", 1};
    blk_block(c, 1, idx, util_mstime() - 1, BLK_NULL_ARRAY);
    blk_handle_timeouts();
    assert_true(replied(c, "*-1\r\n"));
    assert_int_equal(c->argc, 0);
}

static void test_can_block(void **state)
{
    (void)state;
    client *c = conn_create(-1, 0);
    assert_true(blk_can_block(c));
    c->flags |= CF_MULTI;
    assert_false(blk_can_block(c));
    c->flags &= ~CF_MULTI;
    c->flags |= CF_EXECUTING;
    assert_false(blk_can_block(c));
    c->flags &= ~CF_EXECUTING;
    /* inside a transaction the fake command answers at once */
    c->flags |= CF_EXECUTING;
    c->argv = tier_dram_malloc(sizeof(arg) * 3);
    c->argv_cap = 3;
    c->argc = 3;
    c->argv[0] = (arg){(char *)"POP", 3};
    c->argv[1] = (arg){(char *)"1", 1};
    c->argv[2] = (arg){(char *)"k", 1};
    fake_run(c);
    assert_false(c->flags & CF_BLOCKED);
    assert_true(replied(c, "*-1\r\n"));
    c->argc = 0;
}

static void test_parse_timeout(void **state)
{
    (void)state;
    client *c = conn_create(-1, 0);
    int64_t d = 123;
    arg a = {(char *)"abc", 3};
    assert_false(blk_parse_timeout(c, &a, &d));
    assert_true(replied(c, "-ERR timeout is not a float or out of range\r\n"));
    c->bufpos = 0;
    a = (arg){(char *)"-1", 2};
    assert_false(blk_parse_timeout(c, &a, &d));
    assert_true(replied(c, "-ERR timeout is negative\r\n"));
    c->bufpos = 0;
    a = (arg){(char *)"inf", 3};
    assert_false(blk_parse_timeout(c, &a, &d));
    assert_true(replied(c, "-ERR timeout is negative\r\n"));
    c->bufpos = 0;
    a = (arg){(char *)"0", 1};
    assert_true(blk_parse_timeout(c, &a, &d));
    assert_int_equal(d, 0);
    a = (arg){(char *)"0.5", 3};
    int64_t before = util_mstime();
    assert_true(blk_parse_timeout(c, &a, &d));
    assert_true(d >= before + 500 && d <= util_mstime() + 500);
    assert_int_equal(c->bufpos, 0);
}

int main(void)
{
    tier_init_default();
    static db dbs[2];
    for (int i = 0; i < 2; i++) db_init(&dbs[i], i);
    server.dbs = dbs;
    server.ndbs = 2;
    blk_run_command = fake_run;
    conn_add_free_hook(blk_client_freed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fifo_per_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reblock_keeps_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signal_during_serve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_while_blocked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_reply_resp2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_can_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_timeout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
