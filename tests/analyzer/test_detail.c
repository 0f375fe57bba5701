/*
 * test_detail.c — the detail record (analyzer/detail.c) on real dissections: every frame of every
 * capture in ../shared/corpus/tcpdump is packed and unpacked again and must come back identical
 * (meta, layers, events, fields byte for byte, pool) and give the very summary line the
 * analyzer's own dissection gives (the Packets tab derives its rows from the record), and damaged
 * records (every cut, flipped bytes) are rejected or unpacked to something every formatter can
 * run on, never read out of bounds (this runs under ASan and UBSan in scripts/test); a meta
 * string or a MAC/IPv6 value pointing past the copied pool is rejected. Viewers
 * unpack records from a segment they do not trust.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stddef.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/detail.h"
#include "pkt.h"

static struct dissection d, back;
static uint8_t rec[DETAIL_MAX_BYTES];

static const char *corpus_dir(void)
{
    static char dir[4096];
    const char *root = getenv("PACKRAT_ROOT");
    snprintf(dir, sizeof dir, "%s/../shared/corpus/tcpdump", root ? root : ".");
    return dir;
}

static void assert_same(const struct dissection *a, const struct dissection *b, const char *what)
{
    cr_assert_eq(a->top, b->top, "%s: top", what);
    cr_assert_eq(a->nlayers, b->nlayers, "%s: layers", what);
    cr_assert_eq(a->nevents, b->nevents, "%s: events", what);
    cr_assert_eq(a->nfields, b->nfields, "%s: fields", what);
    cr_assert_eq(a->pool_used, b->pool_used, "%s: pool", what);
    cr_assert_eq(a->fields_dropped, b->fields_dropped, "%s: dropped", what);
    cr_assert(!memcmp(a->layers, b->layers, a->nlayers * sizeof a->layers[0]), "%s: layers", what);
    cr_assert(!memcmp(a->events, b->events, a->nevents * sizeof a->events[0]), "%s: events", what);
    for (unsigned i = 0; i < a->nfields; i++)
        cr_assert(!memcmp(&a->fields[i], &b->fields[i], sizeof a->fields[i]),
                  "%s: field %u (id %u) differs", what, i, a->fields[i].id);
    cr_assert(!memcmp(a->pool, b->pool, a->pool_used), "%s: pool bytes", what);
    cr_assert(!memcmp(&a->m, &b->m, sizeof a->m), "%s: meta", what);
    struct dissect_summary sa, sb;
    dissect_summary(a, &sa);
    dissect_summary(b, &sb);
    cr_assert_str_eq(sa.src, sb.src, "%s: summary source", what);
    cr_assert_str_eq(sa.dst, sb.dst, "%s: summary destination", what);
    cr_assert_str_eq(sa.protocol, sb.protocol, "%s: summary protocol", what);
    cr_assert_str_eq(sa.info, sb.info, "%s: summary info", what);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* Calls fn for every frame of every corpus capture, dissected into d; returns the frame count. */
static unsigned long each_corpus_frame(void (*fn)(const char *file, unsigned long n))
{
    DIR *dir = opendir(corpus_dir());
    cr_assert(dir, "no corpus at %s", corpus_dir());
    unsigned long frames = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!ends_with(e->d_name, ".pcap") && !ends_with(e->d_name, ".pcapng")) continue;
        char path[8192], errbuf[PCAP_ERRBUF_SIZE];
        snprintf(path, sizeof path, "%s/%s", corpus_dir(), e->d_name);
        pcap_t *p = pcap_open_offline(path, errbuf);
        if (!p) continue; /* deliberately broken captures are the capture tests' business */
        struct pcap_pkthdr *h;
        const u_char *bytes;
        int r;
        while ((r = pcap_next_ex(p, &h, &bytes)) == 1) {
            dissect_frame(&d, (uint32_t)pcap_datalink(p), bytes, h->caplen, h->len);
            fn(e->d_name, ++frames);
        }
        pcap_close(p);
    }
    closedir(dir);
    return frames;
}

