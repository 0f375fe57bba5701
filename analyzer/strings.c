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

#include <stdbool.h>
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

/*
 * The runs found but not yet handed to the caller. Emitting is a call, and a call inside the block
 * loop made the compiler keep the loop's state (vector constants included) in memory around it;
 * so runs are collected here and handed over in batches, one per frame mostly. Most runs are
 * already a string; those that are not (longer than a record, or shorter than min_len) are cut
 * into pieces as the batch is handed over.
 *
 * How many runs are collected, and whether one needs cutting, are kept by the scan in struct
 * batch_fill, a local whose address no call sees: in struct batch, which batch_flush() sees, they
 * were loaded and stored in memory for every run.
 */
#define BATCH 64
struct batch {
    strings_emit_fn emit;
    void *ctx;
    unsigned count; /* handed over so far */
    struct strings_found s[BATCH];
};

struct batch_fill {
    unsigned n;    /* runs in the batch */
    uint32_t lens; /* their lengths or'ed, or all ones for a run shorter than min_len */
};

/* Hands the n runs collected to the caller, cut into record-sized pieces, none lost; a last piece
 * shorter than min_len is dropped, as is a run shorter than min_len. An or of lengths no longer
 * than a record may still exceed one: the cut then finds nothing to cut, at some cost. */
static __attribute__((noinline)) void batch_flush(struct batch *b, struct batch_fill f,
                                                  uint32_t min_len)
{
    if (f.lens <= SHM_STRING_MAX) {
        b->emit(b->ctx, b->s, f.n);
        b->count += f.n;
        return;
    }
    struct strings_found out[BATCH];
    unsigned n = 0;
    for (unsigned k = 0; k < f.n; k++) {
        uint32_t end = b->s[k].offset + b->s[k].len;
        for (uint32_t s = b->s[k].offset; end - s >= min_len;) {
            uint32_t len = end - s < SHM_STRING_MAX ? end - s : SHM_STRING_MAX;
            out[n++] = (struct strings_found){s, len};
            if (n == BATCH) b->emit(b->ctx, out, n), b->count += n, n = 0;
            s += len;
        }
    }
    if (n) b->emit(b->ctx, out, n);
    b->count += n;
}

/* The last batch of a scan: batch_flush(), but the common batch, already strings, without a
 * call to set up batch_flush()'s frame. Returns the count. */
static inline __attribute__((always_inline)) unsigned
batch_finish(struct batch *b, struct batch_fill f, uint32_t min_len)
{
    if (f.lens > SHM_STRING_MAX)
        batch_flush(b, f, min_len);
    else if (f.n)
        b->emit(b->ctx, b->s, f.n), b->count += f.n;
    return b->count;
}

/* Collects the run [start, end). maybe_short: the run may be shorter than min_len (a constant
 * false where the scan cannot find such runs). */
static inline __attribute__((always_inline)) void batch_run(struct batch *b, struct batch_fill *f,
                                                            uint32_t start, uint32_t end,
                                                            uint32_t min_len, bool maybe_short)
{
    uint32_t len = end - start;
    b->s[f->n++] = (struct strings_found){start, len};
    f->lens |= maybe_short && len < min_len ? ~0u : len;
    if (f->n == BATCH) {
        batch_flush(b, *f, min_len);
        f->n = f->lens = 0;
    }
}

#if defined(__SSE2__)
/* The 16 bytes at bytes printable (0x20..0x7e or tab) or not, as 0xff/0x00 lanes. */
static inline __m128i printable_lanes16(const uint8_t *bytes)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)bytes);
    /* Adding 0x60 moves 0x20..0x7e, and nothing else, to 0x80..0xde: the signed bytes below
     * -33. One add and one compare, where a range test takes two compares and an and. */
    __m128i text =
        _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(0x60)), _mm_set1_epi8((char)(0xdf - 256)));
    return _mm_or_si128(text, _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
}

/* Bit k set when bytes[k] (k < 16) is printable. */
static inline uint32_t printable_mask16(const uint8_t *bytes)
{
    return (uint32_t)_mm_movemask_epi8(printable_lanes16(bytes));
}

/* True when all 128 bytes at bytes are printable: one movemask for eight loads. */
static inline bool printable_all128_sse2(const uint8_t *bytes)
{
    __m128i a = _mm_and_si128(printable_lanes16(bytes), printable_lanes16(bytes + 16));
    __m128i b = _mm_and_si128(printable_lanes16(bytes + 32), printable_lanes16(bytes + 48));
    __m128i c = _mm_and_si128(printable_lanes16(bytes + 64), printable_lanes16(bytes + 80));
    __m128i e = _mm_and_si128(printable_lanes16(bytes + 96), printable_lanes16(bytes + 112));
    return _mm_movemask_epi8(_mm_and_si128(_mm_and_si128(a, b), _mm_and_si128(c, e))) == 0xffff;
}

/* Bit k set when bytes[k] (k < 64) is printable. Four independent loads, no branches. */
static inline uint64_t printable_mask64_sse2(const uint8_t *bytes)
{
    return (uint64_t)printable_mask16(bytes) | (uint64_t)printable_mask16(bytes + 16) << 16 |
           (uint64_t)printable_mask16(bytes + 32) << 32 |
           (uint64_t)printable_mask16(bytes + 48) << 48;
}

