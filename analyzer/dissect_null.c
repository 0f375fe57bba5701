/*
 * dissect_null.c — BSD loopback encapsulations: DLT_NULL (a 4-byte address family in the byte
 * order of the machine that wrote the capture) and DLT_LOOP (the same, always big-endian).
 * RAW/IPV4/IPV6 link types need no header and are dispatched straight to IP by dissect.c.
 *
 * AF_INET6 differs per OS (Linux 10, *BSD 24, FreeBSD 28, Darwin 30); all are accepted.
 */
#include "dissect_int.h"

void dissect_null(struct dissection *d, struct cursor c, bool loop)
{
    if (!d_push(d, DP_NULL, &c)) return;
    const uint8_t *at = c.p;
    uint32_t fam = 0, be = 0;
    if (!cur_peek_be32(&c, 0, &be) || !cur_le32(&c, &fam)) {
        d_short(d, &c, DE_NULL_TRUNCATED, DE_NULL_TRUNCATED);
        return;
    }
    /* DLT_NULL: a value with the high half set was written in the other byte order. */
    if (loop || (fam & 0xffff0000u)) fam = be;
    d_layer_end(d, c.p);
    d_u(d, FLD_NULL_FAMILY, at, 4, fam);
    switch (fam) {
    case 2:
        dissect_ipv4(d, c);
        break;
    case 10:
    case 24:
    case 28:
    case 30:
        dissect_ipv6(d, c);
        break;
    default:
        d_event(d, DE_NULL_UNKNOWN_FAMILY, at);
        break;
    }
}
