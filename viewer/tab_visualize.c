/*
 * tab_visualize.c — tab 5: sparklines of the last seconds: packets/s, bytes/s, per-protocol
 * packets/s and the top flows' bytes/s, each with its scale (the maximum of the window) and the
 * newest value.
 *
 * Time is frame time: the window ends at the newest frame the analyzer has seen (the wall clock
 * for a live capture, the file's clock for -r), so a capture file shows its own history; while a
 * live capture runs, at the wall clock even when the link is quiet (segs_now_ts()). The
 * series buckets are indexed by second modulo the table size (analyzer/core.c); a bucket whose
 * stamped second is not the one we want is a second without traffic. Only the visible seconds
 * are copied (under each bucket's seqlock), and only once per new second or when the width
 * changes. Block characters ▁▂▃▄▅▆▇█ in a UTF-8 locale, an ASCII ramp otherwise.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "viewer/screen.h"
#include "viewer/tab.h"

#define MAXW   1024
#define NPROTO SHM_PROTO_SLOTS
#define TOPN   8

static struct {
    uint64_t newest;
    int width;
    uint64_t pk[MAXW], by[MAXW];
    uint64_t proto[NPROTO][MAXW];
    uint64_t proto_total[NPROTO];
} st;

static void reset(struct vw *v)
{
    (void)v;
    st.newest = 0;
    st.width = 0;
}

static void load_series(struct vw *v, uint64_t newest, int W)
{
    if (st.newest == newest && st.width == W) return;
    st.newest = newest;
    st.width = W;
    memset(st.proto_total, 0, sizeof st.proto_total);
    static struct shm_series_bucket b;
    for (int i = 0; i < W; i++) {
        uint64_t sec = newest - (uint64_t)(W - 1 - i);
        st.pk[i] = st.by[i] = 0;
        for (int p = 0; p < NPROTO; p++) st.proto[p][i] = 0;
        if (sec > newest || !v->a.series_count) continue;
        if (!shm_series_read(&v->a, sec % v->a.series_count, &b) || b.sec != sec) continue;
        st.pk[i] = b.packets;
        st.by[i] = b.bytes;
        for (int p = 0; p < NPROTO; p++) {
            st.proto[p][i] = b.proto_packets[p];
            st.proto_total[p] += b.proto_packets[p];
        }
    }
}

static uint64_t max_of(const uint64_t *x, int n)
{
    uint64_t m = 0;
    for (int i = 0; i < n; i++)
        if (x[i] > m) m = x[i];
    return m;
}

/* One labelled sparkline row: label, line, "max X now Y". */
static void spark_row(struct vw *v, int y, int w, int L, int W, const char *label,
                      const uint64_t *vals, bool bytes, int attr)
{
    uint64_t mx = max_of(vals, W);
    char a[16], b[16], right[48];
    if (bytes) {
        fmt_bytes(a, sizeof a, mx);
        fmt_bytes(b, sizeof b, vals[W - 1]);
    } else {
        fmt_count(a, sizeof a, mx);
        fmt_count(b, sizeof b, vals[W - 1]);
    }
    draw_text(y, 0, L, label, A_BOLD);
    draw_spark(y, L, vals, W, mx, v->utf8, attr);
    snprintf(right, sizeof right, " max %s now %s", a, b);
    draw_text(y, L + W, w - L - W, right, screen_attr(R_DIM));
}

