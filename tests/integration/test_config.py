"""Configuration: file errors stop start-up with file, line and reason;
command-line overrides; CONFIG SET (all-or-nothing), GET (globs, several
patterns), REWRITE (comments kept), RESETSTAT."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from harness import SERVER, Server, run  # noqa: E402


def write_conf(text):
    fd, path = tempfile.mkstemp(prefix="tierdb-conf-", suffix=".conf")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def start_fails(conf_text, *extra):
    path = write_conf(conf_text)
    try:
        p = subprocess.run([SERVER, path, "--port", "0"] + list(extra), capture_output=True, timeout=20)
        return p.returncode, (p.stdout + p.stderr).decode(), path
    finally:
        os.unlink(path)


def test_file_errors_stop_startup():
    rc, out, path = start_fails("# comment\nport 7000\nnosuchoption yes\n")
    assert rc != 0
    assert path in out and "line 3" in out and "nosuchoption yes" in out and "Bad directive" in out, out
    rc, out, path = start_fails("maxmemory lots\n")
    assert rc != 0 and "line 1" in out and "argument must be a memory value" in out, out
    rc, out, path = start_fails("\n\nmaxmemory-policy sometimes\n")
    assert rc != 0 and "line 3" in out and "must be one of the following" in out, out
    rc, out, path = start_fails('requirepass "unterminated\n')
    assert rc != 0 and "Unbalanced quotes" in out, out
    rc, out, path = start_fails("", "--timeout", "abc")
    assert rc != 0 and "--timeout" in out, out


def test_file_and_overrides():
    path = write_conf("# my settings\nmaxmemory 10mb\ntimeout 7\nslowlog-max-len 5\n")
    try:
        with Server(conf=path, args=["--timeout", "9"]) as s:
            r = s.client()
            assert r.config_get("maxmemory") == {"maxmemory": str(10 << 20)}
            assert r.config_get("timeout") == {"timeout": "9"}            # the command line wins
            assert r.config_get("slowlog-max-len") == {"slowlog-max-len": "5"}
    finally:
        os.unlink(path)


def test_config_set_all_or_nothing():
    with Server() as s:
        r = s.client()
        assert r.execute_command("CONFIG", "SET", "timeout", "5", "maxmemory", "1mb") == b"OK"
        assert r.config_get("timeout")["timeout"] == "5"
        try:
            r.execute_command("CONFIG", "SET", "timeout", "6", "maxmemory", "bogus")
            assert False
        except redis.ResponseError as e:
            assert str(e) == "CONFIG SET failed (possibly related to argument 'maxmemory') - " \
                             "argument must be a memory value", str(e)
        assert r.config_get("timeout")["timeout"] == "5"          # rolled back
        assert r.config_get("maxmemory")["maxmemory"] == str(1 << 20)
        for args, msg in [(("nosuch", "1"), "Unknown option or number of arguments for CONFIG SET - 'nosuch'"),
                          (("timeout", "1", "timeout", "2"),
                           "CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter"),
                          (("timeout",), "wrong number of arguments for 'config|set' command")]:
            try:
                r.execute_command("CONFIG", "SET", *args)
                assert False
            except redis.ResponseError as e:
                assert str(e) == msg, (str(e), msg)


def test_config_get_patterns():
    with Server() as s:
        r = s.client()
        got = r.execute_command("CONFIG", "GET", "maxmemory*", "timeout", "slowlog-*")
        d = dict(zip(got[::2], got[1::2]))
        assert set(d) == {b"maxmemory", b"maxmemory-policy", b"timeout", b"slowlog-log-slower-than",
                          b"slowlog-max-len"}, d
        assert r.execute_command("CONFIG", "GET", "nosuch*") == []
        everything = r.config_get("*")
        assert "port" in everything and "appendonly" in everything and len(everything) > 30
        # an alias answers under the name asked for
        got = r.config_get("hash-max-ziplist-entries")
        assert got == {"hash-max-ziplist-entries": "128"}, got


def test_config_rewrite_keeps_comments():
    path = write_conf("# top comment\n\n# about memory\nmaxmemory 10mb\n  # indented comment\ntimeout 3\n")
    try:
        with Server(conf=path) as s:
            r = s.client()
            r.config_set("maxmemory", "20mb")
            r.config_set("slowlog-max-len", "77")
            assert r.config_rewrite()
            text = open(path).read()
            lines = text.splitlines()
            assert lines[:4] == ["# top comment", "", "# about memory", "maxmemory 20971520"], lines
            assert "  # indented comment" in lines and "timeout 3" in lines
            assert "slowlog-max-len 77" in lines
            assert r.config_rewrite()
            assert open(path).read() == text                  # stable
        with Server(conf=path) as s:
            assert s.client().config_get("slowlog-max-len") == {"slowlog-max-len": "77"}
    finally:
        os.unlink(path)
    with Server() as s:
        try:
            s.client().config_rewrite()
            assert False
        except redis.ResponseError as e:
            assert "without a config file" in str(e)


def test_config_resetstat():
    with Server() as s:
        r = s.client()
        r.set("a", 1)
        r.get("a")
        r.get("b")
        try:
            r.execute_command("nosuch")
        except redis.ResponseError:
            pass
        assert r.config_resetstat()
        info = r.info("everything")
        assert info["keyspace_hits"] == 0 and info["keyspace_misses"] == 0
        assert info["total_error_replies"] == 0
        assert "cmdstat_set" not in info and "cmdstat_get" not in info
        assert info["db0"]["keys"] == 1                      # data is untouched


def test_config_help():
    with Server() as s:
        h = s.client().execute_command("CONFIG", "HELP")
        assert h[0].startswith(b"CONFIG <subcommand>")


run(globals())
