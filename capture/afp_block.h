/*
 * afp_block.h — the size of a TPACKET_V3 ring block, shared by capture (afpacket.c) and the raw
 * reader scripts/bench-capture compares it with (tests/tools/rawtpacket.c), so the two always set
 * up the same ring and the comparison stays fair.
 *
 * Block size: an eighth of the ring, a power of two from 256 KiB to 2 MiB. The kernel wakes us
 * once per retired block, and under load each wake-up (poll, context switch) cost here about as
 * much as copying a few hundred small frames: with 256 KiB blocks they took ~10 of the ~47 ns
 * per 64-byte frame (scripts/bench-capture; 1 MiB: ~37, 2 MiB: ~32-38). Eight blocks leave the
 * kernel room while we drain one. How soon a quiet link's frames show is set by the retire
 * timeout, not by the block size.
 */
#ifndef PACKRAT_CAPTURE_AFP_BLOCK_H
#define PACKRAT_CAPTURE_AFP_BLOCK_H

#include <stdint.h>

#define AFP_BLOCK_MIN     (256u * 1024u)
#define AFP_BLOCK_MAX     (2u * 1024u * 1024u)
#define AFP_BLOCKS_WANTED 8u

static inline uint32_t afp_block_size_for(uint32_t ring_bytes)
{
    uint32_t b = AFP_BLOCK_MIN;
    while (b < AFP_BLOCK_MAX && b * 2 <= ring_bytes / AFP_BLOCKS_WANTED) b *= 2;
    return b;
}

#endif
