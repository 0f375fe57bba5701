/*
 * filter.c — the capture filter: tcpdump syntax compiled by libpcap, run by the kernel.
 *
 * The expression is compiled on a live handle of the capture interface (or on the file handle
 * for -r), never on pcap_open_dead: only a live Linux handle makes libpcap emit the VLAN code
 * that reads the kernel's out-of-band tag, so `vlan 100` matches the untagged skb the socket
 * filter actually sees.
 *
 * For a cooked (-i any, SOCK_DGRAM) socket the kernel filter sees the packet from the network
 * header on, not our SLL header; loads are rewritten as libpcap does: SLL payload offsets move
 * down by the header length, the packet type and protocol fields become the kernel's ancillary
 * loads, and any other header field cannot be filtered in the kernel (we refuse, with a reason).
 */
#define _GNU_SOURCE
#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define SLL_HDR_LEN 16u

static int fix_cooked(struct bpf_program *prog)
{
    for (u_int i = 0; i < prog->bf_len; i++) {
        struct bpf_insn *p = &prog->bf_insns[i];
        unsigned cls = BPF_CLASS(p->code), mode = BPF_MODE(p->code);
        if ((cls != BPF_LD && cls != BPF_LDX) ||
            (mode != BPF_ABS && mode != BPF_IND && mode != BPF_MSH))
            continue;
        if ((int32_t)p->k < 0) continue; /* already an ancillary load */
        if (p->k >= SLL_HDR_LEN)
            p->k -= SLL_HDR_LEN;
        else if (p->k == 0)
            p->k = (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE);
        else if (p->k == 14)
            p->k = (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL);
        else
            return -1;
    }
    return 0;
}

int filter_compile(pcap_t *h, const char *expr, bool cooked, struct bpf_program *prog, char *err,
                   size_t errlen)
{
    memset(prog, 0, sizeof *prog);
    if (pcap_compile(h, prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen,
                 "bad capture filter: %s\n  expression: %s\n  (tcpdump syntax; see "
                 "pcap-filter(7))",
                 pcap_geterr(h), expr);
        return -1;
    }
    if (cooked && fix_cooked(prog) != 0) {
        pcap_freecode(prog);
        snprintf(err, errlen,
                 "capture filter '%s' reads link-layer header fields that a cooked (-i any) "
                 "socket does not have; capture one interface or use --backend pcap",
                 expr);
        return -1;
    }
    return 0;
}

int filter_attach(int fd, const struct bpf_program *prog, char *err, size_t errlen)
{
    struct sock_fprog fp = {.len = (unsigned short)prog->bf_len,
                            .filter = (struct sock_filter *)prog->bf_insns};
    if (prog->bf_len > 0xffff ||
        setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) != 0) {
        snprintf(err, errlen, "attaching the capture filter: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void filter_free(struct bpf_program *prog)
{
    if (prog->bf_insns) pcap_freecode(prog);
    prog->bf_insns = NULL;
    prog->bf_len = 0;
}
