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
check_PROGRAMS += tests/unit/test_intset tests/unit/test_zset
TESTS += tests/unit/test_intset tests/unit/test_zset
tests_unit_test_intset_SOURCES = tests/unit/test_intset.c
tests_unit_test_intset_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_intset_LDADD = $(UNIT_LDADD)
tests_unit_test_zset_SOURCES = tests/unit/test_zset.c
tests_unit_test_zset_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_zset_LDADD = $(UNIT_LDADD)
