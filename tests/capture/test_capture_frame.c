/*
 * test_capture_frame.c — unit tests for capture's frame shaping and filter compilation.
 *
 * TPACKET_V3 records are built by hand in a block buffer, so the kernel's offsets can be made
 * to lie: every lie must be refused, and every honest record must come back as the bytes that
 * were on the wire (VLAN tag re-inserted with the right TPID, SLL header for cooked sockets).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>

#include "capture/capture.h"

#define BLK 4096u
static uint8_t block[BLK];

/* Writes one record at off with frame bytes `data` (snaplen bytes), returns its tp_mac. */
static uint32_t put_record(uint32_t off, const uint8_t *data, uint32_t snaplen, uint32_t len,
                           uint32_t status, uint16_t tci, uint16_t tpid, uint32_t next)
{
    struct tpacket3_hdr h;
    memset(&h, 0, sizeof h);
    uint32_t mac = TPACKET_ALIGN(sizeof h) + TPACKET_ALIGN(sizeof(struct sockaddr_ll));
    h.tp_next_offset = next;
    h.tp_sec = 12;
    h.tp_nsec = 345;
    h.tp_snaplen = snaplen;
    h.tp_len = len;
    h.tp_status = status;
    h.tp_mac = (uint16_t)mac;
    h.tp_net = (uint16_t)mac;
    h.hv1.tp_vlan_tci = tci;
    h.hv1.tp_vlan_tpid = tpid;
    memcpy(block + off, &h, sizeof h);
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_pkttype = PACKET_OTHERHOST;
    sll.sll_hatype = 1;
    sll.sll_halen = 6;
    sll.sll_protocol = htons(0x0800);
    sll.sll_ifindex = 7;
    memcpy(sll.sll_addr, "\x02\x00\x00\x00\x00\x01", 6);
    memcpy(block + off + TPACKET_ALIGN(sizeof h), &sll, sizeof sll);
    if (off + mac + snaplen <= BLK) memcpy(block + off + mac, data, snaplen);
    return mac;
}

static uint8_t frame[64];

static void init_frame(void)
{
    for (unsigned i = 0; i < sizeof frame; i++) frame[i] = (uint8_t)i;
    frame[12] = 0x08;
    frame[13] = 0x00;
}

Test(frame, untagged_roundtrip)
{
    init_frame();
    memset(block, 0, sizeof block);
    put_record(64, frame, 60, 60, TP_STATUS_USER | TP_STATUS_TS_SOFTWARE, 0, 0, 0);
    struct cap_tframe f;
    uint32_t next = 99;
    cr_assert_eq(cap_tframe_parse(block, BLK, 64, &f, &next), 0);
    cr_assert_eq(next, 0);
    cr_assert_eq(f.ts_ns, 12000000345ull);
    cr_assert_eq(f.ifindex, 7);
    uint32_t cap, wire;
    cap_frame_lengths(&f, false, 0, &cap, &wire);
    cr_assert_eq(cap, 60);
    cr_assert_eq(wire, 60);
    uint8_t out[128];
    cr_assert_eq(cap_frame_build(out, cap, &f, false), 0);
    cr_assert_arr_eq(out, frame, 60);
}

static void check_tag(uint32_t status, uint16_t tpid_field, uint16_t want_tpid, uint16_t tci)
{
    init_frame();
    memset(block, 0, sizeof block);
    put_record(0, frame, 60, 60, TP_STATUS_USER | status, tci, tpid_field, 0);
    struct cap_tframe f;
    uint32_t next;
    cr_assert_eq(cap_tframe_parse(block, BLK, 0, &f, &next), 0);
    uint32_t cap, wire;
    cap_frame_lengths(&f, false, 0, &cap, &wire);
    cr_assert_eq(cap, 64);
    cr_assert_eq(wire, 64);
    uint8_t out[128];
    cr_assert_eq(cap_frame_build(out, cap, &f, false), SHM_FRAME_VLAN_REINSERTED);
    cr_assert_arr_eq(out, frame, 12, "MAC addresses first");
    cr_assert_eq(out[12] << 8 | out[13], want_tpid);
    cr_assert_eq(out[14] << 8 | out[15], tci);
    cr_assert_arr_eq(out + 16, frame + 12, 48, "then the rest of the frame, unchanged");
}

