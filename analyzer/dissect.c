/*
 * dissect.c — entry point of the dissection library: per-link-type dispatch, the shared
 * ethertype and IP-protocol dispatch, and the recording helpers that keep a struct dissection
 * inside its fixed capacities (16 layers, DISSECT_MAX_FIELDS fields, a string pool, 16 events).
 *
 * Nothing here allocates and nothing is cleared wholesale per frame: a dissection is several KB
 * and most of it is never touched, so only the counters and the meta block are reset.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cpu.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(CPU_HAVE_AVX2_PATHS)
#include <immintrin.h>
#endif

#include "dissect_int.h"

static const char *const event_names[DE_COUNT] = {[DE_NONE] = "none",
#define X(id, name, flags) [DE_##id] = name,
                                                  DISSECT_EVENTS(X)
#undef X
};

static const uint8_t event_flags[DE_COUNT] = {
#define X(id, name, flags) [DE_##id] = flags,
    DISSECT_EVENTS(X)
#undef X
};

static const char *const proto_abbrevs[DP_COUNT] = {
#define X(id, abbrev, name) [DP_##id] = abbrev,
    DISSECT_PROTOS(X)
#undef X
};

static const char *const proto_names[DP_COUNT] = {
#define X(id, abbrev, name) [DP_##id] = name,
    DISSECT_PROTOS(X)
#undef X
};

static const struct dissect_field_info field_infos[FLD_COUNT] = {
#define X(id, name, label, fmt) [FLD_##id] = {name, label, fmt},
    DISSECT_FIELDS(X)
#undef X
};

const char *dissect_event_name(unsigned id)
{
    return id < DE_COUNT ? event_names[id] : "?";
}

uint8_t dissect_event_flags(unsigned id)
{
    return id < DE_COUNT ? event_flags[id] : SHM_PKT_MALFORMED;
}

const char *dissect_proto_name(unsigned proto)
{
    return proto < DP_COUNT ? proto_names[proto] : "?";
}

const char *dissect_proto_abbrev(unsigned proto)
{
    return proto < DP_COUNT ? proto_abbrevs[proto] : "?";
}

const struct dissect_field_info *dissect_field_info(unsigned id)
{
    static const struct dissect_field_info unknown = {"?", "?", DF_UINT};
    return id < FLD_COUNT ? &field_infos[id] : &unknown;
}

/* ---- recording ------------------------------------------------------------------------------ */

void d_event(struct dissection *d, enum dissect_event ev, const uint8_t *at)
{
    if (d->nevents >= DISSECT_MAX_EVENTS) {
        d->events_dropped++;
        return;
    }
    struct dissect_event_rec *e = &d->events[d->nevents++];
    e->id = (uint16_t)ev;
    e->layer = (uint8_t)d_cur_layer(d);
    e->pad = 0;
    e->offset = d_off(d, at);
}

void d_short(struct dissection *d, const struct cursor *c, enum dissect_event trunc,
             enum dissect_event shorter)
{
    d_event(d, d_cut(d, c) ? trunc : shorter, c->p);
}

void d_fields_full(struct dissection *d, const uint8_t *at)
{
    if (d->fields_dropped++ == 0) d_event(d, DE_FIELDS_DROPPED, at);
}

void d_str(struct dissection *d, enum dissect_field_id id, const uint8_t *at, uint32_t len,
           struct dissect_str s)
{
    struct dissect_field *f = d_field(d, id, at, len);
    if (f) memcpy(&f->v, &s, sizeof s);
}

void d_pool_begin(struct dissection *d, struct pool_builder *b)
{
    b->start = d->pool_used;
    b->len = 0;
    b->overflow = false;
}

void d_pool_appendc(struct dissection *d, struct pool_builder *b, char ch)
{
    uint32_t at = b->start + b->len;
    if (b->overflow || at >= DISSECT_POOL_SIZE || b->len >= UINT16_MAX) {
        b->overflow = true;
        return;
    }
    d->pool[at] = ch;
    b->len++;
}

/* Printable ASCII stays; backslash and everything else become \xHH so the pool is safe to
 * print on a terminal and cheap to put in JSON. Runs of printable bytes are copied at once. */
