/*
 * test_dissect.c — per-dissector tests from packets built as byte arrays (pkt.h).
 *
 * Every packet is also replayed at every capture length 0..len with the wire length kept at
 * len (what a snaplen cut looks like): each cut must dissect without touching a byte past the
 * cut (the bytes are copied into an exactly-sized heap buffer so ASan sees any over-read), must
 * only ever produce "*.truncated" events (a cut is never "invalid"), and must produce at least
 * one when the cut falls inside a header. The formatters run on every cut too.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/cpu.h"
#include "analyzer/dissect.h"
#include "analyzer/dissect_int.h"
#include "analyzer/sbuf.h"
#include "pkt.h"

static struct dissection D;

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void run(uint32_t dlt, const uint8_t *bytes, size_t caplen, size_t wirelen)
{
    uint8_t *copy = malloc(caplen ? caplen : 1);
    memcpy(copy, bytes, caplen);
    dissect_frame(&D, dlt, copy, (uint32_t)caplen, (uint32_t)wirelen);
    /* Formatters must cope with whatever was decoded. */
    char buf[4096];
    struct dissect_summary s;
    struct dissect_frame_info fi = {1, 1000000000ull, (uint32_t)caplen, (uint32_t)wirelen};
    dissect_summary(&D, &s);
    dissect_line(&D, buf, sizeof buf);
    dissect_json_format(&D, &fi, buf, sizeof buf);
    for (unsigned i = 0; i < D.nfields; i++) dissect_field_text(&D, &D.fields[i], buf, 64);
    free(copy);
}

static bool has_event(const char *name)
{
    for (unsigned i = 0; i < D.nevents; i++)
        if (strcmp(dissect_event_name(D.events[i].id), name) == 0) return true;
    return false;
}

static void dump_events(const char *what, size_t n)
{
    for (unsigned i = 0; i < D.nevents; i++)
        fprintf(stderr, "%s cut %zu: event %s at %u\n", what, n, dissect_event_name(D.events[i].id),
                D.events[i].offset);
}

/*
 * Replays pkt at every length. Cuts shorter than headers_end must raise a truncated event;
 * no cut may raise anything else. The full packet must raise no event at all.
 */
static void replay_except(uint32_t dlt, const struct pkt *p, size_t headers_end, size_t quiet_from,
                          size_t quiet_to)
{
    for (size_t n = 0; n < p->n; n++) {
        run(dlt, p->b, n, p->n);
        bool trunc = false;
        for (unsigned i = 0; i < D.nevents; i++) {
            const char *name = dissect_event_name(D.events[i].id);
            if (!ends_with(name, ".truncated")) dump_events("unexpected", n);
            cr_assert(ends_with(name, ".truncated"), "cut at %zu/%zu gave %s", n, p->n, name);
            trunc = true;
        }
        if (n < headers_end && !trunc) dump_events("missing", n);
        cr_assert(n >= headers_end || (n >= quiet_from && n < quiet_to) || trunc,
                  "cut at %zu/%zu gave no truncated event", n, p->n);
    }
    run(dlt, p->b, p->n, p->n);
    if (D.nevents) dump_events("full", p->n);
    cr_assert_eq(D.nevents, 0, "full packet gave %u events", D.nevents);
}

static const char *field(const char *name, int nth)
{
    static char buf[8][512];
    static int k;
    for (unsigned i = 0; i < D.nfields; i++) {
        if (strcmp(dissect_field_info(D.fields[i].id)->name, name) != 0) continue;
        if (nth-- > 0) continue;
        char *b = buf[k++ % 8];
        dissect_field_text(&D, &D.fields[i], b, 512);
        return b;
    }
    return "<absent>";
}

static const char *line(void)
{
    static char buf[1024];
    dissect_line(&D, buf, sizeof buf);
    return buf;
}

/* Cuts in [quiet_from, quiet_to) may give no event: a payload recognised by its first bytes
 * (TLS needs 3) cannot be reported truncated before it is recognised. */
static void replay(uint32_t dlt, const struct pkt *p, size_t headers_end)
{
    replay_except(dlt, p, headers_end, 0, 0);
}

#define EXPECT_FIELD(name, nth, want) cr_expect_str_eq(field(name, nth), want, "%s", name)

static const uint8_t SYN_OPTS[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                   0, 1, 0,    0,    0, 0, 1, 3,  3, 7};

Test(dissect, eth_ipv4_tcp_syn)
{
    struct pkt tcp = pk_tcp(40000, 80, 123, 0, 0x02, 64240, SYN_OPTS, sizeof SYN_OPTS, NULL, 0);
    struct pkt ip = pk_ipv4(6, 64, &tcp);
    struct pkt e = pk_eth(0x0800, &ip);
    replay(DISSECT_DLT_EN10MB, &e, e.n);
    EXPECT_FIELD("eth.src", 0, "00:11:22:33:44:55");
    EXPECT_FIELD("eth.dst", 0, "66:77:88:99:aa:bb");
    EXPECT_FIELD("ip.src", 0, "10.0.0.1");
    EXPECT_FIELD("ip.ttl", 0, "64");
    EXPECT_FIELD("ip.checksum.status", 0, "Good");
    EXPECT_FIELD("tcp.srcport", 0, "40000");
    EXPECT_FIELD("tcp.flags", 0, "0x0002");
    EXPECT_FIELD("tcp.options.mss_val", 0, "1460");
    EXPECT_FIELD("tcp.options.wscale.shift", 0, "7");
    EXPECT_FIELD("tcp.checksum.status", 0, "Good");
    cr_expect_str_eq(line(), "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 123, win 64240, "
                             "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0");
    cr_expect_eq(D.m.tcp_flags, DISSECT_TCP_SYN);
    cr_expect_eq(D.m.sport, 40000);
    cr_expect_eq(D.m.ip_proto, 6);
    struct dissect_summary s;
    dissect_summary(&D, &s);
    cr_expect_str_eq(s.protocol, "TCP");
    cr_expect_str_eq(s.src, "10.0.0.1");
    cr_expect_str_eq(s.dst, "10.0.0.2");

    struct shm_flow_key k1, k2;
    int dir1, dir2;
    cr_assert(dissect_flow_key(&D, &k1, &dir1));
    cr_expect_eq(dir1, 0);
    cr_expect_eq(k1.port_a, 40000);
    /* The reply gives the same key in the other direction. */
    struct pkt tcp2 = pk_tcp(80, 40000, 9, 124, 0x12, 65535, NULL, 0, NULL, 0);
    struct pkt ip2 = pk_ipv4(6, 64, &tcp2);
    memcpy(ip2.b + 12, PK_IP4_B, 4);
    memcpy(ip2.b + 16, PK_IP4_A, 4);
    struct pkt e2 = pk_eth(0x0800, &ip2);
    run(DISSECT_DLT_EN10MB, e2.b, e2.n, e2.n);
    cr_assert(dissect_flow_key(&D, &k2, &dir2));
    cr_expect_eq(dir2, 1);
    cr_expect_eq(memcmp(&k1, &k2, sizeof k1), 0);
}

