/*
 * fc_send.c — sends a known set of raw Ethernet frames on an interface (AF_PACKET) and prints
 * exactly what it sent, per canonical flow key, in the format fc_probe prints what the kernel
 * counted, so that a test can compare the two with diff.
 *
 *   fc_send IFNAME SPECFILE        send the frames described by SPECFILE, print what was sent
 *   fc_send --tun IFNAME SPECFILE  the same as IP packets written into the persistent tun device
 *                                  IFNAME (they arrive on it: its ingress), without the
 *                                  Ethernet header (untagged IP lines only)
 *   fc_send IFNAME --bench SECONDS send 64-byte UDP frames as fast as possible for SECONDS and
 *                                  print "frames N cpu_ns C" (this thread's CPU time, which on a
 *                                  veth pair includes the receive softirq run on its way out)
 *
 * SPECFILE: one flow per line, '#' comments:
 *   COUNT KIND SRC DST SPORT DPORT VLAN PAYLOAD
 * KIND: udp4 tcp4 icmp4 frag4 (a non-first IPv4 fragment of UDP), udp6 tcp6 v6ext (UDP behind
 * hop-by-hop + destination options headers), v6frag (non-first IPv6 fragment of UDP), arp.
 * VLAN: "-" untagged, "100" one 802.1Q tag, "100,200" 802.1ad outer 100 + 802.1Q inner 200.
 * Lines are sent interleaved (one frame of each line in turn) so flows mix like real traffic.
 *
 * The canonical key is computed here independently of the BPF program (plain byte comparison of
 * 16-byte addresses, then ports), so a mistake in either shows up as a diff.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FLOWS 256
#define FRAME_MAX 1600

struct flow {
    unsigned long count, sent;
    char kind[16];
    int family;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    int vlan_outer, vlan_inner; /* -1 when absent */
    unsigned payload;
    uint8_t frame[FRAME_MAX];
    size_t len;
    /* canonical key and direction */
    int is_ip;
    uint8_t proto;
    uint8_t a[16], b[16];
    uint16_t pa, pb;
    int dir;
};

static struct flow flows[MAX_FLOWS];
static int nflows;
static size_t l2_strip; /* 14 in --tun mode: the frame is written from its IP header on */

