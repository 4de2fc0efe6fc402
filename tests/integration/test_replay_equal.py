"""Replaying the journal gives exactly the state the server had.

A random mix of every write command of every type (TTLs that fire, several
databases, MULTI/EXEC, served blocking pops, SPOP, INCRBYFLOAT, RESTORE,
SWAPDB, FLUSHDB...) is driven against tierdb; a full dump (every key of every
db: type, value, absolute expiry) is taken; the server is SIGKILLed and
restarted from its journal, and a second, empty server is started on a copy
of the journal: all three dumps must be identical.  Also: a journal whose
middle entry is corrupt stops start-up with a message naming the segment and
offset, and journal-truncate-corrupt yes starts anyway."""
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, run  # noqa: E402

NDB = 4
SEED = int(os.environ.get("REPLAY_SEED", "0")) or random.randrange(1, 1 << 30)
SHORT_TTL_MS = 250          # short TTLs fire during the run
TTL_TOL_MS = 2              # replay uses absolute times: expiries must match


def ttl_opt(rnd):
    """A random expiry option: none, short (fires soon) or long."""
    x = rnd.random()
    if x < 0.55:
        return []
    if x < 0.7:
        return ["PX", rnd.randint(5, SHORT_TTL_MS)]
    now = int(time.time())
    return rnd.choice([["EX", rnd.randint(1000, 99999)], ["PX", rnd.randint(10 ** 6, 10 ** 8)],
                       ["EXAT", now + rnd.randint(1000, 99999)], ["PXAT", (now + rnd.randint(1000, 9999)) * 1000 + rnd.randint(0, 999)]])


def key(rnd, kind):
    return "%s:%d" % (kind, rnd.randint(0, 6))


def val(rnd):
    return rnd.choice(["a", "bb", "ccc", "x" * rnd.randint(1, 60), str(rnd.randint(-50, 50)), "v%d" % rnd.randint(0, 99)])


def mem(rnd):
    return "m%d" % rnd.randint(0, 9)


