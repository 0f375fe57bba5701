/*
 * layout.h — the byte layout of packrat's shared-memory segments.
 *
 * This is the only file that defines what lives where inside /packrat.<session>.frames and
 * /packrat.<session>.analysis. Every other module goes through the shm_* API. Readers treat every
 * byte described here as untrusted: a buggy or hostile writer may put anything in them, so the
 * reader side copies the geometry once at attach (after validating it) and bounds-checks every
 * record it reads against that private copy, never against live shared values.
 *
 * Layout of a segment:
 *
 *   [ struct shm_seg_hdr | kind-specific header ........ ]  one page (SHM_HDR_SIZE)
 *   [ ring descriptors: desc_count x struct shm_ring_desc ]  desc_count is a power of two
 *   [ ring data: data_size bytes of record payloads       ]
 *   [ kind-specific tables (analysis segment only)        ]
 *
 * All offsets are relative to the start of the segment. Counters that readers poll live on their
 * own cache lines so that the writer's stores to them do not bounce the lines readers copy from.
 */
#ifndef PACKRAT_SHM_LAYOUT_H
#define PACKRAT_SHM_LAYOUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Layout 2: no summary ring (viewers derive rows from the detail record), and strings are
 * references into frames held in a string table. */
#define SHM_MAGIC            0x3154415252434b50ull /* "PKCRRAT1" little-endian */
#define SHM_LAYOUT_VERSION   2u
#define SHM_HDR_SIZE         4096u
#define SHM_CACHELINE        64u
#define SHM_SESSION_MAX      64u
#define SHM_IFNAME_MAX       32u
#define SHM_FILTER_MAX       512u
#define SHM_SOURCE_MAX       256u
#define SHM_SOURCE_KIND_FILE 3u /* shm_frames_hdr.source_kind of a capture file */

/* Records larger than this are refused by the writer and rejected by readers. */
#define SHM_RECORD_MAX (256u * 1024u)

/* Entries in the kernel flow-count table of segment 1. */
#define SHM_KFLOW_CAPACITY 4096u

enum shm_kind {
    SHM_KIND_FRAMES = 1,
    SHM_KIND_ANALYSIS = 2,
};

/* Segment lifecycle, stored in shm_seg_hdr.state. */
enum shm_state {
    SHM_STATE_CREATING = 0, /* header not yet complete: readers must not attach */
    SHM_STATE_LIVE = 1,
    SHM_STATE_CLOSED = 2, /* writer ended cleanly */
};

/* Where a frame's timestamp came from (shm_ring_desc.ts_source). */
enum shm_ts_source {
    SHM_TS_UNKNOWN = 0,
    SHM_TS_HARDWARE = 1, /* NIC clock (TP_STATUS_TS_RAW_HARDWARE) */
    SHM_TS_KERNEL = 2,   /* kernel software stamp at receive (TP_STATUS_TS_SOFTWARE) */
    SHM_TS_RING = 3,     /* no flag: the kernel's clock when it wrote the ring, not at receive */
    SHM_TS_FILE = 4,     /* taken from a capture file */
};

/* Direction of a frame relative to the capturing host (PACKET_* from if_packet.h). */
enum shm_direction {
    SHM_DIR_HOST = 0,
    SHM_DIR_BROADCAST = 1,
    SHM_DIR_MULTICAST = 2,
    SHM_DIR_OTHERHOST = 3,
    SHM_DIR_OUTGOING = 4,
    SHM_DIR_UNKNOWN = 255,
};

/* shm_ring_desc.flags */
#define SHM_FRAME_VLAN_REINSERTED 0x0001u /* capture put back the tag the kernel stripped */
#define SHM_FRAME_TRUNCATED       0x0002u /* caplen < wire length */
#define SHM_FRAME_CSUM_UNREADY    0x0004u /* checksum left to the NIC (TP_STATUS_CSUMNOTREADY) */

/* Common first bytes of every segment. */
struct shm_seg_hdr {
    uint64_t magic;
    uint32_t version;
    uint32_t kind;        /* enum shm_kind */
    uint64_t total_size;  /* bytes in the segment, equals the file size */
    uint32_t header_size; /* SHM_HDR_SIZE */
    int32_t writer_pid;
    uint64_t writer_start; /* process start time in clock ticks since boot (/proc/PID/stat #22) */
    uint64_t created_ns;   /* CLOCK_REALTIME at creation */
    char session[SHM_SESSION_MAX];
    _Alignas(SHM_CACHELINE) _Atomic uint64_t heartbeat_ns; /* CLOCK_MONOTONIC, bumped by writer */
    _Atomic uint32_t state;                                /* enum shm_state */
    _Atomic uint32_t writer_generation; /* bumped each time a new writer takes over */
};

