/*
 * detail.c — packing a dissection into a detail record and validating it on the way back.
 */
#include "detail.h"

#include <stddef.h>
#include <string.h>

/* Header, meta, then the four arrays, in the order they are packed. */
static size_t packed_size(size_t nlayers, size_t nevents, size_t nfields, size_t pool_used)
{
    return sizeof(struct detail_hdr) + sizeof(struct dissect_meta) +
           nlayers * sizeof(struct dissect_layer) + nevents * sizeof(struct dissect_event_rec) +
           nfields * sizeof(struct dissect_field) + pool_used;
}

uint32_t detail_size(const struct dissection *d)
{
    return (uint32_t)packed_size(d->nlayers, d->nevents, d->nfields, d->pool_used);
}

uint32_t detail_encode(const struct dissection *d, uint8_t *buf, uint32_t cap)
{
    struct detail_hdr h = {
        .magic = DETAIL_MAGIC,
        .top = d->top,
        .nlayers = d->nlayers,
        .nevents = d->nevents,
        .nfields = d->nfields,
        .pool_used = d->pool_used,
        .fields_dropped = d->fields_dropped,
    };
    size_t need = packed_size(h.nlayers, h.nevents, h.nfields, h.pool_used);
    if (need > cap) return 0;
    uint8_t *p = buf;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    memcpy(p, &d->m, sizeof d->m);
    p += sizeof d->m;
    memcpy(p, d->layers, h.nlayers * sizeof d->layers[0]);
    p += h.nlayers * sizeof d->layers[0];
    memcpy(p, d->events, h.nevents * sizeof d->events[0]);
    p += h.nevents * sizeof d->events[0];
    memcpy(p, d->fields, h.nfields * sizeof d->fields[0]);
    p += h.nfields * sizeof d->fields[0];
    memcpy(p, d->pool, h.pool_used);
    return (uint32_t)need;
}

void detail_set_flow(uint8_t *buf, uint64_t flow_id, uint8_t pkt_flags)
{
    memcpy(buf + offsetof(struct detail_hdr, flow_id), &flow_id, sizeof flow_id);
    buf[offsetof(struct detail_hdr, pkt_flags)] = pkt_flags;
}

/*
 * A bool read from untrusted bytes: any byte other than 0 or 1 in a bool object is undefined
 * behaviour to load, so each one is read as a byte and stored back as a real bool.
 */
#define META_BOOL(m, field)                                                                        \
    do {                                                                                           \
        uint8_t raw_;                                                                              \
        memcpy(&raw_, (const uint8_t *)(m) + offsetof(struct dissect_meta, field), 1);             \
        (m)->field = raw_ != 0;                                                                    \
    } while (0)

/* A meta string must be absent or a NUL-terminated run inside the pool (dissect_str_ptr()
 * hands it out as a C string). */
static bool meta_str_ok(const struct dissection *d, struct dissect_str s)
{
    if (s.len == 0) return true;
    uint32_t end = (uint32_t)s.off + s.len;
    return end < d->pool_used && d->pool[end] == '\0';
}

static bool meta_ok(struct dissection *d)
{
    struct dissect_meta *m = &d->m;
    META_BOOL(m, has_eth);
    META_BOOL(m, ip_fragment);
    META_BOOL(m, has_ports);
    META_BOOL(m, has_arp);
    META_BOOL(m, has_dns);
    META_BOOL(m, dns_tcp);
    META_BOOL(m, dns_has_qname);
    META_BOOL(m, http_response);
    return m->nvlan <= DISSECT_MAX_VLANS && meta_str_ok(d, m->dns_qname) &&
           meta_str_ok(d, m->http_line) && meta_str_ok(d, m->http_host) &&
           meta_str_ok(d, m->tls_sni);
}

bool detail_decode(const uint8_t *buf, uint32_t len, struct dissection *out,
                   struct detail_extra *extra)
{
    struct detail_hdr h;
    if (len < sizeof h) return false;
    memcpy(&h, buf, sizeof h);
    if (h.magic != DETAIL_MAGIC || h.nlayers > DISSECT_MAX_LAYERS ||
        h.nevents > DISSECT_MAX_EVENTS || h.nfields > DISSECT_MAX_FIELDS ||
        h.pool_used > DISSECT_POOL_SIZE || h.top >= DP_COUNT)
        return false;
    size_t need = packed_size(h.nlayers, h.nevents, h.nfields, h.pool_used);
    if (need != len) return false;
    out->top = h.top;
    out->nlayers = h.nlayers;
    out->nevents = h.nevents;
    out->inner = 0;
    out->nfields = h.nfields;
    out->pool_used = h.pool_used;
    out->fields_dropped = h.fields_dropped;
    out->events_dropped = 0;
    out->frame = out->cap_end = NULL;
    const uint8_t *p = buf + sizeof h;
    memcpy(&out->m, p, sizeof out->m);
    p += sizeof out->m;
    memcpy(out->layers, p, h.nlayers * sizeof out->layers[0]);
    p += h.nlayers * sizeof out->layers[0];
    memcpy(out->events, p, h.nevents * sizeof out->events[0]);
    p += h.nevents * sizeof out->events[0];
    memcpy(out->fields, p, h.nfields * sizeof out->fields[0]);
    p += h.nfields * sizeof out->fields[0];
    memcpy(out->pool, p, h.pool_used);

    for (unsigned i = 0; i < h.nlayers; i++) {
        const struct dissect_layer *l = &out->layers[i];
        if (l->proto >= DP_COUNT || l->first_field > h.nfields ||
            l->nfields > h.nfields - l->first_field)
            return false;
    }
    for (unsigned i = 0; i < h.nevents; i++)
        if (out->events[i].id >= DE_COUNT || out->events[i].layer > h.nlayers) return false;
    for (unsigned i = 0; i < h.nfields; i++) {
        const struct dissect_field *f = &out->fields[i];
        if (f->id >= FLD_COUNT || f->layer >= (h.nlayers ? h.nlayers : 1)) return false;
        enum dissect_fmt fmt = dissect_field_info(f->id)->fmt;
        if (fmt == DF_STR) {
            struct dissect_str s = dissect_field_str(f);
            if ((uint32_t)s.off + s.len > h.pool_used) return false;
        }
        /* A MAC or IPv6 value is a pool offset: its bytes must be inside what was copied. */
        if ((fmt == DF_MAC || fmt == DF_IPV6) &&
            (size_t)f->v + dissect_fmt_addr_len(fmt) > h.pool_used)
            return false;
    }
    if (!meta_ok(out)) return false;
    if (extra) *extra = (struct detail_extra){h.flow_id, h.pkt_flags};
    return true;
}

bool detail_summary(const uint8_t *buf, uint32_t len, struct dissection *scratch,
                    struct dissect_summary *out, struct detail_extra *extra)
{
    if (!detail_decode(buf, len, scratch, extra)) return false;
    dissect_summary(scratch, out);
    return true;
}
