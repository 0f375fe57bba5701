/*
 * core.c — one frame through the analyzer: dissect, publish, count.
 *
 * The series is kept by frame timestamp, so a capture file shows its own timeline and a live
 * capture shows wall-clock seconds. Each series bucket and flow slot is written under its own
 * seqlock; rings are appended in frame-sequence order (a gap where frames were missed).
 */
#include "core.h"

#include <stdio.h>
#include <string.h>

#include "capture/flowcount/kflow_read.h"
#include "detail.h"
#include "shm/ring_write.h"
#include "shm/seqlock.h"
#include "strings.h"

void analyzer_write_names(struct shm_analysis *a)
{
    struct shm_analysis_names *n = shm_analysis_names_rw(a);
    if (!n) return;
    for (unsigned p = 0; p < DP_COUNT && p < SHM_PROTO_SLOTS; p++)
        snprintf(n->proto[p], SHM_NAME_LEN, "%s", dissect_proto_name(p));
    for (unsigned e = 0; e < DE_COUNT && e < SHM_EVENT_SLOTS; e++)
        snprintf(n->event[e], SHM_NAME_LEN, "%s", dissect_event_name(e));
    a->hdr->nprotos = DP_COUNT < SHM_PROTO_SLOTS ? DP_COUNT : SHM_PROTO_SLOTS;
    a->hdr->nevents = DE_COUNT < SHM_EVENT_SLOTS ? DE_COUNT : SHM_EVENT_SLOTS;
    a->hdr->dissect_tables = dissect_tables_fingerprint();
}

int analyzer_init(struct analyzer *an, struct shm_analysis *a, const struct analyzer_config *cfg,
                  uint32_t link_type)
{
    memset(an, 0, sizeof *an);
    an->cfg = *cfg;
    if (!an->cfg.min_string) an->cfg.min_string = 4;
    an->a = a;
    a->hdr->link_type = link_type;
    an->flows = flow_table_new(a);
    if (!an->flows) return -1;
    if (cfg->keep_expired) flow_table_keep_expired(an->flows);
    if (cfg->output == ANALYZER_OUT_PRINT) an->print = print_ctx_new();
    return 0;
}

void analyzer_fini(struct analyzer *an)
{
    if (an->flows) analyzer_flush(an);
    flow_table_free(an->flows);
    print_ctx_free(an->print);
    an->flows = NULL;
    an->print = NULL;
}

static void series_add(struct analyzer *an, uint64_t sec, unsigned proto, uint32_t bytes)
{
    if (!an->series_bucket || an->series_sec != sec) {
        an->series_bucket = &an->a->series[sec % an->a->series_count];
        an->series_sec = sec;
    }
    struct shm_series_bucket *b = an->series_bucket;
    seqlock_write_begin(&b->lock);
    if (b->sec != sec) {
        /* lock is the first member: clear everything after it. */
        memset((uint8_t *)b + sizeof b->lock, 0, sizeof *b - sizeof b->lock);
        b->sec = sec;
    }
    b->packets++;
    b->bytes += bytes;
    if (proto < SHM_PROTO_SLOTS) {
        b->proto_packets[proto]++;
        b->proto_bytes[proto] += bytes;
    }
    seqlock_write_end(&b->lock);
}

/*
 * A frame's strings go into the string table, one 32-byte entry each, and readers are told once
 * per frame (one publish). An entry is a reference to the run in the frame, not a copy of it: the
 * text is in segment 1 already, and a copy (~115 bytes a string) was most of what the analyzer
 * wrote to memory.
 */
struct string_sink {
    struct shm_strtab *t;
    uint64_t frame_seq, ts_ns;
};

/*
 * Puts a batch of strings through local copies of the table's writer state and the sink, the
 * sequence stored back once: their addresses are never taken, so the compiler knows the entry
 * stores cannot change them and keeps them in registers, where through the pointers it reloaded
 * them after every store.
 */
