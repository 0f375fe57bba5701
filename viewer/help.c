/*
 * help.c — the `?` overlay: every key, in one box that fits 80x24. Any key closes it.
 */
#include <string.h>

#include "viewer/screen.h"
#include "viewer/vw.h"

static const char *lines[] = {
    "packrat viewer - keys",
    "",
    "1-5 Tab S-Tab  switch tab            ?  this help     q  quit",
    "/              filter (tcpdump syntax; this viewer only; empty clears)",
    "Up/Down j/k    move       PgUp/PgDn  page      Home/End  first/last",
    "",
    "Packets   End/F follow new packets   Enter analyse   t time format",
    "          w write the packets shown (filtered) to a pcap file",
    "Analysis  Left/Right collapse/expand  Enter/Space toggle layer",
    "          n/p next/previous packet   c/e collapse/expand all",
    "Strings   type or /: search as you type  Enter go to the packet",
    "Dynamic   s sort (rate/bytes/packets/age)  Enter filter Packets to flow",
    "          w write the selected flow's packets to a pcap file",
    "Visualize sparklines of the last seconds; no keys",
    "",
    "Esc cancels an input. Filters and cursors are per viewer: other",
    "viewers of the session are not affected.",
};

void help_draw(struct vw *v, int rows, int cols)
{
    (void)v;
    int n = (int)(sizeof lines / sizeof lines[0]);
    int w = 0;
    for (int i = 0; i < n; i++)
        if ((int)strlen(lines[i]) > w) w = (int)strlen(lines[i]);
    w += 4;
    if (w > cols) w = cols;
    int h = n + 2;
    if (h > rows) h = rows;
    int y0 = (rows - h) / 2, x0 = (cols - w) / 2;
    for (int y = 0; y < h; y++) draw_fill(y0 + y, x0, w, A_REVERSE);
    for (int i = 0; i < n && i + 1 < h - 1; i++)
        draw_text(y0 + 1 + i, x0 + 2, w - 4, lines[i], i == 0 ? A_REVERSE | A_BOLD : A_REVERSE);
}
