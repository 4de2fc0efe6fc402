"""test_rdb.py -- RDB snapshots end to end: interop with Debian's redis-server
and redis-check-rdb both ways, DUMP/RESTORE across servers, BGSAVE
consistency under concurrent writes, kill -9 during BGSAVE, recovery from
snapshot + journal, and a corrupt snapshot stopping start-up."""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, free_port, run  # noqa: E402

import redis  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"
CHECK_RDB = "/usr/bin/redis-check-rdb"


class Redis:
    """Debian's redis-server in a directory we own (so it can load a file)."""

    def __init__(self, d, args=()):
        self.dir = d
        self.args = list(args)

    def __enter__(self):
        self.port = free_port()
        self.proc = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--dir", self.dir, "--save", "", "--appendonly", "no"] + self.args,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                c = self.client()
                c.ping()
                return self
            except (redis.ConnectionError, redis.BusyLoadingError):
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def client(self, db=0):
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=10)

    def __exit__(self, *a):
        self.proc.kill()
        self.proc.wait()


def dataset():
    """(db, key) -> (value, ttl ms or None): ints, short, long compressible,
    long incompressible, with and without TTLs, in several databases."""
    rnd = random.Random(7)
    data = {}
    for dbn in (0, 1, 5):
        for i in range(60):
            k = ("key:%d:%d" % (dbn, i)).encode()
            kind = i % 6
            if kind == 0:
                v = str(rnd.choice([0, -1, 127, -128, 1000, -32768, 70000, -2147483648, 2147483648,
                                    9223372036854775807, rnd.randint(-10**12, 10**12)])).encode()
            elif kind == 1:
                v = ("short%d" % i).encode()
            elif kind == 2:
                v = ("compressible-%d-" % i).encode() * 200
            elif kind == 3:
                v = bytes(rnd.getrandbits(8) for _ in range(3000))
            elif kind == 4:
                v = b"007"   # integer-looking but not canonical
            else:
                v = b""
            ttl = 3600_000 + i * 1000 if i % 4 == 0 else None
            data[(dbn, k)] = (v, ttl)
    return data


def load(clients, data):
    for (dbn, k), (v, ttl) in data.items():
        clients(dbn).set(k, v, px=ttl)


def check(clients, data):
    for (dbn, k), (v, ttl) in data.items():
        c = clients(dbn)
        assert c.get(k) == v, (dbn, k, c.get(k)[:40] if c.get(k) else None, v[:40])
        pttl = c.pttl(k)
        if ttl is None:
            assert pttl == -1, (k, pttl)
        else:
            assert ttl - 60_000 < pttl <= ttl, (k, pttl, ttl)
    for dbn in {d for d, _ in data}:
        assert clients(dbn).dbsize() == sum(1 for d, _ in data if d == dbn)


def redis_check(path):
    out = subprocess.run([CHECK_RDB, path], capture_output=True, timeout=60)
    text = out.stdout.decode() + out.stderr.decode()
    assert out.returncode == 0 and "RDB looks OK" in text, text
    return text


def test_tierdb_save_redis_loads():
    data = dataset()
    for comp in ("yes", "no"):
        with Server(args=["--rdbcompression", comp]) as s:
            load(lambda n: s.client(db=n), data)
            assert s.client().save() is True
            path = os.path.join(s.dir, "dump.rdb")
            text = redis_check(path)
            assert "tierdb-seq" in text
            d = tempfile.mkdtemp(prefix="tierdb-rdb-")
            try:
                shutil.copy(path, os.path.join(d, "dump.rdb"))
                with Redis(d) as r:
                    check(r.client, data)
            finally:
                shutil.rmtree(d, ignore_errors=True)


def test_redis_save_tierdb_loads():
    data = dataset()
    for comp in ("yes", "no"):
        d = tempfile.mkdtemp(prefix="tierdb-rdb-")
        try:
            with Redis(d, ["--rdbcompression", comp]) as r:
                load(r.client, data)
                r.client().save()
            with Server(dir=d, args=["--durability", "none"]) as s:
                check(lambda n: s.client(db=n), data)
        finally:
            shutil.rmtree(d, ignore_errors=True)


