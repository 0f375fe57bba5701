/*
 * dissect_tls.c — the first TLS record of a TCP payload, and for a ClientHello the server name
 * (SNI) and ALPN protocols. Recognised on any port by the record header: content type 20..23
 * and version 3.x with x <= 4.
 *
 * There is no TCP reassembly, so a record longer than the segment is normal (a ClientHello with
 * a post-quantum key share often spans two segments). Running out of bytes inside such a record
 * is therefore only an event when the capture was cut (tls.truncated); running out inside a
 * record that was complete means an inner length lies (tls.bad_length). Every length is checked
 * against its enclosing one before it is used; extensions are capped.
 */
#include "dissect_int.h"

#define TLS_MAX_EXTENSIONS 64
#define TLS_MAX_ALPN       8

struct tls_state {
    bool record_complete;
};

static void tls_ran_out(struct dissection *d, const struct tls_state *st, const struct cursor *c)
{
    if (st->record_complete)
        d_event(d, DE_TLS_BAD_LENGTH, c->p);
    else if (c->end >= d->cap_end && d->m.caplen < d->m.wirelen)
        d_event(d, DE_TLS_TRUNCATED, c->p);
}

static void tls_sni(struct dissection *d, struct cursor e)
{
    uint16_t list;
    if (!cur_be16(&e, &list)) goto bad;
    cur_limit(&e, list);
    while (cur_left(&e) > 0) {
        uint8_t type;
        uint16_t len;
        const uint8_t *name;
        if (!cur_be8(&e, &type) || !cur_be16(&e, &len) || !(name = cur_pull(&e, len))) goto bad;
        if (type != 0) continue;
        struct dissect_str s = d_pool_escaped(d, name, len);
        d_str(d, FLD_TLS_SNI, name, len, s);
        if (d_outer(d) && !d->m.tls_sni.len) d->m.tls_sni = s;
    }
    return;
bad:
    d_event(d, DE_TLS_BAD_EXTENSION, e.p);
}

static void tls_alpn(struct dissection *d, struct cursor e)
{
    uint16_t list;
    if (!cur_be16(&e, &list)) goto bad;
    cur_limit(&e, list);
    for (int n = 0; n < TLS_MAX_ALPN && cur_left(&e) > 0; n++) {
        uint8_t len;
        const uint8_t *p;
        if (!cur_be8(&e, &len) || !(p = cur_pull(&e, len))) goto bad;
        d_str(d, FLD_TLS_ALPN, p, len, d_pool_escaped(d, p, len));
    }
    return;
bad:
    d_event(d, DE_TLS_BAD_EXTENSION, e.p);
}

static void tls_client_hello(struct dissection *d, const struct tls_state *st, struct cursor c)
{
    const uint8_t *at = c.p;
    uint16_t version, cs_len, ext_len;
    uint8_t sid_len, comp_len;
    if (!cur_be16(&c, &version)) goto out;
    d_u(d, FLD_TLS_HS_VERSION, at, 2, version);
    if (!cur_skip(&c, 32) || !cur_be8(&c, &sid_len) || !cur_skip(&c, sid_len) ||
        !cur_be16(&c, &cs_len) || !cur_skip(&c, cs_len) || !cur_be8(&c, &comp_len) ||
        !cur_skip(&c, comp_len))
        goto out;
    if (cur_left(&c) == 0) {
        if (!st->record_complete) tls_ran_out(d, st, &c); /* the extensions were cut off */
        return;                                           /* else: no extensions, allowed */
    }
    if (!cur_be16(&c, &ext_len)) goto out;
    bool ext_cut = ext_len > cur_left(&c);
    if (ext_cut && st->record_complete) goto out;
    cur_limit(&c, ext_len);
    for (int n = 0; n < TLS_MAX_EXTENSIONS && cur_left(&c) > 0; n++) {
        const uint8_t *e = c.p;
        uint16_t type, len;
        struct cursor body;
        if (!cur_be16(&c, &type) || !cur_be16(&c, &len) || !cur_split(&c, len, &body)) goto out;
        d_u(d, FLD_TLS_HS_EXT_TYPE, e, 4u + len, type);
        if (type == 0) tls_sni(d, body);
        if (type == 16) tls_alpn(d, body);
    }
    if (ext_cut && cur_left(&c) == 0) tls_ran_out(d, st, &c);
    return;
out:
    tls_ran_out(d, st, &c);
}

bool dissect_tls(struct dissection *d, struct cursor c)
{
    uint8_t type = 0, major = 0, minor = 0;
    if (!cur_peek_be8(&c, 0, &type) || !cur_peek_be8(&c, 1, &major) || !cur_peek_be8(&c, 2, &minor))
        return false;
    if (type < 20 || type > 23 || major != 3 || minor > 4) return false;
    if (!d_push(d, DP_TLS, &c)) return true;
    const uint8_t *at = c.p;
    uint16_t version, rlen;
    struct tls_state st = {false};
    cur_skip(&c, 1);
    if (!cur_be16(&c, &version) || !cur_be16(&c, &rlen)) {
        d_short(d, &c, DE_TLS_TRUNCATED, DE_TLS_SHORT);
        return true;
    }
    d_u(d, FLD_TLS_RECORD_TYPE, at, 1, type);
    d_u(d, FLD_TLS_RECORD_VERSION, at + 1, 2, version);
    d_u(d, FLD_TLS_RECORD_LENGTH, at + 3, 2, rlen);
    if (d_outer(d)) d->m.tls_content_type = type;
    st.record_complete = rlen <= cur_left(&c);
    cur_limit(&c, rlen);
    d_layer_end(d, c.end);
    if (type != 22) return true;
    const uint8_t *hp = c.p;
    uint8_t hs;
    uint32_t hlen;
    if (!cur_be8(&c, &hs) || !cur_be24(&c, &hlen)) {
        tls_ran_out(d, &st, &c);
        return true;
    }
    d_u(d, FLD_TLS_HS_TYPE, hp, 1, hs);
    d_u(d, FLD_TLS_HS_LENGTH, hp + 1, 3, hlen);
    if (d_outer(d)) d->m.tls_hs_type = hs;
    if (hlen > cur_left(&c) && st.record_complete) {
        /* Handshake messages may span records; within one complete record that's fine too. */
        st.record_complete = false;
    }
    cur_limit(&c, hlen);
    if (hs == 1) tls_client_hello(d, &st, c);
    return true;
}