Test(frame, vlan_8021q_default_tpid)
{
    check_tag(TP_STATUS_VLAN_VALID, 0x88a8, 0x8100, (5u << 13) | 100); /* TPID not valid */
}

Test(frame, vlan_8021ad_tpid)
{
    check_tag(TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID, 0x88a8, 0x88a8, 200);
}

Test(frame, priority_tag_tci_zero)
{
    check_tag(TP_STATUS_VLAN_VALID, 0, 0x8100, 0);
}

Test(frame, no_vlan_valid_means_no_tag)
{
    init_frame();
    memset(block, 0, sizeof block);
    put_record(0, frame, 60, 60, TP_STATUS_USER, 100, 0x8100, 0);
    struct cap_tframe f;
    uint32_t next, cap, wire;
    cr_assert_eq(cap_tframe_parse(block, BLK, 0, &f, &next), 0);
    cap_frame_lengths(&f, false, 0, &cap, &wire);
    cr_assert_eq(cap, 60);
}

Test(frame, snaplen_truncates_after_tag)
{
    init_frame();
    memset(block, 0, sizeof block);
    put_record(0, frame, 60, 60, TP_STATUS_USER | TP_STATUS_VLAN_VALID, 100, 0, 0);
    struct cap_tframe f;
    uint32_t next, cap, wire;
    cr_assert_eq(cap_tframe_parse(block, BLK, 0, &f, &next), 0);
    cap_frame_lengths(&f, false, 20, &cap, &wire);
    cr_assert_eq(cap, 20);
    cr_assert_eq(wire, 64);
    uint8_t out[64];
    memset(out, 0xee, sizeof out);
    cap_frame_build(out, cap, &f, false);
    cr_assert_eq(out[12], 0x81);
    cr_assert_eq(out[19], frame[15]);
    cr_assert_eq(out[20], 0xee, "nothing written past caplen");
}

Test(frame, kernel_truncated_frame_keeps_wire_length)
{
    init_frame();
    memset(block, 0, sizeof block);
    put_record(0, frame, 40, 9014, TP_STATUS_USER, 0, 0, 0);
    struct cap_tframe f;
    uint32_t next, cap, wire;
    cr_assert_eq(cap_tframe_parse(block, BLK, 0, &f, &next), 0);
    cap_frame_lengths(&f, false, 0, &cap, &wire);
    cr_assert_eq(cap, 40);
    cr_assert_eq(wire, 9014);
}

Test(frame, cooked_sll_with_vlan)
{
    init_frame();
    memset(block, 0, sizeof block);
    /* On a SOCK_DGRAM socket the data starts at the network header. */
    put_record(0, frame + 14, 46, 46,
               TP_STATUS_USER | TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID, 100, 0x8100, 0);
    struct cap_tframe f;
    uint32_t next, cap, wire;
    cr_assert_eq(cap_tframe_parse(block, BLK, 0, &f, &next), 0);
    cap_frame_lengths(&f, true, 0, &cap, &wire);
    cr_assert_eq(cap, 16 + 4 + 46);
    uint8_t out[128];
    cr_assert_eq(cap_frame_build(out, cap, &f, true), SHM_FRAME_VLAN_REINSERTED);
    cr_assert_eq(out[0] << 8 | out[1], PACKET_OTHERHOST);
    cr_assert_eq(out[2] << 8 | out[3], 1);
    cr_assert_eq(out[4] << 8 | out[5], 6);
    cr_assert_eq(out[6], 0x02);
    cr_assert_eq(out[14] << 8 | out[15], 0x8100);
    cr_assert_eq(out[16] << 8 | out[17], 100);
    cr_assert_eq(out[18] << 8 | out[19], 0x0800);
    cr_assert_arr_eq(out + 20, frame + 14, 46);
}