Test(dissect, qinq_ipv4_udp_dns_query)
{
    struct pkt q = pk_dns_query(1234, "example.com", 1, 0);
    struct pkt u = pk_udp(5353, 53, q.b, q.n);
    struct pkt ip = pk_ipv4(17, 63, &u);
    uint32_t tags[2] = {0x88a80064, 0x810000c8};
    struct pkt e = pk_eth_vlan(tags, 2, 0x0800, &ip);
    replay(DISSECT_DLT_EN10MB, &e, e.n);
    cr_expect_eq(D.m.nvlan, 2);
    cr_expect_eq(D.m.vlan[0], 100);
    cr_expect_eq(D.m.vlan[1], 200);
    EXPECT_FIELD("vlan.id", 0, "100");
    EXPECT_FIELD("vlan.id", 1, "200");
    EXPECT_FIELD("dns.qry.name", 0, "example.com");
    EXPECT_FIELD("udp.length", 0, "37");
    cr_expect_str_eq(line(), "IP 10.0.0.1.5353 > 10.0.0.2.53: 1234+ A? example.com. (29)");
    struct dissect_summary s;
    dissect_summary(&D, &s);
    cr_expect_str_eq(s.protocol, "DNS");
    struct shm_flow_key k;
    cr_assert(dissect_flow_key(&D, &k, NULL));
    cr_expect_eq(k.vlan, 100);
    cr_expect_eq(k.proto, 17);
}

Test(dissect, dns_response_compression)
{
    struct pkt r = pk_dns_response(4321, "www.example.com");
    struct pkt u = pk_udp(53, 33000, r.b, r.n);
    struct pkt ip = pk_ipv4(17, 57, &u);
    struct pkt e = pk_eth(0x0800, &ip);
    replay(DISSECT_DLT_EN10MB, &e, e.n);
    EXPECT_FIELD("dns.cname", 0, "cdn.example.net");
    EXPECT_FIELD("dns.resp.name", 1, "cdn.example.net");
    EXPECT_FIELD("dns.a", 0, "93.184.216.34");
    EXPECT_FIELD("dns.aaaa", 0, "2001:db8::2");
    cr_expect_str_eq(line(), "IP 10.0.0.1.53 > 10.0.0.2.33000: 4321 3/0/0 CNAME cdn.example.net., "
                             "A 93.184.216.34, AAAA 2001:db8::2 (106)");
}

Test(dissect, dns_name_loop_and_bad_pointer)
{
    /* Question name is a pointer to itself: must stop with dns.name_loop. */
    struct pkt q = {.n = 0};
    pk_u16(&q, 1);
    pk_u16(&q, 0x0100);
    pk_u16(&q, 1);
    pk_u16(&q, 0);
    pk_u16(&q, 0);
    pk_u16(&q, 0);
    pk_u16(&q, 0xc00c);
    pk_u16(&q, 1);
    pk_u16(&q, 1);
    struct pkt u = pk_udp(1000, 53, q.b, q.n);
    struct pkt ip = pk_ipv4(17, 64, &u);
    struct pkt e = pk_eth(0x0800, &ip);
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect(has_event("dns.name_loop"));
    cr_expect(dissect_has_proto(&D, DP_DNS));

    /* Two labels pointing at each other (forward pointer) is a loop too. */
    struct pkt q2 = {.n = 0};
    pk_put(&q2, q.b, 12);
    pk_u8(&q2, 1);
    pk_u8(&q2, 'a');
    pk_u16(&q2, 0xc00c);
    pk_u16(&q2, 1);
    pk_u16(&q2, 1);
    u = pk_udp(1000, 53, q2.b, q2.n);
    ip = pk_ipv4(17, 64, &u);
    e = pk_eth(0x0800, &ip);
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect(has_event("dns.name_loop"));

    /* A name of 300 bytes of labels. */
    struct pkt q3 = {.n = 0};
    pk_put(&q3, q.b, 12);
    for (int i = 0; i < 5; i++) {
        pk_u8(&q3, 63);
        for (int j = 0; j < 63; j++) pk_u8(&q3, 'x');
    }
    pk_u8(&q3, 0);
    pk_u16(&q3, 1);
    pk_u16(&q3, 1);
    u = pk_udp(1000, 53, q3.b, q3.n);
    ip = pk_ipv4(17, 64, &u);
    e = pk_eth(0x0800, &ip);
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect(has_event("dns.name_too_long"));
}

Test(dissect, dns_over_tcp)
{
    struct pkt q = pk_dns_query(17177, "www.tcpdump.org", 1, 1);
    struct pkt m = {.n = 0};
    pk_u16(&m, (uint16_t)q.n);
    pk_put(&m, q.b, q.n);
    struct pkt tcp = pk_tcp(33779, 53, 1000, 2000, 0x18, 64240, NULL, 0, m.b, m.n);
    struct pkt ip = pk_ipv4(6, 64, &tcp);
    struct pkt e = pk_eth(0x0800, &ip);
    replay(DISSECT_DLT_EN10MB, &e, e.n);
    EXPECT_FIELD("dns.qry.name", 0, "www.tcpdump.org");
    cr_expect_str_eq(line(),
                     "IP 10.0.0.1.33779 > 10.0.0.2.53: Flags [P.], seq 1000:1046, ack 2000, "
                     "win 64240, length 46 17177+ [1au] A? www.tcpdump.org. (44)");
}

