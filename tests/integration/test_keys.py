"""Key commands (RENAME, COPY, MOVE, SWAPDB, TOUCH, RANDOMKEY, KEYS, SCAN,
OBJECT, expiry), compared with Debian's redis-server 7.0 where replies are
deterministic, plus behaviour checks (SCAN guarantee, active expiry)."""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from compat import Compare, raw_client  # noqa: E402
from harness import Server, run  # noqa: E402

FAR_MS = 4102444800123


def wait_until(pred, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def test_rename_compat():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("RENAME", "nokey", "x"), ("RENAMENX", "nokey", "x"),
            ("SET", "a", "1"), ("RENAME", "a", "a"), ("RENAMENX", "a", "a"), ("GET", "a"),
            ("RENAME", "a", "b"), ("EXISTS", "a"), ("GET", "b"), ("OBJECT", "ENCODING", "b"),
            ("SET", "c", "x" * 100), ("RENAME", "c", "b"), ("GET", "b"), ("OBJECT", "ENCODING", "b"),
            ("SET", "d", "hello"), ("RENAMENX", "d", "b"), ("GET", "d"), ("RENAMENX", "d", "e"), ("GET", "e"),
            ("OBJECT", "ENCODING", "e"),
            ("SET", "t", "v", "PXAT", str(FAR_MS)), ("RENAME", "t", "t2"), ("PEXPIRETIME", "t2"),
            ("SET", "t3", "v", "PX", "100000"), ("RENAME", "t2", "t3"), ("PEXPIRETIME", "t3"),
            ("SET", "u", "v"), ("RENAME", "u", "t3"), ("TTL", "t3"),
            ("RENAME", "a"), ("DBSIZE",),
        ])


def test_copy_compat():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("COPY", "nokey", "x"), ("SET", "a", "42"), ("COPY", "a", "a"), ("COPY", "a", "b"), ("GET", "b"),
            ("OBJECT", "ENCODING", "b"), ("COPY", "a", "b"), ("SET", "a", "changed"), ("COPY", "a", "b", "REPLACE"),
            ("GET", "b"), ("SET", "a", "y" * 80), ("COPY", "a", "b", "replace"), ("GET", "b"), ("OBJECT", "ENCODING", "b"),
            ("APPEND", "b", "z"), ("GET", "a"),
            ("COPY", "a", "a", "DB", "0"), ("COPY", "a", "a", "DB", "1"), ("SELECT", "1"), ("GET", "a"),
            ("SELECT", "0"), ("COPY", "a", "a", "DB", "1"), ("COPY", "a", "a", "DB", "1", "REPLACE"),
            ("COPY", "a", "x", "DB", "16"), ("COPY", "a", "x", "DB", "-1"), ("COPY", "a", "x", "DB", "abc"),
            ("COPY", "a", "x", "DB", "99999999999"), ("COPY", "a", "x", "DB"), ("COPY", "a", "x", "FOO"),
            ("COPY", "a", "x", "REPLACE", "DB", "2"), ("SELECT", "2"), ("GET", "x"), ("SELECT", "0"),
            ("SET", "t", "v", "PXAT", str(FAR_MS)), ("COPY", "t", "t2"), ("PEXPIRETIME", "t2"),
            ("COPY", "t", "t3", "DB", "3"), ("SELECT", "3"), ("PEXPIRETIME", "t3"), ("SELECT", "0"),
            ("SET", "p", "v"), ("COPY", "p", "t2", "REPLACE"), ("TTL", "t2"),
        ])


