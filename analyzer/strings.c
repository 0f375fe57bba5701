/*
 * strings.c — finding printable runs in payload bytes.
 *
 * This runs over every payload byte the analyzer sees, so it is written for speed. On x86-64
 * (SSE2 is part of the base ISA) sixteen bytes are classified at once into a bit mask, and both
 * loops below become bit tests: printable runs (text protocols, the common case for long runs)
 * end at the first zero bit, and binary payloads are skipped until four set bits in a row
 * appear. Elsewhere the same two loops work eight bytes at a time on a 64-bit word. Single bytes
 * near the ends go through a 256-entry table.
 */
#include "strings.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* printable[c]: ASCII 0x20..0x7e and tab, as strings(1) counts them. */
static const uint8_t printable[256] = {
    ['\t'] = 1,
#define R16(b)                                                                                     \
    [b] = 1, [b + 1] = 1, [b + 2] = 1, [b + 3] = 1, [b + 4] = 1, [b + 5] = 1, [b + 6] = 1,         \
    [b + 7] = 1, [b + 8] = 1, [b + 9] = 1, [b + 10] = 1, [b + 11] = 1, [b + 12] = 1, [b + 13] = 1, \
    [b + 14] = 1, [b + 15] = 1
    R16(0x20),  R16(0x30),  R16(0x40),  R16(0x50),  R16(0x60),
#undef R16
    [0x70] = 1, [0x71] = 1, [0x72] = 1, [0x73] = 1, [0x74] = 1, [0x75] = 1, [0x76] = 1, [0x77] = 1,
    [0x78] = 1, [0x79] = 1, [0x7a] = 1, [0x7b] = 1, [0x7c] = 1, [0x7d] = 1, [0x7e] = 1,
};

#if defined(__SSE2__)
/* Bit k set when bytes[k] (k < 16) is printable: 0x20..0x7e or tab. */
static inline uint32_t printable_mask16(const uint8_t *bytes)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)bytes);
    /* Signed compares: 0x80..0xff are negative, so "> 0x1f and < 0x7f" is exactly 0x20..0x7e. */
    __m128i text = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f)),
                                 _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f)));
    __m128i tab = _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'));
    return (uint32_t)_mm_movemask_epi8(_mm_or_si128(text, tab));
}

/*
 * From i, skips whole 16-byte blocks in which no four consecutive printable bytes end. Returns
 * where a run of four or more may start: never before i, at most three bytes before the block
 * where one ends.
 */
static uint32_t skip_binary(const uint8_t *bytes, uint32_t i, uint32_t to)
{
    uint32_t first = i, prev = 0;
    while (i + 32 <= to) {
        uint64_t m = printable_mask16(bytes + i) | printable_mask16(bytes + i + 16) << 16;
        /* Bits 0..2: the three bytes before i; bit k + 3: bytes[i + k]. */
        uint64_t x = (m << 3) | (prev >> 13);
        if (x & (x >> 1) & (x >> 2) & (x >> 3)) break;
        prev = (uint32_t)(m >> 16);
        i += 32;
    }
    while (i + 16 <= to) {
        uint32_t m = printable_mask16(bytes + i);
        /* Bits 0..2: the previous block's last three bytes; bit k + 3: bytes[i + k]. */
        uint32_t x = (m << 3) | (prev >> 13);
        if (x & (x >> 1) & (x >> 2) & (x >> 3)) break;
        prev = m;
        i += 16;
    }
    return i >= first + 3 ? i - 3 : first;
}

/* End of the printable run that continues at i (exclusive). */
static uint32_t run_end(const uint8_t *bytes, uint32_t i, uint32_t to)
{
    /* Long text runs: 32 bytes per step, two independent loads in flight. */
    while (i + 32 <= to) {
        uint32_t m = printable_mask16(bytes + i) | printable_mask16(bytes + i + 16) << 16;
        if (m != 0xffffffffu) return i + (uint32_t)__builtin_ctz(~m);
        i += 32;
    }
    while (i + 16 <= to) {
        uint32_t m = printable_mask16(bytes + i);
        if (m != 0xffff) return i + (uint32_t)__builtin_ctz(~m);
        i += 16;
    }
    while (i < to && printable[bytes[i]]) i++;
    return i;
}
#else
/* True when all eight bytes of w are in 0x20..0x7e. */
static int word_printable(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t below_space = (w - 0x20 * ones) & ~w & highs; /* some byte < 0x20 */
    uint64_t high_or_del = (w | (w + ones)) & highs;       /* some byte >= 0x7f */
    return !(below_space | high_or_del);
}