Test(dissect, ipv6_tcp_tls_sni)
{
    struct pkt tls = pk_tls_client_hello("example.org");
    struct pkt tcp = pk_tcp(50000, 443, 1, 1, 0x18, 502, NULL, 0, tls.b, tls.n);
    struct pkt ip = pk_ipv6(6, 64, &tcp);
    struct pkt e = pk_eth(0x86dd, &ip);
    replay_except(DISSECT_DLT_EN10MB, &e, e.n, 14 + 40 + 20, 14 + 40 + 20 + 3);
    EXPECT_FIELD("ipv6.src", 0, "2001:db8::1");
    EXPECT_FIELD("ipv6.hlim", 0, "64");
    EXPECT_FIELD("tls.handshake.extensions_server_name", 0, "example.org");
    EXPECT_FIELD("tls.handshake.extensions_alpn_str", 0, "h2");
    cr_expect_str_eq(dissect_str_ptr(&D, D.m.tls_sni), "example.org");
    cr_expect_eq(D.m.tls_sni.len, 11);
    struct dissect_summary s;
    dissect_summary(&D, &s);
    cr_expect_str_eq(s.protocol, "TLS");
    cr_expect_str_eq(s.src, "2001:db8::1");
}

Test(dissect, ipv4_http_request_and_response)
{
    const char *req = "GET /index.html HTTP/1.1\r\nUser-Agent: t\r\nHost: www.example.com\r\n\r\n";
    struct pkt tcp = pk_tcp(40001, 8080, 5, 6, 0x18, 1000, NULL, 0, req, strlen(req));
    struct pkt ip = pk_ipv4(6, 64, &tcp);
    struct pkt e = pk_eth(0x0800, &ip);
    replay(DISSECT_DLT_EN10MB, &e, e.n - strlen(req)); /* HTTP has no truncation to report */
    EXPECT_FIELD("http.request.method", 0, "GET");
    EXPECT_FIELD("http.request.uri", 0, "/index.html");
    EXPECT_FIELD("http.host", 0, "www.example.com");
    cr_expect(strstr(line(), ", length 66: HTTP: GET /index.html HTTP/1.1") != NULL, "%s", line());

    const char *resp = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    tcp = pk_tcp(8080, 40001, 6, 71, 0x18, 1000, NULL, 0, resp, strlen(resp));
    ip = pk_ipv4(6, 64, &tcp);
    e = pk_eth(0x0800, &ip);
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    EXPECT_FIELD("http.response.code", 0, "404");
    EXPECT_FIELD("http.response.phrase", 0, "Not Found");
}

Test(dissect, arp_request_reply)
{
    struct pkt a = {.n = 0};
    pk_u16(&a, 1);
    pk_u16(&a, 0x0800);
    pk_u8(&a, 6);
    pk_u8(&a, 4);
    pk_u16(&a, 1);
    pk_put(&a, PK_MAC_A, 6);
    pk_put(&a, PK_IP4_A, 4);
    pk_put(&a, (const uint8_t[6]){0}, 6);
    pk_put(&a, PK_IP4_B, 4);
    struct pkt e = pk_eth(0x0806, &a);
    replay(DISSECT_DLT_EN10MB, &e, e.n);
    EXPECT_FIELD("arp.opcode", 0, "1");
    EXPECT_FIELD("arp.src.proto_ipv4", 0, "10.0.0.1");
    cr_expect_str_eq(line(), "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28");
    struct dissect_summary s;
    dissect_summary(&D, &s);
    cr_expect_str_eq(s.protocol, "ARP");
    cr_expect_str_eq(s.src, "00:11:22:33:44:55");
    a.b[7] = 2;
    e = pk_eth(0x0806, &a);
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect_str_eq(line(), "ARP, Reply 10.0.0.1 is-at 00:11:22:33:44:55, length 28");
}

Test(dissect, icmp_echo_and_port_unreachable)
{
    struct pkt ic = {.n = 0};
    pk_u8(&ic, 8);
    pk_u8(&ic, 0);
    pk_u16(&ic, 0);
    pk_u16(&ic, 7);
    pk_u16(&ic, 1);
    struct pkt ip = pk_ipv4(1, 64, &ic);
    struct pkt e = pk_eth(0x0800, &ip);
    replay(DISSECT_DLT_EN10MB, &e, e.n);
    cr_expect_str_eq(line(), "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 7, seq 1, length 8");
    EXPECT_FIELD("icmp.type", 0, "8");

    /* Port unreachable quoting the IP header and 8 bytes of a UDP datagram. */
    struct pkt u = pk_udp(5000, 53, "abcd", 4);
    struct pkt inner = pk_ipv4(17, 64, &u);
    struct pkt err = {.n = 0};
    pk_u8(&err, 3);
    pk_u8(&err, 3);
    pk_u16(&err, 0);
    pk_u32(&err, 0);
    pk_put(&err, inner.b, 28);
    ip = pk_ipv4(1, 64, &err);
    e = pk_eth(0x0800, &ip);
    replay(DISSECT_DLT_EN10MB, &e, 14 + 20 + 8);
    cr_expect_str_eq(line(), "IP 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.2 udp port 53 unreachable, "
                             "length 36");
    /* Outer meta and protocol are not overwritten by the quoted packet. */
    struct dissect_summary sum;
    dissect_summary(&D, &sum);
    cr_expect_str_eq(sum.protocol, "ICMP");
    cr_expect_eq(D.m.ip_proto, 1);
    cr_expect(!D.m.has_ports);
    EXPECT_FIELD("udp.dstport", 0, "53");
}