static void emit_strings(void *ctx, const struct strings_found *found, unsigned n)
{
    const struct string_sink *s = ctx;
    struct shm_strtab t = *s->t;
    uint64_t frame_seq = s->frame_seq, ts_ns = s->ts_ns;
    for (unsigned k = 0; k < n; k++)
        shm_strtab_put(&t, frame_seq, ts_ns, found[k].offset, found[k].len);
    s->t->w_seq = t.w_seq;
}

/*
 * The packed dissection, packed straight into the ring (a staging copy would move ~1 KB more per
 * frame) before the flow is known; returns where, for publish_detail_commit(), or NULL when the
 * ring refused it.
 */
static uint8_t *publish_detail_begin(struct analyzer *an, const struct dissection *d,
                                     const struct shm_record *meta)
{
    uint32_t n = detail_size(d);
    uint8_t *p = shm_ring_reserve(&an->a->detail, meta->seq, n);
    if (p) detail_encode(d, p, n); /* cannot fail: n is exactly its size */
    return p;
}

/* Completes the record with its flow and flags and lets readers see it. */
static void publish_detail_commit(struct analyzer *an, const struct shm_record *meta, uint8_t *p,
                                  uint64_t flow_id, uint8_t flags)
{
    if (!p) return;
    detail_set_flow(p, flow_id, flags);
    struct shm_record m = {
        .ts_ns = meta->ts_ns, .wire_len = meta->wire_len, .flags = flags, .aux = meta->seq};
    shm_ring_commit(&an->a->detail, &m);
}

/* The payload's printable strings. */
static void publish_strings(struct analyzer *an, const struct dissection *d,
                            const struct shm_record *meta, const uint8_t *bytes)
{
    struct shm_analysis *a = an->a;
    uint32_t from = d->m.payload_caplen ? d->m.payload_offset : 0;
    uint32_t to = d->m.payload_caplen ? d->m.payload_offset + d->m.payload_caplen : 0;
    if (to > meta->len) to = meta->len;
    if (to > from) {
        struct string_sink sink = {&a->strings, meta->seq, meta->ts_ns};
        unsigned count = strings_scan(bytes, from, to, an->cfg.min_string, emit_strings, &sink);
        if (count) {
            shm_strtab_publish(&a->strings);
            shm_counter_add(&a->hdr->strings_total, count);
        }
    }
}

/*
 * A frame's flow index entry and slot are cache misses when thousands of flows are active. Within
 * one frame, little work lies between asking for them and using them: the detail record and the
 * strings when publishing, nothing at all in --flows mode, where the wait was a quarter of the
 * time (perf). So a frame's flow is accounted during the next frame's call, a whole dissection
 * after its lines were asked for; this completes the pending frame: its flow, its detail record,
 * and the counters that say it is done.
 */
void analyzer_flush(struct analyzer *an)
{
    struct analyzer_pending *p = &an->pend;
    if (!p->valid) return;
    p->valid = false;
    const struct dissection *d = &an->d[p->d];
    uint64_t flow_id =
        flow_table_update_found(an->flows, d, &an->look[p->d], p->meta.ts_ns, p->meta.wire_len);
    if (an->cfg.publish_frames) publish_detail_commit(an, &p->meta, p->rec, flow_id, p->flags);
    struct shm_analysis_hdr *h = an->a->hdr;
    if (atomic_load_explicit(&h->first_ts_ns, memory_order_relaxed) == 0)
        atomic_store_explicit(&h->first_ts_ns, p->meta.ts_ns, memory_order_relaxed);
    atomic_store_explicit(&h->last_ts_ns, p->meta.ts_ns, memory_order_relaxed);
    shm_counter_add(&h->bytes_analyzed, p->meta.wire_len);
    shm_counter_add(&h->frames_analyzed, 1);
    /* Release: pairs with viewers' acquire load; every frame below is analyzed or missed. */
    atomic_store_explicit(&h->next_frame_seq, p->meta.seq + 1, memory_order_release);
}

