"""Hash commands end to end: every command through redis-py, errors and
type checks, listpack -> hashtable conversion at both limits without losing
a field, HRANDFIELD/HSCAN properties, and a random command stream compared
with redis-server (unordered replies compared as sets)."""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from harness import Server, raises, run  # noqa: E402
from resp_compare import Raw, reference  # noqa: E402

SRV = None


def server():
    global SRV
    if SRV is None:
        SRV = Server().start()
    r = SRV.client()
    r.flushall()
    r.config_set("hash-max-listpack-entries", "128")
    r.config_set("hash-max-listpack-value", "64")
    return r


def encoding(r, key):
    try:
        return r.object("encoding", key)
    except redis.exceptions.ResponseError:
        return None


def test_set_get():
    r = server()
    assert r.hset("h", mapping={"a": "1", "b": "x", "c": "-300"}) == 3
    assert r.hset("h", "a", "2") == 0
    assert r.hget("h", "a") == b"2" and r.hget("h", "zz") is None and r.hget("nokey", "a") is None
    assert r.execute_command("HMSET", "h", "d", "4") is True
    assert r.hmget("h", "a", "zz", "d") == [b"2", None, b"4"]
    assert r.hmget("nokey", "a") == [None]
    assert r.hgetall("h") == {b"a": b"2", b"b": b"x", b"c": b"-300", b"d": b"4"}
    assert r.hkeys("h") == [b"a", b"b", b"c", b"d"]            # listpack keeps insertion order
    assert r.hvals("h") == [b"2", b"x", b"-300", b"4"]
    assert r.hgetall("nokey") == {} and r.hkeys("nokey") == [] and r.hvals("nokey") == []
    assert r.hlen("h") == 4 and r.hlen("nokey") == 0
    assert r.hexists("h", "a") is True and r.hexists("h", "q") is False
    assert r.hstrlen("h", "c") == 4 and r.hstrlen("h", "q") == 0 and r.hstrlen("nokey", "q") == 0
    assert r.hsetnx("h", "a", "9") == 0 and r.hsetnx("h", "e", "5") == 1 and r.hget("h", "e") == b"5"
    assert r.hdel("h", "a", "a", "zz") == 1
    assert r.hdel("nokey", "a") == 0
    assert r.hdel("h", "b", "c", "d", "e") == 4
    assert not r.exists("h")
    raises(lambda: r.execute_command("HSET", "h", "a"), "wrong number of arguments for 'hset' command")
    raises(lambda: r.execute_command("HSET", "h", "a", "b", "c"), "wrong number of arguments for 'hset' command")
    raises(lambda: r.execute_command("HMSET", "h", "a", "b", "c"), "wrong number of arguments for 'hmset' command")


def test_incr():
    r = server()
    assert r.hincrby("h", "n", 5) == 5
    assert r.hincrby("h", "n", -10) == -5
    r.hset("h", "s", "abc")
    raises(lambda: r.hincrby("h", "s", 1), "hash value is not an integer")
    raises(lambda: r.hincrby("h", "n", "x"), "value is not an integer or out of range")
    r.hset("h", "big", 9223372036854775807)
    raises(lambda: r.hincrby("h", "big", 1), "increment or decrement would overflow")
    assert r.hincrbyfloat("h", "f", "1.5") == 1.5
    c = Raw(SRV.port)
    assert c.cmd("HINCRBYFLOAT", "h", "f", "0.1") == b"$3\r\n1.6\r\n"
    assert c.cmd("HINCRBYFLOAT", "h", "n", "5.0e3") == b"$4\r\n4995\r\n"
    c.close()
    raises(lambda: r.hincrbyfloat("h", "s", 1), "hash value is not a float")
    raises(lambda: r.execute_command("HINCRBYFLOAT", "h", "f", "abc"), "value is not a valid float")
    r.hset("h", "huge", "1e4932")
    raises(lambda: r.hincrbyfloat("h", "huge", "1e4932"), "increment would produce NaN or Infinity")