Test(dissect, icmpv6_ns_and_echo)
{
    struct pkt ns = {.n = 0};
    pk_u8(&ns, 135);
    pk_u8(&ns, 0);
    pk_u16(&ns, 0);
    pk_u32(&ns, 0);
    pk_put(&ns, PK_IP6_B, 16);
    pk_u8(&ns, 1);
    pk_u8(&ns, 1);
    pk_put(&ns, PK_MAC_A, 6);
    struct pkt ip = pk_ipv6(58, 255, &ns);
    struct pkt e = pk_eth(0x86dd, &ip);
    replay(DISSECT_DLT_EN10MB, &e, e.n);
    EXPECT_FIELD("icmpv6.nd.ns.target_address", 0, "2001:db8::2");
    EXPECT_FIELD("icmpv6.opt.linkaddr", 0, "00:11:22:33:44:55");
    cr_expect_str_eq(line(), "IP6 2001:db8::1 > 2001:db8::2: ICMP6, neighbor solicitation, who has "
                             "2001:db8::2, length 32");
    struct pkt echo = {.n = 0};
    pk_u8(&echo, 128);
    pk_u8(&echo, 0);
    pk_u16(&echo, 0);
    pk_u16(&echo, 9);
    pk_u16(&echo, 3);
    pk_str(&echo, "payload!");
    ip = pk_ipv6(58, 64, &echo);
    e = pk_eth(0x86dd, &ip);
    replay(DISSECT_DLT_EN10MB, &e, e.n - 8);
    cr_expect_str_eq(line(), "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 9, seq 3, "
                             "length 16");
    struct dissect_summary s;
    dissect_summary(&D, &s);
    cr_expect_str_eq(s.protocol, "ICMPv6");
}

Test(dissect, ipv6_extension_headers)
{
    /* hop-by-hop (PadN) -> destination options -> fragment (first, MF) -> UDP */
    uint8_t ext[] = {60, 0, 1, 4, 0, 0, 0, 0, 44, 0, 1, 4, 0, 0, 0, 0, 17, 0, 0, 1, 0, 0, 0, 42};
    struct pkt u = pk_udp(1234, 9999, "hello", 5);
    struct pkt ip = pk_ipv6x(0, 17, 64, ext, sizeof ext, &u);
    struct pkt e = pk_eth(0x86dd, &ip);
    replay(DISSECT_DLT_EN10MB, &e, e.n - 5);
    EXPECT_FIELD("ipv6.hopopts.nxt", 0, "60");
    EXPECT_FIELD("ipv6.fragment.id", 0, "0x0000002a");
    EXPECT_FIELD("udp.srcport", 0, "1234");
    cr_expect_eq(D.m.ip_proto, 17);
    cr_expect(D.m.ip_fragment);

    /* Nine destination-options headers in a row: capped. */
    struct pkt chain = {.n = 0};
    for (int i = 0; i < 9; i++) {
        uint8_t h[8] = {60, 0, 1, 4, 0, 0, 0, 0};
        if (i == 8) h[0] = 59;
        pk_put(&chain, h, 8);
    }
    struct pkt none = {.n = 0};
    ip = pk_ipv6x(60, 59, 64, chain.b, chain.n, &none);
    e = pk_eth(0x86dd, &ip);
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect(has_event("ipv6.too_many_ext"));

    /* ESP stops the walk. */
    struct pkt esp = {.n = 0};
    pk_u32(&esp, 0x1000);
    pk_u32(&esp, 5);
    pk_str(&esp, "ciphertext");
    ip = pk_ipv6(50, 64, &esp);
    e = pk_eth(0x86dd, &ip);
    replay(DISSECT_DLT_EN10MB, &e, e.n - 10);
    EXPECT_FIELD("esp.spi", 0, "0x00001000");
    cr_expect_eq(D.m.ip_proto, 50);
}

Test(dissect, dhcp_discover)
{
    struct pkt b = {.n = 0};
    pk_u8(&b, 1);
    pk_u8(&b, 1);
    pk_u8(&b, 6);
    pk_u8(&b, 0);
    pk_u32(&b, 0xdeadbeef);
    pk_u16(&b, 0);
    pk_u16(&b, 0x8000);
    for (int i = 0; i < 16; i++) pk_u8(&b, 0);
    pk_put(&b, PK_MAC_A, 6);
    for (int i = 0; i < 10 + 64 + 128; i++) pk_u8(&b, 0);
    pk_u32(&b, 0x63825363);
    pk_put(&b, (const uint8_t[]){53, 1, 1, 12, 4, 'h', 'o', 's', 't', 255}, 10);
    struct pkt u = pk_udp(68, 67, b.b, b.n);
    struct pkt ip = pk_ipv4(17, 64, &u);
    struct pkt e = pk_eth(0x0800, &ip);
    replay(DISSECT_DLT_EN10MB, &e, e.n);
    EXPECT_FIELD("dhcp.option.dhcp", 0, "1");
    EXPECT_FIELD("dhcp.hw.mac_addr", 0, "00:11:22:33:44:55");
    EXPECT_FIELD("dhcp.option.hostname", 0, "host");
    EXPECT_FIELD("dhcp.id", 0, "0xdeadbeef");
    cr_expect_str_eq(line(), "IP 10.0.0.1.68 > 10.0.0.2.67: BOOTP/DHCP, Request from "
                             "00:11:22:33:44:55, length 250");
}

