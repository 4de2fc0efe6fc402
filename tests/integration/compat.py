"""compat.py -- run the same commands against tierdb and Debian's redis-server
and compare replies, error text included.

    from compat import RedisServer, raw_client, Compare

    with RedisServer() as ref:          # redis-server on a free loopback port
        r = ref.client()                # redis-py client (ordinary replies)

    with Server() as s, Compare(s) as cmp:
        cmp.run("SET", "k", "v")        # asserts identical replies, returns it
        cmp.run_all([("GET", "k"), ("STRLEN", "k")])
        cmp.same("OBJECT", "ENCODING", "k")   # alias of run

Replies are compared raw: redis-py's per-command parsing is switched off, an
error becomes ("error", "<text>").  A mismatch raises AssertionError naming
the command and both replies.  The reference server is started with no
persistence and is killed and its directory removed on exit.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

import redis

REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")


def _free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def have_redis():
    return os.access(REDIS_SERVER, os.X_OK)


def raw_client(port, **kw):
    """A redis-py client that returns replies unparsed (bytes, lists, ints)."""
    kw.setdefault("socket_timeout", 10)
    r = redis.Redis(host="127.0.0.1", port=port, **kw)
    r.response_callbacks.clear()
    return r


class RedisServer:
    """A reference redis-server process.  Use as a context manager."""

    def __init__(self, args=()):
        self.args = list(args)
        self.port = None
        self.proc = None
        self.dir = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="tierdb-ref-")
        last = None
        for _ in range(5):   # a free port can be taken between probe and bind
            self.port = _free_port()
            cmd = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", self.dir, "--daemonize", "no"] + self.args
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 10
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
                    c.ping()
                    c.close()
                    return self
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as e:
                    last = e
                    time.sleep(0.02)
            self._kill()
        raise RuntimeError("redis-server did not start: %s" % last)

    def client(self, **kw):
        kw.setdefault("socket_timeout", 10)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def raw(self, **kw):
        return raw_client(self.port, **kw)

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self):
        self._kill()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def call(r, *args):
    try:
        return r.execute_command(*args)
    except redis.ResponseError as e:
        return ("error", str(e))


class Compare:
    """Runs commands on a tierdb Server (harness.Server) and a reference
    redis-server and asserts the replies are identical."""

    def __init__(self, server, ref_args=(), sort_arrays=False):
        self.server = server
        self.ref = RedisServer(ref_args)
        self.sort_arrays = sort_arrays

    def __enter__(self):
        self.ref.start()
        self.t = raw_client(self.server.port)
        self.r = self.ref.raw()
        return self

    def __exit__(self, *exc):
        self.ref.stop()
        return False

    def both(self, *args):
        """(tierdb reply, redis reply) without asserting."""
        return call(self.t, *args), call(self.r, *args)

    def run(self, *args, unordered=False):
        a, b = self.both(*args)
        if unordered or self.sort_arrays:
            a, b = _sorted(a), _sorted(b)
        assert a == b, "%r:\n  tierdb: %r\n  redis:  %r" % (args, a, b)
        return a

    same = run

    def run_all(self, cmds, unordered=False):
        return [self.run(*c, unordered=unordered) for c in cmds]


def _sorted(v):
    if isinstance(v, list):
        return sorted((_sorted(x) for x in v), key=repr)
    return v
