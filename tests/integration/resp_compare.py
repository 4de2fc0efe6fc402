"""resp_compare.py -- helpers for data-type tests: a raw RESP client (to see
the exact bytes, RESP2 or RESP3) and a Debian redis-server to compare with.

The reference server is optional: tests that compare call reference() and
skip the comparison (saying so) when /usr/bin/redis-server is missing."""
import os

from compat import RedisServer  # noqa: E402
from respsock import RespSock  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"


class Raw(RespSock):
    """A RESP connection returning each reply as its raw bytes."""

    def __init__(self, port, resp=2):
        super().__init__(port, timeout=10)
        if resp == 3:
            self.cmd("HELLO", "3")

    def reply(self):
        return self.raw()

    def cmd(self, *args):
        self.send_cmd(*args)
        return self.raw()


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