void analyzer_frame(struct analyzer *an, const struct shm_record *meta, const uint8_t *bytes,
                    uint32_t link_type)
{
    struct shm_analysis *a = an->a;
    struct shm_analysis_hdr *h = a->hdr;
    struct dissection *d = &an->d[an->cur];
    /* A checksum left to the NIC is partial in the frame: not verified, rather than "bad". */
    if (meta->flags & SHM_FRAME_CSUM_UNREADY)
        d->opts |= DISSECT_OPT_NO_CHECKSUMS;
    else
        d->opts &= ~DISSECT_OPT_NO_CHECKSUMS;
    dissect_frame(d, link_type, bytes, meta->len, meta->wire_len);
    an->frame_number++;

    uint64_t sec = meta->ts_ns / 1000000000ull;
    /* A new second expires idle flows: the pending frame counts in the second before it. */
    if (flow_table_tick_due(an->flows, meta->ts_ns)) {
        analyzer_flush(an);
        flow_table_tick(an->flows, meta->ts_ns);
    }
    /* Ask for this frame's index entry now; it is read once the pending frame is done. */
    struct flow_lookup *look = &an->look[an->cur];
    flow_table_lookup_begin(an->flows, d, sec, look);
    series_add(an, sec, d->top, meta->wire_len);

    /* Each event is counted, and gives the frame its flag: truncated (capture ran out) or
     * malformed (a header lies). */
    uint8_t flags = 0;
    for (unsigned i = 0; i < d->nevents; i++) {
        unsigned id = d->events[i].id;
        flags |= dissect_event_flags(id);
        if (id < SHM_EVENT_SLOTS) shm_counter_add(&h->event_counts[id], 1);
    }
    if (flags & SHM_PKT_MALFORMED) shm_counter_add(&h->frames_malformed, 1);
    for (unsigned i = 0; i < d->nlayers; i++)
        if (d->layers[i].proto < SHM_PROTO_SLOTS)
            shm_counter_add(&h->proto_packets[d->layers[i].proto], 1);

    analyzer_flush(an); /* the previous frame, whose lines were asked for a dissection ago */
    uint8_t *rec = NULL;
    if (an->cfg.publish_frames) rec = publish_detail_begin(an, d, meta);
    flow_table_lookup_prefetch(an->flows, look);
    if (an->cfg.publish_frames) publish_strings(an, d, meta, bytes);

    if (an->cfg.output != ANALYZER_OUT_NONE) {
        struct dissect_frame_info fi = {an->frame_number, meta->ts_ns, meta->len, meta->wire_len};
        if (an->cfg.output == ANALYZER_OUT_PRINT)
            dissect_print(an->cfg.out, an->print, d, &fi);
        else
            dissect_json(an->cfg.out, d, &fi); /* one object per line */
    }
    an->pend = (struct analyzer_pending){
        .valid = true, .flags = flags, .d = an->cur, .meta = *meta, .rec = rec};
    an->cur ^= 1;
}

void analyzer_missed(struct analyzer *an, uint64_t from, uint64_t to)
{
    if (to <= from) return;
    analyzer_flush(an);
    shm_counter_add(&an->a->hdr->frames_missed, to - from);
    an->frame_number += to - from;
}

void analyzer_join_kernel(struct analyzer *an, const struct shm_frames *frames)
{
    static struct shm_kflow kflows[SHM_KFLOW_CAPACITY];
    struct shm_kflow_table_hdr kh;
    long n = flowcount_table_snapshot(frames, kflows, SHM_KFLOW_CAPACITY, &kh);
    if (n < 0) return;
    analyzer_flush(an);
    struct shm_analysis_hdr *h = an->a->hdr;
    atomic_store_explicit(&h->kernel_status, kh.status, memory_order_relaxed);
    if (kh.status != 1) return;
    atomic_store_explicit(&h->kernel_packets, kh.total_packets, memory_order_relaxed);
    atomic_store_explicit(&h->kernel_bytes, kh.total_bytes, memory_order_relaxed);
    flow_table_join_kernel(an->flows, kflows, (uint64_t)n);
}
