/*
 * tabs.c — the manager: screen layout, the tab bar, global keys and the main loop.
 *
 * Layout, top to bottom: the tab bar (1 line), the current tab's area, the prompt (0-2 lines,
 * only while open), the status bar (2 lines). The loop runs about ten times a second: take the
 * snapshot, work off a slice of the filter backlog, draw everything into curses' buffer, let
 * curses send only what changed (no flicker), then wait for a key with a 100 ms timeout. Keys
 * that arrive together are handled together before the next draw, so holding PgDn does not
 * queue up redraws.
 *
 * Key routing: an open prompt takes every key; then the help overlay (any key closes it); then
 * the tab's handler; then the global key table.
 */
#include <string.h>

#include "viewer/screen.h"
#include "viewer/tab.h"

#define TICK_MS          100
#define FILTER_BUDGET_NS (8ull * 1000000ull) /* per tick, while a new filter works off the ring */

static const struct tab_ops *const tabs[VT_COUNT] = {
    &tab_packets, &tab_analysis, &tab_strings, &tab_dynamic, &tab_visualize,
};

void tabs_reset(struct vw *v)
{
    for (int i = 0; i < VT_COUNT; i++)
        if (tabs[i]->reset) tabs[i]->reset(v);
}

static void draw_tabbar(struct vw *v, int w)
{
    int bar = screen_attr(R_BAR);
    draw_fill(0, 0, w, bar);
    int x = 1;
    for (int i = 0; i < VT_COUNT && x < w; i++) {
        char t[32];
        snprintf(t, sizeof t, " %d %s ", i + 1, tabs[i]->name);
        x += draw_text(0, x, w - x, t, i == v->tab ? screen_attr(R_TAB_ACTIVE) : bar) + 1;
    }
    char right[64];
    snprintf(right, sizeof right, "packrat %s", PACKRAT_VERSION);
    int rl = (int)strlen(right);
    if (w - x > rl + 2) draw_text(0, w - rl - 1, rl, right, bar);
}

void tabs_draw(struct vw *v)
{
    int rows = LINES, cols = COLS;
    erase();
    if (rows < 10 || cols < 40) {
        draw_text(0, 0, cols, "terminal too small for packrat (at least 40x10)", A_BOLD);
        return;
    }
    draw_tabbar(v, cols);
    int ph = prompt_height(v);
    int top = 1, h = rows - 1 - STATUS_HEIGHT - ph;
    tabs[v->tab]->draw(v, top, h, cols);
    if (ph) prompt_draw(v, top + h, cols);
    status_draw(v, rows - STATUS_HEIGHT, cols);
    if (v->help) help_draw(v, rows, cols);
}

void tabs_select_packet(struct vw *v, uint64_t seq)
{
    v->sel_seq = seq;
    v->have_sel = true;
    tab_packets_follow(v, false);
}

static void switch_tab(struct vw *v, int t)
{
    if (t < 0 || t >= VT_COUNT) return;
    v->tab = t;
}

int tabs_key(struct vw *v, int key)
{
    if (key == KEY_RESIZE) return KR_HANDLED; /* curses has updated LINES/COLS; just redraw */
    if (v->prompt.kind != VP_NONE) return prompt_key(v, key);
    if (v->help) {
        v->help = false;
        return KR_HANDLED;
    }
    int r = tabs[v->tab]->on_key(v, key);
    if (r & KR_QUIT) return r;
    if (r & KR_GOTO) {
        switch_tab(v, v->goto_tab);
        return KR_HANDLED;
    }
    if (r != KR_UNHANDLED) return r;
    switch (key) {
    case 'q':
    case 'Q':
        return KR_QUIT;
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
        switch_tab(v, key - '1');
        return KR_HANDLED;
    case '\t':
        switch_tab(v, (v->tab + 1) % VT_COUNT);
        return KR_HANDLED;
    case KEY_BTAB:
        switch_tab(v, (v->tab + VT_COUNT - 1) % VT_COUNT);
        return KR_HANDLED;
    case '?':
    case KEY_F(1):
        v->help = true;
        return KR_HANDLED;
    case '/':
        prompt_open(v, VP_FILTER, v->flt.text);
        return KR_HANDLED;
    case KEY_CTRL('l'):
        clearok(curscr, TRUE);
        return KR_HANDLED;
    default:
        return KR_UNHANDLED;
    }
}

/* One refresh: snapshot, filter slice, draw. Also the unit the benchmark times. */
void tabs_tick(struct vw *v)
{
    segs_poll(v);
    if (v->a_epoch != v->a_epoch_seen) {
        v->a_epoch_seen = v->a_epoch;
        tabs_reset(v);
    }
    filter_update(v, FILTER_BUDGET_NS);
    tabs_draw(v);
}

void tabs_loop(struct vw *v)
{
    timeout(TICK_MS);
    while (!v->quit && !screen_stop_signal) {
        tabs_tick(v);
        refresh();
        int key = getch();
        int n = 0;
        while (key != ERR && !v->quit) {
            if (tabs_key(v, key) & KR_QUIT) v->quit = true;
            if (++n >= 64) break;
            timeout(0);
            key = getch();
        }
        timeout(TICK_MS);
        if (!v->s.capture_alive && v->gone_since && v->opt->capture_gone_ms >= 0) {
            uint64_t grace =
                v->opt->capture_gone_ms == 0 ? 3000 : (uint64_t)v->opt->capture_gone_ms;
            if ((shm_now_mono_ns() - v->gone_since) / 1000000u >= grace) v->quit = true;
        }
    }
}
