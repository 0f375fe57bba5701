/*
 * ring.c — a single-writer, many-reader, lossy record ring in shared memory.
 *
 * Records are variable-length payloads in a byte area plus a fixed-size descriptor indexed by
 * sequence number (desc[seq & mask]), so a reader can find any sequence in O(1). The writer never
 * waits: it overwrites the oldest records, and readers detect that and count it.
 *
 * Two mechanisms make a reader's copy trustworthy:
 *  - each descriptor's lock word is a seqlock that also names the record: 2s+1 while record s is
 *    being written, 2s+2 once it is complete. A reader accepts s only if it reads 2s+2 before and
 *    after copying.
 *  - payload bytes can be overwritten by a *later* record long after the descriptor of s was last
 *    touched (big records wrap the byte area faster than the descriptor array). Before writing
 *    bytes up to position P the writer publishes data_intent = P; a reader that copied bytes at
 *    data_pos checks afterwards that data_intent - data_pos <= data_size.
 *
 * Readers bound every access with their own validated geometry, so a corrupt descriptor yields
 * SHM_READ_CORRUPT, never an out-of-bounds copy. Sleeping readers wait on a futex word, which
 * works on a read-only mapping; the writer wakes them once per batch (shm_ring_wake).
 *
 * The writer's per-record steps are inline in ring_write.h so capture can run them per frame and
 * publish write_seq once per batch; shm_ring_reserve()/commit() here are the same steps with a
 * publication after every record.
 */
#define _GNU_SOURCE
#include "shm.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RECORD_ALIGN 16u

static bool is_pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

static uint64_t pow2_floor(uint64_t x)
{
    if (!x) return 0;
    return 1ull << (63 - __builtin_clzll(x));
}

/* Records of payload bytes each that n descriptors and data bytes of data hold. */
static uint64_t records_held(uint64_t n, uint64_t data, uint64_t payload)
{
    uint64_t by_data = data / payload;
    return by_data < n ? by_data : n;
}

int shm_ring_geometry(size_t avail, uint32_t typical_record, uint64_t *desc_count,
                      uint64_t *data_size)
{
    /*
     * A record costs a 64-byte descriptor plus its payload (rounded up, SHM_RING_ALIGN), and the
     * descriptor count is a power of two. Of the two powers around avail / (descriptor +
     * payload), take the one under which the area holds more records of the typical size: the
     * smaller runs out of descriptors first, the larger out of data. A ring's records vary (a
     * dissection of ~830 bytes, a frame of 60 to 1514 bytes), so one fixed ratio
     * wasted most of one part or the other. Descriptors never take more than half the area.
     */
    uint64_t payload = SHM_RING_ALIGN(typical_record ? typical_record : 1);
    uint64_t lo = pow2_floor(avail / (sizeof(struct shm_ring_desc) + payload));
    uint64_t most = pow2_floor(avail / 2 / sizeof(struct shm_ring_desc));
    if (lo > most) lo = most; /* tiny records: descriptors stop at half the area */
    if (lo < 64) lo = 64;     /* a small area for big records still gets a usable count */
    uint64_t best_n = 0, best_data = 0, best_held = 0;
    for (uint64_t n = lo; n <= lo * 2; n *= 2) {
        uint64_t desc_bytes = n * sizeof(struct shm_ring_desc);
        if (desc_bytes > avail / 2) continue;
        uint64_t data = (avail - desc_bytes) & ~(uint64_t)(RECORD_ALIGN - 1);
        uint64_t held = records_held(n, data, payload);
        if (held > best_held) best_n = n, best_data = data, best_held = held;
    }
    if (!best_n) return -1;
    *desc_count = best_n;
    *data_size = best_data;
    return 0;
}

