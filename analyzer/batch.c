/*
 * batch.c — packrat -r FILE --print | --json | --flows, through the same pipeline as a session:
 * each frame from the file is appended to a frame ring, read back from it, and analyzed into an
 * analysis segment. Both segments are private to this process (created under a unique name and
 * unlinked at once), and the file reader never runs ahead of the analyzer, so nothing is lost.
 */
#include "batch.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "shm/frames.h"

/* f may be NULL: following a session reads its frame ring and needs no private one. */
static int open_private(struct shm_frames *f, struct shm_analysis *a, uint64_t flow_capacity)
{
    char session[SHM_SESSION_MAX], err[SHM_ERR_MAX];
    snprintf(session, sizeof session, "batch-%d", (int)getpid());
    if (f) {
        if (shm_frames_create(f, session, 4u << 20, (gid_t)-1, err, sizeof err) != 0) goto fail;
        shm_segment_unlink(session, SHM_KIND_FRAMES);
    }
    /* Details and strings are not published in batch mode: small rings will do. */
    struct shm_analysis_config cfg = {
        .detail_bytes = 256u << 10, .strings_bytes = 64u << 10, .flow_capacity = flow_capacity};
    if (shm_analysis_create(a, session, &cfg, (gid_t)-1, err, sizeof err) != 0) goto fail;
    shm_segment_unlink(session, SHM_KIND_ANALYSIS);
    analyzer_write_names(a);
    return 0;
fail:
    fprintf(stderr, "packrat: %s\n", err);
    return -1;
}

static enum analyzer_output output_of(const struct batch_options *o)
{
    return o->print               ? ANALYZER_OUT_PRINT
           : o->json && !o->flows ? ANALYZER_OUT_JSON
                                  : ANALYZER_OUT_NONE;
}

int batch_follow(const char *session, const struct batch_options *o,
                 volatile const sig_atomic_t *stop)
{
    static struct shm_frames src;
    static struct shm_analysis a;
    char err[SHM_ERR_MAX];
    int attached = -1;
    for (int waited = 0; waited < 10000 && !*stop; waited += 50) {
        if ((attached = shm_frames_attach(&src, session, err, sizeof err)) == 0) break;
        usleep(50 * 1000);
    }
    if (attached != 0) {
        if (!*stop) fprintf(stderr, "packrat: %s\n", err);
        return 1;
    }
    if (open_private(NULL, &a, o->flow_capacity ? o->flow_capacity : 65536) != 0) return 1;
    uint32_t link_type = src.hdr->link_type;
    struct analyzer_config cfg = {.keep_expired = true, .output = output_of(o), .out = stdout};
    static struct analyzer an;
    if (analyzer_init(&an, &a, &cfg, link_type) != 0) return 1;
    static uint8_t frame[SHM_FRAME_MAX];
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &src.ring, 0);
    uint64_t n = 0, last_join = 0;
    while (!*stop && (!o->count || n < o->count)) {
        struct shm_record m;
        uint64_t expect = rd.next;
        if (o->flows && shm_now_mono_ns() - last_join >= 1000000000ull) {
            analyzer_join_kernel(&an, &src);
            last_join = shm_now_mono_ns();
        }
        enum shm_read_result r = shm_ring_next(&rd, &m, frame, sizeof frame, 100);
        if (r == SHM_READ_OK) {
            if (m.seq > expect) analyzer_missed(&an, expect, m.seq);
            analyzer_frame(&an, &m, frame, link_type);
            n++;
            continue;
        }
        analyzer_flush(&an);
        fflush(stdout); /* nothing new: show what we have, like tcpdump -l between bursts */
        uint32_t state = atomic_load(&src.hdr->seg.state);
        if ((state == SHM_STATE_CLOSED || !shm_writer_alive(&src.hdr->seg)) &&
            shm_ring_lag(&rd) == 0)
            break;
    }
    analyzer_flush(&an);
    if (o->flows) {
        usleep(1100 * 1000); /* capture republishes the kernel counts about once a second */
        analyzer_join_kernel(&an, &src);
        flow_table_print(an.flows, stdout, o->json);
    }
    int status = fflush(stdout) == 0 ? 0 : 1;
    if (rd.missed)
        fprintf(stderr, "packrat: %llu packets overwritten in the ring before they were printed\n",
                (unsigned long long)rd.missed);
    analyzer_fini(&an);
    shm_analysis_close(&a, false);
    shm_frames_detach(&src);
    return status;
}

int batch_run(const struct batch_options *o)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p =
        pcap_open_offline_with_tstamp_precision(o->file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        fprintf(stderr, "packrat: %s: %s\n", o->file, errbuf);
        return 1;
    }
    struct bpf_program prog;
    int have_filter = 0;
    if (o->filter && *o->filter) {
        if (pcap_compile(p, &prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            fprintf(stderr, "packrat: bad filter '%s': %s\n", o->filter, pcap_geterr(p));
            pcap_close(p);
            return 2;
        }
        have_filter = 1;
    }
    int link_type = pcap_datalink(p);

    static struct shm_frames f;
    static struct shm_analysis a;
    if (open_private(&f, &a, o->flow_capacity ? o->flow_capacity : 65536) != 0) {
        pcap_close(p);
        return 1;
    }
    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    struct analyzer_config cfg = {
        .keep_expired = true,
        .output = output_of(o),
        .out = stdout,
    };
    static struct analyzer an;
    if (analyzer_init(&an, &a, &cfg, (uint32_t)link_type) != 0) {
        fprintf(stderr, "packrat: out of memory\n");
        return 1;
    }

    static uint8_t frame[SHM_FRAME_MAX];
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &f.ring, 0);
    struct pcap_pkthdr *h;
    const u_char *bytes;
    uint64_t n = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &bytes)) == 1) {
        if (have_filter && !pcap_offline_filter(&prog, h, bytes)) continue;
        uint32_t caplen = h->caplen < f.ring.max_record ? h->caplen : (uint32_t)f.ring.max_record;
        uint64_t seq = shm_ring_write_seq(&f.ring);
        uint8_t *dst = shm_ring_reserve(&f.ring, seq, caplen);
        if (!dst) break;
        memcpy(dst, bytes, caplen);
        struct shm_record m = {
            .ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec,
            .wire_len = h->len,
            .ts_source = SHM_TS_FILE,
            .flags = caplen < h->len ? SHM_FRAME_TRUNCATED : 0,
        };
        shm_ring_commit(&f.ring, &m);
        if (shm_ring_next(&rd, &m, frame, sizeof frame, 0) == SHM_READ_OK)
            analyzer_frame(&an, &m, frame, (uint32_t)link_type);
        if (o->count && ++n >= o->count) break;
    }
    int status = 0;
    if (rc == -1) {
        fprintf(stderr, "packrat: %s: %s\n", o->file, pcap_geterr(p));
        status = 1;
    }
    analyzer_flush(&an);
    if (o->flows) flow_table_print(an.flows, stdout, o->json);
    if (fflush(stdout) != 0) status = 1;
    analyzer_fini(&an);
    if (have_filter) pcap_freecode(&prog);
    pcap_close(p);
    shm_analysis_close(&a, false);
    shm_frames_close(&f, false);
    return status;
}
