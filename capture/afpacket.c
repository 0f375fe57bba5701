/*
 * afpacket.c — the default source: AF_PACKET with a TPACKET_V3 memory-mapped receive ring.
 *
 * Setup reads as a recipe (afp_open): socket → timestamps → ring layout → PACKET_RX_RING (retry
 * smaller on ENOMEM) → mmap → filter → bind. The socket is created with protocol 0 so nothing is
 * queued before the filter is attached; bind() with ETH_P_ALL starts the flow.
 *
 * The run loop owns one block at a time: block_is_ours() acquire-loads the block status (pairs
 * with the kernel's release when it retires the block), the frames are copied into the sink, and
 * block_release() release-stores TP_STATUS_KERNEL so the kernel sees our reads completed first.
 * A block retire timeout of a few ms keeps a quiet link prompt.
 *
 * Interface faults (down, removed, re-created) arrive as POLLERR with ENETDOWN/ENODEV/ENXIO on
 * the socket; we clear the error, publish the state, and poll the interface by name until it is
 * back, re-binding if it came back with a new index. bind() needs no capability, so this works
 * after the privilege drop.
 */
#define _GNU_SOURCE
#include "afp_block.h"
#include "capture.h"
#include "iface.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS        50
#define IF_RECHECK_NS  (200ull * 1000 * 1000)
#define STATS_EVERY_NS (100ull * 1000 * 1000)

struct afp {
    int fd;
    uint8_t *map;
    size_t map_len;
    uint32_t block_size, block_nr, cur;
    uint32_t last_blk_seq;
    bool have_blk_seq;
    uint64_t blk_seq_anomalies, bad_records;
    bool cooked;
    int link_type;
    char ifname[IF_NAMESIZE];
    unsigned ifindex;
    bool any;
    enum cap_direction direction;
    bool promisc;
    uint32_t snaplen;
    uint32_t if_state;
    uint64_t if_checked_ns, stats_ns;
};

static void set_err(char *err, size_t errlen, const char *what, int e)
{
    snprintf(err, errlen, "%s: %s", what, strerror(e));
    if (e == EPERM || e == EACCES)
        snprintf(err + strlen(err), errlen - strlen(err), " (%s)", privs_hint());
}

/* Hardware timestamps: ask the driver what it can do, switch it on, tell the socket. The kernel
 * falls back to software stamps silently, so each frame's flags decide what we record. */
static void enable_hw_timestamps(struct afp *a, const char *ifname)
{
    struct ethtool_ts_info info = {.cmd = ETHTOOL_GET_TS_INFO};
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    ifr.ifr_data = (void *)&info;
    if (a->any) {
        fprintf(stderr, "packrat-capture: hardware timestamps are per NIC; not available with "
                        "-i any, using kernel software timestamps\n");
        return;
    }
    if (ioctl(a->fd, SIOCETHTOOL, &ifr) != 0 ||
        !(info.so_timestamping & SOF_TIMESTAMPING_RAW_HARDWARE) ||
        !(info.rx_filters & (1u << HWTSTAMP_FILTER_ALL))) {
        fprintf(stderr,
                "packrat-capture: %s cannot stamp every received frame in hardware "
                "(ethtool -T %s); using kernel software timestamps\n",
                ifname, ifname);
        return;
    }
    struct hwtstamp_config cfg = {.tx_type = HWTSTAMP_TX_OFF, .rx_filter = HWTSTAMP_FILTER_ALL};
    ifr.ifr_data = (void *)&cfg;
    if (ioctl(a->fd, SIOCSHWTSTAMP, &ifr) != 0) {
        fprintf(stderr,
                "packrat-capture: enabling hardware timestamps on %s failed: %s; using kernel "
                "software timestamps\n",
                ifname, strerror(errno));
        return;
    }
    int req = SOF_TIMESTAMPING_RAW_HARDWARE;
    if (setsockopt(a->fd, SOL_PACKET, PACKET_TIMESTAMP, &req, sizeof req) != 0)
        fprintf(stderr, "packrat-capture: PACKET_TIMESTAMP: %s\n", strerror(errno));
}

