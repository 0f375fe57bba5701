/*
 * vw.h — the viewer's internal state, shared by the modules of viewer/ (not installed).
 *
 * One struct vw per running viewer holds the attached segments, the per-tick snapshot of their
 * counters (everything the status bar and the tabs need that is not per-row), this viewer's
 * filter, its prompt, and its selection. Tabs keep their own private state in their files.
 * Everything read from shared memory is copied first (shm_ring_read, shm_flow_read, ...) and
 * treated as untrusted text when drawn (draw_text sanitises).
 */
#ifndef PACKRAT_VIEWER_VW_H
#define PACKRAT_VIEWER_VW_H

#include <stdbool.h>
#include <stdint.h>

#include "shm/analysis.h"
#include "shm/frames.h"
#include "viewer/seqlist.h"
#include "viewer/viewer.h"

enum vw_tab_id { VT_PACKETS, VT_ANALYSIS, VT_STRINGS, VT_DYNAMIC, VT_VISUALIZE, VT_COUNT };

/* What the status bar says about the analyzer. */
enum vw_analyzer {
    VA_WAITING,    /* no analysis segment (yet) */
    VA_RUNNING,    /* its writer is alive */
    VA_RESTARTING, /* writer dead while capture lives: the supervisor restarts it */
    VA_STOPPED,    /* writer gone and capture gone too */
};

/* Copied once per tick: counters and positions, so that one refresh draws one consistent state. */
struct vw_snap {
    uint64_t write_seq, oldest; /* frame ring: [oldest, write_seq) is in the ring */
    uint64_t frames_received, bytes_received, kernel_drops, frames_truncated;
    uint32_t if_state, ts_source;
    bool capture_alive;
    bool capture_closed; /* writer ended cleanly */
    enum vw_analyzer analyzer;
    uint64_t analyzed, a_missed, a_next, first_ts, last_ts, flows_active, malformed;
    uint64_t str_write, str_oldest; /* string table */
    bool kernel_counting;           /* the kernel flow counter's totals below are live */
    uint64_t kernel_packets;        /* every frame the kernel counter saw (analyzer-joined) */
};

/* The per-viewer BPF filter (filter.c). */
struct vw_filter {
    bool active;
    char text[SHM_FILTER_MAX];
    void *dead;           /* pcap_t from pcap_open_dead */
    void *prog;           /* struct bpf_program */
    struct seqlist match; /* sequences of matching frames still in the ring, ascending */
    uint64_t next;        /* next frame sequence to evaluate */
    uint64_t evaluated;   /* frames run through the filter */
    uint64_t missed;      /* frames overwritten before this viewer evaluated them */
    uint64_t laps;        /* times the ring overtook the evaluation */
};

/* A one-line input at the bottom (filter, search). */
enum vw_prompt_kind { VP_NONE, VP_FILTER, VP_SEARCH, VP_SAVE_VIEW, VP_SAVE_FLOW };
struct vw_prompt {
    enum vw_prompt_kind kind;
    char text[SHM_FILTER_MAX];
    size_t len, cur;
    char error[512];
    char flow_expr[SHM_FILTER_MAX]; /* VP_SAVE_FLOW: the flow to write */
};

struct vw {
    const struct viewer_options *opt;
    char session[SHM_SESSION_MAX];
    struct shm_frames f;
    struct shm_analysis a;
    bool have_a;
    uint32_t a_gen;        /* writer_generation of the analysis when last checked */
    uint64_t a_epoch;      /* bumped when the analysis mapping or its writer changes */
    uint64_t a_epoch_seen; /* the epoch the tabs' caches belong to */
    uint64_t a_retry_ns;   /* next attach attempt */
    uint64_t a_tried_ino, a_tried_ctime; /* the analysis object last tried */
    uint64_t live_check_ns;
    bool a_alive, f_alive;
    bool dissect_mismatch; /* the analyzer's dissector tables differ from ours */

    struct vw_snap s;
    uint8_t *frame; /* SHM_FRAME_MAX bytes of scratch for one frame */
    char link_name[48], source[SHM_SOURCE_MAX], ifname[SHM_IFNAME_MAX], capfilter[128];

    bool utf8, colour, headless;
    int tab, goto_tab;
    bool quit, help;
    int time_fmt; /* 0 absolute, 1 since start, 2 delta */

    uint64_t sel_seq; /* packet selected in Packets and shown in Analysis */
    bool have_sel;
    bool follow; /* Packets follows new frames until the user scrolls */

    struct vw_filter flt;
    struct vw_prompt prompt;
    char msg[256];
    uint64_t msg_until;
    uint64_t gone_since; /* mono ns when capture was first seen gone, 0 while alive */
    uint64_t laps;       /* times the ring overwrote this viewer's selected position */
    uint64_t start_seen; /* timestamp of the oldest frame seen, for "since start" */
};

/* ---- segments.c: attaching, per-tick snapshot, liveness ----------------------------------------
 */
int segs_attach(struct vw *v, const char *session, char *err, size_t errlen);
void segs_poll(struct vw *v);
void segs_detach(struct vw *v);
const char *segs_analyzer_name(enum vw_analyzer a);
/* Reads a frame's metadata (and bytes into v->frame); false when not in the ring. */
bool segs_frame(struct vw *v, uint64_t seq, struct shm_record *meta);
/* Timestamp of "since start": the analyzer's first frame, else the oldest frame seen. */
uint64_t segs_start_ts(struct vw *v);
/* "Now" for ages, rates and the sparkline window: frame time, or the wall clock while a live
 * capture runs (0 before the first frame). */
uint64_t segs_now_ts(const struct vw *v);
void vw_message(struct vw *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- filter.c ----------------------------------------------------------------------------------
 */
int filter_set(struct vw *v, const char *text, char *err, size_t errlen);
void filter_clear(struct vw *v);
void filter_update(struct vw *v, uint64_t budget_ns);
uint64_t filter_backlog(const struct vw *v);
void filter_free(struct vw *v);
/* The rows the Packets tab shows: the filter's matches, or every frame in the ring. */
struct seqview filter_view(const struct vw *v);

/* ---- prompt.c ----------------------------------------------------------------------------------
 */
void prompt_open(struct vw *v, enum vw_prompt_kind kind, const char *initial);
int prompt_key(struct vw *v, int key); /* KR_* */
int prompt_height(const struct vw *v);
void prompt_draw(struct vw *v, int y, int w);

/* ---- save.c: the `w` key -----------------------------------------------------------------------
 */
void save_default_path(const struct vw *v, char *buf, size_t len);
int save_view(struct vw *v, const char *path, char *err, size_t errlen);
int save_flow(struct vw *v, const char *expr, const char *path, char *err, size_t errlen);

/* ---- status.c, splash.c, help.c ----------------------------------------------------------------
 */
#define STATUS_HEIGHT 2
void status_draw(struct vw *v, int y, int w);
void splash_run(struct vw *v);
void help_draw(struct vw *v, int rows, int cols);

/* ---- tabs.c ------------------------------------------------------------------------------------
 */
void tabs_reset(struct vw *v);
void tabs_draw(struct vw *v); /* the whole screen, once */
int tabs_key(struct vw *v, int key);
void tabs_loop(struct vw *v);
void tabs_tick(struct vw *v); /* one refresh without waiting (benchmark) */
/* Selects a packet and optionally jumps to a tab (from Strings, Dynamic...). */
void tabs_select_packet(struct vw *v, uint64_t seq);

#endif