/*
 * High bit set in every byte of w that is printable (0x20..0x7e or tab). Exact per byte: each
 * sum stays inside its byte, so no carry crosses into a neighbour.
 */
static uint64_t printable_bits(uint64_t w)
{
    const uint64_t hi = 0x8080808080808080ull, lo7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t l = w & lo7;
    uint64_t ge_space = l + 0x6060606060606060ull;    /* bit 7: low7 >= 0x20 */
    uint64_t le_tilde = ~(l + 0x0101010101010101ull); /* bit 7: low7 <= 0x7e */
    uint64_t t = w ^ 0x0909090909090909ull;           /* zero bytes where w has a tab */
    uint64_t tab = ~(((t & lo7) + lo7) | t);          /* bit 7: byte == 0x09 */
    return ((ge_space & le_tilde & ~w) | tab) & hi;
}

/*
 * From i, skips whole words in which no four consecutive printable bytes end (prev: the printable
 * bits of the word before i, 0 when bytes[i-1] is not printable). Returns where a run of four or
 * more may start: never before i, at most three bytes before the word where one ends.
 */
static uint32_t skip_binary(const uint8_t *bytes, uint32_t i, uint32_t to)
{
    uint32_t first = i;
    uint64_t prev = 0;
    while (i + 8 <= to) {
        uint64_t w;
        memcpy(&w, bytes + i, 8);
        uint64_t m = printable_bits(w);
        /* Little-endian byte order: shifting by 8 moves byte k's bit to byte k + 1. */
        uint64_t m1 = (m << 8) | (prev >> 56), m2 = (m << 16) | (prev >> 48),
                 m3 = (m << 24) | (prev >> 40);
        if (m & m1 & m2 & m3) break;
        prev = m;
        i += 8;
    }
    /* A run may have begun in the last three bytes before the word (or the tail) at i. */
    return i >= first + 3 ? i - 3 : first;
}

/* End of the printable run that continues at i (exclusive). */
static uint32_t run_end(const uint8_t *bytes, uint32_t i, uint32_t to)
{
    for (;;) {
        while (i + 8 <= to) {
            uint64_t w;
            memcpy(&w, bytes + i, 8);
            if (!word_printable(w)) break;
            i += 8;
        }
        /* The word holds a non-printable byte, a tab, or the end is near. */
        uint32_t stop = i + 8 <= to ? i + 8 : to;
        while (i < stop && printable[bytes[i]]) i++;
        if (i < stop || i == to) return i;
    }
}
#endif

unsigned strings_scan(const uint8_t *bytes, uint32_t from, uint32_t to, uint32_t min_len,
                      strings_emit_fn emit, void *ctx)
{
    unsigned count = 0;
    if (min_len == 0) min_len = 1;
    /*
     * Invariant: no run of interest starts before i (bytes[i-1] is non-printable or i == from).
     * A run of min_len or more must cover bytes[i + min_len - 1]; when that byte is not
     * printable, no such run starts in [i, i + min_len), so binary payloads are crossed
     * min_len bytes per step.
     */
    uint32_t i = from;
    while (to - i >= min_len && i < to) {
        /* Binary payloads (encrypted, compressed) rarely hold four printable bytes in a row: cross
         * them a word at a time. Only sound when a wanted run is at least four bytes long, and
         * only on little-endian hosts, where the shifts above mean "the next byte". */
        if (min_len >= 4 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
            i = skip_binary(bytes, i, to);
            if (to - i < min_len) break;
        }
        uint32_t probe = i + min_len - 1;
        if (!printable[bytes[probe]]) {
            i = probe + 1;
            continue;
        }
        uint32_t start = probe;
        while (start > i && printable[bytes[start - 1]]) start--;
        uint32_t end = run_end(bytes, probe + 1, to);
        /* Runs longer than a record are cut into record-sized pieces, none lost. */
        for (uint32_t s = start; end - s >= min_len;) {
            uint32_t len = end - s < SHM_STRING_MAX ? end - s : SHM_STRING_MAX;
            emit(ctx, s, bytes + s, len);
            count++;
            s += len;
        }
        i = end + 1;
    }
    return count;
}
