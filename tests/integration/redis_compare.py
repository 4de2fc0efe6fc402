"""redis_compare.py -- run the same commands on tierdb and on Debian's
redis-server and compare the raw replies (RESP2 and RESP3).

Replies are parsed into tagged tuples so the comparison sees the exact
RESP types (bulk vs double vs set ...), not redis-py's interpretation.
Commands whose reply order is unspecified (hash-table sets, random
members) are compared after sorting, or only by shape.  Without
/usr/bin/redis-server the comparisons are skipped (the explicit asserts in
the tests still run)."""
import os

from harness import Server
from compat import RedisServer  # noqa: E402
from respsock import RespSock  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"


class Conn(RespSock):
    """Replies as tagged tuples that keep every element's RESP type."""

    def __init__(self, port, resp=2):
        super().__init__(port, timeout=10)
        if resp == 3:
            self.call("HELLO", "3")

    def read(self):
        return self.tagged()

    def call(self, *args):
        self.send_cmd(*args)
        return self.tagged()


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
