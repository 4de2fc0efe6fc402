"""String and bit commands, compared reply-for-reply with Debian's
redis-server 7.0 (compat.Compare), plus checks of stored state."""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from compat import Compare  # noqa: E402
from harness import Server, run  # noqa: E402

FAR_S = 4102444800          # 2100-01-01
FAR_MS = FAR_S * 1000 + 123


def test_set_family_compat():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("SET", "k", "v"), ("SET", "k", "v2", "NX"), ("SET", "k", "v3", "XX"), ("GET", "k"),
            ("SET", "nx", "1", "XX"), ("SET", "nx", "1", "NX", "XX"), ("SET", "nx", "1", "XX", "NX"),
            ("SET", "k", "v4", "GET"), ("SET", "new", "x", "GET"), ("SET", "k", "v5", "NX", "GET"),
            ("SET", "nokey", "v", "XX", "GET"), ("GET", "nokey"),
            ("SET", "t", "v", "EX", "100"), ("TTL", "t"), ("SET", "t", "w", "KEEPTTL"), ("TTL", "t"),
            ("SET", "t", "x"), ("TTL", "t"),
            ("SET", "t", "v", "PX", "100000"), ("TTL", "t"),
            ("SET", "t", "v", "EXAT", str(FAR_S)), ("EXPIRETIME", "t"), ("PEXPIRETIME", "t"),
            ("SET", "t", "v", "PXAT", str(FAR_MS)), ("PEXPIRETIME", "t"), ("EXPIRETIME", "t"),
            ("SET", "t", "v", "EX", "0"), ("SET", "t", "v", "EX", "-1"), ("SET", "t", "v", "PX", "0"),
            ("SET", "t", "v", "EX", "abc"), ("SET", "t", "v", "EX"), ("SET", "t", "v", "EX", "10", "PX", "10"),
            ("SET", "t", "v", "EX", "10", "KEEPTTL"), ("SET", "t", "v", "KEEPTTL", "EX", "10"),
            ("SET", "t", "v", "EX", "9223372036854775807"), ("SET", "t", "v", "PX", "9223372036854775807"),
            ("SET", "t", "v", "EXAT", "9223372036854775807"),
            ("SET", "t", "v", "BOGUS"), ("SET", "t", "v", "GET", "GET"),
            ("SET", "past", "v", "PXAT", "1"), ("EXISTS", "past"),
            ("SET", "past", "v", "EXAT", "1", "GET"), ("EXISTS", "past"),
            ("SETNX", "k", "z"), ("SETNX", "sn", "z"), ("GET", "sn"),
            ("SETEX", "se", "100", "v"), ("TTL", "se"), ("SETEX", "se", "0", "v"), ("SETEX", "se", "-5", "v"),
            ("SETEX", "se", "x", "v"), ("PSETEX", "pse", "100000", "v"), ("TTL", "pse"), ("PSETEX", "pse", "0", "v"),
            ("GETSET", "k", "gs"), ("GETSET", "gsn", "1"), ("GET", "gsn"),
            ("GETDEL", "k"), ("GETDEL", "k"), ("EXISTS", "k"),
            ("SET", "k", "v", "EX", "100"), ("GETEX", "k"), ("TTL", "k"), ("GETEX", "k", "PERSIST"), ("TTL", "k"),
            ("GETEX", "k", "EX", "50"), ("TTL", "k"), ("GETEX", "k", "PX", "50000"), ("TTL", "k"),
            ("GETEX", "k", "EXAT", str(FAR_S)), ("EXPIRETIME", "k"), ("GETEX", "k", "PXAT", str(FAR_MS)),
            ("PEXPIRETIME", "k"), ("GETEX", "k", "EX", "0"), ("GETEX", "k", "EX", "10", "PX", "10"),
            ("GETEX", "k", "KEEPTTL"), ("GETEX", "k", "NX"), ("GETEX", "k", "PERSIST", "EX", "10"),
            ("GETEX", "nokey", "EX", "10"), ("GETEX", "k", "PXAT", "1"), ("EXISTS", "k"),
            ("MSET", "a", "1", "b", "2"), ("MSET", "a"), ("MSET", "a", "1", "b"), ("MGET", "a", "b", "nokey"),
            ("MSETNX", "a", "x", "c", "3"), ("EXISTS", "c"), ("MSETNX", "c", "3", "d", "4"), ("MGET", "c", "d"),
            ("MSETNX", "e", "5", "e", "6"), ("GET", "e"), ("MSETNX", "x"),
        ])


