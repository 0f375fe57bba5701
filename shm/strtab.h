/*
 * strtab.h — segment 2's string table: a ring of fixed 32-byte entries (struct shm_string_entry
 * in layout.h), one per payload string, each a reference into a frame of segment 1.
 *
 * One writer (the analyzer), any number of lossy readers, no locks: entry s lives at index
 * s & (capacity - 1) and is its own seqlock (2s+1 while written, 2s+2 once complete); the header's
 * write_seq says which strings are complete. A reader copies an entry and re-checks its lock, so
 * a string being overwritten is reported gone, never returned torn. Everything a reader copies is
 * untrusted: shm_string_text() (analysis.h) bounds-checks the reference against its frame.
 */
#ifndef PACKRAT_SHM_STRTAB_H
#define PACKRAT_SHM_STRTAB_H

#include <stdbool.h>
#include <stddef.h>

#include "layout.h"
#include "shm.h"

struct shm_strtab {
    struct shm_string_entry *e; /* const for readers */
    uint64_t mask;              /* capacity - 1 */
    struct shm_strtab_hdr *hdr;
    uint64_t w_seq; /* writer: the next string's sequence */
    bool writable;
};

/* Entries that fit in bytes (a power of two, at least 64); 0 when bytes holds fewer. */
uint64_t shm_strtab_capacity_for(uint64_t bytes);

/* Writer: lays out an empty table of capacity entries at entries_off (zeroed memory). */
void shm_strtab_format(struct shm_strtab_hdr *hdr, uint64_t entries_off, uint64_t capacity);

/*
 * Validates the header at hdr against a segment of size bytes at base (copying the geometry once;
 * only the copy is trusted) and fills t. A writer taking over a table resumes at its write_seq.
 */
int shm_strtab_open(struct shm_strtab *t, void *base, size_t size, struct shm_strtab_hdr *hdr,
                    bool writable, char *err, size_t errlen);

/* Writer: appends one string. Readers see it after the next shm_strtab_publish(). */
static inline void shm_strtab_put(struct shm_strtab *t, uint64_t frame_seq, uint64_t ts_ns,
                                  uint32_t offset, uint32_t len)
{
    uint64_t s = t->w_seq;
    struct shm_string_entry *e = &t->e[s & t->mask];
    atomic_store_explicit(&e->lock, 2 * s + 1, memory_order_relaxed);
    /* Release fence: a reader whose copy saw any field stored below also sees the odd lock
     * (pairs with the acquire fence in shm_strtab_read()). */
    atomic_thread_fence(memory_order_release);
    e->frame_seq = frame_seq;
    e->ts_ns = ts_ns;
    e->offset = offset;
    e->len = len;
    /* Release: pairs with the acquire load of the lock in shm_strtab_read(). */
    atomic_store_explicit(&e->lock, 2 * s + 2, memory_order_release);
    t->w_seq = s + 1;
}

/* Writer: makes every string put so far visible (once per frame, not per string). */
static inline void shm_strtab_publish(struct shm_strtab *t)
{
    /* Release: pairs with the acquire load in shm_strtab_write_seq(). */
    atomic_store_explicit(&t->hdr->write_seq, t->w_seq, memory_order_release);
}

/* Reader: strings below this are complete. */
uint64_t shm_strtab_write_seq(const struct shm_strtab *t);

/* Reader: the oldest string the table can still hold (older ones are overwritten). */
uint64_t shm_strtab_oldest(const struct shm_strtab *t);

/* Reader: copies string seq. AGAIN when not published yet, GONE when overwritten (or being
 * overwritten), CORRUPT when its entry holds another string than the header promises. */
enum shm_read_result shm_strtab_read(const struct shm_strtab *t, uint64_t seq,
                                     struct shm_string_entry *out);

#endif
