# The server: everything but main() is in libtierdb_core.a so unit tests
# link the same objects.
noinst_LIBRARIES += src/libtierdb_core.a
src_libtierdb_core_a_SOURCES = \
	src/util.c \
	src/util.h \
	src/log.c \
	src/log.h \
	src/dict.c \
	src/dict.h \
	src/ev.c \
	src/ev.h \
	src/proto.c \
	src/proto.h \
	src/conn.c \
	src/conn.h \
	src/cmd.c \
	src/cmd.h \
	src/cmd_table.def \
	src/cmds_string.def \
	src/cmds_keys.def \
	src/cmds_server.def \
	src/cmds_list.def \
	src/cmds_hash.def \
	src/listpack.c \
	src/listpack.h \
	src/quicklist.c \
	src/quicklist.h \
	src/t_list.c \
	src/t_list.h \
	src/t_hash.c \
	src/t_hash.h \
	src/cmds_conn.def \
	src/cmds_set.def \
	src/cmds_zset.def \
	src/db.c \
	src/db.h \
	src/effects.c \
	src/effects.h \
	src/trk.c \
	src/trk.h \
	src/replay.c \
	src/replay.h \
	src/durability.c \
	src/durability.h \
	src/jnl.c \
	src/jnl.h \
	src/jnl_io.c \
	src/jnl_io.h \
	src/cfg.c \
	src/cfg.h \
	src/server.c \
	src/server.h \
	src/modules.c \
	src/t_string.c \
	src/scan.c \
	src/scan.h \
	src/t_keys.c \
	src/t_bitops.c \
	src/t_server.c \
	src/info.c \
	src/info.h \
	src/t_client.c \
	src/t_command.c \
	src/slowlog.c \
	src/tiering.c \
	src/tiering.h \
	src/t_memory.c \
	src/cmds_memory.def \
	src/intset.c \
	src/intset.h \
	src/t_set.c \
	src/t_set.h \
	src/zset.c \
	src/zset.h \
	src/t_zset.c
src_libtierdb_core_a_CFLAGS = $(AM_CFLAGS) $(JEMALLOC_CFLAGS)

CORE_LIBS = src/libtierdb_core.a $(PM_LIBS) $(TIER_LIBS) $(LZF_LIBS) -lpthread -lm

bin_PROGRAMS += tierdb-server
tierdb_server_SOURCES = src/main.c
tierdb_server_LDADD = $(CORE_LIBS)
src_libtierdb_core_a_SOURCES += src/rdb.c src/rdb.h src/snapshot.c src/snapshot.h src/cmds_rdb.def
src_libtierdb_core_a_SOURCES += src/blocked.c src/blocked.h
src_libtierdb_core_a_SOURCES += src/t_multi.c src/multi.h src/cmds_multi.def
src_libtierdb_core_a_SOURCES += src/t_pubsub.c src/pubsub.h src/cmds_pubsub.def
src_libtierdb_core_a_SOURCES += src/rdb_listpack.c src/rdb_listpack.h src/rdb_types.c src/rdb_types.h
src_libtierdb_core_a_SOURCES += src/snapshotter.c src/snapshotter.h
bin_PROGRAMS += tierdb-snapshot
tierdb_snapshot_SOURCES = src/snapshotter_main.c
tierdb_snapshot_LDADD = $(CORE_LIBS)
src_libtierdb_core_a_SOURCES += src/tiering_types.c