Test(frame, cooked_sll_plain)
{
    init_frame();
    memset(block, 0, sizeof block);
    put_record(0, frame + 14, 46, 46, TP_STATUS_USER, 0, 0, 0);
    struct cap_tframe f;
    uint32_t next, cap, wire;
    cr_assert_eq(cap_tframe_parse(block, BLK, 0, &f, &next), 0);
    cap_frame_lengths(&f, true, 0, &cap, &wire);
    cr_assert_eq(cap, 62);
    uint8_t out[128];
    cr_assert_eq(cap_frame_build(out, cap, &f, true), 0);
    cr_assert_eq(out[14] << 8 | out[15], 0x0800);
    cr_assert_arr_eq(out + 16, frame + 14, 46);
}

Test(frame, lying_offsets_are_refused)
{
    init_frame();
    struct cap_tframe f;
    uint32_t next;
    struct tpacket3_hdr h;

    memset(block, 0, sizeof block);
    put_record(0, frame, 60, 60, TP_STATUS_USER, 0, 0, 0);
    memcpy(&h, block, sizeof h);
    h.tp_snaplen = BLK; /* runs past the block */
    memcpy(block, &h, sizeof h);
    cr_assert_eq(cap_tframe_parse(block, BLK, 0, &f, &next), -1);

    memset(block, 0, sizeof block);
    put_record(0, frame, 60, 60, TP_STATUS_USER, 0, 0, 0);
    memcpy(&h, block, sizeof h);
    h.tp_mac = 8; /* inside our own header */
    memcpy(block, &h, sizeof h);
    cr_assert_eq(cap_tframe_parse(block, BLK, 0, &f, &next), -1);

    memset(block, 0, sizeof block);
    put_record(0, frame, 60, 60, TP_STATUS_USER, 0, 0, BLK); /* next beyond the block */
    cr_assert_eq(cap_tframe_parse(block, BLK, 0, &f, &next), -1);

    memset(block, 0, sizeof block);
    put_record(0, frame, 60, 60, TP_STATUS_USER, 0, 0, 16); /* next inside the header */
    cr_assert_eq(cap_tframe_parse(block, BLK, 0, &f, &next), -1);

    cr_assert_eq(cap_tframe_parse(block, BLK, BLK - 16, &f, &next), -1, "header past the end");
    cr_assert_eq(cap_tframe_parse(block, BLK, 4, &f, &next), -1, "misaligned record");
    cr_assert_eq(cap_tframe_parse(block, BLK, BLK + 16, &f, &next), -1, "offset past the end");

    /* Every truncation of the block length around a valid record: refused or inside. */
    memset(block, 0, sizeof block);
    uint32_t mac = put_record(0, frame, 60, 60, TP_STATUS_USER, 0, 0, 0);
    for (uint32_t len = 0; len < mac + 60; len++)
        cr_assert_eq(cap_tframe_parse(block, len, 0, &f, &next), -1, "blk_len %u", len);
    cr_assert_eq(cap_tframe_parse(block, mac + 60, 0, &f, &next), 0);
}

Test(frame, chained_records)
{
    init_frame();
    memset(block, 0, sizeof block);
    put_record(0, frame, 60, 60, TP_STATUS_USER, 0, 0, 256);
    put_record(256, frame, 50, 50, TP_STATUS_USER, 0, 0, 0);
    struct cap_tframe f;
    uint32_t next;
    cr_assert_eq(cap_tframe_parse(block, BLK, 0, &f, &next), 0);
    cr_assert_eq(next, 256);
    cr_assert_eq(cap_tframe_parse(block, BLK, next, &f, &next), 0);
    cr_assert_eq(f.snaplen, 50);
    cr_assert_eq(next, 0);
}

