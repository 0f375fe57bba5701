/*
 * print.c — the summary (src, dst, protocol, info) and the `tcpdump -nn` style line.
 *
 * Everything here reads only the dissection (meta and fields), never the frame bytes, so the
 * same code serves --print, the Packets tab summary written into segment 2, and anything that
 * copied a dissection. The wording follows tcpdump 4.99's non-verbose output for the common
 * protocols (print-tcp.c, print-udp.c, print-domain.c, print-icmp.c, print-arp.c), so a line
 * can be compared with tcpdump's; uncommon protocols get a short generic description.
 *
 * tcpdump prints TCP sequence numbers relative to the first one it saw with ACK set; that needs
 * per-connection state, kept in a print_ctx (a fixed-size open-addressing table keyed by the
 * flow key, where a collision simply replaces the older connection).
 */
#include <stdlib.h>
#include <time.h>

#include "sbuf.h"

#define SEQ_SLOTS 8192 /* power of two */

struct seq_slot {
    struct shm_flow_key key;
    uint32_t seq, ack; /* tcpdump's th->seq / th->ack for endpoint a's view */
    bool used;
};

struct print_ctx {
    time_t cached_sec;
    char cached_hms[16];
    bool have_cache;
    struct seq_slot slots[SEQ_SLOTS];
};

struct print_ctx *print_ctx_new(void)
{
    return calloc(1, sizeof(struct print_ctx));
}

void print_ctx_free(struct print_ctx *ctx)
{
    free(ctx);
}

