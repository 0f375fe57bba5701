/*
 * bench_capture_copy.c — user-space cost of capture's hot path, without the kernel or a sender:
 * TPACKET_V3 blocks laid out as the kernel does are validated and copied, frame by frame, into a
 * real shared frame ring (cap_block_copy -> shm_ring_cursor_put/_done, flushed per block). Prints
 * ns per frame for 64- and 1500-byte frames (median of 5 passes over 64 MiB of blocks).
 *
 *   bench_capture_copy [--json]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "tests/capture/block_util.h"

#define BLOCK  (256u * 1024u)
#define BLOCKS 256u /* 64 MiB of kernel ring: larger than the caches, as in real capture */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
    uint8_t *blocks = aligned_alloc(4096, (size_t)BLOCK * BLOCKS);
    if (!blocks) return 1;
    const uint32_t sizes[2] = {64, 1500};
    if (json) printf("{\"bench\":\"capture_copy\",\"results\":[");
    for (int si = 0; si < 2; si++) {
        uint32_t first = 0, used = 0, per = 0;
        for (uint32_t b = 0; b < BLOCKS; b++)
            per = bu_fill_block(blocks + (size_t)b * BLOCK, BLOCK, sizes[si], b, &first, &used);
        struct cap_opts o = {.size_mib =
                                 getenv("SIZE_MIB") ? (uint32_t)atoi(getenv("SIZE_MIB")) : 64};
        char session[64], err[CAP_ERR_MAX];
        snprintf(session, sizeof session, "bench-copy-%d", (int)getpid());
        o.session = session;
        struct sink s;
        if (sink_open_ring(&s, &o, (gid_t)-1, (uid_t)-1, err, sizeof err) != 0) {
            fprintf(stderr, "bench_capture_copy: %s\n", err);
            return 1;
        }
        struct cap_copy_cfg cfg = {.cooked = false, .snaplen = 0, .direction = CAP_DIR_INOUT};
        double res[5];
        uint64_t bad = 0;
        for (int pass = 0; pass < 5; pass++) {
            double t0 = now_ns();
            for (uint32_t b = 0; b < BLOCKS; b++) {
                cap_block_copy(blocks + (size_t)b * BLOCK, used, first, per, &cfg, &s, &bad);
                if ((b & 3) == 3) sink_batch_end(&s); /* a wake per few blocks, as at full rate */
            }
            res[pass] = (now_ns() - t0) / ((double)per * BLOCKS);
        }
        qsort(res, 5, sizeof res[0], cmp_double);
        uint64_t frames = s.frames_out;
        sink_close(&s, true, err, sizeof err);
        if (bad || frames != (uint64_t)per * BLOCKS * 5) {
            fprintf(stderr, "bench_capture_copy: %llu bad records, %llu frames\n",
                    (unsigned long long)bad, (unsigned long long)frames);
            return 1;
        }
        if (json)
            printf("%s{\"frame_bytes\":%u,\"ns_per_frame\":%.1f}", si ? "," : "", sizes[si],
                   res[2]);
        else
            printf("capture copy (block -> shared ring), %4u-byte frames: %.1f ns/frame "
                   "(median of 5 x %u frames)\n",
                   sizes[si], res[2], per * BLOCKS);
    }
    if (json) printf("]}\n");
    free(blocks);
    return 0;
}
