/*
 * analysis.c — creating, attaching and reading segment 2 (the analysis).
 *
 * Layout after the header page: the name table, the flow slots, the series buckets, then the
 * detail ring's area and the string table. Everything is placed on cache-line boundaries and
 * every offset a reader uses is re-validated against the real segment size at attach.
 */
#include "analysis.h"

#include <stdio.h>
#include <string.h>

#include "seqlock.h"

#define ALIGN_LINE(x) (((x) + SHM_CACHELINE - 1) & ~(uint64_t)(SHM_CACHELINE - 1))

void shm_analysis_default_config(struct shm_analysis_config *cfg)
{
    cfg->detail_bytes = SHM_ANALYSIS_DEFAULT_DETAIL;
    cfg->strings_bytes = SHM_ANALYSIS_DEFAULT_STRINGS;
    cfg->flow_capacity = SHM_ANALYSIS_DEFAULT_FLOWS;
}

static bool region_ok(uint64_t off, uint64_t count, uint64_t elem, size_t size)
{
    if (off < SHM_HDR_SIZE || off > size || off % 8) return false;
    if (elem && count > (size - off) / elem) return false;
    return true;
}

int shm_analysis_open_mem(struct shm_analysis *a, void *base, size_t size, bool writable, char *err,
                          size_t errlen)
{
    struct shm_segment seg = a->seg;
    memset(a, 0, sizeof *a);
    a->seg = seg;
    if (shm_segment_validate(base, size, SHM_KIND_ANALYSIS, err, errlen) != 0) return -1;
    struct shm_analysis_hdr *h = base;
    /* Copy each geometry value once; only the copies are trusted from here on. */
    uint64_t names_off = h->names_off, flow_off = h->flow_off, flow_cap = h->flow_capacity;
    uint64_t series_off = h->series_off, series_count = h->series_count;
    if (!region_ok(names_off, 1, sizeof(struct shm_analysis_names), size)) {
        snprintf(err, errlen, "analysis name table lies outside the segment");
        return -1;
    }
    if (flow_cap == 0 || !region_ok(flow_off, flow_cap, sizeof(struct shm_flow), size)) {
        snprintf(err, errlen, "flow table (%llu slots) lies outside the segment",
                 (unsigned long long)flow_cap);
        return -1;
    }
    if (series_count == 0 ||
        !region_ok(series_off, series_count, sizeof(struct shm_series_bucket), size)) {
        snprintf(err, errlen, "series table lies outside the segment");
        return -1;
    }
    char why[SHM_ERR_MAX];
    if (shm_ring_open(&a->detail, base, size, &h->detail, writable, why, sizeof why) != 0) {
        snprintf(err, errlen, "detail ring: %s", why);
        return -1;
    }
    if (h->detail.desc_off < SHM_HDR_SIZE) {
        snprintf(err, errlen, "detail ring overlaps the header");
        return -1;
    }
    if (shm_strtab_open(&a->strings, base, size, &h->strings, writable, err, errlen) != 0)
        return -1;
    a->hdr = h;
    a->names = (const struct shm_analysis_names *)((uint8_t *)base + names_off);
    a->flows = (struct shm_flow *)((uint8_t *)base + flow_off);
    a->flow_capacity = flow_cap;
    a->series = (struct shm_series_bucket *)((uint8_t *)base + series_off);
    a->series_count = series_count;
    return 0;
}

