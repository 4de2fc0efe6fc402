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


def catching(fn, *args):
    try:
        return fn(*args)
    except Exception as e:      # the error reply is the result
        return e


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


def test_client_unblock():
    """CLIENT UNBLOCK answers a blocked client as its timeout would, or with
    -UNBLOCKED, and its pipeline goes on; a push in the same transaction as
    the UNBLOCK does not serve it; a client that is not blocked gives 0."""
    import redis
    with Server() as s:
        a, b, w = s.client(), s.client(), s.client()
        aid, bid = a.client_id(), b.client_id()
        assert w.execute_command("CLIENT", "UNBLOCK", aid) == 0
        ta, ra = in_thread(a.blpop, ["u"], 0)
        tb, rb = in_thread(catching, b.bzpopmin, ["z"], 0)
        time.sleep(0.2)
        assert w.info("clients")["blocked_clients"] == 2
        p = w.pipeline(transaction=True)
        p.execute_command("CLIENT", "UNBLOCK", aid)
        p.execute_command("CLIENT", "UNBLOCK", aid)
        p.rpush("u", "x")
        assert p.execute() == [1, 0, 1]
        ta.join(5)
        assert not ta.is_alive() and ra["v"] is None
        assert w.lrange("u", 0, -1) == [b"x"]
        assert w.execute_command("CLIENT", "UNBLOCK", bid, "ERROR") == 1
        tb.join(5)
        assert not tb.is_alive()
        assert str(rb["v"]) == "UNBLOCKED client unblocked via CLIENT UNBLOCK", rb
        assert w.info("clients")["blocked_clients"] == 0
        # the unblocked clients read and run commands again
        assert a.ping() and b.ping()
        raw = socket.create_connection(("127.0.0.1", s.port))
        raw.sendall(b"BLPOP none 0\r\nPING\r\n")
        time.sleep(0.2)
        ids = [int(x.split()[0][3:]) for x in w.execute_command("CLIENT", "LIST").decode().splitlines()
               if "cmd=blpop" in x]
        assert len(ids) == 1
        assert w.execute_command("CLIENT", "UNBLOCK", ids[0], "ERROR") == 1
        buf = b""
        raw.settimeout(5)
        while buf.count(b"\r\n") < 2:
            buf += raw.recv(1024)
        assert buf == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n+PONG\r\n", buf
        raw.close()
        try:
            w.execute_command("CLIENT", "UNBLOCK", aid, "NOW")
            assert False
        except redis.ResponseError as e:
            assert str(e) == "CLIENT UNBLOCK reason should be TIMEOUT or ERROR"


if __name__ == "__main__":
    run(globals())
