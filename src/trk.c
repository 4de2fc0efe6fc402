/* trk.c -- the durability tracker; see trk.h.
 *
 * DURABILITY NOTES
 *   Terms.  The journal gives each entry a sequence number S, increasing by
 *   one per entry.  "durable" is the highest S the journal has synced.  A key
 *   is "dirty at S" when the last entry that wrote it has seq S > durable.
 *   A reply is "held" while its bytes are in the client's output but may not
 *   be written.
 *
 *   (D1) A reply whose command's entry has seq S, or that read a key dirty
 *        at S, is written only once durable >= S.  Mechanism: after the
 *        command, a hold mark (reply start offset, S) is queued on the client;
 *        conn.c never writes past the start offset of the first mark whose
 *        S > durable (trk_hold_limit).
 *   (D2) durable never decreases and only trk_durable() advances it; it runs
 *        on the main thread from the journal's completion event.
 *   (D3) Replies on one connection leave in command order.  Output is one
 *        byte stream and holds are prefixes of it, so a reply behind a held
 *        one cannot overtake it.  While a client has any mark, every further
 *        command also gets a mark (S = max(own S, previous mark's S)), so the
 *        tracker knows every command boundary in the held region (D4 needs
 *        them).
 *   (D4) After trk_fail(), no held reply is released as success: the held
 *        region is cut off and each held command gets a -MISCONF error;
 *        later commands whose S > durable are answered the same way at once.
 *   (D5) The journal, not the tracker, keeps entry buffers until durable.
 *
 *   Dirty keys are found by a hash table keyed by (db, key); a FIFO of
 *   (seq, node) in seq order lets trk_durable() clean them in O(released).
 *   Commands that read the keyspace without naming keys (KEYS, SCAN,
 *   RANDOMKEY, DBSIZE) are held behind the newest dirty key of any db:
 *   conservative, and cheap to decide.  Writes that name no key but change
 *   many (FLUSHALL, FLUSHDB, SWAPDB) set a barrier: every command that
 *   touches keys waits for it.
 */
#include "trk.h"

#include <string.h>

#include "cmd.h"
#include "db.h"
#include "dict.h"
#include "log.h"
#include "server.h"
#include "tier.h"

typedef struct dirty {
    dict_node link;
    uint64_t seq;          /* newest entry that wrote the key */
    uint32_t len;          /* of name: 4 bytes of db id + key bytes */
    char name[];
} dirty;

typedef struct fifo_rec {
    uint64_t seq;
    dirty *d;
} fifo_rec;

typedef struct mark {
    uint64_t start;        /* absolute output offset where the reply starts */
    uint64_t seq;
} mark;

typedef struct hold {
    mark *marks;           /* ring */
    uint32_t head, n, cap;
    client *c;
    struct hold *prev, *next;   /* list of clients with marks */
} hold;

static dict dirty_keys;
static fifo_rec *fifo;
static uint64_t fifo_head, fifo_n, fifo_cap;
static uint64_t durable;
static uint64_t max_dirty_seq;
static uint64_t barrier_seq;       /* a keyless write (FLUSHALL, SWAPDB) dirtied every key */
static hold *held_list;
static uint64_t nheld_marks;
static char *failure;

static const char *dirty_key(const dict_node *n, size_t *len)
{
    const dirty *d = (const dirty *)n;
    *len = d->len;
    return d->name;
}
static const dict_type dirty_type = {.key = dirty_key};

void trk_init(void)
{
    dict_init(&dirty_keys, &dirty_type);
    conn_hold_limit = trk_hold_limit;
}

uint64_t trk_durable_seq(void) { return durable; }
uint64_t trk_dirty_keys(void) { return dict_size(&dirty_keys); }
uint64_t trk_held_replies(void) { return nheld_marks; }
const char *trk_failure(void) { return failure; }

static size_t make_name(char *buf, int dbid, const char *key, size_t len)
{
    uint32_t id = (uint32_t)dbid;
    memcpy(buf, &id, 4);
    memcpy(buf + 4, key, len);
    return len + 4;
}

static void fifo_push(uint64_t seq, dirty *d)
{
    if (fifo_n == fifo_cap) {
        uint64_t ncap = fifo_cap ? fifo_cap * 2 : 1024;
        fifo_rec *nf = tier_dram_malloc(ncap * sizeof(*nf));
        for (uint64_t i = 0; i < fifo_n; i++) nf[i] = fifo[(fifo_head + i) % fifo_cap];
        tier_dram_free(fifo);
        fifo = nf;
        fifo_cap = ncap;
        fifo_head = 0;
    }
    fifo[(fifo_head + fifo_n) % fifo_cap] = (fifo_rec){seq, d};
    fifo_n++;
}

void trk_note_key(int dbid, const char *key, size_t len, uint64_t seq)
{
    char stack[256];
    char *name = len + 4 <= sizeof(stack) ? stack : tier_dram_malloc(len + 4);
    size_t nl = make_name(name, dbid, key, len);
    dirty *d = (dirty *)dict_find(&dirty_keys, name, nl);
    if (!d) {
        d = tier_dram_malloc(sizeof(dirty) + nl);
        d->len = (uint32_t)nl;
        memcpy(d->name, name, nl);
        d->seq = seq;
        dict_add(&dirty_keys, &d->link);
    } else if (seq > d->seq) {
        d->seq = seq;
    }
    if (seq > max_dirty_seq) max_dirty_seq = seq;
    fifo_push(seq, d);
    if (name != stack) tier_dram_free(name);
}