Test(dissect, other_link_types)
{
    struct pkt u = pk_udp(1, 2, "x", 1);
    struct pkt ip = pk_ipv4(17, 9, &u);
    /* LINUX_SLL */
    struct pkt s = {.n = 0};
    pk_u16(&s, 0);
    pk_u16(&s, 1);
    pk_u16(&s, 6);
    pk_put(&s, PK_MAC_A, 6);
    pk_u16(&s, 0);
    pk_u16(&s, 0x0800);
    pk_put(&s, ip.b, ip.n);
    replay(DISSECT_DLT_LINUX_SLL, &s, s.n - 1);
    EXPECT_FIELD("sll.src.eth", 0, "00:11:22:33:44:55");
    EXPECT_FIELD("ip.ttl", 0, "9");
    /* LINUX_SLL2 */
    struct pkt s2 = {.n = 0};
    pk_u16(&s2, 0x0800);
    pk_u16(&s2, 0);
    pk_u32(&s2, 3);
    pk_u16(&s2, 1);
    pk_u8(&s2, 0);
    pk_u8(&s2, 6);
    pk_put(&s2, PK_MAC_A, 6);
    pk_u16(&s2, 0);
    pk_put(&s2, ip.b, ip.n);
    replay(DISSECT_DLT_LINUX_SLL2, &s2, s2.n - 1);
    EXPECT_FIELD("sll.ifindex", 0, "3");
    EXPECT_FIELD("udp.dstport", 0, "2");
    /* NULL (little-endian AF_INET6 = 30, Darwin) and LOOP (big-endian AF_INET) */
    struct pkt ip6 = pk_ipv6(17, 5, &u);
    struct pkt nl = {.n = 0};
    pk_put(&nl, (const uint8_t[]){30, 0, 0, 0}, 4);
    pk_put(&nl, ip6.b, ip6.n);
    replay(DISSECT_DLT_NULL, &nl, nl.n - 1);
    EXPECT_FIELD("ipv6.hlim", 0, "5");
    struct pkt lo = {.n = 0};
    pk_u32(&lo, 2);
    pk_put(&lo, ip.b, ip.n);
    replay(DISSECT_DLT_LOOP, &lo, lo.n - 1);
    EXPECT_FIELD("ip.ttl", 0, "9");
    /* RAW, IPV4, IPV6 */
    replay(DISSECT_DLT_RAW, &ip, ip.n - 1);
    EXPECT_FIELD("ip.ttl", 0, "9");
    replay(DISSECT_LINKTYPE_RAW, &ip6, ip6.n - 1);
    EXPECT_FIELD("ipv6.hlim", 0, "5");
    replay(DISSECT_DLT_IPV4, &ip, ip.n - 1);
    replay(DISSECT_DLT_IPV6, &ip6, ip6.n - 1);
    /* Anything else is named, not decoded, and not a crash. */
    run(147, ip.b, ip.n, ip.n);
    cr_expect(has_event("link.not_decoded"));
    cr_expect_str_eq(line(), "link type 147 not decoded, length 29");
    run(147, ip.b, 0, 0);
    cr_expect(has_event("link.not_decoded"));
}