/*
 * One ring descriptor. The lock word is the seqlock and the sequence number at once: while the
 * record with sequence s is being written it holds 2s+1, once written 2s+2. A reader looking for
 * s accepts the slot only if it reads 2s+2 both before and after copying.
 */
struct shm_ring_desc {
    _Atomic uint64_t lock;
    uint64_t data_pos; /* free-running byte position of the payload (for overwrite detection) */
    uint64_t data_off; /* data_pos reduced into [0, data_size) */
    uint64_t ts_ns;    /* timestamp, ns since the Unix epoch */
    uint32_t len;      /* payload bytes stored (caplen for frames) */
    uint32_t wire_len; /* frame length on the wire */
    uint32_t ifindex;
    uint8_t ts_source; /* enum shm_ts_source */
    uint8_t direction; /* enum shm_direction */
    uint16_t flags;    /* SHM_FRAME_* */
    uint64_t aux;      /* user word: the analysis segment keeps the frame sequence here */
    uint64_t reserved;
};

/*
 * The ring's shared header. Geometry is written once at creation; positions are free-running
 * 64-bit counters written only by the writer.
 */
struct shm_ring_hdr {
    uint64_t desc_off;   /* offset of desc[0] from segment start */
    uint64_t desc_count; /* power of two */
    uint64_t data_off;   /* offset of the data area from segment start */
    uint64_t data_size;
    uint64_t max_record;
    _Alignas(SHM_CACHELINE) _Atomic uint64_t write_seq; /* next sequence: all below are published */
    _Atomic uint64_t tail_seq;                          /* oldest sequence whose data is intact */
    _Atomic uint64_t data_intent; /* bytes up to here may be being overwritten right now */
    _Atomic uint64_t data_head;   /* end of the last committed record (writer state) */
    _Atomic uint64_t data_head_off;
    _Alignas(SHM_CACHELINE) _Atomic uint32_t wake_gen; /* futex word readers sleep on */
};

/* Interface state published by capture (shm_frames_hdr.if_state). */
enum shm_if_state {
    SHM_IF_UNKNOWN = 0,
    SHM_IF_UP = 1,
    SHM_IF_DOWN = 2,
    SHM_IF_GONE = 3,
    SHM_IF_FILE = 4, /* reading a capture file */
    SHM_IF_EOF = 5,  /* capture file fully read */
};

/*
 * The flow key shared by the kernel counter (capture/flowcount.bpf.c), the analyzer's flow table
 * and the kernel-count table below. Bidirectional: endpoint a is the smaller of the two (address,
 * port) pairs compared as bytes, so both directions of a conversation give the same key; direction
 * 0 means "from a to b". IPv4 addresses occupy the first 4 bytes of addr_*, the rest zero.
 */
struct shm_flow_key {
    uint8_t addr_a[16];
    uint8_t addr_b[16];
    uint16_t port_a; /* host byte order; 0 for protocols without ports */
    uint16_t port_b;
    uint16_t vlan;      /* outermost VLAN id, 0 when untagged */
    uint8_t ip_version; /* 4 or 6 */
    uint8_t proto;      /* IPPROTO_* */
};

/* One kernel-counted flow, as capture publishes it. */
struct shm_kflow {
    struct shm_flow_key key;
    uint64_t packets[2]; /* [0] a->b, [1] b->a */
    uint64_t bytes[2];
};

/* The kernel flow-count table in segment 1, republished by capture about once a second. */
struct shm_kflow_table_hdr {
    _Atomic uint64_t lock; /* seqlock: odd while capture rewrites the table */
    uint64_t count;        /* valid entries (<= capacity) */
    uint64_t capacity;
    uint64_t total_packets; /* everything the kernel counter saw */
    uint64_t total_bytes;
    uint64_t updated_ns; /* CLOCK_REALTIME of the last publish */
    uint32_t status;     /* 0 off, 1 counting, 2 unavailable (reason in status_text) */
    char status_text[100];
};

/* Segment 1: what capture tells everyone about itself, then the frame ring. */
struct shm_frames_hdr {
    struct shm_seg_hdr seg;
    uint32_t link_type; /* DLT_* */
    uint32_t snaplen;
    uint32_t ifindex;
    uint32_t source_kind; /* 1 afpacket, 2 libpcap live, 3 file (SHM_SOURCE_KIND_FILE) */
    char ifname[SHM_IFNAME_MAX];
    char source[SHM_SOURCE_MAX]; /* interface name or file path */
    char filter[SHM_FILTER_MAX];
    _Alignas(SHM_CACHELINE) _Atomic uint64_t frames_received;
    _Atomic uint64_t bytes_received;
    _Atomic uint64_t kernel_drops;
    _Atomic uint64_t frames_truncated;
    _Atomic uint32_t if_state; /* enum shm_if_state */
    _Atomic uint32_t ts_source_last;
    uint64_t kflow_off; /* offset of the kernel flow entries (struct shm_kflow[capacity]) */
    _Alignas(SHM_CACHELINE) struct shm_kflow_table_hdr kflow;
    _Alignas(SHM_CACHELINE) struct shm_ring_hdr ring;
};

