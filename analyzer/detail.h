/*
 * detail.h — the detail record: a struct dissection packed for segment 2's detail ring, and
 * unpacked again (with full validation) by viewers. The Analysis tab draws from the unpacked
 * copy with the dissector's own tables (names, labels, dissect_field_text), so viewers never
 * parse packet bytes.
 *
 * Record: struct detail_hdr, then layers[nlayers], events[nevents], fields[nfields], pool bytes.
 */
#ifndef PACKRAT_ANALYZER_DETAIL_H
#define PACKRAT_ANALYZER_DETAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "dissect.h"

#define DETAIL_MAGIC 0x31445250u /* "PRD1" */

struct detail_hdr {
    uint32_t magic;
    uint8_t top;
    uint8_t nlayers;
    uint8_t nevents;
    uint8_t pad;
    uint16_t nfields;
    uint16_t pool_used;
    uint32_t fields_dropped;
    uint32_t link_type;
    uint32_t caplen;
    uint32_t wirelen;
};

/* Bytes detail_encode() needs at most. */
#define DETAIL_MAX_BYTES                                                                           \
    (sizeof(struct detail_hdr) + DISSECT_MAX_LAYERS * sizeof(struct dissect_layer) +               \
     DISSECT_MAX_EVENTS * sizeof(struct dissect_event_rec) +                                       \
     DISSECT_MAX_FIELDS * sizeof(struct dissect_field) + DISSECT_POOL_SIZE)

/* Bytes the packed form of d takes (what detail_encode() writes). */
uint32_t detail_size(const struct dissection *d);

/* Packs d into buf; returns the length, or 0 when cap is too small. */
uint32_t detail_encode(const struct dissection *d, uint8_t *buf, uint32_t cap);

/*
 * Unpacks an untrusted record into out (meta is zeroed, frame pointers NULL). Rejects wrong
 * sizes, counts over the caps, unknown ids, layer indexes and pool references out of range.
 */
bool detail_decode(const uint8_t *buf, uint32_t len, struct dissection *out);

#endif