static int setup_ring(struct afp *a, uint32_t want_bytes, uint32_t tov_ms, char *err, size_t errlen)
{
    int v = TPACKET_V3;
    if (setsockopt(a->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) != 0) {
        set_err(err, errlen, "PACKET_VERSION TPACKET_V3", errno);
        return -1;
    }
    a->block_size = afp_block_size_for(want_bytes);
    a->block_nr = want_bytes / a->block_size;
    if (a->block_nr < 2) a->block_nr = 2;
    for (;;) {
        struct tpacket_req3 req;
        memset(&req, 0, sizeof req);
        req.tp_block_size = a->block_size;
        req.tp_block_nr = a->block_nr;
        req.tp_frame_size = TPACKET_ALIGNMENT << 7; /* nominal in V3; must divide the block */
        req.tp_frame_nr = a->block_size / req.tp_frame_size * a->block_nr;
        req.tp_retire_blk_tov = tov_ms;
        req.tp_feature_req_word = 0;
        if (setsockopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) == 0) break;
        if (errno != ENOMEM || a->block_nr <= 2) {
            set_err(err, errlen, "PACKET_RX_RING", errno);
            return -1;
        }
        a->block_nr /= 2; /* memory is tight on small boards: take what the kernel can give */
    }
    a->map_len = (size_t)a->block_size * a->block_nr;
    a->map = mmap(NULL, a->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, a->fd, 0);
    if (a->map == MAP_FAILED) /* MAP_LOCKED may exceed RLIMIT_MEMLOCK: try without */
        a->map = mmap(NULL, a->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
    if (a->map == MAP_FAILED) {
        a->map = NULL;
        set_err(err, errlen, "mmap of the packet ring", errno);
        return -1;
    }
    return 0;
}

/* Promiscuous mode as a socket membership: the kernel drops it with the socket, and with the
 * interface, so a re-created interface gets it again after re-binding. */
