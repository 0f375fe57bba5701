/*
 * pktsend.c — put known frames on an interface, for capture tests and benchmarks.
 *
 *   pktsend -i IF -r FILE [-g GAP_US] [-n ROUNDS]     send every frame of a pcap file as is
 *   pktsend -i IF -b SIZE -d SECONDS [-B BATCH]       send SIZE-byte frames as fast as possible
 *
 * Frames go out through an AF_PACKET SOCK_RAW socket byte for byte (VLAN tags inline, as in the
 * file). Blast mode bypasses the qdisc and batches with sendmmsg; every frame carries a running
 * counter so a reader could check order. Prints "sent=N seconds=S" on stdout. Needs CAP_NET_RAW.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int open_sock(const char *ifname, struct sockaddr_ll *to, bool bypass)
{
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) {
        perror("pktsend: socket");
        return -1;
    }
    memset(to, 0, sizeof *to);
    to->sll_family = AF_PACKET;
    to->sll_ifindex = (int)if_nametoindex(ifname);
    to->sll_halen = 6;
    if (!to->sll_ifindex) {
        fprintf(stderr, "pktsend: %s: no such interface\n", ifname);
        return -1;
    }
    if (bind(fd, (struct sockaddr *)to, sizeof *to) != 0) {
        perror("pktsend: bind");
        return -1;
    }
    int one = 1;
    if (bypass) (void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    return fd;
}

static int send_file(int fd, struct sockaddr_ll *to, const char *path, long gap_us, long rounds)
{
    char pe[PCAP_ERRBUF_SIZE];
    long sent = 0;
    for (long r = 0; r < rounds; r++) {
        pcap_t *p = pcap_open_offline(path, pe);
        if (!p) {
            fprintf(stderr, "pktsend: %s\n", pe);
            return 1;
        }
        struct pcap_pkthdr *h;
        const u_char *d;
        while (pcap_next_ex(p, &h, &d) == 1) {
            for (int attempt = 0;; attempt++) {
                if (sendto(fd, d, h->caplen, 0, (struct sockaddr *)to, sizeof *to) ==
                    (ssize_t)h->caplen)
                    break;
                if (errno != ENOBUFS || attempt > 100) {
                    fprintf(stderr, "pktsend: send of %u bytes: %s\n", h->caplen, strerror(errno));
                    pcap_close(p);
                    return 1;
                }
                usleep(1000);
            }
            sent++;
            if (gap_us > 0) usleep((useconds_t)gap_us);
        }
        pcap_close(p);
    }
    printf("sent=%ld\n", sent);
    return 0;
}

static int blast(int fd, struct sockaddr_ll *to, int size, double seconds, int batch)
{
    static uint8_t frames[MAX_BATCH][9216];
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    for (int i = 0; i < batch; i++) {
        uint8_t *f = frames[i];
        memset(f, 0, (size_t)size);
        const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
        memcpy(f, dst, 6);
        memcpy(f + 6, src, 6);
        f[12] = 0x88; /* 0x88b5: IEEE local experimental, nobody's stack answers it */
        f[13] = 0xb5;
        iov[i].iov_base = f;
        iov[i].iov_len = (size_t)size;
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = to;
        msgs[i].msg_hdr.msg_namelen = sizeof *to;
    }
    uint64_t sent = 0;
    double start = now_s(), end = start + seconds, t = start;
    while (t < end) {
        for (int i = 0; i < batch; i++) {
            uint64_t n = sent + (uint64_t)i;
            memcpy(frames[i] + 14, &n, sizeof n);
        }
        int r = sendmmsg(fd, msgs, (unsigned)batch, 0);
        if (r > 0)
            sent += (uint64_t)r;
        else if (r < 0 && errno != ENOBUFS && errno != EAGAIN) {
            perror("pktsend: sendmmsg");
            return 1;
        }
        if ((sent & 0x3ff) < (uint64_t)batch) t = now_s();
    }
    printf("sent=%llu seconds=%.3f\n", (unsigned long long)sent, now_s() - start);
    return 0;
}

int main(int argc, char **argv)
{
    const char *ifname = NULL, *file = NULL;
    long gap_us = 0, rounds = 1;
    int size = 0, batch = 64;
    double seconds = 1;
    int c;
    while ((c = getopt(argc, argv, "i:r:g:n:b:d:B:")) != -1) {
        switch (c) {
        case 'i':
            ifname = optarg;
            break;
        case 'r':
            file = optarg;
            break;
        case 'g':
            gap_us = strtol(optarg, NULL, 10);
            break;
        case 'n':
            rounds = strtol(optarg, NULL, 10);
            break;
        case 'b':
            size = atoi(optarg);
            break;
        case 'd':
            seconds = atof(optarg);
            break;
        case 'B':
            batch = atoi(optarg);
            break;
        default:
            goto usage;
        }
    }
    if (!ifname || (!file && size <= 0)) goto usage;
    if (size && (size < 14 || size > 9216)) goto usage;
    if (batch < 1 || batch > MAX_BATCH) goto usage;
    struct sockaddr_ll to;
    int fd = open_sock(ifname, &to, !file);
    if (fd < 0) return 1;
    return file ? send_file(fd, &to, file, gap_us, rounds) : blast(fd, &to, size, seconds, batch);
usage:
    fprintf(stderr, "usage: pktsend -i IF -r FILE [-g GAP_US] [-n ROUNDS]\n"
                    "       pktsend -i IF -b SIZE -d SECONDS [-B BATCH]\n");
    return 2;
}
