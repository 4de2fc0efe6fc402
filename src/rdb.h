/* rdb.h -- Redis RDB files (version 10, as Redis 7.0 writes them): the
 * encoder, the decoder and the per-type value registry.
 *
 * What it promises
 *   - rdb_save_file() writes a file Redis 7.0's redis-check-rdb accepts and
 *     redis-server loads; rdb_load_file() loads what Redis 7.0 (or older,
 *     RDB 1..10) writes, for every type that registered a loader.
 *   - The reader never trusts a length: every read is bounds-checked, and
 *     any corrupt or truncated input is an error whose text names the file,
 *     the byte offset and the reason.  rdb_load_file() either loads the
 *     whole file or reports failure (the caller then refuses to start, so a
 *     file is never half-loaded silently).
 *   - Values plug in by type: a value type registers how it saves a kv
 *     (rdb_register_saver, by enum obj_type) and how it loads one RDB type
 *     byte (rdb_register_loader).  Strings are built in.  DUMP/RESTORE use
 *     the same callbacks, so a type that can be saved can be DUMPed.
 *   - The writer never calls the general-purpose allocators: its buffers
 *     are anonymous mmaps, so a fork child may write a snapshot even if
 *     another thread held an allocator lock at the moment of the fork.
 *
 * ---------------------------------------------------------------------------
 * ON-DISK FORMAT (RDB version 10).  Multi-byte integers are little-endian
 * unless a row says big-endian.
 *
 * File
 *   "REDIS0010"                       9 bytes: magic + 4-digit version
 *   { opcode-record | key-record }*   see below
 *   0xFF                              EOF
 *   crc64                             8 bytes LE: CRC-64/Jones of every byte
 *                                     before it; 0 when rdbchecksum is no
 *
 * Opcode records
 *   0xFA AUX        string name, string value
 *                   we write: redis-ver "7.0.15", redis-bits "64", ctime,
 *                   used-mem, aof-base "0", tierdb-seq (journal seq the
 *                   snapshot covers; unknown aux fields are ignored on load)
 *   0xFE SELECTDB   length db-number
 *   0xFB RESIZEDB   length keys, length keys-with-expiry (hints only)
 *   0xFC EXPIRETIME_MS  8 bytes LE, unix ms; applies to the next key
 *   0xFD EXPIRETIME     4 bytes LE, unix s (old files; read only)
 *   0xF8 IDLE       length seconds (next key; read, ignored)
 *   0xF9 FREQ       1 byte (next key; read, ignored)
 *   0xF5 FUNCTION2  string (functions library; not supported: error)
 *   0xF7 MODULE_AUX (not supported: error)
 *
 * Key record
 *   type byte (0..18) , string key , value (layout by type)
 *   0  STRING            string
 *   1  LIST, 2 SET, 3 ZSET, 4 HASH, 5 ZSET_2, 9..18: compact encodings;
 *      loaded only if a type module registered that byte
 *
 * Length encoding (first byte's top two bits)
 *   00xxxxxx                      6-bit length
 *   01xxxxxx xxxxxxxx             14-bit length, big-endian
 *   10000000 + 4 bytes            32-bit length, big-endian
 *   10000001 + 8 bytes            64-bit length, big-endian
 *   11xxxxxx                      special string encoding, xxxxxx =
 *       0  INT8    1 byte signed          the string is its decimal text
 *       1  INT16   2 bytes LE signed
 *       2  INT32   4 bytes LE signed
 *       3  LZF     length clen, length len, clen bytes of LZF data
 *
 * String: a length and that many bytes, or a special encoding.  We write
 * integers of -2^31..2^31-1 whose text is canonical as INT8/16/32, and
 * (rdbcompression yes, liblzf present) strings longer than 20 bytes as LZF
 * when that saves at least 4 bytes.
 *
 * DUMP payload: type byte, value, 2-byte RDB version (LE), CRC-64 (LE) of
 * everything before it.
 *
 * CRC-64/Jones as Redis uses it: reflected polynomial 0x95ac9329ac4bc9b5
 * (0xad93d23594c935a9 unreflected), initial value 0, no final xor;
 * crc64("123456789") = 0xe9c6d914c4b8d9ca.
 * ---------------------------------------------------------------------------
 */
#ifndef RDB_H
#define RDB_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define RDB_VERSION 10

/* opcodes */
#define RDB_OP_FUNCTION2 0xF5
#define RDB_OP_FUNCTION 0xF6
#define RDB_OP_MODULE_AUX 0xF7
#define RDB_OP_IDLE 0xF8
#define RDB_OP_FREQ 0xF9
#define RDB_OP_AUX 0xFA
#define RDB_OP_RESIZEDB 0xFB
#define RDB_OP_EXPIRETIME_MS 0xFC
#define RDB_OP_EXPIRETIME 0xFD
#define RDB_OP_SELECTDB 0xFE
#define RDB_OP_EOF 0xFF