static void draw(struct vw *v, int y, int h, int w)
{
    if (!v->have_a) {
        draw_text(y + 1, 2, w - 2, "no series: the analyzer is not running", A_BOLD);
        return;
    }
    if (!v->s.last_ts) {
        draw_text(y + 1, 2, w - 2, "no traffic analysed yet", A_BOLD);
        return;
    }
    int L = 14, R = 22;
    int W = w - L - R;
    if (W > MAXW) W = MAXW;
    if (W < 8) W = 8;
    uint64_t newest = segs_now_ts(v) / 1000000000u; /* a quiet live link: zeros scroll in */
    load_series(v, newest, W);

    char tstr[64], hdr[160];
    time_t nt = (time_t)newest;
    struct tm tm;
    localtime_r(&nt, &tm);
    strftime(tstr, sizeof tstr, "%H:%M:%S", &tm);
    snprintf(hdr, sizeof hdr, "last %d s of frame time, one column per second, newest %s", W, tstr);
    draw_fill(y, 0, w, screen_attr(R_HEADER));
    draw_text(y, 0, w, hdr, screen_attr(R_HEADER));
    int row = y + 1, end = y + h;
    if (row < end) spark_row(v, row++, w, L, W, "packets/s", st.pk, false, screen_attr(R_GOOD));
    if (row < end) spark_row(v, row++, w, L, W, "bytes/s", st.by, true, screen_attr(R_P_TCP));

    /* Leave room for the top flows: half of what is left, at most TOPN + 1. */
    size_t nflows;
    const struct tab_flow *flows = tab_dynamic_flows(v, &nflows);
    int flow_rows = nflows ? (int)(nflows < TOPN ? nflows : TOPN) + 2 : 0;
    int left = end - row;
    if (flow_rows > left / 2) flow_rows = left / 2;

    /* Protocols by packets in the window, busiest first. */
    if (row + 2 <= end - flow_rows) {
        row++;
        draw_text(row++, 0, w, "per protocol, packets/s", screen_attr(R_HEADER));
        bool used[NPROTO] = {false};
        while (row < end - flow_rows) {
            int best = -1;
            for (int p = 0; p < NPROTO; p++)
                if (!used[p] && st.proto_total[p] &&
                    (best < 0 || st.proto_total[p] > st.proto_total[best]))
                    best = p;
            if (best < 0) break;
            used[best] = true;
            char name[SHM_NAME_LEN];
            shm_analysis_proto_name(&v->a, (unsigned)best, name, sizeof name);
            char label[SHM_NAME_LEN + 4];
            snprintf(label, sizeof label, "  %s", name);
            spark_row(v, row++, w, L, W, label, st.proto[best], false,
                      screen_attr(screen_proto_role(name)));
        }
    }

    /* Top flows by bytes over the last 10 s, from their own per-second history. */
    if (flow_rows >= 2 && row + 2 <= end) {
        row++;
        draw_text(row++, 0, w, "top flows, bytes/s (last 64 s of flow history)",
                  screen_attr(R_HEADER));
        int idx[TOPN], n = 0;
        for (size_t i = 0; i < nflows; i++) {
            uint64_t bi = flows[i].bytes[0] + flows[i].bytes[1];
            int pos = n < TOPN ? n++ : TOPN;
            if (pos == TOPN) {
                const struct tab_flow *last = &flows[idx[TOPN - 1]];
                if (bi <= last->bytes[0] + last->bytes[1]) continue;
                pos = TOPN - 1;
            }
            while (pos > 0 && flows[idx[pos - 1]].bytes[0] + flows[idx[pos - 1]].bytes[1] < bi) {
                idx[pos] = idx[pos - 1];
                pos--;
            }
            idx[pos] = (int)i;
        }
        /*
         * Flow lines line up with the lines above (same column, same second) when there is
         * room for the endpoints after them; on a narrow screen they start at the label instead
         * and keep 40 columns for the endpoints.
         */
        int fw = W < SHM_FLOW_HIST ? W : SHM_FLOW_HIST;
        int fx = L + W - fw, tx = L + W;
        if (w - tx < 40) {
            if (fw > w - L - 40) fw = w - L - 40;
            if (fw < 8) fw = 8;
            fx = L;
            tx = L + fw;
        }
        static struct shm_flow f;
        for (int k = 0; k < n && row < end; k++) {
            const struct tab_flow *t = &flows[idx[k]];
            if (!shm_flow_read(&v->a, t->idx, &f) || f.id != t->id) continue;
            uint64_t vals[SHM_FLOW_HIST];
            for (int i = 0; i < fw; i++) {
                uint64_t sec = newest - (uint64_t)(fw - 1 - i);
                vals[i] = shm_flow_hist_holds(&f, sec) ? f.hist_bytes[sec % SHM_FLOW_HIST] : 0;
            }
            char pr[32], label[160];
            tab_dynamic_proto(v, t, pr, sizeof pr);
            snprintf(label, sizeof label, "  %s", pr);
            uint64_t mx = max_of(vals, fw);
            char a[16];
            fmt_bytes(a, sizeof a, mx);
            draw_text(row, 0, L, label, A_BOLD);
            /* Right-aligned with the lines above: the same column is the same second. */
            draw_spark(row, fx, vals, fw, mx, v->utf8, screen_attr(screen_proto_role(pr)));
            char ep[200], tb[16], ends[140];
            fmt_bytes(tb, sizeof tb, t->bytes[0] + t->bytes[1]);
            tab_dynamic_endpoints(t, ends, sizeof ends);
            snprintf(ep, sizeof ep, " max %s  %s", a, ends);
            draw_text(row, tx, w - tx, ep, screen_attr(R_DIM));
            row++;
        }
    }
}

static int on_key(struct vw *v, int key)
{
    (void)v;
    (void)key;
    return KR_UNHANDLED;
}

const struct tab_ops tab_visualize = {
    .name = "Visualize",
    .reset = reset,
    .draw = draw,
    .on_key = on_key,
};
