/*
 * dissect_udp.c — UDP (RFC 768): ports, length, checksum, then DNS (53), mDNS (5353) or
 * DHCP (67/68) by port.
 *
 * The UDP length must cover the header and fit in what IP declared (udp.bad_length otherwise);
 * the window is narrowed to it before the payload is handed on. The checksum is verified when
 * the whole datagram was captured and it is not zero (zero means "none" over IPv4).
 */
#include "dissect_int.h"

void dissect_udp(struct dissection *d, struct cursor c, const struct ip_ctx *ip)
{
    if (!d_push(d, DP_UDP, &c)) return;
    struct cursor all = c;
    const uint8_t *at = c.p;
    uint16_t sport = 0, dport = 0, ulen = 0, csum = 0;
    /* The whole header present (nearly every frame): read it in place (hdr_be16()). The
     * field-by-field reads below are for the short case, where the point they stop at matters. */
    const uint8_t *uh = cur_pull(&c, 8);
    bool ports = uh != NULL;
    if (uh)
        sport = hdr_be16(uh, 0), dport = hdr_be16(uh, 2), ulen = hdr_be16(uh, 4),
        csum = hdr_be16(uh, 6);
    else
        ports = cur_be16(&c, &sport) && cur_be16(&c, &dport);
    if (ports) {
        if (!uh) { /* a whole header records its ports with the rest, below */
            d_u(d, FLD_UDP_SRCPORT, at, 2, sport);
            d_u(d, FLD_UDP_DSTPORT, at + 2, 2, dport);
        }
        if (d_outer(d)) {
            d->m.has_ports = true;
            d->m.sport = sport;
            d->m.dport = dport;
            d->m.l4_offset = d_off(d, at);
        }
    }
    if (!uh && (!ports || !cur_be16(&c, &ulen) || !cur_be16(&c, &csum))) {
        if (!d->inner) d_short(d, &c, DE_UDP_TRUNCATED, DE_UDP_SHORT);
        return;
    }
    /* Here the whole header was present (uh): a shorter one returned above. */
    static const struct d_fixed_field fixed[] = {
        {FLD_UDP_SRCPORT, 0, 2},
        {FLD_UDP_DSTPORT, 2, 2},
        {FLD_UDP_LENGTH, 4, 2},
        {FLD_UDP_CHECKSUM, 6, 2},
    };
    const uint32_t values[] = {sport, dport, ulen, csum};
    d_fixed(d, at, fixed, values, sizeof fixed / sizeof fixed[0], 0);
    d_layer_end(d, c.p);
    if (d->inner) return; /* a quoted datagram: the ports are what matters */
    /* A first fragment carries only part of the datagram the UDP length describes. */
    if (ulen < 8 || (ulen > ip->l4_len && !ip->fragment)) {
        d_event(d, DE_UDP_BAD_LENGTH, at + 4);
        return;
    }
    cur_limit(&c, ulen - 8u);
    if (d_outer(d)) {
        d->m.payload_offset = d_off(d, c.p);
        d->m.payload_len = ulen - 8u;
        d->m.payload_caplen = (uint32_t)cur_left(&c);
    }
    if (csum != 0 && ip->complete && !ip->fragment && cur_left(&all) >= ulen && d_checksums(d)) {
        bool ok = d_csum_l4(ip, 17, ulen, all.p, ulen) == 0;
        d_u(d, FLD_UDP_CHECKSUM_STATUS, at + 6, 2, ok);
        if (!ok) d_event(d, DE_UDP_BAD_CHECKSUM, at + 6);
    }
    if (ulen == 8) return; /* an empty payload captured short still reaches DNS/DHCP: truncated */
    if (sport == 53 || dport == 53)
        dissect_dns(d, c, false, false);
    else if (sport == 5353 || dport == 5353)
        dissect_dns(d, c, false, true);
    else if (sport == 67 || dport == 67 || sport == 68 || dport == 68)
        dissect_dhcp(d, c);
}
