/*
 * strings.c — finding printable runs in payload bytes.
 *
 * This runs over every payload byte the analyzer sees, so it is written for speed. On x86-64
 * (SSE2 is part of the base ISA) each 64-byte block is classified once into a 64-bit mask, and
 * finding runs becomes bit arithmetic on it: a few shifts and ands mark where min_len printable
 * bytes in a row end (at most 16; longer minimums are filtered when runs are emitted), a block with
 * none (most blocks of encrypted or compressed payloads) is passed over whole, and a run's start
 * and end are the nearest zero bits around such a mark. Elsewhere a portable loop skips binary
 * stretches eight bytes at a time on a 64-bit word and finds run ends the same way. Single bytes
 * near the ends go through a 256-entry table.
 *
 * Where the CPU has AVX2 (checked once, at the first scan), the same block algorithm runs with
 * 32-byte classification: two loads per block instead of four, and 64 bytes per step through
 * long text runs, which is where the bench's traffic (HTTP-like bodies) spends the scan.
 */
#include "strings.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "cpu.h"
#if defined(CPU_HAVE_AVX2_PATHS)
#include <immintrin.h>
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

/* Emits the run bytes[start, end) cut into record-sized pieces, none lost; a last piece shorter
 * than min_len is dropped, as is a run shorter than min_len. Returns how many were emitted. */
static inline unsigned emit_pieces(const uint8_t *bytes, uint32_t start, uint32_t end,
                                   uint32_t min_len, strings_emit_fn emit, void *ctx)
{
    unsigned n = 0;
    for (uint32_t s = start; end - s >= min_len;) {
        uint32_t len = end - s < SHM_STRING_MAX ? end - s : SHM_STRING_MAX;
        emit(ctx, s, bytes + s, len);
        n++;
        s += len;
    }
    return n;
}

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

/* End of the printable run that continues at i (exclusive). */
static uint32_t run_end_sse2(const uint8_t *bytes, uint32_t i, uint32_t to)
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
/* Bit k set when bytes[k] (k < 64) is printable. Four independent loads, no branches. */
static inline uint64_t printable_mask64_sse2(const uint8_t *bytes)
{
    return (uint64_t)printable_mask16(bytes) | (uint64_t)printable_mask16(bytes + 16) << 16 |
           (uint64_t)printable_mask16(bytes + 32) << 32 |
           (uint64_t)printable_mask16(bytes + 48) << 48;
}

#if defined(CPU_HAVE_AVX2_PATHS)
/* Bit k set when bytes[k] (k < 32) is printable: printable_mask16() twice as wide. */
CPU_AVX2_TARGET static inline uint32_t printable_mask32_avx2(const uint8_t *bytes)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)bytes);
    __m256i text = _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8(0x1f)),
                                    _mm256_cmpgt_epi8(_mm256_set1_epi8(0x7f), v));
    __m256i tab = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\t'));
    return (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(text, tab));
}

CPU_AVX2_TARGET static inline uint64_t printable_mask64_avx2(const uint8_t *bytes)
{
    return (uint64_t)printable_mask32_avx2(bytes) | (uint64_t)printable_mask32_avx2(bytes + 32)
                                                        << 32;
}

/* run_end_sse2() 64 bytes per step. */
CPU_AVX2_TARGET static uint32_t run_end_avx2(const uint8_t *bytes, uint32_t i, uint32_t to)
{
    while (i + 64 <= to) {
        uint64_t m = printable_mask64_avx2(bytes + i);
        if (m != ~0ull) return i + (uint32_t)__builtin_ctzll(~m);
        i += 64;
    }
    return run_end_sse2(bytes, i, to);
}
#endif

/* The two steps that differ by instruction set; everything else is shared. */
typedef uint64_t (*mask64_fn)(const uint8_t *bytes);
typedef uint32_t (*run_end_fn)(const uint8_t *bytes, uint32_t i, uint32_t to);

/*
 * The same for n < 64 bytes, reading nothing outside bytes[0, n): whole 16-byte
 * loads while they fit, then one load ending exactly at n (it overlaps the previous one, which
 * is harmless: a byte's bit is the same either way), bytes one at a time only when n < 16.
 */
static uint64_t printable_mask_short(const uint8_t *bytes, uint32_t n)
{
    uint64_t m = 0;
    if (n < 16) {
        for (uint32_t k = 0; k < n; k++) m |= (uint64_t)printable[bytes[k]] << k;
        return m;
    }
    uint32_t k = 0;
    for (; k + 16 <= n; k += 16) m |= (uint64_t)printable_mask16(bytes + k) << k;
    if (k < n) m |= (uint64_t)printable_mask16(bytes + n - 16) << (n - 16);
    return m;
}

/*
 * Bit j set when bits j - w + 1 .. j of m are all set (1 <= w <= 64): the ends of the w-byte
 * printable windows lying wholly inside the block. Doubling the window width each step takes
 * log2(w) shifts, not w; the shift fills zeros at the bottom, so no window reaches below bit 0.
 */
static inline uint64_t window_ends(uint64_t m, uint32_t w)
{
    uint32_t k = 1;
    for (; 2 * k <= w; k *= 2) m &= m << k;
    if (k < w) m &= m << (w - k); /* two overlapping k-windows cover w when w < 2k */
    return m;
}

