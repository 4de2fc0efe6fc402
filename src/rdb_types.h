/* rdb_types.h -- registers the RDB savers/loaders of lists, hashes, sets and
 * sorted sets (Redis 7.0 encodings; see rdb_types.c). */
#ifndef RDB_TYPES_H
#define RDB_TYPES_H

/* From server_register_modules (and unit tests), before any fork. */
void rdb_types_register(void);

#endif
