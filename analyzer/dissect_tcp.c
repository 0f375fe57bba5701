/*
 * dissect_tcp.c — TCP (RFC 9293): ports, sequence numbers, flags, window, the options that
 * matter for reading a trace (MSS, window scale, SACK-permitted, SACK blocks, timestamps; others
 * by kind), the checksum when the whole segment was captured, then the application payload:
 * DNS on port 53, otherwise TLS or HTTP/1.x if the first bytes look like them.
 *
 * The data offset is checked against both the fixed header (>= 20, tcp.bad_offset) and the
 * length IP declared (also tcp.bad_offset: the header lies); a data offset that merely runs past
 * the captured bytes is tcp.truncated. Options are walked inside the declared header only, each
 * step consuming at least one byte; a malformed option ends the walk (tcp.bad_option) but the
 * payload is still dissected since the header length is known.
 */
#include "dissect_int.h"

#define TCP_MAX_OPTIONS 40 /* 40 option bytes: every option is at least one */

static void tcp_options(struct dissection *d, struct cursor o)
{
    for (int n = 0; n < TCP_MAX_OPTIONS && cur_left(&o) > 0; n++) {
        const uint8_t *at = o.p;
        uint8_t kind = 0, len = 0;
        cur_be8(&o, &kind);
        if (kind == 0 || kind == 1) {
            d_u(d, FLD_TCP_OPTION_KIND, at, 1, kind);
            if (kind == 0) return; /* end of option list */
            continue;
        }
        struct cursor v;
        if (!cur_be8(&o, &len) || len < 2 || !cur_split(&o, (size_t)len - 2, &v)) {
            d_event(d, DE_TCP_BAD_OPTION, at);
            return;
        }
        uint16_t u16 = 0;
        uint8_t u8 = 0;
        uint32_t a = 0, b = 0;
        switch (kind) {
        case 2:
            if (len != 4 || !cur_be16(&v, &u16)) goto bad;
            d_u(d, FLD_TCP_OPT_MSS, at, len, u16);
            break;
        case 3:
            if (len != 3 || !cur_be8(&v, &u8)) goto bad;
            d_u(d, FLD_TCP_OPT_WSCALE, at, len, u8);
            break;
        case 4:
            if (len != 2) goto bad;
            d_u(d, FLD_TCP_OPT_SACK_PERM, at, len, 1);
            break;
        case 5:
            if ((len - 2) % 8 != 0) goto bad;
            d_u(d, FLD_TCP_OPTION_KIND, at, len, kind);
            while (cur_be32(&v, &a) && cur_be32(&v, &b)) {
                d_u(d, FLD_TCP_OPT_SACK_LE, v.p - 8, 4, a);
                d_u(d, FLD_TCP_OPT_SACK_RE, v.p - 4, 4, b);
            }
            break;
        case 8:
            if (len != 10 || !cur_be32(&v, &a) || !cur_be32(&v, &b)) goto bad;
            d_u(d, FLD_TCP_OPT_TSVAL, at, len, a);
            d_u(d, FLD_TCP_OPT_TSECR, at, len, b);
            break;
        default:
            d_u(d, FLD_TCP_OPTION_KIND, at, len, kind);
            break;
        }
        continue;
    bad:
        d_event(d, DE_TCP_BAD_OPTION, at);
        return;
    }
}