/*
 * The runs whose first w bytes lie in the 64-byte block at base (w: the window width, at most
 * min_len). m is the block's printable mask, with the bits of bytes before the scan position and
 * past to cleared. Emits the runs of min_len or more and returns where the next run may start:
 * past the last run found, or base when there was none.
 */
static inline __attribute__((always_inline)) uint32_t
scan_block(const uint8_t *bytes, uint32_t base, uint64_t m, uint32_t w, uint32_t to,
           uint32_t min_len, strings_emit_fn emit, void *ctx, unsigned *count, run_end_fn run_end)
{
    uint32_t next = base;
    uint64_t ends = window_ends(m, w);
    while (ends) {
        uint32_t j = (uint32_t)__builtin_ctzll(ends), first = j + 1 - w;
        /* The run starts after the last non-printable byte below its first window, or at base:
         * a run reaching below base would have been found by an earlier block (see below). */
        uint64_t below = ~m & ((1ull << first) - 1);
        uint32_t start = below ? base + 64 - (uint32_t)__builtin_clzll(below) : base;
        /* It ends at the first non-printable byte at or after j; a run reaching the block's end
         * goes on past it, and run_end follows it there. */
        uint64_t after = ~m & (~0ull << j);
        uint32_t end =
            after ? base + (uint32_t)__builtin_ctzll(after) : run_end(bytes, base + 64, to);
        *count += emit_pieces(bytes, start, end, min_len, emit, ctx);
        if (end == to) return to;
        next = end + 1;
        /* Windows that start at or before end overlap this run: drop their ends. */
        uint32_t keep = end - base + w;
        ends = keep < 64 ? ends & (~0ull << keep) : 0;
    }
    return next;
}

/*
 * Mask-driven scan: every 64-byte block becomes one 64-bit printable mask, the ends of w-byte
 * printable windows in it are a few shifts and ands away, and a block without one (most blocks of
 * binary payloads) costs four loads and no branch beyond the loop's. Blocks overlap by w - 1
 * bytes, so every window lies wholly inside some block: no state carries from one block to the
 * next. Run starts and ends come from the same mask, so bytes are classified about once.
 *
 * Invariant: every run of w or more bytes that starts before i has been dealt with, and i is
 * past its end. Hence a window found in the block at i belongs to a run starting at i or later.
 */
static inline __attribute__((always_inline)) unsigned
scan_blocks(const uint8_t *bytes, uint32_t from, uint32_t to, uint32_t min_len,
            strings_emit_fn emit, void *ctx, mask64_fn printable_mask64, run_end_fn run_end)
{
    unsigned count = 0;
    if (min_len == 0) min_len = 1;
    if (from >= to || to - from < min_len) return 0;
    /* Windows wider than 16 bytes would shrink the step between blocks for little gain: longer
     * minimums find the runs of 16 or more and let emit_pieces drop those that are too short. */
    uint32_t w = min_len < 16 ? min_len : 16, step = 65 - w;
    uint32_t i = from;
    while (to - i >= 64) {
        uint32_t next = scan_block(bytes, i, printable_mask64(bytes + i), w, to, min_len, emit, ctx,
                                   &count, run_end);
        i = next > i + step ? next : i + step;
    }
    if (to - i < w) return count;
    /*
     * Fewer than 64 bytes remain. When the range holds 64 or more, the last block ends exactly at
     * to and begins before i; the bytes before i are cleared from its mask, which is all the
     * invariant needs. Shorter ranges get a short mask. Either way nothing outside [from, to) is
     * read: frames may end at the end of a mapping.
     */
    uint32_t base = to - from >= 64 ? to - 64 : from;
    uint64_t m = to - from >= 64 ? printable_mask64(bytes + base)
                                 : printable_mask_short(bytes + from, to - from);
    scan_block(bytes, base, m & (~0ull << (i - base)), w, to, min_len, emit, ctx, &count, run_end);
    return count;
}

static unsigned scan_baseline(const uint8_t *bytes, uint32_t from, uint32_t to, uint32_t min_len,
                              strings_emit_fn emit, void *ctx)
{
    return scan_blocks(bytes, from, to, min_len, emit, ctx, printable_mask64_sse2, run_end_sse2);
}

#if defined(CPU_HAVE_AVX2_PATHS)
CPU_AVX2_TARGET static unsigned scan_avx2(const uint8_t *bytes, uint32_t from, uint32_t to,
                                          uint32_t min_len, strings_emit_fn emit, void *ctx)
{
    /* The default minimum as a constant: its window test becomes two shifts and ands. */
    if (min_len == 4)
        return scan_blocks(bytes, from, to, 4, emit, ctx, printable_mask64_avx2, run_end_avx2);
    return scan_blocks(bytes, from, to, min_len, emit, ctx, printable_mask64_avx2, run_end_avx2);
}
#endif
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

static unsigned scan_baseline(const uint8_t *bytes, uint32_t from, uint32_t to, uint32_t min_len,
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
        count += emit_pieces(bytes, start, end, min_len, emit, ctx);
        i = end + 1;
    }
    return count;
}
#endif

unsigned strings_scan(const uint8_t *bytes, uint32_t from, uint32_t to, uint32_t min_len,
                      strings_emit_fn emit, void *ctx)
{
#if defined(CPU_HAVE_AVX2_PATHS)
    if (cpu_avx2()) return scan_avx2(bytes, from, to, min_len, emit, ctx);
#endif
    return scan_baseline(bytes, from, to, min_len, emit, ctx);
}
