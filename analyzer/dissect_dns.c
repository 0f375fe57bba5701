/*
 * dissect_dns.c — DNS (RFC 1035) over UDP and TCP, and mDNS: header, questions and resource
 * records of all sections, with the record data of the common types (A, AAAA, CNAME, PTR, NS,
 * MX, TXT) as fields.
 *
 * Names are decoded into the dissection's string pool ("www.example.com", no trailing dot, ""
 * for the root). Compression pointers must point strictly before the label that holds them,
 * which makes every chain finite (dns.name_loop otherwise); a name longer than 255 bytes is
 * dns.name_too_long and label types 0x40/0x80 are dns.bad_label. Records are capped
 * (dns.too_many_records) so a hostile count cannot make a frame expensive. Fields carry their
 * section in dissect_field.flags (DNS_SECTION_*) so printers can show only the answers.
 */
#include "dissect_int.h"

#define DNS_MAX_QUESTIONS 8
#define DNS_MAX_RECORDS   24
#define DNS_MAX_NAME      255
#define DNS_MAX_HOPS      64

/*
 * Copies a label's n bytes (1..63) to dst eight at a time and tells whether every one is plain,
 * printable ASCII other than backslash, which d_pool_append() would copy unchanged. The caller
 * has checked that the n bytes rounded up to a multiple of 8 are inside the message and inside
 * the pool: the bytes past the label are read (but not judged) and written past the string,
 * where the separator, the next label or the NUL overwrites them. A per-byte loop and a call a
 * label made this the most expensive part of a DNS frame.
 */
