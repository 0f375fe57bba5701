/*
 * tab_analysis.c — tab 2: the selected packet's dissection, layer by layer and field by field,
 * its events, and the hex/ASCII dump with the selected item's bytes highlighted.
 *
 * The dissection is the analyzer's detail record for the frame's sequence number, unpacked and
 * validated by detail_decode() into a private struct dissection; names, labels and value text
 * come from the dissector's own tables (dissect_field_info, dissect_field_text), so the viewer
 * never parses packet bytes. The frame bytes for the dump are copied from segment 1 once when the
 * selection changes: the copy stays drawable after the ring has moved on.
 *
 * The highlight uses reverse video (R_HIGHLIGHT), so it also shows on a terminal without colour.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "analyzer/detail.h"
#include "viewer/screen.h"
#include "viewer/tab.h"

enum item_kind { IT_LAYER, IT_FIELD, IT_EVENTS, IT_EVENT };
struct item {
    uint8_t kind;
    uint16_t idx;
};
#define MAX_ITEMS (DISSECT_MAX_LAYERS + DISSECT_MAX_FIELDS + DISSECT_MAX_EVENTS + 2)

static struct {
    uint64_t seq;
    bool loaded; /* seq describes what is cached (reset() clears it when the segment changes) */
    bool have_d; /* a detail record was found and validated */
    bool have_frame;
    char why[96]; /* why there is no dissection */
    struct dissection d;
    struct shm_record meta;
    uint8_t bytes[SHM_FRAME_MAX];
    uint32_t collapsed; /* bit per layer */
    int cursor, top, hex_top;
    struct item items[MAX_ITEMS];
    int nitems;
} st;

static void reset(struct vw *v)
{
    (void)v;
    st.loaded = false;
}

static void load(struct vw *v)
{
    if (st.loaded && st.seq == v->sel_seq && st.have_d) return;
    bool same = st.loaded && st.seq == v->sel_seq;
    if (!same) {
        st.collapsed = 0;
        st.cursor = st.top = st.hex_top = 0;
        st.have_frame = shm_ring_read(&v->f.ring, v->sel_seq, &st.meta, st.bytes,
                                      sizeof st.bytes) == SHM_READ_OK;
    }
    st.loaded = true;
    st.seq = v->sel_seq;
    st.have_d = false;
    if (!v->have_a) {
        snprintf(st.why, sizeof st.why, "no dissection: analyzer %s",
                 segs_analyzer_name(v->s.analyzer));
        return;
    }
    static uint8_t rec[SHM_DETAIL_MAX];
    struct shm_record m;
    enum shm_read_result rr = shm_ring_read(&v->a.detail, v->sel_seq, &m, rec, sizeof rec);
    if (rr == SHM_READ_OK) {
        if (detail_decode(rec, m.len, &st.d, NULL))
            st.have_d = true;
        else
            snprintf(st.why, sizeof st.why, "the analyzer's detail record is invalid");
    } else if (rr == SHM_READ_AGAIN || v->sel_seq >= v->s.a_next) {
        snprintf(st.why, sizeof st.why, "not analysed yet");
    } else {
        snprintf(st.why, sizeof st.why, "dissection no longer in the analysis ring");
    }
}

static void build_items(void)
{
    st.nitems = 0;
    if (!st.have_d) return;
    const struct dissection *d = &st.d;
    for (unsigned l = 0; l < d->nlayers; l++) {
        st.items[st.nitems++] = (struct item){IT_LAYER, (uint16_t)l};
        if (st.collapsed & (1u << l)) continue;
        const struct dissect_layer *L = &d->layers[l];
        for (unsigned f = L->first_field; f < (unsigned)L->first_field + L->nfields; f++)
            if (f < d->nfields) st.items[st.nitems++] = (struct item){IT_FIELD, (uint16_t)f};
    }
    if (d->nevents) {
        st.items[st.nitems++] = (struct item){IT_EVENTS, 0};
        for (unsigned e = 0; e < d->nevents; e++)
            st.items[st.nitems++] = (struct item){IT_EVENT, (uint16_t)e};
    }
    if (st.cursor >= st.nitems) st.cursor = st.nitems ? st.nitems - 1 : 0;
}

