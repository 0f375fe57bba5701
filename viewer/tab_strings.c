/*
 * tab_strings.c — tab 3: printable strings the analyzer found in payloads, with the packet
 * number and the offset in the frame; typing (or `/`) searches as you type; Enter jumps to the
 * packet.
 *
 * Rows are entries of the analysis segment's string table (frame sequence, offset and length of
 * the run in its frame). The text is read from the frame in segment 1 (shm_string_text), and the
 * last frame read is kept: a frame's strings are next to each other. A string whose frame the
 * frame ring has overwritten shows as such and matches no search. Without a search the view is
 * the table's range and a refresh reads only the visible entries. A search works like the packet
 * filter: each entry is tested at most once (case-insensitive substring), matches are cached in a
 * seqlist sized to the table's capacity, new entries are tested as they arrive, and a big backlog
 * is worked off under a time budget per refresh.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "viewer/screen.h"
#include "viewer/tab.h"

#define SEARCH_BUDGET_NS (4ull * 1000000ull)

static uint8_t frame_copy[SHM_FRAME_MAX];

static struct {
    char q[SHM_FILTER_MAX];
    bool searching;
    struct seqlist match;
    uint64_t next;
    uint64_t sel;
    bool have_sel, follow;
    int sel_row, page;
    struct shm_string_frame frame; /* the frame the last string was read from */
} st = {.follow = true, .page = 10, .frame = {.bytes = frame_copy, .bufsize = sizeof frame_copy}};

/* String seq: its entry in *e, and in text (SHM_STRING_MAX + 1 bytes) its *len bytes read from
 * its frame. *have_rec says whether the entry was read (its frame may still be gone). */
static enum shm_read_result string_read(struct vw *v, uint64_t seq, struct shm_string_entry *e,
                                        char *text, uint32_t *len, bool *have_rec)
{
    enum shm_read_result rr = shm_strtab_read(&v->a.strings, seq, e);
    *have_rec = rr == SHM_READ_OK;
    if (rr != SHM_READ_OK) return rr;
    return shm_string_text(&v->f.ring, &st.frame, e, text, len);
}

static void reset(struct vw *v)
{
    seqlist_free(&st.match); /* a new analysis segment may have a differently sized ring */
    st.frame.held = false;   /* and the frame segment may be another one */
    st.next = 0;
    st.have_sel = false;
    st.follow = true;
    if (st.q[0]) tab_strings_search(v, st.q);
}

static bool contains_ci(const char *hay, size_t hn, const char *needle, size_t *at)
{
    size_t nn = strlen(needle);
    if (nn == 0) return true;
    for (size_t i = 0; i + nn <= hn; i++) {
        size_t k = 0;
        while (k < nn && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == nn) {
            if (at) *at = i;
            return true;
        }
    }
    return false;
}

void tab_strings_search(struct vw *v, const char *text)
{
    /* Re-running the current search passes st.q itself; copying a string onto itself is UB. */
    if (text != st.q) snprintf(st.q, sizeof st.q, "%s", text);
    st.searching = st.q[0] != 0;
    if (st.searching && !st.match.v && v->have_a)
        if (seqlist_init(&st.match, v->a.strings.mask + 1) != 0) st.searching = false;
    seqlist_clear(&st.match);
    st.next = v->s.str_oldest;
    st.follow = true;
}

static void search_update(struct vw *v)
{
    if (!st.searching || !v->have_a || !st.match.v) return;
    const struct shm_strtab *t = &v->a.strings;
    uint64_t oldest = shm_strtab_oldest(t), ws = shm_strtab_write_seq(t);
    seqlist_drop_below(&st.match, oldest);
    if (st.next < oldest) st.next = oldest;
    uint64_t t0 = shm_now_mono_ns();
    unsigned n = 0;
    char text[SHM_STRING_MAX + 1];
    while (st.next < ws) {
        struct shm_string_entry e;
        uint32_t len;
        bool have_rec;
        enum shm_read_result rr = string_read(v, st.next, &e, text, &len, &have_rec);
        if (rr == SHM_READ_AGAIN) break; /* not written yet */
        /* A string whose frame is gone (or does not hold it) is never a match. */
        if (rr == SHM_READ_OK && contains_ci(text, len, st.q, NULL))
            seqlist_push(&st.match, st.next);
        st.next++;
        if (++n % 128 == 0 && shm_now_mono_ns() - t0 > SEARCH_BUDGET_NS) break;
    }
}

static struct seqview view(struct vw *v)
{
    struct seqview w = {NULL, v->s.str_oldest, v->s.str_write};
    if (st.searching) w.l = &st.match;
    return w;
}

static uint64_t sel_index(const struct seqview *w)
{
    uint64_t n = seqview_count(w);
    if (n == 0) return 0;
    if (st.follow || !st.have_sel) {
        st.sel = seqview_at(w, n - 1);
        st.have_sel = true;
        return n - 1;
    }
    uint64_t i = seqview_find(w, st.sel);
    if (i >= n) i = n - 1;
    st.sel = seqview_at(w, i);
    return i;
}

