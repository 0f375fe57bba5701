/*
 * status.c — the two status lines at the bottom of every tab.
 *
 * Line 1 is about the session: name, interface or file, link type, packets, kernel drops, the
 * kernel flow counter's total and how many of those frames never reached the ring, ring
 * overwrites (frames pushed out of the ring), and this viewer's lag (frames published that it has
 * not looked at yet: its filter's backlog, or how far behind live the selection is when not
 * following) and laps (times the ring overtook it). Line 2 is about state: the analyzer
 * (running / restarting / gone), the timestamp source, the active filter, messages.
 * Fields are dropped from the right when the terminal is narrow, never wrapped.
 */
#include <stdio.h>
#include <string.h>

#include "viewer/screen.h"
#include "viewer/vw.h"

/* Appends "text" as one field separated by two spaces when it still fits in w. */
static void add(char *line, size_t cap, int w, const char *text)
{
    size_t n = strlen(line), t = strlen(text);
    if ((int)(n + t + 2) > w || n + t + 3 > cap) return;
    if (n) {
        memcpy(line + n, "  ", 2);
        n += 2;
    }
    memcpy(line + n, text, t + 1);
}

static uint64_t viewer_lag(const struct vw *v)
{
    if (v->flt.active) return filter_backlog(v);
    if (v->follow || !v->have_sel || v->s.write_seq == 0) return 0;
    return v->s.write_seq - 1 > v->sel_seq ? v->s.write_seq - 1 - v->sel_seq : 0;
}

void status_draw(struct vw *v, int y, int w)
{
    const struct vw_snap *s = &v->s;
    int bar = screen_attr(R_BAR);
    char line[1200] = "", f[1100], a[32], b[32];

    snprintf(f, sizeof f, "[%s]", v->session);
    add(line, sizeof line, w, f);
    if (v->f.hdr->source_kind == SHM_SOURCE_KIND_FILE) {
        const char *base = strrchr(v->source, '/');
        snprintf(f, sizeof f, "file %s%s", base ? base + 1 : v->source,
                 s->if_state == SHM_IF_EOF ? " (read)" : "");
    } else {
        snprintf(f, sizeof f, "if %s (%s)", v->ifname[0] ? v->ifname : v->source,
                 shm_if_state_name(s->if_state));
    }
    add(line, sizeof line, w, f);
    add(line, sizeof line, w, v->link_name);
    fmt_count(a, sizeof a, s->frames_received);
    snprintf(f, sizeof f, "pkts %s", a);
    add(line, sizeof line, w, f);
    fmt_count(a, sizeof a, s->kernel_drops);
    snprintf(f, sizeof f, "drops %s", a);
    add(line, sizeof line, w, f);
    if (s->kernel_counting) { /* the kernel counter's total, and what never reached the ring */
        fmt_count(a, sizeof a, s->kernel_packets);
        fmt_count(b, sizeof b,
                  s->kernel_packets > s->frames_received ? s->kernel_packets - s->frames_received
                                                         : 0);
        snprintf(f, sizeof f, "kernel %s (%s not captured)", a, b);
        add(line, sizeof line, w, f);
    }
    fmt_count(a, sizeof a, s->oldest);
    snprintf(f, sizeof f, "ovw %s", a);
    add(line, sizeof line, w, f);
    fmt_count(a, sizeof a, viewer_lag(v));
    fmt_count(b, sizeof b, v->laps + v->flt.laps);
    snprintf(f, sizeof f, "lag %s laps %s", a, b);
    add(line, sizeof line, w, f);
    draw_fill(y, 0, w, bar);
    draw_text(y, 1, w - 1, line, bar);

    /* Line 2. */
    y++;
    draw_fill(y, 0, w, bar);
    int x = 1;
    if (!s->capture_alive) {
        uint64_t grace = v->opt->capture_gone_ms == 0 ? 3000 : (uint64_t)v->opt->capture_gone_ms;
        if (v->opt->capture_gone_ms < 0)
            snprintf(f, sizeof f, "capture gone");
        else {
            uint64_t el = (shm_now_mono_ns() - v->gone_since) / 1000000u;
            snprintf(f, sizeof f, "capture gone - leaving in %llus",
                     (unsigned long long)((grace > el ? grace - el : 0) + 999) / 1000);
        }
        x += draw_text(y, x, w - x, f, screen_attr(R_ERROR) | A_REVERSE) + 2;
    }
    snprintf(f, sizeof f, "analyzer %s", segs_analyzer_name(s->analyzer));
    x += draw_text(y, x, w - x, f, s->analyzer == VA_RUNNING ? bar : bar | (int)A_BOLD) + 2;
    if (v->have_a && v->dissect_mismatch)
        x += draw_text(y, x, w - x, "analyzer is another version: Analysis may be misread",
                       screen_attr(R_WARN) | A_REVERSE) +
             2;
    snprintf(f, sizeof f, "ts %s", shm_ts_source_name(s->ts_source));
    x += draw_text(y, x, w - x, f, bar) + 2;
    if (v->flt.active) {
        uint64_t back = filter_backlog(v);
        uint64_t inring = s->write_seq - s->oldest;
        if (back > 1000 && inring)
            snprintf(f, sizeof f, "filter: %s (%llu, %llu%% done)", v->flt.text,
                     (unsigned long long)seqlist_count(&v->flt.match),
                     (unsigned long long)(100 - back * 100 / inring));
        else
            snprintf(f, sizeof f, "filter: %s (%llu)", v->flt.text,
                     (unsigned long long)seqlist_count(&v->flt.match));
    } else {
        snprintf(f, sizeof f, "filter: none");
    }
    x += draw_text(y, x, w - x, f, bar | A_BOLD) + 2;
    if (!v->follow && v->tab == VT_PACKETS)
        x += draw_text(y, x, w - x, "[paused: End/F follows]", bar | (int)A_BOLD) + 2;
    if (v->msg[0] && shm_now_mono_ns() < v->msg_until) x += draw_text(y, x, w - x, v->msg, bar) + 2;
    const char *hint = "? help  q quit";
    int hl = (int)strlen(hint);
    if (w - x > hl + 1) draw_text(y, w - hl - 1, hl, hint, bar);
}
