/*
 * cursor.h — the only way packrat reads packet bytes.
 *
 * A cursor is a window { p, end } into a frame. Every read goes through a getter that checks the
 * bytes are inside the window first and reports failure instead of reading past it, like
 * tcpdump's GET_* macros but without longjmp: a dissector tests the result and records a named
 * event. Layers narrow the window to the length their header declares (cur_sub) before handing
 * the rest to the next layer, so a lying inner header can never read past its parent.
 *
 * Getters take the value by pointer and return false when bytes run short; on failure the cursor
 * is left unchanged. The peek variants read at an offset from p without consuming.
 */
#ifndef PACKRAT_ANALYZER_CURSOR_H
#define PACKRAT_ANALYZER_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
    const uint8_t *p;
    const uint8_t *end;
};

static inline struct cursor cur_make(const uint8_t *p, size_t len)
{
    struct cursor c = {p, p + len};
    return c;
}

static inline size_t cur_left(const struct cursor *c)
{
    return (size_t)(c->end - c->p);
}

static inline bool cur_has(const struct cursor *c, size_t n)
{
    return n <= cur_left(c);
}

/* Consumes n bytes and returns where they start, or NULL (cursor unchanged) if short. */
static inline const uint8_t *cur_pull(struct cursor *c, size_t n)
{
    if (!cur_has(c, n)) return NULL;
    const uint8_t *q = c->p;
    c->p += n;
    return q;
}

static inline bool cur_skip(struct cursor *c, size_t n)
{
    return cur_pull(c, n) != NULL;
}

/* Returns the first n bytes as a new window and advances past them; false if short. */
static inline bool cur_split(struct cursor *c, size_t n, struct cursor *sub)
{
    const uint8_t *q = cur_pull(c, n);
    if (!q) return false;
    sub->p = q;
    sub->end = q + n;
    return true;
}

/* Narrows the window to at most n bytes from p (never widens it). */
static inline void cur_limit(struct cursor *c, size_t n)
{
    if (n < cur_left(c)) c->end = c->p + n;
}

/* Pointer to n bytes at offset off, or NULL. Does not consume. */
static inline const uint8_t *cur_peek(const struct cursor *c, size_t off, size_t n)
{
    size_t left = cur_left(c);
    if (off > left || n > left - off) return NULL;
    return c->p + off;
}

/*
 * Reads at a constant offset inside a header whose bytes are known to be present (cur_split(),
 * cur_pull() or cur_peek() of the whole header succeeded): one length check for the header
 * instead of one per field, which the hottest dissectors (IPv4, TCP) repeat for every frame.
 */
static inline uint16_t hdr_be16(const uint8_t *h, size_t off)
{
    return (uint16_t)(((uint32_t)h[off] << 8) | h[off + 1]);
}

static inline uint32_t hdr_be32(const uint8_t *h, size_t off)
{
    return ((uint32_t)h[off] << 24) | ((uint32_t)h[off + 1] << 16) | ((uint32_t)h[off + 2] << 8) |
           h[off + 3];
}

#define CUR_GETTER(name, type, nbytes, expr)                                                       \
    static inline bool cur_peek_##name(const struct cursor *c, size_t off, type *v)                \
    {                                                                                              \
        const uint8_t *b = cur_peek(c, off, nbytes);                                               \
        if (!b) return false;                                                                      \
        *v = (type)(expr);                                                                         \
        return true;                                                                               \
    }                                                                                              \
    static inline bool cur_##name(struct cursor *c, type *v)                                       \
    {                                                                                              \
        if (!cur_peek_##name(c, 0, v)) return false;                                               \
        c->p += nbytes;                                                                            \
        return true;                                                                               \
    }

CUR_GETTER(be8, uint8_t, 1, b[0])
CUR_GETTER(be16, uint16_t, 2, ((uint32_t)b[0] << 8) | b[1])
CUR_GETTER(be24, uint32_t, 3, ((uint32_t)b[0] << 16) | ((uint32_t)b[1] << 8) | b[2])
CUR_GETTER(be32, uint32_t, 4,
           ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3])
CUR_GETTER(be64, uint64_t, 8,
           ((uint64_t)b[0] << 56) | ((uint64_t)b[1] << 48) | ((uint64_t)b[2] << 40) |
               ((uint64_t)b[3] << 32) | ((uint64_t)b[4] << 24) | ((uint64_t)b[5] << 16) |
               ((uint64_t)b[6] << 8) | b[7])
CUR_GETTER(le16, uint16_t, 2, ((uint32_t)b[1] << 8) | b[0])
CUR_GETTER(le32, uint32_t, 4,
           ((uint32_t)b[3] << 24) | ((uint32_t)b[2] << 16) | ((uint32_t)b[1] << 8) | b[0])
CUR_GETTER(le64, uint64_t, 8,
           ((uint64_t)b[7] << 56) | ((uint64_t)b[6] << 48) | ((uint64_t)b[5] << 40) |
               ((uint64_t)b[4] << 32) | ((uint64_t)b[3] << 24) | ((uint64_t)b[2] << 16) |
               ((uint64_t)b[1] << 8) | b[0])

#undef CUR_GETTER

/* Copies n bytes out; false (nothing copied) if short. */
static inline bool cur_copy(struct cursor *c, void *dst, size_t n)
{
    const uint8_t *q = cur_pull(c, n);
    if (!q) return false;
    memcpy(dst, q, n);
    return true;
}

#endif
