/*
 * pcapsrc.c — libpcap as a source: live capture (--backend pcap) and capture files (-r).
 *
 * Live: immediate mode and nanosecond precision, the filter compiled and set on the same live
 * handle. libpcap does not tell us per frame how it was stamped; we set SO_TIMESTAMPNS on its
 * socket so the kernel stamps at receive and record the frames as kernel-stamped.
 * A downed interface shows as POLLERR on libpcap's socket or in the interface flags; we report
 * it, keep the handle (the kernel re-attaches the socket when the interface comes back up) and
 * resume. An interface re-created under the same name is followed by re-binding the socket.
 *
 * Files: pcap or pcapng through pcap_open_offline_with_tstamp_precision ("-" is stdin), filtered
 * in user space by libpcap (pcap_setfilter on a savefile), as fast as possible or paced by the
 * file's own timestamps with --realtime.
 */
#define _GNU_SOURCE
#include "capture.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH   256
#define POLL_MS 50

struct pcapsrc {
    pcap_t *h;
    bool file;
    bool realtime;
    uint32_t snaplen; /* -s for files (libpcap applies it to live captures itself) */
    char ifname[64];
    unsigned ifindex;
    uint32_t if_state;
    uint64_t first_ts, start_mono;
    bool have_first;
    struct sink *sink;
};

static pcap_t *fail_handle(pcap_t *h)
{
    if (h) pcap_close(h);
    return NULL;
}

struct live_config {
    const struct cap_opts *o;
    const char *ifname;
    bool hw_said; /* the handle is re-created while the interface is down: say it once */
};

/* Immediate mode, nanosecond stamps, the -B buffer; hardware stamps when asked and offered. */
static void configure_live(pcap_t *h, void *ctx)
{
    struct live_config *lc = ctx;
    const struct cap_opts *o = lc->o;
    pcap_set_snaplen(h, (int)(o->snaplen ? o->snaplen : SHM_FRAME_MAX));
    pcap_set_promisc(h, o->promisc);
    pcap_set_immediate_mode(h, 1);
    pcap_set_buffer_size(
        h, (int)((o->buffer_mib ? o->buffer_mib : CAP_BUFFER_MIB_DEFAULT) * 1024u * 1024u));
    pcap_set_tstamp_precision(h, PCAP_TSTAMP_PRECISION_NANO);
    if (o->hw_timestamps && pcap_set_tstamp_type(h, PCAP_TSTAMP_ADAPTER_UNSYNCED) != 0 &&
        !lc->hw_said) {
        fprintf(stderr,
                "packrat-capture: %s offers no hardware timestamps; using kernel software "
                "timestamps\n",
                lc->ifname);
        lc->hw_said = true;
    }
}

