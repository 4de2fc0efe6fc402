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
check_PROGRAMS += tests/unit/test_listpack tests/unit/test_quicklist
TESTS += tests/unit/test_listpack tests/unit/test_quicklist
tests_unit_test_listpack_SOURCES = tests/unit/test_listpack.c
tests_unit_test_listpack_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_listpack_LDADD = $(UNIT_LDADD)
tests_unit_test_quicklist_SOURCES = tests/unit/test_quicklist.c
tests_unit_test_quicklist_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_quicklist_LDADD = $(UNIT_LDADD)
check_PROGRAMS += tests/unit/test_types
TESTS += tests/unit/test_types
tests_unit_test_types_SOURCES = tests/unit/test_types.c
tests_unit_test_types_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_types_LDADD = $(UNIT_LDADD)
