/*
 * shm.h — packrat's shared-memory API: segments and the single-writer, many-reader lossy ring.
 *
 * A segment is a POSIX shm object named /packrat.<session>.<kind>, created by its one writer with
 * a fixed size and attached read-only (O_RDONLY, PROT_READ) by any number of readers. The ring
 * inside it never makes the writer wait: a reader that falls behind is lapped, counts what it
 * missed and resumes at the oldest record still intact. See layout.h for the bytes.
 *
 * Errors are returned as -1 with a human-readable message in the caller's err buffer; nothing
 * here prints or exits.
 */
#ifndef PACKRAT_SHM_H
#define PACKRAT_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "layout.h"

#define SHM_ERR_MAX 256

/* Formats a message into err (if any) and returns -1: the error convention of this API. */
int shm_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- segments ---------------------------------------------------------------------------- */

struct shm_segment {
    void *base;
    size_t size;
    bool writable;
    enum shm_kind kind;
    char name[96]; /* "/packrat.<session>.<kind>" */
};

/* True when s is a usable session name: 1..63 of [A-Za-z0-9._-], not starting with '.'. */
bool shm_session_name_valid(const char *s);

/* Turns an interface name or file path into a valid session name ("x.pcap" from "/a/x.pcap"). */
void shm_session_name_from(const char *source, char *out, size_t outlen);

/* Fills name with "/packrat.<session>.<frames|analysis>". */
int shm_segment_name(char *name, size_t len, const char *session, enum shm_kind kind);

/*
 * Creates a segment of exactly size bytes (mode 0640, group gid unless gid is (gid_t)-1),
 * mapped read-write and populated. An existing segment of that name is removed first if its
 * writer is gone; if its writer is alive creation fails with EEXIST and a message. The common
 * header is filled in with state CREATING; call shm_segment_publish() once the kind-specific
 * header is complete.
 */
int shm_segment_create(struct shm_segment *seg, const char *session, enum shm_kind kind,
                       size_t size, gid_t gid, char *err, size_t errlen);

/* Marks the segment LIVE: readers may attach from now on. */
void shm_segment_publish(struct shm_segment *seg);

/*
 * Attaches read-only and validates the common header (magic, version, kind, sizes against the
 * object's real size). Fails with a clear message when the session does not exist, permission is
 * missing, or the bytes are not a packrat segment of this layout.
 */
int shm_segment_attach(struct shm_segment *seg, const char *session, enum shm_kind kind, char *err,
                       size_t errlen);

/* Attaches read-write to an existing segment (a restarted writer resuming). Validates likewise. */
int shm_segment_attach_rw(struct shm_segment *seg, const char *session, enum shm_kind kind,
                          char *err, size_t errlen);

/* Validates a mapped segment's common header; used by attach and by tests on raw bytes. */
int shm_segment_validate(const void *base, size_t size, enum shm_kind kind, char *err,
                         size_t errlen);

void shm_segment_detach(struct shm_segment *seg);

/* Removes the named object; returns 0 also when it did not exist. */
int shm_segment_unlink(const char *session, enum shm_kind kind);

/* Writer side: record this process as the writer and bump the heartbeat. */
void shm_segment_claim(struct shm_segment *seg);
void shm_segment_heartbeat(struct shm_segment *seg);
void shm_segment_close(struct shm_segment *seg); /* state CLOSED, then detach */

/* Process start time (clock ticks since boot) of pid; 0 if it does not exist or has exited
 * (a zombie not yet reaped counts as gone). */
uint64_t shm_process_start(pid_t pid);

/* The writer recorded in the header is still running (pid exists with the same start time). */
bool shm_writer_alive(const struct shm_seg_hdr *hdr);

/* Milliseconds since the writer's last heartbeat (UINT64_MAX if never). */
uint64_t shm_heartbeat_age_ms(const struct shm_seg_hdr *hdr);