def gen(rnd):
    """One random command (list of args)."""
    g = rnd.randint(0, 5)
    if g == 0:      # strings
        k = key(rnd, "s")
        c = rnd.randint(0, 21)
        if c <= 3:
            return ["SET", k, val(rnd)] + ttl_opt(rnd) + rnd.choice([[], [], ["NX"], ["XX"], ["GET"], ["KEEPTTL"]])
        if c == 4:
            return ["SETNX", k, val(rnd)]
        if c == 5:
            return ["SETEX", k, rnd.randint(1000, 9999), val(rnd)]
        if c == 6:
            return ["PSETEX", k, rnd.choice([rnd.randint(5, SHORT_TTL_MS), rnd.randint(10 ** 6, 10 ** 7)]), val(rnd)]
        if c == 7:
            return ["GETSET", k, val(rnd)]
        if c == 8:
            return ["GETDEL", k]
        if c == 9:
            return ["GETEX", k] + rnd.choice([["PERSIST"], ["EX", rnd.randint(100, 9999)], ["PX", rnd.randint(5, SHORT_TTL_MS)],
                                              ["EXAT", int(time.time()) + 5000], []])
        if c == 10:
            return ["MSET", k, val(rnd), key(rnd, "s"), val(rnd)]
        if c == 11:
            return ["MSETNX", k, val(rnd), key(rnd, "s"), val(rnd)]
        if c in (12, 13):
            ik = key(rnd, "i")
            return rnd.choice([["INCR", ik], ["DECR", ik], ["INCRBY", ik, rnd.randint(-100, 100)], ["DECRBY", ik, rnd.randint(-9, 9)]])
        if c in (14, 15):
            return ["INCRBYFLOAT", key(rnd, "f"), rnd.choice(["0.1", "1.5", "-3.25", "1e3", "3.0e-2", "7"])]
        if c == 16:
            return ["APPEND", k, val(rnd)]
        if c == 17:
            return ["SETRANGE", k, rnd.randint(0, 20), val(rnd)]
        if c == 18:
            return ["SETBIT", key(rnd, "b"), rnd.randint(0, 200), rnd.randint(0, 1)]
        if c == 19:
            return ["BITOP", rnd.choice(["AND", "OR", "XOR"]), key(rnd, "b"), key(rnd, "b"), key(rnd, "b")]
        if c == 20:
            return ["BITFIELD", key(rnd, "b"), "INCRBY", "u8", rnd.randint(0, 100), rnd.randint(1, 300)]
        return ["SET", key(rnd, "f"), rnd.choice(["1.5", "2", "x"])]
    if g == 1:      # generic
        c = rnd.randint(0, 16)
        kind = rnd.choice("silhSzf")
        k = key(rnd, kind)
        if c <= 1:
            return [rnd.choice(["DEL", "UNLINK"]), k, key(rnd, kind)]
        if c == 2:
            return ["EXPIRE", k, rnd.choice([rnd.randint(100, 99999), -5, 0])] + rnd.choice([[], [], ["NX"], ["XX"], ["GT"], ["LT"]])
        if c == 3:
            return ["PEXPIRE", k, rnd.randint(5, SHORT_TTL_MS)]
        if c == 4:
            return ["EXPIREAT", k, int(time.time()) + rnd.choice([-10, 5000, 90000])]
        if c == 5:
            return ["PEXPIREAT", k, int(time.time() * 1000) + rnd.choice([-10, 100, 10 ** 7])]
        if c == 6:
            return ["PERSIST", k]
        if c == 7:
            return [rnd.choice(["RENAME", "RENAMENX"]), k, key(rnd, kind)]
        if c == 8:
            return ["COPY", k, key(rnd, kind)] + rnd.choice([[], ["REPLACE"], ["DB", rnd.randint(0, NDB - 1)], ["DB", rnd.randint(0, NDB - 1), "REPLACE"]])
        if c == 9:
            return ["MOVE", k, rnd.randint(0, NDB - 1)]
        if c == 10 and rnd.random() < 0.3:
            return ["SWAPDB", rnd.randint(0, NDB - 1), rnd.randint(0, NDB - 1)]
        if c == 11 and rnd.random() < 0.05:
            return ["FLUSHDB"]
        if c == 12:
            # expanded by the driver; DUMP serializes strings only so far
            sk = rnd.choice("sif")
            return ["RESTORE_FROM", key(rnd, sk), key(rnd, sk)]
        if c == 13:
            return ["TOUCH", k]
        return ["EXISTS", k]
    if g == 2:      # lists
        k = key(rnd, "l")
        c = rnd.randint(0, 15)
        vs = [val(rnd) for _ in range(rnd.randint(1, 4))]
        if c <= 2:
            return [rnd.choice(["LPUSH", "RPUSH"]), k] + vs
        if c == 3:
            return [rnd.choice(["LPUSHX", "RPUSHX"]), k] + vs
        if c == 4:
            return [rnd.choice(["LPOP", "RPOP"]), k] + rnd.choice([[], [rnd.randint(1, 3)]])
        if c == 5:
            return ["LSET", k, rnd.randint(-3, 3), val(rnd)]
        if c == 6:
            return ["LINSERT", k, rnd.choice(["BEFORE", "AFTER"]), val(rnd), val(rnd)]
        if c == 7:
            return ["LREM", k, rnd.randint(-2, 2), val(rnd)]
        if c == 8:
            return ["LTRIM", k, rnd.randint(0, 2), rnd.randint(-3, 5)]
        if c == 9:
            return ["LMOVE", k, key(rnd, "l"), rnd.choice(["LEFT", "RIGHT"]), rnd.choice(["LEFT", "RIGHT"])]
        if c == 10:
            return ["RPOPLPUSH", k, key(rnd, "l")]
        if c == 11:
            return ["LMPOP", 2, k, key(rnd, "l"), rnd.choice(["LEFT", "RIGHT"])] + rnd.choice([[], ["COUNT", rnd.randint(1, 3)]])
        if c == 12:
            return [rnd.choice(["BLPOP", "BRPOP"]), k, key(rnd, "l"), "0.01"]
        if c == 13:
            return ["BLMOVE", k, key(rnd, "l"), "LEFT", "RIGHT", "0.01"]
        return ["RPUSH", k] + vs
    if g == 3:      # hashes
        k = key(rnd, "h")
        c = rnd.randint(0, 6)
        if c <= 1:
            return ["HSET", k, mem(rnd), val(rnd), mem(rnd), val(rnd)]
        if c == 2:
            return [rnd.choice(["HSETNX", "HMSET"]), k, mem(rnd), val(rnd)]
        if c == 3:
            return ["HDEL", k, mem(rnd), mem(rnd)]
        if c == 4:
            return ["HINCRBY", k, "n" + mem(rnd), rnd.randint(-10, 10)]
        return ["HINCRBYFLOAT", k, "f" + mem(rnd), rnd.choice(["0.1", "2.5", "-1.75", "1e2", "3"])]
    if g == 4:      # sets
        k = key(rnd, "S")
        c = rnd.randint(0, 9)
        if c <= 2:
            return ["SADD", k] + [mem(rnd) for _ in range(rnd.randint(1, 5))]
        if c == 3:
            return ["SREM", k, mem(rnd), mem(rnd)]
        if c in (4, 5):
            return ["SPOP", k] + rnd.choice([[], [rnd.randint(0, 4)], [50]])
        if c == 6:
            return ["SMOVE", k, key(rnd, "S"), mem(rnd)]
        if c == 7:
            return [rnd.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), key(rnd, "S"), k, key(rnd, "S")]
        if c == 8:
            return ["SRANDMEMBER", k, rnd.choice([1, 3, -3])]
        return ["SADD", k, mem(rnd)]
    # sorted sets
    k = key(rnd, "z")
    c = rnd.randint(0, 13)
    if c <= 2:
        opts = rnd.choice([[], [], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"]])
        return ["ZADD", k] + opts + sum([[rnd.choice(["1", "2.5", "-3", "1e-3", "0.1"]), mem(rnd)] for _ in range(rnd.randint(1, 3))], [])
    if c == 3:
        return ["ZINCRBY", k, rnd.choice(["0.1", "1", "-2.5"]), mem(rnd)]
    if c == 4:
        return ["ZREM", k, mem(rnd)]
    if c == 5:
        return [rnd.choice(["ZPOPMIN", "ZPOPMAX"]), k] + rnd.choice([[], [rnd.randint(1, 3)]])
    if c == 6:
        return ["ZMPOP", 2, k, key(rnd, "z"), rnd.choice(["MIN", "MAX"])] + rnd.choice([[], ["COUNT", 2]])
    if c == 7:
        return rnd.choice([["ZREMRANGEBYRANK", k, 0, 1], ["ZREMRANGEBYSCORE", k, "-inf", "0"], ["ZREMRANGEBYLEX", k, "[m0", "[m3"]])
    if c == 8:
        return [rnd.choice(["ZUNIONSTORE", "ZINTERSTORE"]), key(rnd, "z"), 2, k, key(rnd, "z")] + rnd.choice([[], ["WEIGHTS", 2, 0.5], ["AGGREGATE", "MAX"]])
    if c == 9:
        return ["ZDIFFSTORE", key(rnd, "z"), 2, k, key(rnd, "z")]
    if c == 10:
        return ["ZRANGESTORE", key(rnd, "z"), k, 0, rnd.randint(0, 3)]
    if c == 11:
        return [rnd.choice(["BZPOPMIN", "BZPOPMAX"]), k, "0.01"]
    if c == 12:
        return ["ZADD", k, "INCR", "1.5", mem(rnd)]
    return ["ZADD", k, rnd.randint(0, 9), mem(rnd)]


def expand(r, cmd, rnd):
    """RESTORE needs a DUMP payload taken now."""
    if cmd[0] != "RESTORE_FROM":
        return cmd
    payload = r.execute_command("DUMP", cmd[1])
    if payload is None:
        return ["EXISTS", cmd[1]]
    opts = rnd.choice([[0], [rnd.randint(10 ** 6, 10 ** 7)], [int(time.time() * 1000) + 10 ** 7, "ABSTTL"],
                       [rnd.randint(5, SHORT_TTL_MS)]])
    return ["RESTORE", cmd[2], opts[0], payload] + opts[1:] + ["REPLACE"] + (["IDLETIME", 5] if rnd.random() < 0.2 else [])


BLOCKING = [
    (["BLPOP", "{k}", "0"], ["RPUSH", "{k}", "b1", "b2"]),
    (["BRPOP", "{k}", "other", "0"], ["LPUSH", "{k}", "b1"]),
    (["BLMOVE", "{k}", "bl:dst", "RIGHT", "LEFT", "0"], ["RPUSH", "{k}", "x", "y"]),
    (["BRPOPLPUSH", "{k}", "bl:dst", "0"], ["RPUSH", "{k}", "q"]),
    (["BLMPOP", "0", "1", "{k}", "LEFT", "COUNT", "2"], ["RPUSH", "{k}", "a", "b", "c"]),
    (["BZPOPMIN", "{k}", "0"], ["ZADD", "{k}", "1", "a", "2", "b"]),
    (["BZPOPMAX", "{k}", "0"], ["ZADD", "{k}", "1", "a", "2", "b"]),
    (["BZMPOP", "0", "1", "{k}", "MIN", "COUNT", "5"], ["ZADD", "{k}", "3", "c", "1", "a"]),
]


def resp(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def read_reply(f):
    line = f.readline()
    t = line[:1]
    if t in (b"+", b"-", b":"):
        return line
    if t == b"$":
        n = int(line[1:])
        return line if n < 0 else f.read(n + 2)
    if t == b"*":
        n = int(line[1:])
        return [read_reply(f) for _ in range(max(n, 0))]
    raise AssertionError("bad reply %r" % line)


def serve_blocked(s, r, rnd, db, i):
    """A client blocks on an empty key, another writes to it: the pop served
    must be journaled as the pop it did."""
    bcmd, push = rnd.choice(BLOCKING)
    k = "bk:%s" % i
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    f = sock.makefile("rb")
    sock.sendall(resp(["SELECT", db]))
    assert read_reply(f) == b"+OK\r\n"
    sock.sendall(resp([a.replace("{k}", k) for a in bcmd]))
    deadline = time.time() + 5
    while b"blocked_clients:0\r\n" in r.execute_command("INFO", "clients"):
        assert time.time() < deadline, "client did not block"
        time.sleep(0.002)
    r.execute_command("SELECT", db)
    r.execute_command(*[a.replace("{k}", k) for a in push])
    rep = read_reply(f)
    assert rep and rep != b"*-1\r\n" and not (isinstance(rep, bytes) and rep.startswith((b"-", b"$-1"))), (bcmd, rep)
    sock.close()


def drive(s, seed, nops=int(os.environ.get("REPLAY_OPS", "6000")), nconn=3):
    """nconn connections at once, so their writes (and databases) interleave."""
    errors = []

    def worker(k):
        try:
            drive_one(s, seed * 7 + k, nops // nconn, k)
        except Exception as e:      # surfaced below
            errors.append(e)
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(nconn)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise errors[0]


def drive_one(s, seed, nops, tid):
    rnd = random.Random(seed)
    r = s.client(single_connection_client=True)
    r.response_callbacks.clear()     # raw replies: ZADD INCR, GETEX... need no parsing
    r.execute_command("SELECT", 0)
    ops = 0
    i = 0
    flushed = False
    while ops < nops:
        i += 1
        x = rnd.random()
        db = rnd.randint(0, NDB - 1)
        if x < 0.03:
            serve_blocked(s, r, rnd, db, "%d:%d" % (tid, i))
            ops += 2
            continue
        if x < 0.12:
            p = r.pipeline(transaction=True)
            p.execute_command("SELECT", db)
            for _ in range(rnd.randint(1, 6)):
                c = gen(rnd)
                if c[0] == "RESTORE_FROM" or c[0] in ("SWAPDB", "FLUSHDB"):
                    continue
                p.execute_command(*c)
                ops += 1
            try:
                p.execute(raise_on_error=False)
            except Exception:
                pass
            continue
        if not flushed and ops > nops // 4 and tid == 0:
            r.execute_command("FLUSHALL")     # once, early enough to refill
            flushed = True
            continue
        p = r.pipeline(transaction=False)
        p.execute_command("SELECT", db)
        for _ in range(rnd.randint(1, 25)):
            c = expand(r, gen(rnd), rnd)
            p.execute_command(*c)
            ops += 1
        p.execute(raise_on_error=False)
        if rnd.random() < 0.05:
            time.sleep(0.03)     # let short TTLs fire: active and lazy expiry
    r.execute_command("SELECT", 0)
    r.close()


def dump(r):
    """Every key of every db: type, value, absolute expiry in ms (or -1)."""
    out = {}
    for db in range(16):
        r.execute_command("SELECT", db)
        cur = 0
        keys = set()
        while True:
            cur, ks = r.scan(cur, count=1000)
            keys.update(ks)
            if int(cur) == 0:
                break
        for k in sorted(keys):
            t = r.type(k).decode()
            if t == "string":
                v = r.get(k)
            elif t == "list":
                v = tuple(r.lrange(k, 0, -1))
            elif t == "hash":
                v = tuple(sorted(r.hgetall(k).items()))
            elif t == "set":
                v = tuple(sorted(r.smembers(k)))
            elif t == "zset":
                v = tuple(r.execute_command("ZRANGE", k, 0, -1, "WITHSCORES"))
            else:
                v = None
            out[(db, k)] = (t, v, int(r.execute_command("PEXPIRETIME", k)))
    r.execute_command("SELECT", 0)
    return out


def diff(a, b):
    bad = []
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if x is None or y is None or x[:2] != y[:2] or abs(x[2] - y[2]) > TTL_TOL_MS:
            bad.append((k, x, y))
    return bad


def settle(r):
    """Wait until every short TTL has fired, so no key expires between two
    dumps (long TTLs are hours away)."""
    time.sleep(SHORT_TTL_MS / 1000.0 + 0.1)


def test_replay_gives_the_same_state():
    print("seed", SEED, flush=True)
    with Server() as s:
        drive(s, SEED)
        settle(s.client())
        before = dump(s.client())
        st = s.client().info("stats")
        assert st["expired_keys"] > 0, "no expiry fired"          # their DELs are in the journal
        assert len(before) > 50, len(before)
        types = {v[0] for v in before.values()}
        assert types == {"string", "list", "hash", "set", "zset"}, types
        assert any(v[2] > 0 for v in before.values())
        jdir = os.path.join(s.dir, "journal")
        copy = tempfile.mkdtemp(prefix="tierdb-replay-")
        s.kill()
        shutil.copytree(jdir, os.path.join(copy, "journal"))
        with Server(dir=s.dir) as s2:
            after = dump(s2.client())
        bad = diff(before, after)
        assert not bad, "restart differs (seed %d): %r" % (SEED, bad[:10])
        # an empty server given the first one's journal
        with Server(dir=copy) as s3:
            again = dump(s3.client())
        bad = diff(before, again)
        assert not bad, "replay on an empty server differs (seed %d): %r" % (SEED, bad[:10])


def test_snapshot_then_journal():
    """Replay after a snapshot starts in db 0 and at the snapshot's clock:
    the first entry after it must name its database, and a key past its TTL
    in the snapshot is still there for the entries that use it."""
    d = tempfile.mkdtemp(prefix="tierdb-snap-")
    try:
        with Server(dir=d) as s:
            r = s.client()
            r.execute_command("SELECT", 3)
            r.set("a", "1")
            r.set("short", "v", px=150)
            r.execute_command("SAVE")
            r.set("b", "2")                      # the entry right after the snapshot
            r.append("short", "+more")           # before it expires
            r.execute_command("SELECT", 0)
            before = dump(r)
            time.sleep(0.3)                      # "short" expires in the snapshot's past
            s.kill()
        with Server(dir=d) as s2:
            r = s2.client()
            after = dump(r)
            r.execute_command("SELECT", 3)
            assert r.get("b") == b"2"
            assert r.get("short") is None
            assert r.execute_command("DBSIZE") == 2
            r.execute_command("SELECT", 0)
            assert r.execute_command("DBSIZE") == 0
        before.pop((3, b"short"))
        assert not diff(before, after), diff(before, after)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _corrupt_middle(dirpath):
    """Flip a byte inside the payload of an entry in the middle of the oldest
    segment; returns (segment name, entry offset)."""
    jdir = os.path.join(dirpath, "journal")
    segs = sorted(n for n in os.listdir(jdir) if n.endswith(".jnl"))
    seg = os.path.join(jdir, segs[0])
    data = bytearray(open(seg, "rb").read())
    off = 40
    offs = []
    while off + 32 <= len(data):
        n = int.from_bytes(data[off:off + 4], "little")
        if n == 0:
            break
        offs.append(off)
        off += 32 + n
    assert len(offs) >= 10, offs
    victim = offs[len(offs) // 2]
    data[victim + 32] ^= 0x55
    open(seg, "wb").write(bytes(data))
    return segs[0], victim


def test_corrupt_middle_entry_stops_startup():
    d = tempfile.mkdtemp(prefix="tierdb-corrupt-")
    try:
        with Server(dir=d) as s:
            r = s.client()
            for i in range(30):
                r.set("k%d" % i, i)
            s.kill()
        seg, off = _corrupt_middle(d)
        s2 = Server(dir=d, wait=False)
        s2.start()
        try:
            rc = s2.proc.wait(timeout=20)
        finally:
            s2.stop()
        log = s2.read_log()
        assert rc != 0, log
        assert seg in log and str(off) in log, (seg, off, log[-2000:])
        assert "journal-truncate-corrupt" in log, log[-2000:]
        last = [l for l in log.splitlines() if "Cannot open the journal" in l][-1]
        assert last.count("journal-truncate-corrupt") == 1, last
        with Server(dir=d, args=["--journal-truncate-corrupt", "yes"]) as s3:
            r = s3.client()
            n = sum(1 for i in range(30) if r.get("k%d" % i) is not None)
            assert 0 < n < 30, n
            assert r.get("k0") == b"0"
            r.set("after", "1")         # the journal takes writes again
            s3.kill()
        with Server(dir=d) as s4:       # and the cut journal opens cleanly
            assert s4.client().get("after") == b"1"
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run(globals())
