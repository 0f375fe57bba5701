/*
 * dissect_ipv4.c — IPv4 (RFC 791): header, options, fragments, header checksum.
 *
 * Checks run in Suricata's order and each failure has its own event: too short for the fixed
 * header (truncated/short), version != 4, IHL < 5, total length < IHL, options cut off. Then the
 * window is narrowed to the total length so Ethernet padding never reaches TCP/UDP. A total
 * length beyond the bytes present is fine when the capture was cut (snaplen) and an error
 * (ipv4.length_exceeds_frame) when the frame was complete. A wrong header checksum is recorded
 * but does not stop the dissection: the bytes are still worth showing.
 */
#include "dissect_int.h"

#define IPV4_MAX_OPTIONS 40 /* 40 option bytes, each option at least one byte */

static void ipv4_options(struct dissection *d, struct cursor o)
{
    for (int n = 0; n < IPV4_MAX_OPTIONS && cur_left(&o) > 0; n++) {
        const uint8_t *at = o.p;
        uint8_t type = 0, len = 0;
        cur_be8(&o, &type);
        d_u(d, FLD_IP_OPT_TYPE, at, 1, type);
        if (type == 0) break; /* end of option list */
        if (type == 1) continue;
        if (!cur_be8(&o, &len) || len < 2 || !cur_skip(&o, (size_t)len - 2)) {
            d_event(d, DE_IPV4_BAD_OPTION, at);
            return;
        }
        d_u(d, FLD_IP_OPT_LEN, at + 1, 1, len);
    }
}

void dissect_ipv4(struct dissection *d, struct cursor c)
{
    if (!d_push(d, DP_IPV4, &c)) return;
    const uint8_t *start = c.p;
    struct cursor all = c; /* the window the parent gave us */
    struct cursor h;
    uint8_t vihl = 0;
    if (cur_peek_be8(&c, 0, &vihl) && (vihl >> 4) != 4) {
        d_u(d, FLD_IP_VERSION, start, 1, vihl >> 4);
        d_event(d, DE_IPV4_BAD_VERSION, start);
        return;
    }
    if (!cur_split(&c, 20, &h)) {
        d_short(d, &c, DE_IPV4_TRUNCATED, DE_IPV4_SHORT);
        return;
    }
    /* h holds the whole fixed header: read it in place (hdr_be16()). */
    const uint8_t *hp = h.p;
    uint8_t tos = hp[1], ttl = hp[8], proto = hp[9];
    uint16_t totlen = hdr_be16(hp, 2), id = hdr_be16(hp, 4), frag = hdr_be16(hp, 6),
             csum = hdr_be16(hp, 10);
    const uint8_t *src = hp + 12, *dst = hp + 16;
    h.p = hp + 20;
    unsigned ihl = (vihl & 0x0f) * 4u;
    unsigned fragoff = (frag & 0x1fffu) * 8u;
    bool mf = (frag & 0x2000) != 0;

    static const struct d_fixed_field fixed[] = {
        {FLD_IP_VERSION, 0, 1},  {FLD_IP_HDR_LEN, 0, 1},  {FLD_IP_DSFIELD, 1, 1},
        {FLD_IP_LEN, 2, 2},      {FLD_IP_ID, 4, 2},       {FLD_IP_FLAGS, 6, 1},
        {FLD_IP_FLAGS_DF, 6, 1}, {FLD_IP_FLAGS_MF, 6, 1}, {FLD_IP_FRAG_OFFSET, 6, 2},
        {FLD_IP_TTL, 8, 1},      {FLD_IP_PROTO, 9, 1},    {FLD_IP_CHECKSUM, 10, 2},
        {FLD_IP_SRC, 12, 4},     {FLD_IP_DST, 16, 4},
    };
    uint32_t src_v, dst_v; /* an IPv4 address field keeps its 4 bytes as they are (d_bytes()) */
    memcpy(&src_v, src, 4);
    memcpy(&dst_v, dst, 4);
    const uint32_t values[] = {4,  ihl,     tos, totlen, id,   frag >> 13u, (frag >> 14) & 1u,
                               mf, fragoff, ttl, proto,  csum, src_v,       dst_v};
    d_fixed(d, start, fixed, values, sizeof fixed / sizeof fixed[0], 0);
    d_layer_end(d, h.p);

    if (d_outer(d)) {
        struct dissect_meta *m = &d->m;
        m->ip_version = 4;
        m->ip_proto = proto;
        m->ip_ttl = ttl;
        m->ip_offset = d_off(d, start);
        m->ip_len = totlen;
        m->ip_id = id;
        m->ip_frag_off = (uint16_t)fragoff;
        m->ip_fragment = mf || fragoff != 0;
        memset(m->ip_src, 0, 16);
        memset(m->ip_dst, 0, 16);
        memcpy(m->ip_src, src, 4);
        memcpy(m->ip_dst, dst, 4);
        m->has_ports = false; /* IP in IP: the innermost header wins */
        m->l4_offset = m->payload_offset = 0;
        m->payload_len = m->payload_caplen = 0;
    }

    if (ihl < 20) {
        d_event(d, DE_IPV4_BAD_IHL, start);
        return;
    }
    if (totlen < ihl) {
        d_event(d, DE_IPV4_BAD_TOTAL_LENGTH, start + 2);
        return;
    }
    struct cursor opts;
    if (!cur_split(&c, ihl - 20, &opts)) {
        d_short(d, &c, DE_IPV4_TRUNCATED, DE_IPV4_SHORT);
        return;
    }
    d_layer_end(d, c.p);
    if (ihl > 20) ipv4_options(d, opts);

    if (d_checksums(d)) {
        uint16_t sum = d_csum(start, ihl);
        d_u(d, FLD_IP_CHECKSUM_STATUS, start + 10, 2, sum ? 0 : 1);
        if (sum) d_event(d, DE_IPV4_BAD_CHECKSUM, start + 10);
    }

    bool complete = true;
    if (totlen > cur_left(&all)) {
        complete = false;
        bool cut_by_snaplen = all.end >= d->cap_end && d->m.caplen < d->m.wirelen;
        if (!cut_by_snaplen && d_outer(d)) {
            d_event(d, DE_IPV4_LENGTH_EXCEEDS_FRAME, start + 2);
            return;
        }
    }
    cur_limit(&c, totlen - ihl);

    struct ip_ctx ip = {
        .version = 4,
        .src = src,
        .dst = dst,
        .l4_len = totlen - ihl,
        .complete = complete && !mf && fragoff == 0,
        .nonfirst_fragment = fragoff != 0,
        .fragment = mf || fragoff != 0,
    };
    dissect_ip_payload(d, proto, c, &ip);
}