struct pcapsrc *pcapsrc_open_live(const struct cap_opts *o, const char *ifname, char *err,
                                  size_t errlen, int *status)
{
    *status = CAP_EXIT_FAIL;
    struct pcapsrc *p = calloc(1, sizeof *p);
    char pe[PCAP_ERRBUF_SIZE] = "";
    if (!p) return NULL;
    snprintf(p->ifname, sizeof p->ifname, "%s", ifname);
    struct live_config lc = {o, ifname, false};
    p->h = live_handle_open(ifname, configure_live, &lc, err, errlen);
    if (!p->h) goto fail;
    int rc;
    if (o->direction != CAP_DIR_INOUT &&
        pcap_setdirection(p->h, o->direction == CAP_DIR_IN ? PCAP_D_IN : PCAP_D_OUT) != 0) {
        snprintf(err, errlen, "-Q: %s", pcap_geterr(p->h));
        goto fail;
    }
    if (o->filter && *o->filter) {
        struct bpf_program prog;
        if (filter_compile(p->h, o->filter, false, &prog, err, errlen) != 0) {
            *status = CAP_EXIT_USAGE;
            goto fail;
        }
        rc = pcap_setfilter(p->h, &prog);
        filter_free(&prog);
        if (rc != 0) {
            snprintf(err, errlen, "setting the capture filter: %s", pcap_geterr(p->h));
            goto fail;
        }
    }
    int fd = pcap_get_selectable_fd(p->h), one = 1;
    if (fd >= 0) (void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (pcap_setnonblock(p->h, 1, pe) != 0) {
        snprintf(err, errlen, "%s", pe);
        goto fail;
    }
    p->if_state = strcmp(ifname, "any") == 0 ? SHM_IF_UP : iface_state(ifname, &p->ifindex);
    *status = CAP_EXIT_OK;
    return p;
fail:
    p->h = fail_handle(p->h);
    free(p);
    return NULL;
}

struct pcapsrc *pcapsrc_open_file(const struct cap_opts *o, char *err, size_t errlen, int *status)
{
    *status = CAP_EXIT_FAIL;
    struct pcapsrc *p = calloc(1, sizeof *p);
    char pe[PCAP_ERRBUF_SIZE] = "";
    if (!p) return NULL;
    p->file = true;
    p->realtime = o->realtime;
    p->snaplen = o->snaplen;
    p->h = pcap_open_offline_with_tstamp_precision(o->read_file, PCAP_TSTAMP_PRECISION_NANO, pe);
    if (!p->h) {
        snprintf(err, errlen, "%s", pe);
        free(p);
        return NULL;
    }
    if (o->filter && *o->filter) {
        struct bpf_program prog;
        if (filter_compile(p->h, o->filter, false, &prog, err, errlen) != 0) {
            *status = CAP_EXIT_USAGE;
            goto fail;
        }
        int rc = pcap_setfilter(p->h, &prog); /* on a savefile: pcap_offline_filter per record */
        filter_free(&prog);
        if (rc != 0) {
            snprintf(err, errlen, "setting the filter: %s", pcap_geterr(p->h));
            goto fail;
        }
    }
    *status = CAP_EXIT_OK;
    return p;
fail:
    p->h = fail_handle(p->h);
    free(p);
    return NULL;
}

int pcapsrc_link_type(const struct pcapsrc *p)
{
    return pcap_datalink(p->h);
}

uint32_t pcapsrc_snaplen(const struct pcapsrc *p)
{
    int s = pcap_snapshot(p->h);
    return s > 0 ? (uint32_t)s : SHM_FRAME_MAX;
}

static void pace(struct pcapsrc *p, uint64_t ts)
{
    if (!p->have_first) {
        p->have_first = true;
        p->first_ts = ts;
        p->start_mono = shm_now_mono_ns();
        return;
    }
    if (ts <= p->first_ts) return;
    uint64_t due = p->start_mono + (ts - p->first_ts);
    /* Sleep in slices so heartbeats and signals are served during long gaps. */
    for (;;) {
        uint64_t now = shm_now_mono_ns();
        if (now >= due || cap_stop) return;
        uint64_t d = due - now;
        if (d > 50000000ull) d = 50000000ull;
        struct timespec t = {.tv_sec = 0, .tv_nsec = (long)d};
        nanosleep(&t, NULL);
        sink_tick(p->sink);
    }
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct pcapsrc *p = (struct pcapsrc *)user;
    struct sink *s = p->sink;
    if (sink_full(s)) return;
    uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
    if (p->file && p->realtime) pace(p, ts);
    uint32_t caplen = h->caplen < SHM_FRAME_MAX ? h->caplen : SHM_FRAME_MAX;
    if (p->snaplen && caplen > p->snaplen) caplen = p->snaplen;
    uint8_t *dst = sink_reserve(s, caplen);
    if (!dst) return;
    memcpy(dst, bytes, caplen);
    struct shm_record m = {
        .ts_ns = ts,
        .len = caplen,
        .wire_len = h->len > caplen ? h->len : caplen,
        .ts_source = p->file ? SHM_TS_FILE : SHM_TS_KERNEL,
        .direction = SHM_DIR_UNKNOWN,
    };
    if (m.len < m.wire_len) m.flags |= SHM_FRAME_TRUNCATED;
    sink_commit(s, &m);
}

static void read_stats(struct pcapsrc *p, struct sink *s)
{
    struct pcap_stat st;
    if (p->file || pcap_stats(p->h, &st) != 0) return;
    s->kernel_seen = st.ps_recv; /* libpcap keeps running totals itself */
    s->kernel_drops = st.ps_drop;
}

/*
 * An interface deleted and re-created comes back with a new index; libpcap's socket is still
 * bound to the old one. Re-binding an AF_PACKET socket needs no privilege, so we do it on
 * libpcap's descriptor (protocol ETH_P_ALL, as libpcap binds it).
 */
static void rebind(struct pcapsrc *p, unsigned idx)
{
    int fd = pcap_get_selectable_fd(p->h);
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)idx;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
        fprintf(stderr, "packrat-capture: re-binding to %s: %s\n", p->ifname, strerror(errno));
        return;
    }
    p->ifindex = idx;
    if (p->sink && p->sink->to_ring) p->sink->frames.hdr->ifindex = idx;
}

