/*
 * tab_packets.c — tab 1: the live packet table (No., Time, Source, Destination, Protocol, Length,
 * Info), following new packets until the user scrolls.
 *
 * Rows come from filter_view(): every frame in the ring, or this viewer's filter matches. Both are
 * indexable, so a refresh reads exactly the visible rows — the frame record (time, length) from
 * segment 1 and the detail record from segment 2, turned into addresses, protocol and info by
 * dissect_summary() as --print does — and its cost does not depend on how many packets the ring
 * holds. The selection is kept as a sequence number (it
 * survives new packets arriving and old ones leaving) plus its screen row (so the list does not
 * jump while the user reads it).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "analyzer/detail.h"
#include "viewer/screen.h"
#include "viewer/tab.h"

static int sel_row;   /* screen row of the selection inside the list */
static int page = 10; /* rows in the list at the last draw */
static bool lapped;   /* the selection has already been counted as overwritten */

static void reset(struct vw *v)
{
    (void)v;
}

void tab_packets_follow(struct vw *v, bool on)
{
    v->follow = on;
}

static void fmt_time(struct vw *v, uint64_t ts, uint64_t prev_ts, bool narrow, char *buf,
                     size_t len)
{
    /* Narrow: millisecond precision, so the column fits 12 characters. */
    int digits = narrow ? 3 : 6;
    long long div = narrow ? 1000000ll : 1000ll;
    switch (v->time_fmt) {
    case 1: {
        uint64_t st = segs_start_ts(v);
        int64_t d = (int64_t)(ts - st);
        long long a = (long long)(d < 0 ? -d : d);
        snprintf(buf, len, "%s%lld.%0*lld", d < 0 ? "-" : "", a / 1000000000ll, digits,
                 a % 1000000000ll / div);
        break;
    }
    case 2: {
        long long d = prev_ts && ts >= prev_ts ? (long long)(ts - prev_ts) : 0;
        snprintf(buf, len, "%lld.%0*lld", d / 1000000000ll, digits, d % 1000000000ll / div);
        break;
    }
    default: {
        time_t t = (time_t)(ts / 1000000000u);
        struct tm tm;
        localtime_r(&t, &tm);
        if (narrow) /* milliseconds: leaves room for whole IPv4 addresses at 80 columns */
            snprintf(buf, len, "%02d:%02d:%02d.%03llu", tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (unsigned long long)(ts % 1000000000u / 1000000u));
        else
            snprintf(buf, len, "%02d:%02d:%02d.%06llu", tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (unsigned long long)(ts % 1000000000u / 1000u));
        break;
    }
    }
}

/* Where the selection is in the view; follows or repairs it first. */
static uint64_t sel_index(struct vw *v, const struct seqview *w)
{
    uint64_t n = seqview_count(w);
    if (n == 0) return 0;
    if (v->follow || !v->have_sel) {
        v->sel_seq = seqview_at(w, n - 1);
        v->have_sel = true;
        if (!v->follow) v->follow = true;
        lapped = false;
        return n - 1;
    }
    uint64_t i = seqview_find(w, v->sel_seq);
    if (i >= n) i = n - 1;
    uint64_t at = seqview_at(w, i);
    if (at != v->sel_seq) {
        if (v->sel_seq < seqview_at(w, 0) && !lapped) {
            v->laps++; /* the ring overwrote what this viewer was looking at */
            lapped = true;
        }
        v->sel_seq = at;
    }
    return i;
}

