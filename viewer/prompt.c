/*
 * prompt.c — the one-line input at the bottom of the screen: the BPF filter (`/`) and the
 * Strings search.
 *
 * A filter is applied on Enter. If libpcap rejects it, its message is shown under the input and
 * the input stays open with the text, so the user fixes a typo instead of retyping; Esc cancels
 * and leaves the previous filter active; an empty filter clears. The search applies as you type.
 */
#include <stdio.h>
#include <string.h>

#include "viewer/screen.h"
#include "viewer/tab.h"

void prompt_open(struct vw *v, enum vw_prompt_kind kind, const char *initial)
{
    struct vw_prompt *p = &v->prompt;
    p->kind = kind;
    snprintf(p->text, sizeof p->text, "%s", initial ? initial : "");
    p->len = p->cur = strlen(p->text);
    p->error[0] = 0;
}

int prompt_height(const struct vw *v)
{
    if (v->prompt.kind == VP_NONE) return 0;
    return v->prompt.error[0] ? 2 : 1;
}

static void changed(struct vw *v)
{
    if (v->prompt.kind == VP_SEARCH) tab_strings_search(v, v->prompt.text);
}

static void submit(struct vw *v)
{
    struct vw_prompt *p = &v->prompt;
    if (p->kind == VP_FILTER) {
        char err[sizeof p->error];
        if (filter_set(v, p->text, err, sizeof err) != 0) {
            snprintf(p->error, sizeof p->error, "%s", err);
            return; /* stays open with the text */
        }
        if (!v->flt.active) vw_message(v, "filter cleared");
        tab_packets_follow(v, true);
    }
    if (p->kind == VP_SAVE_VIEW || p->kind == VP_SAVE_FLOW) {
        char err[sizeof p->error];
        if (!p->text[0]) {
            snprintf(p->error, sizeof p->error, "type a file name (Esc cancels)");
            return;
        }
        int rc = p->kind == VP_SAVE_VIEW ? save_view(v, p->text, err, sizeof err)
                                         : save_flow(v, p->flow_expr, p->text, err, sizeof err);
        if (rc != 0) {
            snprintf(p->error, sizeof p->error, "%s", err);
            return; /* stays open: fix the path */
        }
    }
    p->kind = VP_NONE;
    p->error[0] = 0;
}

int prompt_key(struct vw *v, int key)
{
    struct vw_prompt *p = &v->prompt;
    switch (key) {
    case KEY_ESC:
        if (p->kind == VP_SEARCH) tab_strings_search(v, "");
        p->kind = VP_NONE;
        p->error[0] = 0;
        return KR_HANDLED;
    case '\n':
    case '\r':
    case KEY_ENTER:
        submit(v);
        return KR_HANDLED;
    case KEY_BACKSPACE:
    case 127:
    case 8:
        if (p->cur > 0) {
            memmove(p->text + p->cur - 1, p->text + p->cur, p->len - p->cur + 1);
            p->cur--;
            p->len--;
            changed(v);
        }
        return KR_HANDLED;
    case KEY_DC:
        if (p->cur < p->len) {
            memmove(p->text + p->cur, p->text + p->cur + 1, p->len - p->cur);
            p->len--;
            changed(v);
        }
        return KR_HANDLED;
    case KEY_LEFT:
        if (p->cur > 0) p->cur--;
        return KR_HANDLED;
    case KEY_RIGHT:
        if (p->cur < p->len) p->cur++;
        return KR_HANDLED;
    case KEY_HOME:
    case KEY_CTRL('a'):
        p->cur = 0;
        return KR_HANDLED;
    case KEY_END:
    case KEY_CTRL('e'):
        p->cur = p->len;
        return KR_HANDLED;
    case KEY_CTRL('u'):
        p->len = p->cur = 0;
        p->text[0] = 0;
        changed(v);
        return KR_HANDLED;
    default:
        break;
    }
    if (key >= 0x20 && key < 0x7f && p->len + 1 < sizeof p->text) {
        memmove(p->text + p->cur + 1, p->text + p->cur, p->len - p->cur + 1);
        p->text[p->cur++] = (char)key;
        p->len++;
        changed(v);
    }
    return KR_HANDLED; /* the prompt swallows every key while open */
}

void prompt_draw(struct vw *v, int y, int w)
{
    struct vw_prompt *p = &v->prompt;
    if (p->kind == VP_NONE) return;
    const char *label = "search: ";
    if (p->kind == VP_FILTER)
        label = w < 60 ? "filter: " : "filter (tcpdump syntax, Enter applies, Esc cancels): ";
    else if (p->kind == VP_SAVE_VIEW)
        label = "write the packets shown to pcap file: ";
    else if (p->kind == VP_SAVE_FLOW)
        label = "write this flow's packets to pcap file: ";
    if (p->error[0]) {
        draw_fill(y, 0, w, A_NORMAL);
        draw_textf(y, 0, w, screen_attr(R_ERROR), "error: %s", p->error);
        y++;
    }
    draw_fill(y, 0, w, A_NORMAL);
    int lw = draw_text(y, 0, w, label, A_BOLD);
    int avail = w - lw - 1;
    if (avail < 1) return;
    /* Scroll the text so the cursor stays visible. */
    size_t start = p->cur > (size_t)avail ? p->cur - (size_t)avail : 0;
    draw_text(y, lw, avail, p->text + start, A_NORMAL);
    int cx = lw + (int)(p->cur - start);
    char under = p->cur < p->len ? p->text[p->cur] : ' ';
    char cs[2] = {under, 0};
    draw_text(y, cx, 1, cs, A_REVERSE);
}