def test_dump_restore_both_ways():
    data = dataset()
    d = tempfile.mkdtemp(prefix="tierdb-rdb-")
    try:
        with Redis(d) as r, Server() as s:
            rc, tc = r.client(), s.client()
            for (dbn, k), (v, ttl) in data.items():
                rc.set(k, v)
                payload = rc.dump(k)
                assert tc.dump(k) is None or True
                tc.restore(k, ttl or 0, payload, replace=True)
                assert tc.get(k) == v
                if ttl:
                    assert 0 < tc.pttl(k) <= ttl
                # and back: tierdb's payload restored into redis
                back = tc.dump(k)
                rc.restore(k + b":back", 0, back)
                assert rc.get(k + b":back") == v
                assert back == payload or len(back) > 0
            # errors as Redis
            tc.set("x", "1")
            for cl in (rc, tc):
                cl.set("x", "1")
                for args, msg in ((("x", 0, payload), "BUSYKEY Target key name already exists."),
                                  (("y", -1, payload), "Invalid TTL value, must be >= 0"),
                                  (("y", 0, b"garbage-payload"), "DUMP payload version or checksum are wrong")):
                    try:
                        cl.execute_command("RESTORE", *args)
                        raise AssertionError("no error")
                    except redis.ResponseError as e:
                        assert msg in str(e), (str(e), msg)
            # ABSTTL in the past: key absent; IDLETIME/FREQ accepted
            tc.execute_command("RESTORE", "p", 1, payload, "ABSTTL")
            assert tc.exists("p") == 0
            assert tc.execute_command("RESTORE", "q", 0, payload, "IDLETIME", 100) == b"OK"
            assert tc.execute_command("RESTORE", "q2", 0, payload, "FREQ", 5) == b"OK"
    finally:
        shutil.rmtree(d, ignore_errors=True)


