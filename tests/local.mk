# Tests: cmocka unit tests (tests/unit), end-to-end tests against a real
# server (tests/integration), crash tests (tests/crash).
if HAVE_CMOCKA
include tests/unit/local.mk
endif
include tests/integration/local.mk
include tests/vm/local.mk
