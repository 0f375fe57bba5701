/*
 * test_shm_analysis.c — segment 2: creation and read-only attach, seqlocked flow and series
 * slots, and hostile bytes (geometry outside the segment) rejected with a message; string
 * references read through their frames in segment 1 (outside the frame, too long or naming
 * another frame: refused; frame overwritten: gone).
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "ring_util.h"
#include "shm/analysis.h"
#include "shm/seqlock.h"

static struct shm_analysis A;
static char session[64];

static void make_analysis(void)
{
    char err[SHM_ERR_MAX];
    struct shm_analysis_config cfg = {
        .detail_bytes = 1 << 20, .strings_bytes = 1 << 18, .flow_capacity = 64};
    test_session_name(session, sizeof session, "analysis");
    cr_assert_eq(shm_analysis_create(&A, session, &cfg, (gid_t)-1, err, sizeof err), 0, "%s", err);
    snprintf(shm_analysis_names_rw(&A)->proto[3], SHM_NAME_LEN, "TCP");
    shm_segment_publish(&A.seg);
}

static void teardown(void)
{
    shm_analysis_close(&A, true);
}

TestSuite(analysis, .init = make_analysis, .fini = teardown);

Test(analysis, reader_sees_flows_series_and_names)
{
    struct shm_flow *f = &A.flows[5];
    seqlock_write_begin(&f->lock);
    f->id = 42;
    f->packets[0] = 7;
    f->key.proto = 6;
    seqlock_write_end(&f->lock);
    struct shm_series_bucket *b = &A.series[9];
    seqlock_write_begin(&b->lock);
    b->sec = 1700000000;
    b->packets = 11;
    seqlock_write_end(&b->lock);

    struct shm_analysis R;
    char err[SHM_ERR_MAX];
    cr_assert_eq(shm_analysis_attach(&R, session, err, sizeof err), 0, "%s", err);
    struct shm_flow out;
    cr_assert(shm_flow_read(&R, 5, &out));
    cr_assert_eq(out.id, 42);
    cr_assert_eq(out.packets[0], 7);
    cr_assert_not(shm_flow_read(&R, 4, &out), "empty slot");
    cr_assert_not(shm_flow_read(&R, 64, &out), "out of range");
    struct shm_series_bucket sb;
    cr_assert(shm_series_read(&R, 9, &sb));
    cr_assert_eq(sb.packets, 11);
    char name[SHM_NAME_LEN];
    shm_analysis_proto_name(&R, 3, name, sizeof name);
    cr_assert_str_eq(name, "TCP");
    shm_analysis_proto_name(&R, 999, name, sizeof name);
    cr_assert_str_eq(name, "?");
    shm_analysis_detach(&R);
}

Test(analysis, a_slot_being_written_is_never_returned)
{
    struct shm_flow *f = &A.flows[1];
    f->id = 9;
    seqlock_write_begin(&f->lock); /* the writer died mid-update */
    struct shm_flow out;
    cr_assert_not(shm_flow_read(&A, 1, &out));
}

Test(analysis, corrupted_geometry_is_rejected_with_a_message)
{
    size_t offs[] = {
        offsetof(struct shm_analysis_hdr, names_off),
        offsetof(struct shm_analysis_hdr, flow_off),
        offsetof(struct shm_analysis_hdr, flow_capacity),
        offsetof(struct shm_analysis_hdr, series_off),
        offsetof(struct shm_analysis_hdr, series_count),
        offsetof(struct shm_analysis_hdr, detail) + offsetof(struct shm_ring_hdr, data_size),
        offsetof(struct shm_analysis_hdr, strings) + offsetof(struct shm_strtab_hdr, capacity),
        offsetof(struct shm_analysis_hdr, strings) + offsetof(struct shm_strtab_hdr, capacity),
        offsetof(struct shm_analysis_hdr, strings) + offsetof(struct shm_strtab_hdr, entries_off),
        offsetof(struct shm_analysis_hdr, strings) + offsetof(struct shm_strtab_hdr, entries_off)};
    uint64_t values[] = {UINT64_MAX - 7, 1ull << 45, 1ull << 40, 8,  0,
                         1ull << 50,     3,          1ull << 40, 64, A.seg.size - 64};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        uint8_t *copy = aligned_alloc(4096, (A.seg.size + 4095) & ~(size_t)4095);
        memcpy(copy, A.seg.base, A.seg.size);
        memcpy(copy + offs[i], &values[i], 8);
        struct shm_analysis R = {0};
        char err[SHM_ERR_MAX] = "";
        cr_assert_neq(shm_analysis_open_mem(&R, copy, A.seg.size, false, err, sizeof err), 0,
                      "case %zu accepted", i);
        cr_assert_gt(strlen(err), 5);
        free(copy);
    }
}

