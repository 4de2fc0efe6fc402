"""The shipped tierdb.conf is valid and holds the defaults; config-file errors
stop start-up with the file, line and reason."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SERVER, SRCDIR, Server, run  # noqa: E402


def test_shipped_conf_starts_and_matches_defaults():
    conf = os.path.join(SRCDIR, "tierdb.conf")
    with Server(conf=conf) as s:
        r = s.client()
        assert r.ping()
    # every option in the file equals the server's built-in default
    with Server() as s:
        r = s.client()
        for line in open(conf):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, value = line.partition(" ")
            if name in ("port", "bind", "dir"):
                continue
            got = r.config_get(name)[name]
            want = value.strip('"')
            if name == "dram-pmem-ratio":
                want = value
            if name in ("proto-max-bulk-len", "client-query-buffer-limit"):
                want = str(int(want))
            assert got == want, (name, got, want)


def test_bad_config_line_stops_startup():
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("port 7000\n# comment\nnosuchoption 1\n")
        path = f.name
    p = subprocess.run([SERVER, path], capture_output=True, timeout=10)
    os.unlink(path)
    assert p.returncode != 0
    err = p.stderr.decode()
    assert "line 3" in err and "nosuchoption" in err and "Bad directive" in err, err


def test_bad_value_stops_startup():
    p = subprocess.run([SERVER, "--port", "notaport"], capture_output=True, timeout=10)
    assert p.returncode != 0
    assert "port" in p.stderr.decode()


if __name__ == "__main__":
    run(globals())
