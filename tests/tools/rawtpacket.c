/*
 * rawtpacket.c — the floor for capture's CPU cost: a TPACKET_V3 reader that copies nothing.
 *
 *   rawtpacket -i IF [-B MiB] [--block-timeout MS]
 *
 * Issue 3 judges packrat-capture against "a raw TPACKET_V3 reader that copies nothing" (18 ns per
 * 64-byte frame on the machine, against a 27 ns target for packrat). This is that reader,
 * so scripts/bench-capture can measure the baseline on the machine and in the run it judges.
 *
 * Its socket and ring are set up as packrat-capture's afpacket.c sets up its own with default
 * options (SO_TIMESTAMPNS, TPACKET_V3, 2 MiB blocks, eight of them for the default 16 MiB, a 4 ms
 * retire timeout, poll() with 50 ms when no block is ours), so the two differ only in what is done
 * per frame: here, walking the block's records by tp_next_offset (bounds-checked) and adding up
 * tp_snaplen. No frame byte is read or copied, nothing is written but the block status.
 *
 * Prints "listening on IF" once ready and, on SIGINT/SIGTERM, tcpdump's summary lines on stderr
 * ("N packets captured", "N packets received by filter", "N packets dropped by kernel"), the
 * format scripts/bench-capture already parses. Needs CAP_NET_RAW.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture/afp_block.h"

#define POLL_MS 50

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: rawtpacket -i IF [-B MiB] [--block-timeout MS]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *ifname = NULL;
    uint32_t mib = 16, tov_ms = 4;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-i") == 0 && i + 1 < argc)
            ifname = argv[++i];
        else if (strcmp(argv[i], "-B") == 0 && i + 1 < argc)
            mib = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--block-timeout") == 0 && i + 1 < argc)
            tov_ms = (uint32_t)strtoul(argv[++i], NULL, 10);
        else
            usage();
    }
    if (!ifname || mib == 0 || mib > 1024) usage();
    unsigned ifindex = if_nametoindex(ifname);
    if (!ifindex) {
        fprintf(stderr, "rawtpacket: %s: no such interface\n", ifname);
        return 1;
    }
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) {
        perror("rawtpacket: AF_PACKET socket");
        return 1;
    }
    int one = 1, v3 = TPACKET_V3;
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v3, sizeof v3) != 0) {
        perror("rawtpacket: setsockopt");
        return 1;
    }
    uint32_t bytes = mib * 1024u * 1024u;
    uint32_t block_size = afp_block_size_for(bytes), block_nr = bytes / block_size;
    if (block_nr < 2) block_nr = 2;
    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = block_size;
    req.tp_block_nr = block_nr;
    req.tp_frame_size = TPACKET_ALIGNMENT << 7;
    req.tp_frame_nr = block_size / req.tp_frame_size * block_nr;
    req.tp_retire_blk_tov = tov_ms;
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) {
        perror("rawtpacket: PACKET_RX_RING");
        return 1;
    }
    size_t map_len = (size_t)block_size * block_nr;
    uint8_t *map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
    if (map == MAP_FAILED) map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        perror("rawtpacket: mmap");
        return 1;
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)ifindex;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
        perror("rawtpacket: bind");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns on the signal */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fprintf(stderr, "rawtpacket: listening on %s, %u blocks of %u KiB\n", ifname, block_nr,
            block_size / 1024);

    uint64_t frames = 0, snap_bytes = 0, bad = 0;
    uint32_t cur = 0;
    while (!stop) {
        struct tpacket_block_desc *b =
            (struct tpacket_block_desc *)(map + (size_t)cur * block_size);
        /* Acquire: pairs with the kernel's release when it retires the block. */
        if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
            struct pollfd p = {.fd = fd, .events = POLLIN | POLLERR};
            poll(&p, 1, POLL_MS);
            continue;
        }
        uint32_t blk_len = b->hdr.bh1.blk_len, n = b->hdr.bh1.num_pkts;
        uint32_t off = b->hdr.bh1.offset_to_first_pkt;
        if (blk_len > block_size) blk_len = block_size;
        const uint32_t hdr_len = sizeof(struct tpacket3_hdr);
        for (uint32_t i = 0; i < n; i++) {
            if (off % 8 || off > blk_len || blk_len - off < hdr_len) {
                bad++; /* an impossible offset: the rest of the block cannot be located */
                break;
            }
            const struct tpacket3_hdr *h =
                (const struct tpacket3_hdr *)(const void *)(map + (size_t)cur * block_size + off);
            snap_bytes += h->tp_snaplen;
            frames++;
            if (!h->tp_next_offset) break;
            off += h->tp_next_offset;
        }
        /* Release: our reads of the block complete before the kernel may reuse it. */
        __atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        cur = (cur + 1) % block_nr;
    }
    struct tpacket_stats_v3 st;
    socklen_t len = sizeof st;
    memset(&st, 0, sizeof st);
    getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len);
    fprintf(stderr, "%llu packets captured\n", (unsigned long long)frames);
    fprintf(stderr, "%llu packets received by filter\n", (unsigned long long)st.tp_packets);
    fprintf(stderr, "%llu packets dropped by kernel\n", (unsigned long long)st.tp_drops);
    fprintf(stderr, "%llu bytes captured, %llu records with impossible offsets\n",
            (unsigned long long)snap_bytes, (unsigned long long)bad);
    munmap(map, map_len);
    close(fd);
    return 0;
}
