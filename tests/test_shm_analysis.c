/*
 * test_shm_analysis.c — segment 2: creation and read-only attach, seqlocked flow and series
 * slots, and hostile bytes (geometry outside the segment) rejected with a message.
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
        offsetof(struct shm_analysis_hdr, strings) + offsetof(struct shm_ring_hdr, desc_count)};
    uint64_t values[] = {UINT64_MAX - 7, 1ull << 45, 1ull << 40, 8, 0, 1ull << 50, 3};
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
    } rings[] = {{&D.detail, cfg.detail_bytes, SHM_DETAIL_TYPICAL, "detail"},
                 {&D.strings, cfg.strings_bytes, SHM_STRING_TYPICAL, "strings"}};
    for (size_t i = 0; i < sizeof rings / sizeof rings[0]; i++) {
        uint64_t ideal = rings[i].area / (sizeof(struct shm_ring_desc) + rings[i].typical);
        uint64_t kept = records_kept(rings[i].ring, rings[i].typical);
        cr_assert_geq(kept * 100, ideal * 85, "%s ring keeps %llu of an ideal %llu", rings[i].what,
                      (unsigned long long)kept, (unsigned long long)ideal);
    }
    shm_analysis_close(&D, true);
}
