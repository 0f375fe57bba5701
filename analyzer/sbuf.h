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

static inline void sb_mem(struct sbuf *s, const char *p, size_t n)
{
    if (s->len + 1 < s->cap) {
        size_t room = s->cap - 1 - s->len;
        size_t k = n < room ? n : room;
        memcpy(s->buf + s->len, p, k);
        s->buf[s->len + k] = 0;
    }
    s->len += n;
}

static inline void sb_str(struct sbuf *s, const char *p)
{
    sb_mem(s, p, strlen(p));
}

static inline void sb_ch(struct sbuf *s, char c)
{
    sb_mem(s, &c, 1);
}

static inline void sb_u(struct sbuf *s, uint64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_mem(s, p, (size_t)(tmp + sizeof tmp - p));
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
    char tmp[16];
    sb_mem(s, tmp, dissect_fmt_ipv4(a, tmp));
}

static inline void sb_ip6(struct sbuf *s, const uint8_t *a)
{
    char tmp[64];
    sb_mem(s, tmp, dissect_fmt_ipv6(a, tmp, sizeof tmp));
}

static inline void sb_mac(struct sbuf *s, const uint8_t *a)
{
    char tmp[18];
    sb_mem(s, tmp, dissect_fmt_mac(a, tmp));
}

static inline void sb_pool(struct sbuf *s, const struct dissection *d, struct dissect_str str)
{
    if ((size_t)str.off + str.len <= DISSECT_POOL_SIZE) sb_mem(s, d->pool + str.off, str.len);
}

#endif