/* Fills ring r with records of len bytes until it has lapped itself twice; returns how many of
 * the newest are still intact. */
static uint64_t records_kept(struct shm_ring *r, uint32_t len)
{
    static uint8_t payload[SHM_DETAIL_MAX];
    memset(payload, 'x', len);
    uint64_t total = 2 * ((r->desc_mask + 1) + r->data_size / len);
    for (uint64_t i = 0; i < total; i++) {
        struct shm_record m = {.len = len, .ts_ns = i};
        cr_assert_neq(shm_ring_append(r, &m, payload), UINT64_MAX);
    }
    static uint8_t out[SHM_DETAIL_MAX];
    uint64_t kept = 0;
    struct shm_record m;
    for (uint64_t seq = total;
         seq-- > 0 && shm_ring_read(r, seq, &m, out, sizeof out) == SHM_READ_OK;)
        kept++;
    return kept;
}

/* shm_flow_rates_at() as it was written first: every second tested against the history. */
static struct shm_flow_rates reference_rates(const struct shm_flow *f, uint64_t now_sec)
{
    struct shm_flow_rates r = {0};
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

Test(analysis_rates, agree_with_a_second_by_second_reference)
{
    /* Every newest second around the history's wrap and every "now" near it, the analyzer's
     * case (now == hist_sec) among them; byte counts near 2^32, so the sums need 64 bits. */
    static struct shm_flow f;
    uint64_t x = 88172645463325252ull;
    for (unsigned k = 0; k < SHM_FLOW_HIST; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        f.hist_packets[k] = (uint32_t)(x % 1000);
        f.hist_bytes[k] = UINT32_MAX - (uint32_t)(x >> 40);
    }
    for (uint64_t hist = 0; hist < 3 * SHM_FLOW_HIST; hist++) {
        f.hist_sec = hist;
        for (uint64_t now = hist > 80 ? hist - 80 : 0; now < hist + 80; now++) {
            struct shm_flow_rates a = shm_flow_rates_at(&f, now), b = reference_rates(&f, now);
            cr_assert(a.pps_1s == b.pps_1s && a.bps_1s == b.bps_1s && a.pps_10s == b.pps_10s &&
                          a.bps_10s == b.bps_10s,
                      "hist_sec %llu now %llu", (unsigned long long)hist, (unsigned long long)now);
        }
    }
}

Test(analysis_default, each_ring_keeps_most_of_what_its_area_could_hold)
{
    /*
     * With the default sizes, each ring keeps at least 85% of the records of its typical size
     * that its area could hold if descriptors cost nothing but their 64 bytes. (One descriptor
     * per 256 bytes for every ring kept 46% of the summaries, 77% of the dissections and 50% of
     * the strings: descriptors ran out first, or data did.)
     */
    char err[SHM_ERR_MAX], name[64];
    struct shm_analysis D;
    struct shm_analysis_config cfg;
    shm_analysis_default_config(&cfg);
    test_session_name(name, sizeof name, "analysis-default");
    cr_assert_eq(shm_analysis_create(&D, name, &cfg, (gid_t)-1, err, sizeof err), 0, "%s", err);
    struct {
        struct shm_ring *ring;
        uint64_t area;
        uint32_t typical;
        const char *what;
    } rings[] = {{&D.detail, cfg.detail_bytes, SHM_DETAIL_TYPICAL, "detail"}};
    for (size_t i = 0; i < sizeof rings / sizeof rings[0]; i++) {
        uint64_t ideal = rings[i].area / (sizeof(struct shm_ring_desc) + rings[i].typical);
        uint64_t kept = records_kept(rings[i].ring, rings[i].typical);
        cr_assert_geq(kept * 100, ideal * 85, "%s ring keeps %llu of an ideal %llu", rings[i].what,
                      (unsigned long long)kept, (unsigned long long)ideal);
    }
    /* The string table: every 32 bytes of its area are a string. */
    cr_assert_eq((D.strings.mask + 1) * sizeof(struct shm_string_entry), cfg.strings_bytes);
    shm_analysis_close(&D, true);
}

/* ---- string references --------------------------------------------------------------------- */

static struct shm_frames F;
static uint8_t frame_copy[SHM_FRAME_MAX];

static void make_frames(void)
{
    char err[SHM_ERR_MAX];
    test_session_name(session, sizeof session, "strings");
    cr_assert_eq(shm_frames_create(&F, session, 1 << 20, (gid_t)-1, err, sizeof err), 0, "%s", err);
}

static void close_frames(void)
{
    shm_frames_close(&F, true);
}

TestSuite(string_ref, .init = make_frames, .fini = close_frames);

/* Appends a frame of len bytes: "TEXT-<seq>" at offset 20 in zero bytes, stamped 1000 + seq. */
static uint64_t append_frame(uint32_t len)
{
    static uint8_t f[SHM_STRING_MAX + 64];
    cr_assert_leq(len, sizeof f);
    uint64_t seq = shm_ring_write_seq(&F.ring);
    snprintf((char *)f + 20, 32, "TEXT-%llu", (unsigned long long)seq);
    struct shm_record m = {.len = len, .wire_len = len, .ts_ns = 1000 + seq};
    cr_assert_eq(shm_ring_append(&F.ring, &m, f), seq);
    return seq;
}

/* The string entry the analyzer would write for [offset, offset + len) of frame seq. */
static struct shm_string_entry string_entry(uint64_t seq, uint32_t offset, uint32_t len)
{
    struct shm_string_entry e = {
        .frame_seq = seq, .ts_ns = 1000 + seq, .offset = offset, .len = len};
    return e;
}

static enum shm_read_result text_of(const struct shm_string_entry *e, char *text, uint32_t *len)
{
    struct shm_string_frame fc = {.bytes = frame_copy, .bufsize = sizeof frame_copy}; /* empty */
    return shm_string_text(&F.ring, &fc, e, text, len);
}

Test(string_ref, the_text_is_the_run_of_its_frame)
{
    uint64_t seq = append_frame(64);
    struct shm_string_entry e = string_entry(seq, 20, 6);
    char text[SHM_STRING_MAX + 1];
    uint32_t len = 0;
    cr_assert_eq(text_of(&e, text, &len), SHM_READ_OK);
    cr_assert_eq(len, 6);
    cr_assert_str_eq(text, "TEXT-0");
    e = string_entry(seq, 0, 64); /* the whole frame is inside it */
    cr_assert_eq(text_of(&e, text, &len), SHM_READ_OK);
    cr_assert_eq(len, 64);
}

Test(string_ref, a_reference_beyond_its_frames_captured_bytes_is_refused)
{
    uint64_t seq = append_frame(40); /* caplen 40 */
    const uint32_t bad[][2] = {
        {20, 21},         /* ends one byte past the frame */
        {41, 0},          /* starts past it */
        {36, UINT32_MAX}, /* offset + len wraps around */
        {UINT32_MAX, 2},
    };
    char text[SHM_STRING_MAX + 1];
    uint32_t len;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct shm_string_entry e = string_entry(seq, bad[i][0], bad[i][1]);
        cr_assert_eq(text_of(&e, text, &len), SHM_READ_CORRUPT, "case %zu accepted", i);
    }
    struct shm_string_entry e = string_entry(seq, 20, 20); /* ends exactly at the frame's end */
    cr_assert_eq(text_of(&e, text, &len), SHM_READ_OK);
}

