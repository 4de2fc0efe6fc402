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


def bgsave_child_pid(s, after=0):
    """pid of the newest "Background saving started by pid" line past the
    first `after` such lines."""
    for _ in range(500):
        pids = [int(line.split("by pid ")[1].split()[0]) for line in s.read_log().splitlines()
                if "Background saving started by pid" in line]
        if len(pids) > after:
            return pids[-1]
        time.sleep(0.01)
    raise AssertionError("no BGSAVE child in the log")


def test_kill9_during_bgsave_and_recovery():
    d = tempfile.mkdtemp(prefix="tierdb-rdb-")
    try:
        s = Server(dir=d)
        s.start()
        c = s.client()
        acked = {}
        for i in range(200):
            c.set("a%d" % i, "x" * 100000)          # ~20 MB
            acked["a%d" % i] = b"x" * 100000
        c.save()
        first = os.path.getmtime(os.path.join(d, "dump.rdb"))
        with open(os.path.join(d, "dump.rdb"), "rb") as f:
            first_bytes = f.read()
        c.set("after-save", "1")
        c.incr("counter")
        acked.update({"after-save": b"1", "counter": b"1"})
        # a slow child (10 ms a key, ~2 s): the kill lands mid-write for sure
        c.config_set("rdb-save-test-delay-us", "10000")
        c.bgsave()
        pid = bgsave_child_pid(s)
        # the parent keeps acknowledging writes while the child runs
        for i in range(50):
            c.set("during%d" % i, i)
            acked["during%d" % i] = str(i).encode()
        os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: "terminated by signal 9" in s.read_log().split("by pid %d" % pid)[-1])
        assert os.path.getmtime(os.path.join(d, "dump.rdb")) == first
        with open(os.path.join(d, "dump.rdb"), "rb") as f:
            assert f.read() == first_bytes, "the previous snapshot changed"
        assert not [f for f in os.listdir(d) if f.startswith("temp-")]
        assert c.info("persistence")["rdb_last_bgsave_status"] == "err"
        redis_check(os.path.join(d, "dump.rdb"))
        # kill the server itself during another (slow) BGSAVE, then its child
        c.set("before-kill", "2")
        acked["before-kill"] = b"2"
        c.bgsave()
        pid2 = bgsave_child_pid(s, after=1)
        c.set("during-second", "3")
        acked["during-second"] = b"3"
        s.kill(signal.SIGKILL)
        s.stop()
        try:
            os.kill(pid2, signal.SIGKILL)     # the orphaned child, mid-write
        except ProcessLookupError:
            pass
        time.sleep(0.1)
        redis_check(os.path.join(d, "dump.rdb"))
        with open(os.path.join(d, "dump.rdb"), "rb") as f:
            assert f.read() == first_bytes
        s2 = Server(dir=d)
        s2.start()
        c2 = s2.client()
        assert c2.dbsize() == len(acked)
        keys = list(acked)
        assert c2.mget(keys) == [acked[k] for k in keys]
        assert "covers journal seq" in s2.read_log()
        s2.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def wait_for(cond, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return False


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



# ---- lists, hashes, sets, sorted sets ---------------------------------------------

def typed_dataset():
    """key -> (type, value, ttl ms or None) covering every compact and big
    encoding of every collection type."""
    rnd = random.Random(11)
    big_elem = bytes(rnd.getrandbits(8) for _ in range(10000))
    ints = [0, 1, 127, 128, -1, -4096, 4095, 5000, -32769, 8388607, -8388609, 2**31, -2**63, 2**63 - 1]
    d = {
        b"l:small": ("list", [b"a", b"12", b"-5000", b"007", b""], None),
        b"l:ints": ("list", [str(i).encode() for i in ints], 3600_000),
        b"l:big": ("list", [("e%d" % i).encode() * (i % 7 + 1) for i in range(3000)] + [big_elem, b"x" * 300], None),
        b"h:small": ("hash", {b"f1": b"v1", b"n": b"300", b"neg": b"-70000", b"e": b""}, None),
        b"h:many": ("hash", {("f%d" % i).encode(): ("v%d" % i).encode() for i in range(1000)}, 7200_000),
        b"h:long": ("hash", {b"a": b"1", b"long": b"y" * 300, (b"z" * 100): b"2"}, None),
        b"s:int": ("set", {str(i).encode() for i in ints}, None),
        b"s:int16": ("set", {b"1", b"2", b"-3"}, None),
        b"s:str": ("set", {b"a", b"b", b"123abc"}, None),
        b"s:bigint": ("set", {str(i * 7).encode() for i in range(2000)}, None),
        b"s:bigstr": ("set", {("m%d" % i).encode() for i in range(1000)}, 3600_000),
        b"z:small": ("zset", [(b"a", float("-inf")), (b"b", -0.0), (b"c", 0.1), (b"d", 2.5), (b"e", 3.0),
                              (b"f", 1e300), (b"g", float("inf"))], None),
        b"z:big": ("zset", [(("m%d" % i).encode(), i * 1.25 - 300) for i in range(1000)], None),
        b"z:long": ("zset", [(b"k" * 200, 1.0), (b"short", 2.0)], 3600_000),
        b"str": ("string", b"plain", None),
    }
    return d


def load_typed(c, data):
    for k, (t, v, ttl) in data.items():
        if t == "list":
            for i in range(0, len(v), 500):
                c.rpush(k, *v[i:i + 500])
        elif t == "hash":
            c.hset(k, mapping=v)
        elif t == "set":
            c.sadd(k, *v)
        elif t == "zset":
            c.zadd(k, {m: sc for m, sc in v})
        else:
            c.set(k, v)
        if ttl:
            c.pexpire(k, ttl)


def read_typed(c, keys):
    out = {}
    for k in keys:
        t = c.type(k).decode()
        if t == "list":
            v = c.lrange(k, 0, -1)
        elif t == "hash":
            v = c.hgetall(k)
        elif t == "set":
            v = c.smembers(k)
        elif t == "zset":
            v = [(m, repr(sc)) for m, sc in c.zrange(k, 0, -1, withscores=True)]
        elif t == "string":
            v = c.get(k)
        else:
            v = None
        out[k] = (t, v, c.pttl(k))
    return out


def check_typed(c, data):
    got = read_typed(c, data)
    for k, (t, v, ttl) in data.items():
        gt, gv, pttl = got[k]
        assert gt == t, (k, gt, t)
        if t == "set":
            v = set(v)
        elif t == "zset":
            v = [(m, repr(sc + 0.0)) for m, sc in sorted(v, key=lambda x: (x[1], x[0]))]
        assert gv == v, (k, str(gv)[:200], str(v)[:200])
        if ttl is None:
            assert pttl == -1, (k, pttl)
        else:
            assert ttl - 60_000 < pttl <= ttl, (k, pttl, ttl)
    assert c.dbsize() == len(data)


def encodings(c, keys):
    return {k: c.object("encoding", k) for k in keys}


def test_types_tierdb_save_redis_loads():
    data = typed_dataset()
    for comp in ("yes", "no"):
        with Server(args=["--rdbcompression", comp, "--durability", "none"]) as s:
            c = s.client()
            load_typed(c, data)
            enc = encodings(c, data)
            for want in (b"listpack", b"hashtable", b"intset", b"skiplist", b"quicklist"):
                assert want in enc.values(), (want, enc)
            assert c.save() is True
            path = os.path.join(s.dir, "dump.rdb")
            redis_check(path)
            d = tempfile.mkdtemp(prefix="tierdb-rdb-")
            try:
                shutil.copy(path, os.path.join(d, "dump.rdb"))
                with Redis(d) as r:
                    check_typed(r.client(), data)
            finally:
                shutil.rmtree(d, ignore_errors=True)
            # and tierdb loads its own file back with the same encodings
            with Server(dir=s.dir, args=["--durability", "none"]) as s2:
                check_typed(s2.client(), data)
                assert encodings(s2.client(), data) == enc


def test_types_redis_save_tierdb_loads():
    data = typed_dataset()
    with Server(args=["--durability", "none"]) as ref:
        load_typed(ref.client(), data)
        want_enc = encodings(ref.client(), data)
    for comp, depth in (("yes", "0"), ("yes", "1"), ("no", "2")):
        d = tempfile.mkdtemp(prefix="tierdb-rdb-")
        try:
            with Redis(d, ["--rdbcompression", comp, "--list-compress-depth", depth]) as r:
                load_typed(r.client(), data)
                renc = encodings(r.client(), data)
                assert b"quicklist" in renc.values() and b"intset" in renc.values()
                r.client().save()
            redis_check(os.path.join(d, "dump.rdb"))
            with Server(dir=d, args=["--durability", "none"]) as s:
                c = s.client()
                check_typed(c, data)
                # the encoding is what the same commands build in tierdb
                assert encodings(c, data) == want_enc, (encodings(c, data), want_enc)
        finally:
            shutil.rmtree(d, ignore_errors=True)


def test_types_dump_restore_both_ways():
    data = typed_dataset()
    d = tempfile.mkdtemp(prefix="tierdb-rdb-")
    try:
        with Redis(d, ["--rdbcompression", "no"]) as r, Server(args=["--rdbcompression", "no"]) as s:
            rc, tc = r.client(), s.client()
            load_typed(rc, data)
            for k, (t, v, ttl) in data.items():
                payload = rc.dump(k)
                tc.restore(k, ttl or 0, payload)
                back = tc.dump(k)
                rc.restore(k + b":back", 0, back)
                assert read_typed(rc, [k + b":back"])[k + b":back"][:2] == read_typed(rc, [k])[k][:2], k
                # small compact values: byte-identical payloads
                if k in (b"l:small", b"l:ints", b"h:small", b"s:int", b"s:int16", b"z:small"):
                    assert back == payload, (k, back, payload)
            check_typed(tc, data)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_shutdown_saves_like_redis():
    # no save rules: SHUTDOWN does not save, SHUTDOWN SAVE does
    with Server(args=["--durability", "none"]) as s:
        c = s.client()
        c.rpush("l", "a", "b")
        path = os.path.join(s.dir, "dump.rdb")
        try:
            c.shutdown()
        except redis.ConnectionError:
            pass
        s.proc.wait(timeout=10)
        assert not os.path.exists(path)
    with Server(args=["--durability", "none"]) as s:
        c = s.client()
        c.sadd("s", "1", "2")
        c.zadd("z", {"m": 1.5})
        path = os.path.join(s.dir, "dump.rdb")
        try:
            c.shutdown(save=True)
        except redis.ConnectionError:
            pass
        s.proc.wait(timeout=10)
        redis_check(path)
        with Server(dir=s.dir, args=["--durability", "none"]) as s2:
            assert s2.client().smembers("s") == {b"1", b"2"}
            assert s2.client().zscore("z", "m") == 1.5
    # save rules set: SHUTDOWN saves, NOSAVE does not
    for nosave in (False, True):
        with Server(args=["--durability", "none", "--save", "3600 1"]) as s:
            c = s.client()
            c.hset("h", "f", "v")
            path = os.path.join(s.dir, "dump.rdb")
            try:
                c.shutdown(nosave=nosave)
            except redis.ConnectionError:
                pass
            s.proc.wait(timeout=10)
            assert os.path.exists(path) != nosave
    # a failing save refuses to shut down unless FORCE (dump.rdb is a
    # directory, so publishing the snapshot fails even as root)
    with Server(args=["--durability", "none"]) as s:
        c = s.client()
        c.set("k", "v")
        os.mkdir(os.path.join(s.dir, "dump.rdb"))
        try:
            c.shutdown(save=True)
            raise AssertionError("shutdown did not fail")
        except redis.ResponseError as e:
            assert "Errors trying to SHUTDOWN" in str(e)
        assert c.ping()
        try:
            c.execute_command("SHUTDOWN", "SAVE", "FORCE")
        except redis.ConnectionError:
            pass
        s.proc.wait(timeout=10)


def test_bgsave_types_consistent_under_mutation():
    """A writer mutates a list, hash, set and zset one command at a time;
    the snapshot must equal the state after some prefix of its commands."""
    def ops():
        i = 0
        while True:
            yield ("RPUSH", "L", i)
            yield ("HSET", "H", "f%d" % (i % 300), i)
            yield ("SADD", "S", "m%d" % i)
            yield ("SREM", "S", "m%d" % (i - 250))
            yield ("ZADD", "Z", i, "m%d" % (i % 400))
            if i % 2:
                yield ("LPOP", "L")
            i += 1

    def simulate(n):
        L, H, S, Z = [], {}, set(), {}
        for j, op in enumerate(ops()):
            if j == n:
                break
            if op[0] == "RPUSH":
                L.append(str(op[2]).encode())
            elif op[0] == "LPOP":
                L.pop(0)
            elif op[0] == "HSET":
                H[op[1 + 1].encode()] = str(op[3]).encode()
            elif op[0] == "SADD":
                S.add(op[2].encode())
            elif op[0] == "SREM":
                S.discard(op[2].encode())
            elif op[0] == "ZADD":
                Z[op[3].encode()] = float(op[2])
        return L, H, S, sorted(((m, sc) for m, sc in Z.items()), key=lambda x: (x[1], x[0]))

    with Server(args=["--durability", "none"]) as s:
        stop = threading.Event()
        done = [0]

        def writer():
            w = s.client()
            for op in ops():
                if stop.is_set():
                    break
                w.execute_command(*op)
                done[0] += 1

        t = threading.Thread(target=writer)
        t.start()
        while done[0] < 3000:
            time.sleep(0.01)
        path = os.path.join(s.dir, "dump.rdb")
        c = s.client()
        assert c.bgsave() in (True, b"Background saving started")
        wait_file(path)
        stop.set()
        t.join()
        d = tempfile.mkdtemp(prefix="tierdb-rdb-")
        shutil.copy(path, os.path.join(d, "dump.rdb"))
    try:
        redis_check(os.path.join(d, "dump.rdb"))
        with Redis(d) as r:
            rc = r.client()
            got = (rc.lrange("L", 0, -1), rc.hgetall("H"), rc.smembers("S"),
                   rc.zrange("Z", 0, -1, withscores=True))
        # the prefix length: about 5.5 commands per step; try every count near it
        steps = len(got[0]) * 2
        found = None
        for n in range(max(0, steps * 11 // 2 - 40), steps * 11 // 2 + 40):
            if simulate(n) == got:
                found = n
                break
        assert found is not None and found >= 3000, (found, len(got[0]), len(got[1]), len(got[2]))
    finally:
        shutil.rmtree(d, ignore_errors=True)

if __name__ == "__main__":
    if not os.access(REDIS_SERVER, os.X_OK) or not os.access(CHECK_RDB, os.X_OK):
        print("SKIP: redis-server / redis-check-rdb not installed")
        sys.exit(77)
    run(globals())