def test_append_range_incr_compat():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("APPEND", "a", "hello"), ("APPEND", "a", " world"), ("GET", "a"), ("STRLEN", "a"),
            ("OBJECT", "ENCODING", "a"),
            ("SET", "n", "12"), ("APPEND", "n", "34"), ("GET", "n"), ("OBJECT", "ENCODING", "n"),
            ("INCR", "n"),
            ("GETRANGE", "a", "0", "4"), ("GETRANGE", "a", "-5", "-1"), ("GETRANGE", "a", "-1", "-5"),
            ("GETRANGE", "a", "5", "2"), ("GETRANGE", "a", "0", "-100"), ("GETRANGE", "a", "-100", "100"),
            ("GETRANGE", "a", "100", "200"), ("GETRANGE", "nokey", "0", "10"), ("GETRANGE", "a", "x", "1"),
            ("SET", "i", "12345"), ("GETRANGE", "i", "1", "2"), ("GETRANGE", "i", "-2", "-1"),
            ("SETRANGE", "a", "6", "WORLD"), ("GET", "a"), ("SETRANGE", "a", "20", "!"), ("GET", "a"),
            ("SETRANGE", "sr", "3", "abc"), ("GET", "sr"), ("SETRANGE", "sr2", "3", ""), ("EXISTS", "sr2"),
            ("SETRANGE", "a", "-1", "x"), ("SETRANGE", "a", "x", "y"), ("SETRANGE", "a", "0", ""),
            ("SETRANGE", "a", "536870911", "ab"), ("SETRANGE", "i", "0", "9"), ("GET", "i"),
            ("OBJECT", "ENCODING", "i"),
            ("INCRBYFLOAT", "f", "10.5"), ("INCRBYFLOAT", "f", "0.1"), ("INCRBYFLOAT", "f", "-5"),
            ("INCRBYFLOAT", "f", "1e3"), ("INCRBYFLOAT", "f", "abc"), ("INCRBYFLOAT", "f", "inf"),
            ("INCRBYFLOAT", "f", "nan"), ("INCRBYFLOAT", "f", " 1"), ("GET", "f"), ("OBJECT", "ENCODING", "f"),
            ("SET", "f2", "3"), ("INCRBYFLOAT", "f2", "1.5"), ("INCRBYFLOAT", "f2", "-4.5"), ("GET", "f2"),
            ("INCRBYFLOAT", "a", "1"), ("SET", "big", "1.7976931348623157e308"), ("INCRBYFLOAT", "big", "1.7976931348623157e308"),
            ("INCRBY", "n2", "9223372036854775807"), ("INCR", "n2"), ("DECRBY", "n3", "-9223372036854775808"),
            ("DECRBY", "n3", "5"), ("INCRBY", "n3", "x"), ("SET", "sp", " 1"), ("INCR", "sp"),
            ("SET", "z", "007"), ("INCR", "z"), ("SET", "neg", "-0"), ("INCR", "neg"),
            ("STRLEN", "nokey"), ("STRLEN", "n3"), ("STRLEN", "i"),
        ])


def test_encodings_compat():
    with Server() as s, Compare(s) as c:
        vals = ["0", "100", "9999", "10000", "-1", "9223372036854775807", "9223372036854775808",
                "01", "1.5", "hello", "x" * 44, "x" * 45, "x" * 100, ""]
        for i, v in enumerate(vals):
            c.run("SET", "k%d" % i, v)
            c.run("OBJECT", "ENCODING", "k%d" % i)
            c.run("OBJECT", "REFCOUNT", "k%d" % i)
            c.run("GET", "k%d" % i)
        c.run("OBJECT", "ENCODING", "nokey")
        for op in [("INCR", "k0"), ("APPEND", "k1", "x"), ("SETRANGE", "k9", "0", "j"), ("SETBIT", "k10", "0", "1"),
                   ("GETBIT", "k2", "0"), ("DECR", "k9")]:
            c.run(*op)
            c.run("OBJECT", "ENCODING", op[1])