static inline bool dns_copy_plain(char *dst, const uint8_t *src, size_t n)
{
    static const uint8_t live[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
    uint64_t bad = 0;
    for (size_t k = 0;; k += 8) {
        uint64_t w, lo, x;
        memcpy(&w, src + k, 8);
        memcpy(dst + k, &w, 8);
        /* Per byte, in its top bit: the byte is >= 0x80, or its low 7 bits are >= 0x7f, < 0x20
         * or a backslash. The low 7 bits plus at most 0x7f cannot carry into the next byte. */
        lo = w & ~high;
        x = w | (lo + ones) | ~(lo + ones * 0x60) | ~((lo ^ ones * 0x5c) + ones * 0x7f);
        if (n - k <= 8) {
            uint64_t mask; /* the first n - k bytes, whatever the byte order */
            memcpy(&mask, live + 8 - (n - k), 8);
            return !((bad | (x & mask)) & high);
        }
        bad |= x;
    }
}

/*
 * Reads the name at *pos (an offset into msg); on success *pos is just past it in the message.
 *
 * Labels are copied straight into the pool while the name is plain text and the pool has room
 * for the longest name (the total length check bounds what a plain name writes), with one bounds
 * check a label covering its rounded-up bytes; everything else (an escaped byte, a label too
 * close to the end of the message for the rounded read, a pool nearly full) goes through the
 * general appends, which give the same string and the same overflow as they always did.
 */
static bool dns_name(struct dissection *d, const struct cursor *msgp, size_t *pos,
                     struct dissect_str *out)
{
    /* A copy, so that the stores into the pool (chars, which may alias anything) do not make
     * the compiler reload the window every label. */
    const struct cursor m = *msgp, *msg = &m;
    const uint32_t start = d->pool_used;
    char *const str = d->pool + start;
    /* A plain name is at most DNS_MAX_NAME - 1 bytes, and the last label's copy writes at most
     * 7 bytes past it. */
    bool fast = start + DNS_MAX_NAME + 8 <= DISSECT_POOL_SIZE;
    bool overflow = false;
    uint32_t olen = 0;
    size_t p = *pos, after = 0, total = 0; /* after != 0: a pointer was followed */
    for (int hops = 0;; hops++) {
        uint8_t len;
        if (!cur_peek_be8(msg, p, &len)) goto short_;
        if ((len & 0xc0) == 0xc0) {
            uint8_t lo;
            if (!cur_peek_be8(msg, p + 1, &lo)) goto short_;
            size_t target = ((size_t)(len & 0x3f) << 8) | lo;
            if (target >= p || hops >= DNS_MAX_HOPS) {
                d_event(d, DE_DNS_NAME_LOOP, msg->p + p);
                return false;
            }
            if (!after) after = p + 2;
            p = target;
            continue;
        }
        if (len & 0xc0) {
            d_event(d, DE_DNS_BAD_LABEL, msg->p + p);
            return false;
        }
        if (len == 0) {
            if (!after) after = p + 1;
            break;
        }
        /* The rounded-up bytes inside the message imply the label's own are. */
        const uint8_t *label = cur_peek(msg, p + 1, ((size_t)len + 7) & ~(size_t)7);
        bool whole = label != NULL;
        if (!label && (label = cur_peek(msg, p + 1, len)) == NULL) {
            p++;
            goto short_;
        }
        size_t at = total; /* while fast, the string so far is each label and a dot after it */
        total += (size_t)len + 1;
        if (total > DNS_MAX_NAME) {
            d_event(d, DE_DNS_NAME_TOO_LONG, msg->p + p);
            return false;
        }
        if (fast && whole && dns_copy_plain(str + at, label, len)) {
            str[at + len] = '.';
            p += 1 + (size_t)len;
            continue;
        }
        /* The general appends for the rest of the name: escapes lengthen the string past what
         * the name's length bounds. */
        if (fast) olen = at ? (uint32_t)at - 1 : 0;
        fast = false;
        struct pool_builder b = {start, olen, overflow};
        if (b.len) d_pool_appendc(d, &b, '.');
        d_pool_append(d, &b, label, len);
        olen = b.len;
        overflow = b.overflow;
        p += 1 + (size_t)len;
    }
    *pos = after;
    if (fast) olen = total ? (uint32_t)total - 1 : 0; /* the NUL replaces the last dot */
    struct pool_builder b = {start, olen, overflow};
    return d_pool_end(d, &b, out);
short_ : {
    struct cursor at = {msg->p + (p < cur_left(msg) ? p : cur_left(msg)), msg->end};
    d_short(d, &at, DE_DNS_TRUNCATED, DE_DNS_SHORT);
    return false;
}
}

static void dns_rdata(struct dissection *d, const struct cursor *msg, size_t pos, uint16_t type,
                      uint16_t rdlen)
{
    const uint8_t *r = msg->p + pos;
    struct dissect_str s;
    size_t p = pos;
    switch (type) {
    case 1:
        if (rdlen != 4) goto bad;
        d_bytes(d, FLD_DNS_A, r, 4);
        break;
    case 28:
        if (rdlen != 16) goto bad;
        d_bytes(d, FLD_DNS_AAAA, r, 16);
        break;
    case 2:
    case 5:
    case 12:
        if (!dns_name(d, msg, &p, &s)) return;
        d_str(d, type == 2 ? FLD_DNS_NS : type == 5 ? FLD_DNS_CNAME : FLD_DNS_PTR, r, rdlen, s);
        break;
    case 15: {
        uint16_t pref = 0;
        if (rdlen < 3) goto bad;
        cur_peek_be16(msg, pos, &pref);
        p += 2;
        if (!dns_name(d, msg, &p, &s)) return;
        d_u(d, FLD_DNS_MX_PREF, r, 2, pref);
        d_str(d, FLD_DNS_MX, r + 2, rdlen - 2u, s);
        break;
    }
    case 16: {
        uint8_t tl = 0;
        const uint8_t *t;
        if (rdlen < 1 || !cur_peek_be8(msg, pos, &tl) || tl + 1u > rdlen) goto bad;
        if ((t = cur_peek(msg, pos + 1, tl)) != NULL)
            d_str(d, FLD_DNS_TXT, r, rdlen, d_pool_escaped(d, t, tl));
        break;
    }
    }
    return;
bad:
    d_event(d, DE_DNS_BAD_RDLENGTH, r);
}

static int section_of(unsigned i, unsigned an, unsigned ns)
{
    return i < an        ? DNS_SECTION_ANSWER
           : i < an + ns ? DNS_SECTION_AUTHORITY
                         : DNS_SECTION_ADDITIONAL;
}

/* Tags the fields recorded since `first` with a section. */
static void tag(struct dissection *d, unsigned first, int section)
{
    for (unsigned i = first; i < d->nfields; i++) d->fields[i].flags = (uint8_t)section;
}

/* The name field of a question or record, in its section. */
static void dns_name_field(struct dissection *d, enum dissect_field_id id, const uint8_t *at,
                           uint32_t len, struct dissect_str name, int section)
{
    struct dissect_field *f = d_field(d, id, at, len);
    if (f) {
        memcpy(&f->v, &name, sizeof name);
        f->flags = (uint8_t)section;
    }
}

void dissect_dns(struct dissection *d, struct cursor c, bool tcp, bool mdns)
{
    if (!d_push(d, mdns ? DP_MDNS : DP_DNS, &c)) return;
    if (tcp) {
        const uint8_t *at = c.p;
        uint16_t mlen;
        if (!cur_be16(&c, &mlen)) {
            d_short(d, &c, DE_DNS_TRUNCATED, DE_DNS_SHORT);
            return;
        }
        d_u(d, FLD_DNS_LENGTH, at, 2, mlen);
        cur_limit(&c, mlen);
    }
    struct cursor msg = c;
    /* One check for the 12-byte header; when short, the event is where the first 16-bit field
     * that did not fit starts, as reading them one by one would put it. */
    const uint8_t *h = cur_peek(&c, 0, 12);
    if (!h) {
        c.p += cur_left(&c) & ~(size_t)1;
        d_short(d, &c, DE_DNS_TRUNCATED, DE_DNS_SHORT);
        return;
    }
    uint16_t id = hdr_be16(h, 0), flags = hdr_be16(h, 2), qd = hdr_be16(h, 4), an = hdr_be16(h, 6),
             ns = hdr_be16(h, 8), ar = hdr_be16(h, 10);
    static const struct d_fixed_field header[] = {
        {FLD_DNS_ID, 0, 2},
        {FLD_DNS_FLAGS, 2, 2},
        {FLD_DNS_FLAGS_RESPONSE, 2, 2},
        {FLD_DNS_FLAGS_OPCODE, 2, 2},
        {FLD_DNS_FLAGS_RCODE, 2, 2},
        {FLD_DNS_COUNT_QUERIES, 4, 2},
        {FLD_DNS_COUNT_ANSWERS, 6, 2},
        {FLD_DNS_COUNT_AUTH, 8, 2},
        {FLD_DNS_COUNT_ADD, 10, 2},
    };
    const uint32_t hv[] = {id, flags, flags >> 15, (flags >> 11) & 15u, flags & 15u, qd,
                           an, ns,    ar};
    d_fixed(d, h, header, hv, sizeof header / sizeof header[0], 0);
    struct dissect_meta *m = &d->m;
    bool outer = d_outer(d);
    if (outer) {
        m->has_dns = true;
        m->dns_tcp = tcp;
        m->dns_id = id;
        m->dns_flags = flags;
        m->dns_qd = qd;
        m->dns_an = an;
        m->dns_ns = ns;
        m->dns_ar = ar;
        m->dns_offset = d_off(d, h);
    }
    size_t pos = 12;
    for (unsigned i = 0; i < qd; i++) {
        if (i >= DNS_MAX_QUESTIONS) {
            d_event(d, DE_DNS_TOO_MANY_RECORDS, msg.p + pos);
            return;
        }
        size_t start = pos;
        struct dissect_str name;
        if (!dns_name(d, &msg, &pos, &name)) return;
        const uint8_t *q = cur_peek(&msg, pos, 4); /* type, class */
        if (!q) {
            struct cursor at = {msg.p + (pos < cur_left(&msg) ? pos : cur_left(&msg)), msg.end};
            d_short(d, &at, DE_DNS_TRUNCATED, DE_DNS_SHORT);
            return;
        }
        uint16_t type = hdr_be16(q, 0), cls = hdr_be16(q, 2);
        uint32_t nlen = (uint32_t)(pos - start);
        static const struct d_fixed_field question[] = {
            {FLD_DNS_QRY_TYPE, 0, 2},
            {FLD_DNS_QRY_CLASS, 2, 2},
        };
        const uint32_t qv[] = {type, cls};
        dns_name_field(d, FLD_DNS_QRY_NAME, msg.p + start, nlen, name, DNS_SECTION_QUESTION);
        d_fixed(d, q, question, qv, 2, DNS_SECTION_QUESTION);
        if (outer && i == 0) {
            m->dns_qname = name;
            m->dns_has_qname = true;
            m->dns_qtype = type;
        }
        pos += 4;
    }
    unsigned nrr = (unsigned)an + ns + ar;
    for (unsigned i = 0; i < nrr; i++) {
        if (i >= DNS_MAX_RECORDS) {
            d_event(d, DE_DNS_TOO_MANY_RECORDS, msg.p + pos);
            return;
        }
        size_t start = pos;
        struct dissect_str name;
        if (!dns_name(d, &msg, &pos, &name)) return;
        /* type, class, TTL, rdlength, then the rdata: all there or one event at pos. */
        const uint8_t *r = cur_peek(&msg, pos, 10);
        uint16_t rdlen = r ? hdr_be16(r, 8) : 0;
        if (!r || !cur_peek(&msg, pos + 10, rdlen)) {
            size_t left = cur_left(&msg);
            struct cursor at = {msg.p + (pos < left ? pos : left), msg.end};
            d_short(d, &at, DE_DNS_TRUNCATED, DE_DNS_SHORT);
            return;
        }
        uint16_t type = hdr_be16(r, 0), cls = hdr_be16(r, 2);
        uint32_t ttl = hdr_be32(r, 4), nlen = (uint32_t)(pos - start);
        int section = section_of(i, an, ns);
        static const struct d_fixed_field record[] = {
            {FLD_DNS_RESP_TYPE, 0, 2},
            {FLD_DNS_RESP_CLASS, 2, 2},
            {FLD_DNS_RESP_TTL, 4, 4},
            {FLD_DNS_RESP_LEN, 8, 2},
        };
        const uint32_t rv[] = {type, cls, ttl, rdlen};
        dns_name_field(d, FLD_DNS_RESP_NAME, msg.p + start, nlen, name, section);
        d_fixed(d, r, record, rv, 4, (uint8_t)section);
        unsigned first = d->nfields;
        dns_rdata(d, &msg, pos + 10, type, rdlen);
        tag(d, first, section);
        pos += 10u + rdlen;
    }
    d_layer_end(d, msg.p + pos);
}
