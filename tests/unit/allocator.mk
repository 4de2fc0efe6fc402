# Unit tests of allocator/ (included from tests/local.mk inside HAVE_CMOCKA).
# test_threshold needs only the pure controller; test_tier links libtier.a.
check_PROGRAMS += tests/unit/test_tier tests/unit/test_threshold
TESTS += tests/unit/test_tier tests/unit/test_threshold

tests_unit_test_tier_SOURCES = tests/unit/test_tier.c
tests_unit_test_tier_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_tier_LDADD = $(TIER_LIBS) $(CMOCKA_LIBS) -lpthread

tests_unit_test_threshold_SOURCES = tests/unit/test_threshold.c
tests_unit_test_threshold_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_threshold_LDADD = $(TIER_LIBS) $(CMOCKA_LIBS) -lpthread
