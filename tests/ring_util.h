/*
 * ring_util.h — helpers shared by the ring tests and the ring benchmark: a private frame
 * segment per test, and self-verifying payloads (each record carries its own sequence, length
 * and checksum, so a torn or misplaced copy cannot pass unnoticed).
 */
#ifndef PACKRAT_TESTS_RING_UTIL_H
#define PACKRAT_TESTS_RING_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shm/frames.h"

/* A session name unique to this process and tag, so parallel tests never collide. */
static inline void test_session_name(char *out, size_t len, const char *tag)
{
    snprintf(out, len, "test-%s-%d", tag, (int)getpid());
}

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* Record length for sequence seq, uniformly in [lo, hi]. */
static inline uint32_t record_len_for(uint64_t seq, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(mix64(seq ^ 0x5eed) % (uint64_t)(hi - lo + 1));
}

/*
 * Fills buf (len >= 24) with: [0..8) seq, [8..16) len, [16..24) checksum of the rest, then
 * pseudo-random words derived from seq.
 */
static inline void record_fill(uint8_t *buf, uint64_t seq, uint32_t len)
{
    uint64_t x = mix64(seq + 1), sum = 0x9e3779b97f4a7c15ull;
    uint64_t l = len;
    memcpy(buf, &seq, 8);
    memcpy(buf + 8, &l, 8);
    uint32_t i = 24;
    for (; i + 8 <= len; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + i, &x, 8);
        sum = (sum ^ x) * 0x100000001b3ull;
    }
    for (; i < len; i++) {
        buf[i] = (uint8_t)(x >> (8 * (i & 7)));
        sum = (sum ^ buf[i]) * 0x100000001b3ull;
    }
    memcpy(buf + 16, &sum, 8);
}

/* True when buf is exactly what record_fill() wrote for seq and len. */
static inline int record_verify(const uint8_t *buf, uint64_t seq, uint32_t len)
{
    uint64_t s, l, want, sum = 0x9e3779b97f4a7c15ull;
    if (len < 24) return 0;
    memcpy(&s, buf, 8);
    memcpy(&l, buf + 8, 8);
    memcpy(&want, buf + 16, 8);
    if (s != seq || l != len) return 0;
    uint32_t i = 24;
    for (; i + 8 <= len; i += 8) {
        uint64_t x;
        memcpy(&x, buf + i, 8);
        sum = (sum ^ x) * 0x100000001b3ull;
    }
    for (; i < len; i++) sum = (sum ^ buf[i]) * 0x100000001b3ull;
    return sum == want;
}

#endif