uint64_t shm_now_mono_ns(void);
uint64_t shm_now_real_ns(void);

/* ---- the frame segment ------------------------------------------------------------------- */

#define SHM_FRAMES_DEFAULT_SIZE (64u * 1024u * 1024u)

/*
 * The ring geometry for an area of avail bytes holding records of about typical_record payload
 * bytes: a power-of-two descriptor count and the data bytes left (-1 when the area is too small).
 */
int shm_ring_geometry(size_t avail, uint32_t typical_record, uint64_t *desc_count,
                      uint64_t *data_size);

/* ---- the ring ---------------------------------------------------------------------------- */

/* Writer: one record between shm_ring_cursor_put() and shm_ring_cursor_done() (ring_write.h). */
struct shm_ring_slot {
    uint8_t *dst; /* where the payload goes; NULL when the record was refused */
    uint64_t seq, pos, off, end;
    uint32_t len;
};

/*
 * The writer's private copies of the positions it publishes (ring_write.h): the next sequence,
 * the free-running payload position and its offset in the data area, and the tail; a lower
 * bound of the tail record's payload position, valid while tail_ok; and the first sequence of
 * the run of records this writer committed without a gap.
 */
struct shm_ring_wpos {
    uint64_t seq, pos, off, tail, tail_pos, contig;
    bool tail_ok;
};

/*
 * Writer: the ring's geometry and the writer's positions (ring_write.h). The ring keeps one
 * (struct shm_ring's wr), which the record-at-a-time writer (shm_ring_reserve/commit) runs in
 * place: with one record per call there is nothing to keep in registers across records, and a
 * copy in and out cost more than the loads it saved. A writer that runs many records in a loop
 * copies it into a local (shm_ring_cursor_begin() ... shm_ring_cursor_end()): payload stores go
 * through byte pointers, which may alias anything reachable through memory, so fields read
 * through a pointer are reloaded after every record's copy; a local cursor whose address never
 * escapes cannot be aliased, and the compiler keeps it in registers.
 */
struct shm_ring_cursor {
    struct shm_ring *ring; /* whose wr this is, or was copied from */
    struct shm_ring_hdr *hdr;
    struct shm_ring_desc *desc;
    uint8_t *data;
    uint64_t desc_mask, data_size, max_record;
    bool writable;
    struct shm_ring_wpos w;
};

/* A process-local, validated view of a ring. Readers never re-read geometry from shared memory. */
struct shm_ring {
    struct shm_ring_hdr *hdr;
    struct shm_ring_desc *desc;
    uint8_t *data;
    uint64_t desc_mask;
    uint64_t data_size;
    uint64_t max_record;
    bool writable;
    /* writer-only: the record between reserve and commit */
    struct shm_ring_slot pend;
    /* writer-only: its cursor, with its own copy of the geometry above (writable false on a
     * reader's view, so a writer call there refuses) */
    struct shm_ring_cursor wr;
    /* record-at-a-time writer only: data-area offset up to which lines were asked for (a hint,
     * shm_ring_prefetch_to()) */
    uint64_t prefetched;
};

/* Metadata of one record, as the writer gives it and the reader gets it back. */
struct shm_record {
    uint64_t seq;
    uint64_t ts_ns;
    uint32_t len;
    uint32_t wire_len;
    uint32_t ifindex;
    uint8_t ts_source;
    uint8_t direction;
    uint16_t flags;
    uint64_t aux;
};

enum shm_read_result {
    SHM_READ_OK = 0,
    SHM_READ_AGAIN = 1,   /* not written yet */
    SHM_READ_GONE = 2,    /* overwritten (or never written: a gap) */
    SHM_READ_CORRUPT = 3, /* the descriptor's bounds are impossible: hostile or broken writer */
};

/*
 * Writer: lays out a ring whose header lives at hdr (inside seg) and whose descriptors and data
 * occupy [area_off, area_off + area_len) of the segment, split for records of about
 * typical_record bytes (shm_ring_geometry).
 */
