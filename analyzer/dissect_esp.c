/*
 * dissect_esp.c — IPsec ESP (RFC 4303): only the SPI and sequence number are in the clear; the
 * rest is ciphertext, so ESP always ends the dissection. Reached from IPv4 (protocol 50) and from
 * the IPv6 extension-header walk.
 */
#include "dissect_int.h"

void dissect_esp(struct dissection *d, struct cursor c, const struct ip_ctx *ip)
{
    if (!d_push(d, DP_ESP, &c)) return;
    const uint8_t *at = c.p;
    uint32_t spi, seq;
    if (!cur_be32(&c, &spi) || !cur_be32(&c, &seq)) {
        d_short(d, &c, DE_ESP_TRUNCATED, DE_ESP_SHORT);
        return;
    }
    d_layer_end(d, c.p);
    d_u(d, FLD_ESP_SPI, at, 4, spi);
    d_u(d, FLD_ESP_SEQ, at + 4, 4, seq);
    if (d_outer(d)) {
        d->m.ip_proto = 50;
        d->m.l4_offset = d_off(d, at);
        d->m.payload_offset = d_off(d, c.p);
        d->m.payload_caplen = (uint32_t)cur_left(&c);
        d->m.payload_len = ip->l4_len >= 8 ? ip->l4_len - 8 : 0;
    }
}
