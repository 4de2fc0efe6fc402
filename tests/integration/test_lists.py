"""List commands end to end: every command through redis-py, errors and
type checks, RESP2/RESP3 null replies, lists spanning many quicklist nodes,
and a random command stream compared byte for byte with redis-server."""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from harness import Server, raises, run  # noqa: E402
from resp_compare import Raw, compare, reference  # noqa: E402

SRV = None


def server():
    global SRV
    if SRV is None:
        SRV = Server().start()
    r = SRV.client()
    r.flushall()
    r.config_set("list-max-listpack-size", "-2")
    return r


def test_push_pop():
    r = server()
    assert r.lpush("l", "a", "b") == 2
    assert r.rpush("l", "c", 1, -5) == 5
    assert r.lrange("l", 0, -1) == [b"b", b"a", b"c", b"1", b"-5"]
    assert r.lpushx("none", "x") == 0 and not r.exists("none")
    assert r.rpushx("l", "z") == 6
    assert r.lpop("l") == b"b"
    assert r.rpop("l") == b"z"
    assert r.lpop("l", 2) == [b"a", b"c"]
    assert r.rpop("l", 10) == [b"-5", b"1"]
    assert not r.exists("l")
    assert r.lpop("l") is None
    assert r.lpop("l", 3) is None
    assert r.llen("l") == 0
    r.rpush("l", "x")
    assert r.lpop("l", 0) == []
    raises(lambda: r.lpop("l", -1), "value is out of range, must be positive")
    raises(lambda: r.execute_command("LPOP", "l", "1", "2"), "wrong number of arguments")


def test_null_replies_resp2_resp3():
    server()
    for resp, nul, nularr in ((2, b"$-1\r\n", b"*-1\r\n"), (3, b"_\r\n", b"_\r\n")):
        c = Raw(SRV.port, resp)
        assert c.cmd("LPOP", "nokey") == nul
        assert c.cmd("LPOP", "nokey", "2") == nularr
        assert c.cmd("LINDEX", "nokey", "0") == nul
        assert c.cmd("LMPOP", "1", "nokey", "LEFT") == nularr
        assert c.cmd("BLPOP", "nokey", "0.01") == nularr
        assert c.cmd("LPOS", "nokey", "a") == nul
        assert c.cmd("LPOS", "nokey", "a", "COUNT", "0") == b"*0\r\n"
        c.close()


def test_lrange_lindex_lset():
    r = server()
    r.rpush("l", *range(10))
    assert r.lrange("l", 2, 4) == [b"2", b"3", b"4"]
    assert r.lrange("l", -3, -1) == [b"7", b"8", b"9"]
    assert r.lrange("l", -100, 1) == [b"0", b"1"]
    assert r.lrange("l", 5, 2) == []
    assert r.lrange("l", 20, 30) == []
    assert r.lrange("nokey", 0, -1) == []
    assert r.lindex("l", 0) == b"0" and r.lindex("l", -1) == b"9" and r.lindex("l", 10) is None
    assert r.lset("l", 0, "zero") is True
    assert r.lset("l", -1, "nine" * 100) is True
    assert r.lindex("l", 0) == b"zero" and r.lindex("l", -1) == b"nine" * 100
    raises(lambda: r.lset("l", 10, "x"), "index out of range")
    raises(lambda: r.lset("nokey", 0, "x"), "no such key")
    raises(lambda: r.lrange("l", "a", 1), "value is not an integer or out of range")
    raises(lambda: r.lindex("l", "x"), "value is not an integer or out of range")


def test_linsert_lrem_ltrim():
    r = server()
    r.rpush("l", "a", "b", "c")
    assert r.linsert("l", "before", "b", "B") == 4
    assert r.linsert("l", "after", "c", "C") == 5
    assert r.linsert("l", "after", "zz", "C") == -1
    assert r.linsert("nokey", "after", "a", "C") == 0
    raises(lambda: r.execute_command("LINSERT", "l", "middle", "a", "b"), "syntax error")
    assert r.lrange("l", 0, -1) == [b"a", b"B", b"b", b"c", b"C"]
    r.delete("r")
    r.rpush("r", "x", "y", "x", "z", "x", "x")
    assert r.lrem("r", 1, "x") == 1
    assert r.lrem("r", -2, "x") == 2
    assert r.lrange("r", 0, -1) == [b"y", b"x", b"z"]
    assert r.lrem("r", 0, "q") == 0
    assert r.lrem("r", 0, "x") == 1
    assert r.ltrim("r", 0, 0) is True
    assert r.lrange("r", 0, -1) == [b"y"]
    assert r.ltrim("r", 1, -1) is True
    assert not r.exists("r")
    assert r.ltrim("nokey", 0, 1) is True