void d_pool_append(struct dissection *d, struct pool_builder *b, const uint8_t *src, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    while (i < n && !b->overflow) {
        size_t run = 0;
        while (i + run < n && src[i + run] >= 0x20 && src[i + run] < 0x7f && src[i + run] != '\\')
            run++;
        if (run) {
            size_t at = (size_t)b->start + b->len;
            if (at + run >= DISSECT_POOL_SIZE || b->len + run >= UINT16_MAX) {
                b->overflow = true;
                return;
            }
            memcpy(d->pool + at, src + i, run);
            b->len += (uint32_t)run;
            i += run;
            continue;
        }
        uint8_t ch = src[i++];
        d_pool_appendc(d, b, '\\');
        d_pool_appendc(d, b, 'x');
        d_pool_appendc(d, b, hex[ch >> 4]);
        d_pool_appendc(d, b, hex[ch & 15]);
    }
}

bool d_pool_end(struct dissection *d, struct pool_builder *b, struct dissect_str *out)
{
    if (b->overflow || b->start + b->len >= DISSECT_POOL_SIZE) {
        out->off = 0;
        out->len = 0;
        if (d->fields_dropped++ == 0) d_event(d, DE_FIELDS_DROPPED, d->frame);
        return false;
    }
    out->off = (uint16_t)b->start;
    out->len = (uint16_t)b->len;
    d->pool[b->start + b->len] = 0; /* so dissect_str_ptr() is also a C string */
    d->pool_used = (uint16_t)(b->start + b->len + 1);
    return true;
}

struct dissect_str d_pool_escaped(struct dissection *d, const uint8_t *src, size_t n)
{
    struct pool_builder b;
    struct dissect_str s = {0, 0};
    d_pool_begin(d, &b);
    d_pool_append(d, &b, src, n);
    d_pool_end(d, &b, &s);
    return s;
}

/* ---- checksum ------------------------------------------------------------------------------- */

/*
 * RFC 1071 is byte-order independent: csum_native() sums native-order words (memcpy or unaligned
 * vector loads, an odd last byte zero-padded) into a 64-bit integer, which is only then folded
 * to 16 bits and swapped to network order, once. Whatever width the words are added at, the
 * integer is congruent modulo 0xffff to the sum of the 16-bit words (2^16 is 1 modulo 0xffff)
 * and is 0 only when every byte is, and the end-around-carry fold maps exactly those two facts
 * to its result: so every path gives the same checksum.
 */

/* Adds with the end-around carry: the sum stays congruent modulo 2^64 - 1 (so modulo 0xffff)
 * and, once any addend was nonzero, never returns to 0. */
static inline uint64_t csum_add64(uint64_t a, uint64_t b)
{
    uint64_t s = a + b;
    return s + (s < b);
}

/* End-around-carry fold to 16 bits: the same result as repeating (x & 0xffff) + (x >> 16) until
 * it fits, so 0 only for 0. The last step adds the halves in the upper half of x + rotl(x, 16),
 * where the carry out of the lower half is the end-around carry. */
static inline uint32_t csum_fold64(uint64_t x)
{
    uint32_t s = (uint32_t)x, hi = (uint32_t)(x >> 32);
    s += hi;
    s += s < hi;
    s += (s << 16) | (s >> 16);
    return s >> 16;
}

/* A folded native-order sum as the network-order value it stands for. */
static inline uint32_t csum_net16(uint32_t folded)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap16((uint16_t)folded);
#else
    uint16_t f = (uint16_t)folded;
    uint8_t be[2];
    memcpy(be, &f, 2); /* native bytes of the folded sum are the network-order bytes */
    return ((uint32_t)be[0] << 8) | be[1];
#endif
}

/* The vector paths take at most this much at a time (see below); a multiple of every step. */
#define CSUM_CHUNK 65536

