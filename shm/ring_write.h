/*
 * ring_write.h — the ring writer's per-record path, inline because capture runs it per frame.
 *
 * The protocol is the one described in ring.c; this file only splits it so a writer can batch
 * what readers do not need per record. Per record, exactly as before: the tail moves past what
 * the record evicts, data_intent covers its bytes and its descriptor's lock goes odd before a
 * byte is written, and the lock goes even (release) once descriptor and payload are complete.
 * Per batch (shm_ring_cursor_flush): the free-running head and write_seq, which tell readers what
 * is there to read. Until a flush, completed records simply look "not yet written" (READ_AGAIN) to
 * readers, so batching delays them but can never show them a torn record — and a reader polling
 * write_seq no longer pulls the writer's header line away once per frame.
 *
 * The writer keeps its own copy of the positions (struct shm_ring_wpos, in the ring's cursor, or in
 * a local copy of it for a run of records), so the per-record path loads nothing from the shared
 * header.
 * It also remembers the payload position of the record at the tail, which lets it skip re-reading
 * that descriptor (a cache miss megabytes behind the head) while a new record provably evicts
 * nothing.
 */
#ifndef PACKRAT_SHM_RING_WRITE_H
#define PACKRAT_SHM_RING_WRITE_H

#include "shm.h"

/* The per-record steps must inline into the writer's loop, or its cursor escapes into memory:
 * GCC declined to inline shm_ring_cursor_put() into capture's two call sites on its own. */
#define SHM_RING_INLINE static inline __attribute__((always_inline))

#define SHM_RING_ALIGN(x) (((x) + 15u) & ~(uint64_t)15u) /* records start 16-byte aligned */

/* The tail as shm_ring_evict() leaves it (tail, tail_pos, tail_ok of struct shm_ring_wpos). */
struct shm_ring_tail {
    uint64_t tail, pos;
    bool ok;
};

/* Slow part of shm_ring_cursor_put(): moves the tail (now at tail) past every record the record
 * [pos, end) being written as seq evicts, publishes it, and returns it. (ring.c) */
struct shm_ring_tail shm_ring_evict(const struct shm_ring_cursor *c, uint64_t tail, uint64_t seq,
                                    uint64_t pos, uint64_t end);

/* How far ahead of the write position record-at-a-time writers ask for data lines. */
#define SHM_RING_PREFETCH_AHEAD 1024u
/* How far past the record just read a record-at-a-time reader asks for data lines. */
#define SHM_RING_READ_PREFETCH_AHEAD 2048u

/*
 * Writer: asks for the data lines distance bytes past offset off, as many as a record of len
 * bytes covers, so that over a run of records each line is fetched about once before it is
 * written. A ring larger than the caches last wrote those lines a lap ago.
 */
SHM_RING_INLINE void shm_ring_prefetch_data(uint8_t *data, uint64_t data_size, uint64_t off,
                                            uint64_t len, uint64_t distance)
{
    uint64_t ahead = off + distance;
    if (ahead >= data_size) ahead -= data_size; /* no division on the hot path */
    /* One compare a line: this runs for every line every record writes. */
    uint64_t end = ahead + len < data_size ? ahead + len : data_size;
    for (; ahead < end; ahead += SHM_CACHELINE) __builtin_prefetch(data + ahead, 1);
}

/*
 * For record-at-a-time writers and readers, whose records lie end to end: asks for the data lines
 * from *mark up to offset want (<= the data size, so no step ends past the area), four lines a
 * step, and leaves *mark there, a line boundary. Over a run of records each line is asked for
 * once, and the loop's add, compare and branch are paid once per four lines (per record and per
 * line before: ~55 instructions a detail record). A step that would not fit below want waits for
 * a later record. A mark outside [from, want] -- the first record, a jump (lapped, restarted) or
 * the wrap to the start of the area -- restarts at from; the lines just after a wrap are not asked
 * for in advance. for_write is a constant at every call, so its test folds away.
 */
SHM_RING_INLINE void shm_ring_prefetch_to(const uint8_t *data, uint64_t *mark, uint64_t from,
                                          uint64_t want, bool for_write)
{
    const uint64_t step = 4 * SHM_CACHELINE;
    uint64_t at = *mark;
    if (at < from || at > want) at = from & ~(uint64_t)(SHM_CACHELINE - 1);
    for (; at + step <= want; at += step) {
        for (unsigned k = 0; k < 4; k++) {
            if (for_write)
                __builtin_prefetch(data + at + k * SHM_CACHELINE, 1);
            else
                __builtin_prefetch(data + at + k * SHM_CACHELINE, 0);
        }
    }
    *mark = at;
}

/* Writer: a local copy of the ring's cursor, for a run of records (shm.h says why). */
SHM_RING_INLINE struct shm_ring_cursor shm_ring_cursor_begin(struct shm_ring *r)
{
    return r->wr;
}

/* Writer: stores the local cursor's positions back into its ring. */
SHM_RING_INLINE void shm_ring_cursor_end(const struct shm_ring_cursor *c)
{
    c->ring->wr.w = c->w;
}

