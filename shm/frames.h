/*
 * frames.h — segment 1, the frame ring: what capture writes and everyone else reads.
 *
 * Capture creates it (shm_frames_create), fills in the header's description of the source, calls
 * shm_segment_publish() and then appends frames. Readers attach read-only with shm_frames_attach,
 * which validates the header and the ring geometry and gives a private, validated ring view.
 */
#ifndef PACKRAT_SHM_FRAMES_H
#define PACKRAT_SHM_FRAMES_H

#include "shm.h"

struct shm_frames {
    struct shm_segment seg;
    struct shm_frames_hdr *hdr;
    struct shm_ring ring;
    const struct shm_kflow *kflow; /* validated view of the kernel flow table */
    uint64_t kflow_capacity;
};

/* A frame carries at most this many bytes (a generous snaplen; also the ring's record limit). */
#define SHM_FRAME_MAX SHM_RECORD_MAX

/* The frame size the ring's descriptors are counted for (shm_ring_geometry): links carry a mix
 * of small frames and MTU-sized ones. */
#define SHM_FRAME_TYPICAL 512u

int shm_frames_create(struct shm_frames *f, const char *session, size_t size, gid_t gid, char *err,
                      size_t errlen);
int shm_frames_attach(struct shm_frames *f, const char *session, char *err, size_t errlen);

/* Validates a frame segment given as raw bytes (also used by attach). */
int shm_frames_open_mem(struct shm_frames *f, const void *base, size_t size, char *err,
                        size_t errlen);

/* Writer: marks the segment closed and unmaps; unlinks it too when asked. */
void shm_frames_close(struct shm_frames *f, bool unlink_segment);
/* Reader: unmaps. */
void shm_frames_detach(struct shm_frames *f);

/* Copies a possibly unterminated string field of a shared header into dst, terminated. */
void shm_copy_str(char *dst, size_t dstlen, const char *src, size_t srclen);

const char *shm_ts_source_name(unsigned ts_source);
const char *shm_if_state_name(unsigned if_state);

#endif
