/*
 * sink.c — where captured frames go: the shared frame ring (segment 1) or, headless, a pcap file.
 *
 * The ring sink hands out the ring's own payload slot (shm_ring_reserve), so a source builds the
 * frame directly in shared memory: one copy from the kernel's ring to ours, VLAN tag included.
 * The file sink assembles the frame in a private buffer and gives it to libpcap's dump API with
 * nanosecond timestamps.
 *
 * Counters live in the sink and are published to the segment header with relaxed stores once
 * per batch: readers only display them, and no reader decision depends on their ordering.
 */
#define _GNU_SOURCE
#include "capture.h"
#include "capture/flowcount/flowcount.h"
#include "viewer/session_export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TICK_NS (50u * 1000u * 1000u) /* heartbeat period; readers expect <= 100 ms */

int sink_open_ring(struct sink *s, const struct cap_opts *o, gid_t gid, uid_t owner, char *err,
                   size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->to_ring = true;
    s->limit = o->count;
    char shm_err[SHM_ERR_MAX];
    size_t size = (size_t)o->size_mib * 1024u * 1024u;
    if (shm_frames_create(&s->frames, o->session, size, gid, shm_err, sizeof shm_err) != 0) {
        snprintf(err, errlen, "%s", shm_err);
        return -1;
    }
    /* The segment must belong to the user capture becomes, or it could not remove it at exit
     * (/dev/shm is sticky). The invoking user is that user or shares its group. */
    if (owner != (uid_t)-1 && geteuid() == 0) {
        char path[128];
        snprintf(path, sizeof path, "/dev/shm%s", s->frames.seg.name);
        if (chown(path, owner, gid) != 0) {
            snprintf(err, errlen, "chown %s: %s", path, strerror(errno));
            shm_frames_close(&s->frames, true);
            return -1;
        }
    }
    s->last_tick_ns = shm_now_mono_ns();
    return 0;
}