def test_setbit_getbit_compat():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("SETBIT", "b", "7", "1"), ("GET", "b"), ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "0"),
            ("SETBIT", "b", "100", "1"), ("STRLEN", "b"), ("GETBIT", "b", "100"), ("GETBIT", "b", "99"),
            ("GETBIT", "b", "100000"), ("GETBIT", "nokey", "3"), ("OBJECT", "ENCODING", "b"),
            ("SETBIT", "b", "1", "2"), ("SETBIT", "b", "1", "-1"), ("SETBIT", "b", "1", "x"),
            ("SETBIT", "b", "-1", "1"), ("SETBIT", "b", "x", "1"), ("SETBIT", "b", "4294967296", "1"),
            ("SETBIT", "b", "9223372036854775807", "1"), ("GETBIT", "b", "-1"), ("GETBIT", "b", "4294967296"),
            ("SET", "i", "12"), ("GETBIT", "i", "2"), ("GETBIT", "i", "3"), ("SETBIT", "i", "6", "1"),
            ("GET", "i"), ("OBJECT", "ENCODING", "i"),
            ("SET", "e", "ab"), ("SETBIT", "e", "2", "1"), ("GET", "e"), ("OBJECT", "ENCODING", "e"),
        ])
        # offsets obey proto-max-bulk-len
        c.run("CONFIG", "SET", "proto-max-bulk-len", "1mb")
        c.run("SETBIT", "p", str(8 * 1024 * 1024), "1")
        c.run("SETBIT", "p", str(8 * 1024 * 1024 - 1), "1")
        c.run("STRLEN", "p")
        c.run("BITFIELD", "p", "SET", "u8", str(8 * 1024 * 1024), "1")
        c.run("BITFIELD", "p", "GET", "u8", "#1048576")
        c.run("BITFIELD", "p", "GET", "u8", "#1048575")


def test_bitcount_bitpos_compat():
    with Server() as s, Compare(s) as c:
        c.run("SET", "s", "foobar")
        c.run("SET", "z", "\x00\x00\x00")
        c.run("SET", "f", "\xff\xff\xff")
        c.run("SET", "i", "1234")
        c.run("SET", "empty", "")
        fixed = [
            ("BITCOUNT", "s"), ("BITCOUNT", "s", "0", "0"), ("BITCOUNT", "s", "1", "1"),
            ("BITCOUNT", "s", "1", "1", "BYTE"), ("BITCOUNT", "s", "5", "30", "BIT"), ("BITCOUNT", "s", "0", "-1", "bit"),
            ("BITCOUNT", "s", "1"), ("BITCOUNT", "s", "0", "1", "foo"), ("BITCOUNT", "s", "a", "b"),
            ("BITCOUNT", "nokey", "a", "b"), ("BITCOUNT", "nokey"), ("BITCOUNT", "s", "-1", "-3"),
            ("BITCOUNT", "s", "0", "1", "BIT", "x"), ("BITCOUNT", "i"), ("BITCOUNT", "empty"),
            ("BITPOS", "s", "1"), ("BITPOS", "s", "0"), ("BITPOS", "z", "1"), ("BITPOS", "z", "0"),
            ("BITPOS", "f", "0"), ("BITPOS", "f", "1"), ("BITPOS", "f", "0", "0"), ("BITPOS", "f", "0", "0", "-1"),
            ("BITPOS", "f", "0", "1", "2", "BIT"), ("BITPOS", "f", "0", "0", "-1", "BIT"),
            ("BITPOS", "nokey", "1"), ("BITPOS", "nokey", "0"), ("BITPOS", "nokey", "2"), ("BITPOS", "s", "2"),
            ("BITPOS", "nokey", "1", "a"), ("BITPOS", "s", "1", "a"), ("BITPOS", "s", "1", "0", "a"),
            ("BITPOS", "s", "1", "0", "a", "bit"), ("BITPOS", "s", "1", "0", "1", "foo"),
            ("BITPOS", "s", "1", "0", "1", "bit", "3"), ("BITPOS", "s", "x"), ("BITPOS", "empty", "0"),
            ("BITPOS", "empty", "1"), ("BITPOS", "i", "1"), ("BITPOS", "s", "1", "3", "2"), ("BITPOS", "s", "0", "-1", "-2"),
            ("BITPOS", "z", "1", "0", "-1", "BIT"), ("BITPOS", "z", "0", "20", "-1", "BIT"),
        ]
        c.run_all(fixed)
        rnd = random.Random(7)
        for n in range(40):
            ln = rnd.randrange(0, 40)
            v = bytes(rnd.choice([0, 0xff, rnd.randrange(256)]) for _ in range(ln))
            c.run("SET", "r", v)
            for _ in range(25):
                unit = rnd.choice([[], ["BYTE"], ["BIT"]])
                hi = max(ln * (8 if unit == ["BIT"] else 1), 1)
                a, b = rnd.randrange(-hi - 3, hi + 3), rnd.randrange(-hi - 3, hi + 3)
                c.run("BITCOUNT", "r", a, b, *unit)
                bit = rnd.randrange(2)
                c.run("BITPOS", "r", bit, a, b, *unit)
                if not unit:
                    c.run("BITPOS", "r", bit, a)
                    c.run("BITPOS", "r", bit)