static void die(const char *what)
{
    fprintf(stderr, "fc_send: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) s += (uint32_t)p[n - 1] << 8;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Builds the frame of f and its canonical key. */
static void build(struct flow *f)
{
    uint8_t *p = f->frame;
    static const uint8_t dmac[6] = {0x02, 0x00, 0x00, 0xee, 0xee, 0x01}; /* nobody's MAC */
    static const uint8_t smac[6] = {0x02, 0x00, 0x00, 0xee, 0xee, 0x02};
    memcpy(p, dmac, 6);
    memcpy(p + 6, smac, 6);
    size_t off = 12;
    if (f->vlan_outer >= 0 && f->vlan_inner >= 0) {
        put16(p + off, 0x88a8);
        put16(p + off + 2, (uint16_t)f->vlan_outer);
        put16(p + off + 4, 0x8100);
        put16(p + off + 6, (uint16_t)f->vlan_inner);
        off += 8;
    } else if (f->vlan_outer >= 0) {
        put16(p + off, 0x8100);
        put16(p + off + 2, (uint16_t)f->vlan_outer);
        off += 4;
    }
    bool udp = strstr(f->kind, "udp") || !strcmp(f->kind, "frag4") || !strcmp(f->kind, "v6ext") ||
               !strcmp(f->kind, "v6frag");
    bool tcp = strstr(f->kind, "tcp") != NULL;
    bool nonfirst = !strcmp(f->kind, "frag4") || !strcmp(f->kind, "v6frag");
    f->proto = udp ? 17 : tcp ? 6 : 1;
    if (!strcmp(f->kind, "arp")) {
        put16(p + off, 0x0806);
        off += 2;
        static const uint8_t arp[28] = {0,  1, 8, 0, 6, 4, 0, 1, 2, 0, 0,  0xee, 0xee, 2,
                                        10, 9, 9, 1, 0, 0, 0, 0, 0, 0, 10, 9,    9,    2};
        memcpy(p + off, arp, sizeof arp);
        off += sizeof arp;
        memset(p + off, 0, f->payload);
        f->len = off + f->payload;
        f->is_ip = 0;
        return;
    }
    f->is_ip = 1;
    size_t l4len = (tcp ? 20 : udp ? 8 : 8) + f->payload;
    if (f->family == AF_INET) {
        put16(p + off, 0x0800);
        off += 2;
        uint8_t *ip = p + off;
        memset(ip, 0, 20);
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)(20 + l4len));
        put16(ip + 4, 0x1234);
        if (nonfirst) put16(ip + 6, 185); /* fragment offset 185*8, no more fragments */
        ip[8] = 64;
        ip[9] = f->proto;
        memcpy(ip + 12, f->src, 4);
        memcpy(ip + 16, f->dst, 4);
        put16(ip + 10, csum(ip, 20));
        off += 20;
    } else {
        put16(p + off, 0x86dd);
        off += 2;
        uint8_t *ip = p + off;
        memset(ip, 0, 40);
        ip[0] = 0x60;
        size_t ext = !strcmp(f->kind, "v6ext") ? 16 : nonfirst ? 8 : 0;
        put16(ip + 4, (uint16_t)(ext + l4len));
        ip[7] = 64;
        memcpy(ip + 8, f->src, 16);
        memcpy(ip + 24, f->dst, 16);
        off += 40;
        if (!strcmp(f->kind, "v6ext")) {
            ip[6] = 0; /* hop-by-hop */
            uint8_t *h = p + off;
            memset(h, 0, 16);
            h[0] = 60; /* next: destination options */
            h[1] = 0;  /* 8 bytes */
            h[2] = 1;  /* PadN filling the rest */
            h[3] = 4;
            h[8] = f->proto;
            h[9] = 0;
            h[10] = 1;
            h[11] = 4;
            off += 16;
        } else if (nonfirst) {
            ip[6] = 44;
            uint8_t *h = p + off;
            memset(h, 0, 8);
            h[0] = f->proto;
            put16(h + 2, 185 << 3);
            off += 8;
        } else {
            ip[6] = f->proto;
        }
    }
    uint8_t *l4 = p + off;
    memset(l4, 0, l4len);
    if (tcp || udp) {
        put16(l4, f->sport);
        put16(l4 + 2, f->dport);
    }
    if (udp) put16(l4 + 4, (uint16_t)l4len);
    if (tcp) {
        l4[12] = 5 << 4;
        l4[13] = 0x18; /* PSH ACK */
    }
    if (!tcp && !udp) l4[0] = 8; /* ICMP echo request */
    for (unsigned i = 0; i < f->payload; i++) l4[l4len - f->payload + i] = (uint8_t)('a' + i % 26);
    f->len = off + l4len;

    /* Canonical key: ports only for TCP/UDP with an L4 header in this frame. */
    int alen = f->family == AF_INET ? 4 : 16;
    uint16_t sp = (tcp || udp) && !nonfirst ? f->sport : 0;
    uint16_t dp = (tcp || udp) && !nonfirst ? f->dport : 0;
    int c = memcmp(f->src, f->dst, (size_t)alen);
    bool src_a = c < 0 || (c == 0 && sp <= dp);
    memset(f->a, 0, 16);
    memset(f->b, 0, 16);
    memcpy(f->a, src_a ? f->src : f->dst, (size_t)alen);
    memcpy(f->b, src_a ? f->dst : f->src, (size_t)alen);
    f->pa = src_a ? sp : dp;
    f->pb = src_a ? dp : sp;
    f->dir = src_a ? 0 : 1;
}

