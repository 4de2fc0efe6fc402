"""test_snapshot_lifecycle.py -- the life cycle around snapshots: start-up
from an RDB answers -LOADING (with INFO loading_* fields and progress lines)
and then serves the whole dataset; SAVE / BGSAVE / tierdb-snapshot log their
progress; SIGTERM / SIGINT / SHUTDOWN save (or not) exactly as Debian's
redis-server 7.0 does, and the journal is synced on the way out; a shutdown
while loading never saves a partial dataset; a snapshot older than the
journal's oldest segment stops start-up."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, free_port, run  # noqa: E402

import redis  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"


def raw(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s, s.makefile("rb")


def info(c, section="persistence"):
    return c.info(section)


def wait_log(s, text, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in s.read_log():
            return True
        time.sleep(0.02)
    return False


def fill(c, n, prefix="k", size=100, batch=500):
    data = {}
    for start in range(0, n, batch):
        p = c.pipeline(transaction=False)
        for i in range(start, min(n, start + batch)):
            k = "%s:%d" % (prefix, i)
            v = ("%s-%d-" % (prefix, i)).encode().ljust(size, b"x")
            data[k] = v
            p.set(k, v)
        p.execute()
    return data


def check(c, data):
    keys = list(data)
    for start in range(0, len(keys), 1000):
        part = keys[start:start + 1000]
        assert c.mget(part) == [data[k] for k in part]


def test_rdb_startup_answers_loading_then_serves_everything():
    d = tempfile.mkdtemp(prefix="tierdb-life-")
    try:
        with Server(dir=d) as s:
            c = s.client()
            data = fill(c, 2000)
            c.save()
            # after the snapshot: only in the journal
            data.update(fill(c, 50, prefix="j"))
            c.delete("k:0")
            del data["k:0"]
            s.kill(signal.SIGKILL)
        rdb_size = os.path.getsize(os.path.join(d, "dump.rdb"))
        # ~2000 keys x 1 ms: about 2 s of loading
        s = Server(dir=d, wait=False, args=["--rdb-load-test-delay-us", "1000",
                                              "--snapshot-progress-interval-ms", "200"])
        s.start()
        try:
            sock = None
            deadline = time.time() + 10
            while sock is None:
                try:
                    sock, f = raw(s.port)
                except OSError:
                    assert time.time() < deadline and s.proc.poll() is None, s.read_log()
                    time.sleep(0.01)
            # a client connecting during the load gets -LOADING at once
            t0 = time.time()
            sock.sendall(b"GET k:1\r\n")
            line = f.readline()
            assert line == b"-LOADING Redis is loading the dataset in memory\r\n", line
            assert time.time() - t0 < 1.0
            # PING and ECHO too (Redis 7.0 flags them neither loading nor stale):
            # a client's "is it up?" probe must not say yes mid-load
            sock.sendall(b"PING\r\nECHO x\r\n")
            assert f.readline() == b"-LOADING Redis is loading the dataset in memory\r\n"
            assert f.readline() == b"-LOADING Redis is loading the dataset in memory\r\n"
            sock.sendall(b"INFO persistence\r\n")
            n = int(f.readline()[1:])
            text = f.read(n + 2).decode()
            fields = dict(l.split(":", 1) for l in text.split("\r\n") if ":" in l)
            assert fields["loading"] == "1", text
            assert int(fields["loading_total_bytes"]) == rdb_size, text
            assert int(fields["loading_loaded_bytes"]) <= rdb_size
            assert 0 <= float(fields["loading_loaded_perc"]) <= 100
            assert int(fields["loading_rdb_used_mem"]) > 0
            assert int(fields["loading_start_time"]) > 0 and "loading_eta_seconds" in fields
            # then the whole dataset, snapshot and journal
            while True:
                sock.sendall(b"GET k:1\r\n")
                line = f.readline()
                if not line.startswith(b"-LOADING"):
                    break
                assert time.time() - t0 < 20
                time.sleep(0.05)
            assert line == b"$%d\r\n" % len(data["k:1"]), line
            assert f.readline()[:-2] == data["k:1"]
            sock.close()
            c = s.client()
            assert c.dbsize() == len(data)
            check(c, data)
            i = info(c)
            assert i["loading"] == 0 and "loading_total_bytes" not in i
            log = s.read_log()
            assert "Loading RDB: " in log and "keys, " in log and "MB/s" in log, log
            assert "DB loaded from disk" in log
        finally:
            s.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_journal_replay_shows_loading_info():
    d = tempfile.mkdtemp(prefix="tierdb-life-")
    try:
        with Server(dir=d) as s:
            data = fill(s.client(), 3000, size=50, batch=1)   # one entry each
            s.kill(signal.SIGKILL)
        # the replay of the journal is slowed down by nothing; check the
        # fields through a large progress interval only at the end
        with Server(dir=d, args=["--snapshot-progress-interval-ms", "1"]) as s:
            c = s.client()
            check(c, data)
            log = s.read_log()
            assert "Loading journal: " in log and "entries" in log, log
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_save_bgsave_and_snapshotter_log_progress():
    with Server(args=["--snapshot-progress-interval-ms", "1"]) as s:
        c = s.client()
        fill(c, 20000, size=1000)
        c.save()
        assert "Saving the DB: " in s.read_log()
        c.bgsave()
        assert wait_log(s, "Background saving terminated with success")
        assert "Background save child: " in s.read_log() and " keys written, " in s.read_log()
        c.execute_command("BGSAVE", "OFFBOX")
        assert wait_log(s, "Off-process snapshot terminated with success", timeout=30)
        log = s.read_log()
        assert "tierdb-snapshot: writing the snapshot: " in log, log
        assert "tierdb-snapshot: loading the snapshot: " in log, log
        for line in log.splitlines():
            if "Background save child: " in line and "keys written, " in line:
                assert " MB, " in line and " s elapsed" in line, line


# ---- shutdown, side by side with redis-server 7.0 --------------------------------

def redis_exit(args, how, setup=None):
    """Start redis-server with args, SET a key, stop it by `how`; returns
    (dump.rdb exists, exit code)."""
    d = tempfile.mkdtemp(prefix="redis-life-")
    port = free_port()
    p = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
                          "--appendonly", "no"] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
        deadline = time.time() + 10
        while True:
            try:
                c.ping()
                break
            except redis.ConnectionError:
                assert time.time() < deadline
                time.sleep(0.02)
        return stop_and_look(c, p, d, how, setup)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree(d, ignore_errors=True)


def stop_and_look(c, proc, d, how, setup):
    if setup:
        setup(c)
    c.set("k", "v")
    if how in ("SIGTERM", "SIGINT"):
        proc.send_signal(getattr(signal, how))
    else:
        try:
            c.execute_command(*how.split())
        except redis.ConnectionError:
            pass
    rc = proc.wait(timeout=20)
    return os.path.exists(os.path.join(d, "dump.rdb")), rc


def tierdb_exit(args, how, setup=None):
    with Server(args=["--durability", "none"] + args) as s:
        return stop_and_look(s.client(), s.proc, s.dir, how, setup)


def test_shutdown_matrix_matches_redis():
    rules = ["--save", "3600 1"]
    norules = ["--save", ""]
    cases = [
        (norules, "SIGTERM", None),
        (rules, "SIGTERM", None),
        (rules, "SIGINT", None),
        (norules, "SIGINT", None),
        (rules, "SHUTDOWN", None),
        (rules, "SHUTDOWN NOSAVE", None),
        (norules, "SHUTDOWN SAVE", None),
        (rules, "SIGTERM", lambda c: c.config_set("shutdown-on-sigterm", "nosave")),
        (norules, "SIGTERM", lambda c: c.config_set("shutdown-on-sigterm", "save")),
        (norules, "SIGINT", lambda c: c.config_set("shutdown-on-sigint", "save now")),
        (rules, "SIGINT", lambda c: c.config_set("shutdown-on-sigterm", "nosave")),
    ]
    for args, how, setup in cases:
        want = redis_exit(args, how, setup)
        got = tierdb_exit(args, how, setup)
        assert got == want, (args, how, "tierdb", got, "redis", want)


def test_shutdown_config_values_like_redis():
    with Server() as s:
        c = s.client()
        assert c.config_get("shutdown-on-sigterm") == {"shutdown-on-sigterm": "default"}
        for v, shown in (("force save", "save force"), ("now nosave", "nosave now"), ("default save", "save"),
                         ("default", "default")):
            c.config_set("shutdown-on-sigint", v)
            assert c.config_get("shutdown-on-sigint")["shutdown-on-sigint"] == shown
        for bad, msg in (("save nosave", "can't be used simultaneously"), ("bogus", "must be one of")):
            try:
                c.config_set("shutdown-on-sigterm", bad)
                raise AssertionError("accepted " + bad)
            except redis.ResponseError as e:
                assert msg in str(e), str(e)


def test_sigterm_saves_and_syncs_journal():
    d = tempfile.mkdtemp(prefix="tierdb-life-")
    try:
        # journal only: SIGTERM syncs it, nothing acknowledged or not is lost
        with Server(dir=d) as s:
            c = s.client()
            data = fill(c, 500)
            s.kill(signal.SIGTERM)
            assert s.proc.returncode == 0
            assert not os.path.exists(os.path.join(d, "dump.rdb"))
        with Server(dir=d, args=["--save", "3600 1"]) as s:
            c = s.client()
            check(c, data)
            data.update(fill(c, 100, prefix="more"))
            s.kill(signal.SIGTERM)
            assert s.proc.returncode == 0
            log = s.read_log()
            assert "Received SIGTERM scheduling shutdown..." in log
            assert "Saving the final RDB snapshot before exiting." in log and "DB saved on disk" in log
        assert os.path.exists(os.path.join(d, "dump.rdb"))
        with Server(dir=d) as s:
            c = s.client()
            assert c.dbsize() == len(data)
            check(c, data)
            assert "covers journal seq" in s.read_log()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_sigterm_failing_save_keeps_running_unless_force():
    with Server(args=["--durability", "none", "--save", "3600 1"]) as s:
        c = s.client()
        c.set("k", "v")
        os.mkdir(os.path.join(s.dir, "dump.rdb"))    # the rename over it fails
        s.proc.send_signal(signal.SIGTERM)
        assert wait_log(s, "SIGTERM received but errors trying to shut down the server")
        assert c.ping() and c.get("k") == b"v"
        assert s.proc.poll() is None
        c.config_set("shutdown-on-sigterm", "force")
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(timeout=10) == 0


def test_shutdown_while_loading_exits_without_saving():
    d = tempfile.mkdtemp(prefix="tierdb-life-")
    try:
        with Server(dir=d, args=["--durability", "none"]) as s:
            c = s.client()
            data = fill(c, 1000)
            c.save()
            s.kill(signal.SIGKILL)
        path = os.path.join(d, "dump.rdb")
        with open(path, "rb") as f:
            before = f.read()
        slow = ["--durability", "none", "--save", "3600 1", "--rdb-load-test-delay-us", "5000"]
        for how in ("SIGTERM", "SHUTDOWN SAVE"):
            s = Server(dir=d, wait=False, args=slow)
            s.start()
            try:
                deadline = time.time() + 10
                while True:
                    try:
                        c = s.client()
                        c.get("k:1")
                        raise AssertionError("no -LOADING")
                    except redis.BusyLoadingError:
                        break
                    except redis.ConnectionError:
                        assert time.time() < deadline
                        time.sleep(0.01)
                t0 = time.time()
                if how == "SIGTERM":
                    s.proc.send_signal(signal.SIGTERM)
                else:
                    try:
                        c.execute_command(*how.split())
                    except redis.ConnectionError:
                        pass
                assert s.proc.wait(timeout=5) == 0
                assert time.time() - t0 < 2, "waited for the load to finish"
                assert "exiting now without saving" in s.read_log()
            finally:
                s.stop()
            with open(path, "rb") as f:
                assert f.read() == before, "a partial dataset was saved"
        with Server(dir=d, args=["--durability", "none"]) as s:
            check(s.client(), data)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_snapshot_older_than_journal_refuses_to_start():
    d = tempfile.mkdtemp(prefix="tierdb-life-")
    try:
        small = ["--journal-segment-size", "16384"]
        with Server(dir=d, args=small) as s:
            c = s.client()
            fill(c, 100)
            c.save()
            shutil.copy(os.path.join(d, "dump.rdb"), os.path.join(d, "old.rdb"))
            fill(c, 1000, prefix="later")          # ~150 KB of journal: several segments
            c.save()                               # trims what the new snapshot covers
            s.stop()
        os.replace(os.path.join(d, "old.rdb"), os.path.join(d, "dump.rdb"))
        s = Server(dir=d, args=small, wait=False)
        s.start()
        try:
            assert s.proc.wait(timeout=20) != 0
            log = s.read_log()
            assert "Refusing to start with a gap in the data" in log, log
            assert "dump.rdb" in log and "covers the journal up to seq" in log
        finally:
            s.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run(globals())
