/*
 * iface.c — the few interface questions capture asks: which one by default, and is it there/up.
 *
 * The default follows tcpdump: the first interface libpcap lists that is up, running and not a
 * loopback (libpcap already sorts the list that way), never the pseudo-device "any".
 * State is read with SIOCGIFFLAGS and ETHTOOL_GLINK on a plain UDP socket, neither of which
 * needs privilege, so it keeps working after the drop.
 */
#define _GNU_SOURCE
#include "iface.h"

#include <pcap/pcap.h>

#include "shm/layout.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int iface_default(char *out, size_t outlen, char *err, size_t errlen)
{
    pcap_if_t *all = NULL;
    char pe[PCAP_ERRBUF_SIZE];
    if (pcap_findalldevs(&all, pe) != 0) {
        snprintf(err, errlen, "listing interfaces: %s", pe);
        return -1;
    }
    const pcap_if_t *pick = NULL, *fallback = NULL;
    for (const pcap_if_t *d = all; d && !pick; d = d->next) {
        if ((d->flags & PCAP_IF_LOOPBACK) || !(d->flags & PCAP_IF_UP)) continue;
        if (strcmp(d->name, "any") == 0 || strchr(d->name, ':')) continue; /* not a NIC */
        if (d->flags & PCAP_IF_RUNNING)
            pick = d;
        else if (!fallback)
            fallback = d;
    }
    if (!pick) pick = fallback;
    if (pick) snprintf(out, outlen, "%s", pick->name);
    pcap_freealldevs(all);
    if (!pick) {
        snprintf(err, errlen, "no interface is up (other than loopback); name one with -i");
        return -1;
    }
    return 0;
}

/* A request about name, and the plain UDP socket to ask it on (-1 when there is none). */
static int ifreq_open(const char *name, struct ifreq *ifr)
{
    memset(ifr, 0, sizeof *ifr);
    snprintf(ifr->ifr_name, sizeof ifr->ifr_name, "%s", name);
    return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

bool iface_is_loopback(const char *name)
{
    struct ifreq ifr;
    int fd = ifreq_open(name, &ifr);
    if (fd < 0) return false;
    bool lo = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_LOOPBACK);
    close(fd);
    return lo;
}

uint32_t iface_state(const char *name, unsigned *ifindex)
{
    *ifindex = if_nametoindex(name);
    if (!*ifindex) return SHM_IF_GONE;
    struct ifreq ifr;
    int fd = ifreq_open(name, &ifr);
    if (fd < 0) return SHM_IF_UNKNOWN;
    uint32_t st = SHM_IF_UNKNOWN;
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
        short flags = ifr.ifr_flags;
        st = (flags & IFF_UP) && (flags & IFF_RUNNING) ? SHM_IF_UP : SHM_IF_DOWN;
        /* IFF_RUNNING follows the carrier only after the kernel's link-watch delay (up to a
         * second); ETHTOOL_GLINK reads the carrier itself and needs no privilege. */
        struct ethtool_value link = {.cmd = ETHTOOL_GLINK};
        ifr.ifr_data = (void *)&link; /* shares a union with ifr_flags */
        if ((flags & IFF_UP) && ioctl(fd, SIOCETHTOOL, &ifr) == 0)
            st = link.data ? SHM_IF_UP : SHM_IF_DOWN;
    }
    close(fd);
    return st;
}