def test_move_compat():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("MOVE", "nokey", "1"), ("SET", "a", "v"), ("MOVE", "a", "0"), ("MOVE", "a", "16"), ("MOVE", "a", "-1"),
            ("MOVE", "a", "x"), ("MOVE", "a", "99999999999"), ("MOVE", "a", "1"), ("EXISTS", "a"), ("SELECT", "1"),
            ("GET", "a"), ("SET", "b", "in1"), ("SELECT", "0"), ("SET", "b", "in0"), ("MOVE", "b", "1"), ("GET", "b"),
            ("SET", "t", "v", "PXAT", str(FAR_MS)), ("MOVE", "t", "2"), ("SELECT", "2"), ("PEXPIRETIME", "t"),
            ("DBSIZE",), ("SELECT", "0"), ("DBSIZE",),
        ])
    # TTL bookkeeping follows the key: it still expires in the new database
    with Server() as s:
        r = s.client()
        r.set("e", "v", px=150)
        assert r.move("e", 1)
        r.execute_command("SELECT", "1")
        assert r.pttl("e") > 0
        assert wait_until(lambda: r.execute_command("DBSIZE") == 0, 5)


def test_swapdb():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("SET", "a", "db0"), ("SELECT", "1"), ("SET", "b", "db1"), ("SET", "t", "v", "PXAT", str(FAR_MS)),
            ("SELECT", "0"), ("SWAPDB", "0", "1"), ("GET", "a"), ("GET", "b"), ("PEXPIRETIME", "t"), ("DBSIZE",),
            ("SWAPDB", "0", "0"), ("SWAPDB", "0", "16"), ("SWAPDB", "-1", "0"), ("SWAPDB", "x", "0"),
            ("SWAPDB", "0", "y"), ("SWAPDB", "99999999999", "0"), ("SWAPDB", "0"), ("SELECT", "1"), ("GET", "a"),
        ])
        # a client stays on its database number, whose contents changed
        t0, t1 = raw_client(s.port), raw_client(s.port)
        t1.execute_command("SELECT", "1")
        assert t1.execute_command("GET", "a") == b"db0"
        t0.execute_command("SWAPDB", "0", "1")
        assert t1.execute_command("GET", "a") is None
        assert t1.execute_command("GET", "b") == b"db1"
        assert t0.execute_command("GET", "a") == b"db0"
        # expiry keeps working in both after the swap
        t0.execute_command("SET", "e0", "v", "PX", "100")
        t1.execute_command("SET", "e1", "v", "PX", "100")
        t0.execute_command("SWAPDB", "0", "1")
        assert wait_until(lambda: t0.execute_command("EXISTS", "e1") == 0 and t1.execute_command("EXISTS", "e0") == 0)


def test_touch_randomkey_exists_type():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("RANDOMKEY",), ("TOUCH", "a", "b"), ("SET", "a", "1"), ("TOUCH", "a", "b", "a"), ("RANDOMKEY",),
            ("EXISTS", "a", "a", "b"), ("TYPE", "a"), ("TYPE", "nokey"), ("TOUCH",), ("RANDOMKEY", "x"),
        ])
        r = s.client()
        r.mset({"k%d" % i: i for i in range(50)})
        seen = {r.randomkey() for _ in range(300)}
        assert seen <= {b"a"} | {b"k%d" % i for i in range(50)}
        assert len(seen) > 20
        # expired keys are never returned and are deleted on the way
        r.flushdb()
        for i in range(20):
            r.set("x%d" % i, "v", px=30)
        time.sleep(0.08)
        assert r.randomkey() is None


KEY_NAMES = ["hello", "hallo", "hxllo", "hllo", "heeeello", "h\\llo", "h*llo", "h?llo", "h[llo", "h]llo",
             "a", "b", "ab", "abc", "abcd", "", "foo:bar", "foo:baz:1", "FOO", "x-y", "^x", "-", "user:1000",
             "user:1001", "user:2000", "\\", "[", "]", "*", "?"]