int shm_analysis_create(struct shm_analysis *a, const char *session,
                        const struct shm_analysis_config *cfg, gid_t gid, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    if (cfg->flow_capacity == 0 || cfg->flow_capacity > (1u << 22)) {
        snprintf(err, errlen, "flow capacity %llu out of range",
                 (unsigned long long)cfg->flow_capacity);
        return -1;
    }
    uint64_t off = SHM_HDR_SIZE;
    uint64_t names_off = off;
    off = ALIGN_LINE(off + sizeof(struct shm_analysis_names));
    uint64_t flow_off = off;
    off = ALIGN_LINE(off + cfg->flow_capacity * sizeof(struct shm_flow));
    uint64_t series_off = off;
    off = ALIGN_LINE(off + SHM_SERIES_SECONDS * sizeof(struct shm_series_bucket));
    uint64_t detail_off = off, detail_len = ALIGN_LINE(cfg->detail_bytes);
    off += detail_len;
    uint64_t strings_off = off, strings_cap = shm_strtab_capacity_for(cfg->strings_bytes);
    if (strings_cap == 0) {
        snprintf(err, errlen, "string table of %llu bytes holds fewer than 64 strings",
                 (unsigned long long)cfg->strings_bytes);
        return -1;
    }
    off += strings_cap * sizeof(struct shm_string_entry);
    if (shm_segment_create(&a->seg, session, SHM_KIND_ANALYSIS, off, gid, err, errlen) != 0)
        return -1;
    struct shm_analysis_hdr *h = a->seg.base;
    h->names_off = names_off;
    h->flow_off = flow_off;
    h->flow_capacity = cfg->flow_capacity;
    h->series_off = series_off;
    h->series_count = SHM_SERIES_SECONDS;
    struct shm_ring tmp;
    if (shm_ring_format(&tmp, a->seg.base, a->seg.size, &h->detail, detail_off, detail_len,
                        SHM_DETAIL_TYPICAL, SHM_DETAIL_MAX, err, errlen) != 0)
        goto fail;
    shm_strtab_format(&h->strings, strings_off, strings_cap);
    if (shm_analysis_open_mem(a, a->seg.base, a->seg.size, true, err, errlen) != 0) goto fail;
    return 0;
fail:
    shm_segment_detach(&a->seg);
    shm_segment_unlink(session, SHM_KIND_ANALYSIS);
    return -1;
}