static void draw(struct vw *v, int y, int h, int w)
{
    search_update(v);
    int ha = screen_attr(R_HEADER);
    draw_fill(y, 0, w, ha);
    char hdr[160];
    snprintf(hdr, sizeof hdr, "%7s %6s  %s", "No.", "Offset", "String");
    draw_text(y, 0, w, hdr, ha);
    if (st.searching) {
        char s[SHM_FILTER_MAX + 48];
        snprintf(s, sizeof s, " search: %s (%llu) ", st.q,
                 (unsigned long long)seqlist_count(&st.match));
        int sl = (int)strlen(s);
        if (w > 24 + sl) draw_text(y, w - sl, sl, s, screen_attr(R_WARN));
    }
    if (!v->have_a) {
        draw_text(y + 2, 2, w - 2, "no strings: the analyzer is not running", A_BOLD);
        return;
    }
    struct seqview vw_ = view(v);
    uint64_t n = seqview_count(&vw_);
    int rows = h - 1;
    st.page = rows > 1 ? rows : 1;
    if (n == 0) {
        draw_text(y + 2, 2, w - 2, st.searching ? "no string matches the search" : "no strings yet",
                  A_BOLD);
        return;
    }
    if (st.follow) st.sel_row = rows - 1;
    uint64_t si = sel_index(&vw_);
    int64_t top = (int64_t)si - st.sel_row;
    if (top > (int64_t)n - rows) top = (int64_t)n - rows;
    if (top < 0) top = 0;
    st.sel_row = (int)((int64_t)si - top);
    char buf[SHM_STRING_MAX + 1];
    for (int r = 0; r < rows && (uint64_t)top + (uint64_t)r < n; r++) {
        uint64_t i = (uint64_t)top + (uint64_t)r;
        uint64_t seq = seqview_at(&vw_, i);
        struct shm_string_entry e;
        uint32_t len = 0;
        bool have_rec;
        int yy = y + 1 + r;
        bool sel = i == si;
        int attr = sel ? screen_attr(R_SELECTED) : 0;
        if (sel) draw_fill(yy, 0, w, attr);
        enum shm_read_result rr = string_read(v, seq, &e, buf, &len, &have_rec);
        if (!have_rec) {
            draw_text(yy, 0, w, "      -        (string no longer in the ring)", attr);
            continue;
        }
        char pre[48];
        snprintf(pre, sizeof pre, "%7llu %6u  ", (unsigned long long)e.frame_seq + 1, e.offset);
        int x = draw_text(yy, 0, w, pre, attr);
        if (rr != SHM_READ_OK) {
            draw_text(yy, x, w - x,
                      rr == SHM_READ_GONE ? "(frame overwritten)" : "(invalid reference)", attr);
            continue;
        }
        draw_text(yy, x, w - x, buf, attr);
        size_t at = 0;
        if (st.searching && contains_ci(buf, len, st.q, &at) && (int)at < w - x) {
            char part[SHM_FILTER_MAX];
            snprintf(part, sizeof part, "%.*s", (int)strlen(st.q), buf + at);
            draw_text(yy, x + (int)at, w - x - (int)at, part, screen_attr(R_HIGHLIGHT));
        }
    }
}

static void step(struct vw *v, int64_t d)
{
    struct seqview w = view(v);
    uint64_t n = seqview_count(&w);
    if (!n) return;
    uint64_t si = sel_index(&w);
    int64_t ni = (int64_t)si + d;
    if (ni < 0) ni = 0;
    if (ni >= (int64_t)n) ni = (int64_t)n - 1;
    st.sel = seqview_at(&w, (uint64_t)ni);
    st.follow = false;
    st.sel_row += (int)(ni - (int64_t)si);
    if (st.sel_row < 0) st.sel_row = 0;
    if (st.sel_row >= st.page) st.sel_row = st.page - 1;
}

static int on_key(struct vw *v, int key)
{
    switch (key) {
    case KEY_UP:
    case 'k':
        step(v, -1);
        return KR_HANDLED;
    case KEY_DOWN:
    case 'j':
        step(v, 1);
        return KR_HANDLED;
    case KEY_PPAGE:
        step(v, -st.page);
        return KR_HANDLED;
    case KEY_NPAGE:
        step(v, st.page);
        return KR_HANDLED;
    case KEY_HOME:
    case 'g':
        step(v, INT32_MIN);
        return KR_HANDLED;
    case KEY_END:
    case 'G':
    case 'F':
        st.follow = true;
        return KR_HANDLED;
    case '/':
        prompt_open(v, VP_SEARCH, st.q);
        return KR_HANDLED;
    case '\n':
    case '\r':
    case KEY_ENTER: {
        if (!st.have_sel || !v->have_a) return KR_HANDLED;
        struct shm_string_entry e;
        if (shm_strtab_read(&v->a.strings, st.sel, &e) != SHM_READ_OK) {
            vw_message(v, "that string is no longer in the ring");
            return KR_HANDLED;
        }
        if (e.frame_seq < v->s.oldest) {
            vw_message(v, "packet %llu is no longer in the ring",
                       (unsigned long long)e.frame_seq + 1);
            return KR_HANDLED;
        }
        tabs_select_packet(v, e.frame_seq);
        v->goto_tab = VT_PACKETS;
        return KR_GOTO;
    }
    default:
        /* Type to search: a letter that is not one of this tab's keys starts the search. */
        if (key < 0x80 && isalpha(key) && !strchr("jkgGFqQ", key)) {
            char first[2] = {(char)key, 0};
            prompt_open(v, VP_SEARCH, first);
            tab_strings_search(v, first);
            return KR_HANDLED;
        }
        return KR_UNHANDLED;
    }
}

const struct tab_ops tab_strings = {
    .name = "Strings",
    .reset = reset,
    .draw = draw,
    .on_key = on_key,
};
