/*
 * strtab.c — segment 2's string table (strtab.h): layout, validation and the reader.
 */
#include "strtab.h"

#include <stdio.h>
#include <string.h>

uint64_t shm_strtab_capacity_for(uint64_t bytes)
{
    uint64_t n = bytes / sizeof(struct shm_string_entry);
    if (n < 64) return 0;
    uint64_t p = 64;
    while (p * 2 <= n) p *= 2;
    return p;
}

void shm_strtab_format(struct shm_strtab_hdr *hdr, uint64_t entries_off, uint64_t capacity)
{
    hdr->entries_off = entries_off;
    hdr->capacity = capacity;
    atomic_store_explicit(&hdr->write_seq, 0, memory_order_relaxed);
}

int shm_strtab_open(struct shm_strtab *t, void *base, size_t size, struct shm_strtab_hdr *hdr,
                    bool writable, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    uint64_t off = hdr->entries_off, cap = hdr->capacity;
    if (cap == 0 || (cap & (cap - 1)) != 0) {
        snprintf(err, errlen, "string table capacity %llu is not a power of two",
                 (unsigned long long)cap);
        return -1;
    }
    if (off < SHM_HDR_SIZE || off % SHM_CACHELINE || off > size ||
        cap > (size - off) / sizeof(struct shm_string_entry)) {
        snprintf(err, errlen, "string table (%llu entries) lies outside the segment",
                 (unsigned long long)cap);
        return -1;
    }
    t->e = (struct shm_string_entry *)((uint8_t *)base + off);
    t->mask = cap - 1;
    t->hdr = hdr;
    t->writable = writable;
    if (writable) t->w_seq = atomic_load_explicit(&hdr->write_seq, memory_order_relaxed);
    return 0;
}

uint64_t shm_strtab_write_seq(const struct shm_strtab *t)
{
    /* Acquire: pairs with the release store in shm_strtab_publish(). */
    return atomic_load_explicit(&t->hdr->write_seq, memory_order_acquire);
}

uint64_t shm_strtab_oldest(const struct shm_strtab *t)
{
    uint64_t ws = shm_strtab_write_seq(t);
    return ws > t->mask + 1 ? ws - (t->mask + 1) : 0;
}

enum shm_read_result shm_strtab_read(const struct shm_strtab *t, uint64_t seq,
                                     struct shm_string_entry *out)
{
    uint64_t ws = shm_strtab_write_seq(t);
    if (seq >= ws) return SHM_READ_AGAIN;
    if (ws - seq > t->mask + 1) return SHM_READ_GONE;
    const struct shm_string_entry *e = &t->e[seq & t->mask];
    uint64_t want = 2 * seq + 2;
    /* Acquire: pairs with the release store of the lock in shm_strtab_put(). */
    uint64_t before = atomic_load_explicit(&e->lock, memory_order_acquire);
    if (before != want) return before > want ? SHM_READ_GONE : SHM_READ_CORRUPT;
    out->frame_seq = e->frame_seq;
    out->ts_ns = e->ts_ns;
    out->offset = e->offset;
    out->len = e->len;
    /* Acquire fence: pairs with the release fence in shm_strtab_put(); a lock still equal to
     * want means none of the fields above came from a later string. */
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&e->lock, memory_order_relaxed) != want) return SHM_READ_GONE;
    atomic_store_explicit(&out->lock, want, memory_order_relaxed);
    return SHM_READ_OK;
}