Test(dissect, llc_snap)
{
    struct pkt u = pk_udp(1, 2, "x", 1);
    struct pkt ip = pk_ipv4(17, 9, &u);
    struct pkt p = {.n = 0};
    pk_put(&p, PK_MAC_B, 6);
    pk_put(&p, PK_MAC_A, 6);
    pk_u16(&p, (uint16_t)(8 + ip.n));
    pk_put(&p, (const uint8_t[]){0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, 8);
    pk_put(&p, ip.b, ip.n);
    replay(DISSECT_DLT_EN10MB, &p, p.n - 1);
    EXPECT_FIELD("llc.pid", 0, "0x0800");
    EXPECT_FIELD("ip.ttl", 0, "9");
    /* STP-like LLC: no SNAP */
    struct pkt stp = {.n = 0};
    pk_put(&stp, PK_MAC_B, 6);
    pk_put(&stp, PK_MAC_A, 6);
    pk_u16(&stp, 7);
    pk_put(&stp, (const uint8_t[]){0x42, 0x42, 0x03, 0, 0, 0, 0}, 7);
    replay(DISSECT_DLT_EN10MB, &stp, 17);
    EXPECT_FIELD("llc.dsap", 0, "0x42");
}

/* ---- invalid headers: each gets its own named event, and what came before stays ---------- */

static struct pkt udp_frame(void)
{
    struct pkt u = pk_udp(1111, 2222, "data", 4);
    struct pkt ip = pk_ipv4(17, 64, &u);
    return pk_eth(0x0800, &ip);
}

Test(dissect, ipv4_invalid)
{
    struct pkt e = udp_frame();
    e.b[14] = 0x55; /* version 5 */
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect(has_event("ipv4.bad_version"));
    EXPECT_FIELD("eth.type", 0, "0x0800");

    e = udp_frame();
    e.b[14] = 0x44; /* IHL 16 bytes */
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect(has_event("ipv4.bad_ihl"));

    e = udp_frame();
    pk_set16(&e, 16, 10); /* total length < IHL */
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect(has_event("ipv4.bad_total_length"));

    e = udp_frame();
    pk_set16(&e, 16, 200); /* longer than the complete frame */
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect(has_event("ipv4.length_exceeds_frame"));
    cr_expect(!has_event("ipv4.truncated"));
    /* ... but with a larger wire length it is a snaplen cut, not an error */
    run(DISSECT_DLT_EN10MB, e.b, e.n, 214);
    cr_expect(!has_event("ipv4.length_exceeds_frame"));

    e = udp_frame();
    e.b[24] ^= 0xff; /* header checksum */
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect(has_event("ipv4.bad_checksum"));
    EXPECT_FIELD("udp.srcport", 0, "1111"); /* not fatal */

    e = udp_frame();
    pk_set16(&e, 38, 4); /* UDP length < 8 */
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect(has_event("udp.bad_length"));

    e = udp_frame();
    e.b[41] ^= 1; /* UDP checksum */
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect(has_event("udp.bad_checksum"));

    /* IPv4 with a bad option length */
    struct pkt u = pk_udp(1, 2, NULL, 0);
    struct pkt p = {.n = 0};
    pk_u8(&p, 0x46);
    pk_u8(&p, 0);
    pk_u16(&p, 32);
    pk_u32(&p, 0);
    pk_u8(&p, 64);
    pk_u8(&p, 17);
    pk_u16(&p, 0);
    pk_put(&p, PK_IP4_A, 4);
    pk_put(&p, PK_IP4_B, 4);
    pk_put(&p, (const uint8_t[]){7, 1, 0, 0}, 4); /* record route, length 1 */
    pk_put(&p, u.b, u.n);
    pk_set16(&p, 10, pk_fold(pk_sum(0, p.b, 24)));
    run(DISSECT_DLT_RAW, p.b, p.n, p.n);
    cr_expect(has_event("ipv4.bad_option"));
}

Test(dissect, tcp_invalid)
{
    struct pkt tcp = pk_tcp(1, 2, 3, 4, 0x10, 5, NULL, 0, "abc", 3);
    tcp.b[12] = 0x40; /* data offset 16 */
    struct pkt ip = pk_ipv4(6, 64, &tcp);
    run(DISSECT_DLT_RAW, ip.b, ip.n, ip.n);
    cr_expect(has_event("tcp.bad_offset"));
    EXPECT_FIELD("tcp.dstport", 0, "2");

    tcp = pk_tcp(1, 2, 3, 4, 0x10, 5, NULL, 0, "abc", 3);
    tcp.b[12] = 0xf0; /* data offset 60 > segment */
    ip = pk_ipv4(6, 64, &tcp);
    run(DISSECT_DLT_RAW, ip.b, ip.n, ip.n);
    cr_expect(has_event("tcp.bad_offset"));

    uint8_t bad_opt[] = {2, 1, 0, 0}; /* MSS with length 1 */
    tcp = pk_tcp(1, 2, 3, 4, 0x02, 5, bad_opt, 4, NULL, 0);
    ip = pk_ipv4(6, 64, &tcp);
    run(DISSECT_DLT_RAW, ip.b, ip.n, ip.n);
    cr_expect(has_event("tcp.bad_option"));

    tcp = pk_tcp(1, 2, 3, 4, 0x10, 5, NULL, 0, "abc", 3);
    ip = pk_ipv4(6, 64, &tcp);
    ip.b[ip.n - 1] ^= 0x20;
    run(DISSECT_DLT_RAW, ip.b, ip.n, ip.n);
    cr_expect(has_event("tcp.bad_checksum"));
    /* Checksum verification off (offloaded checksums of outgoing frames): no event, no field. */
    D.opts = DISSECT_OPT_NO_CHECKSUMS;
    run(DISSECT_DLT_RAW, ip.b, ip.n, ip.n);
    D.opts = 0;
    cr_expect(!has_event("tcp.bad_checksum"));
    EXPECT_FIELD("tcp.checksum.status", 0, "<absent>");
    /* A cut segment cannot be verified: no checksum event. */
    run(DISSECT_DLT_RAW, ip.b, ip.n - 1, ip.n);
    cr_expect(!has_event("tcp.bad_checksum"));
}

Test(dissect, caps)
{
    /* Twelve VLAN tags: the tag cap fires before the layer cap. */
    uint32_t tags[12];
    for (int i = 0; i < 12; i++) tags[i] = 0x81000000u | (uint32_t)(i + 1);
    struct pkt none = {.n = 0};
    struct pkt e = pk_eth_vlan(tags, 12, 0x0800, &none);
    run(DISSECT_DLT_EN10MB, e.b, e.n, e.n);
    cr_expect(has_event("vlan.too_many_tags"));
    cr_expect_eq(D.m.nvlan, 8);

    /* IPv4 in IPv4, 20 deep: the 16-layer cap. */
    struct pkt p = pk_udp(1, 2, NULL, 0);
    p = pk_ipv4(17, 1, &p);
    for (int i = 0; i < 19; i++) p = pk_ipv4(4, (uint8_t)(i + 2), &p);
    run(DISSECT_DLT_RAW, p.b, p.n, p.n);
    cr_expect(has_event("dissect.too_many_layers"));
    cr_expect_eq(D.nlayers, DISSECT_MAX_LAYERS);

    /* A DNS response claiming 65535 answers of the same tiny record. */
    struct pkt r = {.n = 0};
    pk_u16(&r, 1);
    pk_u16(&r, 0x8180);
    pk_u16(&r, 0);
    pk_u16(&r, 0xffff);
    pk_u16(&r, 0);
    pk_u16(&r, 0);
    for (int i = 0; i < 40; i++) {
        pk_u8(&r, 0);
        pk_u16(&r, 1);
        pk_u16(&r, 1);
        pk_u32(&r, 0);
        pk_u16(&r, 4);
        pk_u32(&r, (uint32_t)i);
    }
    struct pkt u = pk_udp(53, 1000, r.b, r.n);
    struct pkt ip = pk_ipv4(17, 64, &u);
    run(DISSECT_DLT_RAW, ip.b, ip.n, ip.n);
    cr_expect(has_event("dns.too_many_records"));
    cr_expect(D.nfields <= DISSECT_MAX_FIELDS);
}

Test(dissect, json_escaping)
{
    /* HTTP Host with quotes, backslash, control and high bytes. */
    const char req[] = "GET / HTTP/1.0\r\nHost: a\"b\\c\x01\xff\r\n\r\n";
    struct pkt tcp = pk_tcp(1, 80, 1, 1, 0x18, 1, NULL, 0, req, sizeof req - 1);
    struct pkt ip = pk_ipv4(6, 64, &tcp);
    run(DISSECT_DLT_RAW, ip.b, ip.n, ip.n);
    char buf[8192];
    struct dissect_frame_info fi = {7, 1700000000123456789ull, (uint32_t)ip.n, (uint32_t)ip.n};
    size_t n = dissect_json_format(&D, &fi, buf, sizeof buf);
    cr_assert_lt(n, sizeof buf);
    cr_expect(strstr(buf, "\"http.host\":\"a\\\"b\\\\x5cc\\\\x01\\\\xff\"") != NULL, "%s", buf);
    cr_expect(strstr(buf, "\"frame.time_epoch\":\"1700000000.123456789\"") != NULL, "%s", buf);
    cr_expect(strstr(buf, "\"frame.number\":7") != NULL);
    for (size_t i = 0; i < n; i++) cr_assert(buf[i] >= 0x20 && buf[i] < 0x7f, "byte %zu", i);
    /* Truncated output stays NUL-terminated inside the buffer. */
    char small[40];
    size_t n2 = dissect_json_format(&D, &fi, small, sizeof small);
    cr_expect_eq(n2, n);
    cr_expect_eq(strlen(small), sizeof small - 1);
}

Test(dissect, print_relative_seq)
{
    struct print_ctx *ctx = print_ctx_new();
    char buf[1024];
    struct dissect_frame_info fi = {1, 3723000001000ull, 0, 0};
    struct pkt t1 = pk_tcp(80, 40000, 5000, 124, 0x12, 100, NULL, 0, NULL, 0);
    struct pkt ip1 = pk_ipv4(6, 64, &t1);
    run(DISSECT_DLT_RAW, ip1.b, ip1.n, ip1.n);
    dissect_print_format(ctx, &D, &fi, buf, sizeof buf);
    cr_expect(strstr(buf, "Flags [S.], seq 5000, ack 124, win 100, length 0") != NULL, "%s", buf);
    struct pkt t2 = pk_tcp(80, 40000, 5001, 124, 0x18, 100, NULL, 0, "hello", 5);
    struct pkt ip2 = pk_ipv4(6, 64, &t2);
    run(DISSECT_DLT_RAW, ip2.b, ip2.n, ip2.n);
    dissect_print_format(ctx, &D, &fi, buf, sizeof buf);
    cr_expect(strstr(buf, "Flags [P.], seq 1:6, ack 1, win 100, length 5") != NULL, "%s", buf);
    print_ctx_free(ctx);
}

Test(dissect, truncated_vs_invalid)
{
    /* Two questions claimed, one present, frame complete: the header lies (dns.short). */
    struct pkt q = pk_dns_query(99, "example.com", 1, 0);
    pk_set16(&q, 4, 2);
    struct pkt u = pk_udp(1000, 53, q.b, q.n);
    struct pkt ip = pk_ipv4(17, 64, &u);
    run(DISSECT_DLT_RAW, ip.b, ip.n, ip.n);
    cr_expect(has_event("dns.short"));
    cr_expect(!has_event("dns.truncated"));
    EXPECT_FIELD("dns.qry.name", 0, "example.com");
    /* The same bytes with a longer wire length: the capture was cut (dns.truncated). */
    run(DISSECT_DLT_RAW, ip.b, ip.n, ip.n + 20);
    cr_expect(has_event("dns.truncated"));
    cr_expect(!has_event("dns.short"));

    /* A TCP header that does not fit in what IPv4 declared: tcp.short, not truncated. */
    struct pkt t = pk_tcp(1, 2, 3, 4, 0x10, 5, NULL, 0, NULL, 0);
    struct pkt ip2 = pk_ipv4(6, 64, &t);
    pk_set16(&ip2, 2, 30); /* total length 30: 10 bytes of TCP */
    pk_set16(&ip2, 10, 0);
    pk_set16(&ip2, 10, pk_fold(pk_sum(0, ip2.b, 20)));
    run(DISSECT_DLT_RAW, ip2.b, ip2.n, ip2.n);
    cr_expect(has_event("tcp.short"));
    cr_expect(!has_event("tcp.truncated"));
    EXPECT_FIELD("tcp.srcport", 0, "1");
}

/* RFC 1071 one byte at a time: big-endian words, the odd last byte padded with zero. */
static uint32_t reference_csum(const uint8_t *p, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint32_t)sum;
}

