"""rawsock.py -- raw-socket helpers for protocol tests, and a reference
redis-server to compare replies with."""
import os
import shutil
import socket
import time

from compat import RedisServer  # noqa: E402
from respsock import RespSock, encode  # noqa: E402


class Raw(RespSock):
    """Replies as Python values (rawsock's historical view)."""

    def __init__(self, port=None, path=None, timeout=5):
        super().__init__(port, path, timeout, nodelay=True)

    def reply(self):
        """One RESP2/RESP3 reply as raw-ish Python values; errors as ('err', text)."""
        return self.value()

    def raw_reply_line(self):
        return self.line()


def cmd(*args):
    return encode(args)


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
