/*
 * dissect_int.h — what the per-layer dissectors share and nobody else should use.
 *
 * Recording helpers (layers, fields, events, pool strings) that enforce the fixed capacities of
 * struct dissection, the per-layer entry points, and the Internet checksum. Every dissector
 * follows the same shape: push a layer (which fails at the layer cap), read its fixed header
 * through the cursor, record fields, validate in a fixed order naming each failure, narrow the
 * cursor to the declared length, then dispatch to the next layer.
 */
#ifndef PACKRAT_ANALYZER_DISSECT_INT_H
#define PACKRAT_ANALYZER_DISSECT_INT_H

#include "cursor.h"
#include "dissect.h"

/* Offset of p within the frame. */
static inline uint32_t d_off(const struct dissection *d, const uint8_t *p)
{
    return (uint32_t)(p - d->frame);
}

/* Index of the layer being filled (the last one pushed). */
static inline int d_cur_layer(const struct dissection *d)
{
    return d->nlayers ? d->nlayers - 1 : 0;
}

/* Sets the current layer's length to end - start. Inline: every layer calls it once or twice. */
static inline void d_layer_end(struct dissection *d, const uint8_t *end)
{
    if (!d->nlayers) return;
    struct dissect_layer *l = &d->layers[d->nlayers - 1];
    l->length = d_off(d, end) - l->offset;
}

void d_event(struct dissection *d, enum dissect_event ev, const uint8_t *at);

/* True when c's window ends where a snaplen-cut capture ends: missing bytes are truncation. */
static inline bool d_cut(const struct dissection *d, const struct cursor *c)
{
    return c->end >= d->cap_end && d->m.caplen < d->m.wirelen;
}

/*
 * A read failed on cursor c: records `trunc` when the window ends where a snaplen-cut capture
 * ends (d_cut: the bytes exist on the wire, we just did not get them), `shorter` otherwise: a
 * parent's declared length ended the window first, or the frame was complete and this header
 * simply claims more than is there — the header lies.
 */
void d_short(struct dissection *d, const struct cursor *c, enum dissect_event trunc,
             enum dissect_event shorter);

/* Out of line: the rare full-table or full-pool path (records dissect.fields_dropped once). */
void d_fields_full(struct dissection *d, const uint8_t *at);

/* Appends a field to the current layer, or returns NULL (counted) when the table is full. Inline:
 * a frame records tens of fields and this is the hottest path of dissection. */
static inline __attribute__((always_inline)) struct dissect_field *
d_field(struct dissection *d, enum dissect_field_id id, const uint8_t *at, uint32_t len)
{
    if (d->nfields >= DISSECT_MAX_FIELDS) {
        d_fields_full(d, at);
        return NULL;
    }
    struct dissect_field *f = &d->fields[d->nfields++];
    f->id = (uint16_t)id;
    f->layer = (uint8_t)d_cur_layer(d);
    f->flags = 0;
    f->offset = d_off(d, at);
    f->length = len;
    return f;
}

/* A number field (DF_UINT, DF_HEX*, DF_CSUM): every one is at most 32 bits wide. */
static inline void d_u(struct dissection *d, enum dissect_field_id id, const uint8_t *at,
                       uint32_t len, uint32_t v)
{
    struct dissect_field *f = d_field(d, id, at, len);
    if (f) f->v = v;
}

/* One field of a header's fixed part: its id, offset from the header's start and length. */
struct d_fixed_field {
    uint16_t id; /* enum dissect_field_id */
    uint8_t off;
    uint8_t len;
};

/*
 * Appends the count fields of a header's fixed part (spec, a constant table, and their values v)
 * to the current layer, with the given flags (a DNS section, else 0): what count d_u() calls
 * would record, with one room check and the layer
 * and the header's offset found once. Always inlined with a constant table, the loop unrolls to
 * a few instructions a field: per-field calls reloaded the counts and the frame pointer after
 * each field's byte-sized stores, and field recording was a sixth of the analyzer's work.
 */
static inline __attribute__((always_inline)) void d_fixed(struct dissection *d, const uint8_t *base,
                                                          const struct d_fixed_field *spec,
                                                          const uint32_t *v, unsigned count,
                                                          uint8_t flags)
{
    unsigned n = d->nfields;
    if (n + count > DISSECT_MAX_FIELDS) { /* rare: one by one, for the overflow accounting */
        for (unsigned i = 0; i < count; i++) {
            struct dissect_field *f =
                d_field(d, (enum dissect_field_id)spec[i].id, base + spec[i].off, spec[i].len);
            if (f) f->v = v[i], f->flags = flags;
        }
        return;
    }
    uint8_t layer = (uint8_t)d_cur_layer(d);
    uint32_t off = d_off(d, base);
    struct dissect_field *f = &d->fields[n];
#pragma GCC unroll 16
    for (unsigned i = 0; i < count; i++)
        f[i] = (struct dissect_field){.id = spec[i].id,
                                      .layer = layer,
                                      .flags = flags,
                                      .offset = off + spec[i].off,
                                      .length = spec[i].len,
                                      .v = v[i]};
    d->nfields = (uint16_t)(n + count);
}

/*
 * An address field of len bytes starting at `at` (already bounds-checked by the caller's cursor);
 * len is its format's size: 4 for DF_IPV4, kept in the value itself, 6 for DF_MAC or 16 for
 * DF_IPV6, appended to the pool with the value holding their offset. When the pool has no room
 * the field is dropped and counted, like one past the end of the field table.
 */
