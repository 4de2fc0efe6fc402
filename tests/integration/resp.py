"""resp.py -- a raw RESP connection for byte-exact reply checks, and a
reference redis-server (Debian's) to compare against when installed."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from harness import free_port

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


class RefServer:
    """Debian's redis-server on a free port, or None if not installed."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="tierdb-ref-")
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def __exit__(self, *a):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def have_ref():
    return os.access(REDIS_SERVER, os.X_OK)
