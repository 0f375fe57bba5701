/*
 * mkframes.c — writes the capture tests' known frame set to a pcap file.
 *
 *   mkframes OUT.pcap [--no-jumbo]
 *
 * The set covers what capture must bring back byte-identical: the minimum Ethernet frame, a full
 * 1500-byte MTU frame, a 9000-byte jumbo frame, 802.1Q with a PCP, 802.1Q on another VLAN,
 * 802.1ad, QinQ (802.1ad outer + 802.1Q inner), a priority tag (TCI 0), IPv6, and ARP. Every
 * frame's payload carries its index so the frames are distinguishable. Destination MACs are not
 * the receiver's, so no stack in the test namespaces answers them.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint8_t buf[9100];

static size_t eth(uint8_t *p, uint16_t type)
{
    const uint8_t dst[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};
    const uint8_t src[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
    memcpy(p, dst, 6);
    memcpy(p + 6, src, 6);
    p[12] = (uint8_t)(type >> 8);
    p[13] = (uint8_t)type;
    return 14;
}

static size_t tag(uint8_t *p, uint16_t tpid, unsigned pcp, unsigned vid, uint16_t inner)
{
    /* Overwrites the ethertype at p-2 with tpid and appends TCI + inner type. */
    p[-2] = (uint8_t)(tpid >> 8);
    p[-1] = (uint8_t)tpid;
    uint16_t tci = (uint16_t)((pcp << 13) | (vid & 0xfff));
    p[0] = (uint8_t)(tci >> 8);
    p[1] = (uint8_t)tci;
    p[2] = (uint8_t)(inner >> 8);
    p[3] = (uint8_t)inner;
    return 4;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* IPv4 + UDP to 192.0.2.2 (TEST-NET-1, never routed), payload filled to total frame size. */
static size_t ipv4_udp(uint8_t *p, size_t room, unsigned index)
{
    size_t ip_len = room;
    memset(p, 0, room);
    p[0] = 0x45;
    p[2] = (uint8_t)(ip_len >> 8);
    p[3] = (uint8_t)ip_len;
    p[8] = 64;
    p[9] = 17;
    const uint8_t s[4] = {192, 0, 2, 1}, d[4] = {192, 0, 2, 2};
    memcpy(p + 12, s, 4);
    memcpy(p + 16, d, 4);
    uint16_t c = csum(p, 20);
    p[10] = (uint8_t)(c >> 8);
    p[11] = (uint8_t)c;
    uint8_t *u = p + 20;
    size_t ulen = ip_len - 20;
    u[0] = 0x30;
    u[1] = 0x39; /* 12345 */
    u[2] = 0x00;
    u[3] = 0x09; /* discard */
    u[4] = (uint8_t)(ulen >> 8);
    u[5] = (uint8_t)ulen;
    for (size_t i = 8; i < ulen; i++) u[i] = (uint8_t)(index * 31 + i);
    u[8] = (uint8_t)index;
    return room;
}

static size_t ipv6_udp(uint8_t *p, size_t room, unsigned index)
{
    memset(p, 0, room);
    size_t plen = room - 40;
    p[0] = 0x60;
    p[4] = (uint8_t)(plen >> 8);
    p[5] = (uint8_t)plen;
    p[6] = 17;
    p[7] = 64;
    p[8] = 0x20; /* 2001:db8::1 -> 2001:db8::2 (documentation prefix) */
    p[9] = 0x01;
    p[10] = 0x0d;
    p[11] = 0xb8;
    p[23] = 1;
    memcpy(p + 24, p + 8, 15);
    p[39] = 2;
    uint8_t *u = p + 40;
    u[1] = 0x39;
    u[0] = 0x30;
    u[3] = 0x09;
    u[4] = (uint8_t)(plen >> 8);
    u[5] = (uint8_t)plen;
    for (size_t i = 8; i < plen; i++) u[i] = (uint8_t)(index * 17 + i);
    u[8] = (uint8_t)index;
    return room;
}

static void emit(pcap_dumper_t *d, size_t len, unsigned index)
{
    struct pcap_pkthdr h;
    h.ts.tv_sec = 1700000000 + (time_t)index;
    h.ts.tv_usec = 0;
    h.caplen = h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)d, &h, buf);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mkframes OUT.pcap [--no-jumbo]\n");
        return 2;
    }
    int jumbo = !(argc > 2 && strcmp(argv[2], "--no-jumbo") == 0);
    pcap_t *dead =
        pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *d = dead ? pcap_dump_open(dead, argv[1]) : NULL;
    if (!d) {
        fprintf(stderr, "mkframes: cannot write %s\n", argv[1]);
        return 1;
    }
    unsigned i = 0;
    size_t n;
    /* 1: minimum frame (60 bytes without FCS): IPv4/UDP padded */
    n = eth(buf, 0x0800);
    i++;
    emit(d, n + ipv4_udp(buf + n, 60 - n, i), i);
    /* 2: 1514 bytes: a full 1500-byte MTU */
    n = eth(buf, 0x0800);
    i++;
    emit(d, n + ipv4_udp(buf + n, 1500, i), i);
    /* 3: 9014 bytes: jumbo MTU 9000 */
    if (jumbo) {
        n = eth(buf, 0x0800);
        i++;
        emit(d, n + ipv4_udp(buf + n, 9000, i), i);
    }
    /* 4: 802.1Q VLAN 100, PCP 5 */
    n = eth(buf, 0);
    n += tag(buf + n, 0x8100, 5, 100, 0x0800);
    i++;
    emit(d, n + ipv4_udp(buf + n, 100, i), i);
    /* 5: 802.1Q VLAN 101, PCP 0 (must not pass `vlan 100`) */
    n = eth(buf, 0);
    n += tag(buf + n, 0x8100, 0, 101, 0x0800);
    i++;
    emit(d, n + ipv4_udp(buf + n, 120, i), i);
    /* 6: 802.1ad single tag, VLAN 200 PCP 2 */
    n = eth(buf, 0);
    n += tag(buf + n, 0x88a8, 2, 200, 0x0800);
    i++;
    emit(d, n + ipv4_udp(buf + n, 90, i), i);
    /* 7: QinQ: 802.1ad outer VLAN 300, 802.1Q inner VLAN 100 */
    n = eth(buf, 0);
    n += tag(buf + n, 0x88a8, 1, 300, 0);
    n += tag(buf + n, 0x8100, 4, 100, 0x0800);
    i++;
    emit(d, n + ipv4_udp(buf + n, 110, i), i);
    /* 8: priority tag: 802.1Q with TCI 0 */
    n = eth(buf, 0);
    n += tag(buf + n, 0x8100, 0, 0, 0x0800);
    i++;
    emit(d, n + ipv4_udp(buf + n, 80, i), i);
    /* 9: IPv6/UDP */
    n = eth(buf, 0x86dd);
    i++;
    emit(d, n + ipv6_udp(buf + n, 200, i), i);
    /* 10: 802.1Q VLAN 100 carrying IPv6 */
    n = eth(buf, 0);
    n += tag(buf + n, 0x8100, 7, 100, 0x86dd);
    i++;
    emit(d, n + ipv6_udp(buf + n, 150, i), i);
    /* 11: ARP request, minimum size */
    n = eth(buf, 0x0806);
    memset(buf + n, 0, 46);
    const uint8_t arp[8] = {0, 1, 8, 0, 6, 4, 0, 1};
    memcpy(buf + n, arp, 8);
    buf[n + 8 + 6 + 3] = 1;
    i++;
    emit(d, 60, i);
    pcap_dump_close(d);
    pcap_close(dead);
    printf("%u\n", i);
    return 0;
}