static void draw_row(struct vw *v, int y, int w, uint64_t seq, uint64_t prev_ts, bool sel,
                     const int *cw, uint64_t *ts_out)
{
    struct shm_record m;
    char no[24], tm[40] = "", len[16] = "", mark = ' ';
    const char *src = "", *dst = "", *proto = "", *info = "";
    char infobuf[96];
    int role = R_P_OTHER;
    snprintf(no, sizeof no, "%llu", (unsigned long long)seq + 1);
    *ts_out = 0;
    if (segs_frame(v, seq, &m)) {
        fmt_time(v, m.ts_ns, prev_ts, cw[1] < 15, tm, sizeof tm);
        snprintf(len, sizeof len, "%u", m.wire_len);
        *ts_out = m.ts_ns;
    } else {
        info = "(frame overwritten)";
    }
    /* Private copies: a row is derived from the frame's detail record, never from live memory. */
    static uint8_t rec[SHM_DETAIL_MAX];
    static struct dissection scratch;
    static struct dissect_summary sum;
    struct detail_extra ex;
    if (v->have_a && *ts_out) {
        struct shm_record dm;
        enum shm_read_result rr = shm_ring_read(&v->a.detail, seq, &dm, rec, sizeof rec);
        if (rr == SHM_READ_OK && detail_summary(rec, dm.len, &scratch, &sum, &ex)) {
            src = sum.src;
            dst = sum.dst;
            proto = sum.protocol;
            info = sum.info;
            role = screen_proto_role(proto);
            if (ex.pkt_flags & SHM_PKT_MALFORMED) {
                mark = '!';
                role = R_MALFORMED;
            } else if (ex.pkt_flags & SHM_PKT_TRUNCATED) {
                mark = '~';
            }
        } else if (rr == SHM_READ_AGAIN || seq >= v->s.a_next) {
            info = "(not analysed yet)";
        } else {
            info = rr == SHM_READ_GONE ? "(analysis no longer in ring)" : "(no analysis)";
        }
    } else if (*ts_out) {
        snprintf(infobuf, sizeof infobuf, "(analyzer %s)", segs_analyzer_name(v->s.analyzer));
        info = infobuf;
    }
    int attr = sel ? screen_attr(R_SELECTED) : screen_attr((enum role)role);
    if (sel) draw_fill(y, 0, w, attr);
    int x = 0;
    draw_textf(y, x, cw[0], attr, "%*s", cw[0], no);
    x += cw[0];
    char mk[2] = {mark, 0};
    draw_text(y, x, 1, mk, sel ? attr : screen_attr(R_MALFORMED));
    x += 2;
    draw_text(y, x, cw[1], tm, attr);
    x += cw[1] + 1;
    draw_text(y, x, cw[2], src, attr);
    x += cw[2] + 1;
    draw_text(y, x, cw[3], dst, attr);
    x += cw[3] + 1;
    draw_text(y, x, cw[4], proto, attr);
    x += cw[4] + 1;
    draw_textf(y, x, cw[5], attr, "%*s", cw[5], len);
    x += cw[5] + 1;
    if (x < w) draw_text(y, x, w - x, info, attr);
}

static void layout(int w, uint64_t maxno, int *cw)
{
    int nw = 1;
    for (uint64_t n = maxno; n >= 10; n /= 10) nw++;
    if (nw < 4) nw = 4;
    cw[0] = nw;
    cw[1] = w < 100 ? 12 : 15;
    cw[4] = 8;
    cw[5] = 6;
    int fixed = cw[0] + 2 + cw[1] + 1 + cw[4] + 1 + cw[5] + 1 + 2;
    int rest = w - fixed;
    int sw = (rest - 16) / 2;
    int cap = w >= 160 ? 39 : w >= 100 ? 21 : 15;
    if (sw > cap) sw = cap;
    if (sw < 9) sw = 9;
    if (w >= 80 && w < 100 && sw < 15) sw = 15; /* whole IPv4 addresses; Info gets the rest */
    cw[2] = cw[3] = sw;
}

