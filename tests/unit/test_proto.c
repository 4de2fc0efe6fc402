/* test_proto.c -- the RESP request parser: every split point, pipelines,
 * inline commands and limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"
#include "tier.h"

typedef struct parsed {
    int ncmds;
    int argc[64];
    char args[64][8][64];
} parsed;

/* Feed the input in pieces cut at the given offsets into a growing buffer,
 * parsing after each piece, as the connection does. */
static int feed(const char *in, size_t len, const size_t *cuts, int ncuts, parsed *out, char *err)
{
    proto_parser p;
    proto_init(&p, 512 * 1024 * 1024);
    p.authenticated = 1;
    char *buf = malloc(len + 1);
    size_t have = 0, start = 0;
    out->ncmds = 0;
    int rc = PROTO_MORE;
    for (int i = 0; i <= ncuts; i++) {
        size_t upto = i < ncuts ? cuts[i] : len;
        memcpy(buf + have, in + have, upto - have);
        have = upto;
        for (;;) {
            int argc;
            size_t need;
            rc = proto_parse(&p, buf, have, &start, &argc, &need);
            if (rc == PROTO_MORE) break;
            if (rc == PROTO_ERR) {
                strcpy(err, p.err);
                goto done;
            }
            if (argc == 0) continue;
            int k = out->ncmds++;
            out->argc[k] = argc;
            for (int a = 0; a < argc && a < 8; a++) {
                size_t l = p.spans[a].len < 63 ? p.spans[a].len : 63;
                memcpy(out->args[k][a], buf + p.spans[a].off, l);
                out->args[k][a][l] = '\0';
            }
        }
    }
done:
    free(buf);
    proto_free(&p);
    return rc;
}

static void test_multibulk_every_split(void **state)
{
    (void)state;
    const char *in = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
    size_t len = strlen(in);
    for (size_t a = 0; a <= len; a++) {
        for (size_t b = a; b <= len; b++) {
            size_t cuts[2] = {a, b};
            parsed out;
            char err[128] = "";
            int rc = feed(in, len, cuts, 2, &out, err);
            assert_int_not_equal(rc, PROTO_ERR);
            assert_int_equal(out.ncmds, 2);
            assert_int_equal(out.argc[0], 3);
            assert_string_equal(out.args[0][0], "SET");
            assert_string_equal(out.args[0][2], "value");
            assert_int_equal(out.argc[1], 2);
            assert_string_equal(out.args[1][1], "key");
        }
    }
}

static void test_inline(void **state)
{
    (void)state;
    const char *in = "set a \"b c\\n\" 'd e'\r\nPING\n\r\n  \r\nget \"\\x41\"\r\n";
    size_t len = strlen(in);
    for (size_t a = 0; a <= len; a++) {
        size_t cuts[1] = {a};
        parsed out;
        char err[128] = "";
        int rc = feed(in, len, cuts, 1, &out, err);
        assert_int_not_equal(rc, PROTO_ERR);
        assert_int_equal(out.ncmds, 3);
        assert_int_equal(out.argc[0], 4);
        assert_string_equal(out.args[0][2], "b c\n");
        assert_string_equal(out.args[0][3], "d e");
        assert_string_equal(out.args[1][0], "PING");
        assert_string_equal(out.args[2][1], "A");
    }
}

static void expect_error(const char *in, const char *msg, int authenticated)
{
    proto_parser p;
    proto_init(&p, 1024 * 1024);
    p.authenticated = authenticated;
    size_t len = strlen(in), start = 0, need;
    char *buf = malloc(len + 1);
    memcpy(buf, in, len);
    int argc;
    int rc = proto_parse(&p, buf, len, &start, &argc, &need);
    assert_int_equal(rc, PROTO_ERR);
    assert_string_equal(p.err, msg);
    free(buf);
    proto_free(&p);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("*x\r\n", "Protocol error: invalid multibulk length", 1);
    expect_error("*3000000000\r\n", "Protocol error: invalid multibulk length", 1);
    expect_error("*1\r\n+foo\r\n", "Protocol error: expected '$', got '+'", 1);
    expect_error("*1\r\n$-1\r\n", "Protocol error: invalid bulk length", 1);
    expect_error("*1\r\n$2000000\r\n", "Protocol error: invalid bulk length", 1);
    expect_error("*20\r\n", "Protocol error: unauthenticated multibulk length", 0);
    expect_error("*1\r\n$20000\r\n", "Protocol error: unauthenticated bulk length", 0);
    expect_error("set \"a\r\n", "Protocol error: unbalanced quotes in request", 1);
    /* an over-long inline line without newline */
    char *big = malloc(70000);
    memset(big, 'a', 69999);
    big[69999] = '\0';
    expect_error(big, "Protocol error: too big inline request", 1);
    big[0] = '*';
    expect_error(big, "Protocol error: too big mbulk count string", 1);
    free(big);
}