Test(filter, bad_expression_names_it)
{
    pcap_t *h = pcap_open_dead(DLT_EN10MB, 65535);
    struct bpf_program p;
    char err[CAP_ERR_MAX];
    cr_assert_eq(filter_compile(h, "tcp port banana", false, &p, err, sizeof err), -1);
    cr_assert(strstr(err, "tcp port banana") != NULL, "%s", err);
    cr_assert(strstr(err, "bad capture filter") != NULL, "%s", err);
    pcap_close(h);
}

Test(filter, cooked_rewrites_loads)
{
    pcap_t *h = pcap_open_dead(DLT_LINUX_SLL, 65535);
    struct bpf_program p;
    char err[CAP_ERR_MAX];
    cr_assert_eq(filter_compile(h, "ip and udp", true, &p, err, sizeof err), 0, "%s", err);
    bool proto_anc = false;
    for (u_int i = 0; i < p.bf_len; i++) {
        const struct bpf_insn *in = &p.bf_insns[i];
        if (BPF_CLASS(in->code) == BPF_LD && BPF_MODE(in->code) == BPF_ABS) {
            cr_assert(in->k < 16 || (int32_t)in->k < 0, "load at SLL offset %u left", in->k);
            if (in->k == (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL)) proto_anc = true;
        }
    }
    cr_assert(proto_anc, "the SLL protocol field becomes the kernel's protocol");
    filter_free(&p);
    /* A field the kernel cannot give a cooked socket: refused with a reason. */
    cr_assert_eq(filter_compile(h, "ether[2] = 1", true, &p, err, sizeof err), -1);
    cr_assert(strstr(err, "cooked") != NULL, "%s", err);
    pcap_close(h);
}

/* ---- a whole block into a real shared ring, read back through the reader API --------------- */

#include <unistd.h>

#include "tests/capture/block_util.h"

static uint8_t big[64 * 1024];

static void open_ring(struct sink *s, const char *tag)
{
    char session[64], err[CAP_ERR_MAX];
    snprintf(session, sizeof session, "test-capture-%s-%d", tag, (int)getpid());
    struct cap_opts o = {.size_mib = 4, .session = session};
    cr_assert_eq(sink_open_ring(s, &o, (gid_t)-1, (uid_t)-1, err, sizeof err), 0, "%s", err);
}

