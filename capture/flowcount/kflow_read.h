/*
 * kflow_read.h — reading the kernel flow-count table that capture publishes in segment 1.
 *
 * The analyzer and viewers are unprivileged and must not link libbpf, so the reader lives in its
 * own small library (packrat_kflow_read) that needs only the shm layout. The writer side is
 * flowcount_publish() in flowcount.h.
 *
 * The table is a seqlock-protected copy (struct shm_kflow_table_hdr at hdr->kflow, entries at
 * kflow_off), rewritten as a whole about once a second. A snapshot is taken by copying the header
 * and the entries and re-checking the lock, retrying a bounded number of times, so a reader never
 * waits on capture for long and never uses a torn table.
 */
#ifndef PACKRAT_KFLOW_READ_H
#define PACKRAT_KFLOW_READ_H

#include <stddef.h>

#include "shm/frames.h"

/*
 * Copies a consistent snapshot of the kernel flow table of frames into out (up to cap entries)
 * and its header into hdr_out (lock = the even sequence the copy was taken at; status_text is
 * always NUL-terminated). frames must come from shm_frames_attach()/shm_frames_create(): the
 * capacity it validated at attach bounds everything, never the live shared value.
 *
 * Returns the number of entries copied (0..cap; less than hdr_out->count when cap is smaller
 * than what capture published), or -1 with errno:
 *   EAGAIN   capture was rewriting the table on every attempt (or died mid-write): try later;
 *   EBADMSG  the published count exceeds the validated capacity (a broken or hostile writer);
 *   EINVAL   frames has no kernel flow table.
 */
long flowcount_table_snapshot(const struct shm_frames *frames, struct shm_kflow *out, size_t cap,
                              struct shm_kflow_table_hdr *hdr_out);

/* "off", "counting", "unavailable" or "unknown" for a status value of the table header. */
const char *flowcount_status_name(unsigned status);

#endif
