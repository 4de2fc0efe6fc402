"""Protocol and limits, over raw sockets: split writes, pipelines, broken
RESP (exact errors, compared with redis-server), size and count limits,
inline commands, RESP3 encodings, maxclients, timeout, unix sockets."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, run  # noqa: E402
from rawsock import Raw, RedisRef, cmd, have_redis, wait_up  # noqa: E402


def test_split_at_every_byte():
    with Server() as s:
        payload = cmd("SET", "key", "hello world") + cmd("GET", "key") + b"PING\r\n"
        for i in range(1, len(payload)):
            r = Raw(s.port)
            r.send(payload[:i])
            time.sleep(0.002)
            r.send(payload[i:])
            assert r.reply() == "OK", i
            assert r.reply() == b"hello world", i
            assert r.reply() == "PONG", i
            r.close()


def test_big_pipeline():
    with Server() as s:
        r = Raw(s.port)
        n = 20000
        r.send(b"".join(cmd("SET", "k%d" % i, "v%d" % i) for i in range(n)) +
               b"".join(cmd("GET", "k%d" % i) for i in range(n)))
        for i in range(n):
            assert r.reply() == "OK"
        for i in range(n):
            assert r.reply() == b"v%d" % i
        r.send(cmd("DBSIZE"))
        assert r.reply() == n


def test_big_argument_in_pieces():
    with Server() as s:
        r = Raw(s.port)
        v = os.urandom(3 << 20)
        data = cmd("SET", "big", v)
        for off in range(0, len(data), 65536 + 7):
            r.send(data[off:off + 65536 + 7])
        assert r.reply() == "OK"
        r.send(cmd("STRLEN", "big"))
        assert r.reply() == len(v)


BROKEN = [
    b"*abc\r\n",
    b"*1\r\nfoo\r\n",
    b"*1\r\n$-5\r\n",
    b"*1\r\n$abc\r\n",
    b"*3000000000\r\n",
    b'SET "a\r\n',
    b"SET 'a\r\n",
    b'SET "a"b c\r\n',
    b"*1\r\n$" + b"1" * 70000,
    b"*" + b"1" * 70000,
    b"x" * 70000,
]


def broken_replies(port):
    out = []
    for data in BROKEN:
        r = Raw(port)
        r.send(data)
        rep = r.reply()
        out.append((rep, r.closed()))
        r.close()
    return out


def test_broken_resp_errors_and_close():
    with Server() as s:
        mine = broken_replies(s.port)
        for (rep, closed), data in zip(mine, BROKEN):
            assert isinstance(rep, tuple) and rep[1].startswith("ERR Protocol error:"), (data[:20], rep)
            assert closed, data[:20]
        if have_redis():
            with RedisRef() as ref:
                theirs = broken_replies(ref.port)
            assert mine == theirs, list(zip(BROKEN, mine, theirs))


def test_unauthenticated_limits():
    s = Server(args=["--requirepass", "pw"], wait=False)
    with wait_up(s):
        r = Raw(s.port)
        r.send(b"*11\r\n")
        assert r.reply() == ("err", "ERR Protocol error: unauthenticated multibulk length")
        assert r.closed()
        r = Raw(s.port)
        r.send(b"*1\r\n$16385\r\n")
        assert r.reply() == ("err", "ERR Protocol error: unauthenticated bulk length")
        assert r.closed()
        r = Raw(s.port)
        r.send(cmd("AUTH", "pw") + b"*11\r\n" + b"$4\r\nPING\r\n" * 1 + b"$1\r\na\r\n" * 10)
        assert r.reply() == "OK"
        assert r.reply() == ("err", "ERR wrong number of arguments for 'ping' command")


def test_proto_max_bulk_len_runtime():
    with Server() as s:
        c = s.client()
        c.config_set("proto-max-bulk-len", "1mb")
        r = Raw(s.port)
        r.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (2 << 20))
        assert r.reply() == ("err", "ERR Protocol error: invalid bulk length")
        assert r.closed()
        r = Raw(s.port)
        r.send(cmd("SET", "k", b"x" * (1 << 20)))
        assert r.reply() == "OK"


def test_query_buffer_limit_closes_client():
    with Server() as s:
        c = s.client()
        c.config_set("client-query-buffer-limit", "1mb")
        r = Raw(s.port)
        r.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (4 << 20))
        try:
            for _ in range(40):
                r.send(b"x" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert r.closed()
        assert c.ping()
        # an inline request without newline hits the 64 KB inline limit first
        r = Raw(s.port)
        r.send(b"a" * 70000)
        assert r.reply() == ("err", "ERR Protocol error: too big inline request")


def test_output_buffer_limit_closes_client():
    with Server() as s:
        c = s.client()
        c.set("big", "x" * 100000)
        c.config_set("client-output-buffer-limit", "normal 1mb 0 0")
        r = Raw(s.port)
        r.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            for _ in range(10):
                r.send(cmd("GET", "big") * 50)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert r.closed(timeout=10)
        assert c.ping()
        # a client that reads is never closed
        assert len(c.get("big")) == 100000


def test_maxclients():
    s = Server(args=["--maxclients", "3"], wait=False)
    with wait_up(s):   # a raw probe: redis-py's probe connection lingers
        keep = [Raw(s.port) for _ in range(3)]
        for k in keep:
            k.send(b"PING\r\n")
            assert k.reply() == "PONG"
        extra = Raw(s.port)
        assert extra.reply() == ("err", "ERR max number of clients reached")
        assert extra.closed()
        keep[0].close()
        time.sleep(0.1)
        keep[1].send(cmd("INFO", "stats"))
        info = keep[1].reply().decode()
        assert "rejected_connections:1\r\n" in info


def test_idle_timeout():
    with Server(args=["--timeout", "1"]) as s:
        r = Raw(s.port)
        r.send(b"PING\r\n")
        assert r.reply() == "PONG"
        t0 = time.time()
        assert r.closed(timeout=5)
        assert time.time() - t0 < 4


def test_inline_commands():
    with Server() as s:
        r = Raw(s.port)
        r.send(b'SET k "a b\\x41\\n"\r\nGET k\nSET q \'it\\\'s\'\r\nGET q\r\n\r\n   \r\nPING\r\n')
        assert r.reply() == "OK"
        assert r.reply() == b"a bA\n"
        assert r.reply() == "OK"
        assert r.reply() == b"it's"
        assert r.reply() == "PONG"


def test_resp3_encodings():
    with Server() as s:
        r = Raw(s.port)
        r.send(cmd("HELLO", "3"))
        hello = r.reply()
        assert hello[b"proto"] == 3 and hello[b"server"] == b"redis" and hello[b"version"] == b"7.0.15"
        r.send(cmd("GET", "missing"))
        assert r.raw_reply_line() == b"_"
        r.send(cmd("CONFIG", "GET", "maxmemory"))
        assert r.raw_reply_line() == b"%1"
        assert r.reply() == b"maxmemory" and r.reply() == b"0"
        r.send(cmd("INFO", "server"))
        line = r.raw_reply_line()
        assert line.startswith(b"=")
        body = r.exact(int(line[1:]) + 2)
        assert body.startswith(b"txt:# Server")
        r.send(cmd("COMMAND", "INFO", "get"))
        assert r.raw_reply_line() == b"*1"
        assert r.raw_reply_line() == b"*10"
        r.reply(); r.reply()
        assert r.raw_reply_line() == b"~2"
        r.buf = b""
        r.send(cmd("HELLO", "2"))
        assert isinstance(r.reply(), list)
        r.send(cmd("GET", "missing"))
        assert r.raw_reply_line() == b"$-1"


def test_unix_socket():
    with Server(args=["--unixsocket", "/tmp/tierdb-test-%d.sock" % os.getpid(), "--unixsocketperm", "700"]) as s:
        path = "/tmp/tierdb-test-%d.sock" % os.getpid()
        r = Raw(path=path)
        r.send(cmd("CLIENT", "INFO"))
        info = r.reply().decode()
        assert "flags=U" in info and ("addr=%s:0" % path) in info, info
        assert oct(os.stat(path).st_mode & 0o777) == "0o700"
        r.send(b"PING\r\n")
        assert r.reply() == "PONG"
    assert not os.path.exists(path)


run(globals())
