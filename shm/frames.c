/*
 * frames.c — creating and attaching segment 1 (the frame ring).
 */
#include "frames.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int shm_frames_open_mem(struct shm_frames *f, const void *base, size_t size, char *err,
                        size_t errlen)
{
    memset(&f->ring, 0, sizeof f->ring);
    if (shm_segment_validate(base, size, SHM_KIND_FRAMES, err, errlen) != 0) return -1;
    f->hdr = (struct shm_frames_hdr *)base;
    char why[SHM_ERR_MAX];
    if (shm_ring_open(&f->ring, base, size, &f->hdr->ring, false, why, sizeof why) != 0) {
        return shm_fail(err, errlen, "frame ring: %s", why);
    }
    if (f->hdr->ring.desc_off < SHM_HDR_SIZE) {
        snprintf(err, errlen, "frame ring overlaps the segment header");
        return -1;
    }
    /* The kernel flow table: capacity and offset copied once and checked against the segment. */
    uint64_t cap = f->hdr->kflow.capacity, off = f->hdr->kflow_off;
    if (cap > size / sizeof(struct shm_kflow) || off < SHM_HDR_SIZE || off > size ||
        cap * sizeof(struct shm_kflow) > size - off || off % 8) {
        snprintf(err, errlen, "kernel flow table lies outside the segment");
        return -1;
    }
    f->kflow = (const struct shm_kflow *)((const uint8_t *)base + off);
    f->kflow_capacity = cap;
    return 0;
}

int shm_frames_create(struct shm_frames *f, const char *session, size_t size, gid_t gid, char *err,
                      size_t errlen)
{
    memset(f, 0, sizeof *f);
    if (shm_segment_create(&f->seg, session, SHM_KIND_FRAMES, size, gid, err, errlen) != 0)
        return -1;
    f->hdr = f->seg.base;
    uint64_t kflow_bytes = (uint64_t)SHM_KFLOW_CAPACITY * sizeof(struct shm_kflow);
    uint64_t ring_off = SHM_HDR_SIZE + kflow_bytes;
    f->hdr->kflow_off = SHM_HDR_SIZE;
    f->hdr->kflow.capacity = SHM_KFLOW_CAPACITY;
    /* Small rings (devices, tests) cap the record size at a quarter of the data area. */
    uint64_t n = 0, data = 0, max_record = SHM_FRAME_MAX;
    if (ring_off < f->seg.size &&
        shm_ring_geometry(f->seg.size - ring_off, SHM_FRAME_TYPICAL, &n, &data) == 0 &&
        data / 4 < max_record)
        max_record = data / 4;
    if (ring_off >= f->seg.size ||
        shm_ring_format(&f->ring, f->seg.base, f->seg.size, &f->hdr->ring, ring_off,
                        f->seg.size - ring_off, SHM_FRAME_TYPICAL, max_record, err, errlen) != 0) {
        if (ring_off >= f->seg.size) snprintf(err, errlen, "frame segment too small");
        shm_segment_detach(&f->seg);
        shm_segment_unlink(session, SHM_KIND_FRAMES);
        return -1;
    }
    f->kflow = (const struct shm_kflow *)((const uint8_t *)f->seg.base + f->hdr->kflow_off);
    f->kflow_capacity = SHM_KFLOW_CAPACITY;
    return 0;
}

int shm_frames_attach(struct shm_frames *f, const char *session, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    if (shm_segment_attach(&f->seg, session, SHM_KIND_FRAMES, err, errlen) != 0) return -1;
    char why[SHM_ERR_MAX];
    if (shm_frames_open_mem(f, f->seg.base, f->seg.size, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", f->seg.name, why);
        shm_segment_detach(&f->seg);
        return -1;
    }
    return 0;
}

void shm_frames_close(struct shm_frames *f, bool unlink_segment)
{
    char session[SHM_SESSION_MAX];
    if (!f->seg.base) return;
    shm_copy_str(session, sizeof session, f->hdr->seg.session, sizeof f->hdr->seg.session);
    shm_ring_wake(&f->ring);
    shm_segment_close(&f->seg);
    if (unlink_segment) shm_segment_unlink(session, SHM_KIND_FRAMES);
}

void shm_frames_detach(struct shm_frames *f)
{
    shm_segment_detach(&f->seg);
}

void shm_copy_str(char *dst, size_t dstlen, const char *src, size_t srclen)
{
    if (!dstlen) return;
    size_t n = 0;
    while (n < srclen && n + 1 < dstlen && src[n]) n++;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

const char *shm_ts_source_name(unsigned ts_source)
{
    switch (ts_source) {
    case SHM_TS_HARDWARE:
        return "hardware";
    case SHM_TS_KERNEL:
        return "kernel";
    case SHM_TS_RING:
        /* The kernel had no receive stamp for the frame (locally sent TCP holds a departure time
         * instead: what this host sends, and loopback), so tpacket_rcv() read the clock as it
         * wrote the ring. Nobody in user space stamped it: "ring" says when it was taken. */
        return "ring";
    case SHM_TS_FILE:
        return "file";
    default:
        return "unknown";
    }
}

const char *shm_if_state_name(unsigned if_state)
{
    switch (if_state) {
    case SHM_IF_UP:
        return "up";
    case SHM_IF_DOWN:
        return "down";
    case SHM_IF_GONE:
        return "gone";
    case SHM_IF_FILE:
        return "file";
    case SHM_IF_EOF:
        return "end of file";
    default:
        return "unknown";
    }
}
