"""Pub/sub end to end, byte-exact against Debian's redis-server where it is
installed: RESP2 subscriber mode, RESP3 pushes next to normal replies,
patterns, shard channels (SSUBSCRIBE/SPUBLISH), PUBSUB
CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS/SHARDNUMSUB/HELP, INFO and CLIENT LIST
counts, clean-up on disconnect, the pubsub output-buffer class."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Server, run  # noqa: E402
from resp import Conn, RefServer, have_ref  # noqa: E402


def both(scenario):
    with Server() as s:
        ours = scenario(s.port)
    if have_ref():
        with RefServer() as r:
            theirs = scenario(r.port)
        assert ours == theirs, "tierdb:\n%r\nredis:\n%r" % (ours, theirs)
    return ours


def test_resp2_subscribe_publish():
    def sc(port):
        sub, pub = Conn(port), Conn(port)
        out = sub.call("SUBSCRIBE a b")   # two replies for one command
        out.append(sub.read())
        out += pub.call("PUBLISH a hello", "PUBLISH c nobody")
        out.append(sub.read())
        # subscriber mode: only pub/sub commands, PING answers as an array
        out += sub.call("GET x", "PUBLISH a x", "PING", "PING hi")
        out += sub.call("SUBSCRIBE a")
        out += sub.call("UNSUBSCRIBE nosuch")
        sub.send("UNSUBSCRIBE")
        # the order of an unsubscribe-all is the server's hash order
        last = [sub.read(), sub.read()]
        out += [b"unsubscribe %d" % len(last), last[-1][-4:]]
        # out of subscriber mode again
        out += sub.call("PING", "UNSUBSCRIBE", "PUNSUBSCRIBE")
        return out
    out = both(sc)
    assert out[0] == b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
    assert out[1] == b"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
    assert out[2] == b":1\r\n" and out[3] == b":0\r\n"
    assert out[4] == b"*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n"
    assert out[5].startswith(b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE")
    assert out[6].startswith(b"-ERR Can't execute 'publish'")
    assert out[7] == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    assert out[8] == b"*2\r\n$4\r\npong\r\n$2\r\nhi\r\n"
    assert out[-4] == b":0\r\n"
    assert out[-3] == b"+PONG\r\n"
    assert out[-2] == b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
    assert out[-1] == b"*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n"


def test_patterns():
    def sc(port):
        sub, pub = Conn(port), Conn(port)
        sub.send("PSUBSCRIBE news.* n?ws.sport")
        out = [sub.read(), sub.read()]
        out += sub.call("SUBSCRIBE news.sport")
        out += pub.call("PUBLISH news.sport goal", "PUBLISH news.art paint", "PUBLISH other x")
        msgs = [sub.read() for _ in range(4)]
        # patterns are tried in the server's hash order
        out += [msgs[0]] + sorted(msgs[1:3]) + [msgs[3]]
        out += pub.call("PUBSUB NUMPAT", "PUBSUB NUMSUB news.sport news.* x")
        out += sub.call("PUNSUBSCRIBE news.*", "PUNSUBSCRIBE")
        out += pub.call("PUBLISH news.art again", "PUBSUB NUMPAT")
        return out
    out = both(sc)
    assert out[0] == b"*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:1\r\n"
    assert out[3] == b":3\r\n"      # channel + two patterns
    assert out[4] == b":1\r\n" and out[5] == b":0\r\n"
    assert b"pmessage" in out[7] and b"paint" not in out[7]
    assert out[10] == b":2\r\n"
    assert out[11] == (b"*6\r\n$10\r\nnews.sport\r\n:1\r\n$6\r\nnews.*\r\n:0\r\n$1\r\nx\r\n:0\r\n")
    assert out[-2] == b":0\r\n" and out[-1] == b":0\r\n"


def test_resp3_pushes():
    def sc(port):
        sub, pub = Conn(port), Conn(port)
        sub.call("HELLO 3")
        out = sub.call("SUBSCRIBE ch")
        # normal commands keep working
        out += sub.call("SET k v", "GET k", "PING")
        out += pub.call("PUBLISH ch m1")
        out.append(sub.read())
        out += sub.call("PSUBSCRIBE c*")
        out += pub.call("PUBLISH ch m2")
        out += [sub.read(), sub.read()]
        out += sub.call("UNSUBSCRIBE ch", "PUNSUBSCRIBE c*", "UNSUBSCRIBE")
        return out
    out = both(sc)
    assert out[0] == b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    assert out[1:4] == [b"+OK\r\n", b"$1\r\nv\r\n", b"+PONG\r\n"]
    assert out[5] == b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm1\r\n"
    assert out[8] == b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm2\r\n"
    assert out[9] == b">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nm2\r\n"
    assert out[-1] == b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"


def test_pubsub_introspection():
    def sc(port):
        s1, s2, q = Conn(port), Conn(port), Conn(port)
        s1.send("SUBSCRIBE a1 a2 b1")
        [s1.read() for _ in range(3)]
        s2.send("SUBSCRIBE a1")
        s2.read()
        out = q.call("PUBSUB NUMSUB a1 a2 b1 zz", "PUBSUB NUMSUB")
        chans = sorted(q.call("PUBSUB CHANNELS")[0].split(b"\r\n"))
        achans = sorted(q.call("PUBSUB CHANNELS a*")[0].split(b"\r\n"))
        out += [b"|".join(chans), b"|".join(achans)]
        out += q.call("PUBSUB CHANNELS a b", "PUBSUB NUMPAT x", "PUBSUB FOO", "PUBSUB HELP",
                      "PUBSUB", "PUBSUB SHARDCHANNELS", "PUBSUB SHARDNUMSUB a1")
        # a subscriber that goes away leaves nothing behind
        s1.close()
        time.sleep(0.1)
        out += q.call("PUBSUB NUMSUB a1 a2", "PUBSUB CHANNELS", "PUBLISH a2 x", "PUBLISH a1 x")
        return out
    out = both(sc)
    assert out[0] == b"*8\r\n$2\r\na1\r\n:2\r\n$2\r\na2\r\n:1\r\n$2\r\nb1\r\n:1\r\n$2\r\nzz\r\n:0\r\n"
    assert out[1] == b"*0\r\n"
    assert out[4] == b"-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"
    assert out[5] == b"-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"
    assert out[6] == b"-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n"
    assert out[7].startswith(b"*14\r\n+PUBSUB <subcommand>")
    assert out[8] == b"-ERR wrong number of arguments for 'pubsub' command\r\n"
    assert out[-4] == b"*4\r\n$2\r\na1\r\n:1\r\n$2\r\na2\r\n:0\r\n"
    assert out[-3] == b"*1\r\n$2\r\na1\r\n"
    assert out[-2] == b":0\r\n" and out[-1] == b":1\r\n"


def test_shard_channels():
    """SSUBSCRIBE and SPUBLISH are their own namespace: PUBLISH does not reach
    a shard subscriber, SPUBLISH reaches no pattern, and an ssubscribe event
    counts shard channels while (p)subscribe counts channels + patterns."""
    def sc(port):
        sub, pub, q = Conn(port), Conn(port), Conn(port)
        sub.send("SSUBSCRIBE s1 s2")
        out = [sub.read(), sub.read()]
        out += sub.call("SUBSCRIBE c1", "SSUBSCRIBE s1", "PSUBSCRIBE s*", "GET x", "CLIENT LIST")
        out += pub.call("SPUBLISH s1 hello", "PUBLISH s1 hi", "SPUBLISH nobody x")
        out += [sub.read(), sub.read()]
        shard = sorted(q.call("PUBSUB SHARDCHANNELS")[0].split(b"\r\n"))
        out += [b"|".join(shard)]
        out += q.call("PUBSUB SHARDCHANNELS s2*", "PUBSUB SHARDNUMSUB s1 s9", "PUBSUB CHANNELS",
                      "PUBSUB NUMSUB s1")
        info = q.call("INFO stats")[0].split(b"\r\n")
        out += [b"|".join(x for x in info if x.startswith(b"pubsub"))]
        lst = q.call("CLIENT LIST")[0]
        out += [b"|".join(sorted(set(x[x.index(b" sub="):x.index(b" multi=")]
                                     for x in lst.split(b"\n") if b" sub=" in x)))]
        out += sub.call("SUNSUBSCRIBE s1", "SUNSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "PING")
        other = Conn(port)
        out += other.call("SUNSUBSCRIBE", "SSUBSCRIBE x", "UNSUBSCRIBE", "SUNSUBSCRIBE x y")
        out.append(other.read())
        r3 = Conn(port)
        r3.call("HELLO 3")
        out += r3.call("SSUBSCRIBE z", "SPUBLISH z m")
        out += [r3.read()]
        out += r3.call("SUNSUBSCRIBE")
        out += q.call("MULTI", "SSUBSCRIBE m1", "SPUBLISH m1 x", "EXEC", "SUNSUBSCRIBE")
        return out
    out = both(sc)
    assert out[0] == b"*3\r\n$10\r\nssubscribe\r\n$2\r\ns1\r\n:1\r\n"
    assert out[1] == b"*3\r\n$10\r\nssubscribe\r\n$2\r\ns2\r\n:2\r\n"
    assert out[2] == b"*3\r\n$9\r\nsubscribe\r\n$2\r\nc1\r\n:1\r\n"
    assert out[3] == b"*3\r\n$10\r\nssubscribe\r\n$2\r\ns1\r\n:2\r\n"
    assert out[4] == b"*3\r\n$10\r\npsubscribe\r\n$2\r\ns*\r\n:2\r\n"
    assert out[5].startswith(b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE")
    assert out[6].startswith(b"-ERR Can't execute 'client|list': only (P|S)SUBSCRIBE")
    assert out[7:10] == [b":1\r\n", b":1\r\n", b":0\r\n"]
    assert out[10] == b"*3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$5\r\nhello\r\n"
    assert out[11] == b"*4\r\n$8\r\npmessage\r\n$2\r\ns*\r\n$2\r\ns1\r\n$2\r\nhi\r\n"
    assert out[12] == b"|$2|$2|*2|s1|s2"
    assert out[13] == b"*1\r\n$2\r\ns2\r\n"
    assert out[14] == b"*4\r\n$2\r\ns1\r\n:1\r\n$2\r\ns9\r\n:0\r\n"
    assert out[15] == b"*1\r\n$2\r\nc1\r\n" and out[16] == b"*2\r\n$2\r\ns1\r\n:0\r\n"
    assert out[17] == b"pubsub_channels:1|pubsub_patterns:1|pubsubshard_channels:2", out[17]
    assert out[18] == b" sub=0 psub=0 ssub=0| sub=1 psub=1 ssub=2", out[18]
    assert out[19] == b"*3\r\n$12\r\nsunsubscribe\r\n$2\r\ns1\r\n:1\r\n"
    assert out[20] == b"*3\r\n$12\r\nsunsubscribe\r\n$2\r\ns2\r\n:0\r\n"
    assert out[21] == b"*3\r\n$11\r\nunsubscribe\r\n$2\r\nc1\r\n:1\r\n"
    assert out[23] == b"+PONG\r\n"
    assert out[24] == b"*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n"
    assert out[26] == b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
    assert out[27] == b"*3\r\n$12\r\nsunsubscribe\r\n$1\r\nx\r\n:0\r\n"
    assert out[-9] == b">3\r\n$10\r\nssubscribe\r\n$1\r\nz\r\n:1\r\n"
    # the publisher is the subscriber: the push comes before SPUBLISH's reply
    assert out[-8] == b">3\r\n$8\r\nsmessage\r\n$1\r\nz\r\n$1\r\nm\r\n" and out[-7] == b":1\r\n"
    assert out[-6] == b">3\r\n$12\r\nsunsubscribe\r\n$1\r\nz\r\n:0\r\n"
    # inside EXEC, SSUBSCRIBE is refused (SUBSCRIBE is not)
    assert out[-2] == b"*2\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n:0\r\n"
    assert out[-1] == b"*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n"

def test_subscribe_in_multi():
    def sc(port):
        c, pub = Conn(port), Conn(port)
        out = c.call("MULTI", "SUBSCRIBE x", "EXEC")
        out += pub.call("PUBLISH x hi")
        out.append(c.read())
        return out
    out = both(sc)
    assert out[2] == b"*1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n"
    assert out[3] == b":1\r\n"


def test_slow_subscriber_dropped():
    """The pubsub class of client-output-buffer-limit closes a subscriber
    that does not read."""
    with Server(args=["--client-output-buffer-limit", "pubsub 256kb 0 0"]) as s:
        sub, pub = Conn(s.port), Conn(s.port)
        sub.call("SUBSCRIBE flood")
        msg = "x" * 65536
        for _ in range(200):
            pub.send(["PUBLISH", "flood", msg])
        for _ in range(200):
            pub.read()
        deadline = time.time() + 5
        while time.time() < deadline:
            if pub.call("PUBSUB NUMSUB flood") == [b"*2\r\n$5\r\nflood\r\n:0\r\n"]:
                break
            time.sleep(0.05)
        assert pub.call("PUBSUB NUMSUB flood") == [b"*2\r\n$5\r\nflood\r\n:0\r\n"]
        # a normal client with the same backlog is not limited by that class
        assert pub.call("PING") == [b"+PONG\r\n"]


if __name__ == "__main__":
    run(globals())