int shm_ring_format(struct shm_ring *r, void *seg_base, size_t seg_size, struct shm_ring_hdr *hdr,
                    uint64_t area_off, uint64_t area_len, uint32_t typical_record,
                    uint64_t max_record, char *err, size_t errlen);

/*
 * Reader (or resuming writer): validates the ring header at hdr against the segment and builds
 * the private view. Every offset and size is checked to lie inside the segment.
 */
int shm_ring_open(struct shm_ring *r, const void *seg_base, size_t seg_size,
                  const struct shm_ring_hdr *hdr, bool writable, char *err, size_t errlen);

/*
 * Writer: starts record seq (must be >= the ring's write_seq; a larger one leaves a gap) of len
 * bytes and returns where to write the payload, or NULL if len is over the ring's maximum.
 * The payload must then be written and shm_ring_commit() called before the next reserve.
 */
uint8_t *shm_ring_reserve(struct shm_ring *r, uint64_t seq, uint32_t len);
void shm_ring_commit(struct shm_ring *r, const struct shm_record *meta);

/* Writer: between reserve and commit, shortens the pending record to len (<= reserved). Lets a
 * writer reserve a maximum, encode in place, and commit only what it used. */
void shm_ring_shrink(struct shm_ring *r, uint32_t len);

/* Writer: reserve + copy + commit at the next sequence. Returns the sequence or UINT64_MAX. */
uint64_t shm_ring_append(struct shm_ring *r, struct shm_record *meta, const void *payload);

/* The inline per-record writer (put / put_done / flush) that batches what it publishes. */
#include "ring_write.h"

/* Writer: wakes sleeping readers. Call after each batch, not after every record. */
void shm_ring_wake(struct shm_ring *r);

/* Next sequence the writer will use; everything below it has been published. */
uint64_t shm_ring_write_seq(const struct shm_ring *r);
/* Oldest sequence whose payload is still intact (may move on at any moment). */
uint64_t shm_ring_oldest(const struct shm_ring *r);
/* Newest published sequence, or UINT64_MAX when the ring is empty. */
uint64_t shm_ring_newest(const struct shm_ring *r);

/*
 * Reads record seq into meta and buf (buf must hold at least max_record bytes, or bufsize
 * bytes: a longer record is CORRUPT for this caller). Never returns a torn or overwritten record.
 */
enum shm_read_result shm_ring_read(const struct shm_ring *r, uint64_t seq, struct shm_record *meta,
                                   void *buf, size_t bufsize);

/* A sequential reader with its own position and loss accounting. */
struct shm_ring_reader {
    const struct shm_ring *ring;
    uint64_t next;       /* next sequence to deliver */
    uint64_t published;  /* write_seq as last loaded: records below it were published */
    uint64_t delivered;  /* records returned */
    uint64_t missed;     /* records skipped because they were overwritten before we read them */
    uint64_t laps;       /* times we found ourselves lapped */
    uint64_t corrupt;    /* records rejected as corrupt (also counted in missed) */
    uint64_t prefetched; /* data-area offset up to which lines were asked for (a hint) */
};

/* Starts at the oldest record still in the ring (or at from_seq if larger). */
void shm_ring_reader_init(struct shm_ring_reader *rd, const struct shm_ring *r, uint64_t from_seq);

/*
 * Delivers the next record. When none is available waits on the futex up to timeout_ms (0: do
 * not wait, <0: wait until one arrives) and returns SHM_READ_AGAIN if still nothing. Lapping is
 * handled inside: missed/laps are updated and the oldest intact record is delivered.
 */
enum shm_read_result shm_ring_next(struct shm_ring_reader *rd, struct shm_record *meta, void *buf,
                                   size_t bufsize, int timeout_ms);

/* Records published but not yet delivered to this reader. */
uint64_t shm_ring_lag(const struct shm_ring_reader *rd);

#endif
