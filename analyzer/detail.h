/*
 * detail.h — the detail record: a struct dissection packed for segment 2's detail ring, and
 * unpacked again (with full validation) by viewers. The Analysis tab draws from the unpacked
 * copy with the dissector's own tables (names, labels, dissect_field_text), and the Packets tab
 * derives each row from it with dissect_summary() — the same function --print uses — so viewers
 * never parse packet bytes and the analyzer never formats text it may never show.
 *
 * Record: struct detail_hdr, struct dissect_meta, then layers[nlayers], events[nevents],
 * fields[nfields], pool bytes.
 */
#ifndef PACKRAT_ANALYZER_DETAIL_H
#define PACKRAT_ANALYZER_DETAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "dissect.h"

#define DETAIL_MAGIC 0x32445250u /* "PRD2" */

struct detail_hdr {
    uint32_t magic;
    uint8_t top;
    uint8_t nlayers;
    uint8_t nevents;
    uint8_t pkt_flags; /* SHM_PKT_*: what the frame's events say about it */
    uint16_t nfields;
    uint16_t pool_used;
    uint32_t fields_dropped; /* (link type and lengths are in the meta block that follows) */
    uint64_t flow_id;        /* the analyzer's flow (shm_flow.id), 0 for frames without one */
};

/* Bytes detail_encode() needs at most. */
#define DETAIL_MAX_BYTES                                                                           \
    (sizeof(struct detail_hdr) + sizeof(struct dissect_meta) +                                     \
     DISSECT_MAX_LAYERS * sizeof(struct dissect_layer) +                                           \
     DISSECT_MAX_EVENTS * sizeof(struct dissect_event_rec) +                                       \
     DISSECT_MAX_FIELDS * sizeof(struct dissect_field) + DISSECT_POOL_SIZE)

/* Bytes the packed form of d takes (what detail_encode() writes). */
uint32_t detail_size(const struct dissection *d);

/* Packs d into buf; returns the length, or 0 when cap is too small. flow_id and pkt_flags start
 * at 0: the analyzer sets them with detail_set_flow() once the flow is known. */
uint32_t detail_encode(const struct dissection *d, uint8_t *buf, uint32_t cap);

/* Writer: fills in a packed record's flow and frame flags (buf from detail_encode). */
void detail_set_flow(uint8_t *buf, uint64_t flow_id, uint8_t pkt_flags);

/* What a decoded record says beyond the dissection itself. */
struct detail_extra {
    uint64_t flow_id;
    uint8_t pkt_flags; /* SHM_PKT_* */
};

/*
 * Unpacks an untrusted record into out (frame pointers NULL) and, when extra is not NULL, the
 * flow and flags. Rejects wrong sizes, counts over the caps, unknown ids, layer indexes and
 * pool references out of range (in fields and in meta), so that every formatter — including
 * dissect_summary() — can run on the result.
 */
bool detail_decode(const uint8_t *buf, uint32_t len, struct dissection *out,
                   struct detail_extra *extra);

/*
 * The Packets-tab row of a record: decodes it into scratch (a struct dissection is ~9 KB: the
 * caller keeps one) and runs dissect_summary() on it. False when the record is rejected.
 */
bool detail_summary(const uint8_t *buf, uint32_t len, struct dissection *scratch,
                    struct dissect_summary *out, struct detail_extra *extra);

#endif
