/* test_quicklist.c -- linked listpacks: random pushes, pops, inserts,
 * replaces, range deletes and iterator deletes, for every kind of fill,
 * checked against an array model and ql_validate after each step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "quicklist.h"
#include "tier.h"
#include "util.h"

#define MAXN 3000

typedef struct model {
    char *v[MAXN];
    size_t len[MAXN];
    int n;
} model;

static char *xdup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static size_t rand_elem(char *buf)
{
    switch (rand() % 4) {
    case 0: return (size_t)sprintf(buf, "%d", rand() % 1000);
    case 1: return (size_t)sprintf(buf, "%d", rand() % 10);   /* many duplicates for LREM-like deletes */
    case 2: {
        size_t n = (size_t)(rand() % 40);
        for (size_t i = 0; i < n; i++) buf[i] = (char)('a' + rand() % 3);
        return n;
    }
    default: {
        size_t n = (rand() % 30) ? (size_t)(rand() % 300) : 5000 + (size_t)(rand() % 70000);
        memset(buf, 'y', n);
        return n;
    }
    }
}

static void m_insert(model *m, int at, const char *s, size_t n)
{
    memmove(&m->v[at + 1], &m->v[at], sizeof(char *) * (size_t)(m->n - at));
    memmove(&m->len[at + 1], &m->len[at], sizeof(size_t) * (size_t)(m->n - at));
    m->v[at] = xdup(s, n);
    m->len[at] = n;
    m->n++;
}

static void m_delete(model *m, int at, int cnt)
{
    for (int i = at; i < at + cnt; i++) free(m->v[i]);
    memmove(&m->v[at], &m->v[at + cnt], sizeof(char *) * (size_t)(m->n - at - cnt));
    memmove(&m->len[at], &m->len[at + cnt], sizeof(size_t) * (size_t)(m->n - at - cnt));
    m->n -= cnt;
}

static int entry_is(const ql_entry *e, const model *m, int i)
{
    return lp_eq(e->p, m->v[i], m->len[i]);
}

static void check(quicklist *ql, const model *m, int full)
{
    assert_true(ql_validate(ql));
    assert_int_equal(ql_count(ql), m->n);
    if (!full) return;
    ql_iter it;
    ql_entry e;
    int i = 0;
    ql_iter_init(&it, ql, 0, 0);
    while (ql_iter_next(&it, &e)) assert_true(entry_is(&e, m, i++));
    assert_int_equal(i, m->n);
    ql_iter_init(&it, ql, -1, 1);
    i = m->n - 1;
    while (ql_iter_next(&it, &e)) assert_true(entry_is(&e, m, i--));
    assert_int_equal(i, -1);
}

static void run(int fill, unsigned seed, int steps)
{
    srand(seed);
    static char buf[80000];
    model m = {.n = 0};
    quicklist *ql = ql_new(fill);
    unsigned long peak_nodes = 0;
    for (int step = 0; step < steps; step++) {
        int op = rand() % 40;
        if (op >= 12) op = op % 4;   /* mostly pushes so lists grow to many nodes */
        size_t n = rand_elem(buf);
        if (m.n > MAXN - 10) op = 10;
        ql_entry e;
        switch (op) {
        case 0: case 1:
            ql_push(ql, QL_HEAD, buf, n);
            m_insert(&m, 0, buf, n);
            break;
        case 2: case 3:
            ql_push(ql, QL_TAIL, buf, n);
            m_insert(&m, m.n, buf, n);
            break;
        case 4: {
            int where = rand() % 2;
            if (!m.n) { assert_false(ql_peek(ql, where, &e)); break; }
            assert_true(ql_peek(ql, where, &e));
            assert_true(entry_is(&e, &m, where == QL_HEAD ? 0 : m.n - 1));
            ql_pop_discard(ql, where);
            m_delete(&m, where == QL_HEAD ? 0 : m.n - 1, 1);
            break;
        }
        case 5: {
            if (!m.n) break;
            int at = rand() % m.n;
            assert_true(ql_index(ql, rand() % 2 ? at : at - m.n, &e));
            assert_true(entry_is(&e, &m, at));
            assert_false(ql_index(ql, m.n, &e));
            assert_false(ql_index(ql, -m.n - 1, &e));
            break;
        }
        case 6: {
            if (!m.n) break;
            int at = rand() % m.n;
            ql_index(ql, at, &e);
            ql_replace(ql, &e, buf, n);
            free(m.v[at]);
            m.v[at] = xdup(buf, n);
            m.len[at] = n;
            break;
        }
        case 7: case 8: {
            if (!m.n) break;
            int at = rand() % m.n;
            int after = op == 8;
            ql_index(ql, at, &e);
            ql_insert(ql, &e, after ? LP_AFTER : LP_BEFORE, buf, n);
            m_insert(&m, at + after, buf, n);
            break;
        }
        case 9: {
            if (!m.n) break;
            int at = rand() % m.n;
            int cnt = rand() % 50;
            ql_del_range(ql, at, (unsigned long)cnt);
            m_delete(&m, at, cnt < m.n - at ? cnt : m.n - at);
            break;
        }
        case 10: {
            /* delete every element equal to a random one, either direction,
             * through the iterator (LREM) */
            if (!m.n) break;
            int pick = rand() % m.n;
            char *target = xdup(m.v[pick], m.len[pick]);
            size_t tlen = m.len[pick];
            int backward = rand() % 2;
            ql_iter it;
            ql_iter_init(&it, ql, backward ? -1 : 0, backward);
            while (ql_iter_next(&it, &e))
                if (lp_eq(e.p, target, tlen)) ql_iter_del(&it, &e);
            for (int i = m.n - 1; i >= 0; i--)
                if (m.len[i] == tlen && memcmp(m.v[i], target, tlen) == 0) m_delete(&m, i, 1);
            free(target);
            break;
        }
        case 11: {
            quicklist *d = ql_dup(ql);
            check(d, &m, 1);
            ql_free(d);
            break;
        }
        }
        check(ql, &m, step % 50 == 0);
        if (ql->len > peak_nodes) peak_nodes = ql->len;
    }
    check(ql, &m, 1);
    assert_true(peak_nodes > 3);
    ql_free(ql);
    for (int i = 0; i < m.n; i++) free(m.v[i]);
}

static void test_fill_positive(void **state)
{
    (void)state;
    run(1, 1, 3000);
    run(3, 2, 3000);
    run(16, 3, 3000);
    run(128, 4, 3000);
}

static void test_fill_negative(void **state)
{
    (void)state;
    for (int f = -1; f >= -5; f--) run(f, (unsigned)(10 - f), 3000);
    run(-7, 99, 4000);     /* below -5 behaves as -5 */
}

static void test_node_limits(void **state)
{
    (void)state;
    quicklist *ql = ql_new(4);
    for (int i = 0; i < 10; i++) ql_push(ql, QL_TAIL, "abc", 3);
    assert_int_equal(ql->len, 3);          /* 4 + 4 + 2 */
    ql_free(ql);
    ql = ql_new(-1);                       /* 4 KiB per node */
    static char big[1000];
    memset(big, 'z', sizeof(big));
    for (int i = 0; i < 20; i++) ql_push(ql, QL_HEAD, big, sizeof(big));
    assert_true(ql->len >= 5 && ql->len <= 7);
    for (ql_node *n = ql->head; n; n = n->next) assert_true(lp_bytes(n->lp) <= 4096);
    ql_free(ql);
}

int main(void)
{
    tier_init_default();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_limits),
        cmocka_unit_test(test_fill_positive),
        cmocka_unit_test(test_fill_negative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
