"""test_snapshotter.py -- tierdb-snapshot, the off-process snapshotter:
BGSAVE OFFBOX builds dump.rdb from the previous snapshot plus the journal
(Debian's redis-server loads it with the same data), the server trims the
journal segments it covers, a kill -9 of the snapshotter leaves the previous
snapshot and recovery intact, restart after kill -9 of the server recovers
snapshot + journal, journal-snapshot-bytes starts it by itself,
snapshot-mode offbox makes BGSAVE and save rules use it, a gap is refused,
and the server's RSS does not grow while it runs."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SERVER, Server, free_port, run  # noqa: E402

import redis  # noqa: E402

SNAPSHOTTER = os.path.join(os.path.dirname(SERVER), "tierdb-snapshot")
REDIS_SERVER = "/usr/bin/redis-server"
CHECK_RDB = "/usr/bin/redis-check-rdb"
SMALL_SEGMENTS = ["--journal-segment-size", "4096"]


def workdir():
    """A directory that outlives one Server (the harness removes the ones
    it creates), so a test can restart from it."""
    return tempfile.mkdtemp(prefix="tierdb-snap-")


def info(c):
    return c.info("persistence")


def wait_snapshot_done(c, want_ok=None, timeout=30):
    """Wait until no snapshot child runs and at least want_ok offbox
    snapshots succeeded; returns the persistence section."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        i = info(c)
        if not i["rdb_bgsave_in_progress"] and (want_ok is None or i["rdb_offbox_snapshots"] >= want_ok):
            return i
        time.sleep(0.05)
    raise AssertionError("snapshot did not finish: %r" % (info(c),))


def segments(d):
    j = os.path.join(d, "journal")
    return sorted(f for f in os.listdir(j) if f.endswith(".jnl"))


