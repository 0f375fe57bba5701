/*
 * dissect_ipv6.c — IPv6 (RFC 8200) and its extension-header chain: hop-by-hop, routing,
 * fragment, destination options and AH are walked; ESP stops the walk (the rest is encrypted);
 * "no next header" ends it. Each extension header is a layer of its own. The chain is capped at
 * IPV6_MAX_EXT headers (ipv6.too_many_ext) on top of the 16-layer cap; every step consumes at
 * least 8 bytes, so the walk always ends.
 *
 * A payload length of 0 with a hop-by-hop header is a jumbogram (RFC 2675): the rest of the
 * window is taken as the payload rather than treating it as empty.
 */
#include "dissect_int.h"

#define IPV6_MAX_EXT 8

static void ipv6_set_l4(struct dissection *d, uint8_t nxt)
{
    if (d_outer(d)) d->m.ip_proto = nxt;
}

void dissect_ipv6(struct dissection *d, struct cursor c)
{
    if (!d_push(d, DP_IPV6, &c)) return;
    const uint8_t *start = c.p;
    struct cursor all = c;
    struct cursor h;
    uint8_t v0 = 0;
    if (cur_peek_be8(&c, 0, &v0) && (v0 >> 4) != 6) {
        d_u(d, FLD_IPV6_VERSION, start, 1, v0 >> 4);
        d_event(d, DE_IPV6_BAD_VERSION, start);
        return;
    }
    if (!cur_split(&c, 40, &h)) {
        d_short(d, &c, DE_IPV6_TRUNCATED, DE_IPV6_SHORT);
        return;
    }
    /* h holds the whole fixed header: read it in place (hdr_be16()). */
    const uint8_t *hp = h.p;
    uint32_t vtf = hdr_be32(hp, 0);
    uint16_t plen = hdr_be16(hp, 4);
    uint8_t nxt = hp[6], hlim = hp[7];
    const uint8_t *src = hp + 8, *dst = hp + 24;
    h.p = hp + 40;
    d_layer_end(d, h.p);
    static const struct d_fixed_field fixed[] = {
        {FLD_IPV6_VERSION, 0, 1}, {FLD_IPV6_TCLASS, 0, 2}, {FLD_IPV6_FLOW, 1, 3},
        {FLD_IPV6_PLEN, 4, 2},    {FLD_IPV6_NXT, 6, 1},    {FLD_IPV6_HLIM, 7, 1},
    };
    const uint32_t values[] = {6, (vtf >> 20) & 0xff, vtf & 0xfffff, plen, nxt, hlim};
    d_fixed(d, start, fixed, values, sizeof fixed / sizeof fixed[0], 0);
    d_bytes(d, FLD_IPV6_SRC, src, 16);
    d_bytes(d, FLD_IPV6_DST, dst, 16);
    if (d_outer(d)) {
        struct dissect_meta *m = &d->m;
        m->ip_version = 6;
        m->ip_proto = nxt;
        m->ip_ttl = hlim;
        m->ip_offset = d_off(d, start);
        m->ip_len = 40u + plen;
        m->ip_id = 0;
        m->ip_frag_off = 0;
        m->ip_fragment = false;
        memcpy(m->ip_src, src, 16);
        memcpy(m->ip_dst, dst, 16);
        m->has_ports = false;
        m->l4_offset = m->payload_offset = 0;
        m->payload_len = m->payload_caplen = 0;
    }

    uint32_t declared = plen;
    bool complete = true;
    if (plen == 0 && nxt == 0) {
        declared = (uint32_t)cur_left(&c); /* jumbogram: length is in a hop-by-hop option */
    } else if (plen > cur_left(&c)) {
        complete = false;
        bool cut_by_snaplen = all.end >= d->cap_end && d->m.caplen < d->m.wirelen;
        if (!cut_by_snaplen && d_outer(d)) {
            d_event(d, DE_IPV6_LENGTH_EXCEEDS_FRAME, start + 4);
            return;
        }
    }
    cur_limit(&c, declared);

    bool nonfirst = false, fragment = false;
    for (int n = 0;; n++) {
        if (nxt != 0 && nxt != 43 && nxt != 44 && nxt != 51 && nxt != 60)
            break; /* ESP (50) is dissected as the payload: it ends the walk */
        if (n >= IPV6_MAX_EXT) {
            d_event(d, DE_IPV6_TOO_MANY_EXT, c.p);
            return;
        }
        const uint8_t *at = c.p;
        if (!d_push(d, nxt == 51 ? DP_AH : DP_IPV6_EXT, &c)) return;
        uint8_t nh = 0, hl = 0;
        if (!cur_peek_be8(&c, 0, &nh) || !cur_peek_be8(&c, 1, &hl)) {
            d_short(d, &c, DE_IPV6_EXT_TRUNCATED, DE_IPV6_EXT_BAD_LENGTH);
            return;
        }
        size_t len = nxt == 51 ? ((size_t)hl + 2) * 4 : nxt == 44 ? 8 : ((size_t)hl + 1) * 8;
        struct cursor e;
        if (!cur_split(&c, len, &e)) {
            d_short(d, &c, DE_IPV6_EXT_TRUNCATED, DE_IPV6_EXT_BAD_LENGTH);
            return;
        }
        d_layer_end(d, c.p);
        switch (nxt) {
        case 0:
            d_u(d, FLD_IPV6_HOPOPTS_NXT, at, 1, nh);
            d_u(d, FLD_IPV6_HOPOPTS_LEN, at + 1, 1, hl);
            break;
        case 60:
            d_u(d, FLD_IPV6_DSTOPTS_NXT, at, 1, nh);
            d_u(d, FLD_IPV6_DSTOPTS_LEN, at + 1, 1, hl);
            break;
        case 43: {
            uint8_t type = 0, segleft = 0;
            cur_peek_be8(&e, 2, &type);
            cur_peek_be8(&e, 3, &segleft);
            d_u(d, FLD_IPV6_ROUTING_NXT, at, 1, nh);
            d_u(d, FLD_IPV6_ROUTING_LEN, at + 1, 1, hl);
            d_u(d, FLD_IPV6_ROUTING_TYPE, at + 2, 1, type);
            d_u(d, FLD_IPV6_ROUTING_SEGLEFT, at + 3, 1, segleft);
            break;
        }
        case 44: {
            uint16_t offlg = 0;
            uint32_t id = 0;
            cur_peek_be16(&e, 2, &offlg);
            cur_peek_be32(&e, 4, &id);
            d_u(d, FLD_IPV6_FRAG_NXT, at, 1, nh);
            d_u(d, FLD_IPV6_FRAG_OFFSET, at + 2, 2, offlg & 0xfff8u);
            d_u(d, FLD_IPV6_FRAG_MORE, at + 3, 1, offlg & 1);
            d_u(d, FLD_IPV6_FRAG_ID, at + 4, 4, id);
            fragment = true;
            nonfirst = (offlg & 0xfff8u) != 0;
            if (d_outer(d)) {
                d->m.ip_fragment = true;
                d->m.ip_frag_off = offlg & 0xfff8u;
                d->m.ip_id = id;
            }
            break;
        }
        case 51: {
            uint32_t spi = 0, seq = 0;
            cur_peek_be32(&e, 4, &spi);
            cur_peek_be32(&e, 8, &seq);
            d_u(d, FLD_AH_NXT, at, 1, nh);
            d_u(d, FLD_AH_LEN, at + 1, 1, hl);
            d_u(d, FLD_AH_SPI, at + 4, 4, spi);
            d_u(d, FLD_AH_SEQ, at + 8, 4, seq);
            break;
        }
        }
        declared = declared >= len ? declared - (uint32_t)len : 0;
        nxt = nh;
    }
    ipv6_set_l4(d, nxt);
    if (nxt == 59) return; /* no next header */

    struct ip_ctx ip = {
        .version = 6,
        .src = src,
        .dst = dst,
        .l4_len = declared,
        .complete = complete && !fragment,
        .nonfirst_fragment = nonfirst,
        .fragment = fragment,
    };
    dissect_ip_payload(d, nxt, c, &ip);
}
