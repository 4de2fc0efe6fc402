"""MULTI/EXEC/DISCARD/WATCH end to end, byte-exact against Debian's
redis-server where it is installed: queueing, EXECABORT, errors inside EXEC,
WATCH races between two clients, WATCH with expiry and with FLUSHDB."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Server, run  # noqa: E402
from resp import Conn, RefServer, have_ref  # noqa: E402


def both(scenario):
    """Run scenario(port) on tierdb (and on redis-server when installed);
    the transcripts must be equal."""
    with Server() as s:
        ours = scenario(s.port)
    if have_ref():
        with RefServer() as r:
            theirs = scenario(r.port)
        assert ours == theirs, "tierdb:\n%r\nredis:\n%r" % (ours, theirs)
    return ours


def test_queue_and_exec():
    def sc(port):
        c = Conn(port)
        out = c.call("MULTI", "SET a 1", "INCR a", "GET a", "EXEC")
        out += c.call("GET a")
        return out
    out = both(sc)
    assert out == [b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n",
                   b"*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n", b"$1\r\n2\r\n"]


def test_execabort():
    def sc(port):
        c = Conn(port)
        out = c.call("MULTI", "SET a 1", "NOSUCHCMD x", "EXEC", "GET a")
        out += c.call("MULTI", "SET a", "EXEC", "GET a")
        out += c.call("MULTI", "SHUTDOWN", "EXEC")
        return out
    out = both(sc)
    assert out[3] == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    assert out[4] == b"$-1\r\n"
    assert out[6] == b"-ERR wrong number of arguments for 'set' command\r\n"
    assert out[7] == out[3]
    assert out[10] == b"-ERR Command not allowed inside a transaction\r\n"
    assert out[11] == out[3]


def test_errors_inside_exec():
    def sc(port):
        c = Conn(port)
        return c.call("SET s abc", "MULTI", "INCR s", "SET t 1", "INCRBY t x", "GET t", "EXEC")
    out = both(sc)
    assert out[-1] == (b"*4\r\n-ERR value is not an integer or out of range\r\n+OK\r\n"
                       b"-ERR value is not an integer or out of range\r\n$1\r\n1\r\n")


def test_state_errors():
    def sc(port):
        c = Conn(port)
        return c.call("EXEC", "DISCARD", "MULTI", "MULTI", "WATCH x", "SET k v", "EXEC",
                      "MULTI", "SET k2 v", "DISCARD", "GET k2", "UNWATCH")
    out = both(sc)
    assert out[0] == b"-ERR EXEC without MULTI\r\n"
    assert out[1] == b"-ERR DISCARD without MULTI\r\n"
    assert out[3] == b"-ERR MULTI calls can not be nested\r\n"
    assert out[4] == b"-ERR WATCH inside MULTI is not allowed\r\n"
    # neither error spoils the transaction
    assert out[6] == b"*1\r\n+OK\r\n"
    assert out[10] == b"$-1\r\n"


def test_empty_exec_and_resp3():
    def sc(port):
        c = Conn(port)
        c.call("HELLO 3")
        out = c.call("MULTI", "EXEC", "WATCH k", "SET k 1", "MULTI", "GET k", "EXEC")
        return out
    out = both(sc)
    assert out[1] == b"*0\r\n"
    assert out[-1] == b"_\r\n"


def test_watch_race_two_clients():
    def sc(port):
        a, b = Conn(port), Conn(port)
        out = a.call("SET k 1", "WATCH k")
        out += b.call("SET k 2")
        out += a.call("MULTI", "SET k 3", "EXEC", "GET k")
        # untouched watch: EXEC runs; own EXEC writes do not spoil others
        out += a.call("WATCH k other", "MULTI", "INCR k", "EXEC")
        # a second watcher of the same key is spoiled by a's EXEC
        out += b.call("WATCH k")
        out += a.call("MULTI", "INCR k", "EXEC")
        out += b.call("MULTI", "INCR k", "EXEC", "GET k")
        # DISCARD and UNWATCH forget the watches
        out += a.call("WATCH k", "UNWATCH")
        out += b.call("SET k 10")
        out += a.call("MULTI", "GET k", "EXEC")
        out += a.call("WATCH k", "MULTI", "DISCARD")
        out += b.call("SET k 11")
        out += a.call("MULTI", "GET k", "EXEC")
        return out
    out = both(sc)
    assert out[5] == b"*-1\r\n"
    assert out[6] == b"$1\r\n2\r\n"
    assert out[10] == b"*1\r\n:3\r\n"
    assert out[14] == b"*1\r\n:4\r\n"
    assert out[17] == b"*-1\r\n"
    assert out[18] == b"$1\r\n4\r\n"
    assert out[-1] == b"*1\r\n$2\r\n11\r\n"


def test_watch_delete_and_missing():
    def sc(port):
        a, b = Conn(port), Conn(port)
        out = a.call("SET k 1", "WATCH k")
        out += b.call("DEL k")
        out += a.call("MULTI", "PING", "EXEC")
        # watching a missing key: creating it spoils the transaction
        out += a.call("WATCH nokey")
        out += b.call("SET nokey 1")
        out += a.call("MULTI", "PING", "EXEC")
        # a delete of a missing key changes nothing
        out += a.call("WATCH gone")
        out += b.call("DEL gone")
        out += a.call("MULTI", "PING", "EXEC")
        return out
    out = both(sc)
    assert out[5] == b"*-1\r\n"
    assert out[10] == b"*-1\r\n"
    assert out[-1] == b"*1\r\n+PONG\r\n"


def test_watch_expiry():
    def sc(port):
        a = Conn(port)
        out = a.call("SET k v PX 100", "WATCH k")
        time.sleep(0.2)
        # expired but maybe not deleted yet: still counts as changed
        out += a.call("MULTI", "PING", "EXEC")
        # a key that had expired before WATCH: its deletion changes nothing
        out += a.call("SET e v PX 1")
        time.sleep(0.05)
        out += a.call("WATCH e")
        out += a.call("MULTI", "PING", "EXEC")
        return out
    out = both(sc)
    assert out[4] == b"*-1\r\n"
    assert out[-1] == b"*1\r\n+PONG\r\n"


def test_watch_flush():
    def sc(port):
        a, b = Conn(port), Conn(port)
        out = a.call("SET k 1", "WATCH k")
        out += b.call("FLUSHDB")
        out += a.call("MULTI", "PING", "EXEC")
        # keys that did not exist are not touched by a flush
        out += a.call("WATCH absent")
        out += b.call("FLUSHALL")
        out += a.call("MULTI", "PING", "EXEC")
        # FLUSHALL of another database touches a key watched there
        out += a.call("SELECT 1", "SET k 1", "WATCH k")
        out += b.call("FLUSHALL")
        out += a.call("MULTI", "PING", "EXEC")
        return out
    out = both(sc)
    assert out[5] == b"*-1\r\n"
    assert out[10] == b"*1\r\n+PONG\r\n"
    assert out[-1] == b"*-1\r\n"


def test_queued_args_are_copies():
    """Queued arguments must survive the query buffer being reused."""
    with Server() as s:
        c = Conn(s.port)
        assert c.call("MULTI") == [b"+OK\r\n"]
        vals = []
        for i in range(200):
            v = ("v%d-" % i) * (1 + i % 37)
            vals.append(v)
            # one command per send: the buffer is compacted in between
            assert c.call(["SET", "key%d" % i, v]) == [b"+QUEUED\r\n"]
        big = "x" * 300000
        assert c.call(["SET", "big", big]) == [b"+QUEUED\r\n"]
        reply = c.call("EXEC")[0]
        assert reply == b"*201\r\n" + b"+OK\r\n" * 201
        for i in (0, 57, 199):
            v = vals[i].encode()
            assert c.call("GET key%d" % i) == [b"$%d\r\n%s\r\n" % (len(v), v)]
        assert c.call("STRLEN big") == [b":300000\r\n"]


def test_pipelined_transactions():
    """A whole transaction in one write, twice, with another client's
    writes in between."""
    with Server() as s:
        a, b = Conn(s.port), Conn(s.port)
        a.send("WATCH k", "MULTI", "INCR k", "INCR k", "EXEC", "MULTI", "INCR k", "EXEC")
        got = [a.read() for _ in range(8)]
        assert got[4] == b"*2\r\n:1\r\n:2\r\n"
        assert got[7] == b"*1\r\n:3\r\n"
        assert b.call("GET k") == [b"$1\r\n3\r\n"]


if __name__ == "__main__":
    run(globals())