static int parse_addr(const char *s, uint8_t *out, int *family)
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        *family = AF_INET6;
        return 0;
    }
    return -1;
}

static void load_spec(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) die(path);
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char kind[16], src[64], dst[64], vlan[32];
        unsigned long count;
        unsigned sport, dport, payload;
        int n = sscanf(line, "%lu %15s %63s %63s %u %u %31s %u", &count, kind, src, dst, &sport,
                       &dport, vlan, &payload);
        if (n <= 0) continue;
        if (n != 8 || nflows == MAX_FLOWS) {
            fprintf(stderr, "fc_send: bad spec line: %s", line);
            exit(2);
        }
        struct flow *f = &flows[nflows++];
        f->count = count;
        snprintf(f->kind, sizeof f->kind, "%s", kind);
        int fam2;
        if (parse_addr(src, f->src, &f->family) || parse_addr(dst, f->dst, &fam2) ||
            fam2 != f->family) {
            fprintf(stderr, "fc_send: bad addresses: %s", line);
            exit(2);
        }
        f->sport = (uint16_t)sport;
        f->dport = (uint16_t)dport;
        f->payload = payload;
        f->vlan_outer = f->vlan_inner = -1;
        if (strcmp(vlan, "-")) {
            char *comma = strchr(vlan, ',');
            f->vlan_outer = atoi(vlan);
            if (comma) f->vlan_inner = atoi(comma + 1);
        }
        build(f);
    }
    fclose(fp);
}

static int open_socket(const char *ifname)
{
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: send only */
    if (s < 0) die("socket(AF_PACKET)");
    unsigned idx = if_nametoindex(ifname);
    if (!idx) die(ifname);
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = (int)idx;
    if (bind(s, (struct sockaddr *)&sll, sizeof sll) != 0) die("bind");
    return s;
}

static void send_frame(int s, const uint8_t *frame, size_t len)
{
    for (;;) {
        ssize_t n = send(s, frame, len, 0);
        if (n == (ssize_t)len) return;
        if (n < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)) {
            /* Not sent: try again, so that what we print is exactly what left. */
            struct timespec ts = {0, 10000};
            nanosleep(&ts, NULL);
            continue;
        }
        die("send");
    }
}

/* A persistent tun device (ip tuntap add ... mode tun), attached without packet information. */
static int open_tun(const char *ifname)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) die("/dev/net/tun");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) die("TUNSETIFF");
    return fd;
}

static void print_ip(const uint8_t *a, int family, char *out, size_t len)
{
    inet_ntop(family, a, out, (socklen_t)len);
}

