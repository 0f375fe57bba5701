/*
 * session_export.h — writing frames from the ring to a nanosecond pcap file that is valid at
 * every moment: export_pcap() for the viewer's `w` key, export_writer_* for packrat-record.
 *
 * Each record (16-byte header and the frame) goes out with one writev; if that fails or is short
 * (disk full, quota, I/O error) the file is truncated back to the end of the last complete record
 * and the caller gets a clear message, so a reader (tshark, capinfos, tcpdump) never meets a
 * torn record. Nothing here prints, exits, or touches shared memory other than reading frames.
 */
#ifndef PACKRAT_VIEWER_SESSION_EXPORT_H
#define PACKRAT_VIEWER_SESSION_EXPORT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/frames.h"

#define EXPORT_ERR_MAX 512

struct export_writer {
    int fd;
    uint64_t size;    /* bytes of complete records: the file's valid length */
    uint64_t packets; /* records written */
    uint32_t snaplen;
    char path[PATH_MAX];
};

/*
 * Creates (truncates) path and writes the pcap header: nanosecond magic, link_type (DLT_*), and
 * snaplen. On failure nothing is left behind and err says why.
 */
int export_writer_open(struct export_writer *w, const char *path, uint32_t link_type,
                       uint32_t snaplen, char *err, size_t errlen);

/* Appends one frame (meta->len bytes at data, wire length meta->wire_len, meta->ts_ns). */
int export_writer_frame(struct export_writer *w, const struct shm_record *meta, const void *data,
                        char *err, size_t errlen);

/* Closes; reports a close-time error (e.g. a network file system's deferred ENOSPC). */
int export_writer_close(struct export_writer *w, char *err, size_t errlen);

struct export_result {
    uint64_t written; /* frames in the file */
    uint64_t gone;    /* asked for but overwritten in the ring before we read them */
};

/*
 * Writes the frames with the given ring sequences (any order; they are written in the order
 * given) from the frame segment f to a new nanosecond pcap at path. Frames no longer in the ring
 * are skipped and counted in res->gone. Returns 0 when every frame still present was written,
 * -1 with err set otherwise (the file then ends on the last complete record, or does not exist
 * if not even its header could be written). res may be NULL.
 */
int export_pcap(const char *path, const struct shm_frames *f, const uint64_t *seqs, size_t n,
                struct export_result *res, char *err, size_t errlen);

#endif