static inline void d_bytes(struct dissection *d, enum dissect_field_id id, const uint8_t *at,
                           uint32_t len)
{
    struct dissect_field *f;
    if (len == 4) {
        if ((f = d_field(d, id, at, len)) != NULL) memcpy(&f->v, at, 4);
        return;
    }
    if ((uint32_t)d->pool_used + len > DISSECT_POOL_SIZE) {
        d_fields_full(d, at);
        return;
    }
    if ((f = d_field(d, id, at, len)) == NULL) return;
    memcpy(d->pool + d->pool_used, at, len);
    f->v = d->pool_used;
    d->pool_used = (uint16_t)(d->pool_used + len);
}

/* Copies raw bytes into the pool, escaping what is not printable ASCII; {0,0} when full. */
struct dissect_str d_pool_escaped(struct dissection *d, const uint8_t *src, size_t n);

/* Incremental pool string: begin, append (escaped), finish. Fails silently when full. */
struct pool_builder {
    uint32_t start;
    uint32_t len;
    bool overflow;
};
void d_pool_begin(struct dissection *d, struct pool_builder *b);
void d_pool_append(struct dissection *d, struct pool_builder *b, const uint8_t *src, size_t n);
void d_pool_appendc(struct dissection *d, struct pool_builder *b, char ch);
bool d_pool_end(struct dissection *d, struct pool_builder *b, struct dissect_str *out);

/* A string field whose text is already in the pool. */
void d_str(struct dissection *d, enum dissect_field_id id, const uint8_t *at, uint32_t len,
           struct dissect_str s);

/* What an L4 dissector needs from the IP header above it (pseudo-header, declared length). */
struct ip_ctx {
    uint8_t version;
    const uint8_t *src, *dst; /* 4 or 16 bytes, inside the frame */
    uint32_t l4_len;          /* L4 length as the IP header declares it */
    bool complete;            /* the whole declared L4 segment was captured */
    bool nonfirst_fragment;
    bool fragment; /* part of a fragmented datagram: L4 lengths may exceed l4_len */
};

/* Internet checksum (RFC 1071) of p[0..n), complemented, in network order: 0 when the data holds
 * a correct checksum. d_csum_l4() sums the IPv4/IPv6 pseudo-header for proto and len first. */
uint16_t d_csum(const uint8_t *p, size_t n);
uint16_t d_csum_l4(const struct ip_ctx *ip, uint8_t proto, uint32_t len, const uint8_t *p,
                   size_t n);

/* Per-layer entry points: c is the window from the layer's first byte to its parent's end. */
void dissect_eth(struct dissection *d, struct cursor c);
void dissect_ethertype(struct dissection *d, uint16_t type, struct cursor c);
void dissect_vlan(struct dissection *d, uint16_t tpid, struct cursor c);
void dissect_llc(struct dissection *d, struct cursor c);
void dissect_sll(struct dissection *d, struct cursor c);
void dissect_sll2(struct dissection *d, struct cursor c);
void dissect_null(struct dissection *d, struct cursor c, bool loop);
void dissect_arp(struct dissection *d, struct cursor c);
void dissect_ipv4(struct dissection *d, struct cursor c);
void dissect_ipv6(struct dissection *d, struct cursor c);
void dissect_ip_payload(struct dissection *d, uint8_t proto, struct cursor c,
                        const struct ip_ctx *ip);
void dissect_esp(struct dissection *d, struct cursor c, const struct ip_ctx *ip);
void dissect_icmp(struct dissection *d, struct cursor c, const struct ip_ctx *ip);
void dissect_icmpv6(struct dissection *d, struct cursor c, const struct ip_ctx *ip);
void dissect_tcp(struct dissection *d, struct cursor c, const struct ip_ctx *ip);
void dissect_udp(struct dissection *d, struct cursor c, const struct ip_ctx *ip);
void dissect_dns(struct dissection *d, struct cursor c, bool tcp, bool mdns);
void dissect_dhcp(struct dissection *d, struct cursor c);
bool dissect_http(struct dissection *d, struct cursor c);
bool dissect_tls(struct dissection *d, struct cursor c);

static inline bool d_checksums(const struct dissection *d)
{
    return !(d->opts & DISSECT_OPT_NO_CHECKSUMS);
}

/* Records L4 ports/payload into meta unless inside a quoted header. */
static inline bool d_outer(const struct dissection *d)
{
    return d->inner == 0;
}

/* Starts a layer at c->p; returns false (and records dissect.too_many_layers) at the cap. Inline:
 * every layer of every frame starts here. */
static inline bool d_push(struct dissection *d, enum dissect_proto proto, const struct cursor *c)
{
    if (__builtin_expect(d->nlayers >= DISSECT_MAX_LAYERS, 0)) {
        d_event(d, DE_TOO_MANY_LAYERS, c->p);
        return false;
    }
    struct dissect_layer *l = &d->layers[d->nlayers++];
    *l = (struct dissect_layer){.proto = (uint8_t)proto,
                                .pad = 0,
                                .first_field = d->nfields,
                                .nfields = 0,
                                .pad2 = 0,
                                .offset = d_off(d, c->p),
                                .length = (uint32_t)cur_left(c)};
    if (d_outer(d)) d->top = (uint8_t)proto; /* a quoted packet is not the protocol of the frame */
    return true;
}

#endif
