/*
 * follow.c — packrat-analyzer's life in a session: attach segment 1 read-only, create segment 2
 * (or take over the one a crashed analyzer left), then follow the frame ring until capture ends.
 *
 * Restart rule: a new analyzer whose session already has an analysis segment for the same frame
 * segment (same creation time) and no live writer takes it over read-write, re-indexes the flows
 * it finds and resumes at the first frame not yet analyzed — or at the oldest still in the ring
 * when capture has overwritten that one meanwhile (those frames are counted as missed).
 */
#define _GNU_SOURCE
#include "follow.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "shm/frames.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Waits (bounded) for capture to publish segment 1. */
static int attach_frames(struct shm_frames *f, const char *session, int wait_ms)
{
    char err[SHM_ERR_MAX];
    for (int waited = 0;; waited += 50) {
        if (shm_frames_attach(f, session, err, sizeof err) == 0) return 0;
        if (waited >= wait_ms || stop_requested) {
            fprintf(stderr, "packrat-analyzer: %s\n", err);
            return -1;
        }
        usleep(50 * 1000);
    }
}

/*
 * The detail ring's size when none was asked for: 5/4 of the frame ring's. A dissection (~830
 * bytes in mixed traffic) is larger than the average frame (~570), and the Packets tab derives
 * its rows from dissections: sized alike, rows would have their dissections only about as far
 * back as the frames reach. It also lets a small frame ring (a small device) give a small segment.
 */
static uint64_t detail_bytes_for(const struct shm_frames *f)
{
    uint64_t frames = f->ring.data_size + (f->ring.desc_mask + 1) * sizeof(struct shm_ring_desc);
    uint64_t bytes = frames / 4 * 5;
    return bytes < (2ull << 20) ? 2ull << 20 : bytes;
}

/* Takes over a dead analyzer's segment for the same frame segment; 1 if taken over. */
static int try_takeover(struct shm_analysis *a, const char *session, uint64_t frames_created)
{
    char err[SHM_ERR_MAX];
    if (shm_analysis_attach_rw(a, session, err, sizeof err) != 0) return 0;
    if (shm_writer_alive(&a->hdr->seg)) {
        fprintf(stderr, "packrat-analyzer: session '%s' already has a running analyzer (pid %d)\n",
                session, (int)a->hdr->seg.writer_pid);
        shm_analysis_detach(a);
        return -1;
    }
    if (a->hdr->frames_created_ns != frames_created) { /* left over from another session */
        shm_analysis_detach(a);
        return 0;
    }
    shm_segment_claim(&a->seg);
    return 1;
}

int analyzer_follow(const struct follow_options *o)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct shm_frames f;
    if (attach_frames(&f, o->session, o->wait_ms) != 0) return 1;
    uint64_t frames_created = f.hdr->seg.created_ns;
    uint32_t link_type = f.hdr->link_type;

    struct shm_analysis a;
    char err[SHM_ERR_MAX];
    int taken = try_takeover(&a, o->session, frames_created);
    if (taken < 0) return 1;
    if (!taken) {
        struct shm_analysis_config cfg = o->cfg;
        if (!cfg.detail_bytes) cfg.detail_bytes = detail_bytes_for(&f);
        if (shm_analysis_create(&a, o->session, &cfg, o->gid, err, sizeof err) != 0) {
            fprintf(stderr, "packrat-analyzer: %s\n", err);
            return 1;
        }
        a.hdr->frames_created_ns = frames_created;
        analyzer_write_names(&a);
    }
    struct analyzer_config cfg = {.publish_frames = true,
                                  .min_string = o->min_string,
                                  .output = o->output,
                                  .out = o->out ? o->out : stdout,
                                  .keep_expired = o->flows_at_end};
    static struct analyzer an;
    if (analyzer_init(&an, &a, &cfg, link_type) != 0) {
        fprintf(stderr, "packrat-analyzer: out of memory for the flow index\n");
        return 1;
    }
    if (!taken) shm_segment_publish(&a.seg);

    struct shm_ring_reader rd;
    uint64_t resume = taken ? atomic_load(&a.hdr->next_frame_seq) : 0;
    shm_ring_reader_init(&rd, &f.ring, resume);
    if (taken && rd.next > resume) analyzer_missed(&an, resume, rd.next);
    if (!o->quiet)
        fprintf(stderr, "packrat-analyzer: session '%s'%s, from frame %llu\n", o->session,
                taken ? " (taking over from a previous analyzer)" : "",
                (unsigned long long)rd.next);

    static uint8_t frame[SHM_FRAME_MAX];
    uint64_t last_beat = 0, last_join = 0;
    unsigned batch = 0;
    int status = 0;
    while (!stop_requested) {
        struct shm_record m;
        uint64_t expect = rd.next;
        enum shm_read_result res = shm_ring_next(&rd, &m, frame, sizeof frame, batch ? 0 : 100);
        if (res == SHM_READ_OK) {
            if (m.seq > expect) analyzer_missed(&an, expect, m.seq);
            analyzer_frame(&an, &m, frame, link_type);
            if (o->count) { /* -c counts completed frames */
                analyzer_flush(&an);
                if (atomic_load(&a.hdr->frames_analyzed) >= o->count) break;
            }
            if (++batch < 256) continue;
        }
        /* A batch is done (or nothing new): complete the last frame, wake viewers, show we are
         * alive, check capture. */
        analyzer_flush(&an);
        if (batch) {
            shm_ring_wake(&a.detail);
            batch = 0;
        }
        uint64_t now = shm_now_mono_ns();
        if (now - last_beat >= 100000000ull) {
            shm_segment_heartbeat(&a.seg);
            last_beat = now;
        }
        if (now - last_join >= 1000000000ull) {
            analyzer_join_kernel(&an, &f);
            last_join = now;
        }
        if (res == SHM_READ_AGAIN) {
            uint32_t state = atomic_load(&f.hdr->seg.state);
            if (state == SHM_STATE_CLOSED || !shm_writer_alive(&f.hdr->seg)) {
                if (shm_ring_lag(&rd) == 0) break; /* drained what capture left */
            }
        }
    }
    analyzer_flush(&an);
    analyzer_join_kernel(&an, &f);
    shm_ring_wake(&a.detail);
    if (o->flows_at_end) flow_table_print(an.flows, cfg.out, o->flows_json);
    if (cfg.out) fflush(cfg.out);
    if (!o->quiet)
        fprintf(stderr, "packrat-analyzer: %llu frames analyzed, %llu missed\n",
                (unsigned long long)atomic_load(&a.hdr->frames_analyzed),
                (unsigned long long)atomic_load(&a.hdr->frames_missed));
    analyzer_fini(&an);
    /* The segment stays for viewers until the session ends (packrat removes it), unless asked. */
    if (o->unlink_at_exit)
        shm_analysis_close(&a, true);
    else
        shm_analysis_close(&a, false);
    shm_frames_detach(&f);
    return status;
}
