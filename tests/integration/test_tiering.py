"""Tiered memory end to end: the DRAM share of user data follows
dram-pmem-ratio (at start-up and after CONFIG SET, under load), policies
switch live, a full PMem tier overflows to DRAM, MEMORY TIER/USAGE, config
validation, maxmemory over both tiers, and the kmem-dax kind on this
machine's node 0 (MEMKIND_DAX_KMEM_NODES=0)."""
import math
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from harness import Server, run  # noqa: E402


def tinfo(r):
    """Tiering fields as a dict: from INFO memory once the integrator hooks
    tiering_info() in, from MEMORY MALLOC-STATS (same text) until then."""
    text = None
    try:
        raw = r.execute_command("INFO", "memory")
        if isinstance(raw, bytes):
            raw = raw.decode()
        if "used_memory_dram" in str(raw):
            text = raw if isinstance(raw, str) else None
            if text is None:
                return {k: str(v) for k, v in raw.items()}
    except redis.ResponseError:
        pass
    if text is None:
        text = r.execute_command("MEMORY", "MALLOC-STATS")
        if isinstance(text, bytes):
            text = text.decode()
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def share(r):
    """DRAM share of user data in percent (None with no user data)."""
    i = tinfo(r)
    d, p = int(i["used_memory_dram_user"]), int(i["used_memory_pmem_user"])
    return None if d + p == 0 else 100.0 * d / (d + p)


