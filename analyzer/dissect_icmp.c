/*
 * dissect_icmp.c — ICMP for IPv4 (RFC 792): type, code, checksum, echo/timestamp id and
 * sequence, redirect gateway, next-hop MTU, and for error messages the quoted IP header (plus
 * the first 8 bytes of its payload) dissected as inner layers. Inner layers never overwrite the
 * outer packet's meta, and an error quoted inside an error is not followed (no recursion).
 *
 * The checksum covers the whole message, so it is only verified when all of it was captured.
 */
#include "dissect_int.h"

static bool icmp_is_error(uint8_t type)
{
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

void dissect_icmp(struct dissection *d, struct cursor c, const struct ip_ctx *ip)
{
    if (!d_push(d, DP_ICMP, &c)) return;
    struct cursor all = c;
    const uint8_t *at = c.p;
    uint8_t type = 0, code = 0;
    uint16_t csum = 0, id = 0, seq = 0;
    if (!cur_be8(&c, &type) || !cur_be8(&c, &code) || !cur_be16(&c, &csum)) {
        if (!d->inner) d_short(d, &c, DE_ICMP_TRUNCATED, DE_ICMP_SHORT);
        return;
    }
    d_u(d, FLD_ICMP_TYPE, at, 1, type);
    d_u(d, FLD_ICMP_CODE, at + 1, 1, code);
    d_u(d, FLD_ICMP_CHECKSUM, at + 2, 2, csum);
    if (d_outer(d)) {
        d->m.icmp_type = type;
        d->m.icmp_code = code;
        d->m.l4_offset = d_off(d, at);
    }
    /* The second word depends on the type; every ICMP message has one. */
    const uint8_t *w = c.p;
    if (!cur_be16(&c, &id) || !cur_be16(&c, &seq)) {
        if (!d->inner) d_short(d, &c, DE_ICMP_TRUNCATED, DE_ICMP_SHORT);
        return;
    }
    d_layer_end(d, c.p);
    switch (type) {
    case 0:
    case 8:
    case 13:
    case 14:
    case 15:
    case 16:
        d_u(d, FLD_ICMP_IDENT, w, 2, id);
        d_u(d, FLD_ICMP_SEQ, w + 2, 2, seq);
        if (d_outer(d)) {
            d->m.icmp_id = id;
            d->m.icmp_seq = seq;
        }
        break;
    case 5:
        d_bytes(d, FLD_ICMP_GATEWAY, w, 4);
        break;
    case 3:
        if (code == 4) d_u(d, FLD_ICMP_MTU, w + 2, 2, seq);
        break;
    }
    if (d_outer(d)) {
        d->m.payload_offset = d_off(d, c.p);
        d->m.payload_caplen = (uint32_t)cur_left(&c);
        d->m.payload_len = ip->l4_len >= 8 ? ip->l4_len - 8 : 0;
    }
    if (ip->complete && cur_left(&all) == ip->l4_len && !d->inner && d_checksums(d)) {
        if (d_csum(all.p, cur_left(&all)) != 0) d_event(d, DE_ICMP_BAD_CHECKSUM, at + 2);
    }
    if (icmp_is_error(type) && !d->inner && cur_left(&c) > 0) {
        d->inner++;
        dissect_ipv4(d, c);
        d->inner--;
    }
}
