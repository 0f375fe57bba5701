/*
 * tab.h — what a tab is: a name, a draw function for its area of the screen, and a key handler.
 *
 * One file per tab (tab_<name>.c) exports one const struct tab_ops. Key handlers return KR_*
 * flags; only the manager (tabs.c) acts on them, so a tab never switches tabs or quits itself.
 */
#ifndef PACKRAT_VIEWER_TAB_H
#define PACKRAT_VIEWER_TAB_H

#include "viewer/vw.h"

/* Results of a key handler. */
enum {
    KR_UNHANDLED = 0, /* let the manager try its global keys */
    KR_HANDLED = 1,
    KR_QUIT = 2,
    KR_GOTO = 4, /* switch to v->goto_tab */
};

struct tab_ops {
    const char *name;
    /* Forget cached state (start, and when the analysis segment or its writer changes). */
    void (*reset)(struct vw *v);
    /* Draw rows [y, y + h) and columns [0, w) from the current snapshot. */
    void (*draw)(struct vw *v, int y, int h, int w);
    int (*on_key)(struct vw *v, int key);
};

extern const struct tab_ops tab_packets, tab_analysis, tab_strings, tab_dynamic, tab_visualize;

/* Packets tab helpers used by other tabs: move the selection within the (filtered) view. */
void tab_packets_step(struct vw *v, int delta);
void tab_packets_follow(struct vw *v, bool on);
/* Dynamic: a private copy of one flow slot, and the flow table snapshot (also for Visualize). */
struct tab_flow {
    uint64_t idx, id;
    struct shm_flow_key key;
    uint8_t tcp_state, app_proto, flags;
    uint32_t retransmissions;
    uint64_t packets[2], bytes[2], kpackets[2], kbytes[2];
    uint64_t pps_1s, bps_1s, pps_10s, bps_10s, first_ns, last_ns, rtt_ns;
};
const struct tab_flow *tab_dynamic_flows(struct vw *v, size_t *n);
void tab_dynamic_proto(struct vw *v, const struct tab_flow *t, char *buf, size_t len);
void tab_dynamic_endpoints(const struct tab_flow *t, char *buf, size_t len); /* "A <> B" */
void tab_dynamic_bpf(const struct tab_flow *t, char *buf, size_t len);

/* Strings: the search the prompt edits. */
void tab_strings_search(struct vw *v, const char *text);

/* Ctrl and function keys as getch() returns them. */
#define KEY_ESC     27
#define KEY_CTRL(c) ((c)&0x1f)

#endif