#if defined(CPU_HAVE_AVX2_PATHS)
/* printable_lanes16() twice as wide. */
CPU_AVX2_TARGET static inline __m256i printable_lanes32_avx2(const uint8_t *bytes)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)bytes);
    __m256i text = _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(0xdf - 256)),
                                     _mm256_add_epi8(v, _mm256_set1_epi8(0x60)));
    return _mm256_or_si256(text, _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\t')));
}

/* Bit k set when bytes[k] (k < 32) is printable. */
CPU_AVX2_TARGET static inline uint32_t printable_mask32_avx2(const uint8_t *bytes)
{
    return (uint32_t)_mm256_movemask_epi8(printable_lanes32_avx2(bytes));
}

/* printable_all128_sse2() with 32-byte loads. */
CPU_AVX2_TARGET static inline bool printable_all128_avx2(const uint8_t *bytes)
{
    __m256i a = _mm256_and_si256(printable_lanes32_avx2(bytes), printable_lanes32_avx2(bytes + 32));
    __m256i b =
        _mm256_and_si256(printable_lanes32_avx2(bytes + 64), printable_lanes32_avx2(bytes + 96));
    return _mm256_movemask_epi8(_mm256_and_si256(a, b)) == -1;
}

CPU_AVX2_TARGET static inline uint64_t printable_mask64_avx2(const uint8_t *bytes)
{
    return (uint64_t)printable_mask32_avx2(bytes) | (uint64_t)printable_mask32_avx2(bytes + 32)
                                                        << 32;
}
#endif

/* The steps that differ by instruction set; everything else is shared. */
typedef uint64_t (*mask64_fn)(const uint8_t *bytes);
typedef uint64_t (*mask_short_fn)(const uint8_t *bytes, uint32_t n);
typedef bool (*all128_fn)(const uint8_t *bytes);

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

#if defined(CPU_HAVE_AVX2_PATHS)
/* printable_mask_short() with two overlapping 32-byte loads from 32 bytes on (a third of the
 * bench's payloads are under 64 bytes), inline where the baseline's is a call with a loop. */
CPU_AVX2_TARGET static inline uint64_t printable_mask_short_avx2(const uint8_t *bytes, uint32_t n)
{
    if (n < 32) return printable_mask_short(bytes, n);
    return (uint64_t)printable_mask32_avx2(bytes) | (uint64_t)printable_mask32_avx2(bytes + n - 32)
                                                        << (n - 32);
}
#endif

/*
 * Bit j set when the w bytes ending at byte j of this block are all printable, counting back into
 * the previous block (1 <= w <= 16). Doubling the window width each step takes log2(w) shifts,
 * not w; each step's shift brings in the top bits of the same step's mask for the previous block,
 * kept in st[] (zeros before the first block: nothing before the scan is in a run).
 */
static inline __attribute__((always_inline)) uint64_t window_step(uint64_t t, uint64_t *tp,
                                                                  uint64_t *st, uint32_t k)
{
    uint64_t nt = t & (t << k | *tp >> (64 - k));
    *tp = *st;
    *st = nt;
    return nt;
}

/* Unrolled by hand, each step with its own st[] slot: a loop indexing st[] kept the scan state in
 * memory (the compiler splits a struct into registers only where every index is a constant). */
static inline __attribute__((always_inline)) uint64_t window_ends(uint64_t m, uint64_t prev,
                                                                  uint32_t w, uint64_t st[5])
{
    uint64_t t = m, tp = prev;
    uint32_t k = 1;
    if (w >= 2) t = window_step(t, &tp, &st[0], 1), k = 2;
    if (w >= 4) t = window_step(t, &tp, &st[1], 2), k = 4;
    if (w >= 8) t = window_step(t, &tp, &st[2], 4), k = 8;
    if (w >= 16) t = window_step(t, &tp, &st[3], 8), k = 16;
    /* two overlapping k-windows cover w when w < 2k */
    if (k < w) t = window_step(t, &tp, &st[4], w - k);
    return t;
}

/* The state of a scan between blocks. Never passed to a call, so it stays in registers. */
struct scan_state {
    uint64_t prev;  /* the previous block's printable mask */
    uint64_t st[5]; /* the previous block's window steps (window_ends()) */
    uint64_t wins;  /* the previous block's window ends: all ones inside a long run */
    /* Where a run reaching the current block's start began: after the highest set bit of
     * last_nonp, the non-printable bits of the last block that had any, based at last_base. Kept
     * as found, two moves a block, and turned into a position only for the rare run that needs it.
     */
    uint64_t last_nonp;
    uint32_t last_base;
};

/*
 * One 64-byte block at base with printable mask m. With W its window ends (window_ends()), bit j
 * of
 *
 *     ends = ~m & (W << 1 | Wprev >> 63)      (Wprev: the previous block's W, s->wins)
 *
 * marks a non-printable byte j right after a printable byte that closes a window of w printable
 * bytes: the end of a run of w or more, wherever in earlier blocks the run began. Its start is the
 * byte after the last non-printable byte below j in this block, or, with none, in the last block
 * that had one (last_nonp). Nothing depends on a branch but the loop over the runs themselves.
 */