int shm_ring_format(struct shm_ring *r, void *seg_base, size_t seg_size, struct shm_ring_hdr *hdr,
                    uint64_t area_off, uint64_t area_len, uint32_t typical_record,
                    uint64_t max_record, char *err, size_t errlen)
{
    uint64_t n, data;
    if (area_off > seg_size || area_len > seg_size - area_off || area_off % SHM_CACHELINE)
        return shm_fail(err, errlen, "ring area outside the segment");
    if (shm_ring_geometry(area_len, typical_record, &n, &data) != 0)
        return shm_fail(err, errlen, "ring area of %llu bytes is too small",
                        (unsigned long long)area_len);
    if (max_record == 0 || max_record > SHM_RECORD_MAX || max_record > data / 4)
        return shm_fail(err, errlen, "record size limit %llu does not fit a ring of %llu bytes",
                        (unsigned long long)max_record, (unsigned long long)data);
    memset(hdr, 0, sizeof *hdr);
    hdr->desc_off = area_off;
    hdr->desc_count = n;
    hdr->data_off = area_off + n * sizeof(struct shm_ring_desc);
    hdr->data_size = data;
    hdr->max_record = max_record;
    memset((uint8_t *)seg_base + area_off, 0, n * sizeof(struct shm_ring_desc));
    return shm_ring_open(r, seg_base, seg_size, hdr, true, err, errlen);
}

int shm_ring_open(struct shm_ring *r, const void *seg_base, size_t seg_size,
                  const struct shm_ring_hdr *hdr, bool writable, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    /* Copy the geometry once; from here on only the private copy is trusted. */
    uint64_t desc_off = hdr->desc_off, n = hdr->desc_count;
    uint64_t data_off = hdr->data_off, data = hdr->data_size, max = hdr->max_record;
    uint64_t hdr_off = (uint64_t)((const uint8_t *)hdr - (const uint8_t *)seg_base);
    if (hdr_off > seg_size || sizeof *hdr > seg_size - hdr_off)
        return shm_fail(err, errlen, "ring header outside the segment");
    if (!is_pow2(n) || n > seg_size / sizeof(struct shm_ring_desc))
        return shm_fail(err, errlen, "ring descriptor count %llu is not a sane power of two",
                        (unsigned long long)n);
    if (desc_off % SHM_CACHELINE || desc_off > seg_size ||
        n * sizeof(struct shm_ring_desc) > seg_size - desc_off)
        return shm_fail(err, errlen, "ring descriptors lie outside the segment");
    if (data == 0 || data_off > seg_size || data > seg_size - data_off)
        return shm_fail(err, errlen, "ring data area lies outside the segment");
    if (data_off < desc_off + n * sizeof(struct shm_ring_desc) && desc_off < data_off + data)
        return shm_fail(err, errlen, "ring descriptors overlap the data area");
    if (max == 0 || max > SHM_RECORD_MAX || max > data / 4)
        return shm_fail(err, errlen, "ring record limit %llu is impossible",
                        (unsigned long long)max);
    r->hdr = (struct shm_ring_hdr *)hdr;
    r->desc = (struct shm_ring_desc *)((uint8_t *)seg_base + desc_off);
    r->data = (uint8_t *)seg_base + data_off;
    r->desc_mask = n - 1;
    r->data_size = data;
    r->max_record = max;
    r->writable = writable;
    r->wr = (struct shm_ring_cursor){
        .ring = r,
        .hdr = r->hdr,
        .desc = r->desc,
        .data = r->data,
        .desc_mask = r->desc_mask,
        .data_size = r->data_size,
        .max_record = r->max_record,
        .writable = writable,
    };
    if (writable) { /* a writer resumes from the positions it (or its predecessor) published */
        struct shm_ring_wpos *w = &r->wr.w;
        w->seq = atomic_load_explicit(&r->hdr->write_seq, memory_order_relaxed);
        w->pos = atomic_load_explicit(&r->hdr->data_head, memory_order_relaxed);
        w->off = atomic_load_explicit(&r->hdr->data_head_off, memory_order_relaxed);
        w->tail = atomic_load_explicit(&r->hdr->tail_seq, memory_order_relaxed);
        if (w->off >= data || w->off % RECORD_ALIGN) w->off = 0;
        if (w->tail > w->seq) w->tail = w->seq;
        w->tail_ok = false;
        w->contig = w->seq;     /* what was written before is not ours to vouch for */
        r->prefetched = w->off; /* nothing ahead asked for yet */
    }
    return 0;
}

/* ---- writer --------------------------------------------------------------------------------- */

