"""Set commands end to end: explicit checks with redis-py, and the same
scripts run side by side against Debian's redis-server (redis_compare)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from harness import Server, run  # noqa: E402
from redis_compare import Pair  # noqa: E402

E, S, H = "exact", "sorted", "shape"


def test_basic_redis_py():
    with Server() as s:
        r = s.client()
        assert r.sadd("s", 1, 2, 3, 2) == 3
        assert r.smembers("s") == {b"1", b"2", b"3"}
        assert r.sismember("s", 2) is True or r.sismember("s", 2) == 1
        assert r.smismember("s", [1, 5]) == [1, 0]
        assert r.scard("s") == 3
        assert r.srem("s", 1, 9) == 1
        assert r.scard("s") == 2
        assert r.srem("s", 2, 3) == 2
        assert r.exists("s") == 0
        r.set("str", "x")
        try:
            r.sadd("str", "a")
            raise AssertionError("no WRONGTYPE")
        except redis.ResponseError as e:
            assert str(e).startswith("WRONGTYPE")


def test_spop_srandmember():
    with Server() as s:
        r = s.client()
        r.sadd("s", *range(100))
        got = set()
        for _ in range(10):
            got.add(r.spop("s"))
        assert len(got) == 10 and r.scard("s") == 90
        popped = r.spop("s", 30)
        assert len(set(popped)) == 30 and r.scard("s") == 60
        assert not (set(popped) & r.smembers("s"))
        assert len(r.srandmember("s", 10)) == 10
        assert len(set(r.srandmember("s", 50))) == 50
        assert len(r.srandmember("s", -200)) == 200
        assert sorted(r.srandmember("s", 1000)) == sorted(r.smembers("s"))
        allm = r.smembers("s")
        assert set(r.spop("s", 1000)) == allm
        assert r.exists("s") == 0
        assert r.spop("s") is None
        assert r.spop("s", 3) == [] or r.spop("s", 3) == set()


def test_set_algebra():
    with Server() as s:
        r = s.client()
        r.sadd("a", 1, 2, 3, "x")
        r.sadd("b", 2, 3, 4)
        r.sadd("c", 3, 5)
        assert r.sinter("a", "b", "c") == {b"3"}
        assert r.sunion("a", "c") == {b"1", b"2", b"3", b"5", b"x"}
        assert r.sdiff("a", "b") == {b"1", b"x"}
        assert r.sinterstore("d", "a", "b") == 2
        assert r.smembers("d") == {b"2", b"3"}
        assert r.sunionstore("d", "b", "nosuch") == 3
        assert r.sdiffstore("d", "a", "a") == 0
        assert r.exists("d") == 0
        assert r.sintercard(2, ["a", "b"]) == 2
        assert r.sintercard(2, ["a", "b"], limit=1) == 1
        assert r.smove("a", "e", "x") == 1
        assert r.smembers("e") == {b"x"}
        assert r.smove("a", "e", "nope") == 0


def test_sscan_full_iteration():
    with Server() as s:
        r = s.client()
        members = ["m%d" % i for i in range(1000)]
        r.sadd("s", *members)
        seen = set()
        cursor = 0
        while True:
            cursor, items = r.sscan("s", cursor, count=50)
            seen.update(items)
            if cursor == 0:
                break
        assert seen == set(m.encode() for m in members)
        _, items = r.sscan("s", 0, match="m99*", count=10000)
        assert set(items) == {b"m99", b"m990", b"m991", b"m992", b"m993", b"m994", b"m995", b"m996", b"m997", b"m998", b"m999"}


def test_compare_replies():
    script = [
        (E, "SADD", "s", "3", "1", "2"),
        (E, "SMEMBERS", "s"),                 # intset: sorted order
        (E, "OBJECT", "ENCODING", "s"),
        (E, "SADD", "s", "-5", "70000", "9999999999"),
        (E, "SMEMBERS", "s"),
        (E, "SISMEMBER", "s", "70000"),
        (E, "SISMEMBER", "s", "07"),
        (E, "SMISMEMBER", "s", "1", "x", "9999999999"),
        (E, "SMISMEMBER", "nokey", "1", "2"),
        (E, "SADD", "s", "abc"),
        (E, "OBJECT", "ENCODING", "s"),
        (S, "SMEMBERS", "s"),
        (E, "SCARD", "s"),
        (E, "SREM", "s", "abc", "1", "nope"),
        (S, "SMEMBERS", "s"),
        (E, "SCARD", "nokey"),
        (E, "SMEMBERS", "nokey"),
        (E, "SET", "str", "v"),
        (E, "SADD", "str", "1"),
        (E, "SMEMBERS", "str"),
        (E, "SCARD", "str"),
        (E, "SISMEMBER", "str", "a"),
        (E, "SREM", "str", "a"),
        (E, "SPOP", "str"),
        (E, "SPOP", "nokey"),
        (E, "SPOP", "nokey", "3"),
        (E, "SPOP", "s", "0"),
        (E, "SPOP", "s", "-1"),
        (E, "SPOP", "s", "x"),
        (E, "SPOP", "s", "1", "2"),
        (E, "SRANDMEMBER", "nokey"),
        (E, "SRANDMEMBER", "nokey", "5"),
        (E, "SRANDMEMBER", "s", "0"),
        (E, "SRANDMEMBER", "s", "x"),
        (E, "SRANDMEMBER", "s", "-9223372036854775808"),
        (E, "SRANDMEMBER", "s", "1", "2"),
        (H, "SRANDMEMBER", "s", "2"),
        (H, "SRANDMEMBER", "s", "-10"),
        (S, "SRANDMEMBER", "s", "100"),
        (H, "SPOP", "s"),
        (H, "SPOP", "s", "2"),
        (H, "SPOP", "s", "100"),
        (E, "EXISTS", "s"),
        (E, "SADD", "a", "1", "2", "3", "4"),
        (E, "SADD", "b", "3", "4", "5", "x"),
        (E, "SADD", "c", "4", "x", "y"),
        (S, "SINTER", "a", "b"),
        (S, "SINTER", "b", "c"),
        (E, "SINTER", "a", "nokey"),
        (E, "SINTER", "nokey", "str"),
        (E, "SINTER", "a", "str"),
        (S, "SUNION", "a", "b", "nokey"),
        (E, "SUNION", "a", "str"),
        (S, "SDIFF", "a", "b"),
        (S, "SDIFF", "b", "a", "c"),
        (E, "SDIFF", "nokey", "a"),
        (E, "SINTERSTORE", "d", "a", "b"),
        (E, "SMEMBERS", "d"),
        (E, "OBJECT", "ENCODING", "d"),
        (E, "SINTERSTORE", "d", "a", "nokey"),
        (E, "EXISTS", "d"),
        (E, "SUNIONSTORE", "d", "a", "b"),
        (E, "OBJECT", "ENCODING", "d"),
        (E, "SDIFFSTORE", "d", "a", "b"),
        (E, "SMEMBERS", "d"),
        (E, "SDIFFSTORE", "d", "a", "a"),
        (E, "EXISTS", "d"),
        (E, "SUNIONSTORE", "str2", "str"),
        (E, "SINTERCARD", "2", "a", "b"),
        (E, "SINTERCARD", "2", "a", "b", "LIMIT", "1"),
        (E, "SINTERCARD", "2", "a", "b", "LIMIT", "0"),
        (E, "SINTERCARD", "2", "a", "nokey"),
        (E, "SINTERCARD", "0", "a"),
        (E, "SINTERCARD", "x", "a"),
        (E, "SINTERCARD", "3", "a", "b"),
        (E, "SINTERCARD", "1", "a", "LIMIT", "-1"),
        (E, "SINTERCARD", "1", "a", "LIMIT", "x"),
        (E, "SINTERCARD", "1", "a", "LIMIT"),
        (E, "SINTERCARD", "1", "a", "FOO", "1"),
        (E, "SINTERCARD", "1", "str"),
        (E, "SMOVE", "a", "b", "1"),
        (E, "SMOVE", "a", "b", "1"),
        (E, "SMOVE", "a", "a", "2"),
        (E, "SMOVE", "a", "a", "9"),
        (E, "SMOVE", "a", "str", "2"),
        (E, "SMOVE", "str", "a", "2"),
        (E, "SMOVE", "nokey", "a", "2"),
        (E, "SMOVE", "c", "newkey", "y"),
        (E, "SMEMBERS", "newkey"),
        (E, "OBJECT", "ENCODING", "newkey"),
        (E, "SMOVE", "a", "fresh", "2"),
        (E, "OBJECT", "ENCODING", "fresh"),
        (E, "SSCAN", "a", "0"),
        (E, "SSCAN", "a", "0", "MATCH", "3*"),
        (E, "SSCAN", "nokey", "0"),
        (E, "SSCAN", "a", "x"),
        (E, "SSCAN", "a", "0", "COUNT", "0"),
        (E, "SSCAN", "a", "0", "COUNT", "x"),
        (E, "SSCAN", "a", "0", "TYPE", "set"),
        (E, "SSCAN", "a", "0", "MATCH"),
        (E, "SSCAN", "str", "0"),
        (S, "SSCAN", "b", "0", "COUNT", "1000"),
        (E, "SADD", "s"),
        (E, "SREM", "s"),
        (E, "SINTER"),
    ]
    with Pair() as p:
        p.check(script)


def test_intset_limit_conversion():
    script = [(E, "SADD", "s", *[str(i) for i in range(100)]),
              (E, "OBJECT", "ENCODING", "s"),
              (E, "SCARD", "s"),
              (E, "SADD", "s", "100"),
              (E, "OBJECT", "ENCODING", "s"),
              (S, "SMEMBERS", "s"),
              (E, "SADD", "t", "1"),
              (E, "SADD", "t", "a"),
              (E, "OBJECT", "ENCODING", "t"),
              (E, "SREM", "t", "a"),
              (E, "OBJECT", "ENCODING", "t"),
              (E, "SADD", "u", "x", "1"),
              (E, "OBJECT", "ENCODING", "u")]
    with Pair(["--set-max-intset-entries", "100"]) as p:
        p.check(script)
    with Server(["--set-max-intset-entries", "100"]) as s:
        r = s.client()
        r.sadd("s", *range(100))
        r.sadd("s", 100)
        assert r.scard("s") == 101
        assert r.smembers("s") == set(str(i).encode() for i in range(101))


def test_many_members_model():
    """Random SADD/SREM/SPOP against a Python model, across conversions."""
    import random
    rnd = random.Random(7)
    with Server(["--set-max-intset-entries", "64"]) as s:
        r = s.client()
        model = set()
        for step in range(3000):
            op = rnd.random()
            m = str(rnd.randrange(200)) if rnd.random() < 0.8 else "s%d" % rnd.randrange(50)
            if op < 0.6:
                assert r.sadd("k", m) == (0 if m in model else 1)
                model.add(m)
            elif op < 0.9:
                assert r.srem("k", m) == (1 if m in model else 0)
                model.discard(m)
            else:
                x = r.spop("k")
                if model:
                    assert x.decode() in model
                    model.discard(x.decode())
                else:
                    assert x is None
            if step % 300 == 0:
                assert set(x.decode() for x in r.smembers("k")) == model
        assert r.scard("k") == len(model)


if __name__ == "__main__":
    run(globals())
