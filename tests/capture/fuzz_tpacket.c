/*
 * fuzz_tpacket.c — libFuzzer target: arbitrary bytes as a retired TPACKET_V3 block.
 *
 * The kernel is trusted in practice, but capture checks every offset it gives anyway; this makes
 * sure those checks hold for any block: the input is read the way afpacket.c reads a block
 * (block descriptor, then records) and copied into a real frame ring, plain or cooked. Nothing
 * may be read outside the input or written outside the ring.
 */
#define _GNU_SOURCE
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"

static struct sink sink;
static bool ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        char session[64], err[CAP_ERR_MAX];
        snprintf(session, sizeof session, "fuzz-tpacket-%d", (int)getpid());
        struct cap_opts o = {.size_mib = 4, .session = session};
        if (sink_open_ring(&sink, &o, (gid_t)-1, (uid_t)-1, err, sizeof err) != 0) abort();
        shm_segment_unlink(session, SHM_KIND_FRAMES); /* stays mapped; leaves nothing behind */
        ready = true;
    }
    if (size < sizeof(struct tpacket_block_desc) + 1 || size > (1u << 20)) return 0;
    /* A private, 8-aligned copy exactly as long as the input: reads past it are caught. */
    uint8_t *blk = aligned_alloc(8, (size + 7) & ~(size_t)7);
    if (!blk) return 0;
    memcpy(blk, data, size);
    const struct tpacket_block_desc *b = (const void *)blk;
    uint32_t blk_len = b->hdr.bh1.blk_len;
    if (blk_len > size) blk_len = (uint32_t)size; /* afpacket.c caps at the block size likewise */
    struct cap_copy_cfg cfg = {.cooked = data[size - 1] & 1,
                               .snaplen = (data[size - 1] & 2) ? 60 : 0,
                               .direction = (enum cap_direction)((data[size - 1] >> 2) % 3)};
    uint64_t bad = 0;
    cap_block_copy(blk, blk_len, b->hdr.bh1.offset_to_first_pkt, b->hdr.bh1.num_pkts, &cfg, &sink,
                   &bad);
    free(blk);
    return 0;
}
