/*
 * test_analyzer_publish.c — what analyzer_frame() leaves in segment 2's rings, read back the way
 * a viewer reads it: every frame's detail (and the row derived from it) under its sequence, and
 * every payload string as a reference to its frame, whose text (read through segment 1, where the
 * frames fed in are also appended, as capture would) and offset must be exactly those the frame
 * held. The string table is small here (512 entries), so the run laps it many times.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/core.h"
#include "analyzer/detail.h"

static struct shm_analysis A;
static struct shm_frames F;

static void make(void)
{
    char err[SHM_ERR_MAX], session[64];
    snprintf(session, sizeof session, "test-publish-%d", (int)getpid());
    struct shm_analysis_config cfg = {
        .detail_bytes = 512 << 10, .strings_bytes = 16 << 10, .flow_capacity = 64};
    cr_assert_eq(shm_analysis_create(&A, session, &cfg, (gid_t)-1, err, sizeof err), 0, "%s", err);
    /* Big enough to keep every frame of the run: the string table laps, the frame ring not. */
    cr_assert_eq(shm_frames_create(&F, session, 4 << 20, (gid_t)-1, err, sizeof err), 0, "%s", err);
}

static void teardown(void)
{
    shm_analysis_close(&A, true);
    shm_frames_close(&F, true);
}

TestSuite(publish, .fini = teardown);

/* The two strings frame seq carries in its payload, each after a binary byte or two. */
static void strings_of(uint64_t seq, char *first, char *second)
{
    snprintf(first, 32, "first-%llu", (unsigned long long)seq);
    snprintf(second, 48, "second string of %llu", (unsigned long long)seq);
}

/* UDP/IPv4 in Ethernet, 10.0.0.1:1000 -> 10.0.0.2:2000, payload \x01 first \x00\x02 second \xff.
 * Returns the frame length; *off1 and *off2 are the strings' offsets in the frame. */
