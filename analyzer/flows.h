/*
 * flows.h — the analyzer's flow table: bidirectional flows keyed by struct shm_flow_key, kept
 * in segment 2's fixed array of seqlocked slots (what viewers read) and found through a private
 * open-addressing index (what only the analyzer needs). Fixed capacity: when it is full, new
 * flows are counted in flows_overflow and not tracked; idle flows expire by frame time.
 */
#ifndef PACKRAT_ANALYZER_FLOWS_H
#define PACKRAT_ANALYZER_FLOWS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dissect.h"
#include "shm/analysis.h"

struct flow_table;

/* Idle times after which a flow expires (ns of frame time). */
#define FLOW_IDLE_NS        (120ull * 1000000000ull)
#define FLOW_CLOSED_IDLE_NS (10ull * 1000000000ull)

/*
 * Builds the table over a's flow slots. When the slots already hold flows (a restarted analyzer
 * taking over segment 2), they are indexed again so counting continues where it stopped.
 */
struct flow_table *flow_table_new(struct shm_analysis *a);
void flow_table_free(struct flow_table *t);

/*
 * Accounting one frame to its flow takes three steps, so the analyzer can do other work while
 * the flow's memory arrives (the index entry and the slot are each a cache miss when thousands
 * of flows are active): begin computes the key and asks for its index entry; prefetch reads
 * that entry and asks for the slot's lines; update_found accounts the frame and returns the
 * flow id (0 when the frame has no IP flow or the table is full). d must not change, and the
 * table must not be ticked, between the steps. sec is the frame's second (ts_ns / 10^9), which
 * the caller has at hand: passed once, so no step divides again.
 */
struct flow_lookup {
    struct shm_flow_key key;
    int dir;
    bool valid;    /* the frame has an IP flow */
    uint32_t tag;  /* the key's hash, high half: what index entries keep of it */
    uint64_t home; /* index position the key hashes to */
    uint64_t sec;  /* the frame's second */
};
void flow_table_lookup_begin(const struct flow_table *t, const struct dissection *d, uint64_t sec,
                             struct flow_lookup *l);
void flow_table_lookup_prefetch(const struct flow_table *t, const struct flow_lookup *l);
uint64_t flow_table_update_found(struct flow_table *t, const struct dissection *d,
                                 const struct flow_lookup *l, uint64_t ts_ns, uint32_t wirelen);

/* Batch mode: flows that expire are kept (privately) so the final table still lists them. */
void flow_table_keep_expired(struct flow_table *t);

/* Call per frame: when the second of frame time changes, updates rates and histories and
 * expires idle flows; otherwise returns at once. */
void flow_table_tick(struct flow_table *t, uint64_t now_ns);

/* Whether flow_table_tick() at now_ns would do anything (the second changed). */
bool flow_table_tick_due(const struct flow_table *t, uint64_t now_ns);

/* Joins the kernel counter's per-flow figures (segment 1's kflow table) into the slots. */
void flow_table_join_kernel(struct flow_table *t, const struct shm_kflow *k, uint64_t n);

/* The flow table at the end, like tshark -z conv: text or one JSON object per flow. */
void flow_table_print(struct flow_table *t, FILE *out, int json);

#endif