void dissect_tcp(struct dissection *d, struct cursor c, const struct ip_ctx *ip)
{
    if (!d_push(d, DP_TCP, &c)) return;
    struct cursor all = c;
    const uint8_t *at = c.p;
    uint16_t sport = 0, dport = 0, win = 0, csum = 0, urp = 0;
    uint32_t seq = 0, ack = 0;
    uint8_t off = 0, flags = 0;
    /* The whole fixed header present (nearly every frame): read it in place (hdr_be16()). The
     * field-by-field reads below are for the short case, where the point they stop at matters. */
    const uint8_t *th = cur_pull(&c, 20);
    bool ports = th != NULL;
    if (th) {
        sport = hdr_be16(th, 0), dport = hdr_be16(th, 2), seq = hdr_be32(th, 4),
        ack = hdr_be32(th, 8), off = th[12], flags = th[13], win = hdr_be16(th, 14),
        csum = hdr_be16(th, 16), urp = hdr_be16(th, 18);
    } else {
        ports = cur_be16(&c, &sport) && cur_be16(&c, &dport);
    }
    if (ports) {
        if (!th) { /* a whole header records its ports with the rest, below */
            d_u(d, FLD_TCP_SRCPORT, at, 2, sport);
            d_u(d, FLD_TCP_DSTPORT, at + 2, 2, dport);
        }
        if (d_outer(d)) {
            d->m.has_ports = true;
            d->m.sport = sport;
            d->m.dport = dport;
            d->m.l4_offset = d_off(d, at);
        }
    }
    if (!th && (!ports || !cur_be32(&c, &seq) || !cur_be32(&c, &ack) || !cur_be8(&c, &off) ||
                !cur_be8(&c, &flags) || !cur_be16(&c, &win) || !cur_be16(&c, &csum) ||
                !cur_be16(&c, &urp))) {
        /* An ICMP error quotes only 8 bytes of the header: that is normal, not an event. */
        if (d->inner) {
            if (ports && cur_left(&all) >= 8) {
                cur_peek_be32(&all, 4, &seq);
                d_u(d, FLD_TCP_SEQ, at + 4, 4, seq);
            }
        } else {
            d_short(d, &c, DE_TCP_TRUNCATED, DE_TCP_SHORT);
        }
        return;
    }
    /* Here the whole fixed header was present (th): a shorter one returned above. */
    unsigned hlen = (off >> 4) * 4u;
    uint16_t fl = (uint16_t)(((off & 0x0f) << 8) | flags);
    static const struct d_fixed_field fixed[] = {
        {FLD_TCP_SRCPORT, 0, 2}, {FLD_TCP_DSTPORT, 2, 2},   {FLD_TCP_SEQ, 4, 4},
        {FLD_TCP_ACK, 8, 4},     {FLD_TCP_HDR_LEN, 12, 1},  {FLD_TCP_FLAGS, 12, 2},
        {FLD_TCP_WINDOW, 14, 2}, {FLD_TCP_CHECKSUM, 16, 2}, {FLD_TCP_URGENT, 18, 2},
    };
    const uint32_t values[] = {sport, dport, seq, ack, hlen, fl, win, csum, urp};
    d_fixed(d, at, fixed, values, sizeof fixed / sizeof fixed[0], 0);
    if (d_outer(d)) {
        struct dissect_meta *m = &d->m;
        m->tcp_flags = fl;
        m->tcp_seq = seq;
        m->tcp_ack = ack;
        m->tcp_win = win;
        m->tcp_urp = urp;
    }
    d_layer_end(d, c.p);
    if (hlen < 20 || hlen > ip->l4_len) {
        d_event(d, DE_TCP_BAD_OFFSET, at + 12);
        return;
    }
    struct cursor opts;
    if (!cur_split(&c, hlen - 20, &opts)) {
        d_short(d, &c, DE_TCP_TRUNCATED, DE_TCP_SHORT);
        return;
    }
    d_layer_end(d, c.p);
    if (hlen > 20) tcp_options(d, opts);

    uint32_t plen = ip->l4_len - hlen;
    d_u(d, FLD_TCP_LEN, at + 12, 1, plen);
    if (d_outer(d)) {
        d->m.payload_offset = d_off(d, c.p);
        d->m.payload_len = plen;
        d->m.payload_caplen = (uint32_t)cur_left(&c);
    }
    if (ip->complete && cur_left(&all) == ip->l4_len && !d->inner && d_checksums(d)) {
        bool ok = d_csum_l4(ip, 6, ip->l4_len, all.p, cur_left(&all)) == 0;
        d_u(d, FLD_TCP_CHECKSUM_STATUS, at + 16, 2, ok);
        if (!ok) d_event(d, DE_TCP_BAD_CHECKSUM, at + 16);
    }
    if (d->inner || plen == 0) return;
    if (sport == 53 || dport == 53) {
        dissect_dns(d, c, true, false);
        return;
    }
    if (cur_left(&c) == 0) return; /* TLS/HTTP are recognised by their bytes: none here */
    if (dissect_tls(d, c)) return;
    dissect_http(d, c);
}
