/*
 * dissect_main.c — packrat-dissect: run the dissection library over a capture file without any
 * shared memory. For testing the library (corpus runs, differential tests against tshark,
 * benchmarks); `packrat -r FILE --print/--json` goes through the real pipeline and reuses the
 * same formatters.
 *
 *   packrat-dissect -r FILE [--print | --json | --null | --summary] [-c COUNT] [--stats]
 *                   [--no-checksums]
 *
 * --null dissects and formats nothing (the library's own speed), --summary also builds the
 * per-frame summary the analyzer stores (src, dst, protocol, info) and discards it; a rate is
 * printed to stderr with --stats. Exit status: 0 done (a capture that ends mid-record is reported
 * on stderr), 2 usage, 3 the file cannot be opened as a capture. Frames are read with nanosecond
 * timestamps. A link type the library does not decode is reported once on stderr, then every frame
 * still gets a line/object saying so.
 */
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dissect.h"

enum mode { MODE_PRINT, MODE_JSON, MODE_NULL, MODE_SUMMARY };

static bool link_decoded(int dlt)
{
    switch (dlt) {
    case DISSECT_DLT_NULL:
    case DISSECT_DLT_EN10MB:
    case DISSECT_DLT_RAW:
    case DISSECT_DLT_RAW_BSD:
    case DISSECT_DLT_LOOP:
    case DISSECT_DLT_LINUX_SLL:
    case DISSECT_DLT_IPV4:
    case DISSECT_DLT_IPV6:
    case DISSECT_DLT_LINUX_SLL2:
    case DISSECT_LINKTYPE_RAW:
        return true;
    }
    return false;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: packrat-dissect -r FILE [--print | --json | --null | --summary] [-c COUNT] "
               "[--stats] [--no-checksums]\n");
}

int main(int argc, char **argv)
{
    const char *file = NULL;
    enum mode mode = MODE_PRINT;
    long long limit = -1;
    bool stats = false, no_checksums = false;
    static const struct option opts[] = {
        {"print", no_argument, NULL, 'p'},        {"json", no_argument, NULL, 'j'},
        {"null", no_argument, NULL, 'n'},         {"summary", no_argument, NULL, 'S'},
        {"no-checksums", no_argument, NULL, 'K'}, {"stats", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "r:c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'r':
            file = optarg;
            break;
        case 'c':
            limit = atoll(optarg);
            break;
        case 'p':
            mode = MODE_PRINT;
            break;
        case 'j':
            mode = MODE_JSON;
            break;
        case 'n':
            mode = MODE_NULL;
            break;
        case 'S':
            mode = MODE_SUMMARY;
            break;
        case 'K':
            no_checksums = true;
            break;
        case 's':
            stats = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!file || optind != argc) {
        usage(stderr);
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p) {
        fprintf(stderr, "packrat-dissect: %s\n", err);
        return 3; /* distinct from a crash or sanitizer exit: the file is not a capture */
    }
    int dlt = pcap_datalink(p);
    if (!link_decoded(dlt)) {
        const char *name = pcap_datalink_val_to_name(dlt);
        fprintf(stderr, "packrat-dissect: %s: link type %d (%s) not decoded\n", file, dlt,
                name ? name : "unknown");
    }
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    struct print_ctx *ctx = mode == MODE_PRINT ? print_ctx_new() : NULL;
    static struct dissection d;
    if (no_checksums) d.opts |= DISSECT_OPT_NO_CHECKSUMS;
    struct pcap_pkthdr *h;
    const u_char *bytes;
    uint64_t n = 0, summary_bytes = 0;
    int rc;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while ((limit < 0 || (long long)n < limit) && (rc = pcap_next_ex(p, &h, &bytes)) == 1) {
        n++;
        dissect_frame(&d, (uint32_t)dlt, bytes, h->caplen, h->len);
        struct dissect_frame_info fi = {
            .number = n,
            .ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec,
            .caplen = h->caplen,
            .wirelen = h->len,
        };
        if (mode == MODE_PRINT)
            dissect_print(stdout, ctx, &d, &fi);
        else if (mode == MODE_JSON)
            dissect_json(stdout, &d, &fi);
        else if (mode == MODE_SUMMARY) {
            struct dissect_summary s;
            dissect_summary(&d, &s); /* what the analyzer stores per frame; discarded here */
            summary_bytes += strlen(s.info);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (limit < 0 && rc == -1) fprintf(stderr, "packrat-dissect: %s: %s\n", file, pcap_geterr(p));
    if (fflush(stdout) != 0) {
        perror("packrat-dissect: stdout");
        return 1;
    }
    if (stats) {
        double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr, "%llu frames in %.3f s: %.0f frames/s\n", (unsigned long long)n, s,
                s > 0 ? (double)n / s : 0.0);
    }
    if (summary_bytes == 1) fputc('\n', stderr); /* keeps the summaries from being optimised out */
    print_ctx_free(ctx);
    pcap_close(p);
    return 0;
}