static void set_promisc(struct afp *a)
{
    if (!a->promisc) return;
    struct packet_mreq mr = {.mr_ifindex = (int)a->ifindex, .mr_type = PACKET_MR_PROMISC};
    if (setsockopt(a->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0)
        fprintf(stderr, "packrat-capture: promiscuous mode on %s: %s\n", a->ifname,
                strerror(errno));
}

static int bind_to(struct afp *a, unsigned ifindex, char *err, size_t errlen)
{
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)ifindex; /* 0 = any */
    if (bind(a->fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
        snprintf(err, errlen, "bind to %s: %s", a->ifname, strerror(errno));
        return -1;
    }
    return 0;
}

/* The handle only compiles the filter and is never read from: keep its buffer small. */
static void configure_filter_handle(pcap_t *ph, void *ctx)
{
    const struct cap_opts *o = ctx;
    pcap_set_snaplen(ph, (int)(o->snaplen ? o->snaplen : SHM_FRAME_MAX));
    pcap_set_buffer_size(ph, 64 * 1024);
}

struct afp *afp_open(const struct cap_opts *o, const char *ifname, char *err, size_t errlen,
                     int *status)
{
    *status = CAP_EXIT_FAIL;
    struct afp *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->fd = -1;
    snprintf(a->ifname, sizeof a->ifname, "%s", ifname);
    a->any = strcmp(ifname, "any") == 0;
    a->direction = o->direction;
    /* Loopback hands every frame to packet sockets twice, leaving and coming back. Like libpcap,
     * keep only the incoming copy unless -Q out asked for the other. */
    if (!a->any && a->direction == CAP_DIR_INOUT && iface_is_loopback(ifname))
        a->direction = CAP_DIR_IN;
    a->snaplen = o->snaplen;
    a->if_state = SHM_IF_UP;
    struct bpf_program prog = {0};

    /* The filter is compiled on a live libpcap handle of the same interface: only then does
     * libpcap generate the VLAN code that matches the kernel's untagged skb (vlan 100). The
     * handle also tells us the link type libpcap would use and whether it would go cooked. */
    pcap_t *ph = live_handle_open(ifname, configure_filter_handle, (void *)o, err, errlen);
    if (!ph) goto fail;
    if (a->any) pcap_set_datalink(ph, DLT_LINUX_SLL); /* we build SLL (v1) headers ourselves */
    a->link_type = pcap_datalink(ph);
    a->cooked = a->link_type == DLT_LINUX_SLL || a->link_type == DLT_LINUX_SLL2;
    if (a->cooked) a->link_type = DLT_LINUX_SLL;
    bool have_filter = o->filter && *o->filter;
    if (have_filter && filter_compile(ph, o->filter, a->cooked, &prog, err, errlen) != 0) {
        pcap_close(ph);
        *status = CAP_EXIT_USAGE;
        goto fail;
    }
    pcap_close(ph);

    a->fd = socket(AF_PACKET, a->cooked ? SOCK_DGRAM : SOCK_RAW, 0);
    if (a->fd < 0) {
        set_err(err, errlen, "AF_PACKET socket", errno);
        goto fail_prog;
    }
    if (!a->any) {
        a->ifindex = if_nametoindex(ifname);
        if (!a->ifindex) {
            snprintf(err, errlen, "%s: no such interface", ifname);
            goto fail_prog;
        }
    }
    /* Stamp at receive, so frames carry TP_STATUS_TS_SOFTWARE rather than copy time. */
    int one = 1;
    if (setsockopt(a->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) {
        set_err(err, errlen, "SO_TIMESTAMPNS", errno);
        goto fail_prog;
    }
    if (o->hw_timestamps) enable_hw_timestamps(a, ifname);
    if (a->direction == CAP_DIR_IN) /* cheaper than dropping them ourselves; >= Linux 4.20 */
        (void)setsockopt(a->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    if (setup_ring(a, (o->buffer_mib ? o->buffer_mib : CAP_BUFFER_MIB_DEFAULT) * 1024u * 1024u,
                   o->block_ms ? o->block_ms : 4, err, errlen) != 0)
        goto fail_prog;
    if (have_filter && filter_attach(a->fd, &prog, err, errlen) != 0) goto fail_prog;
    filter_free(&prog);
    a->promisc = o->promisc && !a->any;
    set_promisc(a);
    if (bind_to(a, a->ifindex, err, errlen) != 0) goto fail_prog;
    unsigned idx;
    a->if_state = a->any ? SHM_IF_UP : iface_state(ifname, &idx);
    *status = CAP_EXIT_OK;
    return a;

fail_prog:
    filter_free(&prog);
fail:
    afp_close(a);
    return NULL;
}

int afp_link_type(const struct afp *a)
{
    return a->link_type;
}

unsigned afp_ifindex(const struct afp *a)
{
    return a->ifindex;
}

static inline struct tpacket_block_desc *block_at(struct afp *a, uint32_t i)
{
    return (struct tpacket_block_desc *)(a->map + (size_t)i * a->block_size);
}

static inline bool block_is_ours(struct tpacket_block_desc *b)
{
    /* Acquire: pairs with the kernel's release (smp_wmb + store) when it retires the block, so
     * the frames it wrote are visible before we read them. */
    return __atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER;
}

static inline void block_release(struct tpacket_block_desc *b)
{
    /* Release: our reads of the block complete before the kernel may reuse it. */
    __atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

/* Copies every frame of one retired block into the sink. Returns false once -c is reached. */
static bool drain_block(struct afp *a, struct sink *s, struct tpacket_block_desc *b)
{
    uint32_t blk_len = b->hdr.bh1.blk_len, n = b->hdr.bh1.num_pkts;
    uint32_t seq = (uint32_t)b->hdr.bh1.seq_num;
    /* The kernel numbers blocks; a jump means we mis-tracked ownership somewhere. */
    if (a->have_blk_seq && seq != a->last_blk_seq + 1) a->blk_seq_anomalies++;
    a->last_blk_seq = seq;
    a->have_blk_seq = true;
    if (blk_len > a->block_size) blk_len = a->block_size;
    struct cap_copy_cfg cfg = {
        .cooked = a->cooked, .snaplen = a->snaplen, .direction = a->direction};
    return cap_block_copy((const uint8_t *)b, blk_len, b->hdr.bh1.offset_to_first_pkt, n, &cfg, s,
                          &a->bad_records);
}

/* PACKET_STATISTICS resets on every read: add to running totals. */
static void read_stats(struct afp *a, struct sink *s)
{
    struct tpacket_stats_v3 st;
    socklen_t len = sizeof st;
    if (getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) return;
    s->kernel_seen += st.tp_packets; /* the kernel already includes drops in tp_packets */
    s->kernel_drops += st.tp_drops;
}

/* Re-reads the interface after an error or while it is away; re-binds to a re-created one. */
static void check_interface(struct afp *a, struct sink *s)
{
    if (a->any) return;
    unsigned idx = 0;
    uint32_t st = iface_state(a->ifname, &idx);
    if (st != SHM_IF_GONE && idx != a->ifindex) {
        char e[CAP_ERR_MAX];
        if (bind_to(a, idx, e, sizeof e) != 0) {
            fprintf(stderr, "packrat-capture: %s\n", e);
            return;
        }
        a->ifindex = idx;
        set_promisc(a);
        if (s->to_ring) s->frames.hdr->ifindex = idx;
    }
    live_set_if_state(a->ifname, &a->if_state, s, st);
}

int afp_run(struct afp *a, struct sink *s, char *err, size_t errlen)
{
    sink_set_if_state(s, a->if_state);
    while (!cap_stop) {
        struct tpacket_block_desc *b = block_at(a, a->cur);
        if (block_is_ours(b)) {
            /* Frames arriving prove the link is up, whatever the (lazily updated) flags say. */
            if (a->if_state != SHM_IF_UP && b->hdr.bh1.num_pkts)
                live_set_if_state(a->ifname, &a->if_state, s, SHM_IF_UP);
            bool more = drain_block(a, s, b);
            block_release(b);
            a->cur = (a->cur + 1) % a->block_nr;
            sink_batch_end(s);
            if (!more) break;
        } else {
            struct pollfd p = {.fd = a->fd, .events = POLLIN | POLLERR};
            int r = poll(&p, 1, POLL_MS);
            if (r < 0 && errno != EINTR) {
                snprintf(err, errlen, "poll: %s", strerror(errno));
                return -1;
            }
            if (r > 0 && (p.revents & POLLERR)) {
                int e = 0;
                socklen_t el = sizeof e;
                getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &e, &el); /* also clears it */
                if (e && e != ENETDOWN && e != ENODEV && e != ENXIO)
                    fprintf(stderr, "packrat-capture: socket error: %s\n", strerror(e));
                check_interface(a, s);
            }
            sink_tick(s);
        }
        uint64_t now = shm_now_mono_ns();
        if (now - a->stats_ns >= STATS_EVERY_NS) {
            a->stats_ns = now;
            read_stats(a, s);
        }
        if (a->if_state != SHM_IF_UP && now - a->if_checked_ns >= IF_RECHECK_NS) {
            a->if_checked_ns = now;
            check_interface(a, s);
        }
    }
    read_stats(a, s);
    if (a->blk_seq_anomalies || a->bad_records)
        fprintf(stderr,
                "packrat-capture: kernel ring anomalies: %llu block sequence jumps, %llu "
                "records with impossible offsets\n",
                (unsigned long long)a->blk_seq_anomalies, (unsigned long long)a->bad_records);
    return 0;
}

void afp_close(struct afp *a)
{
    if (!a) return;
    if (a->map) munmap(a->map, a->map_len);
    if (a->fd >= 0) close(a->fd);
    free(a);
}
