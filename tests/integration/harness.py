"""harness.py -- start tierdb-server on a free loopback port for a test.

Every end-to-end test imports this.  The server binary comes from
$TIERDB_SERVER (set by `make check`), else ./tierdb-server.  Each server gets
its own temporary directory, which is removed afterwards unless the test
failed and TIERDB_KEEP=1.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("TIERDB_SRCDIR", os.path.abspath(os.path.join(HERE, "..", "..")))
SERVER = os.environ.get("TIERDB_SERVER", os.path.join(SRCDIR, "tierdb-server"))


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A tierdb-server process.  Use as a context manager."""

    def __init__(self, args=(), conf=None, binary=None, wait=True, dir=None):
        self.port = free_port()
        self.owns_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="tierdb-test-")
        self.binary = binary or SERVER
        self.conf = conf
        self.args = list(args)
        self.proc = None
        self.log = os.path.join(self.dir, "server.log")
        self.wait = wait

    def cmdline(self):
        cmd = [self.binary]
        if self.conf:
            cmd.append(self.conf)
        cmd += ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
        cmd += self.args
        return cmd

    def start(self):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.cmdline(), stdout=self.logf, stderr=subprocess.STDOUT)
        if self.wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s:\n%s" % (self.proc.returncode, self.read_log()))
            try:
                r = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)
                r.ping()
                r.close()
                return
            except redis.exceptions.BusyLoadingError:
                pass
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                pass
            except redis.exceptions.ResponseError as e:
                if "NOAUTH" in str(e) or "LOADING" in str(e):
                    if "LOADING" in str(e):
                        time.sleep(0.05)
                        continue
                    return
                raise
            time.sleep(0.05)
        raise RuntimeError("server did not become ready:\n" + self.read_log())

    def read_log(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def client(self, **kw):
        kw.setdefault("socket_timeout", 10)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def cli(self, *args, input=None, extra=()):
        """Run redis-cli against the server; returns stdout as text."""
        cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port)] + list(extra) + [str(a) for a in args]
        out = subprocess.run(cmd, input=input, capture_output=True, timeout=60)
        return out.stdout.decode("utf-8", "replace")

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "logf", None):
            self.logf.close()

    def cleanup(self):
        if self.owns_dir and os.environ.get("TIERDB_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, et, ev, tb):
        crashed = self.proc is not None and self.proc.poll() is not None and self.proc.returncode not in (0, -15, -9)
        self.stop()
        if crashed:
            sys.stderr.write("server crashed (rc=%s); log:\n%s\n" % (self.proc.returncode, self.read_log()))
        if et is None and not crashed:
            self.cleanup()
        elif et is not None:
            sys.stderr.write("server log (%s):\n%s\n" % (self.log, self.read_log()[-4000:]))
        if crashed and et is None:
            raise AssertionError("server crashed with rc=%s" % self.proc.returncode)
        return False


class Runner:
    """Tiny test runner: collects test_* functions, prints one line each and
    a closing 'N passed, N failed' line; exit status 1 on any failure."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, module_globals):
        import traceback
        only = os.environ.get("TEST_ONLY")
        names = sorted(n for n, f in module_globals.items() if n.startswith("test_") and callable(f))
        for n in names:
            if only and only not in n:
                continue
            t0 = time.time()
            try:
                module_globals[n]()
                self.passed += 1
                print("PASS %s (%.2fs)" % (n, time.time() - t0), flush=True)
            except Exception:
                self.failed += 1
                print("FAIL %s" % n, flush=True)
                traceback.print_exc()
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)


def raises(fn, text):
    """fn() must fail with a server error whose text contains `text`."""
    try:
        fn()
    except redis.exceptions.ResponseError as e:
        assert text in str(e), "%r does not contain %r" % (str(e), text)
        return
    raise AssertionError("no error, expected %r" % text)


def run(module_globals):
    Runner().run(module_globals)
