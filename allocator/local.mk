# The tier allocator: libtier.a, linked by the server and by the unit tests.
# tier_memkind.c compiles to stubs without HAVE_MEMKIND, so the source list
# does not depend on configure's result.
noinst_LIBRARIES += allocator/libtier.a
allocator_libtier_a_SOURCES = \
	allocator/tier.c allocator/tier.h allocator/tier_internal.h \
	allocator/tier_jemalloc.c allocator/tier_emulated.c allocator/tier_memkind.c \
	allocator/threshold.c allocator/threshold.h
allocator_libtier_a_CFLAGS = $(AM_CFLAGS) $(JEMALLOC_CFLAGS) $(MEMKIND_CFLAGS) $(NUMA_CFLAGS)
TIER_LIBS = allocator/libtier.a $(MEMKIND_LIBS) $(JEMALLOC_LIBS) $(NUMA_LIBS) -lm
