/*
 * pkt.h — builds real packets as byte arrays for the dissector tests: Ethernet, VLAN tags,
 * IPv4/IPv6 with correct lengths and checksums, TCP/UDP/ICMP, DNS names. Header-only so each
 * test file (and the fuzzer's seed generator) can include it.
 *
 * Packets are built inside-out: the payload first, then each header wraps what it is given.
 */
#ifndef PACKRAT_TESTS_PKT_H
#define PACKRAT_TESTS_PKT_H

#include <stdint.h>
#include <string.h>

struct pkt {
    uint8_t b[4096];
    size_t n;
};

static inline void pk_put(struct pkt *p, const void *src, size_t n)
{
    if (!n || p->n >= sizeof p->b) return;
    if (n > sizeof p->b - p->n) n = sizeof p->b - p->n;
    memcpy(p->b + p->n, src, n);
    p->n += n;
}
static inline void pk_u8(struct pkt *p, uint8_t v)
{
    pk_put(p, &v, 1);
}
static inline void pk_u16(struct pkt *p, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    pk_put(p, b, 2);
}
static inline void pk_u32(struct pkt *p, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    pk_put(p, b, 4);
}
static inline void pk_str(struct pkt *p, const char *s)
{
    pk_put(p, s, strlen(s));
}
static inline void pk_set16(struct pkt *p, size_t at, uint16_t v)
{
    p->b[at] = (uint8_t)(v >> 8);
    p->b[at + 1] = (uint8_t)v;
}

/* DNS name in wire format ("www.example.com" -> 3www7example3com0). */
static inline void pk_dnsname(struct pkt *p, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        pk_u8(p, (uint8_t)n);
        pk_put(p, name, n);
        name += n;
        if (*name == '.') name++;
    }
    pk_u8(p, 0);
}

