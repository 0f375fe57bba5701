/*
 * save.c — the `w` key: write what this viewer shows to a nanosecond pcap file.
 *
 * In Packets, `w` writes the current view: the filter's matches (or every frame) still in the
 * ring. In Dynamic it writes the selected flow's frames still in the ring, found by running the
 * flow's BPF expression once over the ring (a one-off pass the user asked for, tens of ms for a
 * million frames). The file itself is written by export_pcap() (viewer/session_export.c), which
 * keeps it ending on a complete record even when the disk fills; its message is shown inline
 * under the path prompt, which stays open so the user can fix the path.
 *
 * Without packrat_export in the build (PACKRAT_HAVE_EXPORT unset) `w` says so instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "viewer/tab.h"
#ifdef PACKRAT_HAVE_EXPORT
#include "viewer/session_export.h"
#endif

/* The default file name: <session>.pcap in the current directory. */
void save_default_path(const struct vw *v, char *buf, size_t len)
{
    snprintf(buf, len, "%s.pcap", v->session);
}

#ifdef PACKRAT_HAVE_EXPORT
static int write_seqs(struct vw *v, const char *path, const uint64_t *seqs, size_t n,
                      const char *what, char *err, size_t errlen)
{
    struct export_result res;
    if (export_pcap(path, &v->f, seqs, n, &res, err, errlen) != 0) return -1;
    if (res.gone)
        vw_message(v, "wrote %llu %s to %s (%llu left the ring meanwhile)",
                   (unsigned long long)res.written, what, path, (unsigned long long)res.gone);
    else
        vw_message(v, "wrote %llu %s to %s", (unsigned long long)res.written, what, path);
    return 0;
}
#endif

int save_view(struct vw *v, const char *path, char *err, size_t errlen)
{
#ifdef PACKRAT_HAVE_EXPORT
    struct seqview w = filter_view(v);
    uint64_t n = seqview_count(&w);
    uint64_t *seqs = malloc((n ? n : 1) * sizeof *seqs);
    if (!seqs) {
        snprintf(err, errlen, "out of memory for %llu packets", (unsigned long long)n);
        return -1;
    }
    for (uint64_t i = 0; i < n; i++) seqs[i] = seqview_at(&w, i);
    int rc = write_seqs(v, path, seqs, (size_t)n, "packets", err, errlen);
    free(seqs);
    return rc;
#else
    (void)v;
    (void)path;
    snprintf(err, errlen, "this build has no pcap export");
    return -1;
#endif
}

int save_flow(struct vw *v, const char *expr, const char *path, char *err, size_t errlen)
{
#ifdef PACKRAT_HAVE_EXPORT
    uint32_t snap = v->f.hdr->snaplen;
    if (snap == 0 || snap > SHM_FRAME_MAX) snap = SHM_FRAME_MAX;
    pcap_t *dead = pcap_open_dead((int)v->f.hdr->link_type, (int)snap);
    if (!dead) {
        snprintf(err, errlen, "libpcap cannot handle link type %u", v->f.hdr->link_type);
        return -1;
    }
    struct bpf_program prog;
    if (pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "%s", pcap_geterr(dead));
        pcap_close(dead);
        return -1;
    }
    const struct shm_ring *r = &v->f.ring;
    uint64_t lo = shm_ring_oldest(r), hi = shm_ring_write_seq(r);
    uint64_t *seqs = malloc((hi - lo ? hi - lo : 1) * sizeof *seqs);
    size_t n = 0;
    int rc = -1;
    if (!seqs) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (uint64_t s = lo; s < hi; s++) {
        struct shm_record m;
        if (shm_ring_read(r, s, &m, v->frame, SHM_FRAME_MAX) != SHM_READ_OK) continue;
        struct pcap_pkthdr ph = {.caplen = m.len, .len = m.wire_len};
        if (pcap_offline_filter(&prog, &ph, v->frame)) seqs[n++] = s;
    }
    rc = write_seqs(v, path, seqs, n, "packets of the flow", err, errlen);
out:
    free(seqs);
    pcap_freecode(&prog);
    pcap_close(dead);
    return rc;
#else
    (void)v;
    (void)expr;
    (void)path;
    snprintf(err, errlen, "this build has no pcap export");
    return -1;
#endif
}
