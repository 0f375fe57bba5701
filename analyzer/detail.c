/*
 * detail.c — packing a dissection into a detail record and validating it on the way back.
 */
#include "detail.h"

#include <string.h>

/* Header plus the four arrays, in the order they are packed. */
static size_t packed_size(size_t nlayers, size_t nevents, size_t nfields, size_t pool_used)
{
    return sizeof(struct detail_hdr) + nlayers * sizeof(struct dissect_layer) +
           nevents * sizeof(struct dissect_event_rec) + nfields * sizeof(struct dissect_field) +
           pool_used;
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
        .link_type = d->m.link_type,
        .caplen = d->m.caplen,
        .wirelen = d->m.wirelen,
    };
    size_t need = packed_size(h.nlayers, h.nevents, h.nfields, h.pool_used);
    if (need > cap) return 0;
    uint8_t *p = buf;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    memcpy(p, d->layers, h.nlayers * sizeof d->layers[0]);
    p += h.nlayers * sizeof d->layers[0];
    memcpy(p, d->events, h.nevents * sizeof d->events[0]);
    p += h.nevents * sizeof d->events[0];
    memcpy(p, d->fields, h.nfields * sizeof d->fields[0]);
    p += h.nfields * sizeof d->fields[0];
    memcpy(p, d->pool, h.pool_used);
    return (uint32_t)need;
}

bool detail_decode(const uint8_t *buf, uint32_t len, struct dissection *out)
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
    memset(&out->m, 0, sizeof out->m);
    out->top = h.top;
    out->nlayers = h.nlayers;
    out->nevents = h.nevents;
    out->inner = 0;
    out->nfields = h.nfields;
    out->pool_used = h.pool_used;
    out->fields_dropped = h.fields_dropped;
    out->events_dropped = 0;
    out->frame = out->cap_end = NULL;
    out->m.link_type = h.link_type;
    out->m.caplen = h.caplen;
    out->m.wirelen = h.wirelen;
    const uint8_t *p = buf + sizeof h;
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
    return true;
}
