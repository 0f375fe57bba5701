/*
 * splash.c — the ASCII rat and the version for 800 ms at start (DESIGN.md). Any key skips it;
 * --no-splash (viewer_options.no_splash) leaves it out for scripts. The key that skips it is
 * consumed, so it does not also act on the first tab.
 */
#include <stdio.h>
#include <string.h>

#include "viewer/screen.h"
#include "viewer/vw.h"

#define SPLASH_MS 800

void splash_run(struct vw *v)
{
    static const char *rat[] = {
        " (\\(\\",
        " ( -.-)",
        " o_(\")(\")",
    };
    char ver[64];
    snprintf(ver, sizeof ver, " packrat v%s", PACKRAT_VERSION);
    uint64_t end = shm_now_mono_ns() + SPLASH_MS * 1000000ull;
    for (;;) {
        erase();
        int rows = LINES, cols = COLS;
        int top = rows / 2 - 2, left = cols / 2 - 6;
        if (top < 0) top = 0;
        if (left < 0) left = 0;
        for (int i = 0; i < 3; i++) draw_text(top + i, left, cols - left, rat[i], A_BOLD);
        draw_text(top + 3, left, cols - left, ver, screen_attr(R_GOOD) | A_BOLD);
        refresh();
        uint64_t now = shm_now_mono_ns();
        if (now >= end || screen_stop_signal) break;
        timeout((int)((end - now) / 1000000u) + 1);
        int ch = getch();
        if (ch != ERR && ch != KEY_RESIZE) break;
    }
    (void)v;
    timeout(100);
}
