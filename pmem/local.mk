noinst_LIBRARIES += pmem/libpm.a
pmem_libpm_a_SOURCES = \
	pmem/pm.c pmem/pm.h
pmem_libpm_a_CFLAGS = $(AM_CFLAGS) $(LIBPMEM_CFLAGS)
PM_LIBS = pmem/libpm.a $(LIBPMEM_LIBS)