static inline __attribute__((always_inline)) void scan_block(struct scan_state *s, struct batch *b,
                                                             struct batch_fill *f, uint32_t base,
                                                             uint64_t m, uint32_t w,
                                                             uint32_t min_len)
{
    uint64_t wins = window_ends(m, s->prev, w, s->st);
    uint64_t ends = ~m & (wins << 1 | s->wins >> 63);
    s->wins = wins;
    while (ends) {
        uint32_t j = (uint32_t)__builtin_ctzll(ends);
        ends &= ends - 1;
        uint64_t below = ~m & ((1ull << j) - 1);
        /* A run found is at least w long: shorter than min_len only past the window cap. */
        uint32_t start = below ? base + 64 - (uint32_t)__builtin_clzll(below)
                               : s->last_base + 64 - (uint32_t)__builtin_clzll(s->last_nonp);
        batch_run(b, f, start, base + j, min_len, min_len > w);
    }
    /* A block with no non-printable byte leaves the run's start where it was. */
    if (~m) s->last_nonp = ~m, s->last_base = base;
    s->prev = m;
}

/*
 * Mask-driven scan over consecutive 64-byte blocks, each classified once into a 64-bit printable
 * mask (scan_block()). Binary payloads (a short run every block or so) cost little more than text,
 * and a printable block inside a long text run costs its loads and a compare. The last, partial,
 * block has its bits past to clear, so a run reaching to ends there; when to falls on a block
 * boundary it is an empty block that closes such a run. Nothing outside [from, to) is read:
 * frames may end at the end of a mapping.
 */
static inline __attribute__((always_inline)) unsigned
scan_blocks(const uint8_t *bytes, uint32_t from, uint32_t to, uint32_t min_len,
            strings_emit_fn emit, void *ctx, mask64_fn printable_mask64, all128_fn printable_all128,
            mask_short_fn printable_mask_short_n)
{
    if (min_len == 0) min_len = 1;
    if (from >= to || to - from < min_len) return 0;
    /* Windows wider than 16 bytes would need more shifts for little gain: longer minimums find
     * the runs of 16 or more and let batch_flush() drop those that are too short. */
    uint32_t w = min_len < 16 ? min_len : 16;
    struct scan_state s;
    s.prev = s.wins = 0; /* nothing before from is in a run */
    s.st[0] = s.st[1] = s.st[2] = s.st[3] = s.st[4] = 0;
    /* As if byte from - 1 were non-printable (the base wraps around and back). */
    s.last_nonp = 1ull << 63;
    s.last_base = from - 64;
    struct batch b;
    b.emit = emit;
    b.ctx = ctx;
    b.count = 0;
    struct batch_fill f = {0, 0};
    uint32_t base = from;
    for (; to - base >= 64; base += 64) {
        uint64_t m = printable_mask64(bytes + base);
        /* Inside a long run every step is all ones and stays so: nothing to do, and text goes on
         * for a while, so look ahead two blocks at a time with one movemask. */
        if (m == ~0ull && s.wins == ~0ull) {
            while (to - base >= 64 + 128 && printable_all128(bytes + base + 64)) base += 128;
            continue;
        }
        scan_block(&s, &b, &f, base, m, w, min_len);
    }
    uint32_t rem = to - base;
    uint64_t m = rem == 0          ? 0
                 : to - from >= 64 ? printable_mask64(bytes + to - 64) >> (64 - rem)
                                   : printable_mask_short_n(bytes + base, rem);
    scan_block(&s, &b, &f, base, m, w, min_len);
    return batch_finish(&b, f, min_len);
}

static unsigned scan_baseline(const uint8_t *bytes, uint32_t from, uint32_t to, uint32_t min_len,
                              strings_emit_fn emit, void *ctx)
{
    return scan_blocks(bytes, from, to, min_len, emit, ctx, printable_mask64_sse2,
                       printable_all128_sse2, printable_mask_short);
}

#if defined(CPU_HAVE_AVX2_PATHS)
CPU_AVX2_TARGET static unsigned scan_avx2(const uint8_t *bytes, uint32_t from, uint32_t to,
                                          uint32_t min_len, strings_emit_fn emit, void *ctx)
{
    /* The default minimum as a constant: its window test becomes two shifts and ands. */
    if (min_len == 4)
        return scan_blocks(bytes, from, to, 4, emit, ctx, printable_mask64_avx2,
                           printable_all128_avx2, printable_mask_short_avx2);
    return scan_blocks(bytes, from, to, min_len, emit, ctx, printable_mask64_avx2,
                       printable_all128_avx2, printable_mask_short_avx2);
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
    if (min_len == 0) min_len = 1;
    struct batch b;
    b.emit = emit;
    b.ctx = ctx;
    b.count = 0;
    struct batch_fill f = {0, 0};
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
        batch_run(&b, &f, start, end, min_len, true);
        i = end + 1;
    }
    return batch_finish(&b, f, min_len);
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