static void round_trip(const char *file, unsigned long n)
{
    uint32_t len = detail_encode(&d, rec, sizeof rec);
    cr_assert(len > 0 && len == detail_size(&d), "%s frame %lu: encoded %u, size %u", file, n, len,
              detail_size(&d));
    cr_assert_eq(detail_encode(&d, rec, len - 1), 0, "%s frame %lu: encoded into too little", file,
                 n);
    detail_set_flow(rec, n * 3 + 1, (uint8_t)(n & 3));
    struct detail_extra x;
    cr_assert(detail_decode(rec, len, &back, &x), "%s frame %lu: own record rejected", file, n);
    cr_assert_eq(x.flow_id, n * 3 + 1, "%s frame %lu: flow id", file, n);
    cr_assert_eq(x.pkt_flags, n & 3, "%s frame %lu: flags", file, n);
    char what[512];
    snprintf(what, sizeof what, "%s frame %lu", file, n);
    assert_same(&d, &back, what);
    /* d_bytes puts an address where its length says, readers look where its format says. */
    for (unsigned i = 0; i < d.nfields; i++) {
        size_t alen = dissect_fmt_addr_len(dissect_field_info(d.fields[i].id)->fmt);
        cr_assert(!alen || d.fields[i].length == alen, "%s: field %u (%s) is %u bytes", what, i,
                  dissect_field_info(d.fields[i].id)->name, d.fields[i].length);
    }
}

Test(detail, every_corpus_frame_comes_back_identical)
{
    unsigned long frames = each_corpus_frame(round_trip);
    cr_assert_gt(frames, 1000, "only %lu frames in the corpus", frames);
}

static void damage(const char *file, unsigned long n)
{
    if (n % 7) return; /* a sample keeps the test quick; every cut of each sampled record */
    uint32_t len = detail_encode(&d, rec, sizeof rec);
    for (uint32_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees any over-read */
        memcpy(copy, rec, cut);
        cr_assert(!detail_decode(copy, cut, &back, NULL), "%s frame %lu: cut at %u accepted", file,
                  n, cut);
        free(copy);
    }
    uint64_t x = n * 0x9e3779b97f4a7c15ull + 1;
    for (int k = 0; k < 64; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint8_t *copy = malloc(len);
        memcpy(copy, rec, len);
        copy[x % len] ^= (uint8_t)(1u << (x >> 40) % 8);
        if (detail_decode(copy, len, &back, NULL)) { /* accepted: everything in it is in range */
            char text[256];
            for (unsigned i = 0; i < back.nfields; i++) {
                cr_assert_lt(back.fields[i].id, FLD_COUNT);
                cr_assert_lt(back.fields[i].layer, back.nlayers ? back.nlayers : 1);
                dissect_field_text(&back, &back.fields[i], text, sizeof text); /* ASan reads */
            }
            struct dissect_summary sum; /* what the Packets tab does with it (UBSan watches) */
            dissect_summary(&back, &sum);
        }
        free(copy);
    }
}

Test(detail, damaged_records_are_rejected_or_valid)
{
    cr_assert_gt(each_corpus_frame(damage), 1000);
}

/* The meta block's strings are handed out as C strings and its bools are loaded as bools: a
 * record whose meta lies about either is refused or repaired, never trusted. */
