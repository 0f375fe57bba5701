/*
 * dissect_icmpv6.c — ICMPv6 (RFC 4443) and neighbour discovery (RFC 4861): echo id/sequence,
 * packet-too-big MTU, errors with the quoted IPv6 header dissected as inner layers, router
 * advertisement basics, NS/NA targets and the ND options (link-layer address, prefix).
 *
 * ND options are type/length pairs with the length in units of 8 bytes; a zero length would
 * never advance, so it is an error (icmpv6.bad_option) that ends the walk, and the walk is capped.
 */
#include "dissect_int.h"

#define ND_MAX_OPTIONS 32

/* cut: the message was not captured whole, so running out of options is a truncation. */
static void nd_options(struct dissection *d, struct cursor o, bool cut)
{
    if (cut && cur_left(&o) == 0) {
        d_short(d, &o, DE_ICMPV6_TRUNCATED, DE_ICMPV6_SHORT);
        return;
    }
    for (int n = 0; n < ND_MAX_OPTIONS && cur_left(&o) > 0; n++) {
        const uint8_t *at = o.p;
        uint8_t type = 0, len = 0;
        if (!cur_peek_be8(&o, 0, &type) || !cur_peek_be8(&o, 1, &len)) {
            d_short(d, &o, DE_ICMPV6_TRUNCATED, DE_ICMPV6_SHORT);
            return;
        }
        struct cursor opt;
        if (len == 0) {
            d_event(d, DE_ICMPV6_BAD_OPTION, at);
            return;
        }
        if (!cur_split(&o, (size_t)len * 8, &opt)) {
            d_short(d, &o, DE_ICMPV6_TRUNCATED, DE_ICMPV6_SHORT);
            return;
        }
        d_u(d, FLD_ICMPV6_OPT_TYPE, at, 1, type);
        d_u(d, FLD_ICMPV6_OPT_LEN, at + 1, 1, len);
        const uint8_t *v;
        if ((type == 1 || type == 2) && (v = cur_peek(&opt, 2, 6)) != NULL)
            d_bytes(d, FLD_ICMPV6_OPT_LINKADDR, v, 6);
        if (type == 3 && len == 4) {
            uint8_t plen = 0;
            cur_peek_be8(&opt, 2, &plen);
            d_u(d, FLD_ICMPV6_OPT_PREFIX_LEN, at + 2, 1, plen);
            if ((v = cur_peek(&opt, 16, 16)) != NULL) d_bytes(d, FLD_ICMPV6_OPT_PREFIX, v, 16);
        }
    }
}

void dissect_icmpv6(struct dissection *d, struct cursor c, const struct ip_ctx *ip)
{
    if (!d_push(d, DP_ICMPV6, &c)) return;
    struct cursor all = c;
    const uint8_t *at = c.p;
    uint8_t type = 0, code = 0;
    uint16_t csum = 0;
    uint32_t word = 0;
    if (!cur_be8(&c, &type) || !cur_be8(&c, &code) || !cur_be16(&c, &csum)) {
        if (!d->inner) d_short(d, &c, DE_ICMPV6_TRUNCATED, DE_ICMPV6_SHORT);
        return;
    }
    d_u(d, FLD_ICMPV6_TYPE, at, 1, type);
    d_u(d, FLD_ICMPV6_CODE, at + 1, 1, code);
    d_u(d, FLD_ICMPV6_CHECKSUM, at + 2, 2, csum);
    if (d_outer(d)) {
        d->m.icmp_type = type;
        d->m.icmp_code = code;
        d->m.l4_offset = d_off(d, at);
    }
    if (ip->complete && cur_left(&all) == ip->l4_len && !d->inner && d_checksums(d)) {
        if (d_csum_l4(ip, 58, ip->l4_len, all.p, cur_left(&all)) != 0)
            d_event(d, DE_ICMPV6_BAD_CHECKSUM, at + 2);
    }
    bool cut = cur_left(&all) < ip->l4_len;
    /* RS, MLD and unknown types: the first word is all there is in common. */
    const uint8_t *w = c.p;
    if (!cur_be32(&c, &word)) {
        if (!d->inner) d_short(d, &c, DE_ICMPV6_TRUNCATED, DE_ICMPV6_SHORT);
        return;
    }
    d_layer_end(d, c.p);
    const uint8_t *v;
    switch (type) {
    case 128:
    case 129:
        d_u(d, FLD_ICMPV6_ECHO_ID, w, 2, word >> 16);
        d_u(d, FLD_ICMPV6_ECHO_SEQ, w + 2, 2, word & 0xffff);
        if (d_outer(d)) {
            d->m.icmp_id = (uint16_t)(word >> 16);
            d->m.icmp_seq = (uint16_t)word;
        }
        break;
    case 1:
    case 2:
    case 3:
    case 4:
        if (type == 2) d_u(d, FLD_ICMPV6_MTU, w, 4, word);
        if (!d->inner && cur_left(&c) > 0) {
            d->inner++;
            dissect_ipv6(d, c);
            d->inner--;
        }
        return;
    case 130:
    case 131:
    case 132:
        d_u(d, FLD_ICMPV6_MLD_MAX_DELAY, w, 2, word >> 16);
        if ((v = cur_pull(&c, 16)) != NULL) d_bytes(d, FLD_ICMPV6_MLD_ADDR, v, 16);
        d_layer_end(d, c.p);
        break;
    case 143:
        d_u(d, FLD_ICMPV6_MLDR_RECORDS, w + 2, 2, word & 0xffff);
        break;
    case 133:
        nd_options(d, c, cut);
        break;
    case 134: {
        uint32_t reach, retrans;
        if (!cur_be32(&c, &reach) || !cur_be32(&c, &retrans)) {
            d_short(d, &c, DE_ICMPV6_TRUNCATED, DE_ICMPV6_SHORT);
            break;
        }
        d_u(d, FLD_ICMPV6_ND_RA_HOPLIMIT, w, 1, word >> 24);
        d_u(d, FLD_ICMPV6_ND_RA_LIFETIME, w + 2, 2, word & 0xffff);
        d_layer_end(d, c.p);
        nd_options(d, c, cut);
        break;
    }
    case 135:
    case 136:
        if (!(v = cur_pull(&c, 16))) {
            d_short(d, &c, DE_ICMPV6_TRUNCATED, DE_ICMPV6_SHORT);
            break;
        }
        if (type == 136) d_u(d, FLD_ICMPV6_ND_NA_FLAGS, w, 4, word);
        d_bytes(d, type == 135 ? FLD_ICMPV6_ND_NS_TARGET : FLD_ICMPV6_ND_NA_TARGET, v, 16);
        d_layer_end(d, c.p);
        nd_options(d, c, cut);
        break;
    case 137:
        if (!cur_skip(&c, 32)) {
            d_short(d, &c, DE_ICMPV6_TRUNCATED, DE_ICMPV6_SHORT);
            break;
        }
        d_layer_end(d, c.p);
        nd_options(d, c, cut);
        break;
    }
    if (d_outer(d)) {
        d->m.payload_offset = d_off(d, c.p);
        d->m.payload_caplen = (uint32_t)cur_left(&c);
        uint32_t hdr = d->m.payload_offset - d->m.l4_offset;
        d->m.payload_len = ip->l4_len >= hdr ? ip->l4_len - hdr : 0;
    }
}
