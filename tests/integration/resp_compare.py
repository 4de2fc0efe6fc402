"""resp_compare.py -- helpers for data-type tests: a raw RESP client (to see
the exact bytes, RESP2 or RESP3) and a Debian redis-server to compare with.

The reference server is optional: tests that compare call reference() and
skip the comparison (saying so) when /usr/bin/redis-server is missing."""
import os
import socket

from compat import RedisServer  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"


class Raw:
    """A RESP connection returning each reply as its raw bytes."""

    def __init__(self, port, resp=2):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        if resp == 3:
            self.cmd("HELLO", "3")

    def close(self):
        self.s.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("closed")
            self.buf += d
        i = self.buf.index(b"\r\n")
        line, self.buf = self.buf[:i + 2], self.buf[i + 2:]
        return line

    def _n(self, k):
        while len(self.buf) < k:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("closed")
            self.buf += d
        r, self.buf = self.buf[:k], self.buf[k:]
        return r

    def reply(self):
        line = self._line()
        t = line[:1]
        if t in b"$=!":
            k = int(line[1:-2])
            return line if k < 0 else line + self._n(k + 2)
        if t in b"*~>%|":
            k = int(line[1:-2])
            if t in b"%|":
                k *= 2
            return line + b"".join(self.reply() for _ in range(max(k, 0)))
        return line

    def cmd(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))
        return self.reply()


class Reference(RedisServer):
    """Debian's redis-server on a free port, no persistence, started at once
    (the shared launcher in compat.py)."""

    def __init__(self):
        super().__init__()
        self.start()

    def __enter__(self):
        return self

def reference():
    if not os.access(REDIS_SERVER, os.X_OK):
        print("  (no %s: comparison skipped)" % REDIS_SERVER)
        return None
    return Reference()


def compare(tier_port, ref_port, script, resp=2):
    """Run each command line of script (lists of args) on both servers and
    return the list of differences (command, redis bytes, tierdb bytes)."""
    a, b = Raw(ref_port, resp), Raw(tier_port, resp)
    diffs = []
    try:
        for args in script:
            ra, rb = a.cmd(*args), b.cmd(*args)
            if ra != rb:
                diffs.append((args, ra[:200], rb[:200]))
    finally:
        a.close()
        b.close()
    return diffs
