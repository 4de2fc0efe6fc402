"""Blocking commands end to end: FIFO service of several waiting clients,
timeouts, wake-up by pushes from MULTI/EXEC, disconnects, and that what a
served pop did is what the journal replays."""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, run  # noqa: E402


def in_thread(fn, *args):
    out = {}

    def body():
        out["v"] = fn(*args)
    t = threading.Thread(target=body)
    t.start()
    return t, out


def test_blpop_fifo_and_timeout():
    with Server() as s:
        a, b, w = s.client(), s.client(), s.client()
        ta, ra = in_thread(a.blpop, ["q"], 5)
        time.sleep(0.15)
        tb, rb = in_thread(b.blpop, ["q"], 5)
        time.sleep(0.15)
        assert w.info("clients")["blocked_clients"] == 2
        w.rpush("q", "x1", "x2")
        ta.join(5)
        tb.join(5)
        assert ra["v"] == (b"q", b"x1") and rb["v"] == (b"q", b"x2")
        t0 = time.time()
        assert a.blpop(["empty"], timeout=0.3) is None
        assert 0.25 <= time.time() - t0 < 2


def test_blmove_and_bzpopmin_wake_from_exec():
    with Server() as s:
        a, b, w = s.client(), s.client(), s.client()
        ta, ra = in_thread(a.blmove, "src", "dst", 5, "LEFT", "RIGHT")
        tb, rb = in_thread(b.bzpopmin, ["z"], 5)
        time.sleep(0.2)
        p = w.pipeline(transaction=True)
        p.rpush("src", "v")
        p.zadd("z", {"m": 1.5})
        p.execute()
        ta.join(5)
        tb.join(5)
        assert ra["v"] == b"v"
        assert rb["v"] == (b"z", b"m", 1.5)
        assert w.lrange("dst", 0, -1) == [b"v"]


def test_disconnect_while_blocked_leaves_nothing():
    with Server() as s:
        sock = socket.create_connection(("127.0.0.1", s.port))
        sock.sendall(b"BLPOP gone 0\r\n")
        w = s.client()
        for _ in range(50):
            if w.info("clients")["blocked_clients"] == 1:
                break
            time.sleep(0.02)
        assert w.info("clients")["blocked_clients"] == 1
        sock.close()
        for _ in range(50):
            if w.info("clients")["blocked_clients"] == 0:
                break
            time.sleep(0.02)
        assert w.info("clients")["blocked_clients"] == 0
        w.rpush("gone", "x")
        assert w.lrange("gone", 0, -1) == [b"x"]


def test_served_pops_replay_from_journal():
    with Server() as s:
        a, w = s.client(), s.client()
        t, r = in_thread(a.brpop, ["j"], 5)
        time.sleep(0.15)
        w.rpush("j", "1", "2", "3")
        t.join(5)
        assert r["v"] == (b"j", b"3")
        w.sadd("s", "a", "b", "c")
        popped = w.spop("s")
        before = (w.lrange("j", 0, -1), sorted(w.smembers("s")))
        d = s.dir
        s.kill()
        with Server(dir=d) as s2:
            r2 = s2.client()
            after = (r2.lrange("j", 0, -1), sorted(r2.smembers("s")))
            assert before == after, (before, after)
            assert popped not in after[1]


if __name__ == "__main__":
    run(globals())