def fill(c, prefix, n, size=20, dbn=0):
    p = c.pipeline(transaction=False)
    p.execute_command("SELECT", dbn)
    data = {}
    for i in range(n):
        k = "%s:%d" % (prefix, i)
        v = ("%s-%d-" % (prefix, i)) * (size // 8 + 1)
        p.set(k, v)
        data[k] = v.encode()
    p.execute()
    return data


def check_data(c, data, dbn=0):
    c.execute_command("SELECT", dbn)
    keys = list(data)
    for off in range(0, len(keys), 500):
        chunk = keys[off:off + 500]
        got = c.mget(chunk)
        for k, v in zip(chunk, got):
            assert v == data[k], "%s: %r != %r" % (k, v, data[k])


def child_pids(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Redis:
    """Debian's redis-server loading dump.rdb from a directory we own."""

    def __init__(self, d):
        self.dir = d

    def __enter__(self):
        self.port = free_port()
        self.proc = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--dir", self.dir, "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)
                c.ping()
                return c
            except (redis.ConnectionError, redis.BusyLoadingError):
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def __exit__(self, *a):
        self.proc.kill()
        self.proc.wait()


def test_offbox_snapshot_loads_in_redis_and_trims_journal():
    d = workdir()
    with Server(SMALL_SEGMENTS, dir=d) as s:
        c = s.client()
        data = fill(c, "a", 400, size=40)
        data3 = fill(c, "b", 100, dbn=3)
        c.execute_command("SELECT", 0)
        c.set("ttl", "x", ex=1000)
        data["ttl"] = b"x"
        before = segments(s.dir)
        assert len(before) > 3, before
        assert c.execute_command("BGSAVE", "OFFBOX") in (True, b"Background saving started")
        i = wait_snapshot_done(c, 1)
        assert i["rdb_last_bgsave_status"] == "ok"
        assert i["rdb_last_snapshot_kind"] == "offbox"
        assert i["total_forks"] == 0, i
        assert i["rdb_changes_since_last_save"] == 0
        after = segments(s.dir)
        assert len(after) < len(before), (before, after)
        assert after[0] != before[0]
        assert "Journal trimmed" in s.read_log()
        # The file passes redis-check-rdb and Debian's redis-server loads it.
        rdb = os.path.join(s.dir, "dump.rdb")
        chk = subprocess.run([CHECK_RDB, rdb], capture_output=True, text=True)
        assert chk.returncode == 0, chk.stdout + chk.stderr
        rd = tempfile.mkdtemp(prefix="tierdb-snapr-")
        try:
            shutil.copy(rdb, os.path.join(rd, "dump.rdb"))
            with Redis(rd) as r:
                assert r.dbsize() == len(data)
                check_data(r, data)
                assert 990 <= r.ttl("ttl") <= 1000
                check_data(r, data3, dbn=3)
        finally:
            shutil.rmtree(rd, ignore_errors=True)
        # A second snapshot starts from the first plus the journal after it.
        c.delete("a:0")
        del data["a:0"]
        data.update(fill(c, "c", 50))
        c.execute_command("BGSAVE", "OFFBOX")
        wait_snapshot_done(c, 2)
        log = s.read_log()
        assert "(was 0:" in log and "keys loaded" in log
    # restart from the snapshot alone (journal kept, entries covered)
    with Server(SMALL_SEGMENTS, dir=s.dir) as s2:
        c = s2.client()
        check_data(c, data)
        check_data(c, data3, dbn=3)
        assert c.exists("a:0") == 0
    shutil.rmtree(s.dir, ignore_errors=True)


def test_kill_snapshotter_midway_keeps_previous_snapshot():
    d = workdir()
    with Server(SMALL_SEGMENTS, dir=d) as s:
        c = s.client()
        data = fill(c, "p", 100)
        c.execute_command("BGSAVE", "OFFBOX")
        wait_snapshot_done(c, 1)
        rdb = os.path.join(s.dir, "dump.rdb")
        with open(rdb, "rb") as f:
            first = f.read()
        segs_before = segments(s.dir)
        # a slow snapshotter: 20 ms per journal entry
        c.config_set("snapshot-test-delay-ms", "20")
        data.update(fill(c, "q", 300))
        c.execute_command("BGSAVE", "OFFBOX")
        assert info(c)["rdb_offbox_in_progress"] == 1
        assert info(c)["rdb_bgsave_in_progress"] == 1
        try:
            c.execute_command("BGSAVE", "OFFBOX")
            raise AssertionError("second BGSAVE accepted while one runs")
        except redis.ResponseError as e:
            assert "already in progress" in str(e)
        time.sleep(0.5)   # well inside the ~6 s the slow run takes
        kids = child_pids(s.proc.pid)
        assert len(kids) == 1, kids
        os.kill(kids[0], signal.SIGKILL)
        i = wait_snapshot_done(c)
        assert i["rdb_last_bgsave_status"] == "err"
        assert i["rdb_offbox_snapshots"] == 1
        assert "Off-process snapshot terminated by signal 9" in s.read_log()
        with open(rdb, "rb") as f:
            assert f.read() == first, "the previous snapshot was changed"
        assert segments(s.dir)[0] == segs_before[0], "journal trimmed after a failed snapshot"
        # the server still works and a later snapshot succeeds
        c.config_set("snapshot-test-delay-ms", "0")
        c.set("after", "1")
        data["after"] = b"1"
        s.kill()
    # previous snapshot + the whole journal after it
    with Server(SMALL_SEGMENTS, dir=s.dir) as s2:
        c = s2.client()
        check_data(c, data)
        assert c.dbsize() == len(data)
        c.execute_command("BGSAVE", "OFFBOX")
        i = wait_snapshot_done(c, 1)
        assert i["rdb_last_bgsave_status"] == "ok"
    shutil.rmtree(s.dir, ignore_errors=True)


def test_restart_from_snapshot_and_journal_after_server_sigkill():
    d = workdir()
    with Server(SMALL_SEGMENTS, dir=d) as s:
        c = s.client()
        data = fill(c, "r", 300)
        c.execute_command("BGSAVE", "OFFBOX")
        wait_snapshot_done(c, 1)
        # changes after the snapshot: only in the journal
        for i in range(0, 300, 3):
            c.delete("r:%d" % i)
            del data["r:%d" % i]
        for i in range(1, 300, 3):
            c.append("r:%d" % i, "+")
            data["r:%d" % i] += b"+"
        data.update(fill(c, "s", 100))
        c.set("int", 41)
        c.incr("int")
        data["int"] = b"42"
        s.kill()
    with Server(SMALL_SEGMENTS, dir=s.dir) as s2:
        c = s2.client()
        assert c.dbsize() == len(data)
        check_data(c, data)
        log = s2.read_log()
        assert "DB loaded from disk" in log and "covers journal seq" in log
    shutil.rmtree(s.dir, ignore_errors=True)


def test_journal_snapshot_bytes_starts_snapshotter():
    d = workdir()
    with Server(SMALL_SEGMENTS + ["--journal-snapshot-bytes", "30000"], dir=d) as s:
        c = s.client()
        assert c.config_get("journal-snapshot-bytes")["journal-snapshot-bytes"] == "30000"
        fill(c, "small", 10)
        time.sleep(0.3)
        assert info(c)["rdb_offbox_started"] == 0
        data = fill(c, "big", 200, size=300)   # ~70 KB of journal
        wait_snapshot_done(c, 1, timeout=10)
        i = info(c)
        assert i["rdb_offbox_auto_started"] >= 1
        assert i["rdb_journal_bytes_since_snapshot"] < 30000
        assert "Starting the off-process snapshot" in s.read_log()
        s.stop()
    with Server(SMALL_SEGMENTS, dir=s.dir) as s2:
        check_data(s2.client(), data)
    shutil.rmtree(s.dir, ignore_errors=True)


def test_snapshot_mode_offbox_for_bgsave_and_save_rules():
    with Server(["--snapshot-mode", "offbox", "--save", "1 1"]) as s:
        c = s.client()
        assert c.config_get("snapshot-mode")["snapshot-mode"] == "offbox"
        c.set("k", "v")
        # the save rule fires within ~2 s, off-process
        i = wait_snapshot_done(c, 1, timeout=10)
        assert i["total_forks"] == 0
        c.set("k2", "v2")
        c.config_set("save", "")
        assert c.bgsave()
        i = wait_snapshot_done(c, 2)
        assert i["total_forks"] == 0 and i["rdb_last_snapshot_kind"] == "offbox"
        c.config_set("snapshot-mode", "fork")
        c.bgsave()
        deadline = time.time() + 10
        while info(c)["total_forks"] < 1 or info(c)["rdb_bgsave_in_progress"]:
            assert time.time() < deadline
            time.sleep(0.05)
        assert info(c)["rdb_last_snapshot_kind"] == "fork"
        try:
            c.execute_command("BGSAVE", "BOGUS")
            raise AssertionError("BGSAVE BOGUS accepted")
        except redis.ResponseError as e:
            assert "syntax" in str(e)


def test_offbox_needs_journal():
    with Server(["--durability", "none"]) as s:
        try:
            s.client().execute_command("BGSAVE", "OFFBOX")
            raise AssertionError("accepted without a journal")
        except redis.ResponseError as e:
            assert "journal" in str(e)


def test_standalone_snapshotter_and_gap_refused():
    d = workdir()
    with Server(SMALL_SEGMENTS, dir=d) as s:
        c = s.client()
        data = fill(c, "g", 200)
        c.execute_command("BGSAVE", "OFFBOX")
        wait_snapshot_done(c, 1)
        old = os.path.join(s.dir, "old.rdb")
        shutil.copy(os.path.join(s.dir, "dump.rdb"), old)
        # several batches, so the journal rolls over several segments
        for b in range(6):
            data.update(fill(c, "h%d" % b, 50, size=100))
        c.execute_command("BGSAVE", "OFFBOX")
        wait_snapshot_done(c, 2)
        data.update(fill(c, "i", 50))
        s.stop()
    first = int(segments(d)[0][:20])
    assert first > 201, segments(d)
    d = s.dir
    # standalone: everything on disk, then the server starts from it
    r = subprocess.run([SNAPSHOTTER, "--dir", d], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "now covers journal seq" in r.stdout
    # --max-seq past the end of the journal is refused
    r = subprocess.run([SNAPSHOTTER, "--dir", d, "--max-seq", "99999999"], capture_output=True, text=True)
    assert r.returncode == 1 and "ends at seq" in r.stderr, r.stderr
    # a snapshot older than the oldest segment: a gap, refused
    shutil.copy(os.path.join(d, "dump.rdb"), os.path.join(d, "good.rdb"))
    r = subprocess.run([SNAPSHOTTER, "--dir", d, "--dbfilename", "old.rdb"], capture_output=True, text=True)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "gap" in r.stderr and "old.rdb" in r.stderr, r.stderr
    with Server(SMALL_SEGMENTS, dir=d) as s2:
        c = s2.client()
        assert c.dbsize() == len(data)
        check_data(c, data)
    shutil.rmtree(d, ignore_errors=True)


def test_server_memory_does_not_grow_during_offbox_snapshot():
    # only-dram: no tier migration, whose copying would move RSS on its own
    with Server(["--journal-segment-size", "8mb", "--memory-alloc-policy", "only-dram"]) as s:
        c = s.client()
        # ~40 MB of values
        for b in range(8):
            fill(c, "m%d" % b, 1000, size=5000)
        c.execute_command("BGSAVE", "OFFBOX")
        wait_snapshot_done(c, 1, timeout=60)   # warm-up: file cache, first snapshot
        data = fill(c, "n", 500, size=5000)
        # The server's RSS drifts for a while after a burst of writes
        # (allocator decay, buffers): poll INFO as below, with no snapshot,
        # until it holds still, so the comparison is about the snapshot.
        last, still, t_end = rss_kb(s.proc.pid), 0, time.time() + 8
        while still < 3 and time.time() < t_end:
            for _ in range(12):
                info(c)
                time.sleep(0.02)
            now = rss_kb(s.proc.pid)
            still = still + 1 if abs(now - last) < 256 else 0
            last = now
        before = rss_kb(s.proc.pid)
        c.config_set("snapshot-test-delay-ms", "2")
        c.execute_command("BGSAVE", "OFFBOX")
        peak, child_peak = before, 0
        while info(c)["rdb_bgsave_in_progress"]:
            peak = max(peak, rss_kb(s.proc.pid))
            for k in child_pids(s.proc.pid):
                try:
                    child_peak = max(child_peak, rss_kb(k))
                except OSError:
                    pass
            time.sleep(0.02)
        after = rss_kb(s.proc.pid)
        i = info(c)
        assert i["rdb_offbox_snapshots"] == 2 and i["rdb_last_bgsave_status"] == "ok"
        print("  server RSS before %d kB, peak during offbox snapshot %d kB, after %d kB; "
              "snapshotter peak RSS %d kB" % (before, peak, after, child_peak))
        # the work (and its memory) is in the other process
        assert child_peak > 20 * 1024, child_peak
        assert peak - before < 2 * 1024, (before, peak)
        assert after - before < 2 * 1024, (before, after)
        check_data(c, data)


def proc_sched(pid):
    """(nice, scheduling policy) from /proc/<pid>/stat (fields 19 and 41)."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[16]), int(rest[38])


def io_class(pid):
    out = subprocess.run(["ionice", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return out


SCHED_OTHER, SCHED_IDLE = 0, 5


def test_snapshotter_yields_cpu_and_disk():
    """tierdb-snapshot runs under SCHED_IDLE + nice 19 and the idle I/O
    class by default; snapshotter-cpu/io-priority low and normal give nice
    19 / best-effort 7 and the server's own priority.  The snapshot is
    written with incremental write-back and still loads."""
    want = {"idle": (19, SCHED_IDLE, "idle"), "low": (19, SCHED_OTHER, "best-effort: prio 7"),
            "normal": (0, SCHED_OTHER, None)}
    with Server(SMALL_SEGMENTS, dir=workdir()) as s:
        c = s.client()
        assert c.config_get("snapshotter-cpu-priority") == {"snapshotter-cpu-priority": "idle"}
        assert c.config_get("snapshotter-io-priority") == {"snapshotter-io-priority": "idle"}
        assert c.config_get("rdb-save-incremental-fsync") == {"rdb-save-incremental-fsync": "yes"}
        data = fill(c, "y", 200)
        server_io = io_class(s.proc.pid)
        for n, (prio, (nice, policy, ioc)) in enumerate(want.items()):
            if prio != "idle":
                c.config_set("snapshotter-cpu-priority", prio)
                c.config_set("snapshotter-io-priority", prio)
            c.config_set("snapshot-test-delay-ms", "5")
            data.update(fill(c, "y%d" % n, 100))
            before = s.read_log().count("priority: ")
            c.execute_command("BGSAVE", "OFFBOX")
            deadline = time.time() + 10
            while s.read_log().count("priority: ") == before:
                assert time.time() < deadline, "the snapshotter did not log its priority"
                time.sleep(0.02)
            kids = child_pids(s.proc.pid)
            assert len(kids) == 1, kids
            got = proc_sched(kids[0])
            assert got == (nice, policy), (prio, got)
            assert io_class(kids[0]) == (ioc or server_io), (prio, io_class(kids[0]))
            c.config_set("snapshot-test-delay-ms", "0")
            i = wait_snapshot_done(c, n + 1)
            assert i["rdb_last_bgsave_status"] == "ok"
        # the server itself was never reniced
        assert proc_sched(s.proc.pid) == (0, SCHED_OTHER)
        assert io_class(s.proc.pid) == server_io
        s.kill()
    with Server(SMALL_SEGMENTS, dir=s.dir) as s2:
        check_data(s2.client(), data)
    shutil.rmtree(s.dir, ignore_errors=True)


def test_offbox_with_config_file_and_logfile():
    """The snapshotter reads the server's config file, with run-time
    changes (CONFIG SET dbfilename) passed on the command line."""
    d = workdir()
    conf = os.path.join(d, "tierdb.conf")
    with open(conf, "w") as f:
        f.write('journal-segment-size 4096\nrdbcompression no\nlogfile "%s"\nloglevel notice\n'
                % os.path.join(d, "file.log"))
    try:
        with Server(conf=conf, dir=d) as s:
            c = s.client()
            data = fill(c, "cf", 100, size=60)
            c.config_set("dbfilename", "other.rdb")
            c.execute_command("BGSAVE", "OFFBOX")
            wait_snapshot_done(c, 1)
            assert os.path.exists(os.path.join(d, "other.rdb"))
            with open(os.path.join(d, "file.log")) as f:
                assert "tierdb-snapshot: 'other.rdb' now covers" in f.read()
            s.kill()
        with Server(["--dbfilename", "other.rdb"], conf=conf, dir=d) as s2:
            check_data(s2.client(), data)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run(globals())