/* The frame bytes of the item under the cursor: [*off, *off + *len). */
static bool item_range(uint32_t *off, uint32_t *len)
{
    if (!st.have_d || st.cursor >= st.nitems) return false;
    const struct item *it = &st.items[st.cursor];
    const struct dissection *d = &st.d;
    switch (it->kind) {
    case IT_LAYER:
        *off = d->layers[it->idx].offset;
        *len = d->layers[it->idx].length;
        return true;
    case IT_FIELD:
        *off = d->fields[it->idx].offset;
        *len = d->fields[it->idx].length;
        return true;
    case IT_EVENT:
        *off = d->events[it->idx].offset;
        *len = 1;
        return true;
    default:
        return false;
    }
}

static void draw_item(struct vw *v, int y, int w, int i)
{
    const struct item *it = &st.items[i];
    const struct dissection *d = &st.d;
    bool sel = i == st.cursor;
    int attr = sel ? screen_attr(R_SELECTED) : 0;
    if (sel) draw_fill(y, 0, w, attr);
    char buf[320], val[256];
    switch (it->kind) {
    case IT_LAYER: {
        const struct dissect_layer *L = &d->layers[it->idx];
        bool col = st.collapsed & (1u << it->idx);
        const char *mark = v->utf8 ? (col ? "\u25b8" : "\u25be") : (col ? "+" : "-");
        draw_glyph(y, 0, mark, attr | A_BOLD);
        snprintf(buf, sizeof buf, "%s", dissect_proto_name(L->proto));
        int x = 2 + draw_text(y, 2, w - 2, buf, attr | A_BOLD);
        snprintf(buf, sizeof buf, "  bytes %u-%u (%u)%s", L->offset,
                 L->length ? L->offset + L->length - 1 : L->offset, L->length, col ? "  ..." : "");
        draw_text(y, x, w - x, buf, sel ? attr : screen_attr(R_DIM));
        break;
    }
    case IT_FIELD: {
        const struct dissect_field *f = &d->fields[it->idx];
        const struct dissect_field_info *fi = dissect_field_info(f->id);
        dissect_field_text(d, f, val, sizeof val);
        snprintf(buf, sizeof buf, "%s: %s", fi->label, val);
        int x = 4 + draw_text(y, 4, w - 4, buf, attr);
        snprintf(buf, sizeof buf, "  [%s]", fi->name);
        if (x < w) draw_text(y, x, w - x, buf, sel ? attr : screen_attr(R_DIM));
        break;
    }
    case IT_EVENTS:
        draw_textf(y, 0, w, attr | A_BOLD, "Events (%u)", d->nevents);
        break;
    case IT_EVENT: {
        const struct dissect_event_rec *e = &d->events[it->idx];
        snprintf(buf, sizeof buf, "! %s at byte %u%s%s", dissect_event_name(e->id), e->offset,
                 e->layer < d->nlayers ? " in " : "",
                 e->layer < d->nlayers ? dissect_proto_name(d->layers[e->layer].proto) : "");
        draw_text(y, 2, w - 2, buf, sel ? attr : screen_attr(R_MALFORMED));
        break;
    }
    }
}

