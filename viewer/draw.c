/*
 * draw.c — clipping, sanitising text output and number formatting for the tabs.
 *
 * Every string that came out of shared memory (addresses, info lines, payload strings) passes
 * through draw_text(), which replaces anything outside printable ASCII by '.', so a hostile
 * payload cannot move the cursor or reprogram the terminal, and column widths equal byte counts.
 */
#include "viewer/screen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int draw_text(int y, int x, int w, const char *s, int attr)
{
    if (w <= 0 || !s) return 0;
    char buf[1024];
    int n = 0;
    while (s[n] && n < w && n < (int)sizeof buf - 1) {
        unsigned char c = (unsigned char)s[n];
        buf[n] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
        n++;
    }
    buf[n] = 0;
    if (n == 0) return 0;
    attrset(attr);
    mvaddnstr(y, x, buf, n);
    attrset(A_NORMAL);
    return n;
}

int draw_textf(int y, int x, int w, int attr, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return draw_text(y, x, w, buf, attr);
}

void draw_fill(int y, int x, int w, int attr)
{
    if (w <= 0) return;
    attrset(attr);
    mvhline(y, x, ' ', w);
    attrset(A_NORMAL);
}

void draw_glyph(int y, int x, const char *utf8, int attr)
{
    attrset(attr);
    mvaddstr(y, x, utf8);
    attrset(A_NORMAL);
}

static void scaled(char *buf, size_t len, uint64_t v, const char *unit, uint64_t base)
{
    static const char *pre[] = {"", "k", "M", "G", "T", "P"};
    if (v < base) {
        snprintf(buf, len, "%llu%s", (unsigned long long)v, unit);
        return;
    }
    double d = (double)v;
    int i = 0;
    while (d >= (double)base && i < 5) {
        d /= (double)base;
        i++;
    }
    if (d < 10)
        snprintf(buf, len, "%.1f%s%s", d, pre[i], unit);
    else
        snprintf(buf, len, "%.0f%s%s", d, pre[i], unit);
}

void fmt_count(char *buf, size_t len, uint64_t v)
{
    if (v < 100000) {
        snprintf(buf, len, "%llu", (unsigned long long)v);
        return;
    }
    scaled(buf, len, v, "", 1000);
}

void fmt_bytes(char *buf, size_t len, uint64_t v)
{
    scaled(buf, len, v, "B", 1000);
}

void fmt_dur(char *buf, size_t len, uint64_t ns)
{
    uint64_t ms = ns / 1000000u, s = ms / 1000u;
    if (s == 0)
        snprintf(buf, len, "%llums", (unsigned long long)ms);
    else if (s < 60)
        snprintf(buf, len, "%llus", (unsigned long long)s);
    else if (s < 3600)
        snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
                 (unsigned long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
                 (unsigned long long)(s / 60 % 60));
    else
        snprintf(buf, len, "%llud%02lluh", (unsigned long long)(s / 86400),
                 (unsigned long long)(s / 3600 % 24));
}

void draw_spark(int y, int x, const uint64_t *vals, int n, uint64_t max, bool utf8, int attr)
{
    static const char *blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                    "\u2585", "\u2586", "\u2587", "\u2588"};
    static const char ramp[8] = {'.', ',', '-', '~', '=', '+', '*', '#'};
    if (max == 0)
        for (int i = 0; i < n; i++)
            if (vals[i] > max) max = vals[i];
    attrset(attr);
    for (int i = 0; i < n; i++) {
        uint64_t v = vals[i];
        if (v == 0 || max == 0) {
            mvaddch(y, x + i, ' ');
            continue;
        }
        /* 1..8 levels; v == max is the full block, any v > 0 at least the lowest one. */
        uint64_t lvl = v >= max ? 7 : (v * 8) / (max + 1);
        if (lvl > 7) lvl = 7;
        if (utf8)
            mvaddstr(y, x + i, blocks[lvl]);
        else
            mvaddch(y, x + i, (chtype)(unsigned char)ramp[lvl]);
    }
    attrset(A_NORMAL);
}
