# End-to-end tests: each script starts tierdb-server on a free loopback port.
TEST_EXTENSIONS = .sh .py
SH_LOG_COMPILER = $(SHELL)
PY_LOG_COMPILER = /usr/bin/python3
AM_TESTS_ENVIRONMENT = TIERDB_SERVER=$(abs_top_builddir)/tierdb-server; export TIERDB_SERVER; \
	TIERDB_SRCDIR=$(abs_top_srcdir); export TIERDB_SRCDIR;
INTEGRATION_TESTS = tests/integration/test_basic.py
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/harness.py
INTEGRATION_TESTS += tests/integration/test_multi.py tests/integration/test_pubsub.py
EXTRA_DIST += tests/integration/resp.py