PATTERNS = ["*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo", "h\\*llo", "h\\?llo",
            "h\\[llo", "h[\\]]llo", "h[[]llo", "*llo", "h*", "a*", "?", "??", "???", "*:*", "foo:*:1", "foo:ba?",
            "FOO", "foo", "[a-c]", "[^a-c]", "user:1*", "user:[12]00[01]", "\\\\", "[", "]", "\\*", "\\?",
            "h[", "h[a", "h[^", "[x-", "x-y", "[-x]", "[\\-]", "**", "*a*b*", "a*b*c*d*e*f*g*", "h[a-]llo",
            "[^]", "[]", "[]]", "h[!e]llo", ""]


def test_keys_patterns_compat():
    with Server() as s, Compare(s) as c:
        for k in KEY_NAMES:
            c.run("SET", k, "v")
        for p in PATTERNS:
            c.run("KEYS", p, unordered=True)
        c.run("KEYS")
        # expired keys are not listed
        c.run("SET", "gone", "v", "PX", "20")
    with Server() as s:
        r = s.client()
        r.set("live", "v")
        r.set("gone", "v", px=20)
        time.sleep(0.05)
        assert r.keys("*") == [b"live"]


def full_scan(r, *opts):
    cur, out, calls = 0, [], 0
    while True:
        cur, keys = r.execute_command("SCAN", cur, *opts)
        out += keys
        calls += 1
        if int(cur) == 0:
            return out, calls
        assert calls < 100000


def test_scan_compat():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("SCAN", "0"), ("SCAN", "abc"), ("SCAN", "-"), ("SCAN", " 1"), ("SCAN", "1 "), ("SCAN", "99999999999999999999"),
            ("SCAN", "0", "COUNT", "0"), ("SCAN", "0", "COUNT", "-1"), ("SCAN", "0", "COUNT", "x"), ("SCAN", "0", "COUNT"),
            ("SCAN", "0", "MATCH"), ("SCAN", "0", "TYPE"), ("SCAN", "0", "FOO", "bar"), ("SCAN",),
        ])
        for k in KEY_NAMES:
            c.run("SET", k, "v")
        for cur in ["", "+0", "-0"]:
            a, b = c.both("SCAN", cur, "COUNT", "1000")
            assert a[0] == b[0] == b"0" and sorted(a[1]) == sorted(b[1]), (cur, a, b)
        t, rr = raw_client(s.port), c.r
        for opts in [(), ("COUNT", "3"), ("MATCH", "h*llo"), ("MATCH", "user:*", "COUNT", "2"), ("TYPE", "string"),
                     ("TYPE", "STRING"), ("TYPE", "list"), ("TYPE", "nosuchtype"), ("MATCH", "*", "TYPE", "string")]:
            got, _ = full_scan(t, *opts)
            want, _ = full_scan(rr, *opts)
            assert sorted(set(got)) == sorted(set(want)), (opts, got, want)
        # a cursor past the table ends the scan
        a = t.execute_command("SCAN", "18446744073709551615")
        assert a[0] == b"0"


def test_key_scans_argument_order_compat():
    # Redis checks the cursor, then the key (missing: empty reply even with
    # bad options; wrong type: WRONGTYPE), then the options.
    with Server() as s, Compare(s) as c:
        c.run("SET", "str", "x")
        c.run("SADD", "set", "1", "2")
        c.run("HSET", "hash", "f", "v")
        c.run("ZADD", "zset", "1", "m")
        cmds = []
        for cmd, key in (("SSCAN", "set"), ("HSCAN", "hash"), ("ZSCAN", "zset")):
            for k in ("nokey", "str", key):
                cmds += [(cmd, k, "abc"), (cmd, k, "0", "COUNT", "0"), (cmd, k, "0", "bogus"),
                         (cmd, k, "0", "TYPE", "string"), (cmd, k, ""), (cmd, k, "-1", "COUNT", "5"),
                         (cmd, k, " 1"), (cmd, k, "0", "MATCH")]
        c.run_all(cmds)