Test(string_ref, an_entry_that_lies_about_its_length_or_frame_is_refused)
{
    uint64_t seq = append_frame(SHM_STRING_MAX + 40);
    char text[SHM_STRING_MAX + 1];
    uint32_t len;
    struct shm_string_entry e = string_entry(seq, 0, SHM_STRING_MAX);
    cr_assert_eq(text_of(&e, text, &len), SHM_READ_OK);
    e = string_entry(seq, 0, SHM_STRING_MAX + 1); /* inside the frame, but too long */
    cr_assert_eq(text_of(&e, text, &len), SHM_READ_CORRUPT);
    e = string_entry(seq, 20, 6);
    e.ts_ns++; /* another frame under the same sequence */
    cr_assert_eq(text_of(&e, text, &len), SHM_READ_CORRUPT);
    e = string_entry(seq + 1, 20, 6); /* a frame not captured yet */
    cr_assert_eq(text_of(&e, text, &len), SHM_READ_CORRUPT);
}

Test(string_ref, a_string_whose_frame_was_overwritten_is_gone)
{
    uint64_t first = append_frame(64);
    struct shm_string_entry e = string_entry(first, 20, 6);
    char text[SHM_STRING_MAX + 1];
    uint32_t len;
    /* A copy of the frame taken while it was in the ring still serves its strings. */
    struct shm_string_frame held = {.bytes = frame_copy, .bufsize = sizeof frame_copy};
    cr_assert_eq(shm_string_text(&F.ring, &held, &e, text, &len), SHM_READ_OK);
    uint64_t second = append_frame(64);
    while (shm_ring_oldest(&F.ring) <= second) append_frame(200);
    cr_assert_eq(text_of(&e, text, &len), SHM_READ_GONE);
    cr_assert_eq(shm_string_text(&F.ring, &held, &e, text, &len), SHM_READ_OK);
    cr_assert_str_eq(text, "TEXT-0");
    /* ... and is let go for a frame that is gone. */
    e = string_entry(second, 20, 6);
    cr_assert_eq(shm_string_text(&F.ring, &held, &e, text, &len), SHM_READ_GONE);
    cr_assert_not(held.held);
}

