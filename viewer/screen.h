/*
 * screen.h — the terminal (screen.c) and small drawing helpers (draw.c).
 *
 * screen.c is the only place that initialises or tears down curses. Everything else draws on
 * stdscr through these helpers, which clip to a width and sanitise untrusted text: bytes from
 * shared memory are never sent to the terminal as they are (an escape sequence in a payload
 * string must not reach the user's terminal).
 */
#ifndef PACKRAT_VIEWER_SCREEN_H
#define PACKRAT_VIEWER_SCREEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <curses.h>
#include <signal.h>

/* Drawing roles; screen_attr() maps them to colours, or to plain attributes without colour. */
enum role {
    R_NORMAL,
    R_BAR,        /* tab bar and status bar */
    R_TAB_ACTIVE, /* the current tab's name */
    R_SELECTED,   /* the cursor row */
    R_HEADER,     /* column headers */
    R_ERROR,
    R_WARN,
    R_GOOD,
    R_DIM,
    R_HIGHLIGHT, /* the selected field's bytes in the hex dump: reverse video, colour or not */
    R_MALFORMED,
    R_P_TCP,
    R_P_UDP,
    R_P_DNS,
    R_P_WEB, /* HTTP, TLS */
    R_P_ARP,
    R_P_ICMP,
    R_P_OTHER,
    R_COUNT
};

/* Set by SIGINT/SIGTERM/SIGHUP while the screen is up; the main loop ends when it is non-zero. */
extern volatile sig_atomic_t screen_stop_signal;

/* Initialises curses on the terminal (or headless on /dev/null for benchmarks). */
int screen_init(bool want_colour, bool headless, char *err, size_t errlen);
/* Restores the terminal; safe to call more than once. */
void screen_end(void);
bool screen_has_colour(void);
int screen_attr(enum role r);
/* The role for a protocol name as the analyzer writes it ("TCP", "DNS", ...). */
enum role screen_proto_role(const char *protocol);

/* ---- draw.c ------------------------------------------------------------------------------------
 */

/* Draws at most w columns of s at (y, x), sanitised to printable ASCII; returns columns used. */
int draw_text(int y, int x, int w, const char *s, int attr);
int draw_textf(int y, int x, int w, int attr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Fills w columns with spaces in attr. */
void draw_fill(int y, int x, int w, int attr);
/* Draws a UTF-8 glyph string we wrote ourselves (box and block characters); not sanitised. */
void draw_glyph(int y, int x, const char *utf8, int attr);

/* "1234", "12.3k", "4.5M", "1.2G". */
void fmt_count(char *buf, size_t len, uint64_t v);
/* "512B", "1.5kB", "12MB". */
void fmt_bytes(char *buf, size_t len, uint64_t v);
/* Durations: "950ms", "12s", "3m04s", "2h01m", "3d04h". */
void fmt_dur(char *buf, size_t len, uint64_t ns);

/*
 * A sparkline of n values scaled to max (max 0: from the values) into n columns: the eight
 * block glyphs with utf8, else an ASCII ramp. Zero is a blank, anything else at least the
 * lowest glyph, so a quiet second and a silent one look different.
 */
void draw_spark(int y, int x, const uint64_t *vals, int n, uint64_t max, bool utf8, int attr);

#endif
