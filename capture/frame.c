/*
 * frame.c — turning one TPACKET_V3 record back into the bytes that were on the wire.
 *
 * The kernel hands us frames with the outer VLAN tag moved into tp_vlan_tci/tp_vlan_tpid and, on
 * a cooked (-i any) socket, without any link-layer header at all. packrat's rule is that the ring
 * holds what was on the wire, so this file re-inserts the tag and, for cooked sockets, builds the
 * Linux SLL header the way libpcap does (DLT_LINUX_SLL, tag re-inserted after the SLL header).
 *
 * Nothing here trusts the kernel's offsets: tframe_check() checks every one against the
 * block before anything is read from it.
 */
#define _GNU_SOURCE
#include "capture.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>

#define SLL_HDR_LEN 16u
#define VLAN_LEN    4u
#define MAC_ADDRS   12u /* destination + source MAC: the tag goes right after them */

#define SLL_OFF TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) /* the sockaddr_ll behind the header */

/* The offsets of one record, validated against its block by tframe_check(). */
struct tframe_pos {
    uint32_t mac;  /* frame bytes at record + mac ... */
    uint32_t snap; /* ... snap of them, inside the block */
    uint32_t next; /* offset of the next record in the block, 0 if none */
};

/*
 * Checks the kernel's offsets of the record at off against the block and returns its header, or
 * NULL when they do not fit. Only the values in *p may be used to locate bytes afterwards.
 * Inline in the block loops, so the frame's fields are read where needed and stay in registers.
 */
static inline const struct tpacket3_hdr *tframe_check(const uint8_t *blk, uint32_t blk_len,
                                                      uint32_t off, struct tframe_pos *p)
{
    const uint32_t hdr_len = sizeof(struct tpacket3_hdr);
    /* The kernel places V3 records 8-byte aligned (V3_ALIGNMENT); an unaligned offset is a lie,
     * and refusing it lets us read the header in place (no copy on the hot path). */
    if (off % 8 || off > blk_len || blk_len - off < SLL_OFF + sizeof(struct sockaddr_ll))
        return NULL;
    const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)(const void *)(blk + off);
    uint32_t room = blk_len - off;
    uint32_t mac = h->tp_mac, snap = h->tp_snaplen, nxt = h->tp_next_offset;
    /* The frame bytes must follow the sockaddr_ll and lie inside the block. */
    if (mac < SLL_OFF + sizeof(struct sockaddr_ll) || mac > room || snap > room - mac) return NULL;
    if (nxt != 0 && (nxt < hdr_len || nxt >= room || nxt % 8)) return NULL;
    p->mac = mac;
    p->snap = snap;
    p->next = nxt ? off + nxt : 0;
    return h;
}

static inline const struct sockaddr_ll *tframe_sll(const struct tpacket3_hdr *h)
{
    return (const struct sockaddr_ll *)(const void *)((const uint8_t *)h + SLL_OFF);
}

