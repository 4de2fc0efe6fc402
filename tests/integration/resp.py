"""resp.py -- a raw RESP connection for byte-exact reply checks, and a
reference redis-server (Debian's) to compare against when installed."""
import os
import socket

from compat import RedisServer  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"


class Conn:
    def __init__(self, port, timeout=5):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, *cmds):
        out = b""
        for c in cmds:
            args = c.split() if isinstance(c, str) else c
            out += b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def _line(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def _parse(self, pos):
        """End offset of the reply starting at pos."""
        e = self._line(pos)
        t = self.buf[pos:pos + 1]
        if t in b"+-:_,#(":
            return e + 2
        n = int(self.buf[pos + 1:e])
        if t in b"$=!":
            if n < 0:
                return e + 2
            while len(self.buf) < e + 2 + n + 2:
                self._fill()
            return e + 2 + n + 2
        if n < 0:
            return e + 2
        if t in b"%|":
            n *= 2
        p = e + 2
        for _ in range(n):
            p = self._parse(p)
        return p

    def read(self):
        """One whole reply, raw bytes."""
        end = self._parse(0)
        r, self.buf = self.buf[:end], self.buf[end:]
        return r

    def call(self, *cmds):
        self.send(*cmds)
        return [self.read() for _ in cmds]

    def pending(self, wait=0.05):
        """Whatever arrives within wait seconds."""
        self.s.settimeout(wait)
        try:
            while True:
                self._fill()
        except (socket.timeout, BlockingIOError):
            pass
        finally:
            self.s.settimeout(5)
        r, self.buf = self.buf, b""
        return r

    def close(self):
        self.s.close()


class RefServer(RedisServer):
    """Debian's redis-server on a free port (the shared launcher in
    compat.py)."""

    def __init__(self):
        super().__init__()

def have_ref():
    return os.access(REDIS_SERVER, os.X_OK)