void trk_note_all(uint64_t seq)
{
    if (seq > barrier_seq) barrier_seq = seq;
    if (seq > max_dirty_seq) max_dirty_seq = seq;
}

static uint64_t key_dirty_seq(int dbid, const char *key, size_t len)
{
    if (dict_size(&dirty_keys) == 0) return 0;
    char stack[256];
    char *name = len + 4 <= sizeof(stack) ? stack : tier_dram_malloc(len + 4);
    size_t nl = make_name(name, dbid, key, len);
    dirty *d = (dirty *)dict_find(&dirty_keys, name, nl);
    if (name != stack) tier_dram_free(name);
    return d ? d->seq : 0;
}

/* ---- holds --------------------------------------------------------------- */

static hold *hold_of(client *c, int create)
{
    hold *h = c->held;
    if (h || !create) return h;
    h = tier_dram_calloc(sizeof(*h));
    h->c = c;
    h->next = held_list;
    if (held_list) held_list->prev = h;
    held_list = h;
    c->held = h;
    return h;
}

static void hold_drop(client *c)
{
    hold *h = c->held;
    if (!h) return;
    if (h->prev) h->prev->next = h->next;
    else held_list = h->next;
    if (h->next) h->next->prev = h->prev;
    nheld_marks -= h->n;
    tier_dram_free(h->marks);
    tier_dram_free(h);
    c->held = NULL;
}

static void hold_push(hold *h, uint64_t start, uint64_t seq)
{
    if (h->n == h->cap) {
        uint32_t ncap = h->cap ? h->cap * 2 : 8;
        mark *nm = tier_dram_malloc(ncap * sizeof(*nm));
        for (uint32_t i = 0; i < h->n; i++) nm[i] = h->marks[(h->head + i) % h->cap];
        tier_dram_free(h->marks);
        h->marks = nm;
        h->cap = ncap;
        h->head = 0;
    }
    h->marks[(h->head + h->n) % h->cap] = (mark){start, seq};
    h->n++;
    nheld_marks++;
}

static const mark *hold_last(const hold *h) { return &h->marks[(h->head + h->n - 1) % h->cap]; }

uint64_t trk_hold_limit(client *c)
{
    hold *h = c->held;
    if (!h || h->n == 0) return UINT64_MAX;
    return h->marks[h->head].start;
}

static void reply_failed(client *c)
{
    reply_errorf(c, "MISCONF Errors writing to the journal: %s. Writes are refused and replies "
                    "that depend on unsaved writes are not given.", failure);
}

void trk_after_command(client *c, const cmd *cm, uint64_t entry_seq)
{
    uint64_t s = entry_seq;
    if (barrier_seq > durable && cm && (cm->first_key > 0 || cm->getkeys || (cm->flags & CMD_READONLY)) &&
        barrier_seq > s)
        s = barrier_seq;
    if (cm && dict_size(&dirty_keys)) {
        int dbid = c->db ? c->db->id : 0;
        if (cm->first_key > 0 || cm->getkeys) {
            int keys[256];
            int n = cmd_get_keys(cm, c->argc, c->argv, keys, 256);
            for (int i = 0; i < n; i++) {
                uint64_t ks = key_dirty_seq(dbid, c->argv[keys[i]].p, c->argv[keys[i]].len);
                if (ks > s) s = ks;
            }
        } else if ((cm->flags & CMD_READONLY) && max_dirty_seq > s) {
            s = max_dirty_seq;
        }
    }
    hold *h = c->held;
    int have_marks = h && h->n > 0;
    if (s <= durable && !have_marks) return;
    if (failure && s > durable) {
        /* D4: the journal will never make this durable */
        conn_truncate_output(c, c->cmd_out_start);
        reply_failed(c);
        if (!have_marks) return;
        s = durable;
    }
    h = hold_of(c, 1);
    if (h->n && hold_last(h)->seq > s) s = hold_last(h)->seq;
    hold_push(h, c->cmd_out_start, s);
}

void trk_durable(uint64_t seq)
{
    if (seq <= durable) return;   /* D2 */
    durable = seq;
    while (fifo_n && fifo[fifo_head].seq <= durable) {
        fifo_rec r = fifo[fifo_head];
        fifo_head = (fifo_head + 1) % fifo_cap;
        fifo_n--;
        if (r.d->seq <= durable) {
            /* the key's newest write is durable: it is clean */
            if (dict_unlink(&dirty_keys, r.d->name, r.d->len)) tier_dram_free(r.d);
        }
    }
    for (hold *h = held_list; h;) {
        hold *next = h->next;
        int released = 0;
        while (h->n && h->marks[h->head].seq <= durable) {
            h->head = (h->head + 1) % h->cap;
            h->n--;
            nheld_marks--;
            released = 1;
        }
        client *c = h->c;
        if (h->n == 0) hold_drop(c);
        if (released) conn_queue_write(c);
        h = next;
    }
}

void trk_fail(const char *reason)
{
    if (failure) return;
    failure = tier_dram_strdup(reason ? reason : "unknown error");
    log_msg(LOG_WARNING, "Journal failed (%s): refusing writes; held replies get errors", failure);
    for (hold *h = held_list; h;) {
        hold *next = h->next;
        client *c = h->c;
        if (h->n) {
            uint32_t n = h->n;
            conn_truncate_output(c, h->marks[h->head].start);
            hold_drop(c);
            for (uint32_t i = 0; i < n; i++) reply_failed(c);
            conn_queue_write(c);
        } else {
            hold_drop(c);
        }
        h = next;
    }
}

void trk_client_gone(client *c) { hold_drop(c); }