static inline uint64_t tframe_ts_ns(const struct tpacket3_hdr *h)
{
    return (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec;
}

/* Fills f from a record tframe_check() accepted. */
static inline void tframe_fill(const struct tpacket3_hdr *h, const struct tframe_pos *p,
                               struct cap_tframe *f)
{
    const struct sockaddr_ll *sll = tframe_sll(h);
    uint32_t status = h->tp_status, len = h->tp_len;
    f->data = (const uint8_t *)h + p->mac;
    f->snaplen = p->snap;
    f->len = len < p->snap ? p->snap : len;
    f->status = status;
    f->ts_ns = tframe_ts_ns(h);
    f->vlan_valid = (status & TP_STATUS_VLAN_VALID) != 0;
    f->vlan_tci = (uint16_t)h->hv1.tp_vlan_tci;
    f->vlan_tpid = (status & TP_STATUS_VLAN_TPID_VALID) ? (uint16_t)h->hv1.tp_vlan_tpid
                                                        : (uint16_t)ETH_P_8021Q;
    f->pkttype = sll->sll_pkttype;
    f->hatype = sll->sll_hatype;
    f->protocol = sll->sll_protocol;
    f->halen = sll->sll_halen > 8 ? 8 : sll->sll_halen;
    f->ifindex = sll->sll_ifindex;
    f->sll_addr = sll->sll_addr;
}

static inline int tframe_parse(const uint8_t *blk, uint32_t blk_len, uint32_t off,
                               struct cap_tframe *f, uint32_t *next)
{
    struct tframe_pos p;
    const struct tpacket3_hdr *h = tframe_check(blk, blk_len, off, &p);
    if (!h) return -1;
    tframe_fill(h, &p, f);
    *next = p.next;
    return 0;
}

int cap_tframe_parse(const uint8_t *blk, uint32_t blk_len, uint32_t off, struct cap_tframe *f,
                     uint32_t *next)
{
    return tframe_parse(blk, blk_len, off, f, next);
}

void cap_frame_lengths(const struct cap_tframe *f, bool cooked, uint32_t snaplen, uint32_t *caplen,
                       uint32_t *wire_len)
{
    uint32_t extra = (cooked ? SLL_HDR_LEN : 0) + (f->vlan_valid ? VLAN_LEN : 0);
    uint32_t have = f->snaplen + extra;
    uint32_t wire = f->len + extra;
    /* A tag cannot go inside a frame too short to hold the MAC addresses: such a frame (only
     * possible with a tiny -s) keeps its bytes and is marked truncated. */
    if (f->vlan_valid && !cooked && f->snaplen < MAC_ADDRS) have -= VLAN_LEN;
    if (snaplen && have > snaplen) have = snaplen;
    if (have > SHM_FRAME_MAX) have = SHM_FRAME_MAX;
    *caplen = have;
    *wire_len = wire;
}

/* Copies the source bytes [from, from+n) of the logical frame `parts` into dst, clipped at cap. */
static uint32_t put(uint8_t *dst, uint32_t at, uint32_t cap, const void *src, uint32_t n)
{
    if (at >= cap) return at;
    if (n > cap - at) n = cap - at;
    memcpy(dst + at, src, n);
    return at + n;
}

uint16_t cap_frame_build(uint8_t *dst, uint32_t caplen, const struct cap_tframe *f, bool cooked)
{
    uint16_t flags = 0;
    uint32_t at = 0;
    uint8_t tag[VLAN_LEN];
    if (f->vlan_valid) {
        uint16_t tpid = htons(f->vlan_tpid), tci = htons(f->vlan_tci);
        memcpy(tag, &tpid, 2);
        memcpy(tag + 2, &tci, 2);
    }
    if (cooked) {
        uint8_t sll[SLL_HDR_LEN];
        uint16_t v = htons(f->pkttype);
        memcpy(sll, &v, 2);
        v = htons(f->hatype);
        memcpy(sll + 2, &v, 2);
        v = htons(f->halen);
        memcpy(sll + 4, &v, 2);
        memset(sll + 6, 0, 8);
        memcpy(sll + 6, f->sll_addr, f->halen);
        /* As libpcap: with a tag the protocol field holds the TPID, then the TCI, then the
         * original protocol, so the frame reads like an 802.1Q payload after the SLL header. */
        if (f->vlan_valid) {
            memcpy(sll + 14, tag, 2);
            at = put(dst, at, caplen, sll, SLL_HDR_LEN);
            at = put(dst, at, caplen, tag + 2, 2);
            at = put(dst, at, caplen, &f->protocol, 2);
            flags |= SHM_FRAME_VLAN_REINSERTED;
        } else {
            memcpy(sll + 14, &f->protocol, 2);
            at = put(dst, at, caplen, sll, SLL_HDR_LEN);
        }
        at = put(dst, at, caplen, f->data, f->snaplen);
    } else if (f->vlan_valid && f->snaplen >= MAC_ADDRS) {
        at = put(dst, at, caplen, f->data, MAC_ADDRS);
        at = put(dst, at, caplen, tag, VLAN_LEN);
        at = put(dst, at, caplen, f->data + MAC_ADDRS, f->snaplen - MAC_ADDRS);
        flags |= SHM_FRAME_VLAN_REINSERTED;
    } else {
        at = put(dst, at, caplen, f->data, f->snaplen);
    }
    return flags;
}

/* A frame whose checksum the kernel left to the NIC (offload: what this host sends, loopback)
 * carries a partial one; the analyzer must not call it bad. */
static inline uint16_t status_flags(uint32_t status)
{
    return (status & TP_STATUS_CSUMNOTREADY) ? SHM_FRAME_CSUM_UNREADY : 0;
}

static inline uint8_t ts_source_of(uint32_t status)
{
    if (status & TP_STATUS_TS_RAW_HARDWARE) return SHM_TS_HARDWARE;
    if (status & TP_STATUS_TS_SOFTWARE) return SHM_TS_KERNEL;
    return SHM_TS_RING;
}

#define PREFETCH_AHEAD 2048u /* bytes of the kernel block kept on their way ahead of us */
#define RING_AHEAD     16u   /* ring descriptors prefetched ahead of the one being filled */
#define SMALL_FRAME    128u  /* frames up to this size are copied inline, 16 bytes at a time */
#define FLUSH_EVERY    1024u /* records between publications of write_seq within a block */

/*
 * The common frame — no tag to re-insert, not cooked, within the snap length — is the kernel's
 * bytes unchanged. Small ones are copied as whole 16-byte units, which the compiler turns into a
 * few vector moves instead of a call into memcpy with its size dispatch. The copy may read up to
 * 15 bytes past the frame, so the caller only takes this path when those bytes are still inside
 * the block (avail), and may write as many past caplen, which stay inside the record's slot
 * (records are 16-byte aligned and sized, and readers copy out only len bytes).
 */
static inline void copy_plain(uint8_t *dst, const uint8_t *src, uint32_t caplen, uint32_t avail)
{
    uint32_t n = (caplen + 15u) & ~15u;
    if (caplen <= SMALL_FRAME && n <= avail) {
        for (uint32_t i = 0; i < n; i += 16) memcpy(dst + i, src + i, 16);
        return;
    }
#if defined(__x86_64__)
    /* Larger frames go to ring lines last written a lap ago, long out of cache. A string move
     * writes whole lines without reading them first where the CPU supports it (ERMS), which
     * memcpy only uses from about 2 KiB: 1500-byte frames measured ~7 % less CPU in capture
     * (scripts/bench-capture) and in bench_capture_copy. Ordering against the seqlock stores
     * around it is as for any store: a string operation's stores may reorder among themselves,
     * not with the stores before and after it. */
    size_t c = caplen;
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(c) : : "memory");
#else
    memcpy(dst, src, caplen);
#endif
}

