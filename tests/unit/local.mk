UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
UNIT_LDADD = $(CORE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_proto tests/unit/test_dict tests/unit/test_util
TESTS += tests/unit/test_proto tests/unit/test_dict tests/unit/test_util
tests_unit_test_proto_SOURCES = tests/unit/test_proto.c
tests_unit_test_proto_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proto_LDADD = $(UNIT_LDADD)
tests_unit_test_dict_SOURCES = tests/unit/test_dict.c
tests_unit_test_dict_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dict_LDADD = $(UNIT_LDADD)
tests_unit_test_util_SOURCES = tests/unit/test_util.c
tests_unit_test_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_util_LDADD = $(UNIT_LDADD)
include tests/unit/allocator.mk
check_PROGRAMS += tests/unit/test_blocked
TESTS += tests/unit/test_blocked
tests_unit_test_blocked_SOURCES = tests/unit/test_blocked.c
tests_unit_test_blocked_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_blocked_LDADD = $(UNIT_LDADD)
check_PROGRAMS += tests/unit/test_multi_fx
TESTS += tests/unit/test_multi_fx
tests_unit_test_multi_fx_SOURCES = tests/unit/test_multi_fx.c
tests_unit_test_multi_fx_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_multi_fx_LDADD = $(UNIT_LDADD)
