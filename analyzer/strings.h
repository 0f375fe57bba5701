/*
 * strings.h — printable runs in payloads (like strings(1)): each run of at least min_len
 * printable ASCII characters in a frame's L4 payload (or the whole frame when it has none)
 * becomes an entry of segment 2's string table with its frame sequence and offset.
 */
#ifndef PACKRAT_ANALYZER_STRINGS_H
#define PACKRAT_ANALYZER_STRINGS_H

#include <stdint.h>

#include "shm/analysis.h"

/* One string found: its offset in the frame and its length (at most SHM_STRING_MAX). */
struct strings_found {
    uint32_t offset, len;
};

/* Calls emit(ctx, found, n) with every printable run of at least min_len bytes in
 * bytes[from, to), in order, a batch of n at a time (n > 0; no call when there are none). Runs
 * longer than SHM_STRING_MAX are cut into pieces. Returns the count. Batches, not a call per
 * string: the caller's loop over a batch keeps its own state in registers, as the scan keeps its.
 * Uses AVX2 where cpu_avx2() allows it (cpu.h), with the same result. */
typedef void (*strings_emit_fn)(void *ctx, const struct strings_found *found, unsigned n);
unsigned strings_scan(const uint8_t *bytes, uint32_t from, uint32_t to, uint32_t min_len,
                      strings_emit_fn emit, void *ctx);

#endif