_Static_assert(sizeof(struct shm_flow_key) == 40, "flow key is packed as the BPF side expects");
/*
 * Cross-process atomics must be lock-free: a libatomic fallback takes a lock that lives in one
 * process and protects nothing in another. Targets without lock-free 64-bit atomics (armv5,
 * mips32) need a 32-bit layout first; refuse to build rather than run incorrectly.
 */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free for shared memory");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free for shared memory");
_Static_assert(sizeof(struct shm_ring_desc) == 64, "descriptor is one cache line");

/*
 * Adds n to a counter that only one process writes (readers load it relaxed). A plain load and
 * store: a locked read-modify-write would buy nothing with a single writer and costs a fence per
 * call on the per-frame path.
 */
static inline void shm_counter_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}
_Static_assert(sizeof(struct shm_frames_hdr) <= SHM_HDR_SIZE, "frames header fits its page");
_Static_assert(offsetof(struct shm_seg_hdr, magic) == 0, "magic first");

/* ---- Segment 2: the analysis (writer: packrat-analyzer) ------------------------------------- */

#define SHM_PROTO_SLOTS    32  /* protocol counters and series columns */
#define SHM_EVENT_SLOTS    128 /* malformed-packet event counters */
#define SHM_NAME_LEN       32
#define SHM_FLOW_HIST      64   /* seconds of per-flow history (Visualize's top flows) */
#define SHM_SERIES_SECONDS 1024 /* per-second buckets: a little over 17 minutes */

/* TCP connection state as the analyzer tracks it (shm_flow.tcp_state). */
enum shm_tcp_state {
    SHM_TCP_NONE = 0, /* not TCP, or nothing seen yet */
    SHM_TCP_SYN = 1,  /* SYN seen */
    SHM_TCP_SYNACK = 2,
    SHM_TCP_ESTABLISHED = 3,
    SHM_TCP_FIN = 4,    /* a FIN seen */
    SHM_TCP_CLOSED = 5, /* FIN both ways */
    SHM_TCP_RESET = 6,
    SHM_TCP_MIDSTREAM = 7, /* data without a handshake we saw */
};

/* shm_flow.flags */
#define SHM_FLOW_KERNEL_COUNTS 0x01 /* kpackets/kbytes hold the kernel counter's figures */
#define SHM_FLOW_RTT           0x02 /* rtt_ns measured from the handshake */

/*
 * One flow slot of the analysis flow table. Each slot is its own seqlock (lock odd while the
 * analyzer updates it); id 0 marks an empty slot. The history arrays are indexed by
 * (second % SHM_FLOW_HIST) and are valid for seconds in (hist_sec - SHM_FLOW_HIST, hist_sec].
 */
struct shm_flow {
    _Atomic uint64_t lock;
    uint64_t id; /* unique per flow within the analysis segment, 0 = empty */
    struct shm_flow_key key;
    uint8_t initiator; /* 0: endpoint a sent the first packet we saw */
    uint8_t tcp_state; /* enum shm_tcp_state */
    uint8_t app_proto; /* protocol id (shm_analysis_names.proto) of the highest layer seen */
    uint8_t flags;     /* SHM_FLOW_* */
    uint32_t retransmissions;
    uint64_t first_ns, last_ns;
    uint64_t packets[2], bytes[2];   /* [0] a->b, [1] b->a, as captured */
    uint64_t kpackets[2], kbytes[2]; /* as the kernel counted them (issue: BPF counter) */
    uint64_t rtt_ns;
    uint64_t pps_1s, bps_1s;   /* packets and bytes in the last complete second */
    uint64_t pps_10s, bps_10s; /* averages over the last 10 complete seconds */
    uint64_t hist_sec;         /* the newest second in hist_* */
    uint32_t hist_packets[SHM_FLOW_HIST];
    uint32_t hist_bytes[SHM_FLOW_HIST];
    uint8_t pad[64];
};

/* One second of traffic (by frame timestamp), for sparklines. Seqlocked like flows. */
struct shm_series_bucket {
    _Atomic uint64_t lock;
    uint64_t sec; /* Unix second this bucket counts; 0 = never used */
    uint64_t packets, bytes;
    uint32_t proto_packets[SHM_PROTO_SLOTS];
    uint64_t proto_bytes[SHM_PROTO_SLOTS];
};