/* Moves tail_seq past every record that the record [pos, end) being written as seq evicts. */
struct shm_ring_tail shm_ring_evict(const struct shm_ring_cursor *c, uint64_t tail, uint64_t seq,
                                    uint64_t pos, uint64_t end)
{
    struct shm_ring_tail t = {.ok = false};
    uint64_t n = c->desc_mask + 1;
    if (seq >= n && tail < seq + 1 - n) tail = seq + 1 - n; /* descriptor slots reused */
    while (tail < seq) {
        const struct shm_ring_desc *d = &c->desc[tail & c->desc_mask];
        uint64_t lock = atomic_load_explicit(&d->lock, memory_order_relaxed);
        if (lock == 2 * tail + 2 && end - d->data_pos <= c->data_size) {
            /* Intact, and stays so until a later record reuses its slot or reaches its bytes:
             * shm_ring_cursor_put() checks exactly that without coming back here. */
            t.pos = d->data_pos;
            t.ok = true;
            break;
        }
        tail++; /* a gap, or a record whose bytes this one overwrites */
    }
    if (tail == seq) t.pos = pos; /* only the record being written: not yet complete */
    t.tail = tail;
    /* Release: pairs with the acquire load in shm_ring_oldest(). */
    atomic_store_explicit(&c->hdr->tail_seq, tail, memory_order_release);
    return t;
}

/*
 * For the record-at-a-time writers (the analyzer's rings are larger than the caches): while the
 * record just reserved is being filled, fetch the descriptors the next records write and the next
 * eviction reads, and the data lines ahead of it. Measured: analyzer alone 1150 -> ~965
 * ns/packet. Capture's per-frame path asks per frame instead (shm_ring_prefetch_data(), with its
 * own distance, capture/frame.c).
 *
 * Always inlined: GCC's IPA pass judges a separate function whose only effect is prefetching to
 * have no effect at all, and deletes its calls (found in the object code: for a while this did
 * nothing).
 */
SHM_RING_INLINE void prefetch_ahead(struct shm_ring *r, const struct shm_ring_slot *sl)
{
    __builtin_prefetch(&r->desc[(sl->seq + 4) & r->desc_mask], 1);
    __builtin_prefetch(&r->desc[(r->wr.w.tail + 4) & r->desc_mask]);
    /* sl->off + sl->len <= data_size: a record never wraps inside the area. */
    uint64_t want = sl->off + sl->len + SHM_RING_PREFETCH_AHEAD;
    if (want > r->data_size) want = r->data_size;
    shm_ring_prefetch_to(r->data, &r->prefetched, sl->off, want, true);
}

uint8_t *shm_ring_reserve(struct shm_ring *r, uint64_t seq, uint32_t len)
{
    /*
     * The ring's cursor, run in place (shm.h says why). A local copy cost ~35 instructions a
     * record to copy in and out; before that, a copy whose positions went to memory and straight
     * back with a wider load than the store stalled on store forwarding (perf: ~7% of the
     * analyzer). Here every field is loaded and stored at its own width.
     */
    struct shm_ring_cursor *c = &r->wr;
    uint64_t next = c->w.seq;
    if (!c->writable || len > c->max_record || seq < next) return NULL;
    if (seq != next) { /* a gap: records below seq may never be written */
        c->w.contig = seq;
        c->w.seq = seq;
    }
    struct shm_ring_slot sl = shm_ring_cursor_put(c, len);
    if (seq != next) c->w.seq = next; /* until the commit, as readers see it */
    r->pend = sl;
    prefetch_ahead(r, &sl); /* sl.dst is not NULL: put refuses only what was refused above */
    return sl.dst;
}

void shm_ring_shrink(struct shm_ring *r, uint32_t len)
{
    if (len >= r->pend.len) return;
    r->pend.len = len;
    r->pend.end = r->pend.pos + SHM_RING_ALIGN(len);
}

void shm_ring_commit(struct shm_ring *r, const struct shm_record *m)
{
    /* A local copy of the slot: the descriptor stores in shm_ring_cursor_done() might otherwise
     * alias it and force reloads. */
    struct shm_ring_slot sl = r->pend;
    shm_ring_cursor_done(&r->wr, &sl, m);
    shm_ring_cursor_flush(&r->wr);
}

uint64_t shm_ring_append(struct shm_ring *r, struct shm_record *m, const void *payload)
{
    uint64_t seq = atomic_load_explicit(&r->hdr->write_seq, memory_order_relaxed);
    uint8_t *dst = shm_ring_reserve(r, seq, m->len);
    if (!dst) return UINT64_MAX;
    memcpy(dst, payload, m->len);
    shm_ring_commit(r, m);
    m->seq = seq;
    return seq;
}

