/*
 * kflow_read.c — the reader side of segment 1's kernel flow table (see kflow_read.h).
 *
 * The writer (flowcount_publish in flowcount.c) makes the lock odd, rewrites the header fields
 * and entries, then makes it even with a release store. A reader acquire-loads an even value,
 * copies, issues an acquire fence and re-reads the lock: an unchanged value means no write
 * overlapped the copy. The table's bytes are untrusted like the rest of the segment: the count is
 * checked against the capacity validated at attach before any entry is copied.
 */
#define _GNU_SOURCE
#include "kflow_read.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "shm/seqlock.h"

#define SNAPSHOT_TRIES  200
#define SNAPSHOT_NAP_NS 100000L /* a publish of 4096 entries takes well under this */

long flowcount_table_snapshot(const struct shm_frames *frames, struct shm_kflow *out, size_t cap,
                              struct shm_kflow_table_hdr *hdr_out)
{
    if (!frames || !frames->hdr || !frames->kflow) {
        errno = EINVAL;
        return -1;
    }
    const struct shm_kflow_table_hdr *h = &frames->hdr->kflow;
    for (int tries = 0; tries < SNAPSHOT_TRIES; tries++) {
        /* The writer is table_begin()/table_end() in flowcount.c, which pair with these as
         * seqlock_write_begin()/_end() do. */
        uint64_t v1 = seqlock_read_begin(&h->lock);
        if (v1 & 1) {
            struct timespec nap = {0, SNAPSHOT_NAP_NS};
            nanosleep(&nap, NULL);
            continue;
        }
        uint64_t count = h->count;
        uint64_t capacity = h->capacity;
        uint64_t total_packets = h->total_packets, total_bytes = h->total_bytes;
        uint64_t updated_ns = h->updated_ns;
        uint32_t status = h->status;
        char text[sizeof h->status_text];
        memcpy(text, h->status_text, sizeof text);
        size_t n = 0;
        if (count <= frames->kflow_capacity) {
            n = count < cap ? (size_t)count : cap;
            if (n) memcpy(out, frames->kflow, n * sizeof *out);
        }
        if (seqlock_read_retry(&h->lock, v1)) continue;
        if (count > frames->kflow_capacity) {
            errno = EBADMSG;
            return -1;
        }
        memset(hdr_out, 0, sizeof *hdr_out);
        atomic_store_explicit(&hdr_out->lock, v1, memory_order_relaxed);
        hdr_out->count = count;
        hdr_out->capacity = capacity;
        hdr_out->total_packets = total_packets;
        hdr_out->total_bytes = total_bytes;
        hdr_out->updated_ns = updated_ns;
        hdr_out->status = status;
        memcpy(hdr_out->status_text, text, sizeof text);
        hdr_out->status_text[sizeof hdr_out->status_text - 1] = '\0';
        return (long)n;
    }
    errno = EAGAIN;
    return -1;
}

const char *flowcount_status_name(unsigned status)
{
    switch (status) {
    case 0:
        return "off";
    case 1:
        return "counting";
    case 2:
        return "unavailable";
    default:
        return "unknown";
    }
}
