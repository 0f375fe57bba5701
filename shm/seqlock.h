/*
 * seqlock.h — the sequence lock used for table slots in shared memory (flow slots, series
 * buckets, the kernel flow table). One writer; readers copy the slot and retry if the counter
 * was odd or changed. Readers never block the writer.
 */
#ifndef PACKRAT_SHM_SEQLOCK_H
#define PACKRAT_SHM_SEQLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

static inline void seqlock_write_begin(_Atomic uint64_t *lock)
{
    uint64_t v = atomic_load_explicit(lock, memory_order_relaxed);
    atomic_store_explicit(lock, v | 1, memory_order_relaxed);
    /* Release fence: pairs with the acquire fence in seqlock_read_retry(); a reader that saw any
     * store of this update sees the odd counter. */
    atomic_thread_fence(memory_order_release);
}

static inline void seqlock_write_end(_Atomic uint64_t *lock)
{
    uint64_t v = atomic_load_explicit(lock, memory_order_relaxed);
    /* Release: pairs with the acquire load in seqlock_read_begin(). */
    atomic_store_explicit(lock, (v | 1) + 1, memory_order_release);
}

/* Returns the counter to pass to seqlock_read_retry(); odd means "being written, try again". */
static inline uint64_t seqlock_read_begin(const _Atomic uint64_t *lock)
{
    /* Acquire: pairs with the release store in seqlock_write_end(). */
    return atomic_load_explicit(lock, memory_order_acquire);
}

/* True when the copy made since seqlock_read_begin() returned v must be thrown away. */
static inline bool seqlock_read_retry(const _Atomic uint64_t *lock, uint64_t v)
{
    /* Acquire fence: pairs with the release fence in seqlock_write_begin(). */
    atomic_thread_fence(memory_order_acquire);
    return (v & 1) || atomic_load_explicit(lock, memory_order_relaxed) != v;
}

#endif