Test(detail, meta_that_lies_is_rejected_or_repaired)
{
    static const uint8_t dns[] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45,
        0x00, 0x00, 0x39, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01,
        0x0a, 0x00, 0x00, 0x02, 0x30, 0x39, 0x00, 0x35, 0x00, 0x25, 0x00, 0x00, 0x12, 0x34, 0x01,
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 'e',  'x',  'a',  'm',  'p',
        'l',  'e',  0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01};
    d.opts = DISSECT_OPT_NO_CHECKSUMS;
    dissect_frame(&d, DISSECT_DLT_EN10MB, dns, sizeof dns, sizeof dns);
    cr_assert(d.m.has_dns && d.m.dns_qname.len > 0, "the frame has a DNS question");
    uint32_t len = detail_encode(&d, rec, sizeof rec);
    cr_assert(detail_decode(rec, len, &back, NULL));
    struct dissect_summary sum;
    dissect_summary(&back, &sum);
    cr_assert(strstr(sum.info, "example.com"), "summary from the record: %s", sum.info);

    size_t meta_at = sizeof(struct detail_hdr);
    /* The question name pointed past the pool's end. */
    struct dissect_meta m = d.m;
    m.dns_qname.off = d.pool_used;
    memcpy(rec + meta_at, &m, sizeof m);
    cr_assert_not(detail_decode(rec, len, &back, NULL), "qname outside the pool accepted");
    /* ... or at a run with no terminator where it ends. */
    m = d.m;
    m.dns_qname.len = (uint16_t)(m.dns_qname.len - 1);
    memcpy(rec + meta_at, &m, sizeof m);
    cr_assert_not(detail_decode(rec, len, &back, NULL), "unterminated qname accepted");
    /* More VLAN tags than the array holds. */
    m = d.m;
    m.nvlan = DISSECT_MAX_VLANS + 1;
    memcpy(rec + meta_at, &m, sizeof m);
    cr_assert_not(detail_decode(rec, len, &back, NULL), "nvlan past the array accepted");
    /* A bool byte of 7 comes back as true, not as a value no bool may hold. */
    memcpy(rec + meta_at, &d.m, sizeof d.m);
    rec[meta_at + offsetof(struct dissect_meta, has_dns)] = 7;
    cr_assert(detail_decode(rec, len, &back, NULL));
    uint8_t raw;
    memcpy(&raw, (const uint8_t *)&back.m + offsetof(struct dissect_meta, has_dns), 1);
    cr_assert_eq(raw, 1);
}

/* Where field i's value sits in x's packed record. */
static size_t packed_value_at(const struct dissection *x, unsigned i)
{
    return sizeof(struct detail_hdr) + sizeof(struct dissect_meta) +
           x->nlayers * sizeof(struct dissect_layer) +
           x->nevents * sizeof(struct dissect_event_rec) + i * sizeof(struct dissect_field) +
           offsetof(struct dissect_field, v);
}

/*
 * A MAC or IPv6 field's value is an offset into the pool: a record whose offset leaves the
 * copied pool (by one byte, at its end, or so far that offset + size wraps 32 bits) is rejected;
 * the last offset that fits is accepted and read from there.
 */
Test(detail, address_offset_past_the_pool_is_rejected)
{
    struct pkt udp = pk_udp(40000, 40001, "x", 1);
    struct pkt ip = pk_ipv6(17, 64, &udp);
    struct pkt e = pk_eth(0x86dd, &ip);
    dissect_frame(&d, DISSECT_DLT_EN10MB, e.b, (uint32_t)e.n, (uint32_t)e.n);
    uint32_t len = detail_encode(&d, rec, sizeof rec);
    cr_assert(len > 0 && detail_decode(rec, len, &back, NULL),
              "the frame's own record is rejected");
    unsigned macs = 0, ip6s = 0;
    uint8_t *copy = malloc(len); /* exact size: ASan sees any over-read */
    for (unsigned i = 0; i < d.nfields; i++) {
        enum dissect_fmt fmt = dissect_field_info(d.fields[i].id)->fmt;
        if (fmt != DF_MAC && fmt != DF_IPV6) continue;
        macs += fmt == DF_MAC;
        ip6s += fmt == DF_IPV6;
        uint32_t n = (uint32_t)dissect_fmt_addr_len(fmt);
        cr_assert_geq(d.pool_used, n);
        const uint32_t bad[] = {d.pool_used - n + 1u, d.pool_used, UINT32_MAX - n + 1u};
        for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            memcpy(copy, rec, len);
            memcpy(copy + packed_value_at(&d, i), &bad[k], sizeof bad[k]);
            cr_assert(!detail_decode(copy, len, &back, NULL), "%s at pool offset %u of %u accepted",
                      dissect_field_info(d.fields[i].id)->name, bad[k], d.pool_used);
        }
        uint32_t last = d.pool_used - n;
        memcpy(copy, rec, len);
        memcpy(copy + packed_value_at(&d, i), &last, sizeof last);
        cr_assert(detail_decode(copy, len, &back, NULL), "%s at the last offset that fits rejected",
                  dissect_field_info(d.fields[i].id)->name);
        cr_assert_eq(dissect_field_bytes(&back, &back.fields[i]),
                     (const uint8_t *)back.pool + last);
    }
    free(copy);
    cr_assert(macs == 2 && ip6s == 2, "%u MAC and %u IPv6 fields", macs, ip6s);
}
