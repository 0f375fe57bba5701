/*
 * dissect_eth.c — Ethernet II, IEEE 802.3 with LLC (and SNAP), and 802.1Q / 802.1ad / QinQ tag
 * stacks.
 *
 * The type/length field decides: values <= 1500 are an 802.3 length (the window is narrowed to
 * it, so trailing padding or a lying length cannot leak into LLC), values >= 0x0600 an ethertype.
 * VLAN tags are their own layers so that a stack shows one layer per tag, outermost first; the
 * stack is capped (vlan.too_many_tags) on top of the global 16-layer cap.
 */
#include "dissect_int.h"

#define VLAN_MAX_TAGS 8

void dissect_eth(struct dissection *d, struct cursor c)
{
    if (!d_push(d, DP_ETH, &c)) return;
    struct cursor h;
    if (!cur_split(&c, 14, &h)) {
        d_short(d, &c, DE_ETH_TRUNCATED, DE_ETH_TRUNCATED);
        return;
    }
    /* h holds the whole header: read it in place (hdr_be16()). */
    const uint8_t *dst = h.p, *src = h.p + 6, *tp = h.p + 12;
    uint16_t type = hdr_be16(h.p, 12);
    d_layer_end(d, h.end);
    d_bytes(d, FLD_ETH_DST, dst, 6);
    d_bytes(d, FLD_ETH_SRC, src, 6);
    if (d_outer(d)) {
        d->m.has_eth = true;
        memcpy(d->m.eth_dst, dst, 6);
        memcpy(d->m.eth_src, src, 6);
    }
    if (type <= 1500) {
        d_u(d, FLD_ETH_LEN, tp, 2, type);
        if (type > cur_left(&c)) {
            /* More claimed than is there: a cut capture, or a length that lies. */
            if (c.end < d->cap_end || d->m.caplen >= d->m.wirelen)
                d_event(d, DE_ETH_BAD_LENGTH, tp);
        }
        cur_limit(&c, type);
        dissect_llc(d, c);
        return;
    }
    d_u(d, FLD_ETH_TYPE, tp, 2, type);
    if (type < 0x0600) return; /* neither a length nor an ethertype */
    dissect_ethertype(d, type, c);
}

void dissect_llc(struct dissection *d, struct cursor c)
{
    if (!d_push(d, DP_LLC, &c)) return;
    const uint8_t *start = c.p;
    uint8_t dsap, ssap, ctl;
    if (!cur_be8(&c, &dsap) || !cur_be8(&c, &ssap) || !cur_be8(&c, &ctl)) {
        d_short(d, &c, DE_LLC_TRUNCATED, DE_LLC_TRUNCATED);
        return;
    }
    d_u(d, FLD_LLC_DSAP, start, 1, dsap);
    d_u(d, FLD_LLC_SSAP, start + 1, 1, ssap);
    d_u(d, FLD_LLC_CONTROL, start + 2, 1, ctl);
    if ((ctl & 3) != 3) {
        /* I and S frames carry a second control byte. */
        if (!cur_skip(&c, 1)) {
            d_short(d, &c, DE_LLC_TRUNCATED, DE_LLC_TRUNCATED);
            return;
        }
    }
    if (dsap == 0xaa && ssap == 0xaa && ctl == 0x03) {
        const uint8_t *at = c.p;
        uint32_t oui;
        uint16_t pid;
        if (!cur_be24(&c, &oui) || !cur_be16(&c, &pid)) {
            d_short(d, &c, DE_LLC_TRUNCATED, DE_LLC_TRUNCATED);
            d_layer_end(d, c.p);
            return;
        }
        d_u(d, FLD_LLC_OUI, at, 3, oui);
        d_u(d, FLD_LLC_PID, at + 3, 2, pid);
        d_layer_end(d, c.p);
        if (oui == 0) dissect_ethertype(d, pid, c);
        return;
    }
    d_layer_end(d, c.p);
}

void dissect_vlan(struct dissection *d, uint16_t tpid, struct cursor c)
{
    if (d->m.nvlan >= VLAN_MAX_TAGS) {
        d_event(d, DE_VLAN_TOO_MANY, c.p);
        return;
    }
    if (!d_push(d, DP_VLAN, &c)) return;
    const uint8_t *at = c.p;
    uint16_t tci, type;
    if (!cur_be16(&c, &tci) || !cur_be16(&c, &type)) {
        d_short(d, &c, DE_VLAN_TRUNCATED, DE_VLAN_TRUNCATED);
        return;
    }
    d_layer_end(d, c.p);
    d_u(d, FLD_VLAN_TPID, at - 2, 2, tpid);
    d_u(d, FLD_VLAN_PRIORITY, at, 2, tci >> 13);
    d_u(d, FLD_VLAN_DEI, at, 2, (tci >> 12) & 1);
    d_u(d, FLD_VLAN_ID, at, 2, tci & 0x0fff);
    d_u(d, FLD_VLAN_ETYPE, at + 2, 2, type);
    if (d->m.nvlan < DISSECT_MAX_VLANS) d->m.vlan[d->m.nvlan] = tci & 0x0fff;
    d->m.nvlan++;
    dissect_ethertype(d, type, c);
}