/* value type bytes */
#define RDB_TYPE_STRING 0
#define RDB_TYPE_LIST 1
#define RDB_TYPE_SET 2
#define RDB_TYPE_ZSET 3
#define RDB_TYPE_HASH 4
#define RDB_TYPE_ZSET_2 5
#define RDB_TYPE_HASH_ZIPMAP 9
#define RDB_TYPE_LIST_ZIPLIST 10
#define RDB_TYPE_SET_INTSET 11
#define RDB_TYPE_ZSET_ZIPLIST 12
#define RDB_TYPE_HASH_ZIPLIST 13
#define RDB_TYPE_LIST_QUICKLIST 14
#define RDB_TYPE_STREAM_LISTPACKS 15
#define RDB_TYPE_HASH_LISTPACK 16
#define RDB_TYPE_ZSET_LISTPACK 17
#define RDB_TYPE_LIST_QUICKLIST_2 18
#define RDB_TYPE_MAX 18

/* length / special encodings */
#define RDB_LEN_6 0
#define RDB_LEN_14 1
#define RDB_LEN_32 0x80
#define RDB_LEN_64 0x81
#define RDB_ENC_INT8 0
#define RDB_ENC_INT16 1
#define RDB_ENC_INT32 2
#define RDB_ENC_LZF 3

/* ---- writer ------------------------------------------------------------------ */

typedef struct rdb_writer {
    int fd;                  /* -1: everything stays in buf (DUMP) */
    unsigned char *buf;      /* mmap'd */
    size_t len, cap;
    uint64_t crc;
    uint64_t written;        /* bytes produced so far (file offset) */
    int compress;            /* try LZF on long strings */
    int checksum;            /* compute the CRC trailer */
    int err;                 /* errno of the first failure, sticky */
    unsigned char *scratch;  /* mmap'd compression output */
    size_t scratch_cap;
    /* incremental write-back of the file (fd mode): every sync_every bytes
     * (0 = never; the caller fsyncs at the end) */
    uint64_t sync_every;
    uint64_t on_disk;        /* bytes handed to write() */
    uint64_t sync_started, sync_done;   /* write-back started / finished up to */
    uint64_t writebacks;     /* chunks started (tests) */
} rdb_writer;

/* fd >= 0: buffered writes to fd; fd < 0: in-memory.  0 / -1 (ENOMEM). */
int rdb_writer_init(rdb_writer *w, int fd, int compress, int checksum);
void rdb_writer_free(rdb_writer *w);
int rdb_flush(rdb_writer *w);                 /* fd mode: write out buf */

int rdb_write_raw(rdb_writer *w, const void *p, size_t len);
int rdb_write_byte(rdb_writer *w, int b);
int rdb_write_len(rdb_writer *w, uint64_t len);
/* A string, choosing the integer / LZF / raw encoding. */
int rdb_write_string(rdb_writer *w, const char *p, size_t len);
int rdb_write_ll(rdb_writer *w, long long v);   /* as a string */
/* RDB type byte of e's value (-1 if its type has no saver), and the value
 * itself (no type byte: a key record puts the type before the key). */
int rdb_value_type(const kv *e);
int rdb_write_value(rdb_writer *w, const kv *e);

/* ---- reader ------------------------------------------------------------------ */

typedef struct rdb_reader {
    const unsigned char *p;
    size_t len, pos;
    const char *name;        /* file name for messages ("DUMP payload") */
    int version;
    int failed;
    char err[512];           /* "<name>: offset N: reason" */
    /* One decode buffer lent out to one rdb_str at a time, so that loading
     * a file does not allocate and free a buffer per LZF string.  Only
     * after rdb_reader_reuse(); rdb_reader_release() frees it. */
    int reuse;
    int scratch_lent;
    char *scratch;
    size_t scratch_cap;
} rdb_reader;

/* A string read from an RDB: p/len point into the input or into own. */
typedef struct rdb_str {
    const char *p;
    size_t len;
    char *own;               /* tier_dram buffer when decoded; free with rdb_str_free */
    rdb_reader *lender;      /* own is lender's scratch buffer (valid until rdb_str_free) */
    char ibuf[24];
} rdb_str;

void rdb_reader_init(rdb_reader *r, const void *p, size_t len, const char *name);
/* Decode LZF strings into a buffer the reader keeps (while no other string
 * holds it) instead of a fresh allocation each; needs rdb_reader_release. */
