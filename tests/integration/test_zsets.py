"""Sorted-set commands end to end: explicit checks with redis-py, a random
model check across encodings, and scripts run side by side against
Debian's redis-server (redis_compare)."""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from harness import Server, run  # noqa: E402
from redis_compare import Pair  # noqa: E402

E, S, H = "exact", "sorted", "shape"


def test_basic_redis_py():
    with Server() as s:
        r = s.client()
        assert r.zadd("z", {"a": 1, "b": 2, "c": 3}) == 3
        assert r.zrange("z", 0, -1, withscores=True) == [(b"a", 1.0), (b"b", 2.0), (b"c", 3.0)]
        assert r.zscore("z", "b") == 2.0
        assert r.zincrby("z", 10, "a") == 11.0
        assert r.zrank("z", "a") == 2 and r.zrevrank("z", "a") == 0
        assert r.zcard("z") == 3 and r.zcount("z", 2, 3) == 2
        assert r.zrem("z", "a", "x") == 1
        assert r.zpopmin("z") == [(b"b", 2.0)]
        assert r.zpopmax("z", 5) == [(b"c", 3.0)]
        assert r.exists("z") == 0
        r.zadd("z", {"x": 1})
        assert r.bzpopmin("z", 1) == (b"z", b"x", 1.0)
        # no data and blocking is not available here: answers like a timeout
        assert r.bzpopmin("z", 0.01) is None


def test_zadd_flags():
    with Server() as s:
        r = s.client()
        assert r.zadd("z", {"a": 1}, xx=True) == 0 and r.exists("z") == 0
        assert r.zadd("z", {"a": 1}, nx=True) == 1
        assert r.zadd("z", {"a": 5}, nx=True) == 0 and r.zscore("z", "a") == 1
        assert r.zadd("z", {"a": 0}, gt=True, ch=True) == 0 and r.zscore("z", "a") == 1
        assert r.zadd("z", {"a": 3}, gt=True, ch=True) == 1 and r.zscore("z", "a") == 3
        assert r.zadd("z", {"a": 2, "b": 9}, lt=True, ch=True) == 2
        assert r.zadd("z", {"a": 1}, incr=True) == 3.0
        assert r.zadd("z", {"a": -10}, incr=True, gt=True) is None
        try:
            r.zadd("z", {"a": float("inf")})
            r.zincrby("z", float("-inf"), "a")
            raise AssertionError("no NaN error")
        except redis.ResponseError as e:
            assert "NaN" in str(e)


def test_model_across_encodings():
    rnd = random.Random(11)
    with Server(["--zset-max-listpack-entries", "32", "--zset-max-listpack-value", "16"]) as s:
        r = s.client()
        model = {}
        for step in range(3000):
            op = rnd.random()
            m = "m%d" % rnd.randrange(80)
            if rnd.random() < 0.05:
                m = "long-member-%d-xxxxxxxxxxxx" % rnd.randrange(10)
            if op < 0.5:
                sc = rnd.randrange(-20, 20) / 4
                added = r.zadd("z", {m: sc})
                assert added == (0 if m in model else 1)
                model[m] = sc
            elif op < 0.7:
                assert r.zrem("z", m) == (1 if m in model else 0)
                model.pop(m, None)
            elif op < 0.8:
                inc = rnd.randrange(-8, 8) / 2
                v = r.zincrby("z", inc, m)
                model[m] = model.get(m, 0) + inc
                assert v == model[m]
            elif op < 0.85:
                lo, hi = sorted([rnd.randrange(-6, 6), rnd.randrange(-6, 6)])
                n = r.zremrangebyscore("z", lo, hi)
                gone = [k for k, v in model.items() if lo <= v <= hi]
                assert n == len(gone)
                for k in gone:
                    del model[k]
            else:
                want = sorted(model.items(), key=lambda kv: (kv[1], kv[0].encode()))
                got = [(k.decode(), v) for k, v in r.zrange("z", 0, -1, withscores=True)]
                assert got == want, (step, got, want)
                lo = rnd.randrange(-6, 6)
                assert r.zcount("z", lo, "+inf") == sum(1 for v in model.values() if v >= lo)
                if want:
                    k = rnd.randrange(len(want))
                    assert r.zrank("z", want[k][0]) == k
                    assert r.zrevrange("z", k, k) == [want[len(want) - 1 - k][0].encode()]
        assert r.zcard("z") == len(model)