def test_conversion_by_entries():
    r = server()
    r.config_set("hash-max-listpack-entries", "16")
    for i in range(16):
        r.hset("h", "f%d" % i, i)
    enc0 = encoding(r, "h")
    r.hset("h", "f16", 16)
    enc1 = encoding(r, "h")
    if enc0 is not None:
        assert (enc0, enc1) == (b"listpack", b"hashtable")
    assert r.hgetall("h") == {("f%d" % i).encode(): str(i).encode() for i in range(17)}
    # it never converts back
    for i in range(17):
        r.hdel("h", "f%d" % i) if i > 0 else None
    assert r.hgetall("h") == {b"f0": b"0"}
    if enc0 is not None:
        assert encoding(r, "h") == b"hashtable"


def test_conversion_by_value_length():
    r = server()
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.hset("h", "c", "x" * 64)
    assert encoding(r, "h") in (None, b"listpack")
    r.hset("h", "d", "x" * 65)
    assert encoding(r, "h") in (None, b"hashtable")
    assert r.hgetall("h") == {b"a": b"1", b"b": b"2", b"c": b"x" * 64, b"d": b"x" * 65}
    r.hset("k", "f" * 65, "v")           # long field
    assert encoding(r, "k") in (None, b"hashtable")
    r.hsetnx("k2", "f", "v" * 100)
    assert encoding(r, "k2") in (None, b"hashtable")
    r.hincrbyfloat("k3", "f" * 100, 1)
    assert encoding(r, "k3") in (None, b"hashtable")
    assert r.hget("k3", "f" * 100) == b"1"


def test_big_hash_model():
    r = server()
    rnd = random.Random(3)
    model = {}
    for step in range(4000):
        f = "f%d" % rnd.randint(0, 1500)
        op = rnd.random()
        if op < 0.6:
            v = rnd.choice([str(rnd.randint(-10**6, 10**6)), "v" * rnd.randint(0, 200)])
            assert r.hset("big", f, v) == (0 if f in model else 1)
            model[f] = v
        elif op < 0.8:
            assert r.hdel("big", f) == (1 if f in model else 0)
            model.pop(f, None)
        else:
            assert r.hget("big", f) == (model[f].encode() if f in model else None)
    want = {k.encode(): v.encode() for k, v in model.items()}
    assert r.hlen("big") == len(model)
    assert r.hgetall("big") == want
    assert sorted(r.hkeys("big")) == sorted(want)
    # HSCAN returns every field at least once
    seen, cursor = {}, 0
    while True:
        cursor, part = r.hscan("big", cursor, count=50)
        seen.update(part)
        if cursor == 0:
            break
    assert seen == want
    seen = {}
    for k, v in r.hscan_iter("big", match="f1*"):
        seen[k] = v
    assert seen == {k: v for k, v in want.items() if k.startswith(b"f1")}


def test_hrandfield():
    r = server()
    assert r.hrandfield("nokey") is None
    assert r.hrandfield("nokey", 3) == []
    small = {("f%d" % i).encode(): str(i).encode() for i in range(10)}
    r.hset("h", mapping=small)
    big = {("g%d" % i).encode(): ("v%d" % i).encode() * 20 for i in range(300)}
    r.hset("g", mapping=big)
    for key, d in (("h", small), ("g", big)):
        assert r.hrandfield(key) in d
        assert r.hrandfield(key, 0) == []
        got = r.hrandfield(key, 5)
        assert len(got) == 5 and len(set(got)) == 5 and set(got) <= set(d)
        got = r.hrandfield(key, 5, withvalues=True)
        pairs = dict(zip(got[::2], got[1::2]))
        assert len(pairs) == 5 and all(d[k] == v for k, v in pairs.items())
        assert sorted(r.hrandfield(key, 1000)) == sorted(d)
        got = r.hrandfield(key, -50)
        assert len(got) == 50 and set(got) <= set(d)
        got = r.hrandfield(key, -7, withvalues=True)
        assert len(got) == 14 and all(d[k] == v for k, v in zip(got[::2], got[1::2]))
        # over many draws every field shows up: the picks are random
        assert set(r.hrandfield(key, -3000)) == set(d) if len(d) < 50 else True
    raises(lambda: r.execute_command("HRANDFIELD", "h", "1", "foo"), "syntax error")
    raises(lambda: r.execute_command("HRANDFIELD", "h", "x"), "value is not an integer or out of range")
    # RESP3: WITHVALUES gives pairs
    c = Raw(SRV.port, 3)
    rep = c.cmd("HRANDFIELD", "h", "2", "WITHVALUES")
    assert rep.startswith(b"*2\r\n*2\r\n$"), rep
    assert c.cmd("HGETALL", "nokey") == b"%0\r\n"
    c.close()