def test_lpos():
    r = server()
    r.rpush("p", "a", "b", "c", 1, 2, 3, "c", "c", "c")
    assert r.lpos("p", "c") == 2
    assert r.lpos("p", "c", rank=2) == 6
    assert r.lpos("p", "c", rank=-1) == 8
    assert r.lpos("p", "c", count=0) == [2, 6, 7, 8]
    assert r.lpos("p", "c", count=2, rank=-2) == [7, 6]
    assert r.lpos("p", "c", maxlen=3) == 2
    assert r.lpos("p", "c", maxlen=2) is None
    assert r.lpos("p", 1) == 3
    assert r.lpos("p", "zz") is None
    raises(lambda: r.lpos("p", "c", rank=0), "RANK can't be zero")
    raises(lambda: r.lpos("p", "c", count=-1), "COUNT can't be negative")
    raises(lambda: r.lpos("p", "c", maxlen=-1), "MAXLEN can't be negative")
    raises(lambda: r.execute_command("LPOS", "p", "c", "FOO"), "syntax error")


def test_lmove_rpoplpush():
    r = server()
    r.rpush("s", "a", "b", "c")
    assert r.lmove("s", "d", "LEFT", "RIGHT") == b"a"
    assert r.lmove("s", "d", "RIGHT", "LEFT") == b"c"
    assert r.lrange("d", 0, -1) == [b"c", b"a"]
    assert r.lmove("d", "d", "LEFT", "RIGHT") == b"c"
    assert r.lrange("d", 0, -1) == [b"a", b"c"]
    assert r.rpoplpush("s", "d") == b"b"
    assert not r.exists("s")
    assert r.rpoplpush("s", "d") is None
    assert r.lmove("nokey", "d", "LEFT", "LEFT") is None
    raises(lambda: r.execute_command("LMOVE", "d", "e", "UP", "LEFT"), "syntax error")
    r.set("str", "v")
    raises(lambda: r.lmove("d", "str", "LEFT", "LEFT"), "WRONGTYPE")
    assert r.lrange("d", 0, -1) == [b"b", b"a", b"c"]      # nothing popped on error


def test_lmpop():
    r = server()
    r.rpush("b", 1, 2, 3)
    assert r.execute_command("LMPOP", 2, "a", "b", "LEFT") == [b"b", [b"1"]]
    assert r.execute_command("LMPOP", 2, "a", "b", "RIGHT", "COUNT", 10) == [b"b", [b"3", b"2"]]
    assert r.execute_command("LMPOP", 2, "a", "b", "RIGHT") is None
    raises(lambda: r.execute_command("LMPOP", 0, "a", "LEFT"), "numkeys should be greater than 0")
    raises(lambda: r.execute_command("LMPOP", 5, "a", "LEFT"), "syntax error")
    raises(lambda: r.execute_command("LMPOP", 1, "a", "LEFT", "COUNT", 0), "count should be greater than 0")
    raises(lambda: r.execute_command("LMPOP", 1, "a", "MIDDLE"), "syntax error")


def test_blocking_pops_serve_or_time_out():
    r = server()
    r.rpush("q", "1", "2", "3")
    assert r.blpop(["none", "q"], timeout=0) == (b"q", b"1")
    assert r.brpop(["q"], timeout=0) == (b"q", b"3")
    assert r.brpoplpush("q", "q2", timeout=0) == b"2"
    assert r.blmove("q2", "q", 0, "LEFT", "RIGHT") == b"2"
    assert r.execute_command("BLMPOP", 0, 1, "q", "LEFT", "COUNT", 5) == [b"q", [b"2"]]
    assert r.blpop(["none"], timeout=0.05) is None
    assert r.brpoplpush("none", "q2", timeout=0.05) is None
    assert r.execute_command("BLMPOP", 0.05, 1, "none", "LEFT") is None
    raises(lambda: r.blpop(["none"], timeout=-1), "timeout is negative")
    raises(lambda: r.execute_command("BLPOP", "none", "abc"), "timeout is not a float or out of range")
    # in MULTI nothing blocks: null array for BLPOP, null bulk for BRPOPLPUSH
    c = Raw(SRV.port)
    if c.cmd("MULTI") != b"+OK\r\n":
        print("  (no MULTI in this build: skipped)")
        return
    c.cmd("BLPOP", "none", "0")
    c.cmd("BRPOPLPUSH", "none", "x", "0")
    assert c.cmd("EXEC") == b"*2\r\n*-1\r\n$-1\r\n"


def test_wrongtype_everywhere():
    r = server()
    r.set("s", "v")
    for args in (("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"), ("RPUSHX", "s", "a"),
                 ("LPOP", "s"), ("RPOP", "s", "2"), ("LLEN", "s"), ("LRANGE", "s", 0, 1), ("LINDEX", "s", 0),
                 ("LSET", "s", 0, "a"), ("LINSERT", "s", "BEFORE", "a", "b"), ("LREM", "s", 0, "a"),
                 ("LTRIM", "s", 0, 1), ("LPOS", "s", "a"), ("LMOVE", "s", "d", "LEFT", "LEFT"),
                 ("RPOPLPUSH", "s", "d"), ("LMPOP", 1, "s", "LEFT"), ("BLPOP", "s", 0), ("BRPOP", "s", 0),
                 ("BLMOVE", "s", "d", "LEFT", "LEFT", 0), ("BRPOPLPUSH", "s", "d", 0),
                 ("BLMPOP", 0, 1, "s", "LEFT")):
        raises(lambda: r.execute_command(*args), "WRONGTYPE")
    r.rpush("l", "a")
    raises(lambda: r.get("l"), "WRONGTYPE")
    assert r.type("l") == b"list"


