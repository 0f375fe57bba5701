/*
 * ring_write.h — the ring writer's per-record path, inline because capture runs it per frame.
 *
 * The protocol is the one described in ring.c; this file only splits it so a writer can batch
 * what readers do not need per record. Per record, exactly as before: the tail moves past what
 * the record evicts, data_intent covers its bytes and its descriptor's lock goes odd before a
 * byte is written, and the lock goes even (release) once descriptor and payload are complete.
 * Per batch (shm_ring_flush): the free-running head and write_seq, which tell readers what is
 * there to read. Until a flush, completed records simply look "not yet written" (READ_AGAIN) to
 * readers, so batching delays them but can never show them a torn record — and a reader polling
 * write_seq no longer pulls the writer's header line away once per frame.
 *
 * The writer keeps its own copy of the positions (w_*), so the per-record path loads nothing
 * from the shared header. It also remembers the payload position of the record at the tail,
 * which lets it skip re-reading that descriptor (a cache miss megabytes behind the head) while
 * a new record provably evicts nothing.
 */
#ifndef PACKRAT_SHM_RING_WRITE_H
#define PACKRAT_SHM_RING_WRITE_H

#include "shm.h"

#define SHM_RING_ALIGN(x) (((x) + 15u) & ~(uint64_t)15u) /* records start 16-byte aligned */

/* Slow part of shm_ring_put(): moves the tail past every record the new one evicts. (ring.c) */
void shm_ring_evict(struct shm_ring *r, uint64_t seq, uint64_t pos, uint64_t end);

/*
 * Writer: starts the next record (sequence w_seq) of len bytes. The payload goes to the returned
 * slot's dst, which is NULL when len is over the ring's limit. Finish the record with
 * shm_ring_put_done() before the next put; readers see it after the next shm_ring_flush().
 * The slot is returned by value so the caller keeps it in registers: were it stored in *r, the
 * payload stores (through a byte pointer, which may alias anything) would force it back through
 * memory, and reloading it right behind them stalls on the store buffer.
 */
static inline struct shm_ring_slot shm_ring_put(struct shm_ring *r, uint32_t len)
{
    struct shm_ring_slot sl = {.dst = NULL};
    if (len > r->max_record || !r->writable) return sl;
    uint64_t pos = r->w_pos, off = r->w_off, seq = r->w_seq;
    if (off + len > r->data_size) { /* no wrapping inside a record: skip to the start */
        pos += r->data_size - off;
        off = 0;
    }
    uint64_t end = pos + SHM_RING_ALIGN(len);
    /* The tail record stays intact while its descriptor is not reused and its bytes are not
     * reached; otherwise look at the descriptors (ring.c). With small records the descriptors
     * run out first and every record evicts exactly one: the next one is intact without looking
     * if this writer committed it (no gap since w_contig) and its bytes are not reached either
     * (payload positions only grow, so the old tail's position bounds it from below). That
     * saves a read of a descriptor a whole lap old, just ahead of the one being filled. */
    if (seq - r->w_tail > r->desc_mask && r->w_tail_ok && seq - r->desc_mask >= r->w_contig &&
        end - r->w_tail_pos <= r->data_size) {
        r->w_tail = seq - r->desc_mask;
        /* Release: pairs with the acquire load in shm_ring_oldest(). */
        atomic_store_explicit(&r->hdr->tail_seq, r->w_tail, memory_order_release);
    } else if (!r->w_tail_ok || seq - r->w_tail > r->desc_mask ||
               end - r->w_tail_pos > r->data_size) {
        shm_ring_evict(r, seq, pos, end);
    }
    struct shm_ring_desc *d = &r->desc[seq & r->desc_mask];
    /* Release fence: orders the new tail (stored in shm_ring_evict) before the stores below
     * that make readers look for it (pairs with the acquire fence in shm_ring_next()'s lapped
     * branch). */
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&r->hdr->data_intent, end, memory_order_relaxed);
    atomic_store_explicit(&d->lock, 2 * seq + 1, memory_order_relaxed);
    /* Release fence: pairs with the acquire fence in shm_ring_read(). A reader whose copy saw
     * any byte we write after this point also sees the odd lock and the new data_intent. */
    atomic_thread_fence(memory_order_release);
    sl.dst = r->data + off;
    sl.seq = seq;
    sl.pos = pos;
    sl.off = off;
    sl.end = end;
    sl.len = len;
    return sl;
}

/* Writer: completes the record of slot sl (its payload is written). */
static inline void shm_ring_put_done(struct shm_ring *r, const struct shm_ring_slot *sl,
                                     const struct shm_record *m)
{
    struct shm_ring_desc *d = &r->desc[sl->seq & r->desc_mask];
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
    r->w_pos = sl->end;
    r->w_off = end_off >= r->data_size ? 0 : end_off;
    r->w_seq = sl->seq + 1;
}

/* Writer: publishes every record completed so far to readers. */
static inline void shm_ring_flush(struct shm_ring *r)
{
    struct shm_ring_hdr *h = r->hdr;
    atomic_store_explicit(&h->data_head, r->w_pos, memory_order_relaxed);
    atomic_store_explicit(&h->data_head_off, r->w_off, memory_order_relaxed);
    /* Release: pairs with the acquire load of write_seq in shm_ring_read()/newest(). */
    atomic_store_explicit(&h->write_seq, r->w_seq, memory_order_release);
}

#endif