/* ---- the string table itself --------------------------------------------------------------- */

TestSuite(strtab, .init = make_analysis, .fini = teardown);

/* Every entry carries its own sequence in frame_seq and ts_ns, so a torn or misplaced read shows.
 */
static void put_strings(struct shm_strtab *t, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t s = t->w_seq;
        shm_strtab_put(t, s, s * 3, (uint32_t)s, (uint32_t)(s % 7));
    }
    shm_strtab_publish(t);
}

Test(strtab, a_reader_sees_published_strings_then_loses_lapped_ones)
{
    struct shm_analysis R;
    char err[SHM_ERR_MAX];
    cr_assert_eq(shm_analysis_attach(&R, session, err, sizeof err), 0, "%s", err);
    uint64_t cap = R.strings.mask + 1;
    struct shm_string_entry e;
    cr_assert_eq(shm_strtab_read(&R.strings, 0, &e), SHM_READ_AGAIN);
    shm_strtab_put(&A.strings, 0, 0, 0, 0); /* put, not yet published */
    cr_assert_eq(shm_strtab_read(&R.strings, 0, &e), SHM_READ_AGAIN);
    shm_strtab_publish(&A.strings);
    cr_assert_eq(shm_strtab_read(&R.strings, 0, &e), SHM_READ_OK);
    put_strings(&A.strings, cap + 9);
    uint64_t ws = shm_strtab_write_seq(&R.strings);
    cr_assert_eq(ws, cap + 10);
    cr_assert_eq(shm_strtab_oldest(&R.strings), 10);
    cr_assert_eq(shm_strtab_read(&R.strings, 9, &e), SHM_READ_GONE);
    for (uint64_t s = 10; s < ws; s++) {
        cr_assert_eq(shm_strtab_read(&R.strings, s, &e), SHM_READ_OK, "string %llu",
                     (unsigned long long)s);
        cr_assert(e.frame_seq == s && e.ts_ns == s * 3 && e.offset == s && e.len == s % 7);
    }
    shm_analysis_detach(&R);
}

Test(strtab, an_entry_being_rewritten_or_holding_another_string_is_never_returned)
{
    put_strings(&A.strings, 100);
    struct shm_string_entry e;
    struct shm_string_entry *raw = &A.strings.e[50 & A.strings.mask];
    /* The writer died while rewriting the slot of string 50 for a later string. */
    uint64_t later = 50 + A.strings.mask + 1;
    atomic_store(&raw->lock, 2 * later + 1);
    cr_assert_eq(shm_strtab_read(&A.strings, 50, &e), SHM_READ_GONE);
    /* A hostile writer promised string 60 but left an older one in its slot. */
    atomic_store(&A.strings.e[60 & A.strings.mask].lock, 2 * 60 + 0);
    cr_assert_eq(shm_strtab_read(&A.strings, 60, &e), SHM_READ_CORRUPT);
    cr_assert_eq(shm_strtab_read(&A.strings, 61, &e), SHM_READ_OK);
}

Test(strtab, a_writer_taking_over_continues_the_sequence)
{
    put_strings(&A.strings, 5);
    struct shm_analysis W;
    char err[SHM_ERR_MAX];
    cr_assert_eq(shm_analysis_attach_rw(&W, session, err, sizeof err), 0, "%s", err);
    cr_assert_eq(W.strings.w_seq, 5);
    put_strings(&W.strings, 1);
    struct shm_string_entry e;
    cr_assert_eq(shm_strtab_read(&A.strings, 5, &e), SHM_READ_OK);
    cr_assert_eq(e.frame_seq, 5);
    shm_analysis_detach(&W);
}
