/*
 * segments.c — the viewer's side of a session: attaching both segments read-only, the per-tick
 * snapshot of their counters, and telling the user what state the other processes are in.
 *
 * The frame segment is required (no session without it). The analysis segment is optional and
 * may come and go: the viewer starts before the analyzer has created it, and when the analyzer
 * dies the supervisor starts a new one, which either takes over the segment (its
 * writer_generation changes: same mapping, new writer) or recreates it (a new object under the
 * same name: this mapping is stale and is replaced). Liveness checks read /proc, so they run a
 * few times a second, not on every refresh.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "analyzer/dissect.h"
#include "viewer/vw.h"

#define LIVE_CHECK_NS   (250ull * 1000000ull)
#define ATTACH_RETRY_NS (500ull * 1000000ull)

void vw_message(struct vw *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof v->msg, fmt, ap);
    va_end(ap);
    v->msg_until = shm_now_mono_ns() + 4000ull * 1000000ull;
}

const char *segs_analyzer_name(enum vw_analyzer a)
{
    switch (a) {
    case VA_RUNNING:
        return "running";
    case VA_RESTARTING:
        return "restarting";
    case VA_STOPPED:
        return "gone";
    default:
        return "waiting";
    }
}

/* An analysis segment belongs to this session's frames when it says it follows them. */
static bool analysis_matches(const struct vw *v, const struct shm_analysis *a)
{
    uint64_t follows = a->hdr->frames_created_ns;
    return follows == 0 || follows == v->f.hdr->seg.created_ns;
}

/*
 * Identity of the object under the analysis segment's name. Attaching maps and validates tens of
 * MB, so an object that was attached or rejected once is not tried again; only a new object
 * (a recreated segment) is. A failed attach (not published yet) is retried.
 */
static bool analysis_identity(struct vw *v, uint64_t *ino, uint64_t *ct)
{
    char name[96], path[128];
    struct stat sb;
    if (shm_segment_name(name, sizeof name, v->session, SHM_KIND_ANALYSIS) != 0) return false;
    snprintf(path, sizeof path, "/dev/shm%s", name);
    if (stat(path, &sb) != 0) return false;
    *ino = (uint64_t)sb.st_ino;
    *ct = (uint64_t)sb.st_ctim.tv_sec * 1000000000ull + (uint64_t)sb.st_ctim.tv_nsec;
    return true;
}

/*
 * Detail records carry the dissector's raw protocol, field and event ids, which this viewer
 * turns into names with its own compiled tables. An analyzer built from another version of
 * analyzer/dissect.h would be misread, so compare the name tables the analyzer published with
 * ours: a difference is shown, not guessed around. The analyzer also publishes a fingerprint of
 * its field tables, so a change of field ids alone is caught too.
 */
static bool names_match(const struct shm_analysis *a)
{
    if (a->hdr->dissect_tables != dissect_tables_fingerprint()) return false;
    if (a->hdr->nprotos != (DP_COUNT < SHM_PROTO_SLOTS ? DP_COUNT : SHM_PROTO_SLOTS) ||
        a->hdr->nevents != (DE_COUNT < SHM_EVENT_SLOTS ? DE_COUNT : SHM_EVENT_SLOTS))
        return false;
    char name[SHM_NAME_LEN];
    for (unsigned p = 0; p < DP_COUNT && p < SHM_PROTO_SLOTS; p++) {
        shm_analysis_proto_name(a, p, name, sizeof name);
        if (strcmp(name, dissect_proto_name(p)) != 0) return false;
    }
    for (unsigned e = 1; e < DE_COUNT && e < SHM_EVENT_SLOTS; e++) {
        shm_analysis_event_name(a, e, name, sizeof name);
        if (strcmp(name, dissect_event_name(e)) != 0) return false;
    }
    return true;
}