static inline uint32_t pk_sum(uint32_t s, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (n & 1) s += (uint32_t)b[n - 1] << 8;
    return s;
}
static inline uint16_t pk_fold(uint32_t s)
{
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static const uint8_t PK_IP4_A[4] = {10, 0, 0, 1}, PK_IP4_B[4] = {10, 0, 0, 2};
static const uint8_t PK_IP6_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t PK_IP6_B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t PK_MAC_A[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t PK_MAC_B[6] = {0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};

static inline struct pkt pk_tcp(uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack, uint8_t flags,
                                uint16_t win, const uint8_t *opt, size_t optlen, const void *data,
                                size_t dlen)
{
    struct pkt p = {.n = 0};
    pk_u16(&p, sp);
    pk_u16(&p, dp);
    pk_u32(&p, seq);
    pk_u32(&p, ack);
    pk_u8(&p, (uint8_t)(((20 + optlen) / 4) << 4));
    pk_u8(&p, flags);
    pk_u16(&p, win);
    pk_u16(&p, 0); /* checksum: filled by the IP wrapper */
    pk_u16(&p, 0);
    pk_put(&p, opt, optlen);
    pk_put(&p, data, dlen);
    return p;
}

static inline struct pkt pk_udp(uint16_t sp, uint16_t dp, const void *data, size_t dlen)
{
    struct pkt p = {.n = 0};
    pk_u16(&p, sp);
    pk_u16(&p, dp);
    pk_u16(&p, (uint16_t)(8 + dlen));
    pk_u16(&p, 0);
    pk_put(&p, data, dlen);
    return p;
}

/* Offset of the checksum inside an L4 header, or -1. */
static inline int pk_csum_off(uint8_t proto)
{
    return proto == 6 ? 16 : proto == 17 ? 6 : proto == 1 || proto == 58 ? 2 : -1;
}

static inline struct pkt pk_ipv4(uint8_t proto, uint8_t ttl, const struct pkt *l4)
{
    struct pkt p = {.n = 0};
    pk_u8(&p, 0x45);
    pk_u8(&p, 0);
    pk_u16(&p, (uint16_t)(20 + l4->n));
    pk_u16(&p, 0x1234);
    pk_u16(&p, 0x4000);
    pk_u8(&p, ttl);
    pk_u8(&p, proto);
    pk_u16(&p, 0);
    pk_put(&p, PK_IP4_A, 4);
    pk_put(&p, PK_IP4_B, 4);
    pk_set16(&p, 10, pk_fold(pk_sum(0, p.b, 20)));
    size_t l4at = p.n;
    pk_put(&p, l4->b, l4->n);
    int co = pk_csum_off(proto);
    if (co >= 0) {
        uint32_t s = 0;
        if (proto != 1) {
            s = pk_sum(s, PK_IP4_A, 4);
            s = pk_sum(s, PK_IP4_B, 4);
            s += proto + (uint32_t)l4->n;
        }
        s = pk_sum(s, p.b + l4at, l4->n);
        pk_set16(&p, l4at + (size_t)co, pk_fold(s));
    }
    return p;
}

/* ext: extension headers already chained (their first next-header is nxt, the last names proto). */
static inline struct pkt pk_ipv6x(uint8_t nxt, uint8_t proto, uint8_t hlim, const uint8_t *ext,
                                  size_t extlen, const struct pkt *l4)
{
    struct pkt p = {.n = 0};
    pk_u32(&p, 0x60000000u);
    pk_u16(&p, (uint16_t)(extlen + l4->n));
    pk_u8(&p, nxt);
    pk_u8(&p, hlim);
    pk_put(&p, PK_IP6_A, 16);
    pk_put(&p, PK_IP6_B, 16);
    pk_put(&p, ext, extlen);
    size_t l4at = p.n;
    pk_put(&p, l4->b, l4->n);
    int co = pk_csum_off(proto);
    if (co >= 0) {
        uint32_t s = pk_sum(0, PK_IP6_A, 16);
        s = pk_sum(s, PK_IP6_B, 16);
        s += proto + (uint32_t)l4->n;
        s = pk_sum(s, p.b + l4at, l4->n);
        pk_set16(&p, l4at + (size_t)co, pk_fold(s));
    }
    return p;
}

static inline struct pkt pk_ipv6(uint8_t proto, uint8_t hlim, const struct pkt *l4)
{
    return pk_ipv6x(proto, proto, hlim, NULL, 0, l4);
}

static inline struct pkt pk_eth(uint16_t type, const struct pkt *payload)
{
    struct pkt p = {.n = 0};
    pk_put(&p, PK_MAC_B, 6);
    pk_put(&p, PK_MAC_A, 6);
    pk_u16(&p, type);
    pk_put(&p, payload->b, payload->n);
    return p;
}

/* Ethernet with VLAN tags: tags[i] = TPID << 16 | TCI, outermost first. */
static inline struct pkt pk_eth_vlan(const uint32_t *tags, int ntags, uint16_t type,
                                     const struct pkt *payload)
{
    struct pkt p = {.n = 0};
    pk_put(&p, PK_MAC_B, 6);
    pk_put(&p, PK_MAC_A, 6);
    for (int i = 0; i < ntags; i++) {
        pk_u16(&p, (uint16_t)(tags[i] >> 16));
        pk_u16(&p, (uint16_t)tags[i]);
    }
    pk_u16(&p, type);
    pk_put(&p, payload->b, payload->n);
    return p;
}

/* A DNS query for name/type with id, RD set, and an optional EDNS OPT record. */
static inline struct pkt pk_dns_query(uint16_t id, const char *name, uint16_t type, int edns)
{
    struct pkt p = {.n = 0};
    pk_u16(&p, id);
    pk_u16(&p, 0x0100);
    pk_u16(&p, 1);
    pk_u16(&p, 0);
    pk_u16(&p, 0);
    pk_u16(&p, edns ? 1 : 0);
    pk_dnsname(&p, name);
    pk_u16(&p, type);
    pk_u16(&p, 1);
    if (edns) {
        pk_u8(&p, 0);
        pk_u16(&p, 41);
        pk_u16(&p, 1232);
        pk_u32(&p, 0);
        pk_u16(&p, 0);
    }
    return p;
}

/* A response: CNAME name -> "cdn.example.net", then A and AAAA for it (compressed names). */
static inline struct pkt pk_dns_response(uint16_t id, const char *name)
{
    struct pkt p = {.n = 0};
    pk_u16(&p, id);
    pk_u16(&p, 0x8180);
    pk_u16(&p, 1);
    pk_u16(&p, 3);
    pk_u16(&p, 0);
    pk_u16(&p, 0);
    pk_dnsname(&p, name);
    pk_u16(&p, 1);
    pk_u16(&p, 1);
    /* CNAME */
    pk_u16(&p, 0xc00c);
    pk_u16(&p, 5);
    pk_u16(&p, 1);
    pk_u32(&p, 300);
    size_t rdl = p.n;
    pk_u16(&p, 0);
    size_t cname_at = p.n;
    pk_dnsname(&p, "cdn.example.net");
    pk_set16(&p, rdl, (uint16_t)(p.n - cname_at));
    /* A, name = pointer to the CNAME target */
    pk_u16(&p, (uint16_t)(0xc000 | cname_at));
    pk_u16(&p, 1);
    pk_u16(&p, 1);
    pk_u32(&p, 60);
    pk_u16(&p, 4);
    pk_put(&p, (const uint8_t[]){93, 184, 216, 34}, 4);
    pk_u16(&p, (uint16_t)(0xc000 | cname_at));
    pk_u16(&p, 28);
    pk_u16(&p, 1);
    pk_u32(&p, 60);
    pk_u16(&p, 16);
    pk_put(&p, PK_IP6_B, 16);
    return p;
}

/* A TLS 1.2-framed ClientHello with SNI and ALPN h2. */
static inline struct pkt pk_tls_client_hello(const char *sni)
{
    struct pkt ext = {.n = 0};
    size_t sl = strlen(sni);
    pk_u16(&ext, 0); /* server_name */
    pk_u16(&ext, (uint16_t)(sl + 5));
    pk_u16(&ext, (uint16_t)(sl + 3));
    pk_u8(&ext, 0);
    pk_u16(&ext, (uint16_t)sl);
    pk_str(&ext, sni);
    pk_u16(&ext, 16); /* ALPN */
    pk_u16(&ext, 5);
    pk_u16(&ext, 3);
    pk_u8(&ext, 2);
    pk_str(&ext, "h2");
    struct pkt hello = {.n = 0};
    pk_u16(&hello, 0x0303);
    for (int i = 0; i < 32; i++) pk_u8(&hello, (uint8_t)i);
    pk_u8(&hello, 0); /* session id */
    pk_u16(&hello, 4);
    pk_u16(&hello, 0x1301);
    pk_u16(&hello, 0xc02f);
    pk_u8(&hello, 1);
    pk_u8(&hello, 0);
    pk_u16(&hello, (uint16_t)ext.n);
    pk_put(&hello, ext.b, ext.n);
    struct pkt p = {.n = 0};
    pk_u8(&p, 22);
    pk_u16(&p, 0x0301);
    pk_u16(&p, (uint16_t)(hello.n + 4));
    pk_u8(&p, 1);
    pk_u8(&p, 0);
    pk_u16(&p, (uint16_t)hello.n);
    pk_put(&p, hello.b, hello.n);
    return p;
}

#endif