/*
 * Writer: starts the next record (sequence c->w.seq) of len bytes. The payload goes to the returned
 * slot's dst, which is NULL when len is over the ring's limit. Finish the record with
 * shm_ring_cursor_done() before the next put; readers see it after the next flush.
 * The slot is returned by value so the caller keeps it in registers.
 */
SHM_RING_INLINE struct shm_ring_slot shm_ring_cursor_put(struct shm_ring_cursor *c, uint32_t len)
{
    struct shm_ring_slot sl = {.dst = NULL};
    if (len > c->max_record || !c->writable) return sl;
    uint64_t pos = c->w.pos, off = c->w.off, seq = c->w.seq;
    if (off + len > c->data_size) { /* no wrapping inside a record: skip to the start */
        pos += c->data_size - off;
        off = 0;
    }
    uint64_t end = pos + SHM_RING_ALIGN(len);
    /* The tail record stays intact while its descriptor is not reused and its bytes are not
     * reached; otherwise look at the descriptors (ring.c). With small records the descriptors
     * run out first and every record evicts exactly one: the next one is intact without looking
     * if this writer committed it (no gap since contig) and its bytes are not reached either
     * (payload positions only grow, so the old tail's position bounds it from below). That
     * saves a read of a descriptor a whole lap old, just ahead of the one being filled. */
    if (seq - c->w.tail > c->desc_mask && c->w.tail_ok && seq - c->desc_mask >= c->w.contig &&
        end - c->w.tail_pos <= c->data_size) {
        c->w.tail = seq - c->desc_mask;
        /* Release: pairs with the acquire load in shm_ring_oldest(). */
        atomic_store_explicit(&c->hdr->tail_seq, c->w.tail, memory_order_release);
    } else if (!c->w.tail_ok || seq - c->w.tail > c->desc_mask ||
               end - c->w.tail_pos > c->data_size) {
        struct shm_ring_tail t = shm_ring_evict(c, c->w.tail, seq, pos, end);
        c->w.tail = t.tail;
        c->w.tail_pos = t.pos;
        c->w.tail_ok = t.ok;
    }
    struct shm_ring_desc *d = &c->desc[seq & c->desc_mask];
    /* Release fence: orders the new tail (stored above or in shm_ring_evict) before the stores
     * below that make readers look for it (pairs with the acquire fence in shm_ring_next()'s
     * lapped branch). */
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&c->hdr->data_intent, end, memory_order_relaxed);
    atomic_store_explicit(&d->lock, 2 * seq + 1, memory_order_relaxed);
    /* Release fence: pairs with the acquire fence in shm_ring_read(). A reader whose copy saw
     * any byte we write after this point also sees the odd lock and the new data_intent. */
    atomic_thread_fence(memory_order_release);
    sl.dst = c->data + off;
    sl.seq = seq;
    sl.pos = pos;
    sl.off = off;
    sl.end = end;
    sl.len = len;
    return sl;
}

/* Writer: completes the record of slot sl (its payload is written). */
SHM_RING_INLINE void shm_ring_cursor_done(struct shm_ring_cursor *c, const struct shm_ring_slot *sl,
                                          const struct shm_record *m)
{
    struct shm_ring_desc *d = &c->desc[sl->seq & c->desc_mask];
    d->data_pos = sl->pos;
    d->data_off = sl->off;
    d->ts_ns = m->ts_ns;
    d->len = sl->len;
    d->wire_len = m->wire_len;
    d->ifindex = m->ifindex;
    d->ts_source = m->ts_source;
    d->direction = m->direction;
    d->flags = m->flags;
    d->aux = m->aux;
    /* Release: pairs with the acquire load of the lock in shm_ring_read(): the descriptor fields
     * and payload above are visible to a reader that sees 2s+2. */
    atomic_store_explicit(&d->lock, 2 * sl->seq + 2, memory_order_release);
    uint64_t end_off = sl->off + (sl->end - sl->pos);
    c->w.pos = sl->end;
    c->w.off = end_off >= c->data_size ? 0 : end_off;
    c->w.seq = sl->seq + 1;
}

/* Writer: publishes every record completed so far to readers. */
SHM_RING_INLINE void shm_ring_cursor_flush(const struct shm_ring_cursor *c)
{
    struct shm_ring_hdr *h = c->hdr;
    atomic_store_explicit(&h->data_head, c->w.pos, memory_order_relaxed);
    atomic_store_explicit(&h->data_head_off, c->w.off, memory_order_relaxed);
    /* Release: pairs with the acquire load in shm_ring_write_seq(), which readers call before
     * a record (shm_ring_read) or on reaching the last value they loaded (shm_ring_next). */
    atomic_store_explicit(&h->write_seq, c->w.seq, memory_order_release);
}

/* The same three steps on the ring's own cursor, for writers that go a record at a time. */
static inline struct shm_ring_slot shm_ring_put(struct shm_ring *r, uint32_t len)
{
    return shm_ring_cursor_put(&r->wr, len);
}

static inline void shm_ring_put_done(struct shm_ring *r, const struct shm_ring_slot *sl,
                                     const struct shm_record *m)
{
    shm_ring_cursor_done(&r->wr, sl, m);
}

static inline void shm_ring_flush(struct shm_ring *r)
{
    shm_ring_cursor_flush(&r->wr);
}

#endif