/* Any sink: the general path, one frame at a time through sink_reserve()/sink_commit(). */
static bool block_copy_generic(const uint8_t *blk, uint32_t blk_len, uint32_t off, uint32_t num,
                               const struct cap_copy_cfg *cfg, struct sink *s,
                               uint64_t *bad_records)
{
    for (uint32_t i = 0; i < num && off; i++) {
        struct cap_tframe f;
        uint32_t next;
        if (tframe_parse(blk, blk_len, off, &f, &next) != 0) {
            (*bad_records)++; /* the rest of the block cannot be located safely */
            break;
        }
        off = next;
        if (cfg->direction == CAP_DIR_OUT && f.pkttype != PACKET_OUTGOING) continue;
        if (cfg->direction == CAP_DIR_IN && f.pkttype == PACKET_OUTGOING) continue;
        uint32_t caplen, wire;
        cap_frame_lengths(&f, cfg->cooked, cfg->snaplen, &caplen, &wire);
        uint8_t *dst = sink_reserve(s, caplen);
        if (!dst) continue;
        struct shm_record m = {
            .ts_ns = f.ts_ns,
            .len = caplen,
            .wire_len = wire,
            .ifindex = (uint32_t)f.ifindex,
            .ts_source = ts_source_of(f.status),
            .direction = f.pkttype <= PACKET_OUTGOING ? f.pkttype : SHM_DIR_UNKNOWN,
        };
        m.flags = cap_frame_build(dst, caplen, &f, cfg->cooked) | status_flags(f.status);
        if (caplen < wire) m.flags |= SHM_FRAME_TRUNCATED;
        sink_commit(s, &m);
        if (sink_full(s)) return false;
    }
    return true;
}

/*
 * The shared ring: the hot path of capture. Per frame it does only what the frame needs —
 * validate the kernel's offsets, copy, fill the descriptor and flip its seqlock (ring_write.h).
 * What readers need only per batch is done once per block: publishing write_seq and the head
 * (shm_ring_cursor_flush), and the sink's counters, which stay in locals meanwhile (stores through
 * the frame pointer could alias them, so the compiler would otherwise reload them every frame).
 */