/* Limits are inclusive, as in Redis: exactly the limit parses, one more fails. */
static void expect_more_or_ok(const char *in, int authenticated, long long max_bulk)
{
    proto_parser p;
    proto_init(&p, max_bulk);
    p.authenticated = authenticated;
    size_t len = strlen(in), start = 0, need;
    char *buf = malloc(len + 1);
    memcpy(buf, in, len + 1);
    int argc;
    int rc = proto_parse(&p, buf, len, &start, &argc, &need);
    assert_true(rc == PROTO_MORE || rc == PROTO_OK);
    free(buf);
    proto_free(&p);
}

static void test_limit_boundaries(void **state)
{
    (void)state;
    expect_more_or_ok("*10\r\n", 0, 1 << 20);
    expect_more_or_ok("*1\r\n$16384\r\n", 0, 1 << 20);
    expect_more_or_ok("*1\r\n$1048576\r\n", 1, 1 << 20);
    expect_error("*1\r\n$1048577\r\n", "Protocol error: invalid bulk length", 1);
    /* a bulk header line that never ends */
    char *big = malloc(70010);
    memcpy(big, "*1\r\n$", 5);
    memset(big + 5, '1', 70000);
    big[70005] = '\0';
    expect_error(big, "Protocol error: too big bulk count string", 1);
    free(big);
    /* the limit is read on every call: lowering it mid-command applies to the
     * next bulk header (conn.c refreshes it from proto-max-bulk-len) */
    proto_parser p;
    proto_init(&p, 1 << 20);
    p.authenticated = 1;
    char in[] = "*2\r\n$1\r\na\r\n$2000\r\n";
    size_t start = 0, need;
    int argc;
    assert_int_equal(proto_parse(&p, in, 12, &start, &argc, &need), PROTO_MORE);
    p.max_bulk = 1000;
    assert_int_equal(proto_parse(&p, in, strlen(in), &start, &argc, &need), PROTO_ERR);
    assert_string_equal(p.err, "Protocol error: invalid bulk length");
    proto_free(&p);
}

static void test_empty_multibulk_and_need(void **state)
{
    (void)state;
    proto_parser p;
    proto_init(&p, 1024 * 1024);
    p.authenticated = 1;
    char buf[] = "*0\r\n*-1\r\n*1\r\n$100000\r\nab";
    size_t start = 0, need;
    int argc;
    assert_int_equal(proto_parse(&p, buf, strlen(buf), &start, &argc, &need), PROTO_OK);
    assert_int_equal(argc, 0);
    assert_int_equal(proto_parse(&p, buf, strlen(buf), &start, &argc, &need), PROTO_OK);
    assert_int_equal(argc, 0);
    assert_int_equal(proto_parse(&p, buf, strlen(buf), &start, &argc, &need), PROTO_MORE);
    /* the parser knows the whole command needs header + 100000 + 2 */
    assert_int_equal(need, strlen("*1\r\n$100000\r\n") + 100002);
    proto_free(&p);
}

/* Header numbers: the common form takes a fast path; every other form must
 * get the general path's answer. */
static void test_header_numbers(void **state)
{
    (void)state;
    expect_error("*01\r\n", "Protocol error: invalid multibulk length", 1);
    expect_error("*+1\r\n", "Protocol error: invalid multibulk length", 1);
    expect_error("*2\rX", "Protocol error: invalid multibulk length", 1);
    expect_error("*100000000000000000\r\n", "Protocol error: invalid multibulk length", 1);
    expect_error("*1\r\n$03\r\nabc\r\n", "Protocol error: invalid bulk length", 1);
    expect_error("*1\r\n$3\rXabc\r\n", "Protocol error: invalid bulk length", 1);
    expect_error("*1\r\n$999999999999999999\r\n", "Protocol error: invalid bulk length", 1);
    expect_error("*1\r\n$9999999999999999999\r\n", "Protocol error: invalid bulk length", 1);
    expect_error("*1\r\n$3x\r\nabc\r\n", "Protocol error: invalid bulk length", 1);
    expect_error("*1\r\n:3\r\nabc\r\n", "Protocol error: expected '$', got ':'", 1);
    const char *in = "*3\r\n$0\r\n\r\n$10\r\n0123456789\r\n$1\r\nx\r\n";
    size_t len = strlen(in);
    for (size_t a = 0; a <= len; a++) {
        size_t cuts[1] = {a};
        parsed out;
        char err[128] = "";
        int rc = feed(in, len, cuts, 1, &out, err);
        assert_int_not_equal(rc, PROTO_ERR);
        assert_int_equal(out.ncmds, 1);
        assert_int_equal(out.argc[0], 3);
        assert_string_equal(out.args[0][0], "");
        assert_string_equal(out.args[0][1], "0123456789");
        assert_string_equal(out.args[0][2], "x");
    }
}

int main(void)
{
    tier_init_default();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multibulk_every_split),
        cmocka_unit_test(test_inline),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limit_boundaries),
        cmocka_unit_test(test_empty_multibulk_and_need),
        cmocka_unit_test(test_header_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
