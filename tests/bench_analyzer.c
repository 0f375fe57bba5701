/*
 * bench_analyzer.c — the analyzer alone on one core: every frame of a capture (loaded into
 * memory first) dissected and published in full to a real segment 2 (summary, packed
 * dissection, strings, flow, series). Prints packets/s, median of --runs.
 *
 * Time is this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not wall time: the target is
 * "packets/s on one core", and on this small shared machine wall time also counts the moments
 * another process held the core, which moves the figure by tens of percent from run to run.
 * The loop does no I/O (frames are in memory, the segment is populated), so on an idle machine
 * the two agree.
 *
 * With --ring the frames are read from a real segment 1, copied out and re-checked as follow.c
 * reads them, so the figure includes the analyzer's read of the frame ring (see from_ring()).
 *
 * usage: bench_analyzer FILE [--runs N] [--json] [--no-publish] [--ring]
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/core.h"
#include "shm/frames.h"

struct frame {
    uint64_t ts;
    uint32_t caplen, len;
    const uint8_t *bytes;
};

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Frames analyzed where they lie, with no read from segment 1. */
static double in_place(struct analyzer *an, const struct frame *frames, size_t n, uint32_t link)
{
    double t0 = cpu_s();
    for (size_t i = 0; i < n; i++) {
        struct shm_record m = {
            .seq = i, .ts_ns = frames[i].ts, .len = frames[i].caplen, .wire_len = frames[i].len};
        analyzer_frame(an, &m, frames[i].bytes, link);
    }
    analyzer_flush(an);
    return cpu_s() - t0;
}

/*
 * Frames read from a real segment 1 the way follow.c reads them (shm_ring_next copies each out
 * and re-checks it), so the figure includes the read. Capture's part is not the analyzer's: this
 * thread writes a chunk of a quarter of the ring untimed, then reads and analyzes it timed. The
 * chunk was just written, as a keeping-up analyzer finds frames capture has just written.
 */
static double from_ring(struct analyzer *an, const char *session, const struct frame *frames,
                        size_t n, uint32_t link)
{
    static struct shm_frames f;
    char err[SHM_ERR_MAX];
    if (shm_frames_create(&f, session, SHM_FRAMES_DEFAULT_SIZE, (gid_t)-1, err, sizeof err) != 0) {
        fprintf(stderr, "bench_analyzer: %s\n", err);
        return -1;
    }
    shm_segment_publish(&f.seg);
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &f.ring, 0);
    static uint8_t frame[SHM_FRAME_MAX];
    size_t chunk_bytes = SHM_FRAMES_DEFAULT_SIZE / 4, i = 0;
    double spent = 0;
    while (i < n) {
        size_t first = i, bytes = 0;
        for (; i < n && bytes < chunk_bytes; i++) {
            struct shm_record m = {
                .ts_ns = frames[i].ts, .len = frames[i].caplen, .wire_len = frames[i].len};
            shm_ring_append(&f.ring, &m, frames[i].bytes);
            bytes += frames[i].caplen + 64;
        }
        double t0 = cpu_s();
        struct shm_record m;
        for (size_t k = first; k < i; k++) {
            if (shm_ring_next(&rd, &m, frame, sizeof frame, 0) != SHM_READ_OK) {
                fprintf(stderr, "bench_analyzer: frame %zu not readable from the ring\n", k);
                return -1;
            }
            analyzer_frame(an, &m, frame, link);
        }
        analyzer_flush(an);
        spent += cpu_s() - t0;
    }
    shm_frames_close(&f, true);
    return spent;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_analyzer FILE [--runs N] [--json] [--no-publish] [--ring]\n");
        return 2;
    }
    int runs = 3, json = 0, publish = 1, ring = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--ring"))
            ring = 1; /* read each frame from a real segment 1, as follow.c does */
        else if (!strcmp(argv[i], "--no-publish"))
            publish = 0; /* dissect and count only */
    }
    if (runs < 1 || runs > 20) runs = 3;
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p =
        pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        fprintf(stderr, "bench_analyzer: %s\n", errbuf);
        return 1;
    }
    size_t n = 0, cap = 1 << 20;
    struct frame *frames = malloc(cap * sizeof *frames);
    struct pcap_pkthdr *h;
    const u_char *bytes;
    while (pcap_next_ex(p, &h, &bytes) == 1) {
        if (n == cap) frames = realloc(frames, (cap *= 2) * sizeof *frames);
        uint8_t *copy = malloc(h->caplen);
        memcpy(copy, bytes, h->caplen);
        frames[n++] = (struct frame){(uint64_t)h->ts.tv_sec * 1000000000ull + h->ts.tv_usec,
                                     h->caplen, h->len, copy};
    }
    uint32_t link = (uint32_t)pcap_datalink(p);
    pcap_close(p);

    double rate[20];
    for (int r = 0; r < runs; r++) {
        char session[64], err[SHM_ERR_MAX];
        snprintf(session, sizeof session, "bench-an-%d", (int)getpid());
        static struct shm_analysis a;
        struct shm_analysis_config cfg;
        shm_analysis_default_config(&cfg);
        if (shm_analysis_create(&a, session, &cfg, (gid_t)-1, err, sizeof err) != 0) {
            fprintf(stderr, "bench_analyzer: %s\n", err);
            return 1;
        }
        analyzer_write_names(&a);
        shm_segment_publish(&a.seg);
        static struct analyzer an;
        struct analyzer_config acfg = {.publish_frames = publish};
        analyzer_init(&an, &a, &acfg, link);
        double spent =
            ring ? from_ring(&an, session, frames, n, link) : in_place(&an, frames, n, link);
        if (spent < 0) return 1;
        rate[r] = (double)n / spent;
        analyzer_fini(&an);
        shm_analysis_close(&a, true);
    }
    qsort(rate, (size_t)runs, sizeof rate[0], cmp);
    double med = rate[runs / 2];
    if (json)
        printf("{\"bench\":\"analyzer\",\"from_segment1\":%s,\"publish\":%s,\"packets\":%zu,"
               "\"runs\":%d,"
               "\"packets_per_s\":%.0f}\n",
               ring ? "true" : "false", publish ? "true" : "false", n, runs, med);
    else
        printf(
            "analyzer alone%s, %s: %zu packets, median of %d: %.2f M packets/s (%.0f ns/packet)\n",
            ring ? " (frames read from segment 1)" : "",
            publish ? "full dissections to segment 2" : "dissect and count only", n, runs,
            med / 1e6, 1e9 / med);
    return 0;
}