bool cap_block_copy(const uint8_t *blk, uint32_t blk_len, uint32_t off, uint32_t num,
                    const struct cap_copy_cfg *cfg, struct sink *s, uint64_t *bad_records)
{
    if (!s->to_ring) return block_copy_generic(blk, blk_len, off, num, cfg, s, bad_records);
    if (sink_full(s)) return false;
    struct shm_ring *r = &s->frames.ring;
    const uint32_t plain_max =
        cfg->snaplen && cfg->snaplen < SHM_FRAME_MAX ? cfg->snaplen : SHM_FRAME_MAX;
    const bool cooked = cfg->cooked;
    const enum cap_direction dir = cfg->direction;
    const uint64_t room = s->limit ? s->limit - s->frames_out : UINT64_MAX;
    uint64_t frames = 0, bytes = 0, truncated = 0;
    uint32_t ts_last = s->ts_source_last;
    struct shm_ring_cursor c = shm_ring_cursor_begin(r);
    const uint64_t flush_mask =
        r->desc_mask >> 2 < FLUSH_EVERY - 1 ? r->desc_mask >> 2 : FLUSH_EVERY - 1;
    uint32_t pf = off & ~63u;
    bool more = true;
    for (uint32_t i = 0; i < num && off; i++) {
        struct tframe_pos p;
        const struct tpacket3_hdr *h = tframe_check(blk, blk_len, off, &p);
        if (!h) {
            (*bad_records)++; /* the rest of the block cannot be located safely */
            break;
        }
        off = p.next;
        /* The kernel wrote the block on another CPU and records follow each other in it: keep
         * the lines about PREFETCH_AHEAD bytes ahead on their way while this frame is copied. */
        uint32_t pf_end = off + PREFETCH_AHEAD < blk_len ? off + PREFETCH_AHEAD : blk_len;
        for (; pf < pf_end; pf += 64) __builtin_prefetch(blk + pf);
        const struct sockaddr_ll *sll = tframe_sll(h);
        uint8_t pkttype = sll->sll_pkttype;
        if (dir == CAP_DIR_OUT && pkttype != PACKET_OUTGOING) continue;
        if (dir == CAP_DIR_IN && pkttype == PACKET_OUTGOING) continue;
        /* The ring slots we are about to fill were last written a lap ago: long out of cache.
         * Data lines PREFETCH_AHEAD bytes on, as many as this frame will take: one line per
         * frame left a 1500-byte frame's other 23 to miss during the copy. */
        __builtin_prefetch(&c.desc[(c.w.seq + RING_AHEAD) & c.desc_mask], 1);
        shm_ring_prefetch_data(c.data, c.data_size, c.w.off, p.snap, PREFETCH_AHEAD);
        /* Only the fields the frame needs are read; the full cap_tframe (which lives in memory,
         * since cap_frame_build takes its address) is built for frames that need reshaping. */
        uint32_t status = h->tp_status;
        uint32_t caplen, wire;
        uint16_t flags;
        struct shm_ring_slot sl;
        if (!cooked && !(status & TP_STATUS_VLAN_VALID) && p.snap <= plain_max) {
            uint32_t len = h->tp_len;
            caplen = p.snap;
            wire = len < caplen ? caplen : len;
            if (!(sl = shm_ring_cursor_put(&c, caplen)).dst) continue;
            const uint8_t *src = (const uint8_t *)h + p.mac;
            copy_plain(sl.dst, src, caplen, blk_len - (uint32_t)(src - blk));
            flags = 0;
        } else {
            struct cap_tframe f;
            tframe_fill(h, &p, &f);
            cap_frame_lengths(&f, cooked, cfg->snaplen, &caplen, &wire);
            if (!(sl = shm_ring_cursor_put(&c, caplen)).dst) continue;
            flags = cap_frame_build(sl.dst, caplen, &f, cooked);
        }
        if (caplen < wire) {
            flags |= SHM_FRAME_TRUNCATED;
            truncated++;
        }
        struct shm_record m = {
            .ts_ns = tframe_ts_ns(h),
            .len = caplen,
            .wire_len = wire,
            .ifindex = (uint32_t)sll->sll_ifindex,
            .ts_source = ts_source_of(status),
            .direction = pkttype <= PACKET_OUTGOING ? pkttype : SHM_DIR_UNKNOWN,
            .flags = flags | status_flags(status),
        };
        shm_ring_cursor_done(&c, &sl, &m);
        /* Publish now and then within a block too: a block can hold more frames than a small
         * ring has descriptors, and readers should not wait for a whole block. */
        if (!(c.w.seq & flush_mask)) shm_ring_cursor_flush(&c);
        ts_last = m.ts_source;
        bytes += wire;
        if (++frames == room) {
            more = false;
            break;
        }
    }
    shm_ring_cursor_flush(&c);
    shm_ring_cursor_end(&c);
    s->next_seq = c.w.seq;
    s->frames_out += frames;
    s->bytes += bytes;
    s->truncated += truncated;
    s->ts_source_last = ts_last;
    return more;
}
