# The server: everything but main() is in libtierdb_core.a so unit tests
# link the same objects.
noinst_LIBRARIES += src/libtierdb_core.a
src_libtierdb_core_a_SOURCES = \
	src/util.c src/util.h \
	src/log.c src/log.h \
	src/dict.c src/dict.h \
	src/ev.c src/ev.h \
	src/proto.c src/proto.h \
	src/conn.c src/conn.h \
	src/cmd.c src/cmd.h src/cmd_table.def src/cmds_string.def src/cmds_keys.def src/cmds_server.def \
	src/db.c src/db.h \
	src/effects.c src/effects.h \
	src/cfg.c src/cfg.h \
	src/server.c src/server.h \
	src/modules.c \
	src/t_string.c \
	src/t_keys.c \
	src/t_server.c
src_libtierdb_core_a_CFLAGS = $(AM_CFLAGS) $(JEMALLOC_CFLAGS)

CORE_LIBS = src/libtierdb_core.a $(PM_LIBS) $(TIER_LIBS) $(LZF_LIBS) -lpthread -lm

bin_PROGRAMS += tierdb-server
tierdb_server_SOURCES = src/main.c
tierdb_server_LDADD = $(CORE_LIBS)
src_libtierdb_core_a_SOURCES += src/blocked.c src/blocked.h
src_libtierdb_core_a_SOURCES += src/t_multi.c src/multi.h src/cmds_multi.def
src_libtierdb_core_a_SOURCES += src/t_pubsub.c src/pubsub.h src/cmds_pubsub.def