#if defined(__SSE2__)
/*
 * The vector paths widen words with a multiply-add instead of two unpacks and two adds: each
 * word is xored with 0x8000 so that pmaddwd reads it as the signed value w - 32768, and pmaddwd
 * against ones adds neighbouring words into a 32-bit lane, each pair worth its true sum minus
 * 65536. That bias is paid back once, from the bytes the vectors covered (a pair is 4 bytes:
 * 16384 a byte). A lane moves by at most 65536 a vector, so over CSUM_CHUNK bytes even the total
 * of all lanes stays within int32 (at most 2^30) and one horizontal sum per call does.
 *
 * The last partial vector is loaded to end at the end of the (even) length -- never past it: a
 * frame may end where its mapping does -- with the bytes before the tail, summed already, masked
 * to zero. Zero words still carry the bias, so the masked vector counts in full.
 */
static const uint8_t csum_tail_mask[64] = {
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static inline __m128i csum_pairs128(__m128i v)
{
    return _mm_madd_epi16(_mm_xor_si128(v, _mm_set1_epi16((short)0x8000)), _mm_set1_epi16(1));
}

static inline int32_t csum_hsum128(__m128i v)
{
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(v);
}

/* The sum of the native words of p[0..n), n even, 32 <= n <= CSUM_CHUNK. */
static uint64_t csum_native_sse2(const uint8_t *p, size_t n)
{
    __m128i lanes = _mm_setzero_si128();
    const uint8_t *q = p, *steps_end = p + (n & ~(size_t)31);
    for (; q < steps_end; q += 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(q + 16));
        lanes = _mm_add_epi32(lanes, _mm_add_epi32(csum_pairs128(a), csum_pairs128(b)));
    }
    if (n & 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)q);
        lanes = _mm_add_epi32(lanes, csum_pairs128(a));
    }
    if (n & 14) {
        __m128i t = _mm_loadu_si128((const __m128i *)(const void *)(p + n - 16));
        __m128i m =
            _mm_loadu_si128((const __m128i *)(const void *)(csum_tail_mask + 16 + (n & 14)));
        lanes = _mm_add_epi32(lanes, csum_pairs128(_mm_and_si128(t, m)));
    }
    return (uint64_t)16384 * ((n + 15) & ~(size_t)15) + (uint64_t)(int64_t)csum_hsum128(lanes);
}
#endif

#if defined(CPU_HAVE_AVX2_PATHS)
/* csum_native_sse2() 64 bytes a step, for CPUs with AVX2. */
CPU_AVX2_TARGET static uint64_t csum_native_avx2(const uint8_t *p, size_t n)
{
    __m256i bias = _mm256_set1_epi16((short)0x8000), ones = _mm256_set1_epi16(1);
    /* Built once: left alone, the compiler builds them again (5 instructions) on each tail path. */
    __asm__("" : "+x"(bias), "+x"(ones));
#define CSUM_PAIRS256(v) _mm256_madd_epi16(_mm256_xor_si256((v), bias), ones)
    __m256i lanes = _mm256_setzero_si256();
    const uint8_t *q = p, *steps_end = p + (n & ~(size_t)63);
    for (; q < steps_end; q += 64) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)q);
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(q + 32));
        lanes = _mm256_add_epi32(lanes, _mm256_add_epi32(CSUM_PAIRS256(a), CSUM_PAIRS256(b)));
    }
    if (n & 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)q);
        lanes = _mm256_add_epi32(lanes, CSUM_PAIRS256(a));
    }
    if (n & 30) {
        __m256i t = _mm256_loadu_si256((const __m256i *)(const void *)(p + n - 32));
        __m256i m = _mm256_loadu_si256((const __m256i *)(const void *)(csum_tail_mask + (n & 30)));
        lanes = _mm256_add_epi32(lanes, CSUM_PAIRS256(_mm256_and_si256(t, m)));
    }
#undef CSUM_PAIRS256
    __m128i half = _mm_add_epi32(_mm256_castsi256_si128(lanes), _mm256_extracti128_si256(lanes, 1));
    return (uint64_t)16384 * ((n + 31) & ~(size_t)31) + (uint64_t)(int64_t)csum_hsum128(half);
}
#endif