int pcapsrc_run(struct pcapsrc *p, struct sink *s, char *err, size_t errlen)
{
    p->sink = s;
    if (p->file) {
        sink_set_if_state(s, SHM_IF_FILE);
        while (!cap_stop && !sink_full(s)) {
            int n = pcap_dispatch(p->h, BATCH, on_packet, (u_char *)p);
            sink_batch_end(s);
            if (n == PCAP_ERROR) {
                snprintf(err, errlen, "%s", pcap_geterr(p->h));
                return -1;
            }
            if (n == 0) break; /* end of file */
        }
        sink_set_if_state(s, SHM_IF_EOF);
        return 0;
    }
    sink_set_if_state(s, p->if_state);
    int fd = pcap_get_selectable_fd(p->h);
    uint64_t stats_ns = 0, checked_ns = 0;
    bool frames_since_check = false;
    bool any = strcmp(p->ifname, "any") == 0;
    while (!cap_stop && !sink_full(s)) {
        int n = pcap_dispatch(p->h, BATCH, on_packet, (u_char *)p);
        if (n > 0) {
            /* Frames arriving prove the link is up, whatever the (lazily updated) flags say. */
            if (p->if_state != SHM_IF_UP) live_set_if_state(p->ifname, &p->if_state, s, SHM_IF_UP);
            frames_since_check = true;
            sink_batch_end(s);
        } else if (n == 0) {
            /* Non-blocking libpcap never polls itself, so interface errors surface here. */
            struct pollfd pf = {.fd = fd, .events = POLLIN};
            int r = poll(&pf, 1, POLL_MS);
            if (r < 0 && errno != EINTR) {
                snprintf(err, errlen, "poll: %s", strerror(errno));
                return -1;
            }
            if (r > 0 && (pf.revents & POLLERR)) {
                int e = 0;
                socklen_t el = sizeof e;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el); /* clears it */
                checked_ns = 0;                                /* look at the interface now */
            }
            sink_tick(s);
        } else if (n == PCAP_ERROR_BREAK) {
            break;
        } else {
            /* Interface down or gone: say so once, keep the handle, try again shortly. */
            unsigned idx;
            uint32_t st = iface_state(p->ifname, &idx);
            if (st == SHM_IF_UP) st = SHM_IF_DOWN; /* it failed: treat as down until data */
            live_set_if_state(p->ifname, &p->if_state, s, st);
            struct timespec t = {.tv_sec = 0, .tv_nsec = 100000000L};
            nanosleep(&t, NULL);
            sink_tick(s);
        }
        uint64_t now = shm_now_mono_ns();
        if (now - stats_ns > 100000000ull) {
            stats_ns = now;
            read_stats(p, s);
        }
        /* The interface flags, when no frame has shown the link alive since the last look. */
        if (!any && now - checked_ns > 200000000ull) {
            checked_ns = now;
            if (!frames_since_check) {
                unsigned idx;
                uint32_t st = iface_state(p->ifname, &idx);
                if (st != SHM_IF_GONE && idx != p->ifindex) rebind(p, idx);
                live_set_if_state(p->ifname, &p->if_state, s, st);
            }
            frames_since_check = false;
        }
    }
    read_stats(p, s);
    return 0;
}

void pcapsrc_close(struct pcapsrc *p)
{
    if (!p) return;
    if (p->h) pcap_close(p->h);
    free(p);
}