def test_bitop_compat():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("SET", "a", "foobar"), ("SET", "b", "abcdef"), ("SET", "c", "xy"), ("SET", "n", "123"),
            ("BITOP", "AND", "d", "a", "b"), ("GET", "d"), ("OBJECT", "ENCODING", "d"),
            ("BITOP", "OR", "d", "a", "c"), ("GET", "d"), ("BITOP", "XOR", "d", "a", "b", "c"), ("GET", "d"),
            ("BITOP", "NOT", "d", "c"), ("GET", "d"), ("BITOP", "NOT", "d", "a", "b"),
            ("BITOP", "AND", "d", "a", "nokey"), ("GET", "d"), ("BITOP", "or", "d", "n", "c"), ("GET", "d"),
            ("BITOP", "NAND", "d", "a"), ("BITOP", "AND", "d"),
            ("SET", "t", "v", "EX", "100"), ("BITOP", "OR", "t", "a"), ("TTL", "t"),
            ("BITOP", "AND", "d", "nokey", "nokey2"), ("EXISTS", "d"), ("BITOP", "NOT", "a", "a"), ("GET", "a"),
        ])


def test_bitfield_compat():
    with Server() as s, Compare(s) as c:
        c.run_all([
            ("BITFIELD", "bf", "SET", "i8", "0", "100", "GET", "i8", "0"),
            ("BITFIELD", "bf", "INCRBY", "i8", "0", "100"), ("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100"),
            ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "1"), ("BITFIELD", "bf", "GET", "i8", "0"),
            ("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-1000", "GET", "u8", "0"),
            ("BITFIELD", "bf", "SET", "u8", "8", "255", "INCRBY", "u8", "8", "10", "OVERFLOW", "SAT", "INCRBY", "u8", "8", "300"),
            ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "8", "1", "INCRBY", "u8", "8", "-255", "INCRBY", "u8", "8", "-1"),
            ("BITFIELD", "bf", "SET", "u8", "#2", "-1", "GET", "u8", "#2"),
            ("BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "#2", "-1", "SET", "u8", "#3", "256", "SET", "i8", "#4", "200"),
            ("BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "u8", "#2", "256", "SET", "i8", "#4", "-129", "SET", "i8", "#4", "-128"),
            ("BITFIELD", "bf", "SET", "i8", "#4", "200", "GET", "i8", "#4"),
            ("BITFIELD", "bf", "SET", "i64", "0", "-1", "GET", "i64", "0", "GET", "u63", "0", "GET", "u63", "1"),
            ("BITFIELD", "bf", "INCRBY", "i64", "0", "-9223372036854775807"), ("BITFIELD", "bf", "INCRBY", "i64", "0", "-1"),
            ("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1"),
            ("BITFIELD", "bf", "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1"),
            ("BITFIELD", "bf", "SET", "u1", "3", "1", "SET", "i5", "13", "-3", "GET", "i5", "13", "GET", "u13", "3"),
            ("BITFIELD", "bf", "GET", "u64", "0"), ("BITFIELD", "bf", "GET", "i65", "0"), ("BITFIELD", "bf", "GET", "u0", "0"),
            ("BITFIELD", "bf", "GET", "x8", "0"), ("BITFIELD", "bf", "GET", "i8", "-1"), ("BITFIELD", "bf", "GET", "i8", "#-1"),
            ("BITFIELD", "bf", "GET", "i8"), ("BITFIELD", "bf", "SET", "i8", "0"), ("BITFIELD", "bf", "BOGUS"),
            ("BITFIELD", "bf", "OVERFLOW", "NOPE"), ("BITFIELD", "bf", "OVERFLOW"), ("BITFIELD", "bf"),
            ("BITFIELD", "bf", "SET", "i8", "0", "x"), ("BITFIELD", "bf", "GET", "", "0"), ("BITFIELD", "bf", "GET", "i", "0"),
            ("BITFIELD", "bf", "GET", "u8", "1000000"), ("BITFIELD", "nokey", "GET", "u8", "0"), ("EXISTS", "nokey"),
            ("BITFIELD", "nk2", "OVERFLOW", "FAIL", "SET", "u2", "0", "7"), ("GET", "nk2"),
            ("BITFIELD_RO", "bf", "GET", "u8", "0", "GET", "i4", "#3"), ("BITFIELD_RO", "bf", "SET", "u8", "0", "1"),
            ("BITFIELD_RO", "bf", "INCRBY", "u8", "0", "1"), ("BITFIELD_RO", "bf"), ("BITFIELD_RO", "nokey", "GET", "u8", "0"),
            ("SET", "s", "hi"), ("BITFIELD", "s", "GET", "u8", "0"), ("OBJECT", "ENCODING", "s"),
            ("BITFIELD", "s", "SET", "u8", "0", "104"), ("OBJECT", "ENCODING", "s"), ("GET", "s"),
            ("SET", "n", "5"), ("BITFIELD", "n", "GET", "u8", "0", "GET", "u16", "4"),
            ("GET", "bf"),
        ])
        rnd = random.Random(11)
        c.run("SET", "r", bytes(rnd.randrange(256) for _ in range(16)))
        for _ in range(300):
            sign = rnd.choice("iu")
            bits = rnd.randrange(1, 65 if sign == "i" else 64)
            off = rnd.randrange(0, 140)
            op = rnd.choice(["GET", "SET", "INCRBY"])
            ow = rnd.choice(["WRAP", "SAT", "FAIL"])
            val = rnd.choice([rnd.randrange(-300, 300), rnd.randrange(-(1 << 63), 1 << 63), 0, -1, 1])
            cmd = ["BITFIELD", "r", "OVERFLOW", ow, op, "%s%d" % (sign, bits), off]
            if op != "GET":
                cmd.append(val)
            c.run(*cmd)
        c.run("GET", "r")


