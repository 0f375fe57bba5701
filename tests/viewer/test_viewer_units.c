/*
 * test_viewer_units.c — the viewer's pure pieces: the seqlist that caches filter and search
 * matches (order, dropping from the front, wrap-around, overflow, lower bound) and the BPF
 * expression Dynamic builds for a flow, which must compile with libpcap and select exactly that
 * flow's packets in both directions and nothing else.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <string.h>

#include "viewer/seqlist.h"
#include "viewer/tab.h"

Test(seqlist, push_drop_find)
{
    struct seqlist l;
    cr_assert_eq(seqlist_init(&l, 5), 0);
    cr_assert_eq(l.mask, 7u, "capacity rounds up to a power of two");
    for (uint64_t s = 10; s < 16; s++) seqlist_push(&l, s * 2);
    cr_assert_eq(seqlist_count(&l), 6);
    cr_assert_eq(seqlist_at(&l, 0), 20);
    cr_assert_eq(seqlist_lower_bound(&l, 21), 1);
    cr_assert_eq(seqlist_lower_bound(&l, 0), 0);
    cr_assert_eq(seqlist_lower_bound(&l, 31), 6);
    seqlist_drop_below(&l, 25);
    cr_assert_eq(seqlist_count(&l), 3);
    cr_assert_eq(seqlist_at(&l, 0), 26);
    /* Wrap around the circular buffer and overflow it: the oldest entries go. */
    for (uint64_t s = 40; s < 60; s++) seqlist_push(&l, s);
    cr_assert_eq(seqlist_count(&l), 8);
    cr_assert_eq(seqlist_at(&l, 0), 52);
    cr_assert_eq(seqlist_at(&l, 7), 59);
    for (uint64_t i = 1; i < 8; i++) cr_assert_gt(seqlist_at(&l, i), seqlist_at(&l, i - 1));
    seqlist_drop_below(&l, 1000);
    cr_assert_eq(seqlist_count(&l), 0);
    seqlist_free(&l);
}

Test(seqview, range_and_list)
{
    struct seqview w = {NULL, 100, 110};
    cr_assert_eq(seqview_count(&w), 10);
    cr_assert_eq(seqview_at(&w, 3), 103);
    cr_assert_eq(seqview_find(&w, 50), 0);
    cr_assert_eq(seqview_find(&w, 105), 5);
    cr_assert_eq(seqview_find(&w, 500), 10);
    struct seqview e = {NULL, 5, 5};
    cr_assert_eq(seqview_count(&e), 0);
}

/* An Ethernet/IPv4 frame with the given protocol and ports (no payload, checksums unset). */
static size_t frame(uint8_t *b, const char *src, const char *dst, uint8_t proto, uint16_t sp,
                    uint16_t dp, uint16_t vlan)
{
    size_t o = 12;
    memset(b, 0, 80);
    if (vlan) {
        b[o++] = 0x81, b[o++] = 0x00, b[o++] = (uint8_t)(vlan >> 8), b[o++] = (uint8_t)vlan;
    }
    b[o++] = 0x08, b[o++] = 0x00;
    uint8_t *ip = b + o;
    ip[0] = 0x45;
    ip[3] = 40;
    ip[8] = 64;
    ip[9] = proto;
    inet_pton(AF_INET, src, ip + 12);
    inet_pton(AF_INET, dst, ip + 16);
    ip[20] = (uint8_t)(sp >> 8), ip[21] = (uint8_t)sp, ip[22] = (uint8_t)(dp >> 8),
    ip[23] = (uint8_t)dp;
    ip[32] = 0x50;
    return o + 40;
}

static bool matches(const char *expr, const uint8_t *b, size_t n)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    struct bpf_program prog;
    cr_assert_eq(pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN), 0, "'%s': %s", expr,
                 pcap_geterr(p));
    struct pcap_pkthdr h = {.caplen = (uint32_t)n, .len = (uint32_t)n};
    bool r = pcap_offline_filter(&prog, &h, b) != 0;
    pcap_freecode(&prog);
    pcap_close(p);
    return r;
}

static struct tab_flow flow(const char *a, const char *b, uint8_t proto, uint16_t pa, uint16_t pb,
                            uint16_t vlan)
{
    struct tab_flow t;
    memset(&t, 0, sizeof t);
    inet_pton(AF_INET, a, t.key.addr_a);
    inet_pton(AF_INET, b, t.key.addr_b);
    t.key.ip_version = 4;
    t.key.proto = proto;
    t.key.port_a = pa;
    t.key.port_b = pb;
    t.key.vlan = vlan;
    return t;
}

Test(dynamic_bpf, selects_exactly_the_flow)
{
    uint8_t b[128];
    char expr[512];
    struct tab_flow t = flow("10.0.0.1", "10.0.0.2", 6, 40000, 80, 0);
    tab_dynamic_bpf(&t, expr, sizeof expr);
    cr_assert_str_eq(expr, "host 10.0.0.1 and host 10.0.0.2 and tcp port 40000 and port 80");
    cr_assert(matches(expr, b, frame(b, "10.0.0.1", "10.0.0.2", 6, 40000, 80, 0)));
    cr_assert(matches(expr, b, frame(b, "10.0.0.2", "10.0.0.1", 6, 80, 40000, 0)));
    cr_assert(!matches(expr, b, frame(b, "10.0.0.1", "10.0.0.2", 6, 40001, 80, 0)));
    cr_assert(!matches(expr, b, frame(b, "10.0.0.1", "10.0.0.2", 17, 40000, 80, 0)));
    cr_assert(!matches(expr, b, frame(b, "10.0.0.1", "10.0.0.3", 6, 40000, 80, 0)));

    t = flow("10.0.0.1", "10.0.0.9", 1, 0, 0, 0);
    tab_dynamic_bpf(&t, expr, sizeof expr);
    cr_assert_str_eq(expr, "host 10.0.0.1 and host 10.0.0.9 and icmp");
    cr_assert(matches(expr, b, frame(b, "10.0.0.9", "10.0.0.1", 1, 0, 0, 0)));
    cr_assert(!matches(expr, b, frame(b, "10.0.0.9", "10.0.0.1", 6, 0, 0, 0)));

    t = flow("10.0.0.1", "10.0.0.2", 17, 53, 53, 12);
    tab_dynamic_bpf(&t, expr, sizeof expr);
    cr_assert_str_eq(expr, "vlan 12 and host 10.0.0.1 and host 10.0.0.2 and udp port 53");
    cr_assert(matches(expr, b, frame(b, "10.0.0.1", "10.0.0.2", 17, 53, 53, 12)));
    cr_assert(!matches(expr, b, frame(b, "10.0.0.1", "10.0.0.2", 17, 53, 53, 13)));
    cr_assert(!matches(expr, b, frame(b, "10.0.0.1", "10.0.0.2", 17, 53, 53, 0)));

    t = flow("10.0.0.1", "10.0.0.2", 47, 0, 0, 0);
    tab_dynamic_bpf(&t, expr, sizeof expr);
    cr_assert_str_eq(expr, "host 10.0.0.1 and host 10.0.0.2 and ip proto 47");
    cr_assert(matches(expr, b, frame(b, "10.0.0.2", "10.0.0.1", 47, 0, 0, 0)));
}
