/*
 * dissect_dhcp.c — BOOTP/DHCP (RFC 2131/2132): the fixed 236-byte BOOTP header, the magic
 * cookie, then options up to END. Kept as fields: op, hardware type/length, xid, flags, the four
 * addresses, the client MAC (Ethernet only), and options 53 (message type), 50 (requested
 * address), 54 (server id) and 12 (host name); other options by code. The option walk is capped
 * and every step consumes at least one byte.
 */
#include "dissect_int.h"

#define DHCP_MAX_OPTIONS 64

void dissect_dhcp(struct dissection *d, struct cursor c)
{
    if (!d_push(d, DP_DHCP, &c)) return;
    const uint8_t *at = c.p;
    struct cursor h;
    if (!cur_split(&c, 236, &h)) {
        d_short(d, &c, DE_DHCP_TRUNCATED, DE_DHCP_SHORT);
        return;
    }
    uint8_t op = 0, htype = 0, hlen = 0, hops = 0;
    uint32_t xid = 0;
    uint16_t secs = 0, flags = 0;
    cur_be8(&h, &op);
    cur_be8(&h, &htype);
    cur_be8(&h, &hlen);
    cur_be8(&h, &hops);
    cur_be32(&h, &xid);
    cur_be16(&h, &secs);
    cur_be16(&h, &flags);
    d_u(d, FLD_DHCP_OP, at, 1, op);
    d_u(d, FLD_DHCP_HW_TYPE, at + 1, 1, htype);
    d_u(d, FLD_DHCP_HW_LEN, at + 2, 1, hlen);
    d_u(d, FLD_DHCP_HOPS, at + 3, 1, hops);
    d_u(d, FLD_DHCP_ID, at + 4, 4, xid);
    d_u(d, FLD_DHCP_SECS, at + 8, 2, secs);
    d_u(d, FLD_DHCP_FLAGS, at + 10, 2, flags);
    d_bytes(d, FLD_DHCP_CIADDR, at + 12, 4);
    d_bytes(d, FLD_DHCP_YIADDR, at + 16, 4);
    d_bytes(d, FLD_DHCP_SIADDR, at + 20, 4);
    d_bytes(d, FLD_DHCP_GIADDR, at + 24, 4);
    if (htype == 1 && hlen == 6) d_bytes(d, FLD_DHCP_CHADDR, at + 28, 6);
    if (d_outer(d)) {
        d->m.dhcp_op = op;
        d->m.dhcp_xid = xid;
        memcpy(d->m.dhcp_chaddr, at + 28, 6);
    }
    d_layer_end(d, c.p);
    uint32_t magic;
    const uint8_t *mp = c.p;
    if (!cur_be32(&c, &magic)) {
        if (cur_left(&c) > 0 || d_cut(d, &c)) d_short(d, &c, DE_DHCP_TRUNCATED, DE_DHCP_SHORT);
        return; /* plain BOOTP without vendor area */
    }
    if (magic != 0x63825363) {
        d_event(d, DE_DHCP_BAD_MAGIC, mp);
        return;
    }
    bool end = false;
    for (int n = 0; n < DHCP_MAX_OPTIONS && cur_left(&c) > 0; n++) {
        const uint8_t *o = c.p;
        uint8_t code = 0, len = 0;
        cur_be8(&c, &code);
        if (code == 0) continue;
        if (code == 255) {
            end = true;
            break;
        }
        struct cursor v;
        if (!cur_be8(&c, &len) || !cur_split(&c, len, &v)) {
            d_short(d, &c, DE_DHCP_TRUNCATED, DE_DHCP_SHORT);
            break;
        }
        uint8_t u8;
        switch (code) {
        case 53:
            if (len != 1 || !cur_be8(&v, &u8)) goto bad;
            d_u(d, FLD_DHCP_MSG_TYPE, o, 3, u8);
            if (d_outer(d)) d->m.dhcp_msg_type = u8;
            break;
        case 50:
        case 54:
            if (len != 4) goto bad;
            d_bytes(d, code == 50 ? FLD_DHCP_REQ_IP : FLD_DHCP_SERVER_ID, v.p, 4);
            break;
        case 12:
            d_str(d, FLD_DHCP_HOSTNAME, o, len + 2u, d_pool_escaped(d, v.p, len));
            break;
        default:
            d_u(d, FLD_DHCP_OPTION, o, len + 2u, code);
            break;
        }
        continue;
    bad:
        d_event(d, DE_DHCP_BAD_OPTION, o);
        end = true;
        break;
    }
    if (!end && cur_left(&c) == 0 && d_cut(d, &c)) d_event(d, DE_DHCP_TRUNCATED, c.p);
    d_layer_end(d, c.p);
}
