/*
 * dissect_http.c — HTTP/1.x start line and the Host (and User-Agent) header, found by looking at
 * the first bytes of a TCP payload on any port (a method token followed by a space, or
 * "HTTP/1."). No reassembly: a request split over segments shows what its first segment holds.
 *
 * Header lines are scanned up to the blank line, the end of the window, or HTTP_MAX_LINES lines,
 * whichever comes first; each line is bounded by the window, so a missing CRLF only ends the scan.
 */
#include <string.h>
#include <strings.h>

#include "dissect_int.h"

#define HTTP_MAX_LINES 64
#define HTTP_MAX_LINE  2048

static const char *const methods[] = {"GET",     "POST",  "HEAD",    "PUT",   "DELETE",
                                      "OPTIONS", "PATCH", "CONNECT", "TRACE", NULL};

/* Length of the line at c (without CR/LF), and whether a LF ended it. */
static size_t line_len(const struct cursor *c, bool *complete)
{
    size_t left = cur_left(c), n = left > HTTP_MAX_LINE ? HTTP_MAX_LINE : left;
    const uint8_t *p = cur_peek(c, 0, n);
    const uint8_t *lf = p ? memchr(p, '\n', n) : NULL;
    *complete = lf != NULL;
    size_t len = lf ? (size_t)(lf - p) : n;
    if (lf && len > 0 && p[len - 1] == '\r') len--;
    return len;
}

static bool starts_with(const struct cursor *c, const char *s)
{
    size_t n = strlen(s);
    const uint8_t *p = cur_peek(c, 0, n);
    return p && memcmp(p, s, n) == 0;
}

/* Splits the start line at spaces into up to 3 parts (the last one keeps its spaces). */
static int split3(const uint8_t *p, size_t len, size_t off[3], size_t lens[3])
{
    int n = 0;
    size_t i = 0;
    while (n < 3 && i <= len) {
        size_t s = i;
        if (n < 2)
            while (i < len && p[i] != ' ') i++;
        else
            i = len;
        off[n] = s;
        lens[n] = i - s;
        n++;
        i++;
    }
    return n;
}

bool dissect_http(struct dissection *d, struct cursor c)
{
    /* Every TCP payload comes here: "HTTP/1." and every method start with a capital letter,
     * which turns most binary and text payloads away before the comparisons below. */
    uint8_t first;
    if (!cur_peek_be8(&c, 0, &first) || first < 'C' || first > 'T') return false;
    bool response = starts_with(&c, "HTTP/1.");
    bool request = false;
    for (int i = 0; !response && methods[i]; i++) {
        size_t n = strlen(methods[i]);
        uint8_t sp = 0;
        if (starts_with(&c, methods[i]) && cur_peek_be8(&c, n, &sp) && sp == ' ') request = true;
    }
    if (!request && !response) return false;
    if (!d_push(d, DP_HTTP, &c)) return true;

    bool complete;
    size_t len = line_len(&c, &complete);
    const uint8_t *line = cur_peek(&c, 0, len);
    if (!complete && c.end >= d->cap_end && d->m.caplen < d->m.wirelen)
        d_event(d, DE_HTTP_TRUNCATED, c.p + len);
    size_t off[3] = {0}, lens[3] = {0};
    int parts = split3(line, len, off, lens);
    if (response) {
        d_str(d, FLD_HTTP_RESP_VERSION, line, (uint32_t)lens[0], d_pool_escaped(d, line, lens[0]));
        if (parts > 1) {
            unsigned code = 0;
            for (size_t i = 0; i < lens[1] && i < 3; i++) {
                uint8_t ch = line[off[1] + i];
                if (ch < '0' || ch > '9') break;
                code = code * 10 + (ch - '0');
            }
            d_u(d, FLD_HTTP_RESP_CODE, line + off[1], (uint32_t)lens[1], code);
        }
        if (parts > 2)
            d_str(d, FLD_HTTP_RESP_PHRASE, line + off[2], (uint32_t)lens[2],
                  d_pool_escaped(d, line + off[2], lens[2]));
    } else {
        static const enum dissect_field_id ids[3] = {FLD_HTTP_METHOD, FLD_HTTP_URI,
                                                     FLD_HTTP_REQ_VERSION};
        for (int i = 0; i < parts; i++)
            d_str(d, ids[i], line + off[i], (uint32_t)lens[i],
                  d_pool_escaped(d, line + off[i], lens[i]));
    }
    if (d_outer(d)) {
        d->m.http_response = response;
        d->m.http_line = d_pool_escaped(d, line, len);
    }
    if (!complete) return true;
    cur_skip(&c, len);
    /* Skip the CR LF that ended the line. */
    uint8_t ch;
    if (cur_peek_be8(&c, 0, &ch) && ch == '\r') cur_skip(&c, 1);
    cur_skip(&c, 1);

    for (int n = 0; n < HTTP_MAX_LINES && cur_left(&c) > 0; n++) {
        len = line_len(&c, &complete);
        if (len == 0) break; /* the blank line that ends the headers (or nothing) */
        line = cur_peek(&c, 0, len);
        static const struct {
            const char *name;
            enum dissect_field_id id;
        } hdrs[] = {{"host:", FLD_HTTP_HOST}, {"user-agent:", FLD_HTTP_USER_AGENT}};
        for (size_t h = 0; h < sizeof hdrs / sizeof hdrs[0]; h++) {
            size_t hn = strlen(hdrs[h].name);
            if (len < hn || strncasecmp((const char *)line, hdrs[h].name, hn) != 0) continue;
            size_t v = hn;
            while (v < len && (line[v] == ' ' || line[v] == '\t')) v++;
            size_t e = len;
            while (e > v && (line[e - 1] == ' ' || line[e - 1] == '\t')) e--;
            struct dissect_str s = d_pool_escaped(d, line + v, e - v);
            d_str(d, hdrs[h].id, line + v, (uint32_t)(e - v), s);
            if (hdrs[h].id == FLD_HTTP_HOST && d_outer(d)) d->m.http_host = s;
        }
        if (!complete) break;
        cur_skip(&c, len);
        if (cur_peek_be8(&c, 0, &ch) && ch == '\r') cur_skip(&c, 1);
        cur_skip(&c, 1);
    }
    return true;
}