static uint32_t key_hash(const struct shm_flow_key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < sizeof *k; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* tcpdump's relative-sequence logic (print-tcp.c): adjust seq and ack, return the bases used. */
static void relative_seq(struct print_ctx *ctx, const struct dissection *d, uint32_t *seq,
                         uint32_t *ack, uint32_t *base_seq, uint32_t *base_ack, bool *rel)
{
    *rel = false;
    *base_seq = *base_ack = 0;
    if (!ctx || !(d->m.tcp_flags & DISSECT_TCP_ACK)) return;
    struct shm_flow_key k;
    int dir;
    if (!dissect_flow_key(d, &k, &dir)) return;
    k.vlan = 0; /* tcpdump keys on addresses and ports only */
    struct seq_slot *s = &ctx->slots[key_hash(&k) & (SEQ_SLOTS - 1)];
    bool found = s->used && memcmp(&s->key, &k, sizeof k) == 0;
    if (!found || (d->m.tcp_flags & DISSECT_TCP_SYN)) {
        s->used = true;
        s->key = k;
        if (dir) {
            s->ack = *seq;
            s->seq = *ack - 1;
        } else {
            s->seq = *seq;
            s->ack = *ack - 1;
        }
    } else {
        if (dir) {
            *seq -= s->ack;
            *ack -= s->seq;
        } else {
            *seq -= s->seq;
            *ack -= s->ack;
        }
        *rel = true;
    }
    *base_seq = dir ? s->ack : s->seq;
    *base_ack = dir ? s->seq : s->ack;
}

static const char *dns_type_name(unsigned t, char *tmp, size_t len)
{
    switch (t) {
    case 1:
        return "A";
    case 2:
        return "NS";
    case 5:
        return "CNAME";
    case 6:
        return "SOA";
    case 12:
        return "PTR";
    case 13:
        return "HINFO";
    case 15:
        return "MX";
    case 16:
        return "TXT";
    case 28:
        return "AAAA";
    case 33:
        return "SRV";
    case 35:
        return "NAPTR";
    case 39:
        return "DNAME";
    case 41:
        return "OPT";
    case 43:
        return "DS";
    case 46:
        return "RRSIG";
    case 47:
        return "NSEC";
    case 48:
        return "DNSKEY";
    case 50:
        return "NSEC3";
    case 64:
        return "SVCB";
    case 65:
        return "HTTPS";
    case 99:
        return "SPF";
    case 251:
        return "IXFR";
    case 252:
        return "AXFR";
    case 255:
        return "ANY";
    case 257:
        return "CAA";
    }
    snprintf(tmp, len, "Type%u", t);
    return tmp;
}

static const char *const dns_rcodes[16] = {
    "",          " FormErr", " ServFail", " NXDomain", " NotImp",  " Refused",
    " YXDomain", " YXRRSet", " NXRRSet",  " NotAuth",  " NotZone", " Resp11",
    " Resp12",   " Resp13",  " Resp14",   " NoChange",
};
static const char *const dns_ops[16] = {
    "",     " inv_q",   " stat",    " op3",      " notify",  " update",   " op6",      " op7",
    " op8", " updateA", " updateD", " updateDA", " updateM", " updateMA", " zoneInit", " zoneRef",
};

static void dns_name_dot(struct sbuf *s, const struct dissection *d, struct dissect_str n)
{
    sb_pool(s, d, n);
    sb_ch(s, '.');
}

/* print-domain.c, non-verbose. */
static void dns_info(struct sbuf *s, const struct dissection *d)
{
    const struct dissect_meta *m = &d->m;
    char tmp[16];
    uint16_t f = m->dns_flags;
    unsigned op = (f >> 11) & 15;
    sb_u(s, m->dns_id);
    if (f & 0x8000) {
        sb_str(s, dns_ops[op]);
        sb_str(s, dns_rcodes[f & 15]);
        if (f & 0x0400) sb_ch(s, '*');
        if (!(f & 0x0080)) sb_ch(s, '-');
        if (f & 0x0200) sb_ch(s, '|');
        if (f & 0x0020) sb_ch(s, '$');
        if (m->dns_qd != 1) {
            sb_str(s, " [");
            sb_u(s, m->dns_qd);
            sb_str(s, "q]");
        }
        sb_ch(s, ' ');
        sb_u(s, m->dns_an);
        sb_ch(s, '/');
        sb_u(s, m->dns_ns);
        sb_ch(s, '/');
        sb_u(s, m->dns_ar);
        /* Answers: each record is resp.name, resp.type, ..., then its data field(s). */
        int printed = 0;
        for (unsigned i = 0; i < d->nfields; i++) {
            const struct dissect_field *fl = &d->fields[i];
            if (fl->flags != DNS_SECTION_ANSWER || fl->id != FLD_DNS_RESP_TYPE) continue;
            if (printed++) sb_ch(s, ',');
            sb_ch(s, ' ');
            sb_str(s, dns_type_name(dissect_field_u(fl), tmp, sizeof tmp));
            for (unsigned j = i + 1; j < d->nfields && d->fields[j].flags == DNS_SECTION_ANSWER &&
                                     d->fields[j].id != FLD_DNS_RESP_NAME;
                 j++) {
                const struct dissect_field *v = &d->fields[j];
                switch (v->id) {
                case FLD_DNS_A:
                    sb_ch(s, ' '), sb_ip4(s, dissect_field_bytes(d, v));
                    break;
                case FLD_DNS_AAAA:
                    sb_ch(s, ' '), sb_ip6(s, dissect_field_bytes(d, v));
                    break;
                case FLD_DNS_CNAME:
                case FLD_DNS_PTR:
                case FLD_DNS_NS:
                case FLD_DNS_MX:
                    sb_ch(s, ' '), dns_name_dot(s, d, dissect_field_str(v));
                    break;
                case FLD_DNS_MX_PREF:
                    break;
                case FLD_DNS_TXT:
                    sb_str(s, " \"");
                    sb_pool(s, d, dissect_field_str(v));
                    sb_ch(s, '"');
                    break;
                default:
                    break;
                }
                if (v->id == FLD_DNS_MX) {
                    int p = dissect_find_field(d, FLD_DNS_MX_PREF, (int)i);
                    if (p >= 0 && (unsigned)p < j) {
                        sb_ch(s, ' ');
                        sb_u(s, dissect_field_u(&d->fields[p]));
                    }
                }
            }
        }
    } else {
        sb_str(s, dns_ops[op]);
        if (f & 0x0100) sb_ch(s, '+');
        if (f & 0x0010) sb_ch(s, '%');
        if (f & 0x6cf) {
            sb_str(s, " [b2&3=0x");
            sb_hex(s, f, 1);
            sb_ch(s, ']');
        }
        if (m->dns_an) {
            sb_str(s, " [");
            sb_u(s, m->dns_an);
            sb_str(s, "a]");
        }
        if (m->dns_qd != 1) {
            sb_str(s, " [");
            sb_u(s, m->dns_qd);
            sb_str(s, "q]");
        }
        if (m->dns_ns) {
            sb_str(s, " [");
            sb_u(s, m->dns_ns);
            sb_str(s, "n]");
        }
        if (m->dns_ar) {
            sb_str(s, " [");
            sb_u(s, m->dns_ar);
            sb_str(s, "au]");
        }
        int printed = 0;
        for (int i = dissect_find_field(d, FLD_DNS_QRY_NAME, 0); i >= 0;
             i = dissect_find_field(d, FLD_DNS_QRY_NAME, i + 1)) {
            if (d->layers[d->fields[i].layer].proto != DP_DNS &&
                d->layers[d->fields[i].layer].proto != DP_MDNS)
                continue;
            int t = dissect_find_field(d, FLD_DNS_QRY_TYPE, i);
            int c = dissect_find_field(d, FLD_DNS_QRY_CLASS, i);
            if (printed++) sb_ch(s, ',');
            sb_ch(s, ' ');
            sb_str(s, dns_type_name(t >= 0 ? dissect_field_u(&d->fields[t]) : 0, tmp, sizeof tmp));
            unsigned cls = c >= 0 ? dissect_field_u(&d->fields[c]) : 1;
            if (d->top == DP_MDNS || dissect_has_proto(d, DP_MDNS)) {
                if ((cls & 0x7fff) != 1) {
                    sb_str(s, " (Class ");
                    sb_u(s, cls & 0x7fff);
                    sb_ch(s, ')');
                }
                sb_str(s, cls & 0x8000 ? " (QU)" : " (QM)");
            } else if (cls != 1) {
                sb_str(s, cls == 3 ? " CHAOS" : cls == 255 ? " ANY" : " (Class ");
                if (cls != 3 && cls != 255) {
                    sb_u(s, cls);
                    sb_ch(s, ')');
                }
            }
            sb_str(s, "? ");
            dns_name_dot(s, d, dissect_field_str(&d->fields[i]));
        }
    }
}

static uint32_t dns_len(const struct dissection *d)
{
    const struct dissect_meta *m = &d->m;
    uint32_t end = m->payload_offset + m->payload_len;
    return end > m->dns_offset ? end - m->dns_offset : 0;
}

static void tcp_info(struct sbuf *s, struct print_ctx *ctx, const struct dissection *d)
{
    const struct dissect_meta *m = &d->m;
    uint16_t fl = m->tcp_flags;
    sb_str(s, "Flags [");
    static const struct {
        uint16_t bit;
        char ch;
    } names[] = {{DISSECT_TCP_FIN, 'F'}, {DISSECT_TCP_SYN, 'S'}, {DISSECT_TCP_RST, 'R'},
                 {DISSECT_TCP_PSH, 'P'}, {DISSECT_TCP_ACK, '.'}, {DISSECT_TCP_URG, 'U'},
                 {DISSECT_TCP_ECE, 'E'}, {DISSECT_TCP_CWR, 'W'}};
    bool any = false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (fl & names[i].bit) sb_ch(s, names[i].ch), any = true;
    if (!any) sb_str(s, "none");
    sb_ch(s, ']');
    /* The outer TCP layer's fields are contiguous: look there, not through the whole tree. */
    int hl = -1;
    for (unsigned l = 0; l < d->nlayers && hl < 0; l++) {
        if (d->layers[l].proto != DP_TCP) continue;
        for (unsigned i = d->layers[l].first_field; i < d->nfields && d->fields[i].layer == l; i++)
            if (d->fields[i].id == FLD_TCP_HDR_LEN) {
                hl = (int)i;
                break;
            }
        break;
    }
    if (hl < 0) {
        sb_str(s, " [|tcp]");
        return;
    }
    uint32_t seq = m->tcp_seq, ack = m->tcp_ack, bseq, back;
    bool rel;
    relative_seq(ctx, d, &seq, &ack, &bseq, &back, &rel);
    uint32_t length = m->payload_len;
    if (length > 0 || (fl & (DISSECT_TCP_SYN | DISSECT_TCP_FIN | DISSECT_TCP_RST))) {
        sb_str(s, ", seq ");
        sb_u(s, seq);
        if (length > 0) {
            sb_ch(s, ':');
            sb_u(s, (uint32_t)(seq + length));
        }
    }
    if (fl & DISSECT_TCP_ACK) {
        sb_str(s, ", ack ");
        sb_u(s, ack);
    }
    sb_str(s, ", win ");
    sb_u(s, m->tcp_win);
    if (fl & DISSECT_TCP_URG) {
        sb_str(s, ", urg ");
        sb_u(s, m->tcp_urp);
    }
    /* Options, in header order, from the TCP layer's fields. */
    bool opened = false;
    unsigned tcp_layer = d->fields[hl].layer;
    const struct dissect_layer *L = &d->layers[tcp_layer];
    for (unsigned i = L->first_field; i < (unsigned)L->first_field + L->nfields; i++) {
        const struct dissect_field *f = &d->fields[i];
        const char *name = NULL;
        switch (f->id) {
        case FLD_TCP_OPTION_KIND:
            switch (dissect_field_u(f)) {
            case 0:
                name = "eol";
                break;
            case 1:
                name = "nop";
                break;
            case 5:
                name = "sack";
                break;
            case 19:
                name = "md5";
                break;
            case 28:
                name = "uto";
                break;
            case 29:
                name = "tcp-ao";
                break;
            case 30:
                name = "mptcp";
                break;
            case 34:
                name = "tfo";
                break;
            default:
                name = NULL; /* printed as unknown-KIND */
                break;
            }
            break;
        case FLD_TCP_OPT_MSS:
            name = "mss";
            break;
        case FLD_TCP_OPT_WSCALE:
            name = "wscale";
            break;
        case FLD_TCP_OPT_SACK_PERM:
            name = "sackOK";
            break;
        case FLD_TCP_OPT_TSVAL:
            name = "TS";
            break;
        default:
            continue;
        }
        sb_str(s, opened ? "," : ", options [");
        opened = true;
        if (!name) {
            sb_str(s, "unknown-");
            sb_u(s, dissect_field_u(f));
            continue;
        }
        sb_str(s, name);
        switch (f->id) {
        case FLD_TCP_OPT_MSS:
        case FLD_TCP_OPT_WSCALE:
            sb_ch(s, ' ');
            sb_u(s, dissect_field_u(f));
            break;
        case FLD_TCP_OPT_TSVAL:
            sb_str(s, " val ");
            sb_u(s, dissect_field_u(f));
            if (i + 1 < d->nfields && d->fields[i + 1].id == FLD_TCP_OPT_TSECR) {
                sb_str(s, " ecr ");
                sb_u(s, dissect_field_u(&d->fields[i + 1]));
            }
            break;
        case FLD_TCP_OPTION_KIND:
            if (dissect_field_u(f) == 5) {
                unsigned n = 0;
                for (unsigned j = i + 1;
                     j + 1 < d->nfields && d->fields[j].id == FLD_TCP_OPT_SACK_LE &&
                     d->fields[j + 1].id == FLD_TCP_OPT_SACK_RE;
                     j += 2)
                    n++;
                sb_ch(s, ' ');
                sb_u(s, n);
                sb_ch(s, ' ');
                for (unsigned j = i + 1, k = 0; k < n; j += 2, k++) {
                    uint32_t le = dissect_field_u(&d->fields[j]),
                             re = dissect_field_u(&d->fields[j + 1]);
                    if (rel) le -= back, re -= back;
                    sb_ch(s, '{');
                    sb_u(s, le);
                    sb_ch(s, ':');
                    sb_u(s, re);
                    sb_ch(s, '}');
                }
            }
            break;
        default:
            break;
        }
    }
    if (opened) sb_ch(s, ']');
    sb_str(s, ", length ");
    sb_u(s, length);
    if (dissect_has_proto(d, DP_DNS) && d->m.has_dns) {
        sb_ch(s, ' ');
        dns_info(s, d);
        sb_str(s, " (");
        sb_u(s, dns_len(d));
        sb_ch(s, ')');
    } else if (dissect_has_proto(d, DP_HTTP) && m->http_line.len) {
        sb_str(s, ": HTTP: ");
        sb_pool(s, d, m->http_line);
    }
}

static const char *icmp_type_name(unsigned type)
{
    switch (type) {
    case 0:
        return "echo reply";
    case 4:
        return "source quench";
    case 5:
        return "redirect";
    case 8:
        return "echo request";
    case 9:
        return "router advertisement";
    case 10:
        return "router solicitation";
    case 11:
        return "time exceeded";
    case 12:
        return "parameter problem";
    case 13:
        return "time stamp request";
    case 14:
        return "time stamp reply";
    }
    return NULL;
}

/* The first inner (quoted) field with this id after the ICMP layer. */
static int inner_field(const struct dissection *d, unsigned id)
{
    int icmp = -1;
    for (unsigned i = 0; i < d->nlayers; i++)
        if (d->layers[i].proto == DP_ICMP || d->layers[i].proto == DP_ICMPV6) {
            icmp = (int)i;
            break;
        }
    if (icmp < 0) return -1;
    for (int i = dissect_find_field(d, id, 0); i >= 0; i = dissect_find_field(d, id, i + 1))
        if (d->fields[i].layer > icmp) return i;
    return -1;
}

static void icmp_info(struct sbuf *s, const struct dissection *d)
{
    const struct dissect_meta *m = &d->m;
    uint32_t length = m->ip_len >= (m->l4_offset - m->ip_offset) + 0u
                          ? m->ip_len - (m->l4_offset - m->ip_offset)
                          : 0;
    sb_str(s, "ICMP ");
    if (dissect_find_field(d, FLD_ICMP_CODE, 0) < 0) {
        sb_str(s, "[|icmp]");
        return;
    }
    const char *name = icmp_type_name(m->icmp_type);
    if (m->icmp_type == 0 || m->icmp_type == 8) {
        sb_str(s, name);
        sb_str(s, ", id ");
        sb_u(s, m->icmp_id);
        sb_str(s, ", seq ");
        sb_u(s, m->icmp_seq);
    } else if (m->icmp_type == 3) {
        int dst = inner_field(d, FLD_IP_DST), proto = inner_field(d, FLD_IP_PROTO);
        int up = inner_field(d, FLD_UDP_DSTPORT), tp = inner_field(d, FLD_TCP_DSTPORT);
        if (m->icmp_code == 3 && dst >= 0 && (up >= 0 || tp >= 0)) {
            sb_ip4(s, dissect_field_bytes(d, &d->fields[dst]));
            sb_str(s, up >= 0 ? " udp port " : " tcp port ");
            sb_u(s, dissect_field_u(&d->fields[up >= 0 ? up : tp]));
            sb_str(s, " unreachable");
        } else if (m->icmp_code == 2 && dst >= 0 && proto >= 0) {
            sb_ip4(s, dissect_field_bytes(d, &d->fields[dst]));
            sb_str(s, " protocol ");
            sb_u(s, dissect_field_u(&d->fields[proto]));
            sb_str(s, " unreachable");
        } else if ((m->icmp_code == 0 || m->icmp_code == 1) && dst >= 0) {
            sb_str(s, m->icmp_code == 0 ? "net " : "host ");
            sb_ip4(s, dissect_field_bytes(d, &d->fields[dst]));
            sb_str(s, " unreachable");
        } else {
            sb_str(s, "unreachable, code ");
            sb_u(s, m->icmp_code);
        }
    } else if (m->icmp_type == 11) {
        sb_str(s, m->icmp_code == 0 ? "time exceeded in-transit" : "ip reassembly time exceeded");
    } else if (name) {
        sb_str(s, name);
    } else {
        sb_str(s, "type-#");
        sb_u(s, m->icmp_type);
    }
    sb_str(s, ", length ");
    sb_u(s, length);
}

static void icmp6_info(struct sbuf *s, const struct dissection *d)
{
    const struct dissect_meta *m = &d->m;
    uint32_t length = m->payload_len + (m->payload_offset - m->l4_offset);
    sb_str(s, "ICMP6, ");
    if (dissect_find_field(d, FLD_ICMPV6_CODE, 0) < 0) {
        sb_str(s, "[|icmp6]");
        return;
    }
    int t;
    switch (m->icmp_type) {
    case 1:
        sb_str(s, "destination unreachable");
        break;
    case 2:
        sb_str(s, "packet too big");
        if ((t = dissect_find_field(d, FLD_ICMPV6_MTU, 0)) >= 0) {
            sb_str(s, ", mtu ");
            sb_u(s, dissect_field_u(&d->fields[t]));
        }
        break;
    case 3:
        sb_str(s, "time exceeded in-transit");
        break;
    case 4:
        sb_str(s, "parameter problem");
        break;
    case 128:
    case 129:
        sb_str(s, m->icmp_type == 128 ? "echo request, id " : "echo reply, id ");
        sb_u(s, m->icmp_id);
        sb_str(s, ", seq ");
        sb_u(s, m->icmp_seq);
        break;
    case 130:
        /* print-icmp6.c: v2 queries are 28+ bytes long */
        if (length >= 28) {
            sb_str(s, "multicast listener query v2");
            if ((t = dissect_find_field(d, FLD_ICMPV6_MLD_ADDR, 0)) >= 0) {
                sb_str(s, " [gaddr ");
                sb_ip6(s, dissect_field_bytes(d, &d->fields[t]));
                sb_ch(s, ']');
            }
        } else {
            sb_str(s, "multicast listener query");
            if ((t = dissect_find_field(d, FLD_ICMPV6_MLD_ADDR, 0)) >= 0) {
                sb_str(s, " max resp delay: ");
                sb_u(s, dissect_field_u(&d->fields[t - 1]));
                sb_str(s, " addr: ");
                sb_ip6(s, dissect_field_bytes(d, &d->fields[t]));
            }
        }
        break;
    case 131:
        sb_str(s, "multicast listener report");
        break;
    case 132:
        sb_str(s, "multicast listener done");
        break;
    case 133:
        sb_str(s, "router solicitation");
        break;
    case 134:
        sb_str(s, "router advertisement");
        break;
    case 135:
        sb_str(s, "neighbor solicitation");
        if ((t = dissect_find_field(d, FLD_ICMPV6_ND_NS_TARGET, 0)) >= 0) {
            sb_str(s, ", who has ");
            sb_ip6(s, dissect_field_bytes(d, &d->fields[t]));
        }
        break;
    case 136:
        sb_str(s, "neighbor advertisement");
        if ((t = dissect_find_field(d, FLD_ICMPV6_ND_NA_TARGET, 0)) >= 0) {
            sb_str(s, ", tgt is ");
            sb_ip6(s, dissect_field_bytes(d, &d->fields[t]));
        }
        break;
    case 137:
        sb_str(s, "redirect");
        break;
    case 143:
        sb_str(s, "multicast listener report v2");
        if ((t = dissect_find_field(d, FLD_ICMPV6_MLDR_RECORDS, 0)) >= 0) {
            sb_str(s, ", ");
            sb_u(s, dissect_field_u(&d->fields[t]));
            sb_str(s, " group record(s)");
        }
        break;
    default:
        sb_str(s, "type-#");
        sb_u(s, m->icmp_type);
        break;
    }
    sb_str(s, ", length ");
    sb_u(s, length);
}

static void udp_info(struct sbuf *s, const struct dissection *d)
{
    const struct dissect_meta *m = &d->m;
    if (m->has_dns && (dissect_has_proto(d, DP_DNS) || dissect_has_proto(d, DP_MDNS))) {
        dns_info(s, d);
        sb_str(s, " (");
        sb_u(s, m->payload_len);
        sb_ch(s, ')');
        return;
    }
    if (dissect_has_proto(d, DP_DHCP) && dissect_find_field(d, FLD_DHCP_OP, 0) >= 0) {
        sb_str(s, "BOOTP/DHCP, ");
        if (m->dhcp_op == 1) {
            sb_str(s, "Request from ");
            sb_mac(s, m->dhcp_chaddr);
        } else if (m->dhcp_op == 2) {
            sb_str(s, "Reply");
        } else {
            sb_str(s, "op ");
            sb_u(s, m->dhcp_op);
        }
        sb_str(s, ", length ");
        sb_u(s, m->payload_len);
        return;
    }
    if (dissect_find_field(d, FLD_UDP_LENGTH, 0) < 0) {
        sb_str(s, "[|udp]");
        return;
    }
    sb_str(s, "UDP, length ");
    sb_u(s, m->payload_len);
}

static void arp_info(struct sbuf *s, const struct dissection *d, unsigned layer)
{
    const struct dissect_meta *m = &d->m;
    uint32_t length = m->wirelen - d->layers[layer].offset;
    static const uint8_t zero[6];
    sb_str(s, "ARP, ");
    if (!m->has_arp || dissect_find_field(d, FLD_ARP_SRC_IP, 0) < 0) {
        if (dissect_find_field(d, FLD_ARP_OPCODE, 0) < 0) {
            sb_str(s, "[|ARP]");
            return;
        }
        sb_str(s, "opcode ");
        sb_u(s, m->arp_op);
    } else if (m->arp_op == 1) {
        sb_str(s, "Request who-has ");
        sb_ip4(s, m->arp_tpa);
        if (memcmp(m->arp_tha, zero, 6) != 0) {
            sb_str(s, " (");
            sb_mac(s, m->arp_tha);
            sb_ch(s, ')');
        }
        sb_str(s, " tell ");
        sb_ip4(s, m->arp_spa);
    } else if (m->arp_op == 2) {
        sb_str(s, "Reply ");
        sb_ip4(s, m->arp_spa);
        sb_str(s, " is-at ");
        sb_mac(s, m->arp_sha);
    } else {
        sb_str(s, "Unknown opcode ");
        sb_u(s, m->arp_op);
    }
    sb_str(s, ", length ");
    sb_u(s, length);
}

static void addr(struct sbuf *s, const struct dissection *d, bool src)
{
    const uint8_t *a = src ? d->m.ip_src : d->m.ip_dst;
    if (d->m.ip_version == 4)
        sb_ip4(s, a);
    else
        sb_ip6(s, a);
}

/* The info part: what tcpdump prints after "IP a > b: " (or the whole text for non-IP). */
static void info(struct sbuf *s, struct print_ctx *ctx, const struct dissection *d)
{
    const struct dissect_meta *m = &d->m;
    if (m->ip_version) {
        if (m->ip_fragment && m->ip_frag_off) {
            sb_str(s, "ip-proto-");
            sb_u(s, m->ip_proto);
            return;
        }
        switch (m->ip_proto) {
        case 6:
            if (m->has_ports) { /* only TCP set them: ip_proto is 6 */
                tcp_info(s, ctx, d);
                return;
            }
            sb_str(s, "[|tcp]");
            return;
        case 17:
            if (m->has_ports) {
                udp_info(s, d);
                return;
            }
            sb_str(s, "[|udp]");
            return;
        case 1:
            if (m->ip_version == 4) {
                icmp_info(s, d);
                return;
            }
            break;
        case 58:
            if (dissect_find_field(d, FLD_IPV6_HOPOPTS_NXT, 0) >= 0) sb_str(s, "HBH ");
            icmp6_info(s, d);
            return;
        case 50: {
            /* print-esp.c: ESP(spi=0x%08x,seq=0x%x), length N */
            int spi = dissect_find_field(d, FLD_ESP_SPI, 0),
                seq = dissect_find_field(d, FLD_ESP_SEQ, 0);
            sb_str(s, "ESP");
            if (spi >= 0 && seq >= 0) {
                sb_str(s, "(spi=0x");
                sb_hex(s, dissect_field_u(&d->fields[spi]), 8);
                sb_str(s, ",seq=0x");
                sb_hex(s, dissect_field_u(&d->fields[seq]), 1);
                sb_str(s, "), length ");
                sb_u(s, m->payload_len + (m->payload_offset - m->l4_offset));
            }
            return;
        }
        }
        sb_str(s, "ip-proto-");
        sb_u(s, m->ip_proto);
        sb_ch(s, ' ');
        int hl = dissect_find_field(d, FLD_IP_HDR_LEN, 0);
        uint32_t h = m->ip_version == 6 ? 40 : hl >= 0 ? dissect_field_u(&d->fields[hl]) : 20;
        sb_u(s, m->ip_len > h ? m->ip_len - h : 0);
        return;
    }
    for (unsigned i = 0; i < d->nlayers; i++)
        if (d->layers[i].proto == DP_ARP) {
            arp_info(s, d, i);
            return;
        }
    for (unsigned i = 0; i < d->nevents; i++)
        if (d->events[i].id == DE_LINK_NOT_DECODED) {
            sb_str(s, "link type ");
            sb_u(s, m->link_type);
            sb_str(s, " not decoded, length ");
            sb_u(s, m->wirelen);
            return;
        }
    if (m->ethertype) {
        sb_str(s, "ethertype 0x");
        sb_hex(s, m->ethertype, 4);
    } else if (dissect_has_proto(d, DP_LLC)) {
        int f = dissect_find_field(d, FLD_LLC_DSAP, 0);
        sb_str(s, "LLC");
        if (f >= 0) {
            sb_str(s, ", dsap 0x");
            sb_hex(s, dissect_field_u(&d->fields[f]), 2);
        }
    } else {
        sb_str(s, dissect_proto_name(d->top));
    }
    sb_str(s, ", length ");
    sb_u(s, m->wirelen);
}

size_t dissect_info(const struct dissection *d, char *buf, size_t len)
{
    struct sbuf s;
    sb_init(&s, buf, len);
    info(&s, NULL, d);
    return s.len;
}

static void line(struct sbuf *s, struct print_ctx *ctx, const struct dissection *d)
{
    const struct dissect_meta *m = &d->m;
    if (m->ip_version) {
        sb_str(s, m->ip_version == 4 ? "IP " : "IP6 ");
        bool ports = m->has_ports && !(m->ip_fragment && m->ip_frag_off) &&
                     (m->ip_proto == 6 || m->ip_proto == 17);
        addr(s, d, true);
        if (ports) sb_ch(s, '.'), sb_u(s, m->sport);
        sb_str(s, " > ");
        addr(s, d, false);
        if (ports) sb_ch(s, '.'), sb_u(s, m->dport);
        sb_str(s, ": ");
    } else if (m->has_eth && !dissect_has_proto(d, DP_ARP) && dissect_has_proto(d, DP_ETH)) {
        sb_mac(s, m->eth_src);
        sb_str(s, " > ");
        sb_mac(s, m->eth_dst);
        sb_str(s, ", ");
    }
    info(s, ctx, d);
}

size_t dissect_line(const struct dissection *d, char *buf, size_t len)
{
    struct sbuf s;
    sb_init(&s, buf, len);
    line(&s, NULL, d);
    return s.len;
}

void dissect_summary(const struct dissection *d, struct dissect_summary *out)
{
    struct sbuf s;
    const struct dissect_meta *m = &d->m;
    out->protocol = dissect_proto_name(d->top);
    out->length = m->wirelen;
    for (int side = 0; side < 2; side++) {
        sb_init(&s, side ? out->dst : out->src, sizeof out->src);
        if (m->ip_version)
            addr(&s, d, side == 0);
        else if (m->has_arp && dissect_find_field(d, FLD_ARP_SRC_HW, 0) >= 0 && side == 0)
            sb_mac(&s, m->arp_sha);
        else if (m->has_eth && (side == 0 || dissect_has_proto(d, DP_ETH)))
            sb_mac(&s, side ? m->eth_dst : m->eth_src);
    }
    if (d->top == DP_NONE) out->protocol = m->has_eth ? "Ethernet" : "-";
    sb_init(&s, out->info, sizeof out->info);
    info(&s, NULL, d);
}

/* ---- --print -------------------------------------------------------------------------------- */

size_t dissect_print_format(struct print_ctx *ctx, const struct dissection *d,
                            const struct dissect_frame_info *fi, char *buf, size_t len)
{
    struct sbuf s;
    sb_init(&s, buf, len);
    time_t sec = (time_t)(fi->ts_ns / 1000000000u);
    char hms[16];
    if (ctx && ctx->have_cache && ctx->cached_sec == sec) {
        memcpy(hms, ctx->cached_hms, sizeof hms);
    } else {
        struct tm tm;
        localtime_r(&sec, &tm);
        snprintf(hms, sizeof hms, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (ctx) {
            ctx->cached_sec = sec;
            memcpy(ctx->cached_hms, hms, sizeof hms);
            ctx->have_cache = true;
        }
    }
    sb_str(&s, hms);
    sb_ch(&s, '.');
    sb_u0(&s, (fi->ts_ns % 1000000000u) / 1000u, 6);
    sb_ch(&s, ' ');
    line(&s, ctx, d);
    sb_ch(&s, '\n');
    return s.len;
}

int dissect_print(FILE *out, struct print_ctx *ctx, const struct dissection *d,
                  const struct dissect_frame_info *fi)
{
    char buf[1024];
    size_t n = dissect_print_format(ctx, d, fi, buf, sizeof buf);
    if (n >= sizeof buf) {
        n = sizeof buf - 1;
        buf[n - 1] = '\n';
    }
    return fwrite(buf, 1, n, out) == n ? 0 : -1;
}