def test_lcs_compat():
    with Server() as s, Compare(s) as c:
        c.run("MSET", "a", "ohmytext", "b", "mynewtext", "e", "", "n", "12345", "m", "2468")
        cases = [("LCS", "a", "b"), ("LCS", "a", "b", "LEN"), ("LCS", "a", "b", "IDX"),
                 ("LCS", "a", "b", "IDX", "MINMATCHLEN", "4"), ("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
                 ("LCS", "a", "b", "IDX", "WITHMATCHLEN"), ("LCS", "a", "b", "IDX", "MINMATCHLEN", "-3"),
                 ("LCS", "a", "b", "LEN", "IDX"), ("LCS", "a", "b", "MINMATCHLEN"), ("LCS", "a", "b", "MINMATCHLEN", "x"),
                 ("LCS", "a", "b", "FOO"), ("LCS", "a", "nokey"), ("LCS", "nokey", "nokey2", "IDX"),
                 ("LCS", "a", "e", "IDX"), ("LCS", "n", "m"), ("LCS", "n", "m", "IDX", "WITHMATCHLEN"),
                 ("LCS", "a", "a", "IDX", "WITHMATCHLEN"), ("LCS", "a", "b", "LEN", "WITHMATCHLEN")]
        c.run_all(cases)
        rnd = random.Random(3)
        for _ in range(60):
            x = "".join(rnd.choice("abc") for _ in range(rnd.randrange(0, 30)))
            y = "".join(rnd.choice("abc") for _ in range(rnd.randrange(0, 30)))
            c.run("MSET", "x", x, "y", y)
            c.run("LCS", "x", "y")
            c.run("LCS", "x", "y", "IDX", "WITHMATCHLEN")
            c.run("LCS", "x", "y", "IDX", "MINMATCHLEN", "2")


def test_resp3_replies_compat():
    """RESP3 shapes (LCS IDX is a map), compared through redis-cli -3."""
    import subprocess

    def cli3(port, *args):
        out = subprocess.run(["redis-cli", "-3", "-h", "127.0.0.1", "-p", str(port)] + list(args),
                             capture_output=True, timeout=30)
        return out.stdout

    with Server() as s, Compare(s) as c:
        c.run("MSET", "a", "ohmytext", "b", "mynewtext")
        for cmd in [("LCS", "a", "b", "IDX", "WITHMATCHLEN"), ("LCS", "a", "b", "IDX", "MINMATCHLEN", "3"),
                    ("LCS", "a", "b"), ("LCS", "a", "b", "LEN"), ("GETEX", "nokey"), ("BITFIELD", "a", "GET", "u8", "0"),
                    ("BITFIELD", "a", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9"), ("BITPOS", "a", "1")]:
            a, b = cli3(s.port, *cmd), cli3(c.ref.port, *cmd)
            assert a == b, (cmd, a, b)


def test_wrongtype_when_other_types_exist():
    """WRONGTYPE checks need a non-string key; they run once a type exists."""
    with Server() as s, Compare(s) as c:
        if c.both("LPUSH", "l", "x")[0] != 1 and c.both("SADD", "l", "x")[0] != 1:
            return
        c.run("DEL", "l")
        t_reply = c.both("LPUSH", "l", "x")
        if isinstance(t_reply[0], tuple):
            c.run("DEL", "l")
            c.run("SADD", "l", "x")
        for cmd in [("GET", "l"), ("SET", "l", "v", "GET"), ("GETSET", "l", "v2"), ("APPEND", "l", "x"),
                    ("INCR", "l"), ("INCRBYFLOAT", "l", "1"), ("SETRANGE", "l", "0", "x"), ("GETRANGE", "l", "0", "1"),
                    ("STRLEN", "l"), ("GETDEL", "l"), ("GETEX", "l"), ("SETBIT", "l", "0", "1"), ("GETBIT", "l", "0"),
                    ("BITCOUNT", "l"), ("BITPOS", "l", "1"), ("BITOP", "AND", "d", "l"), ("BITFIELD", "l", "GET", "u8", "0"),
                    ("BITFIELD_RO", "l", "GET", "u8", "0"), ("LCS", "l", "l"), ("MGET", "l")]:
            c.run(*cmd)


def test_incrbyfloat_effects_and_state():
    with Server() as s:
        r = s.client()
        r.set("f", "1.5", ex=100)
        assert r.incrbyfloat("f", "2.25") == 3.75
        assert 0 < r.ttl("f") <= 100        # INCRBYFLOAT keeps the TTL
        r.set("g", "abc")
        try:
            r.incrbyfloat("g", 1)
            assert False
        except redis.ResponseError as e:
            assert str(e) == "value is not a valid float"


def test_large_append_and_setrange():
    with Server() as s:
        r = s.client()
        big = os.urandom(200000)
        for i in range(0, len(big), 10000):
            r.append("k", big[i:i + 10000])
        assert r.get("k") == big
        r.setrange("k", 300000, b"end")
        v = r.get("k")
        assert len(v) == 300003 and v[:200000] == big and v[200000:300000] == b"\0" * 100000
        assert r.getrange("k", 199990, 200009) == big[199990:] + b"\0" * 10
        assert r.setbit("k", 300003 * 8 + 3, 1) == 0
        assert r.strlen("k") == 300004
        assert r.bitcount("k", 300003, 300003) == 1


if __name__ == "__main__":
    run(globals())