static void draw_hex(int y, int h, int w, uint32_t hoff, uint32_t hlen, bool hl)
{
    uint32_t caplen = st.meta.len;
    int per = w >= 74 ? 16 : 8;
    uint32_t lines = (caplen + (uint32_t)per - 1) / (uint32_t)per;
    /* Keep the highlighted bytes in view. */
    if (hl && hlen) {
        int first = (int)(hoff / (uint32_t)per);
        int last = (int)((hoff + hlen - 1) / (uint32_t)per);
        if (first < st.hex_top) st.hex_top = first;
        if (last >= st.hex_top + h) st.hex_top = last - h + 1;
        if (first < st.hex_top) st.hex_top = first;
    }
    if (st.hex_top > (int)lines - h) st.hex_top = (int)lines - h;
    if (st.hex_top < 0) st.hex_top = 0;
    int hla = screen_attr(R_HIGHLIGHT);
    for (int r = 0; r < h && (uint32_t)(st.hex_top + r) < lines; r++) {
        uint32_t base = (uint32_t)(st.hex_top + r) * (uint32_t)per;
        draw_textf(y + r, 0, 6, screen_attr(R_DIM), "%04x", base);
        for (int i = 0; i < per && base + (uint32_t)i < caplen; i++) {
            uint32_t o = base + (uint32_t)i;
            bool in = hl && o >= hoff && o - hoff < hlen;
            int hx = 6 + i * 3 + (i >= 8 ? 1 : 0);
            char hb[4];
            snprintf(hb, sizeof hb, "%02x", st.bytes[o]);
            draw_text(y + r, hx, 2, hb, in ? hla : 0);
            /* Keep the highlight continuous across the gap between two bytes. */
            if (in && i + 1 < per && o + 1 - hoff < hlen && o + 1 < caplen && i != 7)
                draw_text(y + r, hx + 2, 1, " ", hla);
            char ac[2] = {(st.bytes[o] >= 0x20 && st.bytes[o] < 0x7f) ? (char)st.bytes[o] : '.', 0};
            int ax = 6 + per * 3 + 2 + i;
            draw_text(y + r, ax, 1, ac, in ? hla : 0);
        }
    }
}

static void draw(struct vw *v, int y, int h, int w)
{
    if (!v->have_sel) {
        draw_text(y + 1, 2, w - 2, "no packet selected (choose one in Packets, Enter)", A_BOLD);
        return;
    }
    load(v);
    build_items();
    char hdr[256], tm[64] = "";
    if (st.have_frame) {
        time_t t = (time_t)(st.meta.ts_ns / 1000000000u);
        struct tm tmv;
        localtime_r(&t, &tmv);
        snprintf(tm, sizeof tm, "%04d-%02d-%02d %02d:%02d:%02d.%09llu", tmv.tm_year + 1900,
                 tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec,
                 (unsigned long long)(st.meta.ts_ns % 1000000000u));
        snprintf(hdr, sizeof hdr, "Frame %llu: %u bytes on wire, %u captured, %s (%s)",
                 (unsigned long long)st.seq + 1, st.meta.wire_len, st.meta.len, tm,
                 shm_ts_source_name(st.meta.ts_source));
    } else {
        snprintf(hdr, sizeof hdr, "Frame %llu: no longer in the ring",
                 (unsigned long long)st.seq + 1);
    }
    draw_fill(y, 0, w, screen_attr(R_HEADER));
    draw_text(y, 0, w, hdr, screen_attr(R_HEADER));

    int body = h - 1;
    uint32_t per = w >= 74 ? 16 : 8;
    int hex_need = st.have_frame ? (int)((st.meta.len + per - 1) / per) : 0;
    /* The tree gets what it needs up to half; the dump the rest; the tree any left over. */
    int tree_need = st.have_d ? st.nitems : 3;
    int hex_min = hex_need < body / 2 ? hex_need : body / 2;
    int tree_h = tree_need < body - 1 - hex_min ? tree_need : body - 1 - hex_min;
    if (tree_h < 1) tree_h = 1;
    int hex_h = hex_need < body - tree_h - 1 ? hex_need : body - tree_h - 1;
    if (hex_h < 0) hex_h = 0;
    if (!hex_h) tree_h = body;
    int ty = y + 1;
    if (!st.have_d) {
        draw_text(ty + 1, 2, w - 2, st.why, A_BOLD);
    } else {
        if (st.cursor < st.top) st.top = st.cursor;
        if (st.cursor >= st.top + tree_h) st.top = st.cursor - tree_h + 1;
        if (st.top < 0) st.top = 0;
        for (int r = 0; r < tree_h && st.top + r < st.nitems; r++)
            draw_item(v, ty + r, w, st.top + r);
    }
    if (hex_h > 0) {
        int sy = ty + tree_h;
        /* Our own glyph rather than ACS_HLINE: some terminals mangle ACS in UTF-8. */
        for (int i = 0; i < w; i++) draw_glyph(sy, i, v->utf8 ? "\u2500" : "-", screen_attr(R_DIM));
        uint32_t off = 0, len = 0;
        bool hl = item_range(&off, &len);
        if (hl) {
            char r[64];
            snprintf(r, sizeof r, " bytes %u-%u ", off, len ? off + len - 1 : off);
            draw_text(sy, 2, w - 2, r, screen_attr(R_DIM));
        }
        draw_hex(sy + 1, hex_h, w, off, len, hl);
    }
}