void shm_ring_wake(struct shm_ring *r)
{
    /* Release: pairs with the acquire load of wake_gen in wait_for_more(). */
    atomic_fetch_add_explicit(&r->hdr->wake_gen, 1, memory_order_release);
    syscall(SYS_futex, &r->hdr->wake_gen, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* ---- readers -------------------------------------------------------------------------------- */

uint64_t shm_ring_write_seq(const struct shm_ring *r)
{
    /* Acquire: pairs with the release store of write_seq in shm_ring_cursor_flush(). */
    return atomic_load_explicit(&r->hdr->write_seq, memory_order_acquire);
}

uint64_t shm_ring_oldest(const struct shm_ring *r)
{
    uint64_t ws = shm_ring_write_seq(r);
    /* Acquire: pairs with the release store in advance_tail(). */
    uint64_t tail = atomic_load_explicit(&r->hdr->tail_seq, memory_order_acquire);
    uint64_t n = r->desc_mask + 1;
    uint64_t floor = ws > n ? ws - n : 0;
    if (tail > ws || tail < floor) tail = floor; /* never trust a tail outside [ws-n, ws] */
    return tail;
}

uint64_t shm_ring_newest(const struct shm_ring *r)
{
    uint64_t ws = shm_ring_write_seq(r);
    return ws ? ws - 1 : UINT64_MAX;
}

/*
 * Copies record seq, which the writer has published (seq < a write_seq loaded with acquire), out
 * of the ring. shm_ring_read() checks that first for every record; shm_ring_next() only when its
 * reader reaches the write_seq it loaded last. On SHM_READ_OK, *off_out is where the record's
 * bytes lie in the data area.
 */
static inline enum shm_read_result read_published(const struct shm_ring *r, uint64_t seq,
                                                  struct shm_record *m, void *buf, size_t bufsize,
                                                  uint64_t *off_out)
{
    const struct shm_ring_desc *d = &r->desc[seq & r->desc_mask];
    /* Acquire: pairs with the release store of 2s+2 in shm_ring_cursor_done(). This, not the
     * load of write_seq, is what makes the descriptor and payload of s visible. */
    uint64_t v1 = atomic_load_explicit(&d->lock, memory_order_acquire);
    if (v1 != 2 * seq + 2) return SHM_READ_GONE;

    uint64_t data_pos = d->data_pos, off = d->data_off;
    m->seq = seq;
    m->ts_ns = d->ts_ns;
    m->len = d->len;
    m->wire_len = d->wire_len;
    m->ifindex = d->ifindex;
    m->ts_source = d->ts_source;
    m->direction = d->direction;
    m->flags = d->flags;
    m->aux = d->aux;
    bool sane = m->len <= r->max_record && m->len <= bufsize && off < r->data_size &&
                m->len <= r->data_size - off;
    if (sane) memcpy(buf, r->data + off, m->len);

    /* Acquire fence: pairs with the release fence in shm_ring_cursor_put(); if the copy above saw
     * bytes of a later record, the loads below see its odd lock or its data_intent. */
    atomic_thread_fence(memory_order_acquire);
    uint64_t v2 = atomic_load_explicit(&d->lock, memory_order_relaxed);
    uint64_t intent = atomic_load_explicit(&r->hdr->data_intent, memory_order_relaxed);
    if (v2 != v1 || intent - data_pos > r->data_size) return SHM_READ_GONE;
    *off_out = off;
    return sane ? SHM_READ_OK : SHM_READ_CORRUPT;
}

enum shm_read_result shm_ring_read(const struct shm_ring *r, uint64_t seq, struct shm_record *m,
                                   void *buf, size_t bufsize)
{
    if (seq >= shm_ring_write_seq(r)) return SHM_READ_AGAIN;
    uint64_t off;
    return read_published(r, seq, m, buf, bufsize, &off);
}

void shm_ring_reader_init(struct shm_ring_reader *rd, const struct shm_ring *r, uint64_t from_seq)
{
    memset(rd, 0, sizeof *rd);
    rd->ring = r;
    uint64_t oldest = shm_ring_oldest(r);
    rd->next = from_seq > oldest ? from_seq : oldest;
}

uint64_t shm_ring_lag(const struct shm_ring_reader *rd)
{
    uint64_t ws = shm_ring_write_seq(rd->ring);
    return ws > rd->next ? ws - rd->next : 0;
}

/* Sleeps until the writer wakes us or timeout_ms passes. Returns false on timeout. */
static bool wait_for_more(struct shm_ring_reader *rd, int timeout_ms)
{
    const struct shm_ring *r = rd->ring;
    /* Acquire: pairs with the release increment in shm_ring_wake(). */
    uint32_t gen = atomic_load_explicit(&r->hdr->wake_gen, memory_order_acquire);
    if (shm_ring_write_seq(r) > rd->next) return true; /* arrived before we slept */
    struct timespec ts, *tsp = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tsp = &ts;
    }
    syscall(SYS_futex, &r->hdr->wake_gen, FUTEX_WAIT, gen, tsp, NULL, 0);
    return shm_ring_write_seq(r) > rd->next;
}

/*
 * For a reader going record by record (the analyzer on segment 1): while the record just copied
 * out (at offset off, len bytes) is being worked on, fetch the descriptor a few records on and the
 * data lines up to a fixed distance past this record's end, which later records occupy (the writer
 * lays them end to end). The copy then finds its lines in cache instead of waiting for each at its
 * first touch.
 *
 * The reader remembers how far it has asked, as the record-at-a-time writer does
 * (shm_ring_prefetch_to()).
 */
SHM_RING_INLINE void prefetch_for_reader(struct shm_ring_reader *rd, uint64_t seq, uint64_t off,
                                         uint32_t len)
{
    const struct shm_ring *r = rd->ring;
    __builtin_prefetch(&r->desc[(seq + 4) & r->desc_mask]);
    /* off + len <= data_size (read_published checked it). */
    uint64_t want = off + len + SHM_RING_READ_PREFETCH_AHEAD;
    if (want > r->data_size) want = r->data_size;
    shm_ring_prefetch_to(r->data, &rd->prefetched, off, want, false);
}

enum shm_read_result shm_ring_next(struct shm_ring_reader *rd, struct shm_record *m, void *buf,
                                   size_t bufsize, int timeout_ms)
{
    const struct shm_ring *r = rd->ring;
    /* Bounded: each GONE moves next forward, and a hostile writer cannot make us loop forever. */
    for (int attempt = 0; attempt < 64; attempt++) {
        /*
         * write_seq only grows, so every record below the value we loaded last is still
         * published: look again only on reaching it. Per record that saves a load of the
         * header line the writer stores to (read_published() says why the lock, not write_seq,
         * makes the record's bytes visible). A broken writer that moved write_seq back could
         * only make us read records past it, and those the lock check still accepts only whole.
         */
        if (rd->next >= rd->published) {
            rd->published = shm_ring_write_seq(r);
            if (rd->next >= rd->published) {
                if (timeout_ms == 0 || !wait_for_more(rd, timeout_ms)) return SHM_READ_AGAIN;
                continue;
            }
        }
        uint64_t off;
        enum shm_read_result res = read_published(r, rd->next, m, buf, bufsize, &off);
        switch (res) {
        case SHM_READ_OK:
            prefetch_for_reader(rd, rd->next, off, m->len);
            rd->next++;
            rd->delivered++;
            return SHM_READ_OK;
        case SHM_READ_AGAIN: /* read_published() does not say this */
            return SHM_READ_AGAIN;
        case SHM_READ_CORRUPT:
            rd->corrupt++;
            rd->missed++;
            rd->next++;
            continue;
        case SHM_READ_GONE: {
            /* Acquire fence: pairs with the release fence in shm_ring_cursor_put() that orders
             * the new tail before the record's lock and data_intent. */
            atomic_thread_fence(memory_order_acquire);
            uint64_t oldest = shm_ring_oldest(r);
            if (oldest > rd->next) {
                rd->missed += oldest - rd->next;
                rd->laps++;
                rd->next = oldest;
            } else {
                /* A gap the writer left, or the tail is just about to move past us. */
                rd->missed++;
                rd->next++;
            }
            continue;
        }
        }
    }
    return SHM_READ_AGAIN;
}
