/*
 * flowcount_maps.h — the bytes the eBPF counter (flowcount.bpf.c) and its loader (flowcount.c)
 * exchange through BPF maps.
 *
 * Compiled twice: by clang -target bpf (kernel types) and by the host compiler. It uses only
 * fixed-width __u types so both see the same layout. The key is byte-for-byte struct
 * shm_flow_key from shm/layout.h (which cannot be included here: it needs <stdatomic.h>); the
 * loader asserts that at compile time, so the map's keys can be copied into segment 1 unchanged.
 *
 * Canonical key (the rule the analyzer must follow too):
 *   - addr: IPv4 in bytes 0..3, bytes 4..15 zero; IPv6 all 16 bytes; network byte order.
 *   - ports: host byte order, TCP and UDP only (0 for every other protocol and for IPv4/IPv6
 *     fragments that are not the first one, which carry no L4 header).
 *   - endpoint a is the smaller (addr bytes compared as unsigned bytes, then port) pair; a packet
 *     whose source is a is direction 0 (a->b), otherwise direction 1.
 *   - vlan: id (low 12 bits of the TCI) of the outermost 802.1Q/802.1ad tag, 0 when untagged.
 *   - proto: the IP protocol of the transport header after IPv6 extension headers
 *     (hop-by-hop, routing, fragment, destination options, AH) are skipped.
 * Bytes: wire length of the frame = skb->len plus 4 when the kernel holds the outer VLAN tag
 * out of band (skb->vlan_present). That is the frame length AF_PACKET reports plus the tag that
 * capture re-inserts, i.e. exactly the wire_len the analyzer sees in the ring.
 */
#ifndef PACKRAT_FLOWCOUNT_MAPS_H
#define PACKRAT_FLOWCOUNT_MAPS_H

#include <linux/types.h>

/* Same layout as struct shm_flow_key (40 bytes, no padding). */
struct fc_key {
    __u8 addr_a[16];
    __u8 addr_b[16];
    __u16 port_a;
    __u16 port_b;
    __u16 vlan;
    __u8 ip_version;
    __u8 proto;
};

/* Per-flow counters in the LRU hash, updated with atomic adds when a CPU's cache slot is flushed
 * (several CPUs may flush the same flow at once). [0] a->b, [1] b->a. */
struct fc_value {
    __u64 packets[2];
    __u64 bytes[2];
};

/* Totals, one per CPU (in the per-CPU fc_cache below): summed by the loader. */
struct fc_totals {
    __u64 packets;   /* every frame seen, IP or not */
    __u64 bytes;     /* their wire lengths */
    __u64 non_ip;    /* frames that were not IPv4/IPv6 (or were too short to key) */
    __u64 new_flows; /* flows inserted into the LRU map (minus its live flows = evicted) */
    __u64
        insert_fails; /* a flush found no room for its flow: those counts are in the totals only */
};

/*
 * Per-CPU flow cache in front of the LRU hash (BPF_MAP_TYPE_PERCPU_ARRAY, one value, key 0).
 * A frame whose flow sits in its slot is counted there with plain adds: no hash, no atomic, no
 * shared cache line. A frame of another flow first flushes the slot's counts into the hash, then
 * takes the slot. A flow's count is therefore the hash's plus every CPU's slot for that key.
 * gen is odd while the program flushes the slot and rewrites it for a new flow, and grows by 2
 * each time, so that the reader can tell a slot it copied whole from one it copied mid-rewrite
 * (flowcount.c).
 * An empty slot has key.ip_version 0 (never a keyed flow).
 */
#define FC_CACHE_BITS  8
#define FC_CACHE_SLOTS (1u << FC_CACHE_BITS)

struct fc_slot {
    __u64 gen;
    struct fc_key key; /* at offset 8: compared as five 64-bit words */
    __u64 packets[2];
    __u64 bytes[2];
};

struct fc_cache {
    struct fc_totals totals; /* here rather than in a map of their own: one lookup per frame */
    struct fc_slot slot[FC_CACHE_SLOTS]; /* 20 KiB: under the kernel's 32 KiB per-CPU value cap */
};

#define FC_MAP_ENTRIES_DEFAULT 16384u

#endif
