"""Durability from the log: replies wait for the journal, reads of dirty
keys wait for their write, the state survives a restart, and replaying the
journal rebuilds exactly the state the server had."""
import os
import socket
import sys
import time

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, run  # noqa: E402


def raw(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s, s.makefile("rb")


def test_read_of_dirty_key_waits_for_durability():
    # a slow journal: every sync takes 400 ms
    with Server(args=["--journal-test-delay-us", "400000"]) as s:
        w, wf = raw(s.port)
        r, rf = raw(s.port)
        r.sendall(b"PING\r\n")
        assert rf.readline() == b"+PONG\r\n"
        t0 = time.time()
        w.sendall(b"SET k newvalue\r\n")
        time.sleep(0.05)               # the write has executed in memory
        r.sendall(b"GET k\r\n")
        r.settimeout(5)
        hdr = rf.readline()
        t_read = time.time() - t0
        val = rf.readline()
        assert hdr == b"$8\r\n" and val == b"newvalue\r\n", (hdr, val)
        assert t_read >= 0.3, "read of a dirty key answered after %.3fs, before the write was durable" % t_read
        assert wf.readline() == b"+OK\r\n"
        # a clean key is answered at once even while the journal is slow
        w.sendall(b"SET other 1\r\n")
        t1 = time.time()
        r.sendall(b"GET unrelated\r\n")
        assert rf.readline() == b"$-1\r\n"
        assert time.time() - t1 < 0.3
        assert wf.readline() == b"+OK\r\n"


def test_replies_in_order_behind_held_write():
    with Server(args=["--journal-test-delay-us", "200000"]) as s:
        c, cf = raw(s.port)
        c.sendall(b"SET a 1\r\nPING\r\nGET zzz\r\n")
        assert cf.readline() == b"+OK\r\n"
        assert cf.readline() == b"+PONG\r\n"
        assert cf.readline() == b"$-1\r\n"


def journal_segments(s):
    d = os.path.join(s.dir, "journal")
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".jnl"))


def test_preallocation_follows_config_and_is_cut_on_restart():
    with Server() as s:
        r = s.client()
        for i in range(200):
            r.set("k%d" % i, "v" * 100)
        seg = journal_segments(s)[-1]
        deadline = time.time() + 10
        while os.path.getsize(seg) < 4 << 20 and time.time() < deadline:
            time.sleep(0.01)
        assert os.path.getsize(seg) >= 4 << 20, "the idle writer did not zero-fill ahead"
        assert r.config_get("journal-preallocate") == {"journal-preallocate": "yes"}
        s.kill()
        s.args = list(s.args) + ["--journal-preallocate", "no"]
        s.start()
        r = s.client()
        assert r.dbsize() == 200
        # the crashed segment was cut back to its entries (the zeros are not data)
        assert os.path.getsize(seg) < 200 * 200
        assert "bytes of zeros" in s.read_log()
        for i in range(200):
            r.set("n%d" % i, "v" * 100)
        time.sleep(0.2)
        newest = journal_segments(s)[-1]
        assert os.path.getsize(newest) < 200 * 200, "preallocated with journal-preallocate no"
        r.config_set("journal-preallocate", "yes")       # live
        r.set("x", "1")
        deadline = time.time() + 10
        while os.path.getsize(newest) < 4 << 20 and time.time() < deadline:
            time.sleep(0.01)
        assert os.path.getsize(newest) >= 4 << 20


def takes_o_direct(path):
    probe = os.path.join(path, ".odirect-probe")
    try:
        os.close(os.open(probe, os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o644))
        return True
    except OSError:
        return False
    finally:
        if os.path.exists(probe):
            os.unlink(probe)


def test_direct_io_follows_config_and_keeps_every_write():
    with Server() as s:
        r = s.client()
        want = 1 if takes_o_direct(s.dir) else 0
        assert r.info("journal")["journal_direct_io"] == want
        assert ("O_DIRECT|O_DSYNC writes" in s.read_log()) == bool(want)
        try:
            r.config_set("journal-direct-io", "no")
            raise AssertionError("journal-direct-io changed at run time")
        except redis.ResponseError as e:
            assert "immutable" in str(e) or "can't set" in str(e), str(e)
        for i in range(300):
            r.set("d%d" % i, "v" * (i % 50))
        s.kill()
        s.args = list(s.args) + ["--journal-direct-io", "no"]
        s.start()
        r = s.client()
        assert r.info("journal")["journal_direct_io"] == 0
        assert r.dbsize() == 300
        assert r.get("d299") == b"v" * 49
        r.set("after", "1")
        s.kill()
        s.args = [a for a in s.args if a not in ("--journal-direct-io", "no")]
        s.start()
        r = s.client()
        assert r.info("journal")["journal_direct_io"] == want
        assert r.dbsize() == 301


def dump(r):
    """Every key of every db with type, value and TTL presence."""
    out = {}
    for db in range(16):
        r.execute_command("SELECT", db)
        for k in r.keys("*"):
            t = r.type(k).decode()
            if t == "string":
                v = r.get(k)
            elif t == "list":
                v = r.lrange(k, 0, -1)
            elif t == "hash":
                v = sorted(r.hgetall(k).items())
            elif t == "set":
                v = sorted(r.smembers(k))
            elif t == "zset":
                v = r.zrange(k, 0, -1, withscores=True)
            else:
                v = None
            pttl = r.pttl(k)
            out[(db, k)] = (t, v, pttl > 0)
    r.execute_command("SELECT", 0)
    return out


def test_restart_replays_journal_to_same_state():
    with Server() as s:
        r = s.client()
        r.set("plain", "v")
        r.set("n", 10)
        r.incrby("n", 5)
        r.incrbyfloat("f", 1.5)
        r.append("plain", "-more")
        r.setrange("plain", 0, "V")
        r.set("ttl", "x", ex=1000)
        r.expire("plain", 5000)
        r.set("gone", "x", px=1)
        r.execute_command("SELECT", 3)
        r.set("in3", "three")
        r.execute_command("SELECT", 0)
        r.delete("nothing")
        r.mset({"m1": "a", "m2": "b"})
        r.getdel("m2")
        time.sleep(0.05)
        before = dump(r)
        d = s.dir
        s.kill()
        with Server(dir=d) as s2:
            after = dump(s2.client())
        assert before == after, (before, after)


if __name__ == "__main__":
    run(globals())