def test_big_list_many_nodes():
    r = server()
    rnd = random.Random(7)
    for fill in ("-1", "4", "-5", "1"):
        r.delete("big")
        r.config_set("list-max-listpack-size", fill)
        model = []
        for i in range(0, 3000, 100):
            chunk = [rnd.choice(["x" * rnd.randint(0, 300), str(rnd.randint(-1000, 1000)), "e%d" % i])
                     for _ in range(100)]
            r.rpush("big", *chunk)
            model += chunk
        r.lpush("big", *["h%d" % i for i in range(50)])
        model = ["h%d" % i for i in reversed(range(50))] + model
        enc = lambda xs: [x.encode() for x in xs]  # noqa: E731
        assert r.llen("big") == len(model)
        assert r.lrange("big", 0, -1) == enc(model)
        for idx in (0, 1, 777, -1, -1234, len(model) - 1):
            assert r.lindex("big", idx) == model[idx].encode()
        r.lset("big", 1500, "Y" * 5000)
        model[1500] = "Y" * 5000
        r.linsert("big", "BEFORE", model[2000], "INS")
        model.insert(model.index(model[2000]), "INS")
        n = model.count("e500")
        assert r.lrem("big", 0, "e500") == n
        model = [x for x in model if x != "e500"]
        r.ltrim("big", 10, -20)
        model = model[10:len(model) - 19]
        assert r.lrange("big", 0, -1) == enc(model)
        assert r.lrange("big", 100, 200) == enc(model[100:201])
        assert r.lpos("big", "INS") == model.index("INS")
        while model:
            k = rnd.randint(1, 400)
            assert r.rpop("big", k) == enc(list(reversed(model[-k:])))
            model = model[:-k]
        assert not r.exists("big")


def test_del_flush_and_encoding():
    r = server()
    r.rpush("l", *range(100))
    assert r.delete("l") == 1
    r.rpush("l", "a")
    r.flushdb()
    assert r.dbsize() == 0
    r.rpush("l", "a")
    try:
        enc = r.object("encoding", "l")
    except redis.exceptions.ResponseError:
        print("  (no OBJECT command in this build: encoding not checked)")
        return
    assert enc == b"quicklist"                     # Redis 7.0: every list
    r.rpush("l", *["x" * 100] * 1000)
    assert r.object("encoding", "l") == b"quicklist"


def random_script(seed, n):
    rnd = random.Random(seed)
    keys = ["k1", "k2", "k3"]
    vals = ["a", "b", "1", "2", "-7", "x" * 70, "9223372036854775807", ""]
    out = [["CONFIG", "SET", "list-max-listpack-size", "3"]]
    for _ in range(n):
        k, k2, v = rnd.choice(keys), rnd.choice(keys), rnd.choice(vals)
        i, j = rnd.randint(-8, 8), rnd.randint(-8, 8)
        out.append(rnd.choice([
            ["LPUSH", k, v, rnd.choice(vals)], ["RPUSH", k, v], ["LPUSHX", k, v], ["RPUSHX", k, v],
            ["LPOP", k], ["RPOP", k], ["LPOP", k, rnd.randint(0, 4)], ["RPOP", k, rnd.randint(0, 4)],
            ["LLEN", k], ["LRANGE", k, i, j], ["LINDEX", k, i], ["LSET", k, i, v],
            ["LINSERT", k, rnd.choice(["BEFORE", "AFTER"]), v, rnd.choice(vals)], ["LREM", k, i, v],
            ["LTRIM", k, i, j], ["LPOS", k, v], ["LPOS", k, v, "RANK", rnd.choice([1, 2, -1, -2]), "COUNT", rnd.randint(0, 3)],
            ["LPOS", k, v, "MAXLEN", rnd.randint(0, 5), "COUNT", 0],
            ["LMOVE", k, k2, rnd.choice(["LEFT", "RIGHT"]), rnd.choice(["LEFT", "RIGHT"])],
            ["RPOPLPUSH", k, k2], ["LMPOP", 2, k, k2, rnd.choice(["LEFT", "RIGHT"]), "COUNT", rnd.randint(1, 3)],
            ["LRANGE", k, 0, -1], ["EXISTS", k],
        ]))
    return out


def test_compare_with_redis():
    server()
    ref = reference()
    if ref is None:
        return
    with ref:
        for resp in (2, 3):
            script = [["FLUSHALL"]] + random_script(resp, 1500) + [["LRANGE", k, 0, -1] for k in ("k1", "k2", "k3")]
            diffs = [d for d in compare(SRV.port, ref.port, script, resp) if d[0][0] != "CONFIG"]
            assert not diffs, "differences with redis-server (RESP%d): %r" % (resp, diffs[:5])


if __name__ == "__main__":
    try:
        run(globals())
    finally:
        if SRV is not None:
            SRV.stop()
            SRV.cleanup()