static int attach(struct shm_analysis *a, const char *session, bool rw, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    int rc = rw ? shm_segment_attach_rw(&a->seg, session, SHM_KIND_ANALYSIS, err, errlen)
                : shm_segment_attach(&a->seg, session, SHM_KIND_ANALYSIS, err, errlen);
    if (rc != 0) return -1;
    char why[SHM_ERR_MAX];
    if (shm_analysis_open_mem(a, a->seg.base, a->seg.size, rw, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", a->seg.name, why);
        shm_segment_detach(&a->seg);
        return -1;
    }
    return 0;
}

int shm_analysis_attach(struct shm_analysis *a, const char *session, char *err, size_t errlen)
{
    return attach(a, session, false, err, errlen);
}

int shm_analysis_attach_rw(struct shm_analysis *a, const char *session, char *err, size_t errlen)
{
    return attach(a, session, true, err, errlen);
}

void shm_analysis_close(struct shm_analysis *a, bool unlink_segment)
{
    if (!a->seg.base) return;
    char session[SHM_SESSION_MAX];
    shm_copy_str(session, sizeof session, a->hdr->seg.session, sizeof a->hdr->seg.session);
    shm_ring_wake(&a->detail);
    shm_segment_close(&a->seg);
    if (unlink_segment) shm_segment_unlink(session, SHM_KIND_ANALYSIS);
}

void shm_analysis_detach(struct shm_analysis *a)
{
    shm_segment_detach(&a->seg);
}

struct shm_analysis_names *shm_analysis_names_rw(struct shm_analysis *a)
{
    return a->seg.writable ? (struct shm_analysis_names *)a->names : NULL;
}

void shm_analysis_proto_name(const struct shm_analysis *a, unsigned id, char *out, size_t len)
{
    if (id < SHM_PROTO_SLOTS) shm_copy_str(out, len, a->names->proto[id], SHM_NAME_LEN);
    if (id >= SHM_PROTO_SLOTS || !out[0]) snprintf(out, len, "?");
}

void shm_analysis_event_name(const struct shm_analysis *a, unsigned id, char *out, size_t len)
{
    if (id < SHM_EVENT_SLOTS) shm_copy_str(out, len, a->names->event[id], SHM_NAME_LEN);
    if (id >= SHM_EVENT_SLOTS || !out[0]) snprintf(out, len, "?");
}

_Static_assert(SHM_FLOW_HIST > 10, "the history holds the ten seconds the rates average");

struct shm_flow_rates shm_flow_rates_at(const struct shm_flow *f, uint64_t now_sec)
{
    struct shm_flow_rates r = {0};
    if (f->hist_sec == now_sec && now_sec >= 10) {
        /*
         * The analyzer's case, every flow once a second: it has just moved the history to now_sec,
         * so all ten seconds before it are held and need no test each (the loop below cost ~150
         * instructions a flow, ~40 a frame in the benchmark; this, unrolled, ~60).
         */
        uint64_t sec = now_sec - 1;
        r.pps_1s = f->hist_packets[sec % SHM_FLOW_HIST];
        r.bps_1s = f->hist_bytes[sec % SHM_FLOW_HIST];
#pragma GCC unroll 10
        for (unsigned i = 0; i < 10; i++, sec--) {
            r.pps_10s += f->hist_packets[sec % SHM_FLOW_HIST];
            r.bps_10s += f->hist_bytes[sec % SHM_FLOW_HIST];
        }
        r.pps_10s /= 10;
        r.bps_10s /= 10;
        return r;
    }
    for (uint64_t i = 1; i <= 10 && i < SHM_FLOW_HIST && i <= now_sec; i++) {
        uint64_t sec = now_sec - i;
        if (!shm_flow_hist_holds(f, sec)) continue;
        uint32_t p = f->hist_packets[sec % SHM_FLOW_HIST], b = f->hist_bytes[sec % SHM_FLOW_HIST];
        if (i == 1) r.pps_1s = p, r.bps_1s = b;
        r.pps_10s += p;
        r.bps_10s += b;
    }
    r.pps_10s /= 10;
    r.bps_10s /= 10;
    return r;
}

bool shm_flow_read(const struct shm_analysis *a, uint64_t idx, struct shm_flow *out)
{
    if (idx >= a->flow_capacity) return false;
    const struct shm_flow *f = &a->flows[idx];
    for (int attempt = 0; attempt < 16; attempt++) {
        uint64_t v = seqlock_read_begin(&f->lock);
        if (v & 1) continue;
        memcpy((uint8_t *)out + sizeof out->lock, (const uint8_t *)f + sizeof f->lock,
               sizeof *f - sizeof f->lock);
        if (!seqlock_read_retry(&f->lock, v)) return out->id != 0;
    }
    return false;
}

bool shm_series_read(const struct shm_analysis *a, uint64_t idx, struct shm_series_bucket *out)
{
    if (idx >= a->series_count) return false;
    const struct shm_series_bucket *b = &a->series[idx];
    for (int attempt = 0; attempt < 16; attempt++) {
        uint64_t v = seqlock_read_begin(&b->lock);
        if (v & 1) continue;
        memcpy((uint8_t *)out + sizeof out->lock, (const uint8_t *)b + sizeof b->lock,
               sizeof *b - sizeof b->lock);
        if (!seqlock_read_retry(&b->lock, v)) return out->sec != 0;
    }
    return false;
}

enum shm_read_result shm_string_text(const struct shm_ring *frames, struct shm_string_frame *fc,
                                     const struct shm_string_entry *e, char *text, uint32_t *len)
{
    if (e->len > SHM_STRING_MAX) return SHM_READ_CORRUPT;
    if (!fc->held || fc->meta.seq != e->frame_seq) {
        enum shm_read_result r =
            shm_ring_read(frames, e->frame_seq, &fc->meta, fc->bytes, fc->bufsize);
        fc->held = r == SHM_READ_OK;
        if (r == SHM_READ_GONE) return SHM_READ_GONE;
        /* A frame not captured yet (AGAIN) cannot be the one the string came from. */
        if (r != SHM_READ_OK) return SHM_READ_CORRUPT;
    }
    /* The frame's own sequence and stamp, not just its slot: an entry naming the wrong frame
     * must not show another frame's bytes as its text. */
    const struct shm_record *f = &fc->meta;
    if (f->seq != e->frame_seq || f->ts_ns != e->ts_ns) return SHM_READ_CORRUPT;
    if (e->offset > f->len || e->len > f->len - e->offset) return SHM_READ_CORRUPT;
    memcpy(text, fc->bytes + e->offset, e->len);
    text[e->len] = '\0';
    *len = e->len;
    return SHM_READ_OK;
}
