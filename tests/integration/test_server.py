"""Server and connection commands: INFO, CLIENT, RESET, COMMAND, SLOWLOG,
MONITOR, DEBUG, AUTH/HELLO, and redis-cli's interactive hints."""
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from harness import Server, run  # noqa: E402
from rawsock import Raw, RedisRef, cmd, have_redis, wait_up  # noqa: E402


def err(f, *a):
    try:
        f(*a)
    except redis.ResponseError as e:
        return str(e)
    raise AssertionError("no error")


def test_info_sections():
    with Server() as s:
        r = s.client()
        r.set("a", 1)
        r.set("b", 2, ex=100)
        r.get("a")
        r.get("nope")
        info = r.info()
        assert info["redis_version"] == "7.0.15"
        assert "tierdb_version" in info
        assert info["tcp_port"] == s.port
        assert info["connected_clients"] >= 1
        assert info["used_memory"] > 0 and "used_memory_human" in info
        assert info["loading"] == 0 and info["role"] == "master" and info["connected_slaves"] == 0
        assert info["keyspace_hits"] == 1 and info["keyspace_misses"] == 1
        assert info["db0"] == {"keys": 2, "expires": 1, "avg_ttl": info["db0"]["avg_ttl"]}
        for f in ("uptime_in_seconds", "blocked_clients", "used_memory_rss", "used_memory_peak", "maxmemory",
                  "mem_fragmentation_ratio", "rdb_changes_since_last_save", "total_connections_received",
                  "total_commands_processed", "instantaneous_ops_per_sec", "expired_keys",
                  "rejected_connections", "total_error_replies", "used_cpu_sys", "used_cpu_user"):
            assert f in info, f
        assert "cmdstat_get" not in info       # commandstats is not a default section
        raw = Raw(s.port)

        def info_text(*sections):
            raw.send(cmd("INFO", *sections))
            return raw.reply().decode()

        text = info_text()
        heads = [l for l in text.split("\r\n") if l.startswith("# ")]
        assert heads == ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication",
                         "# CPU", "# Modules", "# Errorstats", "# Cluster", "# Keyspace",
                         # tierdb's own sections follow Redis's
                         "# Journal"], heads
        two = info_text("keyspace", "CLIENTS")
        assert [l for l in two.split("\r\n") if l.startswith("# ")] == ["# Clients", "# Keyspace"]
        assert info_text("nosuchsection") == ""
        every = info_text("everything")
        assert "# Commandstats" in every
        cs = r.info("commandstats")
        assert cs["cmdstat_get"]["calls"] == 2 and cs["cmdstat_get"]["failed_calls"] == 0
        assert set(cs["cmdstat_get"]) == {"calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"}
        all_ = info_text("all")
        assert "# Commandstats" in all_
        assert info_text("default", "commandstats").count("# ") == 13   # 11 default + Journal + Commandstats


def test_info_errorstats_and_resetstat():
    with Server() as s:
        r = s.client()
        err(r.execute_command, "nosuchcmd")
        err(r.execute_command, "get")
        info = r.info("everything")
        assert info["total_error_replies"] == 2
        assert info["errorstat_ERR"] in ({"count": 2}, "count=2")
        assert info["cmdstat_get"]["rejected_calls"] == 1
        assert r.config_resetstat()
        info = r.info("everything")
        assert info["total_error_replies"] == 0 and "errorstat_ERR" not in info
        assert "cmdstat_get" not in info


def test_info_same_fields_as_redis():
    if not have_redis():
        return
    with Server() as s, RedisRef() as ref:
        mine = s.client().info("everything")
        theirs = redis.Redis(port=ref.port).info("everything")
        wanted = ["redis_version", "redis_mode", "tcp_port", "uptime_in_seconds", "connected_clients",
                  "blocked_clients", "maxclients", "used_memory", "used_memory_human", "used_memory_rss",
                  "used_memory_peak", "maxmemory", "maxmemory_policy", "mem_fragmentation_ratio", "loading",
                  "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time",
                  "rdb_last_bgsave_status", "aof_enabled", "total_connections_received",
                  "total_commands_processed", "instantaneous_ops_per_sec", "keyspace_hits", "keyspace_misses",
                  "expired_keys", "evicted_keys", "rejected_connections", "total_error_replies", "role",
                  "connected_slaves", "master_replid", "master_repl_offset", "used_cpu_sys", "used_cpu_user",
                  "cluster_enabled"]
        for f in wanted:
            assert f in theirs, f
            assert f in mine, f
            assert type(mine[f]) == type(theirs[f]), (f, mine[f], theirs[f])