def wait_share(r, target, tol=2.0, timeout=30.0, stable=3, window=0):
    """Wait until the share is within tol of target on `stable` polls in a
    row (or, with window, until the median of the last `window` polls is);
    returns the last share seen, raises on timeout."""
    deadline = time.time() + timeout
    ok = 0
    s = None
    seen = []
    while time.time() < deadline:
        s = share(r)
        ok = ok + 1 if s is not None and abs(s - target) <= tol else 0
        if s is not None:
            seen = (seen + [s])[-window:] if window else []
        if window and len(seen) == window and abs(sorted(seen)[window // 2] - target) <= tol:
            return s
        if not window and ok >= stable:
            return s
        time.sleep(0.2)
    raise AssertionError("DRAM share %s did not reach %.1f%% +-%.1f in %.0fs; %s" % (s, target, tol, timeout, tinfo(r)))


def sizes(n, seed):
    rnd = random.Random(seed)
    # log-uniform 64 B .. 64 KB
    return [int(math.exp(rnd.uniform(math.log(64), math.log(65536)))) for _ in range(n)]


def load_mixed(r, n=2500, prefix="k", seed=1):
    """Mixed-size strings; every 5th grows by APPEND, every 7th by SETRANGE."""
    p = r.pipeline(transaction=False)
    for i, sz in enumerate(sizes(n, seed)):
        key = "%s%d" % (prefix, i)
        p.set(key, b"x" * sz)
        if i % 5 == 0:
            for _ in range(3):
                p.append(key, b"y" * (sz // 2 + 1))
        if i % 7 == 0:
            p.setrange(key, sz * 2, b"z" * 100)
        if i % 200 == 199:
            p.execute()
    p.execute()


def cfg(r, name):
    return r.config_get(name)[name]


def test_ratio_1_4_then_1_1_under_load():
    with Server(["--dram-pmem-ratio", "1", "4"]) as s:
        r = s.client()
        assert cfg(r, "dram-pmem-ratio") == "1 4"
        load_mixed(r)
        wait_share(r, 20.0, timeout=20)
        i = tinfo(r)
        assert i["dram_share_target_perc"] == "20.00%"
        assert i["pmem_kind"] == "emulated"

        stop = threading.Event()
        errors = []

        def writer():
            w = s.client()
            rnd = random.Random(7)
            n = 0
            try:
                while not stop.is_set():
                    k = "w%d" % (n % 500)
                    sz = int(math.exp(rnd.uniform(math.log(64), math.log(65536))))
                    if n % 3 == 0:
                        w.append(k, b"a" * (sz // 4 + 1))
                    else:
                        w.set(k, b"b" * sz)
                    n += 1
                    if n % 50 == 0:
                        time.sleep(0.01)
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        t = threading.Thread(target=writer)
        t.start()
        try:
            time.sleep(0.5)
            assert r.config_set("dram-pmem-ratio", "1 1") is True
            assert cfg(r, "dram-pmem-ratio") == "1 1"
            t0 = time.time()
            wait_share(r, 50.0, timeout=30)
            took = time.time() - t0
        finally:
            stop.set()
            t.join()
        assert not errors, errors
        i = tinfo(r)
        assert i["dram_share_target_perc"] == "50.00%"
        assert int(i["migrated_to_dram_bytes"]) > 0, i
        # the step never ran much past its budget (generous for a loaded CI box)
        assert int(i["tier_migration_max_step_cpu_us"]) < 20 * int(i["tier_migration_budget_us"]), i
        print("  1:1 reached in %.1fs" % took)
        # values are intact after moving
        assert r.strlen("k1") == sizes(2, 1)[1]
        v = r.get("k0")
        sz0 = sizes(1, 1)[0]
        assert v.startswith(b"x" * sz0) and b"z" * 100 in v


def test_hot_values_come_back_to_dram_first():
    # policy threshold: 32 KB values all land on PMem, nothing moves
    with Server(["--memory-alloc-policy", "threshold", "--static-threshold", "1000"]) as s:
        r = s.client()
        p = r.pipeline(transaction=False)
        for i in range(600):
            p.set("h%d" % i, b"h" * 32000)
        p.execute()
        assert share(r) < 1.0
        time.sleep(3.2)   # everything is now idle for >= 3 s (access clock in seconds)
        hot = ["h%d" % i for i in range(0, 600, 20)]
        for k in hot:
            r.get(k)
        # ask for 30 % on DRAM: far fewer bytes than all keys, more than the hot ones
        r.execute_command("CONFIG", "SET", "memory-alloc-policy", "ratio", "dram-pmem-ratio", "3 7")
        # a hot set is read all along: keep reading it while the share
        # settles, so a slow (loaded) run does not let it go cold meanwhile
        deadline, ok = time.time() + 30, 0
        while ok < 3:
            for k in hot:
                r.get(k)
            ok = ok + 1 if abs(share(r) - 30.0) <= 2.0 else 0
            assert time.time() < deadline, tinfo(r)
            time.sleep(0.2)
        on_dram = lambda keys: sum(r.execute_command("MEMORY", "TIER", k) == b"dram" for k in keys)
        cold = ["h%d" % i for i in range(600) if i % 20]
        assert on_dram(hot) == len(hot), on_dram(hot)
        assert on_dram(cold) < 0.5 * len(cold), on_dram(cold)


def test_all_hot_keys_still_migrate():
    # Every key is read all the time, so the walk's cold-first filter turns
    # all of them away.  It must relax within a few steps, not one full pass
    # over the keyspace per relaxation: 30k small PMem keys make a pass take
    # tens of steps at this budget (the fix needs about 1 s to relax fully,
    # the old walk over 20 s), and only about 500 DRAM values have to go.
    with Server(["--memory-alloc-policy", "only-pmem", "--tier-migration-budget-us", "0"]) as s:
        r = s.client()
        nsmall, nbig = 30000, 1500
        p = r.pipeline(transaction=False)
        for i in range(nsmall):
            p.set("a%d" % i, b"a" * 100)
            if i % 5000 == 4999:
                p.execute()
        p.execute()
        r.config_set("memory-alloc-policy", "only-dram")
        for i in range(nbig):
            p.set("b%d" % i, b"b" * 2000)
        p.execute()
        s0 = share(r)
        assert 40.0 < s0 < 55.0, tinfo(r)
        keys = ["a%d" % i for i in range(nsmall)] + ["b%d" % i for i in range(nbig)]
        stop = threading.Event()

        def toucher():
            c = s.client()
            while not stop.is_set():
                for j in range(0, len(keys), 5000):
                    c.execute_command("MGET", *keys[j:j + 5000])

        t = threading.Thread(target=toucher)
        t.start()
        try:
            time.sleep(1.2)   # the clock (seconds) has ticked: none idle >= 1 s
            steps0 = int(tinfo(r)["tier_migration_steps"])
            r.execute_command("CONFIG", "SET", "memory-alloc-policy", "ratio", "dram-pmem-ratio", "1 2",
                              "tier-migration-budget-us", "200")
            t0 = time.time()
            wait_share(r, 100.0 / 3, timeout=12)
            took = time.time() - t0
        finally:
            stop.set()
            t.join()
        i = tinfo(r)
        assert int(i["migrated_to_pmem_bytes"]) > 0, i
        print("  1:2 with every key hot in %.1fs, %d steps" % (took, int(i["tier_migration_steps"]) - steps0))


def test_small_values_reach_the_ratio():
    # 64-byte values are 65-byte blocks: the default floor of the dynamic
    # threshold must let the soft band put 80% and 89% of them on PMem.
    # The keys are rewritten all the time, so placement has to do it:
    # migration alone cannot keep up with a load that re-places every value.
    with Server(["--dram-pmem-ratio", "1", "4"] + SMALL_EXTRA) as s:
        r = s.client()
        n = 20000

        def fill(c, tag):
            p = c.pipeline(transaction=False)
            for i in range(n):
                p.set("s%d" % i, b"%s%062d" % (tag, i))
                if i % 2000 == 1999:
                    p.execute()
            p.execute()

        fill(r, b"a")
        stop = threading.Event()

        def writer():
            c = s.client()
            while not stop.is_set():
                fill(c, b"b")

        t = threading.Thread(target=writer)
        t.start()
        try:
            # At 65 bytes one whole byte of threshold moved the band's PMem
            # share by ~4%, and the share swung by a few points between polls;
            # with a real-valued threshold it must hold: 5 polls in a row.
            wait_share(r, 20.0, timeout=40, stable=5)
            assert r.config_set("dram-pmem-ratio", "1 8") is True
            wait_share(r, 100.0 / 9, timeout=40, stable=5)
            i = tinfo(r)
        finally:
            stop.set()
            t.join()
        assert r.get("s123") == b"b%062d" % 123
        # a rewrite load is steered from the sizes it places
        assert int(i["tier_controller_placed_ticks"]) > 0, i


SMALL_EXTRA = []


def test_policy_switch_live():
    with Server(["--dram-pmem-ratio", "1", "4"]) as s:
        r = s.client()
        load_mixed(r, n=800)
        assert r.config_set("memory-alloc-policy", "only-dram") is True
        deadline = time.time() + 20
        while int(tinfo(r)["used_memory_pmem_user"]) > 0 and time.time() < deadline:
            time.sleep(0.1)
        i = tinfo(r)
        assert int(i["used_memory_pmem_user"]) == 0, i
        assert i["pmem_threshold"] == "-1"
        r.set("new", b"q" * 60000)
        assert r.execute_command("MEMORY", "TIER", "new") == b"dram"

        assert r.config_set("memory-alloc-policy", "only-pmem") is True
        deadline = time.time() + 20
        while int(tinfo(r)["used_memory_dram_user"]) > 0 and time.time() < deadline:
            time.sleep(0.1)
        i = tinfo(r)
        assert int(i["used_memory_dram_user"]) == 0, i
        assert r.execute_command("MEMORY", "TIER", "new") == b"pmem"

        # threshold needs a threshold: refused, nothing changes
        with_err = None
        try:
            r.config_set("memory-alloc-policy", "threshold")
        except redis.ResponseError as e:
            with_err = str(e)
        assert with_err and "static-threshold" in with_err, with_err
        assert cfg(r, "memory-alloc-policy") == "only-pmem"
        # both in one CONFIG SET, either order
        r.execute_command("CONFIG", "SET", "memory-alloc-policy", "threshold", "static-threshold", "1000")
        assert cfg(r, "memory-alloc-policy") == "threshold"
        assert tinfo(r)["pmem_threshold"] == "1000"
        r.set("t-small", b"s" * 500)
        r.set("t-big", b"b" * 5000)
        assert r.execute_command("MEMORY", "TIER", "t-small") == b"dram"
        assert r.execute_command("MEMORY", "TIER", "t-big") == b"pmem"
        assert r.config_set("memory-alloc-policy", "ratio") is True
        wait_share(r, 20.0, timeout=25)


def wait_tiers(r, want, timeout=20.0):
    """Wait until MEMORY TIER of every key in want (key -> tier) matches;
    raises with the keys still misplaced."""
    deadline = time.time() + timeout
    while True:
        p = r.pipeline(transaction=False)
        for k in want:
            p.execute_command("MEMORY", "TIER", k)
        got = dict(zip(want, (t.decode() for t in p.execute())))
        bad = {k: got[k] for k in want if got[k] != want[k]}
        if not bad:
            return
        if time.time() > deadline:
            raise AssertionError("misplaced after %.0fs: %d keys, e.g. %r; %s" % (
                timeout, len(bad), sorted(bad.items())[:5], tinfo(r)))
        time.sleep(0.1)


def test_threshold_change_moves_existing_values():
    # A new static threshold (or switching to the threshold policy) must move
    # the values already stored across it, not only place new ones.
    with Server(["--memory-alloc-policy", "threshold", "--static-threshold", "1000", "--hz", "50"]) as s:
        r = s.client()
        p = r.pipeline(transaction=False)
        sizes_of = {}
        for i in range(300):
            for tag, sz in (("s", 300), ("m", 3000), ("b", 30000)):
                k = "%s%d" % (tag, i)
                sizes_of[k] = sz
                p.set(k, (b"%d:" % i) + b"v" * sz)
        p.execute()
        # aggregates whose every block is on one side of each threshold used below
        r.hset("hm", mapping={"f%d" % j: b"h" * 3000 for j in range(100)})
        r.rpush("lm", *[b"l" * 3000 for _ in range(100)])
        sizes_of["hm"] = sizes_of["lm"] = 3000
        before = {k: r.dump(k) for k in sizes_of}

        def want(thr):
            return {k: "pmem" if sz >= thr else "dram" for k, sz in sizes_of.items()}

        wait_tiers(r, want(1000), timeout=2)
        moved0 = int(tinfo(r)["migrated_to_dram_bytes"])
        assert r.config_set("static-threshold", "10000") is True
        wait_tiers(r, want(10000))
        i = tinfo(r)
        assert int(i["migrated_to_dram_bytes"]) - moved0 >= 300 * 3000 + 2 * 100 * 3000, i
        # the step stayed within its budget (generous for a loaded machine)
        assert int(i["tier_migration_max_step_cpu_us"]) < 20 * int(i["tier_migration_budget_us"]), i
        assert r.config_set("static-threshold", "200") is True
        wait_tiers(r, want(200))
        # leave the policy, move the threshold meanwhile, come back: a sweep
        r.config_set("memory-alloc-policy", "only-dram")
        wait_tiers(r, {k: "dram" for k in sizes_of})
        r.config_set("static-threshold", "10000")
        r.config_set("memory-alloc-policy", "threshold")
        wait_tiers(r, want(10000))
        # a sweep that is over stays over: nothing moves without a change
        i = tinfo(r)
        time.sleep(0.3)
        j = tinfo(r)
        assert (i["migrated_to_dram_bytes"], i["migrated_to_pmem_bytes"]) == \
            (j["migrated_to_dram_bytes"], j["migrated_to_pmem_bytes"]), (i, j)
        assert {k: r.dump(k) for k in sizes_of} == before


def test_pmem_full_overflows_to_dram():
    with Server(["--pmem-size", "16mb", "--memory-alloc-policy", "only-pmem"]) as s:
        r = s.client()
        p = r.pipeline(transaction=False)
        for i in range(400):
            p.set("f%d" % i, bytes([65 + i % 26]) * 65536)
        p.execute()
        i = tinfo(r)
        assert int(i["pmem_capacity"]) == 16 << 20
        assert int(i["used_memory_pmem"]) <= 16 << 20
        assert int(i["pmem_overflow_bytes"]) > 0, i
        assert int(i["pmem_overflow_count"]) > 0, i
        assert int(i["used_memory_dram_user"]) >= int(i["pmem_overflow_bytes"]) // 2, i
        tiers = {r.execute_command("MEMORY", "TIER", "f%d" % k) for k in range(400)}
        assert tiers == {b"dram", b"pmem"}, tiers
        for k in (0, 150, 399):
            assert r.get("f%d" % k) == bytes([65 + k % 26]) * 65536
        # migration must not try to push more into a full tier
        time.sleep(0.5)
        assert int(tinfo(r)["used_memory_pmem"]) <= 16 << 20


def test_memory_tier_and_usage():
    with Server(["--memory-alloc-policy", "threshold", "--static-threshold", "4096"]) as s:
        r = s.client()
        r.set("small", b"v" * 100)
        r.set("emb", "hi")
        r.set("int", 12345)
        r.set("large", b"L" * 100000)
        assert r.execute_command("MEMORY", "TIER", "small") == b"dram"
        assert r.execute_command("MEMORY", "TIER", "emb") == b"dram"
        assert r.execute_command("MEMORY", "TIER", "int") == b"dram"
        assert r.execute_command("MEMORY", "TIER", "large") == b"pmem"
        assert r.execute_command("MEMORY", "TIER", "nokey") is None
        # a value that grows past the threshold moves with it
        r.append("small", b"w" * 8000)
        assert r.execute_command("MEMORY", "TIER", "small") == b"pmem"
        u = r.memory_usage("large")
        assert 100000 <= u <= 100000 * 1.25 + 4096, u   # allocator size classes
        assert r.memory_usage("large", samples=0) == u
        assert r.memory_usage("nokey") is None
        for bad, msg in ((("large", "SAMPLES", "x"), "not an integer"), (("large", "SAMPLES", "-1"), "syntax"),
                         (("large", "foo"), "syntax"), (("nokey", "foo"), "syntax")):
            try:
                r.execute_command("MEMORY", "USAGE", *bad)
                raise AssertionError("no error for %r" % (bad,))
            except redis.ResponseError as e:
                assert msg in str(e), (bad, e)
        try:
            r.execute_command("MEMORY", "NOPE")
            raise AssertionError("no error")
        except redis.ResponseError as e:
            assert str(e) == "unknown subcommand 'NOPE'. Try MEMORY HELP.", str(e)
        try:
            r.execute_command("MEMORY", "USAGE")
            raise AssertionError("no error")
        except redis.ResponseError as e:
            assert str(e) == "wrong number of arguments for 'memory|usage' command", str(e)
        help_lines = r.execute_command("MEMORY", "HELP")
        assert any(b"TIER <key>" in h for h in help_lines)
        st = r.execute_command("MEMORY", "STATS")
        st = dict(zip(st[::2], st[1::2]))
        assert st[b"keys.count"] == 4
        assert st[b"pmem.dataset.bytes"] >= 100000
        assert st[b"pmem.kind"] == b"emulated"
        assert r.execute_command("MEMORY", "PURGE") == b"OK"


def test_config_errors_change_nothing():
    with Server() as s:
        r = s.client()
        before = {k: cfg(r, k) for k in ("dram-pmem-ratio", "dynamic-threshold-min", "dynamic-threshold-max",
                                         "memory-alloc-policy", "static-threshold", "initial-dynamic-threshold",
                                         "memory-ratio-check-period", "hashtable-on-dram", "pmem-size",
                                         "tier-migration-budget-us")}
        info_before = tinfo(r)
        bad = [
            ("dram-pmem-ratio", "0 4", "positive"),
            ("dram-pmem-ratio", "1 0", "positive"),
            ("dram-pmem-ratio", "-1 4", "positive"),
            ("dram-pmem-ratio", "1 99999999", "positive"),
            ("dram-pmem-ratio", "a b", "two positive integers"),
            ("dram-pmem-ratio", "1", "two positive integers"),
            ("dram-pmem-ratio", "1 2 3", "two positive integers"),
            ("dynamic-threshold-min", "2gb", "must not be above dynamic-threshold-max"),
            ("dynamic-threshold-min", "abc", "memory value"),
            ("dynamic-threshold-max", "-5", "between"),
            ("memory-alloc-policy", "fastest", "only-dram"),
            ("memory-ratio-check-period", "0", "between"),
            ("memory-ratio-check-period", "x", "integer"),
            ("hashtable-on-dram", "no", "DRAM"),
            ("pmem-size", "2gb", "immutable"),
            ("pmem-kind", "none", "immutable"),
            ("tier-migration-budget-us", "-1", "between"),
        ]
        for name, val, msg in bad:
            try:
                r.config_set(name, val)
                raise AssertionError("CONFIG SET %s %s accepted" % (name, val))
            except redis.ResponseError as e:
                assert msg in str(e), (name, val, str(e))
        # a multi-set where one part is bad changes none of them
        try:
            r.execute_command("CONFIG", "SET", "dynamic-threshold-max", "100", "dynamic-threshold-min", "200")
            raise AssertionError("min > max accepted")
        except redis.ResponseError as e:
            assert "dynamic-threshold-min" in str(e), str(e)
        try:
            r.execute_command("CONFIG", "SET", "dram-pmem-ratio", "3 1", "memory-alloc-policy", "nope")
            raise AssertionError("bad policy accepted")
        except redis.ResponseError:
            pass
        after = {k: cfg(r, k) for k in before}
        assert after == before, (before, after)
        i = tinfo(r)
        for k in ("dram_pmem_ratio", "dynamic_threshold_min", "dynamic_threshold_max", "memory_alloc_policy"):
            assert i[k] == info_before[k], (k, i[k], info_before[k])
        # good values take effect
        r.execute_command("CONFIG", "SET", "dynamic-threshold-min", "128", "dynamic-threshold-max", "1mb")
        i = tinfo(r)
        assert i["dynamic_threshold_min"] == "128" and i["dynamic_threshold_max"] == "1048576"
        assert r.config_set("dram-pmem-ratio", "2:3") is True
        assert cfg(r, "dram-pmem-ratio") == "2 3"
        assert tinfo(r)["dram_share_target_perc"] == "40.00%"


def test_startup_errors():
    for args, msg in ((["--dram-pmem-ratio", "0", "4"], "dram-pmem-ratio"),
                      (["--memory-alloc-policy", "threshold"], "static-threshold"),
                      (["--dynamic-threshold-min", "10000", "--dynamic-threshold-max", "100"], "dynamic-threshold-min"),
                      (["--pmem-kind", "none", "--memory-alloc-policy", "ratio"], "pmem-kind is none"),
                      (["--pmem-kind", "fsdax", "--pmem-dir", "/nonexistent/dir"], "pmem-dir"),
                      (["--pmem-kind", "pcm"], "pmem-kind")):
        srv = Server(args, wait=False)
        srv.start()
        try:
            rc = srv.proc.wait(timeout=10)
        finally:
            srv.stop()
        log = srv.read_log()
        srv.cleanup()
        assert rc != 0, (args, log)
        assert msg in log, (args, log)


def test_config_rewrite_round_trip():
    d = tempfile.mkdtemp(prefix="tierdb-conf-")
    conf = os.path.join(d, "tierdb.conf")
    with open(conf, "w") as f:
        f.write("# tiering\ndram-pmem-ratio 1 4\nmemory-alloc-policy ratio\n")
    with Server(conf=conf) as s:
        r = s.client()
        r.execute_command("CONFIG", "SET", "dram-pmem-ratio", "1 1", "static-threshold", "2048",
                          "memory-alloc-policy", "threshold", "tier-migration-budget-us", "300")
        assert r.execute_command("CONFIG", "REWRITE") == b"OK"
    text = open(conf).read()
    assert "dram-pmem-ratio 1 1" in text, text
    assert "memory-alloc-policy threshold" in text, text
    assert "static-threshold 2048" in text, text
    with Server(conf=conf) as s:
        r = s.client()
        assert cfg(r, "dram-pmem-ratio") == "1 1"
        assert cfg(r, "memory-alloc-policy") == "threshold"
        assert tinfo(r)["pmem_threshold"] == "2048"
        assert cfg(r, "tier-migration-budget-us") == "300"
    shutil.rmtree(d, ignore_errors=True)


def test_maxmemory_counts_both_tiers():
    with Server(["--memory-alloc-policy", "only-pmem"]) as s:
        r = s.client()
        p = r.pipeline(transaction=False)
        for i in range(100):
            p.set("m%d" % i, b"m" * 100000)
        p.execute()
        i = tinfo(r)
        dram, pmem = int(i["used_memory_dram"]), int(i["used_memory_pmem"])
        assert pmem >= 100 * 100000
        # above what DRAM alone holds, below DRAM + PMem: PMem must count
        r.config_set("maxmemory", str(dram + pmem // 2))
        try:
            r.set("more", "x")
            raise AssertionError("write accepted past maxmemory")
        except redis.ResponseError as e:
            assert str(e) == "OOM command not allowed when used memory > 'maxmemory'.", str(e)
        assert r.get("m1") == b"m" * 100000     # reads still work
        assert r.delete("m1", "m2") == 2        # so do deletes
        r.config_set("maxmemory", "0")
        assert r.set("more", "x") is True


def numa_bind_pages(pid):
    """Pages on node 0 in mappings bound to node 0 (how memkind places
    MEMKIND_DAX_KMEM memory) and in default-policy mappings."""
    bound = other = 0
    with open("/proc/%d/numa_maps" % pid) as f:
        for line in f:
            m = re.search(r"\bN0=(\d+)", line)
            if not m:
                continue
            if " bind:0 " in line:
                bound += int(m.group(1))
            else:
                other += int(m.group(1))
    return bound, other


def test_kmem_dax_needs_a_node():
    env_had = os.environ.pop("MEMKIND_DAX_KMEM_NODES", None)
    try:
        srv = Server(["--pmem-kind", "kmem-dax"], wait=False)
        srv.start()
        rc = srv.proc.wait(timeout=10)
        srv.stop()
        log = srv.read_log()
        srv.cleanup()
    finally:
        if env_had is not None:
            os.environ["MEMKIND_DAX_KMEM_NODES"] = env_had
    assert rc != 0
    assert "kmem-dax" in log and "KMEM-DAX" in log and "emulated" in log, log


def test_kmem_dax_node0():
    os.environ["MEMKIND_DAX_KMEM_NODES"] = "0"
    try:
        with Server(["--pmem-kind", "kmem-dax", "--pmem-size", "64mb", "--memory-alloc-policy", "threshold",
                     "--static-threshold", "4096"]) as s:
            r = s.client()
            i = tinfo(r)
            assert i["pmem_kind"] == "kmem-dax" and i["pmem_variant"] == "single", i
            assert int(i["pmem_capacity"]) == 64 << 20
            b0, _ = numa_bind_pages(s.proc.pid)
            p = r.pipeline(transaction=False)
            for k in range(300):
                p.set("d%d" % k, bytes([97 + k % 26]) * 100000)
                p.set("s%d" % k, b"s" * 200)
            p.execute()
            assert r.execute_command("MEMORY", "TIER", "d5") == b"pmem"
            assert r.execute_command("MEMORY", "TIER", "s5") == b"dram"
            i = tinfo(r)
            pm = int(i["used_memory_pmem_user"])
            assert pm >= 300 * 100000
            b1, _ = numa_bind_pages(s.proc.pid)
            # the PMem values' pages are in node-0-bound mappings
            assert (b1 - b0) * 4096 >= 0.9 * 300 * 100000, (b0, b1, pm)
            assert r.get("d7") == bytes([97 + 7 % 26]) * 100000
            # live ratio control works on this kind too
            r.execute_command("CONFIG", "SET", "memory-alloc-policy", "ratio", "dram-pmem-ratio", "1 1")
            wait_share(r, 50.0, timeout=25)
    finally:
        os.environ.pop("MEMKIND_DAX_KMEM_NODES", None)


if __name__ == "__main__":
    run(globals())
