/*
 * filter.c — this viewer's BPF filter, evaluated in user space over the frames in the ring.
 *
 * The expression is compiled against a dead pcap handle of the session's link type and snaplen
 * (pcap_open_dead + pcap_compile) and run with pcap_offline_filter on copies of the frames, so one
 * viewer's filter never changes what capture, the analyzer or another viewer sees.
 *
 * Cost: every frame is evaluated at most once. Matches are cached as an ascending list of
 * sequence numbers (a seqlist sized to the ring's descriptor count, so it can never need more),
 * entries that fell out of the ring are dropped from the front, and new frames are evaluated
 * incrementally each tick. A fresh filter over a full ring is a backlog that is worked off under
 * a time budget per tick, so a refresh never stalls on it; the status bar shows the progress.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "viewer/vw.h"

static void drop_program(struct vw_filter *fl)
{
    if (fl->prog) {
        pcap_freecode(fl->prog);
        free(fl->prog);
        fl->prog = NULL;
    }
}

int filter_set(struct vw *v, const char *text, char *err, size_t errlen)
{
    struct vw_filter *fl = &v->flt;
    while (*text == ' ') text++;
    if (!*text) {
        filter_clear(v);
        return 0;
    }
    if (strlen(text) >= sizeof fl->text) {
        snprintf(err, errlen, "filter expression too long (at most %zu characters)",
                 sizeof fl->text - 1);
        return -1;
    }
    if (!fl->dead) {
        uint32_t snap = v->f.hdr->snaplen;
        if (snap == 0 || snap > SHM_FRAME_MAX) snap = SHM_FRAME_MAX;
        fl->dead = pcap_open_dead((int)v->f.hdr->link_type, (int)snap);
        if (!fl->dead) {
            snprintf(err, errlen, "libpcap cannot handle link type %u", v->f.hdr->link_type);
            return -1;
        }
    }
    struct bpf_program *prog = calloc(1, sizeof *prog);
    if (!prog) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (pcap_compile(fl->dead, prog, text, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        /* libpcap's own words: they name the token it choked on. */
        snprintf(err, errlen, "%s", pcap_geterr(fl->dead));
        free(prog);
        return -1;
    }
    if (!fl->match.v && seqlist_init(&fl->match, v->f.ring.desc_mask + 1) != 0) {
        pcap_freecode(prog);
        free(prog);
        snprintf(err, errlen, "out of memory for the match list");
        return -1;
    }
    drop_program(fl);
    fl->prog = prog;
    snprintf(fl->text, sizeof fl->text, "%s", text);
    fl->active = true;
    seqlist_clear(&fl->match);
    fl->next = v->s.oldest;
    fl->evaluated = fl->missed = fl->laps = 0;
    return 0;
}

void filter_clear(struct vw *v)
{
    struct vw_filter *fl = &v->flt;
    drop_program(fl);
    fl->active = false;
    fl->text[0] = 0;
    seqlist_clear(&fl->match);
}

void filter_free(struct vw *v)
{
    filter_clear(v);
    seqlist_free(&v->flt.match);
    if (v->flt.dead) pcap_close(v->flt.dead);
    v->flt.dead = NULL;
}

uint64_t filter_backlog(const struct vw *v)
{
    if (!v->flt.active) return 0;
    uint64_t from = v->flt.next > v->s.oldest ? v->flt.next : v->s.oldest;
    return v->s.write_seq > from ? v->s.write_seq - from : 0;
}

void filter_update(struct vw *v, uint64_t budget_ns)
{
    struct vw_filter *fl = &v->flt;
    if (!fl->active) return;
    const struct shm_ring *r = &v->f.ring;
    uint64_t oldest = shm_ring_oldest(r);
    seqlist_drop_below(&fl->match, oldest);
    uint64_t ws = shm_ring_write_seq(r);
    if (fl->next < oldest) {
        /* The ring overtook us: those frames are gone unevaluated. Count, then go on. */
        fl->missed += oldest - fl->next;
        fl->laps++;
        fl->next = oldest;
    }
    if (fl->next >= ws) return;
    uint64_t t0 = shm_now_mono_ns();
    unsigned n = 0;
    while (fl->next < ws) {
        struct shm_record m;
        enum shm_read_result rr = shm_ring_read(r, fl->next, &m, v->frame, SHM_FRAME_MAX);
        if (rr == SHM_READ_AGAIN) break;
        if (rr == SHM_READ_OK) {
            struct pcap_pkthdr ph;
            ph.ts.tv_sec = (time_t)(m.ts_ns / 1000000000u);
            ph.ts.tv_usec = (suseconds_t)(m.ts_ns % 1000000000u / 1000u);
            ph.caplen = m.len;
            ph.len = m.wire_len;
            if (pcap_offline_filter(fl->prog, &ph, v->frame)) seqlist_push(&fl->match, fl->next);
            fl->evaluated++;
            fl->next++;
        } else {
            /* Overwritten (or corrupt) while we were reading: jump to what is still there. */
            uint64_t o = shm_ring_oldest(r);
            uint64_t to = o > fl->next ? o : fl->next + 1;
            fl->missed += to - fl->next;
            fl->next = to;
        }
        if (++n % 256 == 0 && shm_now_mono_ns() - t0 > budget_ns) break;
    }
}

struct seqview filter_view(const struct vw *v)
{
    struct seqview w;
    if (v->flt.active) {
        w.l = &v->flt.match;
        w.lo = w.hi = 0;
    } else {
        w.l = NULL;
        w.lo = v->s.oldest;
        w.hi = v->s.write_seq;
    }
    return w;
}