static void try_attach_analysis(struct vw *v, uint64_t now)
{
    if (now < v->a_retry_ns) return;
    v->a_retry_ns = now + ATTACH_RETRY_NS;
    uint64_t ino, ct;
    if (!analysis_identity(v, &ino, &ct)) return;
    if (ino == v->a_tried_ino && ct == v->a_tried_ctime) return;
    struct shm_analysis a;
    char err[SHM_ERR_MAX];
    memset(&a, 0, sizeof a);
    if (shm_analysis_attach(&a, v->session, err, sizeof err) != 0) return;
    v->a_tried_ino = ino;
    v->a_tried_ctime = ct;
    if (!analysis_matches(v, &a)) {
        shm_analysis_detach(&a);
        return;
    }
    if (v->have_a) {
        /* Replace only by a different segment whose writer is alive. */
        bool same = a.hdr->seg.created_ns == v->a.hdr->seg.created_ns &&
                    a.hdr->seg.writer_pid == v->a.hdr->seg.writer_pid;
        if (same || !shm_writer_alive(&a.hdr->seg)) {
            shm_analysis_detach(&a);
            return;
        }
        shm_analysis_detach(&v->a);
    }
    v->a = a;
    v->have_a = true;
    v->dissect_mismatch = !names_match(&v->a);
    v->a_gen = atomic_load(&v->a.hdr->seg.writer_generation);
    v->a_alive = shm_writer_alive(&v->a.hdr->seg);
    v->a_epoch++;
}