def test_client_basics():
    with Server() as s:
        r = s.client()
        cid = r.client_id()
        assert isinstance(cid, int)
        assert r.client_getname() is None
        assert r.client_setname("worker-1")
        assert r.client_getname() == "worker-1"
        assert err(r.client_setname, "bad name") == \
            "Client names cannot contain spaces, newlines or special characters."
        info = r.execute_command("CLIENT", "INFO").decode()
        assert info.startswith("id=%d addr=127.0.0.1:" % cid) and info.endswith("\n")
        assert " name=worker-1 " in info and " cmd=client|info " in info and " resp=2" in info
        other = s.client()
        other.ping()
        lst = r.client_list()
        ids = [int(c["id"]) for c in lst]
        assert cid in ids and ids == sorted(ids) and len(ids) >= 2
        assert [c["id"] for c in r.client_list(client_id=[str(cid)])] == [str(cid)]
        assert r.client_list(_type="normal") and r.client_list(_type="pubsub") == []
        assert err(r.execute_command, "CLIENT", "LIST", "TYPE", "bogus") == "Unknown client type 'bogus'"
        assert err(r.execute_command, "CLIENT", "LIST", "ID", "x") == "Invalid client ID"
        assert r.execute_command("CLIENT", "NO-EVICT", "on") == b"OK"
        assert "flags=e" in r.execute_command("CLIENT", "INFO").decode()
        help_ = r.execute_command("CLIENT", "HELP")
        assert help_[0].startswith(b"CLIENT <subcommand>") and help_[-1] == b"    Prints this help."
        assert err(r.execute_command, "CLIENT", "nosuch") == "unknown subcommand 'nosuch'. Try CLIENT HELP."