/* acc plus the sum of the native words of p[0..n), an odd last byte zero-padded (see above). */
static inline uint64_t csum_native(uint64_t acc, const uint8_t *p, size_t n)
{
    if (n & 1) {
        uint8_t last[2] = {p[n - 1], 0}; /* the odd byte is the high half of a zero-padded word */
        uint16_t w;
        memcpy(&w, last, 2);
        acc = csum_add64(acc, w);
        n--;
    }
#if defined(__SSE2__)
    /* Below 32 bytes (an IPv4 header, a bare TCP header) the scalar steps cost less than
     * setting up vectors, masking a tail and summing lanes. */
    while (n >= 32) {
        size_t len = n > CSUM_CHUNK ? CSUM_CHUNK : n;
#if defined(CPU_HAVE_AVX2_PATHS)
        acc = csum_add64(acc, cpu_avx2() ? csum_native_avx2(p, len) : csum_native_sse2(p, len));
#else
        acc = csum_add64(acc, csum_native_sse2(p, len));
#endif
        p += len;
        n -= len;
    }
#else
    for (; n >= 32; p += 32, n -= 32) {
        uint64_t w[4];
        memcpy(w, p, 32);
        acc = csum_add64(csum_add64(acc, w[0]), w[1]);
        acc = csum_add64(csum_add64(acc, w[2]), w[3]);
    }
#endif
    /* 8-byte words with end-around carries; one test per size instead of a loop. */
    if (n & 16) {
        uint64_t w[2];
        memcpy(w, p, 16);
        acc = csum_add64(csum_add64(acc, w[0]), w[1]);
        p += 16;
    }
    if (n & 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        acc = csum_add64(acc, w);
        p += 8;
    }
    if (n & 4) {
        uint32_t w;
        memcpy(&w, p, 4);
        acc = csum_add64(acc, w);
        p += 4;
    }
    if (n & 2) {
        uint16_t w;
        memcpy(&w, p, 2);
        acc = csum_add64(acc, w);
    }
    return acc;
}

/* The checksum field's test value: ~folded sum in network order, 0 for correct data. */
static inline uint16_t csum_finish(uint64_t acc)
{
    return (uint16_t)csum_net16(~csum_fold64(acc) & 0xffff);
}

uint16_t d_csum(const uint8_t *p, size_t n)
{
    return csum_finish(csum_native(0, p, n));
}

uint16_t d_csum_l4(const struct ip_ctx *ip, uint8_t proto, uint32_t len, const uint8_t *p, size_t n)
{
    /*
     * The pseudo-header joins the segment's native-order sum, so the two share one fold and one
     * swap: the addresses as 8- or 4-byte words, then the length and the protocol as IPv6 lays
     * them out (len as 32 bits, three zero bytes, proto), whose 16-bit words are also IPv4's
     * (zero, proto, and a length below 2^16).
     */
    uint64_t acc, w[4];
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    acc = __builtin_bswap32(len) | (uint64_t)proto << 56; /* those 8 bytes as a native word */
#else
    uint8_t tail[8] = {0, 0, 0, 0, 0, 0, 0, proto};
    tail[0] = (uint8_t)(len >> 24), tail[1] = (uint8_t)(len >> 16);
    tail[2] = (uint8_t)(len >> 8), tail[3] = (uint8_t)len;
    memcpy(&acc, tail, 8);
#endif
    if (ip->version == 4) {
        uint32_t a[2];
        memcpy(&a[0], ip->src, 4);
        memcpy(&a[1], ip->dst, 4);
        acc = csum_add64(acc, (uint64_t)a[0] + a[1]);
    } else {
        memcpy(&w[0], ip->src, 16);
        memcpy(&w[2], ip->dst, 16);
        acc = csum_add64(csum_add64(acc, w[0]), w[1]);
        acc = csum_add64(csum_add64(acc, w[2]), w[3]);
    }
    return csum_finish(csum_native(acc, p, n));
}

/* ---- dispatch ------------------------------------------------------------------------------- */

void dissect_ethertype(struct dissection *d, uint16_t type, struct cursor c)
{
    if (d_outer(d)) d->m.ethertype = type;
    switch (type) {
    case 0x0800:
        dissect_ipv4(d, c);
        break;
    case 0x86dd:
        dissect_ipv6(d, c);
        break;
    case 0x0806:
        dissect_arp(d, c);
        break;
    case 0x8100:
    case 0x88a8:
    case 0x9100:
        dissect_vlan(d, type, c);
        break;
    default:
        break;
    }
}

