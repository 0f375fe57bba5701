/*
 * block_util.h — builds TPACKET_V3 blocks the way the kernel lays them out (records 8-byte
 * aligned, tpacket3_hdr + sockaddr_ll, frame at tp_mac), for the capture unit test and the
 * user-space copy benchmark.
 */
#ifndef PACKRAT_TESTS_BLOCK_UTIL_H
#define PACKRAT_TESTS_BLOCK_UTIL_H

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <stdint.h>
#include <string.h>

#define BU_ALIGN8(x) (((x) + 7u) & ~7u)

/* Fills blk (blk_size bytes) with frames of frame_len bytes until full; frame i's bytes are a
 * function of (seed, i). Returns the number of records; *first is the first record's offset. */
static inline uint32_t bu_fill_block(uint8_t *blk, uint32_t blk_size, uint32_t frame_len,
                                     uint32_t seed, uint32_t *first, uint32_t *used)
{
    const uint32_t hdrlen = TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) + sizeof(struct sockaddr_ll);
    const uint32_t netoff = TPACKET_ALIGN(hdrlen + 16u), macoff = netoff - 14u;
    uint32_t off = BU_ALIGN8((uint32_t)sizeof(struct tpacket_block_desc)), n = 0, prev = 0;
    memset(blk, 0, blk_size);
    *first = off;
    while (off + BU_ALIGN8(macoff + frame_len) <= blk_size) {
        struct tpacket3_hdr *h = (struct tpacket3_hdr *)(void *)(blk + off);
        h->tp_sec = 1700000000u + n;
        h->tp_nsec = n * 7u;
        h->tp_snaplen = h->tp_len = frame_len;
        h->tp_mac = (uint16_t)macoff;
        h->tp_net = (uint16_t)netoff;
        h->tp_status = TP_STATUS_TS_SOFTWARE;
        struct sockaddr_ll *sll =
            (struct sockaddr_ll *)(void *)(blk + off + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
        sll->sll_family = AF_PACKET;
        sll->sll_ifindex = 3;
        sll->sll_pkttype = PACKET_OTHERHOST;
        uint8_t *d = blk + off + macoff;
        for (uint32_t i = 0; i < frame_len; i++) d[i] = (uint8_t)(seed * 131u + n * 31u + i);
        if (n) ((struct tpacket3_hdr *)(void *)(blk + prev))->tp_next_offset = off - prev;
        prev = off;
        off += BU_ALIGN8(macoff + frame_len);
        n++;
    }
    *used = off;
    return n;
}

#endif
