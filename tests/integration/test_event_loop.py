"""The event loop's request path: busy polling (busy-poll-us) changes only
when the loop sleeps, never what clients get, and an idle server does not
spin; replies of one span (write) and of many (writev) arrive whole."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from harness import Server, run  # noqa: E402


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])    # utime + stime


def test_busy_poll_config():
    with Server() as s:
        r = s.client()
        assert r.config_get("busy-poll-us") == {"busy-poll-us": "10"}
        assert r.config_set("busy-poll-us", 0) is True
        assert r.config_get("busy-poll-us") == {"busy-poll-us": "0"}
        for bad in ("-1", "100001", "x"):
            try:
                r.config_set("busy-poll-us", bad)
                raise AssertionError("accepted busy-poll-us " + bad)
            except redis.ResponseError:
                pass
        assert r.config_get("busy-poll-us") == {"busy-poll-us": "0"}
    with Server(args=["--busy-poll-us", "250"]) as s:
        assert s.client().config_get("busy-poll-us") == {"busy-poll-us": "250"}


def pipeline_roundtrip(r):
    p = r.pipeline(transaction=False)
    for i in range(2000):
        p.set("k%d" % i, "v%d" % i)
        p.get("k%d" % i)
        p.incr("n")
    out = p.execute()
    for i in range(2000):
        assert out[3 * i] is True
        assert out[3 * i + 1] == ("v%d" % i).encode()
        assert out[3 * i + 2] == i + 1


def test_replies_same_with_and_without_busy_poll():
    for us in ("0", "10", "1000"):
        with Server(args=["--busy-poll-us", us]) as s:
            r = s.client()
            pipeline_roundtrip(r)
            # one request at a time: every reply is one span
            for i in range(300):
                assert r.get("k%d" % i) == ("v%d" % i).encode()


def test_idle_server_does_not_spin():
    with Server(args=["--busy-poll-us", "20000"]) as s:
        r = s.client()
        pipeline_roundtrip(r)
        time.sleep(0.3)     # the last poll (at most 20 ms) ends
        before = cpu_ticks(s.proc.pid)
        time.sleep(1.0)
        used = cpu_ticks(s.proc.pid) - before
        # a spinning loop would use ~100 ticks in this second; cron costs about nothing
        assert used <= 5, used


def test_large_reply_and_raw_socket():
    with Server() as s:
        r = s.client()
        big = os.urandom(3 * 1024 * 1024)
        r.set("big", big)
        assert r.get("big") == big
        # a reply spread over the reply buffer and chunks, read slowly
        sock = socket.create_connection(("127.0.0.1", s.port))
        sock.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n*1\r\n$4\r\nPING\r\n")
        want = b"$%d\r\n" % len(big) + big + b"\r\n+PONG\r\n"
        got = b""
        while len(got) < len(want):
            chunk = sock.recv(65536)
            assert chunk, "connection closed early"
            got += chunk
            time.sleep(0.001)
        assert got == want
        sock.close()


def test_pipeline_of_big_requests_is_read_in_big_reads():
    # 256 SETs of 4 KB (about 1 MB) queued behind a DEBUG SLEEP, so all of it
    # waits in the socket when the server reads again.  Reads of at most
    # 16 KB would need at least 64 of them; growing reads need far fewer.
    with Server(args=["--durability", "none"]) as s:
        r = s.client()
        reads0 = int(r.info("stats")["total_reads_processed"])
        value = b"v" * 4096
        one = b"*3\r\n$3\r\nSET\r\n$4\r\nkey1\r\n$4096\r\n" + value + b"\r\n"
        payload = b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.5\r\n" + one * 256
        sock = socket.create_connection(("127.0.0.1", s.port))
        sock.sendall(payload)
        want = b"+OK\r\n" * 257
        got = b""
        sock.settimeout(10)
        while len(got) < len(want):
            chunk = sock.recv(65536)
            assert chunk, "connection closed early"
            got += chunk
        assert got == want
        sock.close()
        reads = int(r.info("stats")["total_reads_processed"]) - reads0
        # the INFO call itself is one read; the payload took the rest
        assert 2 <= reads <= 30, reads
        assert int(r.info("stats")["total_writes_processed"]) > 0


if __name__ == "__main__":
    run(globals())
