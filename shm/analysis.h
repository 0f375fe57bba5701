/*
 * analysis.h — segment 2, the analysis: what packrat-analyzer writes and viewers draw.
 *
 * A ring of full dissections keyed by frame sequence (the Packets tab derives each row from one,
 * the Analysis tab draws its tree), a table of payload strings for the Strings tab (strtab.h), and
 * two seqlocked tables (flows, per-second series), plus counters in the header. The analyzer
 * formats no text: a summary line costs more than the dissection of most frames, and only the rows
 * a viewer shows (or --print prints) are ever read as text. Readers get validated private views,
 * copy slots out under their seqlocks, and treat every string they copy as untrusted
 * (shm_copy_str).
 */
#ifndef PACKRAT_SHM_ANALYSIS_H
#define PACKRAT_SHM_ANALYSIS_H

#include "frames.h"
#include "strtab.h"

struct shm_analysis_config {
    uint64_t detail_bytes;  /* area of the detail (dissection) ring */
    uint64_t strings_bytes; /* area of the string table (32 bytes a string) */
    uint64_t flow_capacity; /* flow slots */
};

#define SHM_ANALYSIS_DEFAULT_DETAIL  (56ull << 20)
#define SHM_ANALYSIS_DEFAULT_STRINGS (2ull << 20) /* 65536 strings */
#define SHM_ANALYSIS_DEFAULT_FLOWS   8192u

/* Largest detail record; longest string (a longer printable run is cut into pieces of this
 * length). */
#define SHM_DETAIL_MAX (16u * 1024u)
#define SHM_STRING_MAX 512u

/*
 * The record sizes each ring's descriptors are counted for (shm_ring_geometry), as measured on
 * the bench's mixed traffic: a dissection ~820 bytes (30 fields of 16 bytes, the meta block,
 * layers and pool).
 */
#define SHM_DETAIL_TYPICAL 832u

struct shm_analysis {
    struct shm_segment seg;
    struct shm_analysis_hdr *hdr;
    struct shm_ring detail;
    struct shm_strtab strings;
    struct shm_flow *flows; /* const for readers */
    uint64_t flow_capacity;
    struct shm_series_bucket *series;
    uint64_t series_count;
    const struct shm_analysis_names *names;
};

void shm_analysis_default_config(struct shm_analysis_config *cfg);

/* Writer: creates the segment (state CREATING; publish with shm_segment_publish). */
int shm_analysis_create(struct shm_analysis *a, const char *session,
                        const struct shm_analysis_config *cfg, gid_t gid, char *err, size_t errlen);
/* Reader: read-only attach with full validation. */
int shm_analysis_attach(struct shm_analysis *a, const char *session, char *err, size_t errlen);
/* A restarted analyzer takes over an existing segment read-write. */
int shm_analysis_attach_rw(struct shm_analysis *a, const char *session, char *err, size_t errlen);
/* Validates raw bytes (used by attach and by tests). */
int shm_analysis_open_mem(struct shm_analysis *a, void *base, size_t size, bool writable, char *err,
                          size_t errlen);
void shm_analysis_close(struct shm_analysis *a, bool unlink_segment);
void shm_analysis_detach(struct shm_analysis *a);

/* Writable name table for the analyzer (before publishing). */
struct shm_analysis_names *shm_analysis_names_rw(struct shm_analysis *a);

/* Copies a protocol / event name (terminated, "?" when out of range or empty). */
void shm_analysis_proto_name(const struct shm_analysis *a, unsigned id, char *out, size_t len);
void shm_analysis_event_name(const struct shm_analysis *a, unsigned id, char *out, size_t len);

/* Copies flow slot idx under its seqlock; false when empty, out of range or never stable. */
bool shm_flow_read(const struct shm_analysis *a, uint64_t idx, struct shm_flow *out);
/* Whether a flow's per-second history holds second sec: not older than SHM_FLOW_HIST seconds
 * before its newest, and not after it (a later second had no traffic for this flow). */
static inline bool shm_flow_hist_holds(const struct shm_flow *f, uint64_t sec)
{
    return f->hist_sec >= sec && f->hist_sec - sec < SHM_FLOW_HIST;
}

/* A flow's rates as of second now_sec, from its history: the last complete second (now_sec - 1)
 * and the average of the ten before now_sec. The analyzer stores them in the slot each second of
 * frame time; a viewer recomputes them at its own "now" when a quiet live link brings no frames
 * (and so no new second) to the analyzer. */
struct shm_flow_rates {
    uint64_t pps_1s, bps_1s, pps_10s, bps_10s;
};
struct shm_flow_rates shm_flow_rates_at(const struct shm_flow *f, uint64_t now_sec);

/* Copies series bucket idx likewise; false when unused or never stable. */
bool shm_series_read(const struct shm_analysis *a, uint64_t idx, struct shm_series_bucket *out);

/* ---- string records ------------------------------------------------------------------------ */

/*
 * A reader's copy of the frame its last string came from. A frame's strings are next to each
 * other in the table, and each would otherwise copy the whole frame again. bytes is the caller's
 * buffer of bufsize bytes (SHM_FRAME_MAX holds any frame); set held to false to start, and again
 * when the frame segment changes.
 */
struct shm_string_frame {
    uint8_t *bytes;
    size_t bufsize;
    struct shm_record meta; /* of the frame in bytes, while held */
    bool held;
};

/*
 * Reader: the text of a string (an entry as shm_strtab_read() copied it), sliced out of its
 * frame, read from the frame ring frames into fc unless fc holds it already. On SHM_READ_OK, text
 * (SHM_STRING_MAX + 1 bytes) holds the *len bytes of the string and a NUL. Every part is
 * untrusted: the run must be at most SHM_STRING_MAX bytes inside the frame's captured bytes, and
 * the frame must be the one the entry names (sequence and timestamp), or the result is
 * SHM_READ_CORRUPT. A frame no longer in the frame ring gives SHM_READ_GONE.
 */
enum shm_read_result shm_string_text(const struct shm_ring *frames, struct shm_string_frame *fc,
                                     const struct shm_string_entry *e, char *text, uint32_t *len);

#endif
