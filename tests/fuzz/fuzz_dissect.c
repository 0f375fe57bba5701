/*
 * fuzz_dissect.c — libFuzzer target for frame dissection (the library's only entry point for
 * untrusted bytes) and for everything that renders a dissection: summary, tcpdump line, JSON,
 * field text, flow key.
 *
 * Input: byte 0 picks the link type (see links[]), byte 1 bit 0 says whether the frame was cut
 * by snaplen (wire length larger than captured), the rest is the frame. The frame is copied into
 * an exactly-sized heap buffer so ASan flags any read past the captured bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/dissect.h"

static const uint32_t links[] = {
    DISSECT_DLT_EN10MB,   DISSECT_DLT_LINUX_SLL, DISSECT_DLT_LINUX_SLL2, DISSECT_DLT_RAW,
    DISSECT_DLT_IPV4,     DISSECT_DLT_IPV6,      DISSECT_DLT_NULL,       DISSECT_DLT_LOOP,
    DISSECT_LINKTYPE_RAW, 147 /* not decoded */,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dissection d;
    static struct print_ctx *ctx;
    static char buf[1 << 16];
    if (size < 2) return 0;
    if (!ctx) ctx = print_ctx_new();
    uint32_t link = links[data[0] % (sizeof links / sizeof links[0])];
    bool cut = data[1] & 1;
    size_t n = size - 2;
    uint8_t *frame = malloc(n ? n : 1);
    if (!frame) return 0;
    memcpy(frame, data + 2, n);
    dissect_frame(&d, link, frame, (uint32_t)n, (uint32_t)(cut ? n + 100 : n));
    free(frame); /* the dissection must not keep pointers into the frame */

    struct dissect_summary s;
    dissect_summary(&d, &s);
    struct dissect_frame_info fi = {1, 1700000000000000000ull, (uint32_t)n, (uint32_t)n};
    dissect_print_format(ctx, &d, &fi, buf, sizeof buf);
    size_t j = dissect_json_format(&d, &fi, buf, sizeof buf);
    if (j < sizeof buf)
        for (size_t i = 0; i < j; i++)
            if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] >= 0x7f) abort();
    for (unsigned i = 0; i < d.nfields; i++) dissect_field_text(&d, &d.fields[i], buf, 128);
    struct shm_flow_key k;
    int dir;
    dissect_flow_key(&d, &k, &dir);
    if (d.nlayers > DISSECT_MAX_LAYERS || d.nfields > DISSECT_MAX_FIELDS ||
        d.nevents > DISSECT_MAX_EVENTS || d.pool_used > DISSECT_POOL_SIZE)
        abort();
    return 0;
}