void rdb_reader_reuse(rdb_reader *r);
void rdb_reader_release(rdb_reader *r);
/* Record the first error (printf-style reason) at offset r->pos; returns -1. */
int rdb_fail(rdb_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rdb_read_byte(rdb_reader *r, int *b);
int rdb_read_raw(rdb_reader *r, void *out, size_t len);
/* A length.  With is_special != NULL a special string encoding is allowed:
 * *is_special = 1 and *len is the encoding (RDB_ENC_*). */
int rdb_read_len(rdb_reader *r, uint64_t *len, int *is_special);
int rdb_read_string(rdb_reader *r, rdb_str *s);
void rdb_str_free(rdb_str *s);
/* A string that must be an integer (ziplist/intset payloads use this). */
int rdb_read_string_ll(rdb_reader *r, long long *v);

/* ---- value types --------------------------------------------------------------- */

/* The RDB type byte e is saved as; then its value (no type byte): 0 / -1. */
typedef int rdb_type_fn(const kv *e);
typedef int rdb_save_fn(rdb_writer *w, const kv *e);
/* Reads a value of RDB type rdbtype and returns a new kv for key (no expiry),
 * or NULL after rdb_fail. */
typedef kv *rdb_load_fn(rdb_reader *r, int rdbtype, const char *key, size_t klen);

void rdb_register_saver(int obj_type, rdb_type_fn *type, rdb_save_fn *fn);
void rdb_register_loader(int rdb_type, rdb_load_fn *fn);
/* Read one value of type byte t into a new kv. */
kv *rdb_read_value(rdb_reader *r, int t, const char *key, size_t klen);

/* ---- whole files ------------------------------------------------------------------ */

/* Progress of a save: called after every key written, so it must be cheap
 * (look at the clock only now and then).  keys so far, bytes produced. */
typedef void rdb_save_progress_fn(void *priv, uint64_t keys, uint64_t bytes);

typedef struct rdb_save_opts {
    int compress, checksum;
    uint64_t seq;            /* tierdb-seq aux field */
    int64_t ctime;           /* seconds; 0 = now */
    uint64_t used_mem;
    uint64_t sync_bytes;     /* write back every this many bytes (0: only the final fsync) */
    rdb_save_progress_fn *progress;   /* NULL: none */
    void *progress_priv;
} rdb_save_opts;

/* Write every database to fd (no fsync).  0, or -1 with errno set. */
int rdb_save_fd(int fd, db *dbs, int ndbs, const rdb_save_opts *o, uint64_t *keys_out);
/* The two halves of rdb_save_file: write + fsync tmp (removed on error),
 * then rename tmp over path and fsync the directory. */
int rdb_save_tmp(const char *tmp, db *dbs, int ndbs, const rdb_save_opts *o, uint64_t *keys, char *err,
                 size_t errlen);
int rdb_publish(const char *tmp, const char *path, char *err, size_t errlen);
/* Write to path via a temporary file in the same directory: write, fsync,
 * rename, fsync the directory.  0 or -1 with err. */
int rdb_save_file(const char *path, db *dbs, int ndbs, const rdb_save_opts *o, char *err, size_t errlen);

typedef struct rdb_load_info {
    uint64_t keys, expired_skipped;
    uint64_t seq;            /* tierdb-seq, 0 if absent */
    int has_seq;
    int version;
    uint64_t used_mem;       /* aux used-mem, 0 if absent; set as soon as read */
} rdb_load_info;

/* Progress of a load, called after every key read (so cheap unless it
 * decides otherwise): keys so far, bytes of the input read, input size.
 * It may run the event loop (clients get -LOADING) but must not touch the
 * databases being loaded.  NULL (the default): none. */
typedef void rdb_load_progress_fn(uint64_t keys, size_t pos, size_t total);
extern rdb_load_progress_fn *rdb_load_progress;

/* Load a whole RDB from memory into empty databases.  0, or -1 with err
 * ("name: offset N: reason"); on failure the databases may hold part of
 * the data (the caller clears them or refuses to start). */
int rdb_load_mem(const void *p, size_t len, const char *name, db *dbs, int ndbs, int64_t now_ms,
                 rdb_load_info *info, char *err, size_t errlen);
/* Same from a file; 1 if the file does not exist (nothing loaded). */
int rdb_load_file(const char *path, db *dbs, int ndbs, int64_t now_ms, rdb_load_info *info, char *err,
                  size_t errlen);

/* ---- DUMP / RESTORE payloads ------------------------------------------------------------ */

/* Serialize e as a DUMP payload (*out: DRAM, release with rdb_dump_free). */
int rdb_dump(const kv *e, unsigned char **out, size_t *len);
/* Same, LZF only if compress (DUMP follows rdbcompression, as Redis). */
int rdb_dump_ex(const kv *e, int compress, unsigned char **out, size_t *len);
void rdb_dump_free(unsigned char *p, size_t len);
/* Check footer (version, CRC) and build a kv; NULL with err on failure;
 * *bad_footer = 1 if the version or checksum is wrong. */
kv *rdb_restore(const void *p, size_t len, const char *key, size_t klen, int *bad_footer, char *err,
                size_t errlen);

/* ---- CRC-64 --------------------------------------------------------------------------- */
uint64_t rdb_crc64(uint64_t crc, const void *p, size_t len);

#endif