def test_scan_guarantee_under_rehash():
    with Server() as s:
        r = s.client()
        p = r.pipeline(transaction=False)
        keep = ["keep:%d" % i for i in range(3000)]
        for k in keep:
            p.set(k, "v")
        p.execute()
        rnd = random.Random(5)
        tmp = []
        seen = set()
        cur = 0
        calls = 0
        phase_grow = True
        while True:
            cur, keys = r.scan(cur, count=10)
            seen.update(keys)
            calls += 1
            # add and delete other keys between calls so that the table
            # grows (several doublings) and shrinks again mid-scan
            p = r.pipeline(transaction=False)
            if phase_grow:
                for _ in range(150):
                    k = "tmp:%d" % rnd.randrange(10 ** 9)
                    tmp.append(k)
                    p.set(k, "v")
                if len(tmp) > 30000:
                    phase_grow = False
            else:
                for _ in range(300):
                    if tmp:
                        p.delete(tmp.pop())
            p.execute()
            if cur == 0:
                break
        missing = [k for k in keep if k.encode() not in seen]
        assert not missing, (len(missing), missing[:5], calls)
        assert not phase_grow, "the scan ended before the table grew and shrank: %d calls" % calls
        # keys that expire during the scan are filtered out, not returned
        r.flushdb()
        for i in range(200):
            r.set("e%d" % i, "v", px=1)
            r.set("l%d" % i, "v")
        time.sleep(0.02)
        got, _ = full_scan(r)
        assert all(k.startswith(b"l") for k in got) and len(set(got)) == 200


def test_object_compat():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("OBJECT",), ("OBJECT", "HELP"), ("object", "help"), ("OBJECT", "HELP", "x"), ("OBJECT", "FOO"),
            ("OBJECT", "FOO", "k"), ("OBJECT", "ENCODING"), ("OBJECT", "ENCODING", "a", "b"),
            ("OBJECT", "ENCODING", "nokey"), ("OBJECT", "REFCOUNT", "nokey"), ("OBJECT", "IDLETIME", "nokey"),
            ("OBJECT", "FREQ", "nokey"), ("SET", "k", "v"), ("OBJECT", "IDLETIME", "k"), ("OBJECT", "FREQ", "k"),
            ("OBJECT", "REFCOUNT", "k"), ("SET", "n", "5"), ("OBJECT", "REFCOUNT", "n"),
            ("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), ("OBJECT", "IDLETIME", "k"),
            ("SET", "n1", "7"), ("OBJECT", "REFCOUNT", "n1"), ("CONFIG", "SET", "maxmemory", "100mb"),
            ("SET", "n2", "6"), ("OBJECT", "REFCOUNT", "n2"), ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"),
            ("OBJECT", "FREQ", "k"), ("CONFIG", "SET", "maxmemory", "0"),
        ])
        # under an LFU policy FREQ answers with a number
        c.run("CONFIG", "SET", "maxmemory-policy", "volatile-lfu")
        a, b = c.both("OBJECT", "FREQ", "k")
        assert isinstance(a, int) and isinstance(b, int)
        c.run("CONFIG", "SET", "maxmemory-policy", "noeviction")
    with Server() as s:
        r = s.client()
        r.set("k", "v")
        # OBJECT reads without refreshing the access time
        assert r.object("idletime", "k") == 0
        time.sleep(2.2)
        assert r.object("idletime", "k") >= 1
        assert r.object("idletime", "k") >= 1
        r.get("k")
        assert r.object("idletime", "k") == 0