SUBCOMMAND_ERRORS = [
    (("CLIENT", "KILL"), "wrong number of arguments for 'client|kill' command"),
    (("CLIENT", "ID", "1"), "wrong number of arguments for 'client|id' command"),
    (("CLIENT", "setname"), "wrong number of arguments for 'client|setname' command"),
    (("CLIENT", "HELP", "x"), "wrong number of arguments for 'client|help' command"),
    (("CLIENT", "UNBLOCK"), "wrong number of arguments for 'client|unblock' command"),
    (("CLIENT", "UNBLOCK", "1", "2", "3"),
     "unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP."),
    (("CLIENT", "UNBLOCK", "x"), "value is not an integer or out of range"),
    (("CLIENT", "UNBLOCK", "1", "now"), "CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
    (("CLIENT", "Bogus", "x"), "unknown subcommand 'Bogus'. Try CLIENT HELP."),
    (("CONFIG", "GET"), "wrong number of arguments for 'config|get' command"),
    (("CONFIG", "RESETSTAT", "x"), "wrong number of arguments for 'config|resetstat' command"),
    (("CONFIG", "REWRITE", "x"), "wrong number of arguments for 'config|rewrite' command"),
    (("CONFIG", "HELP", "x"), "wrong number of arguments for 'config|help' command"),
    (("CONFIG", "SET", "timeout"), "wrong number of arguments for 'config|set' command"),
    (("CONFIG", "SET", "timeout", "1", "maxmemory"), "syntax error"),
    (("CONFIG", "nosuch"), "unknown subcommand 'nosuch'. Try CONFIG HELP."),
]


def test_subcommand_errors_as_redis():
    """CLIENT and CONFIG: an unknown subcommand, a known one with the wrong
    number of arguments, and CLIENT UNBLOCK's own errors, word for word as
    Debian's redis-server gives them."""
    ref = RedisRef().__enter__() if have_redis() else None
    try:
        with Server() as s:
            mine = s.client()
            theirs = redis.Redis(port=ref.port) if ref else None
            for args, msg in SUBCOMMAND_ERRORS:
                assert err(mine.execute_command, *args) == msg, (args, err(mine.execute_command, *args))
                if theirs:
                    assert err(theirs.execute_command, *args) == msg, (args, "redis-server differs")
            assert mine.execute_command("CLIENT", "UNBLOCK", "999999") == 0
            assert mine.execute_command("CLIENT", "UNBLOCK", "-1", "TIMEOUT") == 0
    finally:
        if ref:
            ref.__exit__(None, None, None)


def test_client_kill():
    with Server() as s:
        r = s.client()
        victim = Raw(s.port)
        victim.send(cmd("CLIENT", "ID"))
        vid = victim.reply()
        addr = [c for c in r.client_list() if c["id"] == str(vid)][0]["addr"]
        assert r.execute_command("CLIENT", "KILL", addr) == b"OK"
        assert victim.closed()
        assert err(r.execute_command, "CLIENT", "KILL", "1.2.3.4:5") == "No such client"
        v2, v3 = Raw(s.port), Raw(s.port)
        v2.send(cmd("CLIENT", "ID"))
        id2 = v2.reply()
        v3.send(b"PING\r\n")
        v3.reply()
        assert r.execute_command("CLIENT", "KILL", "ID", id2) == 1
        assert v2.closed()
        # SKIPME yes by default: kills everyone but the caller
        assert r.execute_command("CLIENT", "KILL", "LADDR", "127.0.0.1:%d" % s.port) >= 1
        assert v3.closed()
        assert r.ping()
        assert err(r.execute_command, "CLIENT", "KILL", "ID", "0") == "client-id should be greater than 0"
        assert err(r.execute_command, "CLIENT", "KILL", "TYPE", "x") == "Unknown client type 'x'"
        assert r.execute_command("CLIENT", "KILL", "ID", r.client_id(), "SKIPME", "no") == 1


def test_client_reply():
    with Server() as s:
        c = Raw(s.port)
        c.send(cmd("CLIENT", "REPLY", "OFF") + cmd("SET", "a", "1") + cmd("GET", "a") +
               cmd("CLIENT", "REPLY", "ON") + cmd("GET", "a"))
        assert c.reply() == "OK"
        assert c.reply() == b"1"
        c.send(cmd("CLIENT", "REPLY", "SKIP") + cmd("GET", "a") + cmd("ECHO", "x"))
        assert c.reply() == b"x"


def test_reset():
    s = Server(args=["--requirepass", "pw"], wait=False)
    with wait_up(s):
        c = Raw(s.port)
        c.send(cmd("AUTH", "pw") + cmd("HELLO", "3") + cmd("SELECT", "3") + cmd("CLIENT", "SETNAME", "n"))
        assert c.reply() == "OK"
        assert c.reply()[b"proto"] == 3
        assert c.reply() == "OK" and c.reply() == "OK"
        c.send(cmd("RESET"))
        assert c.reply() == "RESET"
        c.send(cmd("GET", "x"))
        assert c.reply() == ("err", "NOAUTH Authentication required.")
        c.send(cmd("AUTH", "pw") + cmd("CLIENT", "INFO"))
        assert c.reply() == "OK"
        info = c.reply().decode()
        assert " db=0 " in info and " name= " in info and " resp=2" in info


def test_auth_and_hello():
    s = Server(args=["--requirepass", "secret"], wait=False)
    with wait_up(s):
        c = Raw(s.port)
        c.send(cmd("GET", "k"))
        assert c.reply() == ("err", "NOAUTH Authentication required.")
        c.send(cmd("AUTH", "wrong"))
        assert c.reply() == ("err", "WRONGPASS invalid username-password pair or user is disabled.")
        c.send(cmd("HELLO", "3"))
        assert c.reply()[1].startswith("NOAUTH HELLO must be called with the client already authenticated")
        c.send(cmd("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "me"))
        h = c.reply()
        assert h[b"proto"] == 3 and h[b"id"] > 0
        c.send(cmd("CLIENT", "GETNAME"))
        assert c.reply() == b"me"
        d = Raw(s.port)
        d.send(cmd("AUTH", "default", "secret") + cmd("PING"))
        assert d.reply() == "OK" and d.reply() == "PONG"
        # removing the password frees every connection
        d.send(cmd("CONFIG", "SET", "requirepass", ""))
        assert d.reply() == "OK"
        e = Raw(s.port)
        e.send(cmd("PING"))
        assert e.reply() == "PONG"
    with Server() as s:
        r = s.client()
        assert err(r.execute_command, "AUTH", "x").startswith("AUTH <password> called without any password configured")
        c = Raw(s.port)
        c.send(cmd("HELLO", "2", "AUTH", "default", "anything") + cmd("HELLO", "4"))
        assert c.reply()[5] == 2
        assert c.reply() == ("err", "NOPROTO unsupported protocol version")


def test_command():
    with Server() as s:
        r = s.client()
        rr = Raw(s.port)

        class R:   # redis-py post-processes COMMAND replies; read them raw
            @staticmethod
            def execute_command(*a):
                rr.send(cmd(*a))
                rep = rr.reply()
                if isinstance(rep, tuple):
                    raise redis.ResponseError(rep[1].split(" ", 1)[1] if rep[1].startswith("ERR ") else rep[1])
                return rep
        r = R()
        raw = Raw(s.port)
        raw.send(cmd("COMMAND", "COUNT") + cmd("COMMAND"))
        n = raw.reply()
        allc = raw.reply()
        assert len(allc) == n > 20
        get = r.execute_command("COMMAND", "INFO", "get", "nosuch")
        assert get[1] is None
        g = get[0]
        assert g[0] == b"get" and g[1] == 2 and set(g[2]) == {"readonly", "fast"}
        assert g[3:6] == [1, 1, 1] and "@read" in g[6]
        mset = r.execute_command("COMMAND", "INFO", "mset")[0]
        assert mset[3:6] == [1, -1, 2]
        cfg = r.execute_command("COMMAND", "INFO", "config")[0]
        subs = [x[0] for x in cfg[9]]
        assert b"config|get" in subs and b"config|set" in subs
        assert r.execute_command("COMMAND", "INFO", "config|get")[0][0] == b"config|get"
        assert r.execute_command("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2") == [b"a", b"b"]
        assert err(r.execute_command, "COMMAND", "GETKEYS", "nosuch", "x") == "Invalid command specified"
        assert err(r.execute_command, "COMMAND", "GETKEYS", "get", "a", "b") == \
            "Invalid number of arguments specified for command"
        assert err(r.execute_command, "COMMAND", "GETKEYS", "ping", "x") == "The command has no key arguments"
        lst = r.execute_command("COMMAND", "LIST")
        assert b"get" in lst and b"config|set" in lst
        pat = r.execute_command("COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*")
        assert set(pat) == {b"config", b"config|get", b"config|set", b"config|resetstat", b"config|rewrite",
                            b"config|help"}
        assert b"ping" in r.execute_command("COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection")
        docs = r.execute_command("COMMAND", "DOCS", "set")
        d = dict(zip(docs[1][::2], docs[1][1::2]))
        assert d[b"summary"] and d[b"group"] == b"string" and d[b"since"] == b"1.0.0"
        names = [dict(zip(a[::2], a[1::2]))[b"name"] for a in d[b"arguments"]]
        assert names[:2] == [b"key", b"value"]
        assert r.execute_command("COMMAND", "HELP")[0].startswith("COMMAND <subcommand>")


def test_command_docs_every_command_parses():
    """redis-cli asserts on malformed COMMAND DOCS: every entry must carry a
    name and a known type, recursively."""
    with Server() as s:
        c = Raw(s.port)
        c.send(cmd("HELLO", "3") + cmd("COMMAND", "DOCS"))
        c.reply()
        docs = c.reply()
        known = {b"key", b"string", b"integer", b"double", b"pattern", b"unix-time", b"pure-token", b"oneof",
                 b"block", b"token"}

        def check(a):
            assert a[b"type"] in known and b"name" in a, a
            for f in a.get(b"flags", []):
                assert f in ("optional", "multiple", "multiple_token")
            for k in a.get(b"arguments", []):
                check(k)

        for name, d in docs.items():
            for a in d.get(b"arguments", []):
                check(a)


def hint_for(port, text):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["REDISCLI_HISTFILE"] = "/dev/null"
        os.execvp("redis-cli", ["redis-cli", "-p", str(port)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 250, 0, 0))
    out = b""

    def pump(t):
        nonlocal out
        end = time.time() + t
        while time.time() < end:
            rd, _, _ = select.select([fd], [], [], 0.05)
            if rd:
                try:
                    d = os.read(fd, 65536)
                except OSError:
                    return
                out += d
                for _ in range(d.count(b"\x1b[6n")):
                    os.write(fd, b"\x1b[1;1R" if out.count(b"\x1b[6n") % 2 else b"\x1b[1;250R")

    pump(1.0)
    os.write(fd, text.encode())
    pump(0.8)
    os.write(fd, b"\x03")
    pump(0.2)
    os.write(fd, b"quit\r")
    pump(0.3)
    try:
        os.kill(pid, 9)
    except OSError:
        pass
    os.waitpid(pid, 0)
    return out.decode("utf-8", "replace")


def test_redis_cli_hints():
    with Server() as s:
        out = hint_for(s.port, "set ")
        assert "key value [NX|XX] [GET] [EX seconds|PX milliseconds" in out, out[-400:]
        out = hint_for(s.port, "mset ")
        assert "key value [key value ...]" in out, out[-400:]


def test_slowlog():
    with Server() as s:
        r = s.client()
        r.config_set("slowlog-log-slower-than", "0")
        r.slowlog_reset()
        r.client_setname("slowpoke")
        r.set("k", "x" * 200)
        r.execute_command("MSET", *(["a", "b"] * 20))
        log = r.execute_command("SLOWLOG", "GET", "-1")
        assert r.slowlog_len() == len(log) + 1 and len(log) >= 3   # SLOWLOG GET itself is logged
        mset = [e for e in log if e[3][0] == b"MSET"][0]
        assert len(mset[3]) == 32 and mset[3][-1] == b"... (10 more arguments)"
        setcmd = [e for e in log if e[3][0] == b"SET"][0]
        assert setcmd[3][2] == b"x" * 128 + b"... (72 more bytes)"
        assert setcmd[4].startswith(b"127.0.0.1:") and setcmd[5] == b"slowpoke"
        assert log[0][0] > log[-1][0]
        assert len(r.execute_command("SLOWLOG", "GET", "1")) == 1
        assert err(r.execute_command, "SLOWLOG", "GET", "-2") == "count should be greater than or equal to -1"
        r.config_set("slowlog-max-len", "2")
        r.ping()
        assert r.slowlog_len() == 2
        r.config_set("slowlog-log-slower-than", "-1")
        r.slowlog_reset()
        r.ping()
        assert r.slowlog_len() == 0
        r.config_set("slowlog-log-slower-than", "100000")
        r.execute_command("DEBUG", "SLEEP", "0.15")
        assert r.slowlog_len() == 1
        assert r.execute_command("SLOWLOG", "HELP")[-1] == b"    Prints this help."


def test_monitor():
    with Server() as s:
        m = Raw(s.port)
        m.send(cmd("MONITOR"))
        assert m.reply() == "OK"
        r = s.client()
        r.set("k", 'a"b\n\x01')
        r.execute_command("CONFIG", "GET", "maxmemory")
        r.select(2)
        r.get("k")
        l1 = m.reply()
        assert l1.split(" ", 1)[1].startswith("[0 127.0.0.1:")
        assert l1.endswith('"SET" "k" "a\\"b\\n\\x01"'), l1
        l2 = m.reply()
        assert l2.endswith('"SELECT" "2"'), l2        # CONFIG (admin) is never shown
        assert m.reply().split(" ", 1)[1].startswith("[2 ")
        info = r.info("clients")
        listed = r.client_list()
        assert any("O" in c["flags"] for c in listed)
        assert info["connected_clients"] == len(listed) - 1   # monitors are not counted


def test_debug():
    with Server() as s:
        r = s.client()
        t0 = time.time()
        assert r.execute_command("DEBUG", "SLEEP", "0.2") == b"OK"
        assert time.time() - t0 >= 0.2
        assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"OK"
        r.set("e", 1, px=10)
        time.sleep(0.4)
        assert r.dbsize() == 1                         # nothing expires in the background
        assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1") == b"OK"
        deadline = time.time() + 3
        while r.dbsize() and time.time() < deadline:
            time.sleep(0.05)
        assert r.dbsize() == 0


def test_benchmark_configs_present():
    with Server() as s:
        r = s.client()
        assert r.config_get("appendonly") == {"appendonly": "no"}
        assert r.config_get("save") == {"save": ""}
        assert r.config_get("appendfsync") == {"appendfsync": "everysec"}


run(globals())
