/*
 * sbuf.h — a bounded string builder for the formatters (print.c, json.c, the summary).
 *
 * Appends never write past cap - 1 and always leave the buffer NUL-terminated; len keeps
 * counting what would have been written, so callers learn the untruncated length like
 * snprintf. Numbers and addresses are formatted by hand: printing one line per packet at
 * millions of packets per second is dominated by formatting, and snprintf is the slow part.
 */
#ifndef PACKRAT_ANALYZER_SBUF_H
#define PACKRAT_ANALYZER_SBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dissect.h"

struct sbuf {
    char *buf;
    size_t cap; /* bytes available in buf, including the terminating NUL */
    size_t len; /* bytes that would have been written */
};

static inline void sb_init(struct sbuf *s, char *buf, size_t cap)
{
    s->buf = buf;
    s->cap = cap;
    s->len = 0;
    if (cap) buf[0] = 0;
}

/* The truncating append, out of the common path. */
static inline void sb_mem_cut(struct sbuf *s, const char *p, size_t n)
{
    if (s->len + 1 < s->cap) {
        size_t room = s->cap - 1 - s->len;
        size_t k = n < room ? n : room;
        memcpy(s->buf + s->len, p, k);
        s->buf[s->len + k] = 0;
    }
    s->len += n;
}

/*
 * Appends are mostly a few bytes of known size: when they fit, copy exactly n bytes so the
 * compiler turns a constant n into plain stores instead of a call to memcpy.
 */
static inline void sb_mem(struct sbuf *s, const char *p, size_t n)
{
    if (__builtin_expect(s->len + n < s->cap, 1)) {
        memcpy(s->buf + s->len, p, n);
        s->len += n;
        s->buf[s->len] = 0;
        return;
    }
    sb_mem_cut(s, p, n);
}

static inline void sb_str(struct sbuf *s, const char *p)
{
    sb_mem(s, p, strlen(p));
}

static inline void sb_ch(struct sbuf *s, char c)
{
    if (__builtin_expect(s->len + 1 < s->cap, 1)) {
        s->buf[s->len++] = c;
        s->buf[s->len] = 0;
        return;
    }
    s->len++;
}

/* Decimal digits in v (1 for 0): comparisons, one division per four digits. */
static inline unsigned sb_digits(uint64_t v)
{
    for (unsigned n = 1;; n += 4) {
        if (v < 10) return n;
        if (v < 100) return n + 1;
        if (v < 1000) return n + 2;
        if (v < 10000) return n + 3;
        v /= 10000;
    }
}

static const char sb_pairs[] = "00010203040506070809101112131415161718192021222324"
                               "25262728293031323334353637383940414243444546474849"
                               "50515253545556575859606162636465666768697071727374"
                               "75767778798081828384858687888990919293949596979899";

/* Writes the decimal digits of v backwards from end (exclusive), two at a time; 32-bit
 * arithmetic once the value fits (ports, sequence numbers, lengths: nearly all of them). */
static inline void sb_put_digits(char *end, uint64_t v)
{
    while (v > UINT32_MAX) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        end -= 2;
        memcpy(end, sb_pairs + 2 * r, 2);
    }
    uint32_t w = (uint32_t)v;
    while (w >= 100) {
        unsigned r = w % 100;
        w /= 100;
        end -= 2;
        memcpy(end, sb_pairs + 2 * r, 2);
    }
    if (w >= 10) {
        end -= 2;
        memcpy(end, sb_pairs + 2 * w, 2);
    } else {
        *--end = (char)('0' + w);
    }
}

static inline void sb_u(struct sbuf *s, uint64_t v)
{
    unsigned n = sb_digits(v);
    if (__builtin_expect(s->len + n < s->cap, 1)) {
        sb_put_digits(s->buf + s->len + n, v);
        s->len += n;
        s->buf[s->len] = 0;
        return;
    }
    char tmp[32]; /* 20 digits at most; 32 because LTO's range analysis cannot see that */
    sb_put_digits(tmp + n, v);
    sb_mem_cut(s, tmp, n);
}

/* Zero-padded to width digits. */
static inline void sb_u0(struct sbuf *s, uint64_t v, int width)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    for (int i = 0; i < width || v; i++) {
        *--p = (char)('0' + v % 10);
        v /= 10;
        if (p == tmp) break;
    }
    sb_mem(s, p, (size_t)(tmp + sizeof tmp - p));
}

static inline void sb_hex(struct sbuf *s, uint64_t v, int width)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[20];
    char *p = tmp + sizeof tmp;
    for (int i = 0; (i < width || v) && p > tmp; i++) {
        *--p = hex[v & 15];
        v >>= 4;
    }
    sb_mem(s, p, (size_t)(tmp + sizeof tmp - p));
}

static inline void sb_ip4(struct sbuf *s, const uint8_t *a)
{
    if (__builtin_expect(s->len + 16 <= s->cap, 1)) { /* "255.255.255.255" and its NUL */
        s->len += dissect_fmt_ipv4(a, s->buf + s->len);
        return;
    }
    char tmp[16];
    sb_mem(s, tmp, dissect_fmt_ipv4(a, tmp));
}

static inline void sb_ip6(struct sbuf *s, const uint8_t *a)
{
    if (__builtin_expect(s->len + 46 <= s->cap, 1)) { /* INET6_ADDRSTRLEN */
        s->len += dissect_fmt_ipv6(a, s->buf + s->len, 46);
        return;
    }
    char tmp[64];
    sb_mem(s, tmp, dissect_fmt_ipv6(a, tmp, sizeof tmp));
}

static inline void sb_mac(struct sbuf *s, const uint8_t *a)
{
    if (__builtin_expect(s->len + 18 <= s->cap, 1)) { /* "xx:xx:xx:xx:xx:xx" and its NUL */
        s->len += dissect_fmt_mac(a, s->buf + s->len);
        return;
    }
    char tmp[18];
    sb_mem(s, tmp, dissect_fmt_mac(a, tmp));
}

static inline void sb_pool(struct sbuf *s, const struct dissection *d, struct dissect_str str)
{
    if ((size_t)str.off + str.len <= DISSECT_POOL_SIZE) sb_mem(s, d->pool + str.off, str.len);
}

#endif