def test_hscan_errors_and_small():
    r = server()
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert r.hscan("h", 0) == (0, {b"a": b"1", b"b": b"2", b"c": b"3"})
    assert r.hscan("h", 0, match="a*") == (0, {b"a": b"1"})
    assert r.hscan("nokey", 0) == (0, {})
    raises(lambda: r.hscan("h", "abc"), "invalid cursor")
    raises(lambda: r.hscan("h", 0, count=0), "syntax error")
    raises(lambda: r.execute_command("HSCAN", "h", 0, "FOO"), "syntax error")


def test_wrongtype_and_del():
    r = server()
    r.set("s", "v")
    for args in (("HSET", "s", "a", "b"), ("HSETNX", "s", "a", "b"), ("HMSET", "s", "a", "b"), ("HGET", "s", "a"),
                 ("HMGET", "s", "a"), ("HGETALL", "s"), ("HDEL", "s", "a"), ("HEXISTS", "s", "a"), ("HLEN", "s"),
                 ("HKEYS", "s"), ("HVALS", "s"), ("HSTRLEN", "s", "a"), ("HINCRBY", "s", "a", 1),
                 ("HINCRBYFLOAT", "s", "a", 1), ("HRANDFIELD", "s"), ("HSCAN", "s", 0)):
        raises(lambda: r.execute_command(*args), "WRONGTYPE")
    r.hset("h", "a", "b")
    raises(lambda: r.get("h"), "WRONGTYPE")
    raises(lambda: r.lpush("h", "x"), "WRONGTYPE")
    assert r.type("h") == b"hash"
    r.hset("big", mapping={"f%d" % i: "v" * 100 for i in range(200)})
    assert r.delete("h", "big") == 2
    r.hset("big", mapping={"f%d" % i: "v" * 100 for i in range(200)})
    r.flushall()
    assert r.dbsize() == 0


def random_script(seed, n):
    rnd = random.Random(seed)
    keys = ["h1", "h2"]
    fields = ["a", "b", "c", "1", "-2", "f" * 70]
    vals = ["x", "10", "-3", "1.5", "y" * 70, ""]
    out = []
    for _ in range(n):
        k, f, v = rnd.choice(keys), rnd.choice(fields), rnd.choice(vals)
        out.append(rnd.choice([
            ["HSET", k, f, v], ["HSET", k, f, v, rnd.choice(fields), rnd.choice(vals)], ["HSETNX", k, f, v],
            ["HGET", k, f], ["HMGET", k, f, rnd.choice(fields)], ["HDEL", k, f, rnd.choice(fields)],
            ["HEXISTS", k, f], ["HLEN", k], ["HSTRLEN", k, f], ["HINCRBY", k, f, rnd.randint(-5, 5)],
            ["HINCRBYFLOAT", k, f, rnd.choice(["0.5", "-1.25", "3", "1e2"])], ["HGETALL", k], ["HKEYS", k],
            ["HVALS", k], ["HRANDFIELD", k, 0], ["EXISTS", k],
        ]))
    return out


def test_compare_with_redis():
    server()
    ref = reference()
    if ref is None:
        return
    with ref:
        # small limits so conversions happen inside the stream; replies that
        # list the whole hash are compared as sorted element lists
        rt = redis.Redis(host="127.0.0.1", port=SRV.port)
        rr = redis.Redis(host="127.0.0.1", port=ref.port)
        for c in (rt, rr):
            c.flushall()
            c.config_set("hash-max-listpack-entries", "4")
            c.config_set("hash-max-listpack-value", "64")
        diffs = []
        for args in random_script(11, 2000):
            out = []
            for c in (rr, rt):
                try:
                    res = c.execute_command(*args)
                except redis.exceptions.ResponseError as e:
                    res = "ERR:" + str(e)
                if args[0] in ("HGETALL", "HKEYS", "HVALS"):
                    res = sorted(res if isinstance(res, list) else res.items())
                out.append(res)
            if out[0] != out[1]:
                diffs.append((args, out))
        assert not diffs, diffs[:5]


if __name__ == "__main__":
    try:
        run(globals())
    finally:
        if SRV is not None:
            SRV.stop()
            SRV.cleanup()
