/*
 * tab_dynamic.c — tab 4: the analyzer's flow table, live: endpoints, protocol, state, packets
 * and bytes per direction, rate, age, and the kernel's exact counts where capture has them.
 *
 * The table is copied slot by slot under each slot's seqlock (shm_flow_read) into a compact
 * private array, at most once a second (the analyzer's rates are per second anyway) and only
 * while this tab or Visualize is on screen: the copy is the cost here, a few MB for a full
 * table, and it does not depend on the number of packets. Sorting and drawing use the copy.
 * The selection follows the flow's id, not its row, so a re-sort does not move it elsewhere.
 * Enter turns the selected flow into a BPF expression and applies it as this viewer's filter.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/dissect.h"
#include "viewer/screen.h"
#include "viewer/tab.h"

#define SNAP_NS (1000ull * 1000000ull)

static struct {
    struct tab_flow *rows;
    size_t n, cap;
    uint64_t taken_ns, now_ns;
    int sort; /* 0 rate, 1 bytes, 2 packets, 3 age */
    uint64_t sel_id;
    int sel, top;
} st;

static const char *sort_name[] = {"rate", "bytes", "packets", "age"};

static void reset(struct vw *v)
{
    (void)v;
    st.taken_ns = 0;
    st.n = 0;
}

static int cmp(const void *pa, const void *pb)
{
    const struct tab_flow *a = pa, *b = pb;
    uint64_t x, y;
    switch (st.sort) {
    case 0:
        x = a->bps_1s * 16 + a->bps_10s;
        y = b->bps_1s * 16 + b->bps_10s;
        break;
    case 1:
        x = a->bytes[0] + a->bytes[1];
        y = b->bytes[0] + b->bytes[1];
        break;
    case 2:
        x = a->packets[0] + a->packets[1];
        y = b->packets[0] + b->packets[1];
        break;
    default: /* age: the longest-lived first */
        x = UINT64_MAX - a->first_ns;
        y = UINT64_MAX - b->first_ns;
        break;
    }
    if (x != y) return x > y ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

const struct tab_flow *tab_dynamic_flows(struct vw *v, size_t *n)
{
    uint64_t now = shm_now_mono_ns();
    if (!v->have_a) {
        st.n = 0;
    } else if (!st.taken_ns || now - st.taken_ns >= SNAP_NS) {
        st.taken_ns = now;
        uint64_t cap = v->a.flow_capacity;
        if (st.cap < cap) {
            struct tab_flow *r = realloc(st.rows, cap * sizeof *r);
            if (r) {
                st.rows = r;
                st.cap = cap;
            }
        }
        st.n = 0;
        /* Rates as of now: on a quiet live link the analyzer sees no new second to update them. */
        uint64_t now_sec = segs_now_ts(v) / 1000000000u;
        static struct shm_flow f;
        for (uint64_t i = 0; i < cap && st.n < st.cap; i++) {
            if (!shm_flow_read(&v->a, i, &f) || f.id == 0) continue;
            struct tab_flow *t = &st.rows[st.n++];
            t->idx = i;
            t->id = f.id;
            t->key = f.key;
            t->tcp_state = f.tcp_state;
            t->app_proto = f.app_proto;
            t->flags = f.flags;
            t->retransmissions = f.retransmissions;
            memcpy(t->packets, f.packets, sizeof t->packets);
            memcpy(t->bytes, f.bytes, sizeof t->bytes);
            memcpy(t->kpackets, f.kpackets, sizeof t->kpackets);
            memcpy(t->kbytes, f.kbytes, sizeof t->kbytes);
            struct shm_flow_rates r = shm_flow_rates_at(&f, now_sec);
            t->pps_1s = r.pps_1s;
            t->bps_1s = r.bps_1s;
            t->pps_10s = r.pps_10s;
            t->bps_10s = r.bps_10s;
            t->first_ns = f.first_ns;
            t->last_ns = f.last_ns;
            t->rtt_ns = (f.flags & SHM_FLOW_RTT) ? f.rtt_ns : 0;
        }
        qsort(st.rows, st.n, sizeof *st.rows, cmp);
    }
    *n = st.n;
    return st.rows;
}

void tab_dynamic_endpoints(const struct tab_flow *t, char *buf, size_t len)
{
    char a[64], b[64];
    dissect_fmt_endpoint(&t->key, 0, a, sizeof a);
    dissect_fmt_endpoint(&t->key, 1, b, sizeof b);
    snprintf(buf, len, "%s <> %s", a, b);
}

void tab_dynamic_proto(struct vw *v, const struct tab_flow *t, char *buf, size_t len)
{
    char app[SHM_NAME_LEN] = "";
    if (t->app_proto && v->have_a) shm_analysis_proto_name(&v->a, t->app_proto, app, sizeof app);
    const char *l4 = dissect_ip_proto_name(t->key.proto);
    if (app[0] && strcmp(app, "?") != 0)
        snprintf(buf, len, "%s", app);
    else if (l4)
        snprintf(buf, len, "%s", l4);
    else
        snprintf(buf, len, "ip/%u", t->key.proto);
}

static const char *state_name(const struct tab_flow *t)
{
    static const char *names[] = {"-", "SYN", "SYN-ACK", "EST", "FIN", "CLOSED", "RESET", "MID"};
    if (t->key.proto != 6) return "-";
    return t->tcp_state < 8 ? names[t->tcp_state] : "?";
}

/* The BPF expression that selects exactly this flow's packets. */
void tab_dynamic_bpf(const struct tab_flow *t, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    int af = t->key.ip_version == 6 ? AF_INET6 : AF_INET;
    inet_ntop(af, t->key.addr_a, a, sizeof a);
    inet_ntop(af, t->key.addr_b, b, sizeof b);
    size_t n = 0;
    buf[0] = 0;
    if (t->key.vlan) n += (size_t)snprintf(buf + n, len - n, "vlan %u and ", t->key.vlan);
    if (n >= len) return;
    if (strcmp(a, b) == 0)
        n += (size_t)snprintf(buf + n, len - n, "host %s", a);
    else
        n += (size_t)snprintf(buf + n, len - n, "host %s and host %s", a, b);
    if (n >= len) return;
    uint8_t p = t->key.proto;
    if ((p == 6 || p == 17) && (t->key.port_a || t->key.port_b)) {
        const char *pn = p == 6 ? "tcp" : "udp";
        if (t->key.port_a == t->key.port_b)
            snprintf(buf + n, len - n, " and %s port %u", pn, t->key.port_a);
        else
            snprintf(buf + n, len - n, " and %s port %u and port %u", pn, t->key.port_a,
                     t->key.port_b);
    } else if (p == 6 || p == 17) {
        snprintf(buf + n, len - n, " and %s", p == 6 ? "tcp" : "udp");
    } else if (p == 1 && af == AF_INET) {
        snprintf(buf + n, len - n, " and icmp");
    } else if (p == 58 && af == AF_INET6) {
        snprintf(buf + n, len - n, " and icmp6");
    } else {
        snprintf(buf + n, len - n, " and %s proto %u", af == AF_INET6 ? "ip6" : "ip", p);
    }
}

/* Columns of the table; a width of 0 leaves the column out. Numbers are right-aligned. */
enum { NCOL = 14 };

/* Shortens s to at most w characters by cutting its start: the port is what tells flows apart. */
static void fit_left(char *s, size_t w)
{
    size_t n = strlen(s);
    if (n <= w || w < 2) return;
    memmove(s + 1, s + n - (w - 1), w); /* includes the terminator */
    s[0] = '~';
}
static void join_cells(char *out, size_t len, const int *cw, const char *const *cells)
{
    size_t n = 0;
    out[0] = 0;
    for (int c = 0; c < NCOL && n + 1 < len; c++) {
        if (!cw[c]) continue;
        bool right = c >= 5;
        int k = snprintf(out + n, len - n, right ? "%s%*.*s" : "%s%-*.*s", n ? " " : "", cw[c],
                         cw[c], cells[c]);
        if (k < 0) break;
        n += (size_t)k;
        if (n >= len) n = len - 1;
    }
}

static void draw(struct vw *v, int y, int h, int w)
{
    size_t n;
    const struct tab_flow *rows = tab_dynamic_flows(v, &n);
    /* "Now" for ages: the file's clock for a file, the wall clock live (segs_now_ts()). */
    uint64_t now_real = v->s.last_ts ? segs_now_ts(v) : shm_now_real_ns();
    /* Narrow terminals get the two directions in one cell ("a>b/b>a"), no state or age. */
    bool wide = w >= 110, kern = w >= 150;
    int cP = 7, cS = wide ? 8 : 0, cN = wide ? 8 : 0, cB = wide ? 8 : 0, cR = 8;
    int cA = wide ? 7 : 0, cK = kern ? 17 : 0, cNN = wide ? 0 : 11, cBB = wide ? 0 : 13;
    int fixed = cP + 1 + 3 + (cS ? cS + 1 : 0) + (cN ? 2 * (cN + 1) + 2 * (cB + 1) : 0) +
                (cNN ? cNN + 1 + cBB + 1 : 0) + cR + 1 + (cA ? cA + 1 : 0) + (cK ? cK + 1 : 0);
    int cE = (w - fixed - 1) / 2;
    if (cE > 45) cE = 45;
    if (cE < 10) cE = 10;

    int ha = screen_attr(R_HEADER);
    int cw[NCOL] = {cP, cE, 2, cE, cS, cN, cN, cB, cB, cNN, cBB, cR, cA, cK};
    static const char *const head[NCOL] = {
        "Proto",    "Endpoint A", "",        "Endpoint B", "State",  "Pkts a>b", "Pkts b>a",
        "Byte a>b", "Byte b>a",   "Packets", "Bytes",      "Rate/s", "Age",      "Kernel a>b/b>a"};
    char hdr[512];
    join_cells(hdr, sizeof hdr, cw, head);
    draw_fill(y, 0, w, ha);
    draw_text(y, 0, w, hdr, ha);
    char sl[64];
    snprintf(sl, sizeof sl, " sort: %s (s) ", sort_name[st.sort]);
    int sll = (int)strlen(sl);
    if (w > (int)strlen(hdr) + sll) draw_text(y, w - sll, sll, sl, screen_attr(R_WARN));

    int list_h = h - 1 - 3;
    if (list_h < 1) list_h = h - 1;
    if (n == 0) {
        draw_text(y + 2, 2, w - 2,
                  v->have_a ? "no flows yet" : "no flow table: the analyzer is not running",
                  A_BOLD);
        return;
    }
    /* Keep the selection on its flow across re-sorts. */
    if (st.sel_id) {
        for (size_t i = 0; i < n; i++)
            if (rows[i].id == st.sel_id) {
                st.sel = (int)i;
                break;
            }
    }
    if (st.sel >= (int)n) st.sel = (int)n - 1;
    if (st.sel < 0) st.sel = 0;
    st.sel_id = rows[st.sel].id;
    if (st.sel < st.top) st.top = st.sel;
    if (st.sel >= st.top + list_h) st.top = st.sel - list_h + 1;
    if (st.top < 0) st.top = 0;

    for (int r = 0; r < list_h && st.top + r < (int)n; r++) {
        const struct tab_flow *t = &rows[st.top + r];
        bool sel = st.top + r == st.sel;
        char pr[32], ea[64], eb[64], pa[16], pb[16], ba[16], bb[16], rate[16], age[16], kp[48];
        tab_dynamic_proto(v, t, pr, sizeof pr);
        dissect_fmt_endpoint(&t->key, 0, ea, sizeof ea);
        dissect_fmt_endpoint(&t->key, 1, eb, sizeof eb);
        fmt_count(pa, sizeof pa, t->packets[0]);
        fmt_count(pb, sizeof pb, t->packets[1]);
        fmt_bytes(ba, sizeof ba, t->bytes[0]);
        fmt_bytes(bb, sizeof bb, t->bytes[1]);
        fmt_bytes(rate, sizeof rate, t->bps_1s);
        fmt_dur(age, sizeof age,
                t->first_ns && now_real > t->first_ns ? now_real - t->first_ns : 0);
        if (t->flags & SHM_FLOW_KERNEL_COUNTS)
            snprintf(kp, sizeof kp, "%llu/%llu", (unsigned long long)t->kpackets[0],
                     (unsigned long long)t->kpackets[1]);
        else
            snprintf(kp, sizeof kp, "-");
        char line[512];
        char pab[40], bab[40];
        snprintf(pab, sizeof pab, "%s/%s", pa, pb);
        snprintf(bab, sizeof bab, "%s/%s", ba, bb);
        fit_left(ea, (size_t)cE);
        fit_left(eb, (size_t)cE);
        const char *cells[NCOL] = {pr, ea, "<>", eb,  state_name(t), pa,  pb,
                                   ba, bb, pab,  bab, rate,          age, kp};
        join_cells(line, sizeof line, cw, cells);
        int attr = sel ? screen_attr(R_SELECTED) : screen_attr(screen_proto_role(pr));
        if (sel) draw_fill(y + 1 + r, 0, w, attr);
        draw_text(y + 1 + r, 0, w, line, attr);
    }

    /* Details of the selected flow: what did not fit in the row. */
    const struct tab_flow *t = &rows[st.sel];
    int dy = y + h - 3;
    if (dy <= y + 1) return;
    char ea[64], eb[64], pr[32], age[16], idle[16], rtt[32] = "", line[512];
    dissect_fmt_endpoint(&t->key, 0, ea, sizeof ea);
    dissect_fmt_endpoint(&t->key, 1, eb, sizeof eb);
    tab_dynamic_proto(v, t, pr, sizeof pr);
    fmt_dur(age, sizeof age, now_real > t->first_ns ? now_real - t->first_ns : 0);
    fmt_dur(idle, sizeof idle, now_real > t->last_ns ? now_real - t->last_ns : 0);
    if (t->rtt_ns) {
        snprintf(rtt, sizeof rtt, "  rtt %.3fms", (double)t->rtt_ns / 1e6);
    }
    draw_fill(dy, 0, w, screen_attr(R_BAR));
    char vl[24] = "";
    if (t->key.vlan) snprintf(vl, sizeof vl, "  vlan %u", t->key.vlan);
    snprintf(line, sizeof line, "%s %s <> %s%s  state %s  age %s  idle %s%s  retrans %u", pr, ea,
             eb, vl, state_name(t), age, idle, rtt, t->retransmissions);
    draw_text(dy, 1, w - 1, line, screen_attr(R_BAR));
    dy++;
    if (t->flags & SHM_FLOW_KERNEL_COUNTS) {
        int64_t d0 = (int64_t)(t->kpackets[0] - t->packets[0]);
        int64_t d1 = (int64_t)(t->kpackets[1] - t->packets[1]);
        snprintf(line, sizeof line,
                 "kernel counted a>b %llu pkts %llu B, b>a %llu pkts %llu B; "
                 "not in the ring: %lld / %lld packets",
                 (unsigned long long)t->kpackets[0], (unsigned long long)t->kbytes[0],
                 (unsigned long long)t->kpackets[1], (unsigned long long)t->kbytes[1],
                 (long long)d0, (long long)d1);
    } else {
        snprintf(line, sizeof line,
                 "packets a>b %llu  b>a %llu  bytes a>b %llu  b>a %llu  "
                 "(no kernel counts for this flow)",
                 (unsigned long long)t->packets[0], (unsigned long long)t->packets[1],
                 (unsigned long long)t->bytes[0], (unsigned long long)t->bytes[1]);
    }
    draw_text(dy, 1, w - 1, line, 0);
    dy++;
    snprintf(line, sizeof line,
             "Enter: show this flow's packets   w: write them   s: sort (sorted by %s)",
             sort_name[st.sort]);
    draw_text(dy, 1, w - 1, line, screen_attr(R_DIM));
}

static int on_key(struct vw *v, int key)
{
    size_t n = st.n;
    switch (key) {
    case KEY_UP:
    case 'k':
        if (st.sel > 0) st.sel--;
        break;
    case KEY_DOWN:
    case 'j':
        if (st.sel + 1 < (int)n) st.sel++;
        break;
    case KEY_PPAGE:
        st.sel = st.sel > 10 ? st.sel - 10 : 0;
        break;
    case KEY_NPAGE:
        st.sel = st.sel + 10 < (int)n ? st.sel + 10 : (int)n - 1;
        break;
    case KEY_HOME:
    case 'g':
        st.sel = 0;
        break;
    case KEY_END:
    case 'G':
        st.sel = n ? (int)n - 1 : 0;
        break;
    case 's':
        st.sort = (st.sort + 1) % 4;
        st.taken_ns = 0; /* re-sort now */
        vw_message(v, "flows sorted by %s", sort_name[st.sort]);
        return KR_HANDLED;
    case 'w': {
        if (st.sel >= (int)n) return KR_HANDLED;
        char path[256];
        snprintf(path, sizeof path, "%s-flow%llu.pcap", v->session,
                 (unsigned long long)st.rows[st.sel].id);
        prompt_open(v, VP_SAVE_FLOW, path);
        tab_dynamic_bpf(&st.rows[st.sel], v->prompt.flow_expr, sizeof v->prompt.flow_expr);
        return KR_HANDLED;
    }
    case '\n':
    case '\r':
    case KEY_ENTER: {
        if (st.sel >= (int)n) return KR_HANDLED;
        char expr[SHM_FILTER_MAX], err[512];
        tab_dynamic_bpf(&st.rows[st.sel], expr, sizeof expr);
        if (filter_set(v, expr, err, sizeof err) != 0) {
            vw_message(v, "cannot filter on this flow: %s", err);
            return KR_HANDLED;
        }
        tab_packets_follow(v, true);
        v->goto_tab = VT_PACKETS;
        return KR_GOTO;
    }
    default:
        return KR_UNHANDLED;
    }
    if (st.sel < 0) st.sel = 0;
    if ((size_t)st.sel < n) st.sel_id = st.rows[st.sel].id;
    return KR_HANDLED;
}

const struct tab_ops tab_dynamic = {
    .name = "Dynamic",
    .reset = reset,
    .draw = draw,
    .on_key = on_key,
};
