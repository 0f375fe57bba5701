/*
 * json.c — one JSON object per frame, keyed by Wireshark display-filter names.
 *
 * Layout: frame.* first (number, time_epoch, len, cap_len, protocols), then every field of the
 * tree in order of first appearance; a name that occurs more than once (QinQ vlan.id, several
 * dns.a, the outer and the quoted ip.src of an ICMP error) becomes an array in tree order.
 * Unsigned decimal values are JSON numbers, everything else strings (as tshark -T json does for
 * hex and addresses). Then "events": [{"name","layer","offset"}], and "fields_dropped" when
 * the tree overflowed.
 *
 * Strings from packets are already escaped to printable ASCII by the dissectors, but this file
 * does not rely on that: every string goes through json_str(), which escapes quotes,
 * backslashes and control bytes and replaces bytes >= 0x80 with \u00XX.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sbuf.h"

static void json_str(struct sbuf *s, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sb_ch(s, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            run++;
            continue;
        }
        sb_mem(s, p + i - run, run);
        run = 0;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            sb_mem(s, esc, 2);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sb_mem(s, esc, 6);
        }
    }
    sb_mem(s, p + n - run, run);
    sb_ch(s, '"');
}

static void json_cstr(struct sbuf *s, const char *p)
{
    json_str(s, p, strlen(p));
}

static void json_value(struct sbuf *s, const struct dissection *d, const struct dissect_field *f)
{
    const struct dissect_field_info *fi = dissect_field_info(f->id);
    switch (fi->fmt) {
    case DF_UINT:
        sb_u(s, dissect_field_u(f));
        return;
    case DF_STR: {
        struct dissect_str str = dissect_field_str(f);
        if ((size_t)str.off + str.len <= DISSECT_POOL_SIZE)
            json_str(s, d->pool + str.off, str.len);
        else
            sb_str(s, "\"\"");
        return;
    }
    /* Our own formatting of fixed-size values needs no escaping. */
    case DF_HEX8:
    case DF_HEX16:
    case DF_HEX24:
    case DF_HEX32:
        sb_str(s, "\"0x");
        sb_hex(s, dissect_field_u(f),
               fi->fmt == DF_HEX8    ? 2
               : fi->fmt == DF_HEX16 ? 4
               : fi->fmt == DF_HEX24 ? 6
                                     : 8);
        sb_ch(s, '"');
        return;
    case DF_MAC:
        sb_ch(s, '"'), sb_mac(s, dissect_field_bytes(d, f)), sb_ch(s, '"');
        return;
    case DF_IPV4:
        sb_ch(s, '"'), sb_ip4(s, dissect_field_bytes(d, f)), sb_ch(s, '"');
        return;
    case DF_IPV6:
        sb_ch(s, '"'), sb_ip6(s, dissect_field_bytes(d, f)), sb_ch(s, '"');
        return;
    default:
        break;
    }
    char tmp[64];
    size_t n = dissect_field_text(d, f, tmp, sizeof tmp);
    json_str(s, tmp, n < sizeof tmp ? n : sizeof tmp - 1);
}

static void json_key(struct sbuf *s, const char *k)
{
    sb_str(s, ",\"");
    sb_str(s, k); /* our own names: no escaping needed */
    sb_str(s, "\":");
}

size_t dissect_json_format(const struct dissection *d, const struct dissect_frame_info *fi,
                           char *buf, size_t len)
{
    struct sbuf s;
    sb_init(&s, buf, len);
    sb_str(&s, "{\"frame.number\":");
    sb_u(&s, fi->number);
    json_key(&s, "frame.time_epoch");
    sb_ch(&s, '"');
    sb_u(&s, fi->ts_ns / 1000000000u);
    sb_ch(&s, '.');
    sb_u0(&s, fi->ts_ns % 1000000000u, 9);
    sb_ch(&s, '"');
    json_key(&s, "frame.len");
    sb_u(&s, fi->wirelen);
    json_key(&s, "frame.cap_len");
    sb_u(&s, fi->caplen);
    json_key(&s, "frame.protocols");
    char protos[256];
    struct sbuf ps;
    sb_init(&ps, protos, sizeof protos);
    for (unsigned i = 0; i < d->nlayers; i++) {
        if (i) sb_ch(&ps, ':');
        sb_str(&ps, dissect_proto_abbrev(d->layers[i].proto));
    }
    json_str(&s, protos, ps.len < sizeof protos ? ps.len : sizeof protos - 1);

    /* Group by name in order of first appearance: count each id once, then emit each name at its
     * first occurrence with all its values (an array when there are several). */
    uint8_t count[FLD_COUNT];
    memset(count, 0, sizeof count);
    for (unsigned i = 0; i < d->nfields; i++) {
        unsigned id = d->fields[i].id;
        if (id < FLD_COUNT && count[id] < 255) count[id]++;
    }
    for (unsigned i = 0; i < d->nfields; i++) {
        unsigned id = d->fields[i].id;
        if (id >= FLD_COUNT || count[id] == 0) continue; /* 0: already emitted */
        json_key(&s, dissect_field_info(id)->name);
        if (count[id] == 1) {
            json_value(&s, d, &d->fields[i]);
        } else {
            sb_ch(&s, '[');
            for (unsigned j = i, k = 0; j < d->nfields; j++) {
                if (d->fields[j].id != id) continue;
                if (k++) sb_ch(&s, ',');
                json_value(&s, d, &d->fields[j]);
            }
            sb_ch(&s, ']');
        }
        count[id] = 0;
    }
    json_key(&s, "events");
    sb_ch(&s, '[');
    for (unsigned i = 0; i < d->nevents; i++) {
        const struct dissect_event_rec *e = &d->events[i];
        if (i) sb_ch(&s, ',');
        sb_str(&s, "{\"name\":");
        json_cstr(&s, dissect_event_name(e->id));
        sb_str(&s, ",\"layer\":");
        json_cstr(&s, e->layer < d->nlayers ? dissect_proto_abbrev(d->layers[e->layer].proto)
                                            : "frame");
        sb_str(&s, ",\"offset\":");
        sb_u(&s, e->offset);
        sb_ch(&s, '}');
    }
    sb_ch(&s, ']');
    if (d->fields_dropped) {
        json_key(&s, "fields_dropped");
        sb_u(&s, d->fields_dropped);
    }
    sb_ch(&s, '}');
    return s.len;
}

int dissect_json(FILE *out, const struct dissection *d, const struct dissect_frame_info *fi)
{
    /* Worst case: every field a 4 KB pool string escaped 6x is far beyond this, so grow once. */
    char stack[16384];
    size_t n = dissect_json_format(d, fi, stack, sizeof stack);
    char *buf = stack;
    if (n >= sizeof stack) {
        buf = malloc(n + 1);
        if (!buf) return -1;
        dissect_json_format(d, fi, buf, n + 1);
    }
    int rc = (fwrite(buf, 1, n, out) == n && fputc('\n', out) != EOF) ? 0 : -1;
    if (buf != stack) free(buf);
    return rc;
}