void dissect_ip_payload(struct dissection *d, uint8_t proto, struct cursor c,
                        const struct ip_ctx *ip)
{
    if (ip->nonfirst_fragment) return; /* no L4 header in here */
    switch (proto) {
    case 1:
        dissect_icmp(d, c, ip);
        break;
    case 6:
        dissect_tcp(d, c, ip);
        break;
    case 17:
        dissect_udp(d, c, ip);
        break;
    case 50:
        dissect_esp(d, c, ip);
        break;
    case 58:
        dissect_icmpv6(d, c, ip);
        break;
    case 4:
        dissect_ipv4(d, c);
        break; /* IP in IP: bounded by the layer cap */
    case 41:
        dissect_ipv6(d, c);
        break;
    default:
        break;
    }
}

void dissect_frame(struct dissection *d, uint32_t link_type, const uint8_t *bytes, uint32_t caplen,
                   uint32_t wirelen)
{
    memset(&d->m, 0, sizeof d->m); /* d->opts is the caller's and stays */
    d->m.link_type = link_type;
    d->m.caplen = caplen;
    d->m.wirelen = wirelen;
    d->top = DP_NONE;
    d->nlayers = 0;
    d->nevents = 0;
    d->inner = 0;
    d->nfields = 0;
    d->pool_used = 0;
    d->fields_dropped = 0;
    d->events_dropped = 0;
    d->frame = bytes;
    d->cap_end = bytes + caplen;

    struct cursor c = cur_make(bytes, caplen);
    switch (link_type) {
    case DISSECT_DLT_EN10MB:
        dissect_eth(d, c);
        break;
    case DISSECT_DLT_LINUX_SLL:
        dissect_sll(d, c);
        break;
    case DISSECT_DLT_LINUX_SLL2:
        dissect_sll2(d, c);
        break;
    case DISSECT_DLT_NULL:
        dissect_null(d, c, false);
        break;
    case DISSECT_DLT_LOOP:
        dissect_null(d, c, true);
        break;
    case DISSECT_DLT_RAW:
    case DISSECT_DLT_RAW_BSD:
    case DISSECT_LINKTYPE_RAW:
    case DISSECT_DLT_IPV4: /* like tcpdump, the version nibble decides over the link type */
    case DISSECT_DLT_IPV6: {
        uint8_t v = 0;
        if (cur_peek_be8(&c, 0, &v) && (v >> 4) == 6)
            dissect_ipv6(d, c);
        else
            dissect_ipv4(d, c); /* an empty or non-IP frame gets ipv4.truncated / bad_version */
        break;
    }
    default:
        d_event(d, DE_LINK_NOT_DECODED, bytes);
        break;
    }

    /* Field runs are contiguous per layer in push order: close them. */
    for (unsigned i = 0; i < d->nlayers; i++) {
        uint16_t next = i + 1 < d->nlayers ? d->layers[i + 1].first_field : d->nfields;
        d->layers[i].nfields = (uint16_t)(next - d->layers[i].first_field);
    }
    d->frame = NULL;
    d->cap_end = NULL;
}

/* ---- text helpers ------------------------------------------------------------------------- */

size_t dissect_fmt_ipv4(const uint8_t a[4], char *buf)
{
    /* Hand-rolled: this runs for nearly every printed line and snprintf costs ~10x more. */
    char *p = buf;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100) *p++ = (char)('0' + v / 100);
        if (v >= 10) *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        if (i < 3) *p++ = '.';
    }
    *p = 0;
    return (size_t)(p - buf);
}