def test_compare_basic():
    script = [
        (E, "ZADD", "z", "1", "a", "2", "b", "3", "c", "1.5", "d"),
        (E, "OBJECT", "ENCODING", "z"),
        (E, "ZRANGE", "z", "0", "-1", "WITHSCORES"),
        (E, "ZRANGE", "z", "-2", "-1"),
        (E, "ZRANGE", "z", "5", "10"),
        (E, "ZRANGE", "z", "2", "1"),
        (E, "ZRANGE", "z", "0", "-1", "REV", "WITHSCORES"),
        (E, "ZRANGE", "z", "(1", "3", "BYSCORE", "WITHSCORES"),
        (E, "ZRANGE", "z", "3", "(1", "BYSCORE", "REV", "LIMIT", "1", "2"),
        (E, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"),
        (E, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"),
        (E, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "10", "1"),
        (E, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0"),
        (E, "ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"),
        (E, "ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"),
        (E, "ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"),
        (E, "ZRANGE", "z", "0", "-1", "REV", "REV"),
        (E, "ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"),
        (E, "ZRANGE", "z", "x", "1"),
        (E, "ZRANGE", "z", "x", "1", "BYSCORE"),
        (E, "ZRANGE", "z", "a", "b", "BYLEX"),
        (E, "ZRANGE", "z", "0", "1", "LIMIT", "1"),
        (E, "ZRANGE", "z", "0", "1", "FOO"),
        (E, "ZRANGE", "nokey", "0", "-1"),
        (E, "ZRANGEBYSCORE", "z", "1", "2", "WITHSCORES", "LIMIT", "1", "5"),
        (E, "ZRANGEBYSCORE", "z", "1", "2", "REV"),
        (E, "ZRANGEBYSCORE", "z", "(1", "(2"),
        (E, "ZRANGEBYSCORE", "z", "2", "1"),
        (E, "ZRANGEBYSCORE", "z", "", "("),
        (E, "ZRANGEBYSCORE", "z", "0x1", "1e1"),
        (E, "ZRANGEBYSCORE", "z", "nan", "1"),
        (E, "ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES"),
        (E, "ZREVRANGEBYSCORE", "z", "2", "1", "LIMIT", "0", "1"),
        (E, "ZREVRANGE", "z", "0", "1", "WITHSCORES"),
        (E, "ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"),
        (E, "ZRANK", "z", "d"),
        (E, "ZRANK", "z", "nope"),
        (E, "ZRANK", "nokey", "a"),
        (E, "ZREVRANK", "z", "d"),
        (E, "ZSCORE", "z", "d"),
        (E, "ZSCORE", "z", "nope"),
        (E, "ZMSCORE", "z", "a", "nope", "c"),
        (E, "ZMSCORE", "nokey", "a", "b"),
        (E, "ZCARD", "z"),
        (E, "ZCARD", "nokey"),
        (E, "ZCOUNT", "z", "(1", "3"),
        (E, "ZCOUNT", "z", "x", "3"),
        (E, "ZCOUNT", "nokey", "0", "1"),
        (E, "ZADD", "z", "0.1", "e", "-inf", "f", "+inf", "g", "1e300", "h", "-0", "i"),
        (E, "ZRANGE", "z", "0", "-1", "WITHSCORES"),
        (E, "ZSCORE", "z", "e"),
        (E, "ZINCRBY", "z", "1", "g"),
        (E, "ZINCRBY", "z", "-inf", "g"),
        (E, "ZINCRBY", "z", "x", "g"),
        (E, "ZINCRBY", "z", "1", "newm"),
        (E, "ZINCRBY", "nokey2", "2.5", "m"),
        (E, "ZADD", "z", "XX", "INCR", "1", "nope"),
        (E, "ZADD", "z", "NX", "INCR", "1", "a"),
        (E, "ZADD", "z", "INCR", "1", "a", "2", "b"),
        (E, "ZADD", "z", "NX", "XX", "1", "a"),
        (E, "ZADD", "z", "NX", "GT", "1", "a"),
        (E, "ZADD", "z", "GT", "LT", "1", "a"),
        (E, "ZADD", "z", "1", "a", "2"),
        (E, "ZADD", "z", "x", "a"),
        (E, "ZADD", "z", "nan", "a"),
        (E, "ZADD", "z", "CH", "5", "a", "5", "b", "7", "new"),
        (E, "ZADD", "z", "GT", "CH", "1", "a", "9", "b"),
        (E, "ZADD", "z", "LT", "CH", "1", "a", "9", "b", "3", "n2"),
        (E, "ZADD", "z", "XX", "1", "brandnew"),
        (E, "ZADD", "nokey3", "XX", "1", "a"),
        (E, "EXISTS", "nokey3"),
        (E, "ZADD", "z", "1"),
        (E, "ZRANGE", "z", "0", "-1", "WITHSCORES"),
        (E, "ZREM", "z", "a", "nope", "b"),
        (E, "ZREM", "nokey", "a"),
        (E, "SET", "str", "x"),
        (E, "ZADD", "str", "1", "a"),
        (E, "ZRANGE", "str", "0", "1"),
        (E, "ZSCORE", "str", "a"),
        (E, "ZMSCORE", "str", "a"),
        (E, "ZCARD", "str"),
        (E, "ZREM", "str", "a"),
        (E, "ZRANK", "str", "a"),
        (E, "ZCOUNT", "str", "0", "1"),
        (E, "ZINCRBY", "str", "1", "a"),
    ]
    with Pair() as p:
        p.check(script)


def test_compare_lex_and_remrange():
    script = [
        (E, "ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "ab", "0", ""),
        (E, "ZRANGEBYLEX", "l", "-", "+"),
        (E, "ZRANGEBYLEX", "l", "[a", "(c"),
        (E, "ZRANGEBYLEX", "l", "(a", "[c", "LIMIT", "1", "1"),
        (E, "ZRANGEBYLEX", "l", "[", "[b"),
        (E, "ZRANGEBYLEX", "l", "+", "-"),
        (E, "ZRANGEBYLEX", "l", "a", "b"),
        (E, "ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"),
        (E, "ZREVRANGEBYLEX", "l", "+", "-"),
        (E, "ZREVRANGEBYLEX", "l", "(d", "[ab", "LIMIT", "0", "2"),
        (E, "ZLEXCOUNT", "l", "-", "+"),
        (E, "ZLEXCOUNT", "l", "(a", "(e"),
        (E, "ZLEXCOUNT", "l", "a", "+"),
        (E, "ZLEXCOUNT", "nokey", "-", "+"),
        (E, "ZREMRANGEBYLEX", "l", "[b", "[c"),
        (E, "ZRANGE", "l", "0", "-1"),
        (E, "ZREMRANGEBYLEX", "l", "x", "[c"),
        (E, "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
        (E, "ZREMRANGEBYRANK", "z", "-2", "-1"),
        (E, "ZREMRANGEBYRANK", "z", "5", "10"),
        (E, "ZREMRANGEBYRANK", "z", "x", "1"),
        (E, "ZRANGE", "z", "0", "-1"),
        (E, "ZREMRANGEBYSCORE", "z", "(1", "2"),
        (E, "ZREMRANGEBYSCORE", "z", "x", "2"),
        (E, "ZREMRANGEBYSCORE", "nokey", "0", "2"),
        (E, "ZRANGE", "z", "0", "-1", "WITHSCORES"),
        (E, "ZREMRANGEBYRANK", "z", "0", "-1"),
        (E, "EXISTS", "z"),
        (E, "ZRANGESTORE", "dst", "l", "0", "-1"),
        (E, "ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        (E, "OBJECT", "ENCODING", "dst"),
        (E, "ZRANGESTORE", "dst", "l", "[d", "-", "BYLEX", "REV", "LIMIT", "0", "2"),
        (E, "ZRANGE", "dst", "0", "-1"),
        (E, "ZRANGESTORE", "dst", "l", "5", "10"),
        (E, "EXISTS", "dst"),
        (E, "ZRANGESTORE", "dst", "nokey", "0", "-1"),
        (E, "ZRANGESTORE", "dst", "l", "0", "-1", "WITHSCORES"),
        (E, "ZRANGESTORE", "dst", "l", "-inf", "+inf", "BYSCORE"),
        (E, "OBJECT", "ENCODING", "dst"),
    ]
    with Pair() as p:
        p.check(script)


def test_compare_pops():
    script = [
        (E, "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"),
        (E, "ZPOPMIN", "z"),
        (E, "ZPOPMAX", "z", "2"),
        (E, "ZPOPMIN", "z", "0"),
        (E, "ZPOPMIN", "z", "-1"),
        (E, "ZPOPMIN", "z", "x"),
        (E, "ZPOPMIN", "z", "1", "2"),
        (E, "ZPOPMIN", "nokey"),
        (E, "ZPOPMIN", "nokey", "2"),
        (E, "ZPOPMAX", "z", "10"),
        (E, "EXISTS", "z"),
        (E, "ZADD", "z", "1", "a", "2", "b", "3", "c"),
        (E, "ZADD", "y", "5", "y"),
        (E, "ZMPOP", "2", "nokey", "z", "MIN"),
        (E, "ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "5"),
        (E, "ZMPOP", "2", "nokey", "z", "MAX"),
        (E, "ZMPOP", "0", "z", "MIN"),
        (E, "ZMPOP", "1", "z", "FOO"),
        (E, "ZMPOP", "3", "z", "MIN"),
        (E, "ZMPOP", "1", "y", "MIN", "COUNT", "0"),
        (E, "ZMPOP", "1", "y", "MIN", "COUNT", "1", "COUNT", "1"),
        (E, "ZMPOP", "1", "y", "MIN", "BAR"),
        (E, "ZADD", "z", "1", "a", "2", "b"),
        (E, "BZPOPMIN", "nokey", "z", "0"),
        (E, "BZPOPMAX", "z", "0"),
        (E, "BZPOPMIN", "z", "-1"),
        (E, "BZPOPMIN", "z", "x"),
        (E, "ZADD", "z", "1", "a", "2", "b"),
        (E, "BZMPOP", "0", "1", "z", "MAX", "COUNT", "10"),
        (E, "BZMPOP", "x", "1", "z", "MAX"),
        (E, "BZMPOP", "0", "0", "z", "MAX"),
        (E, "SET", "str", "x"),
        (E, "ZPOPMIN", "str"),
        (E, "ZMPOP", "2", "nokey", "str", "MIN"),
        (E, "BZPOPMIN", "str", "0"),
    ]
    with Pair() as p:
        p.check(script)


def test_compare_setops():
    script = [
        (E, "ZADD", "a", "1", "x", "2", "y", "3", "z"),
        (E, "ZADD", "b", "10", "y", "20", "z", "30", "w"),
        (E, "SADD", "s", "x", "w", "q"),
        (E, "ZUNION", "2", "a", "b", "WITHSCORES"),
        (E, "ZUNION", "3", "a", "b", "s", "WEIGHTS", "1", "2", "3", "WITHSCORES"),
        (E, "ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"),
        (E, "ZUNION", "2", "a", "b", "AGGREGATE", "MAX"),
        (E, "ZUNION", "2", "a", "nokey", "WITHSCORES"),
        (E, "ZINTER", "2", "a", "b", "WITHSCORES"),
        (E, "ZINTER", "2", "a", "s", "WITHSCORES"),
        (E, "ZINTER", "2", "a", "b", "WEIGHTS", "0", "-1", "AGGREGATE", "MAX", "WITHSCORES"),
        (E, "ZINTER", "2", "a", "nokey"),
        (E, "ZDIFF", "2", "a", "b", "WITHSCORES"),
        (E, "ZDIFF", "2", "b", "s"),
        (E, "ZDIFF", "1", "nokey"),
        (E, "ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"),
        (E, "ZUNIONSTORE", "d", "2", "a", "b"),
        (E, "ZRANGE", "d", "0", "-1", "WITHSCORES"),
        (E, "OBJECT", "ENCODING", "d"),
        (E, "ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "2", "0.5"),
        (E, "ZRANGE", "d", "0", "-1", "WITHSCORES"),
        (E, "ZDIFFSTORE", "d", "2", "a", "b"),
        (E, "ZRANGE", "d", "0", "-1", "WITHSCORES"),
        (E, "ZINTERSTORE", "d", "2", "a", "nokey"),
        (E, "EXISTS", "d"),
        (E, "ZINTERCARD", "2", "a", "b"),
        (E, "ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
        (E, "ZINTERCARD", "2", "a", "b", "LIMIT", "-1"),
        (E, "ZINTERCARD", "0", "a"),
        (E, "ZINTERCARD", "2", "a"),
        (E, "ZINTERCARD", "1", "a", "WITHSCORES"),
        (E, "ZUNION", "0", "a"),
        (E, "ZUNION", "x", "a"),
        (E, "ZUNION", "3", "a", "b"),
        (E, "ZUNION", "2", "a", "b", "WEIGHTS", "1"),
        (E, "ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"),
        (E, "ZUNION", "2", "a", "b", "AGGREGATE", "AVG"),
        (E, "ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"),
        (E, "ZADD", "inf", "+inf", "x", "-inf", "y"),
        (E, "ZADD", "inf2", "-inf", "x", "+inf", "y"),
        (E, "ZUNION", "2", "inf", "inf2", "WITHSCORES"),
        (E, "ZINTER", "2", "inf", "a", "WEIGHTS", "0", "1", "WITHSCORES"),
        (E, "SET", "str", "x"),
        (E, "ZUNION", "2", "a", "str"),
        (E, "ZUNIONSTORE", "str", "1", "a"),
        (E, "TYPE", "str"),
    ]
    with Pair() as p:
        p.check(script)


def test_compare_random_and_scan():
    script = [
        (E, "ZADD", "z", "1", "a", "2", "b", "3", "c"),
        (E, "ZRANDMEMBER", "nokey"),
        (E, "ZRANDMEMBER", "nokey", "2"),
        (H, "ZRANDMEMBER", "z"),
        (E, "ZRANDMEMBER", "z", "0"),
        (E, "ZRANDMEMBER", "z", "5"),
        (E, "ZRANDMEMBER", "z", "5", "WITHSCORES"),
        (H, "ZRANDMEMBER", "z", "2", "WITHSCORES"),
        (H, "ZRANDMEMBER", "z", "-5", "WITHSCORES"),
        (H, "ZRANDMEMBER", "z", "-5"),
        (E, "ZRANDMEMBER", "z", "1", "FOO"),
        (E, "ZRANDMEMBER", "z", "x"),
        (E, "ZRANDMEMBER", "z", "1", "WITHSCORES", "x"),
        (E, "ZSCAN", "z", "0"),
        (E, "ZSCAN", "z", "0", "MATCH", "b*"),
        (E, "ZSCAN", "nokey", "0"),
        (E, "ZSCAN", "z", "x"),
        (E, "ZADD", "f", "0.1", "a", "1e100", "b", "-inf", "c"),
        (E, "ZSCAN", "f", "0"),
    ]
    with Pair() as p:
        p.check(script)


def test_big_zset_skiplist():
    n = 300
    args = []
    for i in range(n):
        args += [str(i % 37), "m%03d" % i]
    script = [
        (E, "ZADD", "z", *args),
        (E, "OBJECT", "ENCODING", "z"),
        (E, "ZRANGE", "z", "0", "-1", "WITHSCORES"),
        (E, "ZRANGE", "z", "100", "120", "REV"),
        (E, "ZRANGEBYSCORE", "z", "(5", "9", "LIMIT", "3", "7"),
        (E, "ZREVRANGEBYSCORE", "z", "30", "(20", "WITHSCORES", "LIMIT", "2", "5"),
        (E, "ZCOUNT", "z", "10", "(20"),
        (E, "ZRANK", "z", "m150"),
        (E, "ZREVRANK", "z", "m150"),
        (E, "ZINCRBY", "z", "100", "m001"),
        (E, "ZRANK", "z", "m001"),
        (E, "ZREMRANGEBYRANK", "z", "10", "20"),
        (E, "ZREMRANGEBYSCORE", "z", "30", "32"),
        (E, "ZRANGE", "z", "0", "-1", "WITHSCORES"),
        (E, "ZPOPMIN", "z", "3"),
        (E, "ZPOPMAX", "z", "3"),
        (E, "ZRANGESTORE", "small", "z", "0", "9"),
        (E, "OBJECT", "ENCODING", "small"),
        (E, "ZUNIONSTORE", "u", "1", "small"),
        (E, "OBJECT", "ENCODING", "u"),
        (E, "ZUNIONSTORE", "u", "1", "z"),
        (E, "OBJECT", "ENCODING", "u"),
        (E, "ZREMRANGEBYRANK", "z", "5", "-1"),
        (E, "OBJECT", "ENCODING", "z"),
        (E, "ZADD", "lp", "1", "a"),
        (E, "ZADD", "lp", "2", "x" * 65),
        (E, "OBJECT", "ENCODING", "lp"),
        (E, "ZADD", "cnt", *[x for i in range(128) for x in (str(i), "e%d" % i)]),
        (E, "OBJECT", "ENCODING", "cnt"),
        (E, "ZADD", "cnt", "1", "one-more"),
        (E, "OBJECT", "ENCODING", "cnt"),
        (E, "ZADD", "dup", *[x for i in range(129) for x in ("1", "same")]),
        (E, "OBJECT", "ENCODING", "dup"),
        (E, "ZRANDMEMBER", "z", "100", "WITHSCORES"),
    ]
    with Pair() as p:
        p.check(script)
    with Server() as s:
        r = s.client()
        r.zadd("z", {"m%03d" % i: i % 37 for i in range(n)})
        seen = {}
        cursor = 0
        while True:
            cursor, items = r.zscan("z", cursor, count=20)
            seen.update(items)
            if cursor == 0:
                break
        assert len(seen) == n
        assert seen[b"m040"] == 3.0


if __name__ == "__main__":
    run(globals())
