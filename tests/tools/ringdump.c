/*
 * ringdump.c — attach to a packrat session's frame ring and write its frames to a pcap file.
 *
 * A small, unprivileged reader used by the capture tests and benchmarks and reusable by anyone
 * who wants to see exactly what is in a ring: frames go out byte for byte with the ring's link
 * type, nanosecond timestamps and wire lengths; --meta writes one text line per frame with the
 * ring metadata the pcap cannot hold (timestamp source, direction, flags, ifindex).
 *
 *   ringdump -s SESSION [-w out.pcap] [-m meta.txt] [-c COUNT] [-t IDLE_MS] [-W WAIT_MS]
 *   ringdump -s SESSION --status        print the segment header's description and counters
 *
 * It stops after COUNT frames, after IDLE_MS without a new frame (default 2000), when the writer
 * closed the segment and everything was read, or on SIGINT/SIGTERM. Exit status 1 if -c was
 * given and fewer frames arrived, or the ring reported corrupt records.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shm/frames.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void sleep_ms(int ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void print_status(const struct shm_frames *f)
{
    const struct shm_frames_hdr *h = f->hdr;
    char ifname[SHM_IFNAME_MAX + 1], source[SHM_SOURCE_MAX + 1], filter[SHM_FILTER_MAX + 1];
    shm_copy_str(ifname, sizeof ifname, h->ifname, sizeof h->ifname);
    shm_copy_str(source, sizeof source, h->source, sizeof h->source);
    shm_copy_str(filter, sizeof filter, h->filter, sizeof h->filter);
    printf("state=%u\n", (unsigned)atomic_load(&h->seg.state));
    printf("writer_pid=%d\n", (int)h->seg.writer_pid);
    printf("writer_alive=%d\n", shm_writer_alive(&h->seg) ? 1 : 0);
    printf("heartbeat_age_ms=%llu\n", (unsigned long long)shm_heartbeat_age_ms(&h->seg));
    printf("link_type=%u\nsnaplen=%u\nifindex=%u\nsource_kind=%u\n", h->link_type, h->snaplen,
           h->ifindex, h->source_kind);
    printf("ifname=%s\nsource=%s\nfilter=%s\n", ifname, source, filter);
    printf("frames_received=%llu\n", (unsigned long long)atomic_load(&h->frames_received));
    printf("bytes_received=%llu\n", (unsigned long long)atomic_load(&h->bytes_received));
    printf("kernel_drops=%llu\n", (unsigned long long)atomic_load(&h->kernel_drops));
    printf("frames_truncated=%llu\n", (unsigned long long)atomic_load(&h->frames_truncated));
    printf("if_state=%s\n", shm_if_state_name(atomic_load(&h->if_state)));
    printf("ts_source_last=%s\n", shm_ts_source_name(atomic_load(&h->ts_source_last)));
    printf("write_seq=%llu\n", (unsigned long long)shm_ring_write_seq(&f->ring));
    printf("oldest=%llu\n", (unsigned long long)shm_ring_oldest(&f->ring));
}

int main(int argc, char **argv)
{
    const char *session = NULL, *out = NULL, *meta_path = NULL;
    long count = 0, idle_ms = 2000, wait_ms = 5000;
    bool status = false;
    static const struct option longs[] = {{"status", no_argument, NULL, 'S'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "s:w:m:c:t:W:", longs, NULL)) != -1) {
        switch (c) {
        case 's':
            session = optarg;
            break;
        case 'w':
            out = optarg;
            break;
        case 'm':
            meta_path = optarg;
            break;
        case 'c':
            count = strtol(optarg, NULL, 10);
            break;
        case 't':
            idle_ms = strtol(optarg, NULL, 10);
            break;
        case 'W':
            wait_ms = strtol(optarg, NULL, 10);
            break;
        case 'S':
            status = true;
            break;
        default:
            fprintf(stderr, "usage: ringdump -s SESSION [-w out.pcap] [-m meta.txt] [-c COUNT] "
                            "[-t IDLE_MS] [-W WAIT_MS] [--status]\n");
            return 2;
        }
    }
    if (!session) {
        fprintf(stderr, "ringdump: -s SESSION is required\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* The session may still be starting: retry attach for up to WAIT_MS. */
    struct shm_frames f;
    char err[SHM_ERR_MAX];
    for (long waited = 0;; waited += 20) {
        if (shm_frames_attach(&f, session, err, sizeof err) == 0) break;
        if (waited >= wait_ms || stop) {
            fprintf(stderr, "ringdump: %s\n", err);
            return 1;
        }
        sleep_ms(20);
    }
    if (status) {
        print_status(&f);
        shm_frames_detach(&f);
        return 0;
    }

    pcap_t *dead = NULL;
    pcap_dumper_t *dump = NULL;
    if (out) {
        uint32_t snap = f.hdr->snaplen ? f.hdr->snaplen : SHM_FRAME_MAX;
        dead = pcap_open_dead_with_tstamp_precision((int)f.hdr->link_type, (int)snap,
                                                    PCAP_TSTAMP_PRECISION_NANO);
        dump = dead ? pcap_dump_open(dead, out) : NULL;
        if (!dump) {
            fprintf(stderr, "ringdump: %s: %s\n", out, dead ? pcap_geterr(dead) : "no memory");
            return 1;
        }
    }
    FILE *meta = NULL;
    if (meta_path && !(meta = fopen(meta_path, "w"))) {
        fprintf(stderr, "ringdump: %s: %s\n", meta_path, strerror(errno));
        return 1;
    }

    uint8_t *buf = malloc(SHM_FRAME_MAX);
    if (!buf) return 1;
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &f.ring, 0);
    uint64_t idle_since = shm_now_mono_ns();
    while (!stop && (count <= 0 || rd.delivered < (uint64_t)count)) {
        struct shm_record m;
        enum shm_read_result r = shm_ring_next(&rd, &m, buf, SHM_FRAME_MAX, 100);
        if (r == SHM_READ_OK) {
            idle_since = shm_now_mono_ns();
            if (dump) {
                struct pcap_pkthdr ph;
                ph.ts.tv_sec = (time_t)(m.ts_ns / 1000000000ull);
                ph.ts.tv_usec = (suseconds_t)(m.ts_ns % 1000000000ull);
                ph.caplen = m.len;
                ph.len = m.wire_len;
                pcap_dump((u_char *)dump, &ph, buf);
            }
            if (meta)
                fprintf(meta, "%llu %llu %s %u 0x%04x %u %u %u\n", (unsigned long long)m.seq,
                        (unsigned long long)m.ts_ns, shm_ts_source_name(m.ts_source), m.direction,
                        m.flags, m.len, m.wire_len, m.ifindex);
            continue;
        }
        bool closed =
            atomic_load(&f.hdr->seg.state) == SHM_STATE_CLOSED || !shm_writer_alive(&f.hdr->seg);
        if (closed && shm_ring_lag(&rd) == 0) break;
        if (idle_ms > 0 && shm_now_mono_ns() - idle_since > (uint64_t)idle_ms * 1000000ull) break;
    }
    fprintf(stderr, "ringdump: %llu frames, %llu missed, %llu corrupt\n",
            (unsigned long long)rd.delivered, (unsigned long long)rd.missed,
            (unsigned long long)rd.corrupt);
    if (dump) pcap_dump_close(dump);
    if (dead) pcap_close(dead);
    if (meta) fclose(meta);
    free(buf);
    shm_frames_detach(&f);
    if (rd.corrupt || (count > 0 && rd.delivered < (uint64_t)count)) return 1;
    return 0;
}