/* Sums the per-line counts by canonical key and prints the lines fc_probe prints. */
static void report(void)
{
    uint64_t tp = 0, tb = 0;
    bool done[MAX_FLOWS] = {false};
    for (int i = 0; i < nflows; i++) {
        tp += flows[i].sent;
        tb += flows[i].sent * (flows[i].len - l2_strip);
    }
    for (int i = 0; i < nflows; i++) {
        struct flow *f = &flows[i];
        if (done[i] || !f->is_ip || !f->sent) continue;
        uint64_t pk[2] = {0, 0}, by[2] = {0, 0};
        int vlan = f->vlan_outer >= 0 ? f->vlan_outer : 0;
        for (int j = i; j < nflows; j++) {
            struct flow *g = &flows[j];
            int gv = g->vlan_outer >= 0 ? g->vlan_outer : 0;
            if (done[j] || !g->is_ip || !g->sent || g->family != f->family ||
                g->proto != f->proto || gv != vlan || memcmp(g->a, f->a, 16) ||
                memcmp(g->b, f->b, 16) || g->pa != f->pa || g->pb != f->pb)
                continue;
            done[j] = true;
            pk[g->dir] += g->sent;
            by[g->dir] += g->sent * (g->len - l2_strip);
        }
        char a[64], b[64];
        print_ip(f->a, f->family, a, sizeof a);
        print_ip(f->b, f->family, b, sizeof b);
        printf("K v%d p%u vlan%d %s:%u %s:%u pk %llu %llu by %llu %llu\n",
               f->family == AF_INET ? 4 : 6, f->proto, vlan, a, f->pa, b, f->pb,
               (unsigned long long)pk[0], (unsigned long long)pk[1], (unsigned long long)by[0],
               (unsigned long long)by[1]);
    }
    printf("T packets %llu bytes %llu\n", (unsigned long long)tp, (unsigned long long)tb);
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* 64-byte frames (60 + FCS on a real wire) over 16 UDP flows, sent in batches of 64. */
static void bench(int s, double seconds)
{
    struct flow f;
    enum { BATCH = 64, NF = 16 };
    static uint8_t frames[NF][FRAME_MAX];
    size_t len = 0;
    for (int i = 0; i < NF; i++) {
        memset(&f, 0, sizeof f);
        snprintf(f.kind, sizeof f.kind, "udp4");
        f.family = AF_INET;
        uint8_t s4[4] = {10, 77, 0, 1}, d4[4] = {10, 77, 1, (uint8_t)(1 + i)};
        memcpy(f.src, s4, 4);
        memcpy(f.dst, d4, 4);
        f.sport = (uint16_t)(40000 + i);
        f.dport = 7777;
        f.payload = 60 - 42;
        f.vlan_outer = f.vlan_inner = -1;
        build(&f);
        memcpy(frames[i], f.frame, f.len);
        len = f.len;
    }
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = frames[i % NF];
        iov[i].iov_len = len;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    uint64_t sent = 0, t0 = mono_ns(), c0 = thread_cpu_ns();
    uint64_t until = t0 + (uint64_t)(seconds * 1e9);
    while (mono_ns() < until) {
        int n = sendmmsg(s, msgs, BATCH, 0);
        if (n > 0)
            sent += (uint64_t)n;
        else if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
            die("sendmmsg");
    }
    uint64_t c1 = thread_cpu_ns(), t1 = mono_ns();
    printf("frames %llu cpu_ns %llu wall_ns %llu frame_len %zu\n", (unsigned long long)sent,
           (unsigned long long)(c1 - c0), (unsigned long long)(t1 - t0), len);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--tun")) {
        int fd = open_tun(argv[2]);
        l2_strip = 14;
        load_spec(argv[3]);
        for (int i = 0; i < nflows; i++)
            if (!flows[i].is_ip || flows[i].vlan_outer >= 0) {
                fprintf(stderr, "fc_send: --tun takes untagged IP lines only\n");
                return 2;
            }
        for (bool more = true; more;) {
            more = false;
            for (int i = 0; i < nflows; i++) {
                struct flow *f = &flows[i];
                if (f->sent == f->count) continue;
                size_t n = f->len - l2_strip;
                if (write(fd, f->frame + l2_strip, n) != (ssize_t)n) die("write(tun)");
                f->sent++;
                more = more || f->sent < f->count;
            }
        }
        report();
        close(fd);
        return 0;
    }
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: fc_send IFNAME SPECFILE | fc_send --tun IFNAME SPECFILE | "
                        "fc_send IFNAME --bench SECONDS\n");
        return 2;
    }
    int s = open_socket(argv[1]);
    if (!strcmp(argv[2], "--bench")) {
        bench(s, argc == 4 ? atof(argv[3]) : 3.0);
        return 0;
    }
    load_spec(argv[2]);
    for (bool more = true; more;) {
        more = false;
        for (int i = 0; i < nflows; i++) {
            struct flow *f = &flows[i];
            if (f->sent == f->count) continue;
            send_frame(s, f->frame, f->len);
            f->sent++;
            more = more || f->sent < f->count;
        }
    }
    report();
    close(s);
    return 0;
}