int sink_open_file(struct sink *s, const char *path, int link_type, uint32_t snaplen, uid_t owner,
                   gid_t group, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->dead =
        pcap_open_dead_with_tstamp_precision(link_type, (int)snaplen, PCAP_TSTAMP_PRECISION_NANO);
    s->buf = malloc(SHM_FRAME_MAX);
    if (!s->dead || !s->buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (strcmp(path, "-") == 0) {
        s->dumper = pcap_dump_open(s->dead, path); /* stdout: a pipe cannot be cut back anyway */
        if (!s->dumper) {
            snprintf(err, errlen, "%s", pcap_geterr(s->dead));
            return -1;
        }
    } else {
        /* A file must end on a complete record even when the disk fills: one writev per record,
         * cut back to the last complete one on failure (the recorder's writer). */
        s->file = calloc(1, sizeof *s->file);
        if (!s->file) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (export_writer_open(s->file, path, (uint32_t)link_type, snaplen, err, errlen) != 0) {
            free(s->file);
            s->file = NULL;
            return -1;
        }
    }
    /* Written as root before the drop: hand the file to the user we become, like tcpdump -Z. */
    if (strcmp(path, "-") != 0 && geteuid() == 0 && owner != (uid_t)-1) {
        if (chown(path, owner, group) != 0) {
            snprintf(err, errlen, "chown %s: %s", path, strerror(errno));
            return -1;
        }
    }
    s->last_tick_ns = shm_now_mono_ns();
    return 0;
}

void sink_describe(struct sink *s, int link_type, uint32_t snaplen, const char *ifname,
                   unsigned ifindex, const char *source, const char *filter, unsigned kind)
{
    if (!s->to_ring) return;
    struct shm_frames_hdr *h = s->frames.hdr;
    h->link_type = (uint32_t)link_type;
    h->snaplen = snaplen;
    h->ifindex = ifindex;
    h->source_kind = kind;
    snprintf(h->ifname, sizeof h->ifname, "%s", ifname ? ifname : "");
    snprintf(h->source, sizeof h->source, "%s", source ? source : "");
    snprintf(h->filter, sizeof h->filter, "%s", filter ? filter : "");
}

void sink_publish(struct sink *s)
{
    if (s->to_ring) shm_segment_publish(&s->frames.seg);
}

uint8_t *sink_reserve(struct sink *s, uint32_t len)
{
    if (!s->to_ring) return len <= SHM_FRAME_MAX ? s->buf : NULL;
    /* A hint only (a prefetch never faults or changes anything): the ring's writer reads the
     * descriptors at its tail to evict them, megabytes behind the head and long out of cache.
     * Pull those a few records ahead, and the descriptor we are about to fill. */
    const struct shm_ring *r = &s->frames.ring;
    uint64_t tail = atomic_load_explicit(&r->hdr->tail_seq, memory_order_relaxed);
    __builtin_prefetch(&r->desc[(tail + 16) & r->desc_mask], 0);
    __builtin_prefetch(&r->desc[(s->next_seq + 16) & r->desc_mask], 1);
    uint64_t ahead = atomic_load_explicit(&r->hdr->data_head_off, memory_order_relaxed) + 2048;
    if (ahead >= r->data_size) ahead -= r->data_size; /* no division on the hot path */
    if (ahead < r->data_size) __builtin_prefetch(r->data + ahead, 1);
    return shm_ring_reserve(&s->frames.ring, s->next_seq, len);
}

void sink_commit(struct sink *s, const struct shm_record *m)
{
    s->frames_out++;
    s->bytes += m->wire_len;
    if (m->flags & SHM_FRAME_TRUNCATED) s->truncated++;
    s->ts_source_last = m->ts_source;
    if (s->to_ring) {
        shm_ring_commit(&s->frames.ring, m);
        s->next_seq++;
        return;
    }
    if (s->file) {
        if (!s->write_failed &&
            export_writer_frame(s->file, m, s->buf, s->write_err, sizeof s->write_err) != 0)
            s->write_failed = true;
        return;
    }
    struct pcap_pkthdr ph;
    ph.ts.tv_sec = (time_t)(m->ts_ns / 1000000000ull);
    ph.ts.tv_usec = (suseconds_t)(m->ts_ns % 1000000000ull); /* nanoseconds: NANO handle */
    ph.caplen = m->len;
    ph.len = m->wire_len;
    pcap_dump((u_char *)s->dumper, &ph, s->buf);
}

static void publish_counters(struct sink *s)
{
    if (!s->to_ring) return;
    struct shm_frames_hdr *h = s->frames.hdr;
    atomic_store_explicit(&h->frames_received, s->frames_out, memory_order_relaxed);
    atomic_store_explicit(&h->bytes_received, s->bytes, memory_order_relaxed);
    atomic_store_explicit(&h->kernel_drops, s->kernel_drops, memory_order_relaxed);
    atomic_store_explicit(&h->frames_truncated, s->truncated, memory_order_relaxed);
    atomic_store_explicit(&h->if_state, s->if_state, memory_order_relaxed);
    atomic_store_explicit(&h->ts_source_last, s->ts_source_last, memory_order_relaxed);
}

void sink_tick(struct sink *s)
{
    uint64_t now = shm_now_mono_ns();
    if (now - s->last_tick_ns < TICK_NS) return;
    s->last_tick_ns = now;
    publish_counters(s);
    if (s->to_ring) shm_segment_heartbeat(&s->frames.seg);
    /* The kernel counts about once a second: the held map fd works after the privilege drop. */
    if (s->fc && now - s->last_kflow_ns >= 1000000000ull) {
        s->last_kflow_ns = now;
        flowcount_publish(s->fc, &s->frames);
    }
}

void sink_batch_end(struct sink *s)
{
    if (s->to_ring) {
        publish_counters(s);
        shm_ring_wake(&s->frames.ring);
    }
    sink_tick(s);
}

void sink_set_if_state(struct sink *s, uint32_t state)
{
    s->if_state = state;
    publish_counters(s);
}

bool sink_full(const struct sink *s)
{
    if (s->write_failed) return true; /* like tcpdump: a capture file that cannot grow ends it */
    return s->limit && s->frames_out >= s->limit;
}

uint64_t sink_overwritten(const struct sink *s)
{
    return s->to_ring ? shm_ring_oldest(&s->frames.ring) : 0;
}

int sink_close(struct sink *s, bool unlink_segment, char *err, size_t errlen)
{
    int rc = 0;
    if (s->to_ring) {
        if (s->fc) flowcount_publish(s->fc, &s->frames); /* final counts for readers */
        flowcount_close(s->fc);
        s->fc = NULL;
        if (s->frames.seg.base) {
            publish_counters(s);
            shm_frames_close(&s->frames, unlink_segment);
        }
        return 0;
    }
    if (s->file) {
        if (s->write_failed) {
            snprintf(err, errlen, "%s", s->write_err);
            rc = -1;
        }
        char cerr[EXPORT_ERR_MAX];
        if (export_writer_close(s->file, cerr, sizeof cerr) != 0 && rc == 0) {
            snprintf(err, errlen, "%s", cerr);
            rc = -1;
        }
        free(s->file);
        s->file = NULL;
    }
    if (s->dumper) {
        /* The file ends on a complete record or we say it does not. */
        if (pcap_dump_flush(s->dumper) != 0 || ferror(pcap_dump_file(s->dumper))) {
            snprintf(err, errlen, "writing the capture file failed: %s", strerror(errno));
            rc = -1;
        }
        pcap_dump_close(s->dumper);
        s->dumper = NULL;
    }
    if (s->dead) pcap_close(s->dead);
    s->dead = NULL;
    free(s->buf);
    s->buf = NULL;
    return rc;
}
