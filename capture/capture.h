/*
 * capture.h — the pieces of packrat-capture and how they meet.
 *
 * packrat-capture reads frames from one source (AF_PACKET TPACKET_V3, libpcap live, or a capture
 * file) and hands each one to one sink (the shared frame ring of segment 1, or a pcap file for
 * headless -w). Sources know nothing about sinks beyond sink_reserve()/sink_commit(), so every
 * source writes straight into the ring's payload area with no intermediate copy.
 *
 * Everything privileged (opening sockets, mapping the kernel ring, attaching the filter) happens
 * in the *_open functions; the *_run loops work unprivileged after privs_drop().
 */
#ifndef PACKRAT_CAPTURE_H
#define PACKRAT_CAPTURE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/filter.h>
#include <pcap/pcap.h>

#include "shm/frames.h"

#define CAP_ERR_MAX 512

/* Exit statuses: 2 is tcpdump's for a bad filter or bad usage. */
#define CAP_EXIT_OK    0
#define CAP_EXIT_FAIL  1
#define CAP_EXIT_USAGE 2

/* The values are what segment 1's header stores as source_kind (shm/layout.h). */
enum cap_backend {
    CAP_BACKEND_AFPACKET = 1,
    CAP_BACKEND_PCAP = 2,
    CAP_BACKEND_FILE = SHM_SOURCE_KIND_FILE
};
enum cap_direction { CAP_DIR_INOUT = 0, CAP_DIR_IN = 1, CAP_DIR_OUT = 2 };

/*
 * -B default, in MiB: eight 2 MiB blocks (afpacket.c says why 2 MiB). With the old 4 MiB, 1500-byte
 * frames at this machine's full veth rate lost 0.2-9 % (depending on what else ran) whenever
 * capture was briefly descheduled; 16 MiB lost none in the same runs. Small boards can ask for less
 * (-B 2 gives eight 256 KiB blocks).
 */
#define CAP_BUFFER_MIB_DEFAULT 16u

struct cap_opts {
    const char *ifname; /* NULL: pick the default interface */
    const char *read_file;
    const char *write_file;
    const char *session;
    const char *user; /* -Z */
    char *filter;     /* trailing words joined, or NULL */
    enum cap_backend backend;
    enum cap_direction direction;
    uint64_t count;      /* -c, 0 = unlimited */
    uint32_t snaplen;    /* -s */
    uint32_t buffer_mib; /* -B: kernel ring size */
    uint32_t size_mib;   /* --size: the shared frame segment */
    uint32_t block_ms;   /* --block-timeout: TPACKET_V3 block retire timeout */
    bool promisc;
    bool realtime;
    bool hw_timestamps;
    bool keep;   /* leave the segment in /dev/shm at exit */
    bool linger; /* -r: stay alive after end of file until signalled */
    bool no_bpf; /* --no-bpf: no kernel flow counter */
    bool quiet;
};

/* ---- sink: where frames go ------------------------------------------------------------------ */

struct export_writer;

struct sink {
    bool to_ring;
    /* ring */
    struct shm_frames frames;
    uint64_t next_seq;
    /* pcap file */
    pcap_t *dead;
    pcap_dumper_t *dumper;
    uint8_t *buf; /* a frame being assembled for the dumper */
    /* counts, published to the segment header once per batch */
    uint64_t frames_out, bytes, truncated;
    uint64_t kernel_seen, kernel_drops; /* running totals from the source */
    uint32_t if_state, ts_source_last;
    uint64_t limit; /* -c */
    uint64_t last_tick_ns;
    struct flowcount *fc;       /* the kernel flow counter, NULL when off or unavailable */
    struct export_writer *file; /* -w to a file: each record written whole, or the file cut back */
    bool write_failed;          /* the file could not take a record: capture stops, says why */
    char write_err[512];
    uint64_t last_kflow_ns;
};

int sink_open_ring(struct sink *s, const struct cap_opts *o, gid_t gid, uid_t owner, char *err,
                   size_t errlen);
int sink_open_file(struct sink *s, const char *path, int link_type, uint32_t snaplen, uid_t owner,
                   gid_t group, char *err, size_t errlen);
/* Describes the source in the segment header (no-op for a file sink). */
void sink_describe(struct sink *s, int link_type, uint32_t snaplen, const char *ifname,
                   unsigned ifindex, const char *source, const char *filter, unsigned kind);
/* Makes the segment visible to readers. */
void sink_publish(struct sink *s);

/* Space for one frame of len bytes, or NULL when it cannot be stored (over SHM_FRAME_MAX). */
uint8_t *sink_reserve(struct sink *s, uint32_t len);
void sink_commit(struct sink *s, const struct shm_record *meta);
/* End of a batch: publish counters, wake readers. Also heartbeats when >= 50 ms have passed. */
void sink_batch_end(struct sink *s);
/* Call often when idle: heartbeat and counters at most every 50 ms. */
void sink_tick(struct sink *s);
void sink_set_if_state(struct sink *s, uint32_t state);
bool sink_full(const struct sink *s); /* -c reached */
/* Frames no longer in the ring because newer ones overwrote them. */
uint64_t sink_overwritten(const struct sink *s);
int sink_close(struct sink *s, bool unlink_segment, char *err, size_t errlen);

