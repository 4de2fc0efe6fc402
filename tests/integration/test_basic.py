"""Basic end-to-end checks: the server starts, speaks RESP to redis-py and
redis-cli, and answers the core string/key commands."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from harness import Server, run  # noqa: E402


def test_ping_echo():
    with Server() as s:
        r = s.client()
        assert r.ping() is True
        assert r.echo("hello") == b"hello"
        assert s.cli("ping").strip() == "PONG"


def test_set_get_del():
    with Server() as s:
        r = s.client()
        assert r.set("k", "v") is True
        assert r.get("k") == b"v"
        assert r.get("missing") is None
        assert r.delete("k", "missing") == 1
        assert r.get("k") is None


def test_set_options():
    with Server() as s:
        r = s.client()
        assert r.set("k", "1", nx=True) is True
        assert r.set("k", "2", nx=True) is None
        assert r.set("k", "3", xx=True) is True
        assert r.set("nokey", "3", xx=True) is None
        assert r.set("k", "4", get=True) == b"3"
        r.set("t", "v", ex=100)
        assert 98 <= r.ttl("t") <= 100
        r.set("t", "w", keepttl=True)
        assert r.ttl("t") > 0
        r.set("t", "x")
        assert r.ttl("t") == -1
        try:
            r.execute_command("SET", "k", "v", "EX", "0")
            assert False
        except redis.ResponseError as e:
            assert str(e) == "invalid expire time in 'set' command"
        try:
            r.execute_command("SET", "k", "v", "NX", "XX")
            assert False
        except redis.ResponseError as e:
            assert str(e) == "syntax error"


def test_values_of_every_size():
    with Server() as s:
        r = s.client()
        for n in (0, 1, 20, 21, 44, 45, 100, 4096, 70000, 1 << 20):
            v = os.urandom(n)
            r.set("k%d" % n, v)
            assert r.get("k%d" % n) == v, n
            assert r.strlen("k%d" % n) == n


def test_incr_family():
    with Server() as s:
        r = s.client()
        assert r.incr("n") == 1
        assert r.incrby("n", 10) == 11
        assert r.decr("n") == 10
        assert r.decrby("n", 20) == -10
        r.set("n", "9223372036854775807")
        try:
            r.incr("n")
            assert False
        except redis.ResponseError as e:
            assert str(e) == "increment or decrement would overflow"
        r.set("s", "abc")
        try:
            r.incr("s")
            assert False
        except redis.ResponseError as e:
            assert str(e) == "value is not an integer or out of range"
        r.set("f", "10.5")
        assert r.incrbyfloat("f", 0.1) == 10.6
        assert r.get("f") == b"10.6"


def test_unknown_and_arity():
    with Server() as s:
        r = s.client()
        try:
            r.execute_command("NOSUCH", "a", "b")
            assert False
        except redis.ResponseError as e:
            assert str(e) == "unknown command 'NOSUCH', with args beginning with: 'a' 'b' "
        try:
            r.execute_command("GET")
            assert False
        except redis.ResponseError as e:
            assert str(e) == "wrong number of arguments for 'get' command"


def test_pipeline():
    with Server() as s:
        r = s.client()
        p = r.pipeline(transaction=False)
        for i in range(10000):
            p.set("key:%d" % i, "val:%d" % i)
        p.execute()
        p = r.pipeline(transaction=False)
        for i in range(10000):
            p.get("key:%d" % i)
        res = p.execute()
        assert res == [b"val:%d" % i for i in range(10000)]
        assert r.dbsize() == 10000


if __name__ == "__main__":
    run(globals())