/* What d_csum() and d_csum_l4() return for data whose RFC 1071 sum is sum. */
static uint16_t reference_check(uint64_t sum)
{
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The checksum's paths (64-, 32- and 16-byte vector steps, masked vector tails, 64 KiB chunks,
 * 16/8/4/2/1-byte scalar tails, the IPv4 and IPv6 pseudo-headers) against the plain definition,
 * at every start alignment, at every short length and at lengths around each boundary. */
static void checksum_agrees_with_rfc1071(void)
{
    static uint8_t buf[70000];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (uint8_t)(x >> 24);
    }
    memset(buf + 1000, 0xff, 20000); /* all-ones words: the largest lane steps */
    memset(buf + 30000, 0, 12000);   /* zero words: the most negative ones (see dissect.c) */
    static const size_t lens[] = {0,     1,     2,     3,     7,     8,     9,     15,    16,
                                  17,    31,    32,    33,    63,    64,    65,    95,    96,
                                  127,   128,   129,   1500,  9000,  16383, 16384, 16385, 16416,
                                  16448, 32768, 40000, 65535, 65536, 65568, 65598, 65630, 69000};
    size_t nlens = sizeof lens / sizeof lens[0];
    for (size_t a = 0; a < 8; a++)
        for (size_t k = 0; k < nlens + 200; k++) {
            /* the listed lengths, then every length below 200: each tail a vector path masks */
            const uint8_t *p = buf + 900 + a;
            size_t n = k < nlens ? lens[k] : k - nlens;
            cr_assert_eq(d_csum(p, n), reference_check(reference_csum(p, n)),
                         "offset %zu length %zu", a, n);

            /* behind a pseudo-header: IPv4 and IPv6 in turn, addresses and length varied */
            uint8_t ph[40] = {0};
            bool v6 = k % 2;
            uint32_t len = (uint32_t)(n * 2654435761u) & (v6 ? 0xffffffffu : 0xffffu);
            uint8_t proto = (uint8_t)(k * 37 + a);
            struct ip_ctx ip = {.version = v6 ? 6 : 4, .src = buf + 21000 + k, .dst = buf + 7 * a};
            size_t alen = v6 ? 16 : 4;
            memcpy(ph, ip.src, alen);
            memcpy(ph + alen, ip.dst, alen);
            uint8_t *t = ph + 2 * alen;
            if (v6) {
                t[0] = (uint8_t)(len >> 24), t[1] = (uint8_t)(len >> 16);
                t[2] = (uint8_t)(len >> 8), t[3] = (uint8_t)len, t[7] = proto;
            } else {
                t[1] = proto, t[2] = (uint8_t)(len >> 8), t[3] = (uint8_t)len;
            }
            uint64_t want =
                (uint64_t)reference_csum(ph, 2 * alen + (v6 ? 8 : 4)) + reference_csum(p, n);
            cr_assert_eq(d_csum_l4(&ip, proto, len, p, n), reference_check(want),
                         "IPv%d, offset %zu length %zu", ip.version, a, n);
            if (a) continue;

            /* ending where the buffer ends: no load may reach past the last byte (ASan) */
            const uint8_t *q = buf + sizeof buf - n;
            cr_assert_eq(d_csum(q, n), reference_check(reference_csum(q, n)),
                         "at the end, length %zu", n);
            /* all zero: a sum of 0, which no other data folds to (0xffff is all ones) */
            if (n <= 12000) cr_assert_eq(d_csum(buf + 30000, n), 0xffff, "zeros, length %zu", n);
        }
}