/* ---- frame shaping (frame.c): TPACKET_V3 records to on-the-wire bytes ----------------------- */

/* One validated record of a TPACKET_V3 block. */
struct cap_tframe {
    const uint8_t *data; /* tp_mac */
    uint32_t snaplen;    /* bytes at data */
    uint32_t len;        /* wire length as the kernel saw it (tag stripped) */
    uint32_t status;
    uint64_t ts_ns;
    uint16_t vlan_tci, vlan_tpid;
    bool vlan_valid;
    /* from the sockaddr_ll behind the header */
    uint8_t pkttype;
    uint16_t hatype, protocol; /* protocol in network order as the kernel gives it */
    uint8_t halen;
    const uint8_t *sll_addr; /* 8 bytes, inside the block */
    int ifindex;
};

/*
 * Validates the record at offset off of a block of blk_len bytes (blk_len already checked against
 * the mapping). Fills f and *next (offset of the following record, 0 if none). Returns 0, or -1
 * when the kernel's offsets do not fit the block.
 */
int cap_tframe_parse(const uint8_t *blk, uint32_t blk_len, uint32_t off, struct cap_tframe *f,
                     uint32_t *next);

/* Bytes the frame occupies on the wire and in the ring (after VLAN / SLL header), capped. */
void cap_frame_lengths(const struct cap_tframe *f, bool cooked, uint32_t snaplen, uint32_t *caplen,
                       uint32_t *wire_len);
/* Writes the first caplen bytes of the wire frame into dst; returns SHM_FRAME_* flags. */
uint16_t cap_frame_build(uint8_t *dst, uint32_t caplen, const struct cap_tframe *f, bool cooked);

struct cap_copy_cfg {
    bool cooked;
    uint32_t snaplen; /* 0: no limit */
    enum cap_direction direction;
};

/*
 * Copies the num records of a retired TPACKET_V3 block (blk_len bytes, first record at off) into
 * the sink, each validated first; a record with impossible offsets ends the block and is counted
 * in *bad_records. Returns false once the sink's -c limit is reached. Into the shared ring the
 * records are published in batches (ring_write.h); all of them by the time it returns.
 */
bool cap_block_copy(const uint8_t *blk, uint32_t blk_len, uint32_t off, uint32_t num,
                    const struct cap_copy_cfg *cfg, struct sink *s, uint64_t *bad_records);

/* ---- filter.c ------------------------------------------------------------------------------- */

/*
 * Compiles expr on h (live or file handle). For a cooked (-i any) AF_PACKET socket, rewrites the
 * loads the way the kernel sees a SOCK_DGRAM skb. Fills prog (free with filter_free) and returns
 * 0; on a bad expression returns -1 with libpcap's message and the expression in err.
 */
int filter_compile(pcap_t *h, const char *expr, bool cooked, struct bpf_program *prog, char *err,
                   size_t errlen);
/* Attaches prog to an AF_PACKET socket. */
int filter_attach(int fd, const struct bpf_program *prog, char *err, size_t errlen);
void filter_free(struct bpf_program *prog);

/* ---- privs.c -------------------------------------------------------------------------------- */

#include "privs.h"

/*
 * A live libpcap handle on ifname: pcap_create, configure(ph, ctx), pcap_activate, waiting while
 * the interface is down (until cap_stop). NULL with a message on failure. (live.c)
 */
typedef void (*live_configure_fn)(pcap_t *ph, void *ctx);
pcap_t *live_handle_open(const char *ifname, live_configure_fn configure, void *ctx, char *err,
                         size_t errlen);

/* A live source's interface moved to state (SHM_IF_*): says so once on stderr, keeps it in *cur
 * and publishes it through the sink. Nothing when *cur is already state. (live.c) */
void live_set_if_state(const char *ifname, uint32_t *cur, struct sink *s, uint32_t state);

/* ---- sources -------------------------------------------------------------------------------- */

extern volatile sig_atomic_t cap_stop;

struct afp;
struct afp *afp_open(const struct cap_opts *o, const char *ifname, char *err, size_t errlen,
                     int *status);
int afp_link_type(const struct afp *a);
unsigned afp_ifindex(const struct afp *a);
int afp_run(struct afp *a, struct sink *s, char *err, size_t errlen);
void afp_close(struct afp *a);

struct pcapsrc;
struct pcapsrc *pcapsrc_open_live(const struct cap_opts *o, const char *ifname, char *err,
                                  size_t errlen, int *status);
struct pcapsrc *pcapsrc_open_file(const struct cap_opts *o, char *err, size_t errlen, int *status);
int pcapsrc_link_type(const struct pcapsrc *p);
uint32_t pcapsrc_snaplen(const struct pcapsrc *p);
int pcapsrc_run(struct pcapsrc *p, struct sink *s, char *err, size_t errlen);
void pcapsrc_close(struct pcapsrc *p);

#include "iface.h"

#endif
