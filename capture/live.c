/*
 * live.c — opening a live libpcap handle on an interface, for both users of one: the TPACKET_V3
 * source (which needs a live handle only to compile the filter the way the kernel will see the
 * frames) and the --backend pcap source (which captures through it).
 *
 * libpcap refuses an interface that is down; capture waits for it instead (saying so once), since
 * a device often starts capturing before its link is up. Other failures come back with a message
 * that says what to do about permissions. Both sources also report the interface going away and
 * coming back here, so that they word it alike.
 */
#include "capture.h"

#include <stdio.h>
#include <time.h>

pcap_t *live_handle_open(const char *ifname, live_configure_fn configure, void *ctx, char *err,
                         size_t errlen)
{
    char pe[PCAP_ERRBUF_SIZE] = "";
    pcap_t *ph;
    int rc;
    for (bool said = false;;) {
        ph = pcap_create(ifname, pe);
        if (!ph) {
            snprintf(err, errlen, "%s", pe);
            return NULL;
        }
        configure(ph, ctx);
        rc = pcap_activate(ph);
        if (rc != PCAP_ERROR_IFACE_NOT_UP || cap_stop) break;
        pcap_close(ph);
        if (!said)
            fprintf(stderr, "packrat-capture: %s is down; waiting for it to come up\n", ifname);
        said = true;
        struct timespec t = {.tv_sec = 0, .tv_nsec = 200000000L};
        nanosleep(&t, NULL);
    }
    if (rc >= 0) return ph;
    if (rc == PCAP_ERROR_PERM_DENIED)
        snprintf(err, errlen, "%s: %s (%s)", ifname, pcap_geterr(ph), privs_hint());
    else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
        snprintf(err, errlen, "%s: no such interface", ifname);
    else
        snprintf(err, errlen, "%s: %s", ifname, pcap_geterr(ph));
    pcap_close(ph);
    return NULL;
}

void live_set_if_state(const char *ifname, uint32_t *cur, struct sink *s, uint32_t state)
{
    if (state == *cur) return;
    const char *msg = state == SHM_IF_UP     ? "is up again; capture resumes"
                      : state == SHM_IF_DOWN ? "went down; waiting for it to come back"
                                             : "disappeared; waiting for it to return";
    fprintf(stderr, "packrat-capture: %s %s\n", ifname, msg);
    *cur = state;
    sink_set_if_state(s, state);
}