def test_expire_options_compat():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("SET", "k", "v"), ("EXPIRE", "k", "100", "XX"), ("EXPIRE", "k", "100", "GT"), ("TTL", "k"),
            ("EXPIRE", "k", "100", "LT"), ("TTL", "k"), ("EXPIRE", "k", "200", "NX"), ("TTL", "k"),
            ("EXPIRE", "k", "50", "GT"), ("TTL", "k"), ("EXPIRE", "k", "500", "GT"), ("TTL", "k"),
            ("EXPIRE", "k", "600", "LT"), ("EXPIRE", "k", "300", "LT"), ("TTL", "k"), ("EXPIRE", "k", "10", "XX"),
            ("TTL", "k"), ("EXPIRE", "k", "10", "NX", "XX"), ("EXPIRE", "k", "10", "GT", "LT"),
            ("EXPIRE", "k", "10", "NX", "GT"), ("EXPIRE", "k", "10", "FOO"), ("EXPIRE", "k", "x"),
            ("EXPIRE", "k", "9223372036854775807"), ("PEXPIRE", "k", "9223372036854775807"),
            ("EXPIREAT", "k", "9223372036854775807"), ("EXPIRE", "k", "-9223372036854775808"),
            ("EXPIRE", "nokey", "10"), ("PEXPIRE", "k", "100000"),
            ("EXPIREAT", "k", "4102444800"), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k"),
            ("PEXPIREAT", "k", str(FAR_MS)), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k"),
            ("PERSIST", "k"), ("PERSIST", "k"), ("TTL", "k"), ("PTTL", "k"), ("EXPIRETIME", "k"),
            ("TTL", "nokey"), ("PTTL", "nokey"), ("EXPIRETIME", "nokey"), ("PEXPIRETIME", "nokey"), ("PERSIST", "nokey"),
            ("EXPIRE", "k", "0"), ("EXISTS", "k"), ("SET", "k", "v"), ("EXPIRE", "k", "-5"), ("EXISTS", "k"),
            ("SET", "k", "v"), ("PEXPIREAT", "k", "1"), ("EXISTS", "k"), ("SET", "k", "v"), ("EXPIREAT", "k", "1", "GT"),
            ("EXISTS", "k"), ("EXPIREAT", "k", "1", "LT"), ("EXISTS", "k"),
            ("SET", "k", "v", "EX", "100"), ("EXPIRE", "k", "-1", "GT"), ("TTL", "k"), ("EXPIRE", "k", "-1", "LT"), ("EXISTS", "k"),
        ])
        # milliseconds pass between two commands (more so while replies wait
        # for the journal): compare PTTL with a tolerance
        r = s.client()
        r.set("p", "v")
        r.pexpire("p", 100000)
        assert 99000 <= r.pttl("p") <= 100000


def test_lazy_expiry():
    with Server() as s:
        r = s.client()
        r.set("a", "v", px=50)
        r.set("b", "v", px=50)
        r.set("c", "v")
        assert r.exists("a") == 1
        time.sleep(0.1)
        # looking a key up after its expiry finds nothing
        assert r.get("a") is None
        assert r.ttl("b") == -2
        assert r.exists("a", "b", "c") == 1
        assert r.incr("a") == 1            # recreated without a TTL
        assert r.ttl("a") == -1


def test_active_expiry():
    with Server() as s:
        r = s.client()
        p = r.pipeline(transaction=False)
        for i in range(500):
            p.set("short:%d" % i, "v", px=100)
        for i in range(50):
            p.set("long:%d" % i, "v", ex=1000)
            p.set("none:%d" % i, "v")
        p.execute()
        assert r.dbsize() == 600
        # never touched again: the server's cycle must remove them
        assert wait_until(lambda: r.dbsize() == 100, 10), r.dbsize()
        try:
            assert r.info("stats")["expired_keys"] >= 500
        except redis.ResponseError:
            pass    # INFO comes with another module


def test_del_unlink_flush():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("MSET", "a", "1", "b", "2", "c", "3"), ("DEL", "a", "nokey", "a"), ("UNLINK", "b", "c"), ("DBSIZE",),
            ("SET", "x", "1"), ("FLUSHDB", "FOO"), ("FLUSHDB", "ASYNC", "SYNC"), ("FLUSHDB", "SYNC"), ("DBSIZE",),
            ("SELECT", "1"), ("SET", "y", "1"), ("FLUSHALL"), ("DBSIZE",), ("SELECT", "16"), ("SELECT", "x"),
        ])


if __name__ == "__main__":
    run(globals())