static uint32_t frame_with_strings(uint8_t *f, uint64_t seq, uint32_t *off1, uint32_t *off2)
{
    char s1[32], s2[48];
    strings_of(seq, s1, s2);
    uint8_t payload[96];
    uint32_t n = 0;
    payload[n++] = 0x01;
    *off1 = 42 + n;
    memcpy(payload + n, s1, strlen(s1)), n += (uint32_t)strlen(s1);
    payload[n++] = 0x00, payload[n++] = 0x02;
    *off2 = 42 + n;
    memcpy(payload + n, s2, strlen(s2)), n += (uint32_t)strlen(s2);
    payload[n++] = 0xff;
    static const uint8_t hdr[42] = {2,    0, 0,  0, 0, 1, 2,    0,    0,    0,    0, 2, 0x08, 0x00,
                                    0x45, 0, 0,  0, 0, 0, 0,    0,    64,   17,   0, 0, 10,   0,
                                    0,    1, 10, 0, 0, 2, 0x03, 0xe8, 0x07, 0xd0, 0, 0, 0,    0};
    memcpy(f, hdr, sizeof hdr);
    uint32_t ip_len = 20 + 8 + n, udp_len = 8 + n;
    f[16] = (uint8_t)(ip_len >> 8), f[17] = (uint8_t)ip_len;
    f[38] = (uint8_t)(udp_len >> 8), f[39] = (uint8_t)udp_len;
    uint32_t sum = 0; /* the IPv4 header checksum, so no event is raised for it */
    for (int i = 14; i < 34; i += 2) sum += (uint32_t)f[i] << 8 | f[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    f[24] = (uint8_t)(~sum >> 8), f[25] = (uint8_t)~sum;
    memcpy(f + 42, payload, n);
    return 42 + n;
}

Test(publish, every_string_in_the_ring_is_its_frames_text_offset_and_sequence)
{
    make();
    static struct analyzer an;
    struct analyzer_config cfg = {.publish_frames = true};
    cr_assert_eq(analyzer_init(&an, &A, &cfg, 1), 0);
    enum { FRAMES = 3000 };
    uint8_t f[160];
    uint32_t off1 = 0, off2 = 0;
    for (uint64_t seq = 0; seq < FRAMES; seq++) {
        struct shm_record m = {.seq = seq, .ts_ns = 1000000000ull + seq * 1000};
        m.len = m.wire_len = frame_with_strings(f, seq, &off1, &off2);
        cr_assert_eq(shm_ring_append(&F.ring, &m, f), seq);
        analyzer_frame(&an, &m, f, 1);
    }
    cr_assert_eq(shm_ring_oldest(&F.ring), 0, "the frame ring was meant to keep every frame");
    cr_assert_eq(atomic_load(&A.hdr->strings_total), 2 * FRAMES);
    uint64_t oldest = shm_strtab_oldest(&A.strings), newest = shm_strtab_write_seq(&A.strings);
    cr_assert_eq(newest, 2 * FRAMES, "every string is an entry: %llu", (unsigned long long)newest);
    cr_assert_gt(oldest, 2 * FRAMES / 2, "the table was meant to lap: oldest %llu",
                 (unsigned long long)oldest);
    unsigned checked = 0;
    static uint8_t frame_copy[SHM_FRAME_MAX];
    struct shm_string_frame fc = {.bytes = frame_copy, .bufsize = sizeof frame_copy};
    for (uint64_t s = oldest; s < newest; s++) {
        struct shm_string_entry e;
        char text[SHM_STRING_MAX + 1], s1[32], s2[48];
        enum shm_read_result r = shm_strtab_read(&A.strings, s, &e);
        cr_assert_eq(r, SHM_READ_OK, "string %llu unreadable (%d)", (unsigned long long)s, r);
        uint64_t frame = s / 2; /* two strings a frame, in frame order */
        strings_of(frame, s1, s2);
        uint32_t flen = frame_with_strings(f, frame, &off1, &off2);
        const char *want = s % 2 ? s2 : s1;
        cr_assert_eq(e.frame_seq, frame, "string %llu: frame %llu", (unsigned long long)s,
                     (unsigned long long)e.frame_seq);
        cr_assert_eq(e.ts_ns, 1000000000ull + frame * 1000);
        /* The reference against the bytes this frame was fed in with... */
        cr_assert_eq(e.offset, s % 2 ? off2 : off1, "string %llu: offset %u", (unsigned long long)s,
                     e.offset);
        cr_assert_eq(e.len, strlen(want), "string %llu: length %u", (unsigned long long)s, e.len);
        cr_assert_leq(e.offset + e.len, flen);
        cr_assert_eq(memcmp(f + e.offset, want, e.len), 0, "string %llu", (unsigned long long)s);
        /* ... and read the way a viewer reads it, through segment 1. */
        uint32_t len = 0;
        r = shm_string_text(&F.ring, &fc, &e, text, &len);
        cr_assert_eq(r, SHM_READ_OK, "string %llu: text unreadable (%d)", (unsigned long long)s, r);
        cr_assert_eq(len, e.len);
        cr_assert_str_eq(text, want, "string %llu", (unsigned long long)s);
        checked++;
    }
    cr_assert_gt(checked, 20, "only %u strings left in the ring", checked);

    /* The last frame's detail is there under its sequence, decodes, carries its flow, and gives
     * the Packets tab its row. */
    static uint8_t buf[SHM_DETAIL_MAX];
    struct shm_record m;
    /* Its flow is accounted during the next frame: until then (or a flush) readers wait. */
    cr_assert_eq(shm_ring_read(&A.detail, FRAMES - 1, &m, buf, sizeof buf), SHM_READ_AGAIN);
    cr_assert_eq(atomic_load(&A.hdr->next_frame_seq), FRAMES - 1);
    analyzer_flush(&an);
    cr_assert_eq(atomic_load(&A.hdr->next_frame_seq), FRAMES);
    cr_assert_eq(shm_ring_read(&A.detail, FRAMES - 1, &m, buf, sizeof buf), SHM_READ_OK);
    static struct dissection d;
    struct detail_extra ex;
    cr_assert(detail_decode(buf, m.len, &d, &ex));
    cr_assert(d.nlayers >= 3, "eth, ipv4, udp: %u layers", d.nlayers);
    cr_assert_eq(d.nevents, 0, "a well-formed frame raised %u events", d.nevents);
    cr_assert_eq(ex.pkt_flags, 0);
    struct shm_flow fl;
    bool found = false;
    for (uint64_t i = 0; i < A.flow_capacity && !found; i++)
        found = shm_flow_read(&A, i, &fl) && fl.id == ex.flow_id;
    cr_assert(found && ex.flow_id != 0, "the record's flow %llu is in the table",
              (unsigned long long)ex.flow_id);
    cr_assert_eq(fl.packets[0] + fl.packets[1], FRAMES);
    struct dissect_summary sum;
    cr_assert(detail_summary(buf, m.len, &d, &sum, NULL));
    cr_assert_str_eq(sum.src, "10.0.0.1");
    cr_assert_str_eq(sum.dst, "10.0.0.2");
    cr_assert_str_eq(sum.protocol, "UDP");
    analyzer_fini(&an);
}