int segs_attach(struct vw *v, const char *session, char *err, size_t errlen)
{
    if (!session || !shm_session_name_valid(session)) {
        snprintf(err, errlen, "invalid session name '%s'", session ? session : "");
        return -1;
    }
    snprintf(v->session, sizeof v->session, "%s", session);
    if (shm_frames_attach(&v->f, session, err, errlen) != 0) return -1;
    v->frame = malloc(SHM_FRAME_MAX);
    if (!v->frame) {
        shm_frames_detach(&v->f);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const struct shm_frames_hdr *h = v->f.hdr;
    shm_copy_str(v->source, sizeof v->source, h->source, sizeof h->source);
    shm_copy_str(v->ifname, sizeof v->ifname, h->ifname, sizeof h->ifname);
    shm_copy_str(v->capfilter, sizeof v->capfilter, h->filter, sizeof h->filter);
    uint32_t lt = h->link_type;
    const char *ln = pcap_datalink_val_to_name((int)lt);
    if (ln)
        snprintf(v->link_name, sizeof v->link_name, "%s", ln);
    else
        snprintf(v->link_name, sizeof v->link_name, "DLT %u", lt);
    v->f_alive = shm_writer_alive(&h->seg);
    try_attach_analysis(v, shm_now_mono_ns());
    segs_poll(v);
    return 0;
}

void segs_detach(struct vw *v)
{
    if (v->have_a) shm_analysis_detach(&v->a);
    v->have_a = false;
    if (v->f.hdr) shm_frames_detach(&v->f);
    memset(&v->f, 0, sizeof v->f);
    free(v->frame);
    v->frame = NULL;
}

void segs_poll(struct vw *v)
{
    struct vw_snap *s = &v->s;
    const struct shm_frames_hdr *h = v->f.hdr;
    uint64_t now = shm_now_mono_ns();
    s->write_seq = shm_ring_write_seq(&v->f.ring);
    s->oldest = shm_ring_oldest(&v->f.ring);
    s->frames_received = atomic_load_explicit(&h->frames_received, memory_order_relaxed);
    s->bytes_received = atomic_load_explicit(&h->bytes_received, memory_order_relaxed);
    s->kernel_drops = atomic_load_explicit(&h->kernel_drops, memory_order_relaxed);
    s->frames_truncated = atomic_load_explicit(&h->frames_truncated, memory_order_relaxed);
    s->if_state = atomic_load_explicit(&h->if_state, memory_order_relaxed);
    s->ts_source = atomic_load_explicit(&h->ts_source_last, memory_order_relaxed);
    uint32_t fstate = atomic_load_explicit(&h->seg.state, memory_order_relaxed);
    s->capture_closed = fstate == SHM_STATE_CLOSED;

    bool check = now >= v->live_check_ns;
    if (check) {
        v->live_check_ns = now + LIVE_CHECK_NS;
        v->f_alive = !s->capture_closed && shm_writer_alive(&h->seg);
    }
    s->capture_alive = v->f_alive;

    if (!v->have_a) {
        try_attach_analysis(v, now);
    } else if (check) {
        const struct shm_analysis_hdr *ah = v->a.hdr;
        uint32_t gen = atomic_load_explicit(&ah->seg.writer_generation, memory_order_relaxed);
        uint32_t astate = atomic_load_explicit(&ah->seg.state, memory_order_relaxed);
        v->a_alive = astate != SHM_STATE_CLOSED && shm_writer_alive(&ah->seg);
        if (gen != v->a_gen) { /* a new analyzer took over this segment */
            v->a_gen = gen;
            v->a_epoch++;
        }
        if (!v->a_alive) try_attach_analysis(v, now); /* maybe recreated under the same name */
    }

    if (v->have_a) {
        const struct shm_analysis_hdr *ah = v->a.hdr;
        s->analyzed = atomic_load_explicit(&ah->frames_analyzed, memory_order_relaxed);
        s->a_missed = atomic_load_explicit(&ah->frames_missed, memory_order_relaxed);
        s->a_next = atomic_load_explicit(&ah->next_frame_seq, memory_order_relaxed);
        s->first_ts = atomic_load_explicit(&ah->first_ts_ns, memory_order_relaxed);
        s->last_ts = atomic_load_explicit(&ah->last_ts_ns, memory_order_relaxed);
        s->flows_active = atomic_load_explicit(&ah->flows_active, memory_order_relaxed);
        s->malformed = atomic_load_explicit(&ah->frames_malformed, memory_order_relaxed);
        s->kernel_counting = atomic_load_explicit(&ah->kernel_status, memory_order_relaxed) == 1;
        s->kernel_packets = atomic_load_explicit(&ah->kernel_packets, memory_order_relaxed);
        s->str_write = shm_strtab_write_seq(&v->a.strings);
        s->str_oldest = shm_strtab_oldest(&v->a.strings);
        s->analyzer = v->a_alive ? VA_RUNNING : s->capture_alive ? VA_RESTARTING : VA_STOPPED;
    } else {
        s->analyzed = s->a_missed = s->a_next = s->first_ts = s->last_ts = 0;
        s->flows_active = s->malformed = s->str_write = s->str_oldest = 0;
        s->kernel_counting = false;
        s->kernel_packets = 0;
        s->analyzer = VA_WAITING;
    }

    if (s->capture_alive)
        v->gone_since = 0;
    else if (!v->gone_since)
        v->gone_since = now;
}

bool segs_frame(struct vw *v, uint64_t seq, struct shm_record *meta)
{
    return shm_ring_read(&v->f.ring, seq, meta, v->frame, SHM_FRAME_MAX) == SHM_READ_OK;
}

uint64_t segs_start_ts(struct vw *v)
{
    if (v->s.first_ts) return v->s.first_ts;
    if (!v->start_seen) { /* no analyzer: the oldest frame this viewer has seen */
        struct shm_record m;
        if (segs_frame(v, v->s.oldest, &m)) v->start_seen = m.ts_ns;
    }
    return v->start_seen;
}

/*
 * The newest frame's stamp; while a live capture runs, the wall clock when it is later. A quiet
 * link sends no frames, and without this a viewer would keep showing the last busy second as
 * "now" (its rate, the sparklines' last column) however long the link stays quiet. A file, even
 * paced with --realtime, keeps its own clock. Live frames carry the kernel's CLOCK_REALTIME.
 */
uint64_t segs_now_ts(const struct vw *v)
{
    uint64_t now = v->s.last_ts;
    if (now && v->s.capture_alive && v->f.hdr && v->f.hdr->source_kind != SHM_SOURCE_KIND_FILE) {
        uint64_t wall = shm_now_real_ns();
        if (wall > now) now = wall;
    }
    return now;
}