static void draw(struct vw *v, int y, int h, int w)
{
    struct seqview view = filter_view(v);
    uint64_t n = seqview_count(&view);
    int cw[6];
    layout(w, v->s.write_seq, cw);
    int hx = 0;
    int hattr = screen_attr(R_HEADER);
    draw_fill(y, 0, w, A_NORMAL);
    draw_textf(y, hx, cw[0], hattr, "%*s", cw[0], "No.");
    hx += cw[0] + 2;
    draw_text(y, hx, cw[1], "Time", hattr);
    hx += cw[1] + 1;
    draw_text(y, hx, cw[2], "Source", hattr);
    hx += cw[2] + 1;
    draw_text(y, hx, cw[3], "Destination", hattr);
    hx += cw[3] + 1;
    draw_text(y, hx, cw[4], "Protocol", hattr);
    hx += cw[4] + 1;
    draw_textf(y, hx, cw[5], hattr, "%*s", cw[5], "Length");
    hx += cw[5] + 1;
    const char *tf[] = {"Info", "Info  (time: since start)", "Info  (time: delta)"};
    draw_text(y, hx, w - hx, tf[v->time_fmt % 3], hattr);
    int rows = h - 1;
    page = rows > 1 ? rows : 1;
    if (rows <= 0) return;
    if (n == 0) {
        if (v->flt.active)
            draw_textf(y + 2, 2, w - 4, A_BOLD, "no packets match '%s' (%llu of %llu looked at)",
                       v->flt.text, (unsigned long long)v->flt.evaluated,
                       (unsigned long long)(v->s.write_seq - v->s.oldest));
        else
            draw_text(y + 2, 2, w - 4, "waiting for packets...", A_BOLD);
        return;
    }
    if (v->follow) sel_row = rows - 1;
    uint64_t si = sel_index(v, &view);
    int64_t top = (int64_t)si - sel_row;
    if (top > (int64_t)n - rows) top = (int64_t)n - rows;
    if (top < 0) top = 0;
    sel_row = (int)((int64_t)si - top);
    uint64_t prev_ts = 0;
    if (v->time_fmt == 2 && top > 0) {
        struct shm_record m;
        if (segs_frame(v, seqview_at(&view, (uint64_t)top - 1), &m)) prev_ts = m.ts_ns;
    }
    for (int r = 0; r < rows && (uint64_t)top + (uint64_t)r < n; r++) {
        uint64_t i = (uint64_t)top + (uint64_t)r;
        uint64_t ts;
        draw_row(v, y + 1 + r, w, seqview_at(&view, i), prev_ts, i == si, cw, &ts);
        prev_ts = ts;
    }
}

/* Moves the selection by delta rows (clamped); stops following. */
void tab_packets_step(struct vw *v, int delta)
{
    struct seqview view = filter_view(v);
    uint64_t n = seqview_count(&view);
    if (n == 0) return;
    uint64_t si = sel_index(v, &view);
    int64_t ni = (int64_t)si + delta;
    if (ni < 0) ni = 0;
    if (ni >= (int64_t)n) ni = (int64_t)n - 1;
    v->sel_seq = seqview_at(&view, (uint64_t)ni);
    v->have_sel = true;
    v->follow = false;
    sel_row += (int)(ni - (int64_t)si);
    if (sel_row < 0) sel_row = 0;
    if (sel_row >= page) sel_row = page - 1;
}

static int on_key(struct vw *v, int key)
{
    switch (key) {
    case KEY_UP:
    case 'k':
        tab_packets_step(v, -1);
        return KR_HANDLED;
    case KEY_DOWN:
    case 'j':
        tab_packets_step(v, 1);
        return KR_HANDLED;
    case KEY_PPAGE:
    case KEY_CTRL('b'):
        tab_packets_step(v, -page);
        return KR_HANDLED;
    case KEY_NPAGE:
    case KEY_CTRL('f'):
    case ' ':
        tab_packets_step(v, page);
        return KR_HANDLED;
    case KEY_HOME:
    case 'g': {
        struct seqview view = filter_view(v);
        if (seqview_count(&view)) {
            v->sel_seq = seqview_at(&view, 0);
            v->have_sel = true;
            v->follow = false;
            sel_row = 0;
        }
        return KR_HANDLED;
    }
    case KEY_END:
    case 'F':
    case 'G':
        v->follow = true;
        sel_row = page - 1;
        return KR_HANDLED;
    case 't':
        v->time_fmt = (v->time_fmt + 1) % 3;
        return KR_HANDLED;
    case 'w': {
        char path[256];
        save_default_path(v, path, sizeof path);
        prompt_open(v, VP_SAVE_VIEW, path);
        return KR_HANDLED;
    }
    case '\n':
    case '\r':
    case KEY_ENTER:
        if (!v->have_sel) return KR_HANDLED;
        v->follow = false;
        v->goto_tab = VT_ANALYSIS;
        return KR_GOTO;
    default:
        return KR_UNHANDLED;
    }
}

const struct tab_ops tab_packets = {
    .name = "Packets",
    .reset = reset,
    .draw = draw,
    .on_key = on_key,
};
