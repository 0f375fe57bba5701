/*
 * flowcount.h — exact per-flow packet and byte counts from the kernel (libbpf loader).
 *
 * An eBPF program (flowcount.bpf.c) at tcx ingress and egress of the capture interface counts
 * every frame per canonical flow key (struct shm_flow_key; rule in flowcount_maps.h) in an LRU
 * hash map, whatever later happens to the frame in the capture ring or the socket filter. Capture
 * loads it while still privileged and copies the counters into segment 1's kernel flow table
 * about once a second; readers use kflow_read.h and never touch BPF.
 *
 * Exactly what capture does (and nothing else here is needed); `frames` is capture's own segment 1
 * from shm_frames_create():
 *
 *     // 1. setup, BEFORE the privilege drop (needs CAP_BPF+CAP_NET_ADMIN or root):
 *     struct flowcount *fc = NULL;
 *     char why[256];
 *     if (!no_bpf && flowcount_open(&fc, ifindex, why, sizeof why) != 0) {
 *         fprintf(stderr, "packrat: kernel flow counts off: %s\n", why);  // one line, once
 *         flowcount_publish_unavailable(&frames, why);                    // status 2 + reason
 *     }
 *     // (with --no-bpf do nothing: the table stays status 0 "off")
 *
 *     // 2. in the capture loop, about once a second, AFTER the drop (held fds keep working):
 *     if (fc) flowcount_publish(fc, &frames);
 *
 *     // 3. on every exit path of main (after the signal handler set the stop flag), before
 *     //    shm_frames_close():
 *     flowcount_close(fc);   // idempotent, NULL is fine
 *
 * flowcount_close() frees memory, so it belongs in the exit path a signal handler triggers (by
 * setting a flag), not inside the handler; a second, racing call returns at once. Nothing is
 * lost if it is never reached: see "Detaching" below.
 *
 * What is counted: every skb the interface receives (tcx ingress, after the kernel moved the
 * outer VLAN tag out of band) or sends (tcx egress, before the qdisc, so frames a qdisc drops
 * are counted as sent), one per skb as AF_PACKET sees them (a GRO/GSO super-frame counts once,
 * with its full length). The counter puts itself first in the tcx chain and passes every frame
 * on unchanged, so no other program can hide a frame from it and it changes no verdict.
 * Detaching: with tcx (kernel >= 6.6) the attachments are BPF links owned by fds of this process,
 * so they disappear when the process dies in any way, kill -9 included, with no privilege needed.
 * The TC clsact fallback (older kernels) attaches netlink filters that belong to the interface,
 * not to the process: flowcount_close() removes them only while the process still has
 * CAP_NET_ADMIN, so after the privilege drop, or after kill -9, they stay attached (counting into
 * a map nobody reads) until the next flowcount_open() on that interface removes them (it removes
 * only filters whose program no process holds, so another live capture keeps its own) or
 * `tc filter del dev IF ingress; tc filter del dev IF egress` does. flowcount_mode() tells which.
 */
#ifndef PACKRAT_FLOWCOUNT_H
#define PACKRAT_FLOWCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/frames.h"

struct flowcount;

/* flowcount_open_flags() flags */
#define FLOWCOUNT_FORCE_TC  0x1u /* skip tcx, attach with TC clsact (tests of the fallback) */
#define FLOWCOUNT_HOOK_ONLY 0x2u /* benchmark: attach a program that counts nothing */
#define FLOWCOUNT_NO_BATCH  0x4u /* read the map as kernels < 5.6 must (tests of the fallback) */
#define FLOWCOUNT_NO_CACHE  0x8u /* count in the hash only, as on CPUs without x86's store order */

/*
 * The program's per-CPU flow cache (flowcount_maps.h) is read consistently only when the CPU
 * keeps stores in order (x86's TSO): the program cannot fence on the kernels the TC fallback
 * serves, so elsewhere (arm64, riscv, ...) every frame goes straight to the hash with atomic adds:
 * exact on any CPU, about 20 ns per frame dearer.
 */
#if defined(__x86_64__) || defined(__i386__)
#define FLOWCOUNT_CACHE_SAFE 1
#else
#define FLOWCOUNT_CACHE_SAFE 0
#endif

/*
 * Opens, loads and attaches the counter at ingress and egress of ifindex. Returns 0, or -1 with a
 * one-line reason in err (no bpf() syscall, no permission, kernel too old, interface gone…).
 * Nothing is left attached on failure.
 */
int flowcount_open(struct flowcount **fc, int ifindex, char *err, size_t errlen);
int flowcount_open_flags(struct flowcount **fc, int ifindex, unsigned flags, char *err,
                         size_t errlen);

/*
 * Copies the kernel's counters into frames' kernel flow table (frames must be the writer's,
 * from shm_frames_create) under the table's seqlock, with status 1 "counting". When the map holds
 * more flows than the table's capacity, the flows with the most bytes are published; the totals
 * always cover every frame. Returns the number of flows published or -1 (the table is left as
 * it was, or marked unavailable if the map can no longer be read).
 */
int flowcount_publish(struct flowcount *fc, struct shm_frames *frames);

/* Marks frames' kernel flow table unavailable (status 2) with reason, no entries. */
void flowcount_publish_unavailable(struct shm_frames *frames, const char *reason);

/*
 * The writer half of the table's seqlock, used by the two functions above (and by tests without
 * BPF): lock odd → entries (n clipped to the capacity), count, totals, updated_ns, status, text →
 * lock even. frames must be the writer's.
 */
void flowcount_table_write(struct shm_frames *frames, const struct shm_kflow *entries, size_t n,
                           uint64_t total_packets, uint64_t total_bytes, uint32_t status,
                           const char *text);

/* Detaches everything and frees it. Idempotent: further calls (and NULL) do nothing. */
void flowcount_close(struct flowcount *fc);

/* ---- for tests, tools and the status line ------------------------------------------------ */

struct flowcount_totals {
    uint64_t packets, bytes; /* every frame seen, both directions, IP or not */
    uint64_t non_ip;         /* of which not keyed (not IPv4/IPv6, or too short) */
    uint64_t new_flows;      /* flows ever put in the LRU hash; minus its live ones = evicted */
    uint64_t insert_fails;   /* flushes counted in the totals only: no room for their flow */
};

/* "tcx" or "tc" (clsact fallback); "closed" after flowcount_close. */
const char *flowcount_mode(const struct flowcount *fc);

/*
 * Reads up to cap flows (sorted by key; the LRU hash and every CPU's flow cache merged) into out
 * and the totals into tot (may be NULL). Returns the number of flows read, or -1. Exact when no
 * frames are in flight; otherwise a lower bound of each count, never below the previous read's.
 */
long flowcount_read(struct flowcount *fc, struct shm_kflow *out, size_t cap,
                    struct flowcount_totals *tot);

/* Program ids of the attached ingress and egress programs (for tests: bpftool prog show id). */
void flowcount_prog_ids(const struct flowcount *fc, uint32_t *ingress, uint32_t *egress);

/*
 * Benchmark: loads the counter without attaching it and runs the ingress program on frame repeat
 * times in the kernel (BPF_PROG_TEST_RUN, root only). Each run after the first hits the flow
 * already in the map, as steady traffic does. *ns_per_run is the kernel's average, including the
 * test loop's own overhead: run once more with FLOWCOUNT_HOOK_ONLY and subtract.
 */
int flowcount_bench_prog(const void *frame, size_t len, unsigned repeat, unsigned flags,
                         uint64_t *ns_per_run, char *err, size_t errlen);

#endif
