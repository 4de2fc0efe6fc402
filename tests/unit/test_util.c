/* test_util.c -- number parsing/formatting and glob matching as Redis does
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "util.h"

static int ll(const char *s, long long *v) { return util_str2ll(s, strlen(s), v); }

static void test_str2ll(void **state)
{
    (void)state;
    long long v;
    assert_true(ll("0", &v) && v == 0);
    assert_true(ll("-1", &v) && v == -1);
    assert_true(ll("9223372036854775807", &v) && v == 9223372036854775807LL);
    assert_true(ll("-9223372036854775808", &v) && v == (-9223372036854775807LL - 1));
    assert_false(ll("9223372036854775808", &v));
    assert_false(ll("-9223372036854775809", &v));
    assert_false(ll("007", &v));
    assert_false(ll("+1", &v));
    assert_false(ll(" 1", &v));
    assert_false(ll("1 ", &v));
    assert_false(ll("-", &v));
    assert_false(ll("", &v));
    assert_false(ll("-0", &v));
    assert_false(ll("1.0", &v));
}

static void test_str2d(void **state)
{
    (void)state;
    double d;
    assert_true(util_str2d("1.5", 3, &d) && d == 1.5);
    assert_true(util_str2d("inf", 3, &d) && isinf(d));
    assert_true(util_str2d("-inf", 4, &d) && isinf(d) && d < 0);
    assert_false(util_str2d("nan", 3, &d));
    assert_false(util_str2d(" 1", 2, &d));
    assert_false(util_str2d("1x", 2, &d));
    assert_false(util_str2d("", 0, &d));
}

static void test_format(void **state)
{
    (void)state;
    char buf[128];
    util_ll2str(buf, -123);
    assert_string_equal(buf, "-123");
    util_d2str(buf, sizeof(buf), 1.5);
    assert_string_equal(buf, "1.5");
    util_d2str(buf, sizeof(buf), 0.1);
    assert_string_equal(buf, "0.10000000000000001");
    util_d2str(buf, sizeof(buf), -INFINITY);
    assert_string_equal(buf, "-inf");
    /* the integer fast path prints exactly what %.17g prints */
    const double ints[] = {0.0, -0.0, 1.0, -12.0, 1e15, 4503599627370495.0, -4503599627370494.0,
                           4503599627370496.0, 9007199254740993.0, 1e17, -1e300, 123456789.0};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        char want[128];
        snprintf(want, sizeof(want), "%.17g", ints[i]);
        size_t n = util_d2str(buf, sizeof(buf), ints[i]);
        assert_string_equal(buf, want);
        assert_int_equal(n, strlen(want));
    }
    util_ld2str_human(buf, sizeof(buf), 10.6L);
    assert_string_equal(buf, "10.6");
    util_ld2str_human(buf, sizeof(buf), 3.0L);
    assert_string_equal(buf, "3");
    util_ld2str_human(buf, sizeof(buf), 5.0e3L);
    assert_string_equal(buf, "5000");
    unsigned long long m;
    assert_true(util_memtoull("1gb", &m) && m == 1024ULL * 1024 * 1024);
    assert_true(util_memtoull("10k", &m) && m == 10000);
    assert_true(util_memtoull("100", &m) && m == 100);
    assert_false(util_memtoull("1xb", &m));
}

static int gm(const char *p, const char *s) { return util_glob_match(p, strlen(p), s, strlen(s), 0); }

static void test_glob(void **state)
{
    (void)state;
    assert_false(gm("*", ""));   /* as Redis: "" matches only "" */
    assert_true(gm("", ""));
    assert_true(gm("*", "abc"));
    assert_true(gm("h?llo", "hello"));
    assert_false(gm("h?llo", "hllo"));
    assert_true(gm("h*llo", "hllo"));
    assert_true(gm("h*llo", "heeeello"));
    assert_true(gm("h[ae]llo", "hallo"));
    assert_false(gm("h[ae]llo", "hillo"));
    assert_true(gm("h[^e]llo", "hallo"));
    assert_false(gm("h[^e]llo", "hello"));
    assert_true(gm("h[a-b]llo", "hbllo"));
    assert_false(gm("h[a-b]llo", "hcllo"));
    assert_true(gm("h[b-a]llo", "hallo"));
    assert_true(gm("h\\*llo", "h*llo"));
    assert_false(gm("h\\*llo", "hello"));
    assert_true(gm("a*b*c", "aXXbYYc"));
    assert_false(gm("a*b*c", "aXXbYY"));
    assert_true(gm("[\\]]", "]"));
    assert_true(gm("user:*:name", "user:1000:name"));
    assert_true(util_glob_match("HELLO", 5, "hello", 5, 1));
    assert_false(gm("abc", "abcd"));
    assert_false(gm("abcd", "abc"));
    /* pathological pattern terminates */
    assert_false(gm("a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str2ll),
        cmocka_unit_test(test_str2d),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_glob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
