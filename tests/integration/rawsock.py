"""rawsock.py -- raw-socket helpers for protocol tests, and a reference
redis-server to compare replies with."""
import os
import shutil
import socket
import time

from compat import RedisServer  # noqa: E402


class Raw:
    def __init__(self, port=None, path=None, timeout=5):
        if path:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(path)
        else:
            self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        d = self.s.recv(1 << 16)
        if not d:
            raise EOFError("closed")
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def reply(self):
        """One RESP2/RESP3 reply as raw-ish Python values; errors as ('err', text)."""
        l = self.line()
        t, rest = l[:1], l[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return ("err", rest.decode())
        if t in (b":",):
            return int(rest)
        if t in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return None
            d = self.exact(n + 2)[:-2]
            return d
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return None
            return [self.reply() for _ in range(n)]
        if t == b"%":
            n = int(rest)
            return {self._key(self.reply()): self.reply() for _ in range(n)}
        if t == b"_":
            return None
        if t == b",":
            return float(rest)
        if t == b"#":
            return rest == b"t"
        raise ValueError("bad reply type %r" % l)

    @staticmethod
    def _key(k):
        return k if not isinstance(k, list) else tuple(k)

    def raw_reply_line(self):
        return self.line()

    def closed(self, timeout=5):
        """True if the server closes the connection (after any pending data)."""
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(1 << 16)
                if not d:
                    return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.s.close()


def cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RedisRef(RedisServer):
    """Debian's redis-server on a free port, for side-by-side replies (the
    shared launcher in compat.py)."""

def have_redis():
    return shutil.which("redis-server") is not None and os.environ.get("TIERDB_NO_REF") != "1"


def wait_up(s, password=None, timeout=20):
    """Start a Server created with wait=False and wait until it answers
    (also when it requires a password)."""
    s.start()
    s.start = lambda: s   # the "with" block must not start it again
    deadline = time.time() + timeout
    while time.time() < deadline:
        if s.proc.poll() is not None:
            raise RuntimeError("server exited:\n" + s.read_log())
        try:
            r = Raw(s.port, timeout=2)
            r.send(b"PING\r\n")
            rep = r.reply()
            r.close()
            if rep == "PONG" or (isinstance(rep, tuple) and rep[1].startswith("NOAUTH")):
                time.sleep(0.05)   # let the probe connection go away
                return s
        except (OSError, EOFError):
            pass
        time.sleep(0.05)
    raise RuntimeError("server did not start:\n" + s.read_log())
