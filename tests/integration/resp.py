"""resp.py -- a raw RESP connection for byte-exact reply checks, and a
reference redis-server (Debian's) to compare against when installed."""
import os

from compat import RedisServer  # noqa: E402
from respsock import RespSock, encode  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"


class Conn(RespSock):
    """Replies as their exact bytes; send() takes several commands at once,
    a str command being split on spaces."""

    def send(self, *cmds):
        self.s.sendall(b"".join(encode(c.split() if isinstance(c, str) else c) for c in cmds))

    def read(self):
        """One whole reply, raw bytes."""
        return self.raw()

    def call(self, *cmds):
        self.send(*cmds)
        return [self.read() for _ in cmds]


class RefServer(RedisServer):
    """Debian's redis-server on a free port (the shared launcher in
    compat.py)."""

    def __init__(self):
        super().__init__()

def have_ref():
    return os.access(REDIS_SERVER, os.X_OK)
