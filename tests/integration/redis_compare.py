"""redis_compare.py -- run the same commands on tierdb and on Debian's
redis-server and compare the raw replies (RESP2 and RESP3).

Replies are parsed into tagged tuples so the comparison sees the exact
RESP types (bulk vs double vs set ...), not redis-py's interpretation.
Commands whose reply order is unspecified (hash-table sets, random
members) are compared after sorting, or only by shape.  Without
/usr/bin/redis-server the comparisons are skipped (the explicit asserts in
the tests still run)."""
import os
import socket

from harness import Server
from compat import RedisServer  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, (int, float)):
            a = str(a)
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port, resp=2):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        if resp == 3:
            self.call("HELLO", "3")

    def close(self):
        self.s.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("closed")
            self.buf += d
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("closed")
            self.buf += d
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return ("status", rest)
        if t == b"-":
            return ("err", rest)
        if t == b":":
            return ("int", int(rest))
        if t == b",":
            return ("double", rest)
        if t == b"#":
            return ("bool", rest)
        if t == b"_":
            return ("null",)
        if t in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return ("nullbulk",)
            return ("bulk", self._exact(n))
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return ("nullarray",)
            kind = {b"*": "array", b"~": "set", b">": "push"}[t]
            return (kind, [self.read() for _ in range(n)])
        if t == b"%":
            n = int(rest)
            return ("map", [(self.read(), self.read()) for _ in range(n)])
        raise ValueError("bad reply %r" % line)

    def call(self, *args):
        self.s.sendall(encode(args))
        return self.read()


def normalize(r, mode):
    """mode: 'exact', 'sorted' (sort top-level and nested [key, list]
    element lists), 'shape' (types and lengths only)."""
    if mode == "exact":
        return r
    if mode == "sorted":
        if r[0] in ("array", "set"):
            items = [normalize(x, "sorted") for x in r[1]]
            return (r[0], sorted(items, key=repr))
        return r
    if mode == "shape":
        if r[0] in ("array", "set"):
            return (r[0], len(r[1]))
        if r[0] == "bulk":
            return ("bulk",)
        return r
    raise ValueError(mode)


class Pair:
    """tierdb and redis-server side by side."""

    def __init__(self, args=()):
        self.t = Server(args=list(args))
        self.rport = None
        self.rproc = None
        self.args = list(args)

    def __enter__(self):
        self.t.start()
        if os.path.exists(REDIS_SERVER):
            self.rproc = RedisServer(self.args).start()
            self.rport = self.rproc.port
        return self

    def __exit__(self, *exc):
        if self.rproc:
            self.rproc.stop()
        return self.t.__exit__(*exc)

    def check(self, script, resp=(2, 3)):
        """script: list of (mode, args...) tuples.  Runs the whole script on
        each server and protocol and asserts equal normalized replies;
        returns tierdb's RESP2 replies for further asserts."""
        first = None
        for proto in resp:
            tc = Conn(self.t.port, proto)
            rc = Conn(self.rport, proto) if self.rport else None
            tc.call("FLUSHALL")
            if rc:
                rc.call("FLUSHALL")
            replies = []
            for step in script:
                mode, args = step[0], step[1:]
                a = tc.call(*args)
                replies.append(a)
                if not rc:
                    continue
                b = rc.call(*args)
                if a[0] == "err" and b"unknown command" in a[1] and b[0] != "err":
                    continue        # a command another module provides (OBJECT...)
                na, nb = normalize(a, mode), normalize(b, mode)
                assert na == nb, "RESP%d %r:\n tierdb: %r\n redis:  %r" % (proto, args, na, nb)
            tc.close()
            if rc:
                rc.close()
            if first is None:
                first = replies
        return first