Test(dissect, checksum_agrees_with_rfc1071_byte_by_byte_baseline)
{
    cpu_use_baseline(true);
    checksum_agrees_with_rfc1071();
}

Test(dissect, checksum_agrees_with_rfc1071_byte_by_byte_avx2)
{
    if (!cpu_avx2()) cr_skip_test("this CPU has no AVX2");
    checksum_agrees_with_rfc1071();
}

/* The string builder at every capacity: the same bytes as snprintf of the whole text would
 * leave, always NUL-terminated, and the untruncated length counted. */
Test(dissect, sbuf_truncates_like_snprintf)
{
    static const uint8_t v4[4] = {192, 168, 100, 7};
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0xab, 0xcd};
    const char *want = "Flags [S.], seq 4294967295:0, win 0 18446744073709551615 "
                       "192.168.100.7 2001:db8::1 02:00:5e:10:ab:cd 7";
    size_t full = strlen(want);
    for (size_t cap = 0; cap <= full + 2; cap++) {
        char buf[160];
        memset(buf, 'Z', sizeof buf);
        struct sbuf s;
        sb_init(&s, buf, cap);
        sb_str(&s, "Flags [");
        sb_ch(&s, 'S');
        sb_ch(&s, '.');
        sb_str(&s, "], seq ");
        sb_u(&s, 4294967295u);
        sb_ch(&s, ':');
        sb_u(&s, 0);
        sb_str(&s, ", win ");
        sb_u(&s, 0);
        sb_ch(&s, ' ');
        sb_u(&s, UINT64_MAX);
        sb_ch(&s, ' ');
        sb_ip4(&s, v4);
        sb_ch(&s, ' ');
        sb_ip6(&s, v6);
        sb_ch(&s, ' ');
        sb_mac(&s, mac);
        sb_ch(&s, ' ');
        sb_u(&s, 7);
        cr_assert_eq(s.len, full, "cap %zu: length %zu", cap, s.len);
        if (cap == 0) {
            cr_assert_eq(buf[0], 'Z', "nothing written at capacity 0");
            continue;
        }
        char expect[160];
        snprintf(expect, cap, "%s", want);
        cr_assert_str_eq(buf, expect, "cap %zu", cap);
        cr_assert_eq(buf[cap], 'Z', "cap %zu: wrote past the end", cap);
    }
}

/* Numbers at every power of ten and either side of it, and around 2^32, as printf writes them. */
Test(dissect, sbuf_numbers_match_printf)
{
    uint64_t values[80];
    size_t n = 0;
    for (uint64_t p = 1; n + 3 <= 66; p *= 10) {
        values[n++] = p - 1;
        values[n++] = p;
        values[n++] = p + 1;
        if (p > UINT64_MAX / 10) break;
    }
    values[n++] = 4294967295u;
    values[n++] = 4294967296u;
    values[n++] = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        char got[32], want[32];
        struct sbuf s;
        sb_init(&s, got, sizeof got);
        sb_u(&s, values[i]);
        snprintf(want, sizeof want, "%llu", (unsigned long long)values[i]);
        cr_assert_str_eq(got, want);
        cr_assert_eq(s.len, strlen(want));
    }
}

/*
 * d_fixed() records a header's fixed fields at once; with too little room in the field table it
 * must behave as the same d_u() calls one by one would: keep what fits in order, count the rest,
 * and record one dissect.fields_dropped event at the first field that did not fit.
 */
Test(dissect, fixed_fields_fill_the_table_like_single_fields)
{
    static const struct d_fixed_field spec[] = {
        {FLD_IP_VERSION, 0, 1}, {FLD_IP_HDR_LEN, 0, 1}, {FLD_IP_DSFIELD, 1, 1},
        {FLD_IP_LEN, 2, 2},     {FLD_IP_ID, 4, 2},      {FLD_IP_TTL, 8, 1},
    };
    const uint32_t values[] = {4, 20, 7, 1500, 99, 64};
    static uint8_t frame[64];
    for (unsigned room = 0; room <= 7; room++) {
        static struct dissection d;
        memset(&d, 0, sizeof d);
        d.frame = frame;
        d.nlayers = 1;
        d.nfields = (uint16_t)(DISSECT_MAX_FIELDS - room);
        d_fixed(&d, frame + 14, spec, values, 6, 0);
        unsigned kept = room < 6 ? room : 6;
        cr_assert_eq(d.nfields, DISSECT_MAX_FIELDS - room + kept, "room %u", room);
        cr_assert_eq(d.fields_dropped, 6 - kept, "room %u", room);
        for (unsigned i = 0; i < kept; i++) {
            const struct dissect_field *f = &d.fields[DISSECT_MAX_FIELDS - room + i];
            cr_assert_eq(f->id, spec[i].id, "room %u field %u", room, i);
            cr_assert_eq(f->offset, 14u + spec[i].off, "room %u field %u", room, i);
            cr_assert_eq(f->length, spec[i].len, "room %u field %u", room, i);
            cr_assert_eq(dissect_field_u(f), values[i], "room %u field %u", room, i);
            cr_assert_eq(f->layer, 0);
            cr_assert_eq(f->flags, 0);
        }
        if (kept < 6) {
            cr_assert_eq(d.nevents, 1, "room %u", room);
            cr_assert_eq(d.events[0].id, DE_FIELDS_DROPPED);
            cr_assert_eq(d.events[0].offset, 14u + spec[kept].off, "room %u", room);
        } else {
            cr_assert_eq(d.nevents, 0, "room %u", room);
        }
    }
}