size_t dissect_fmt_ipv6(const uint8_t a[16], char *buf, size_t len)
{
    /*
     * RFC 5952 text, identical to glibc's inet_ntop (which tcpdump and tshark use): the longest
     * run (first if tied) of two or more zero words becomes "::", and the IPv4-mapped/compatible
     * forms end in dotted quad. Hand-written because inet_ntop goes through sprintf.
     */
    static const char hex[] = "0123456789abcdef";
    char tmp[48];
    char *p = tmp;
    unsigned w[8];
    for (int i = 0; i < 8; i++) w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (w[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && !w[j]) j++;
        if (j - i > best_len) best = i, best_len = j - i;
        i = j;
    }
    if (best_len < 2) best = -1;
    bool v4 = best == 0 &&
              (best_len == 6 || (best_len == 7 && w[7] != 1) || (best_len == 5 && w[5] == 0xffff));
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best) *p++ = ':';
            continue;
        }
        if (i) *p++ = ':';
        if (v4 && i == 6) {
            p += dissect_fmt_ipv4(a + 12, p);
            break;
        }
        unsigned v = w[i];
        bool started = false;
        for (int sh = 12; sh >= 0; sh -= 4) {
            unsigned nib = (v >> sh) & 15;
            if (nib || started || sh == 0) *p++ = hex[nib], started = true;
        }
    }
    if (best >= 0 && best + best_len == 8) *p++ = ':';
    *p = 0;
    size_t n = (size_t)(p - tmp);
    if (len <= n) {
        if (len) buf[0] = 0;
        return 0;
    }
    memcpy(buf, tmp, n + 1);
    return n;
}

size_t dissect_fmt_mac(const uint8_t a[6], char *buf)
{
    static const char hex[] = "0123456789abcdef";
    char *p = buf;
    for (int i = 0; i < 6; i++) {
        *p++ = hex[a[i] >> 4];
        *p++ = hex[a[i] & 15];
        if (i < 5) *p++ = ':';
    }
    *p = 0;
    return 17;
}

/* ---- queries -------------------------------------------------------------------------------- */

const uint8_t dissect_zero_addr[16];

int dissect_find_field(const struct dissection *d, unsigned id, int from)
{
    for (int i = from < 0 ? 0 : from; i < d->nfields; i++)
        if (d->fields[i].id == id) return i;
    return -1;
}

bool dissect_has_proto(const struct dissection *d, unsigned proto)
{
    for (unsigned i = 0; i < d->nlayers; i++)
        if (d->layers[i].proto == proto) return true;
    return false;
}

size_t dissect_field_text(const struct dissection *d, const struct dissect_field *f, char *buf,
                          size_t len)
{
    const struct dissect_field_info *fi = dissect_field_info(f->id);
    uint32_t u = dissect_field_u(f);
    char tmp[64];
    int n;
    switch (fi->fmt) {
    case DF_UINT:
        n = snprintf(buf, len, "%" PRIu32, u);
        break;
    case DF_HEX8:
        n = snprintf(buf, len, "0x%02" PRIx32, u);
        break;
    case DF_HEX16:
        n = snprintf(buf, len, "0x%04" PRIx32, u);
        break;
    case DF_HEX24:
        n = snprintf(buf, len, "0x%06" PRIx32, u);
        break;
    case DF_HEX32:
        n = snprintf(buf, len, "0x%08" PRIx32, u);
        break;
    case DF_MAC:
        dissect_fmt_mac(dissect_field_bytes(d, f), tmp);
        n = snprintf(buf, len, "%s", tmp);
        break;
    case DF_IPV4:
        dissect_fmt_ipv4(dissect_field_bytes(d, f), tmp);
        n = snprintf(buf, len, "%s", tmp);
        break;
    case DF_IPV6:
        dissect_fmt_ipv6(dissect_field_bytes(d, f), tmp, sizeof tmp);
        n = snprintf(buf, len, "%s", tmp);
        break;
    case DF_STR: {
        struct dissect_str s = dissect_field_str(f);
        size_t sl = s.len;
        if (s.off + sl > DISSECT_POOL_SIZE) sl = 0; /* a copied dissection may be corrupt */
        n = snprintf(buf, len, "%.*s", (int)sl, d->pool + s.off);
        break;
    }
    case DF_CSUM:
        n = snprintf(buf, len, "%s", u == 1 ? "Good" : u == 0 ? "Bad" : "Unverified");
        break;
    default:
        n = snprintf(buf, len, "?");
        break;
    }
    return n < 0 ? 0 : (size_t)n;
}

