/*
 * dissect_sll.c — Linux "cooked" capture headers: LINUX_SLL (16 bytes, what `tcpdump -i any`
 * wrote before libpcap 1.10) and LINUX_SLL2 (20 bytes, adds the interface index).
 *
 * The protocol field is an ethertype for most ARPHRD types; for a few special values
 * (1 = 802.3 frames without LLC, 4 = 802.2 LLC) the payload is LLC and is handed over as such.
 */
#include "dissect_int.h"

static void sll_payload(struct dissection *d, uint16_t proto, struct cursor c)
{
    if (proto == 4) {
        dissect_llc(d, c);
        return;
    }
    if (proto < 0x0600) return; /* Novell 802.3, CAN, ...: not decoded */
    dissect_ethertype(d, proto, c);
}

static void sll_addr(struct dissection *d, const uint8_t *addr, uint16_t halen)
{
    if (halen != 6) return;
    d_bytes(d, FLD_SLL_SRC_ETH, addr, 6);
    if (d_outer(d)) {
        /* Only the source is known; the summary falls back to it for non-IP frames. */
        d->m.has_eth = true;
        memcpy(d->m.eth_src, addr, 6);
    }
}

void dissect_sll(struct dissection *d, struct cursor c)
{
    if (!d_push(d, DP_SLL, &c)) return;
    struct cursor h;
    if (!cur_split(&c, 16, &h)) {
        d_short(d, &c, DE_SLL_TRUNCATED, DE_SLL_TRUNCATED);
        return;
    }
    const uint8_t *at = h.p;
    uint16_t pkttype = 0, hatype = 0, halen = 0, proto = 0;
    cur_be16(&h, &pkttype);
    cur_be16(&h, &hatype);
    cur_be16(&h, &halen);
    const uint8_t *addr = cur_pull(&h, 8);
    cur_be16(&h, &proto);
    d_layer_end(d, h.p);
    d_u(d, FLD_SLL_PKTTYPE, at, 2, pkttype);
    d_u(d, FLD_SLL_HATYPE, at + 2, 2, hatype);
    d_u(d, FLD_SLL_HALEN, at + 4, 2, halen);
    sll_addr(d, addr, halen);
    d_u(d, FLD_SLL_ETYPE, at + 14, 2, proto);
    sll_payload(d, proto, c);
}

void dissect_sll2(struct dissection *d, struct cursor c)
{
    if (!d_push(d, DP_SLL, &c)) return;
    struct cursor h;
    if (!cur_split(&c, 20, &h)) {
        d_short(d, &c, DE_SLL_TRUNCATED, DE_SLL_TRUNCATED);
        return;
    }
    const uint8_t *at = h.p;
    uint16_t proto = 0, hatype = 0;
    uint32_t ifindex = 0;
    uint8_t pkttype = 0, halen = 0;
    cur_be16(&h, &proto);
    cur_skip(&h, 2); /* reserved */
    cur_be32(&h, &ifindex);
    cur_be16(&h, &hatype);
    cur_be8(&h, &pkttype);
    cur_be8(&h, &halen);
    const uint8_t *addr = cur_pull(&h, 8);
    d_layer_end(d, h.p);
    d_u(d, FLD_SLL_ETYPE, at, 2, proto);
    d_u(d, FLD_SLL_IFINDEX, at + 4, 4, ifindex);
    d_u(d, FLD_SLL_HATYPE, at + 8, 2, hatype);
    d_u(d, FLD_SLL_PKTTYPE, at + 10, 1, pkttype);
    d_u(d, FLD_SLL_HALEN, at + 11, 1, halen);
    sll_addr(d, addr, halen);
    sll_payload(d, proto, c);
}
