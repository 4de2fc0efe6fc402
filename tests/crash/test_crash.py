"""Crash tests: the server is killed with SIGKILL while several connections
write increasing values; after each restart every acknowledged write must be
there.  A power-cut variant also drops what only the page cache held: the
journal file is cut to the length the writer had synced.
"""
import glob
import os
import random
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Server, run  # noqa: E402

KILLS = int(os.environ.get("CRASH_KILLS", "20"))
WRITERS = 4


def writer(port, wid, acked, stop):
    """SET w:<wid> <i> for i = 1, 2, ... recording the last acknowledged i."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return
    f = s.makefile("rb")
    i = acked[wid]
    try:
        while not stop.is_set():
            i += 1
            k = b"w:%d" % wid
            v = b"%d" % i
            s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
            line = f.readline()
            if line != b"+OK\r\n":
                return
            acked[wid] = i
            # also an append-only list of acknowledged values on another key
    except OSError:
        return
    finally:
        try:
            s.close()
        except OSError:
            pass


def check(srv, acked):
    r = srv.client()
    for wid in range(WRITERS):
        v = r.get("w:%d" % wid)
        got = int(v) if v is not None else 0
        assert got >= acked[wid], "writer %d: acknowledged %d but found %d" % (wid, acked[wid], got)
        # what survived may include unacknowledged writes; remember it so the
        # next round continues from there
        acked[wid] = max(acked[wid], got)
    r.close()


def crash_loop(powercut):
    d = None
    acked = {w: 0 for w in range(WRITERS)}
    extra = ["--journal-test-synced-file", "yes"] if powercut else []
    srv = Server(args=extra)
    srv.start()
    d = srv.dir
    try:
        for round_ in range(KILLS):
            stop = threading.Event()
            ts = [threading.Thread(target=writer, args=(srv.port, w, acked, stop)) for w in range(WRITERS)]
            for t in ts:
                t.start()
            time.sleep(random.uniform(0.05, 0.4))
            srv.kill(signal.SIGKILL)
            stop.set()
            for t in ts:
                t.join(10)
            if powercut:
                cut_to_synced(d)
            srv = Server(args=extra, dir=d)
            srv.start()
            check(srv, acked)
        assert sum(acked.values()) > 0, "no write was ever acknowledged"
    finally:
        srv.stop()
        srv.owns_dir = True
        srv.cleanup()


def cut_to_synced(d):
    """Truncate the newest segment to the length the journal writer had
    synced (recorded by the test option), as a power cut would."""
    side = os.path.join(d, "journal", "synced")
    if not os.path.exists(side):
        return
    name, length = open(side).read().split()[:2]
    seg = os.path.join(d, "journal", name)
    if os.path.exists(seg) and os.path.getsize(seg) > int(length):
        with open(seg, "r+b") as f:
            f.truncate(int(length))
    # segments newer than the synced one were never synced at all
    for other in sorted(glob.glob(os.path.join(d, "journal", "*.jnl"))):
        if os.path.basename(other) > name:
            os.unlink(other)


def test_sigkill_loses_no_acknowledged_write():
    crash_loop(powercut=False)


def test_power_cut_loses_no_acknowledged_write():
    crash_loop(powercut=True)


if __name__ == "__main__":
    run(globals())
