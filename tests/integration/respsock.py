"""respsock.py -- one raw RESP connection for every test that needs to see
the bytes a server sends, not redis-py's reading of them.

    c = RespSock(port)              # or RespSock(path="/tmp/s.sock")
    c.send_cmd("SET", "k", "v")     # one command, RESP-encoded
    c.raw()                         # b"+OK\\r\\n": one whole reply, bytes
    c.value()                       # the next reply as Python values
    c.tagged()                      # the next reply as ("bulk", b"...") tuples

raw() keeps the exact bytes (byte-exact comparisons with redis-server);
value() turns a reply into str/int/bytes/list/dict/None, errors into
("err", text); tagged() keeps RESP's type of every element, so a RESP3
double and a bulk string do not compare equal.  The modules rawsock.py,
resp.py, resp_compare.py and redis_compare.py are thin views of this class
with the names their tests use.
"""
import socket


def encode(args):
    """A command as a RESP array of bulk strings; str, int and float args
    are sent as their text."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespSock:
    def __init__(self, port=None, path=None, timeout=5, nodelay=False):
        if path:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(path)
        else:
            self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            if nodelay:
                self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""

    # ---- bytes in and out -------------------------------------------------

    def send(self, data):
        self.s.sendall(data)

    def send_cmd(self, *args):
        self.s.sendall(encode(args))

    def _fill(self):
        d = self.s.recv(1 << 16)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def line(self):
        """The next line, without its CRLF."""
        while b"\r\n" not in self.buf:
            self._fill()
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def exact(self, n):
        """The next n bytes."""
        while len(self.buf) < n:
            self._fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    # ---- one reply --------------------------------------------------------

    def _end(self, pos):
        """Offset just past the reply that starts at pos, reading as needed."""
        while True:
            e = self.buf.find(b"\r\n", pos)
            if e >= 0:
                break
            self._fill()
        t = self.buf[pos:pos + 1]
        if t in b"+-:_,#(":
            return e + 2
        n = int(self.buf[pos + 1:e])
        if n < 0:
            return e + 2
        if t in b"$=!":
            while len(self.buf) < e + 2 + n + 2:
                self._fill()
            return e + 2 + n + 2
        if t in b"%|":
            n *= 2
        p = e + 2
        for _ in range(n):
            p = self._end(p)
        return p

    def raw(self):
        """One whole reply, its exact bytes."""
        end = self._end(0)
        r, self.buf = self.buf[:end], self.buf[end:]
        return r

    def value(self):
        l = self.line()
        t, rest = l[:1], l[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return ("err", rest.decode())
        if t == b":":
            return int(rest)
        if t in (b"$", b"="):
            n = int(rest)
            return None if n < 0 else self.exact(n + 2)[:-2]
        if t in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self.value() for _ in range(n)]
        if t == b"%":
            n = int(rest)
            return {_hashable(self.value()): self.value() for _ in range(n)}
        if t == b"_":
            return None
        if t == b",":
            return float(rest)
        if t == b"#":
            return rest == b"t"
        raise ValueError("bad reply type %r" % l)

    def tagged(self):
        l = self.line()
        t, rest = l[:1], l[1:]
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
            return ("nullbulk",) if n < 0 else ("bulk", self.exact(n + 2)[:-2])
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return ("nullarray",)
            kind = {b"*": "array", b"~": "set", b">": "push"}[t]
            return (kind, [self.tagged() for _ in range(n)])
        if t == b"%":
            n = int(rest)
            return ("map", [(self.tagged(), self.tagged()) for _ in range(n)])
        raise ValueError("bad reply %r" % l)

    # ---- the connection ---------------------------------------------------

    def pending(self, wait=0.05):
        """Whatever arrives within wait seconds (and anything buffered)."""
        self.s.settimeout(wait)
        try:
            while True:
                self._fill()
        except (socket.timeout, BlockingIOError):
            pass
        finally:
            self.s.settimeout(self.timeout)
        r, self.buf = self.buf, b""
        return r

    def closed(self, timeout=5):
        """True if the server closes the connection (after any pending data)."""
        self.s.settimeout(timeout)
        try:
            while True:
                if not self.s.recv(1 << 16):
                    return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.s.close()


def _hashable(k):
    return tuple(k) if isinstance(k, list) else k
