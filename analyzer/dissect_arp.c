/*
 * dissect_arp.c — ARP (RFC 826). The fixed 8-byte header declares the address sizes; the
 * variable part is read with those sizes, but only Ethernet/IPv4 addresses (6/4) are kept as
 * fields and meta, which is what every ARP packet on a LAN is. Other sizes are decoded only as
 * far as the header.
 */
#include "dissect_int.h"

void dissect_arp(struct dissection *d, struct cursor c)
{
    if (!d_push(d, DP_ARP, &c)) return;
    const uint8_t *at = c.p;
    uint16_t hrd, pro, op;
    uint8_t hln, pln;
    if (!cur_be16(&c, &hrd) || !cur_be16(&c, &pro) || !cur_be8(&c, &hln) || !cur_be8(&c, &pln) ||
        !cur_be16(&c, &op)) {
        d_short(d, &c, DE_ARP_TRUNCATED, DE_ARP_TRUNCATED);
        return;
    }
    d_u(d, FLD_ARP_HW_TYPE, at, 2, hrd);
    d_u(d, FLD_ARP_PROTO_TYPE, at + 2, 2, pro);
    d_u(d, FLD_ARP_HW_SIZE, at + 4, 1, hln);
    d_u(d, FLD_ARP_PROTO_SIZE, at + 5, 1, pln);
    d_u(d, FLD_ARP_OPCODE, at + 6, 2, op);
    if (d_outer(d)) {
        d->m.has_arp = true;
        d->m.arp_op = op;
    }
    size_t need = 2u * hln + 2u * pln;
    const uint8_t *v = cur_pull(&c, need);
    if (!v) {
        d_short(d, &c, DE_ARP_TRUNCATED, DE_ARP_TRUNCATED);
        d_layer_end(d, c.p);
        return;
    }
    d_layer_end(d, c.p);
    if (hln != 6 || pln != 4) {
        if (hrd == 1 && pro == 0x0800) d_event(d, DE_ARP_BAD_SIZES, at + 4);
        d->m.has_arp = false; /* nothing the summary could print */
        return;
    }
    d_bytes(d, FLD_ARP_SRC_HW, v, 6);
    d_bytes(d, FLD_ARP_SRC_IP, v + 6, 4);
    d_bytes(d, FLD_ARP_DST_HW, v + 10, 6);
    d_bytes(d, FLD_ARP_DST_IP, v + 16, 4);
    if (d_outer(d)) {
        memcpy(d->m.arp_sha, v, 6);
        memcpy(d->m.arp_spa, v + 6, 4);
        memcpy(d->m.arp_tha, v + 10, 6);
        memcpy(d->m.arp_tpa, v + 16, 4);
    }
}