Test(block, copied_into_ring_byte_identical)
{
    uint32_t first, used;
    uint32_t n = bu_fill_block(big, sizeof big, 64, 9, &first, &used);
    cr_assert_gt(n, 100);
    struct sink s;
    open_ring(&s, "copy");
    struct cap_copy_cfg cfg = {.direction = CAP_DIR_INOUT};
    uint64_t bad = 0;
    cr_assert(cap_block_copy(big, used, first, n, &cfg, &s, &bad));
    cr_assert_eq(bad, 0);
    cr_assert_eq(s.frames_out, n);
    uint8_t buf[SHM_FRAME_MAX];
    uint32_t off = first;
    for (uint64_t seq = 0; seq < n; seq++) {
        struct shm_record m;
        cr_assert_eq(shm_ring_read(&s.frames.ring, seq, &m, buf, sizeof buf), SHM_READ_OK);
        const struct tpacket3_hdr *h = (const void *)(big + off);
        cr_assert_eq(m.len, 64);
        cr_assert_eq(m.wire_len, 64);
        cr_assert_eq(m.ts_source, SHM_TS_KERNEL);
        cr_assert_eq(m.direction, SHM_DIR_OTHERHOST);
        cr_assert_eq(m.ifindex, 3);
        cr_assert_eq(m.ts_ns, (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec);
        cr_assert_arr_eq(buf, big + off + h->tp_mac, 64, "frame %llu", (unsigned long long)seq);
        off += h->tp_next_offset;
    }
    char err[CAP_ERR_MAX];
    sink_close(&s, true, err, sizeof err);
}

Test(block, lying_record_ends_the_block)
{
    uint32_t first, used;
    uint32_t n = bu_fill_block(big, sizeof big, 64, 1, &first, &used);
    /* Record 5 claims more bytes than the block holds after it. */
    uint32_t off = first;
    for (int i = 0; i < 5; i++) off += ((struct tpacket3_hdr *)(void *)(big + off))->tp_next_offset;
    ((struct tpacket3_hdr *)(void *)(big + off))->tp_snaplen = sizeof big; /* past the end */
    struct sink s;
    open_ring(&s, "lie");
    struct cap_copy_cfg cfg = {.direction = CAP_DIR_INOUT};
    uint64_t bad = 0;
    cap_block_copy(big, used, first, n, &cfg, &s, &bad);
    cr_assert_eq(bad, 1);
    cr_assert_eq(s.frames_out, 5, "the five honest records before it are kept");
    char err[CAP_ERR_MAX];
    sink_close(&s, true, err, sizeof err);
}

Test(block, count_limit_and_direction)
{
    uint32_t first, used;
    uint32_t n = bu_fill_block(big, sizeof big, 64, 2, &first, &used);
    struct sink s;
    open_ring(&s, "limit");
    s.limit = 10;
    struct cap_copy_cfg cfg = {.direction = CAP_DIR_OUT}; /* all records are OTHERHOST */
    uint64_t bad = 0;
    cr_assert(cap_block_copy(big, used, first, n, &cfg, &s, &bad));
    cr_assert_eq(s.frames_out, 0, "-Q out drops incoming frames");
    cfg.direction = CAP_DIR_IN;
    cr_assert_not(cap_block_copy(big, used, first, n, &cfg, &s, &bad), "-c reached");
    cr_assert_eq(s.frames_out, 10);
    char err[CAP_ERR_MAX];
    sink_close(&s, true, err, sizeof err);
}

/*
 * Small plain frames are copied in whole 16-byte units when those stay inside the block; every
 * size up to past the inline limit, with the block allocated to its exact length so a read past
 * its end is caught (ASan build), must still land byte-identical with the right lengths.
 */
Test(block, every_small_size_is_copied_exactly_up_to_the_block_end)
{
    char err[CAP_ERR_MAX];
    uint8_t buf[SHM_FRAME_MAX];
    for (uint32_t size = 1; size <= 200; size++) {
        uint32_t first, used;
        uint32_t n = bu_fill_block(big, sizeof big, size, size, &first, &used);
        uint8_t *blk = malloc(used);
        cr_assert_not_null(blk);
        memcpy(blk, big, used);
        struct sink s;
        open_ring(&s, "sizes");
        struct cap_copy_cfg cfg = {.direction = CAP_DIR_INOUT};
        uint64_t bad = 0;
        cr_assert(cap_block_copy(blk, used, first, n, &cfg, &s, &bad));
        cr_assert_eq(bad, 0);
        cr_assert_eq(s.frames_out, n);
        uint32_t off = first;
        for (uint64_t seq = 0; seq < n; seq++) {
            struct shm_record m;
            cr_assert_eq(shm_ring_read(&s.frames.ring, seq, &m, buf, sizeof buf), SHM_READ_OK);
            const struct tpacket3_hdr *h = (const void *)(blk + off);
            cr_assert_eq(m.len, size);
            cr_assert_eq(m.wire_len, size);
            cr_assert_eq(m.flags, 0);
            cr_assert_arr_eq(buf, blk + off + h->tp_mac, size, "size %u frame %llu", size,
                             (unsigned long long)seq);
            off += h->tp_next_offset;
        }
        sink_close(&s, true, err, sizeof err);
        free(blk);
    }
}

/*
 * Many blocks through a small ring (2 MiB segment), in phases of 64-byte frames (descriptors run
 * out first: every record evicts one) and of 1400-byte frames (the data area runs out first: one
 * record evicts several), each phase long enough to lap the ring, so the writer's tail and
 * positions go through both of eviction's paths and many laps, carried from block to block by its
 * cursor. After every block: every record from the oldest the ring reports to the newest reads back
 * intact with the bytes of the frame it was made from (bu_fill_block's bytes are a function of
 * block and index), and the oldest is no further back than the descriptors allow and no further
 * ahead than the data area forces.
 */
Test(block, ring_laps_keep_every_reported_record_intact)
{
    enum { BLOCKS = 150 };
    char err[CAP_ERR_MAX], session[64];
    static uint8_t buf[SHM_FRAME_MAX], want[SHM_FRAME_MAX];
    snprintf(session, sizeof session, "test-capture-laps-%d", (int)getpid());
    struct cap_opts o = {.size_mib = 2, .session = session};
    struct sink s;
    cr_assert_eq(sink_open_ring(&s, &o, (gid_t)-1, (uid_t)-1, err, sizeof err), 0, "%s", err);
    const struct shm_ring *r = &s.frames.ring;
    struct cap_copy_cfg cfg = {.direction = CAP_DIR_INOUT};
    /* Which block (= fill seed) and index within it each sequence number came from. */
    uint32_t *from_block = malloc(BLOCKS * sizeof big / 64 * sizeof *from_block);
    uint32_t *from_index = malloc(BLOCKS * sizeof big / 64 * sizeof *from_index);
    uint32_t *from_size = malloc(BLOCKS * sizeof big / 64 * sizeof *from_size);
    cr_assert(from_block && from_index && from_size);
    uint64_t bad = 0, total = 0, laps = 0;
    for (uint32_t b = 0; b < BLOCKS; b++) {
        uint32_t size = b % 50 < 10 ? 64 : 1400, first, used;
        uint32_t n = bu_fill_block(big, sizeof big, size, b, &first, &used);
        cr_assert(cap_block_copy(big, used, first, n, &cfg, &s, &bad));
        cr_assert_eq(bad, 0);
        for (uint32_t k = 0; k < n; k++) {
            from_block[total + k] = b;
            from_index[total + k] = k;
            from_size[total + k] = size;
        }
        total += n;
        cr_assert_eq(shm_ring_write_seq(r), total);
        uint64_t oldest = shm_ring_oldest(r);
        cr_assert_leq(total - oldest, r->desc_mask + 1, "more records than descriptors");
        /* At least what the tighter of the two limits leaves for this block's size. */
        uint64_t fit = r->data_size / ((size + 15u) & ~15u) - 1;
        if (fit > r->desc_mask) fit = r->desc_mask;
        cr_assert_geq(total - oldest, fit < n ? fit : n, "block %u: tail too far ahead", b);
        if (oldest > 0) laps++;
        for (uint64_t seq = oldest; seq < total; seq++) {
            struct shm_record m;
            cr_assert_eq(shm_ring_read(r, seq, &m, buf, sizeof buf), SHM_READ_OK,
                         "block %u: record %llu of [%llu, %llu) not intact", b,
                         (unsigned long long)seq, (unsigned long long)oldest,
                         (unsigned long long)total);
            cr_assert_eq(m.len, from_size[seq]);
            for (uint32_t i = 0; i < m.len; i++)
                want[i] = (uint8_t)(from_block[seq] * 131u + from_index[seq] * 31u + i);
            cr_assert(memcmp(buf, want, m.len) == 0, "block %u: record %llu has other bytes", b,
                      (unsigned long long)seq);
        }
    }
    cr_assert_gt(laps, BLOCKS / 2, "the ring was meant to lap");
    free(from_block);
    free(from_index);
    free(from_size);
    sink_close(&s, true, err, sizeof err);
}