def wait_file(path, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            return
        time.sleep(0.02)
    raise AssertionError("%s not written" % path)


def raw_send(port, payload):
    """Send several commands in one write so they run back to back."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(payload)
    return s


def test_bgsave_is_the_fork_state_under_writes():
    with Server() as s:
        c = s.client()
        keys = []
        for i in range(120):
            k = "big%d" % i
            c.set(k, os.urandom(8) * (32768 if i % 2 else 8))   # 256 KiB and 64 B values
            keys.append(k)
        stop = threading.Event()

        def writer():
            w = s.client()
            n = 0
            while not stop.is_set():
                k = keys[n % len(keys)]
                if n % 3 == 0:
                    w.delete(k)
                else:
                    w.set(k, os.urandom(8) * (32768 if n % 2 else 8))
                n += 1

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(0.2)
        path = os.path.join(s.dir, "dump.rdb")
        # BGSAVE and a read of every key in one write: nothing runs between them
        cmd = b"*1\r\n$6\r\nBGSAVE\r\n" + b"*%d\r\n$4\r\nMGET\r\n" % (len(keys) + 1) + b"".join(
            b"$%d\r\n%s\r\n" % (len(k), k.encode()) for k in keys)
        sock = raw_send(s.port, cmd)
        f = sock.makefile("rb")
        assert f.readline() == b"+Background saving started\r\n"
        assert f.readline() == b"*%d\r\n" % len(keys)
        at_fork = {}
        for k in keys:
            line = f.readline()
            if line == b"$-1\r\n":
                continue
            n = int(line[1:-2])
            at_fork[k.encode()] = f.read(n + 2)[:-2]
        sock.close()
        wait_file(path)
        stop.set()
        t.join()
        d = tempfile.mkdtemp(prefix="tierdb-rdb-")
        shutil.copy(path, os.path.join(d, "dump.rdb"))
    try:
        with Redis(d) as r:
            rc = r.client()
            got = {k: rc.get(k) for k in rc.keys("*")}
        assert got == at_fork, (len(got), len(at_fork))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_kill9_during_bgsave_and_recovery():
    d = tempfile.mkdtemp(prefix="tierdb-rdb-")
    try:
        s = Server(dir=d)
        s.start()
        c = s.client()
        for i in range(200):
            c.set("a%d" % i, "x" * 100000)          # ~20 MB: the child takes a while
        c.save()
        first = os.path.getmtime(os.path.join(d, "dump.rdb"))
        c.set("after-save", "1")
        c.incr("counter")
        # kill the child mid-write: the previous snapshot stays, status err
        c.bgsave()
        pid = None
        for _ in range(200):
            for line in s.read_log().splitlines():
                if "Background saving started by pid" in line:
                    pid = int(line.split("by pid ")[1].split()[0])
            if pid:
                break
            time.sleep(0.01)
        assert pid
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        tail = ""
        for _ in range(500):
            tail = s.read_log().split("by pid %d" % pid)[-1]
            if "terminated" in tail or "Background saving error" in tail:
                break
            time.sleep(0.02)
        if "terminated by signal 9" in tail:
            assert os.path.getmtime(os.path.join(d, "dump.rdb")) == first
            assert not [f for f in os.listdir(d) if f.startswith("temp-")]
        redis_check(os.path.join(d, "dump.rdb"))
        # kill the server itself during another BGSAVE
        c.set("before-kill", "2")
        c.bgsave()
        s.kill(signal.SIGKILL)
        s.stop()
        time.sleep(0.3)     # the orphaned child may still be writing its temp file
        redis_check(os.path.join(d, "dump.rdb"))
        s2 = Server(dir=d)
        s2.start()
        c2 = s2.client()
        assert c2.get("after-save") == b"1"
        assert c2.get("before-kill") == b"2"
        assert c2.get("counter") == b"1"
        assert c2.dbsize() == 203
        assert "covers journal seq" in s2.read_log()
        s2.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_snapshot_trims_journal_and_replays_after():
    d = tempfile.mkdtemp(prefix="tierdb-rdb-")
    try:
        with Server(dir=d, args=["--journal-segment-size", "65536"]) as s:
            c = s.client()
            for i in range(300):
                c.set("k%d" % i, "v" * 1000)
            jdir = os.path.join(d, "journal")
            before = len(os.listdir(jdir))
            assert before > 2
            c.bgsave()
            wait_file(os.path.join(d, "dump.rdb"))
            deadline = time.time() + 5
            while time.time() < deadline and len(os.listdir(jdir)) >= before:
                time.sleep(0.05)
            assert len(os.listdir(jdir)) < before
            for i in range(300, 310):
                c.set("k%d" % i, "w")
            c.incr("n")
            s.kill(signal.SIGKILL)
        with Server(dir=d) as s:
            c = s.client()
            assert c.dbsize() == 311
            assert c.get("n") == b"1"
            assert c.get("k305") == b"w"
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_corrupt_or_truncated_rdb_stops_startup():
    d = tempfile.mkdtemp(prefix="tierdb-rdb-")
    try:
        with Server(dir=d, args=["--durability", "none"]) as s:
            c = s.client()
            for i in range(50):
                c.set("k%d" % i, "value-%d" % i * 10)
            c.save()
        path = os.path.join(d, "dump.rdb")
        good = open(path, "rb").read()
        for bad, reason in ((good[: len(good) // 2], "unexpected end"),
                            (good[:200] + bytes([good[200] ^ 0xff]) + good[201:], "offset"),
                            (b"REDIS0099" + good[9:], "unsupported RDB version")):
            with open(path, "wb") as f:
                f.write(bad)
            s = Server(dir=d, args=["--durability", "none"], wait=False)
            s.start()
            rc = s.proc.wait(timeout=20)
            log = s.read_log()
            s.stop()
            assert rc != 0
            assert "dump.rdb" in log and "offset" in log and reason in log, log[-2000:]
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    if not os.access(REDIS_SERVER, os.X_OK) or not os.access(CHECK_RDB, os.X_OK):
        print("SKIP: redis-server / redis-check-rdb not installed")
        sys.exit(77)
    run(globals())