/* Names of protocol and event ids, written once by the analyzer before publishing. */
struct shm_analysis_names {
    char proto[SHM_PROTO_SLOTS][SHM_NAME_LEN];
    char event[SHM_EVENT_SLOTS][SHM_NAME_LEN];
};

/* A frame's flags in its detail record (detail_hdr.pkt_flags, analyzer/detail.h) */
#define SHM_PKT_MALFORMED 0x01 /* at least one invalid-header event */
#define SHM_PKT_TRUNCATED 0x02 /* the capture ended inside a header */

/*
 * One entry of segment 2's string table: where a printable run lies in a frame's captured bytes
 * in segment 1. The text is not copied: a reader slices it out of the frame, and a string whose
 * frame has left the frame ring is gone.
 *
 * The table is a ring of fixed entries (string s at index s & (capacity - 1)), each its own
 * seqlock: lock is 2s+1 while string s is written and 2s+2 once it is complete. A fixed 32-byte
 * entry costs the writer one line per string, where a record of a general ring (a 64-byte
 * descriptor, its payload, an eviction check) cost two lines and more work (measured: ~40 ns a
 * frame at the bench's 2.6 strings a frame).
 */
struct shm_string_entry {
    _Atomic uint64_t lock;
    uint64_t frame_seq; /* the frame in segment 1 */
    uint64_t ts_ns;     /* that frame's timestamp: a reader checks it found the same frame */
    uint32_t offset;    /* of the run's first byte in the frame */
    uint32_t len;       /* bytes in the run, at most SHM_STRING_MAX */
};

/* Where the string table lives and how far the analyzer has published it. */
struct shm_strtab_hdr {
    uint64_t entries_off; /* struct shm_string_entry[capacity], from the segment's start */
    uint64_t capacity;    /* a power of two */
    _Alignas(SHM_CACHELINE) _Atomic uint64_t write_seq; /* strings below this are complete */
};

/* Segment 2: analyzer state, counters, then the detail ring, the string table and the tables. */
struct shm_analysis_hdr {
    struct shm_seg_hdr seg;
    uint64_t frames_created_ns; /* created_ns of the frame segment this analysis follows */
    uint32_t link_type;
    uint32_t nprotos;
    uint32_t nevents;
    uint32_t dissect_tables; /* fingerprint of the dissector's field/event/protocol tables: a
                              * viewer built with other tables must not read the field ids */
    uint64_t names_off;      /* struct shm_analysis_names */
    uint64_t flow_off;       /* struct shm_flow[flow_capacity] */
    uint64_t flow_capacity;
    uint64_t series_off; /* struct shm_series_bucket[series_count] */
    uint64_t series_count;
    _Alignas(SHM_CACHELINE) _Atomic uint64_t frames_analyzed;
    _Atomic uint64_t frames_missed; /* lapped by capture before we read them */
    _Atomic uint64_t bytes_analyzed;
    _Atomic uint64_t frames_malformed;
    _Atomic uint64_t next_frame_seq; /* every frame below this has been analyzed or missed */
    _Atomic uint64_t first_ts_ns;    /* timestamp of the first frame analyzed */
    _Atomic uint64_t last_ts_ns;
    _Atomic uint64_t flows_active;
    _Atomic uint64_t flows_total;
    _Atomic uint64_t flows_expired;
    _Atomic uint64_t flows_overflow; /* packets whose flow found no free slot */
    _Atomic uint64_t strings_total;
    _Atomic uint64_t kernel_packets; /* kernel counter totals, joined from segment 1 */
    _Atomic uint64_t kernel_bytes;
    _Atomic uint32_t kernel_status; /* shm_kflow_table_hdr.status */
    _Atomic uint32_t pad1;
    _Atomic uint64_t proto_packets[SHM_PROTO_SLOTS];
    _Atomic uint64_t event_counts[SHM_EVENT_SLOTS];
    _Alignas(SHM_CACHELINE) struct shm_ring_hdr detail;    /* seq = frame seq; full dissection */
    _Alignas(SHM_CACHELINE) struct shm_strtab_hdr strings; /* payload strings */
};

_Static_assert(sizeof(struct shm_string_entry) == 32, "two string entries share a cache line");

_Static_assert(sizeof(struct shm_flow) % SHM_CACHELINE == 0, "flow slots are whole lines");
_Static_assert(sizeof(struct shm_analysis_hdr) <= SHM_HDR_SIZE, "analysis header fits its page");

#endif