/* ---- flow key ------------------------------------------------------------------------------- */

/* A 64-bit word loaded from memory as the number its bytes spell in network order. */
static inline uint64_t be64_value(uint64_t w)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap64(w);
#else
    return w;
#endif
}

bool dissect_flow_key(const struct dissection *d, struct shm_flow_key *key, int *dir)
{
    memset(key, 0, sizeof *key);
    if (dir) *dir = 0;
    const struct dissect_meta *m = &d->m;
    if (m->ip_version != 4 && m->ip_version != 6) return false;
    /*
     * All 16 bytes, for IPv4 too: the meta block keeps an IPv4 address in the first 4 and zeros
     * after (and this runs for every frame, where a compare and copies of 4-or-16 bytes were
     * library calls). Two big-endian halves compare as the bytes do.
     */
    uint16_t sp = m->has_ports ? m->sport : 0, dp = m->has_ports ? m->dport : 0;
    uint64_t s0, s1, d0, d1;
    memcpy(&s0, m->ip_src, 8), memcpy(&s1, m->ip_src + 8, 8);
    memcpy(&d0, m->ip_dst, 8), memcpy(&d1, m->ip_dst + 8, 8);
    s0 = be64_value(s0), s1 = be64_value(s1), d0 = be64_value(d0), d1 = be64_value(d1);
    int c = s0 != d0 ? (s0 > d0 ? 1 : -1) : s1 != d1 ? (s1 > d1 ? 1 : -1) : 0;
    bool swap = c > 0 || (c == 0 && sp > dp);
    memcpy(key->addr_a, swap ? m->ip_dst : m->ip_src, 16);
    memcpy(key->addr_b, swap ? m->ip_src : m->ip_dst, 16);
    key->port_a = swap ? dp : sp;
    key->port_b = swap ? sp : dp;
    key->vlan = m->nvlan ? m->vlan[0] : 0;
    key->ip_version = m->ip_version;
    key->proto = m->ip_proto;
    if (dir) *dir = swap ? 1 : 0;
    return true;
}

static uint32_t fnv_str(uint32_t h, const char *s)
{
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return (h ^ 0xff) * 16777619u; /* a separator, so "ab","c" differs from "a","bc" */
}

uint32_t dissect_tables_fingerprint(void)
{
    uint32_t h = 2166136261u;
    for (unsigned i = 0; i < FLD_COUNT; i++) {
        h = fnv_str(h, dissect_field_info(i)->name);
        h = (h ^ (uint32_t)dissect_field_info(i)->fmt) * 16777619u;
    }
    for (unsigned i = 0; i < DE_COUNT; i++) h = fnv_str(h, dissect_event_name(i));
    for (unsigned i = 0; i < DP_COUNT; i++) h = fnv_str(h, dissect_proto_abbrev(i));
    h = (h ^ (uint32_t)sizeof(struct dissect_field)) * 16777619u;
    h = (h ^ (uint32_t)sizeof(struct dissect_layer)) * 16777619u;
    return (h ^ (uint32_t)sizeof(struct dissect_event_rec)) * 16777619u;
}

const char *dissect_ip_proto_name(unsigned ip_proto)
{
    switch (ip_proto) {
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 1:
        return "ICMP";
    case 58:
        return "ICMPv6";
    case 132:
        return "SCTP";
    default:
        return NULL;
    }
}

size_t dissect_fmt_endpoint(const struct shm_flow_key *k, int b, char *buf, size_t len)
{
    const uint8_t *addr = b ? k->addr_b : k->addr_a;
    uint16_t port = b ? k->port_b : k->port_a;
    char ip[64];
    if (k->ip_version == 4)
        dissect_fmt_ipv4(addr, ip);
    else
        dissect_fmt_ipv6(addr, ip, sizeof ip);
    int n;
    if (k->proto == 6 || k->proto == 17 || k->proto == 132)
        n = snprintf(buf, len, k->ip_version == 4 ? "%s:%u" : "[%s]:%u", ip, port);
    else
        n = snprintf(buf, len, "%s", ip);
    return n < 0 ? 0 : (size_t)n;
}
