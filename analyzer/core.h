/*
 * core.h — the analyzer's per-frame pipeline, shared by the packrat-analyzer process (following
 * a live session's frame ring) and the batch modes (--print, --json, --flows).
 *
 * For every frame: dissect it once, then publish what viewers need into segment 2 (the packed
 * dissection keyed by frame sequence, from which viewers derive the summary row; payload
 * strings; the flow, the per-second series and the counters) and, in batch modes, write the
 * requested text.
 */
#ifndef PACKRAT_ANALYZER_CORE_H
#define PACKRAT_ANALYZER_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dissect.h"
#include "flows.h"
#include "shm/analysis.h"
#include "shm/frames.h"

enum analyzer_output {
    ANALYZER_OUT_NONE = 0,
    ANALYZER_OUT_PRINT = 1, /* tcpdump -nn style lines */
    ANALYZER_OUT_JSON = 2,  /* one JSON object per packet */
};

struct analyzer_config {
    bool publish_frames; /* write details and strings (viewers need them) */
    bool keep_expired;   /* batch: expired flows still appear in the final table */
    uint32_t min_string; /* shortest printable run kept (default 4) */
    enum analyzer_output output;
    FILE *out;
};

/*
 * A frame whose flow is still to be accounted (core.c says why the analyzer keeps one): its
 * dissection and flow lookup (one of struct analyzer's two of each), reserved detail record and
 * flags.
 */
struct analyzer_pending {
    bool valid;
    uint8_t flags; /* SHM_PKT_* */
    unsigned d;    /* index into analyzer.d and analyzer.look */
    struct shm_record meta;
    uint8_t *rec; /* its detail record, reserved and packed, not yet committed */
};

struct analyzer {
    struct analyzer_config cfg;
    struct shm_analysis *a;
    struct flow_table *flows;
    struct print_ctx *print;
    struct dissection d[2]; /* the frame being analyzed, and the pending one */
    /* Their flow lookups, side by side like d: begun in place, so a frame's lookup is not
     * copied into pend (a 64-byte copy a frame). */
    struct flow_lookup look[2];
    unsigned cur; /* index of the frame being analyzed */
    struct analyzer_pending pend;
    uint64_t frame_number; /* 1-based count for frame.number in batch output */
    /* The series bucket of second series_sec: found with a 64-bit division, so once a second
     * rather than once a frame. */
    uint64_t series_sec;
    struct shm_series_bucket *series_bucket;
};

/* Sets up the pipeline over an analysis segment this process writes. */
int analyzer_init(struct analyzer *an, struct shm_analysis *a, const struct analyzer_config *cfg,
                  uint32_t link_type);
void analyzer_fini(struct analyzer *an);

/*
 * Analyzes frame seq (bytes[0..meta->len)) of the given link type. Everything about the frame is
 * done on return except its flow accounting, the commit of its detail record and the header
 * counters that say it is done (frames_analyzed, next_frame_seq): those complete during the next
 * frame's call, or at analyzer_flush(). Batch output (--print, --json) is written at once.
 */
void analyzer_frame(struct analyzer *an, const struct shm_record *meta, const uint8_t *bytes,
                    uint32_t link_type);

/* Completes the frame analyzer_frame() left pending. Call before waiting for frames, before
 * reading the flows or counters, and at the end. Cheap when nothing is pending. */
void analyzer_flush(struct analyzer *an);

/* Frames in [from, to) were overwritten before we could read them. */
void analyzer_missed(struct analyzer *an, uint64_t from, uint64_t to);

/*
 * Copies the kernel flow counter's table from capture's segment 1 (when capture runs it) into
 * the matching flows and the header's kernel totals. About once a second is enough.
 */
void analyzer_join_kernel(struct analyzer *an, const struct shm_frames *frames);

/* Writes protocol and event names into the segment (before publishing it). */
void analyzer_write_names(struct shm_analysis *a);

#endif