static void toggle(int layer, int how) /* how: -1 collapse, 1 expand, 0 toggle */
{
    uint32_t bit = 1u << layer;
    if (how < 0 || (how == 0 && !(st.collapsed & bit)))
        st.collapsed |= bit;
    else
        st.collapsed &= ~bit;
}

static int on_key(struct vw *v, int key)
{
    const struct item *it = st.cursor < st.nitems ? &st.items[st.cursor] : NULL;
    switch (key) {
    case KEY_UP:
    case 'k':
        if (st.cursor > 0) st.cursor--;
        return KR_HANDLED;
    case KEY_DOWN:
    case 'j':
        if (st.cursor + 1 < st.nitems) st.cursor++;
        return KR_HANDLED;
    case KEY_PPAGE:
        st.cursor = st.cursor > 10 ? st.cursor - 10 : 0;
        return KR_HANDLED;
    case KEY_NPAGE:
        st.cursor = st.cursor + 10 < st.nitems ? st.cursor + 10 : (st.nitems ? st.nitems - 1 : 0);
        return KR_HANDLED;
    case KEY_HOME:
    case 'g':
        st.cursor = 0;
        return KR_HANDLED;
    case KEY_END:
    case 'G':
        st.cursor = st.nitems ? st.nitems - 1 : 0;
        return KR_HANDLED;
    case KEY_LEFT:
    case 'h':
        if (!it) return KR_HANDLED;
        if (it->kind == IT_LAYER) {
            toggle(it->idx, -1);
        } else if (it->kind == IT_FIELD) { /* go to the field's layer */
            unsigned layer = st.d.fields[it->idx].layer;
            for (int i = st.cursor; i >= 0; i--)
                if (st.items[i].kind == IT_LAYER && st.items[i].idx == layer) {
                    st.cursor = i;
                    break;
                }
        }
        return KR_HANDLED;
    case KEY_RIGHT:
    case 'l':
        if (it && it->kind == IT_LAYER) toggle(it->idx, 1);
        return KR_HANDLED;
    case '\n':
    case '\r':
    case KEY_ENTER:
    case ' ':
        if (it && it->kind == IT_LAYER) toggle(it->idx, 0);
        return KR_HANDLED;
    case 'c':
        st.collapsed = 0xffffffffu;
        st.cursor = 0;
        return KR_HANDLED;
    case 'e':
        st.collapsed = 0;
        return KR_HANDLED;
    case 'n':
    case ']':
        tab_packets_step(v, 1);
        return KR_HANDLED;
    case 'p':
    case '[':
        tab_packets_step(v, -1);
        return KR_HANDLED;
    default:
        return KR_UNHANDLED;
    }
}

const struct tab_ops tab_analysis = {
    .name = "Analysis",
    .reset = reset,
    .draw = draw,
    .on_key = on_key,
};
