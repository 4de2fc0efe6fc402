noinst_LIBRARIES += allocator/libtier.a
allocator_libtier_a_SOURCES = \
	allocator/tier.c allocator/tier.h
allocator_libtier_a_CFLAGS = $(AM_CFLAGS) $(JEMALLOC_CFLAGS) $(MEMKIND_CFLAGS) $(NUMA_CFLAGS)
TIER_LIBS = allocator/libtier.a $(MEMKIND_LIBS) $(JEMALLOC_LIBS) $(NUMA_LIBS)
