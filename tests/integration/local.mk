# End-to-end tests: each script starts tierdb-server on a free loopback port.
# One "INTEGRATION_TESTS +=" line per file keeps merges trivial.
TEST_EXTENSIONS = .sh .py
SH_LOG_COMPILER = $(SHELL)
PY_LOG_COMPILER = /usr/bin/python3
AM_TESTS_ENVIRONMENT = TIERDB_SERVER=$(abs_top_builddir)/tierdb-server; export TIERDB_SERVER; \
	TIERDB_SRCDIR=$(abs_top_srcdir); export TIERDB_SRCDIR;
INTEGRATION_TESTS = tests/integration/test_basic.py
INTEGRATION_TESTS += tests/integration/test_conf.py
INTEGRATION_TESTS += tests/integration/test_durability.py
INTEGRATION_TESTS += tests/crash/test_crash.py
INTEGRATION_TESTS += tests/integration/test_tiering.py
INTEGRATION_TESTS += tests/integration/test_keys.py
INTEGRATION_TESTS += tests/integration/test_strings.py
INTEGRATION_TESTS += tests/integration/test_lists.py tests/integration/test_hashes.py
INTEGRATION_TESTS += tests/integration/test_protocol.py tests/integration/test_server.py tests/integration/test_config.py
EXTRA_DIST += tests/integration/rawsock.py
INTEGRATION_TESTS += tests/integration/test_sets.py tests/integration/test_zsets.py
EXTRA_DIST += tests/integration/redis_compare.py
INTEGRATION_TESTS += tests/integration/test_blocking.py
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/harness.py tests/integration/compat.py
EXTRA_DIST += tests/integration/resp_compare.py
INTEGRATION_TESTS += tests/integration/test_rdb.py
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/harness.py
INTEGRATION_TESTS += tests/integration/test_multi.py tests/integration/test_pubsub.py
EXTRA_DIST += tests/integration/resp.py
INTEGRATION_TESTS += tests/integration/test_replay_equal.py
