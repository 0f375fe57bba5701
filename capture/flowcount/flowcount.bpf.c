/*
 * flowcount.bpf.c — packrat's in-kernel flow counter.
 *
 * Attached at tcx (or TC clsact) ingress and egress of the capture interface, it sees every frame
 * the interface receives or sends, whatever the capture ring or the socket filter does with it
 * later, and adds its wire length to a per-flow counter keyed by the canonical bidirectional flow
 * key (see flowcount_maps.h for the exact rule the analyzer shares), plus per-CPU totals of
 * everything including non-IP frames. The per-flow counters live in an LRU hash fronted by a small
 * direct-mapped per-CPU cache: a frame of a flow already in its CPU's slot costs a few plain adds,
 * where a hash lookup with atomic adds cost about 30 ns (BPF_PROG_TEST_RUN: 38 -> 14 ns per IPv4
 * frame), which is most of the 50 ns a frame may cost for the counter to stay on by default. It
 * never changes the packet and always returns TCX_NEXT (-1): under tcx that lets the next program
 * run; under clsact it is TC_ACT_UNSPEC, which cls_bpf in direct-action mode treats as "continue
 * with the next filter", so a counter never overrides someone else's verdict (TC_ACT_OK would skip
 * later filters).
 *
 * Header bytes are read directly from the linear part of the skb when they are there (the common
 * case, cheap) and with bpf_skb_load_bytes() otherwise (GRO'd or paged skbs), so a frame is never
 * mis-keyed just because its headers straddle a page.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "flowcount_maps.h"

#define FC_VERDICT     (-1) /* TCX_NEXT == TC_ACT_UNSPEC: see the comment at the top */
#define ETH_P_8021Q_   0x8100
#define ETH_P_8021AD_  0x88A8
#define ETH_P_IP_      0x0800
#define ETH_P_IPV6_    0x86DD
#define MAX_VLAN_TAGS  2
#define MAX_V6_EXT_HDR 6
#define HDR_DIRECT_MAX 1024 /* offsets beyond this always go through bpf_skb_load_bytes */

/* Set by the loader before load: 1 when frames start with an Ethernet header (Ethernet, veth,
 * loopback), 0 for devices whose frames start at the IP header (tun, wireguard, PPP). */
const volatile __u8 l2_ethernet = 1;
/* Set only by the benchmark: count nothing, so that the cost of the hook itself is measured. */
const volatile __u8 hook_only = 0;
/* Set by the loader: 1 to count through the per-CPU flow cache (where the CPU's store order makes
 * it safe to read, see flowcount.h), 0 to go to the hash for every frame. */
const volatile __u8 cache_flows = 1;
/* Set by the loader: 0 on loopback, where every frame leaves through egress and comes back
 * through ingress of the same device. Capture keeps only the incoming copy (as tcpdump does), so
 * the counter counts each frame once, at ingress. */
const volatile __u8 count_egress = 1;

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, FC_MAP_ENTRIES_DEFAULT); /* the loader may resize before load */
    __type(key, struct fc_key);
    __type(value, struct fc_value);
} flows SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct fc_cache);
} cache SEC(".maps");

/* Keeps the compiler from moving slot stores across the gen updates (see fc_slot). */
#define compiler_barrier() asm volatile("" ::: "memory")

/*
 * Copies len header bytes at off into buf (len a compile-time constant, a multiple of 2). The
 * casts tell clang it may copy in 16- or 32-bit words instead of byte by byte: the header
 * structs are naturally aligned on the stack, and packet loads need no alignment on the
 * architectures whose JITs packrat targets (the verifier enforces this where it matters).
 */
static __always_inline int hdr(struct __sk_buff *skb, __u32 off, void *buf, __u32 len)
{
    void *data = (void *)(long)skb->data;
    void *end = (void *)(long)skb->data_end;
    if (off <= HDR_DIRECT_MAX && data + off + len <= end) {
        if (len % 4 == 0)
            __builtin_memcpy((__u32 *)buf, (const __u32 *)(data + off), len);
        else
            __builtin_memcpy((__u16 *)buf, (const __u16 *)(data + off), len);
        return 0;
    }
    return bpf_skb_load_bytes(skb, off, buf, len);
}

/* a < b for two big-endian 32-bit words compared as bytes. */
static __always_inline int cmp32(__u32 a_be, __u32 b_be)
{
    __u32 a = bpf_ntohl(a_be), b = bpf_ntohl(b_be);
    return a < b ? -1 : a > b;
}

struct v4hdr {
    __u8 vihl;
    __u8 tos;
    __u16 tot_len;
    __u16 id;
    __u16 frag_off;
    __u8 ttl;
    __u8 proto;
    __u16 csum;
    __u32 saddr;
    __u32 daddr;
};

struct v6hdr {
    __u32 vtcfl;
    __u16 plen;
    __u8 nexthdr;
    __u8 hlim;
    __u32 saddr[4];
    __u32 daddr[4];
};

/* Returns 1 when a (source) is the smaller endpoint, i.e. the frame goes a->b (direction 0). */
static __always_inline int src_is_a(const __u32 *s, const __u32 *d, int words, __u16 sport,
                                    __u16 dport)
{
#pragma unroll
    for (int i = 0; i < 4; i++) {
        if (i >= words) break;
        int c = cmp32(s[i], d[i]);
        if (c) return c < 0;
    }
    return sport <= dport;
}

/* Cache slot of a key: the key's 32-bit words folded and spread by a multiplicative hash (only
 * the top bits are used, and they depend on every input bit). Cheap, not a defence against
 * chosen collisions; a collision costs a flush, not a count. */
static __always_inline __u32 slot_of(const struct fc_key *k)
{
    const __u32 *w = (const __u32 *)k;
    __u32 h = w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[4] ^ w[5] ^ w[6] ^ w[7] ^ w[8] ^ w[9];
    return (h * 0x9E3779B1u) >> (32 - FC_CACHE_BITS);
}

static __always_inline int same_key(const struct fc_key *a, const struct fc_key *b)
{
    const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

/* Moves a slot's counts into the LRU hash. Several CPUs may flush the same flow at once, hence
 * the atomic adds and the insert race handled below. */
static __always_inline void flush(struct fc_slot *s, struct fc_totals *t)
{
    struct fc_value *v = bpf_map_lookup_elem(&flows, &s->key);
    if (!v) {
        struct fc_value nv = {
            .packets = {s->packets[0], s->packets[1]},
            .bytes = {s->bytes[0], s->bytes[1]},
        };
        if (bpf_map_update_elem(&flows, &s->key, &nv, BPF_NOEXIST) == 0) {
            t->new_flows++;
            return;
        }
        /* Another CPU inserted the same flow between our lookup and update. */
        v = bpf_map_lookup_elem(&flows, &s->key);
        if (!v) {
            t->insert_fails++;
            return;
        }
    }
    /* A locked add costs ~6 ns even when it adds 0, and a slot often saw one direction only. */
    if (s->packets[0]) {
        __sync_fetch_and_add(&v->packets[0], s->packets[0]);
        __sync_fetch_and_add(&v->bytes[0], s->bytes[0]);
    }
    if (s->packets[1]) {
        __sync_fetch_and_add(&v->packets[1], s->packets[1]);
        __sync_fetch_and_add(&v->bytes[1], s->bytes[1]);
    }
}

static __always_inline void count(struct __sk_buff *skb)
{
    if (hook_only) return; /* a load-time constant: the verifier removes the dead branch */
    __u32 zero = 0;
    struct fc_cache *c = bpf_map_lookup_elem(&cache, &zero);
    if (!c) return; /* cannot happen for an array map; the verifier wants the check */
    struct fc_totals *t = &c->totals;

    /* Wire length: the kernel may hold the outer VLAN tag out of band (always at ingress after
     * skb_vlan_untag(), at egress when the device offloads tag insertion). AF_PACKET reports
     * skb->len and capture re-inserts the tag, so add its 4 bytes here too. */
    __u32 vlan_oob = skb->vlan_present;
    __u64 wire = (__u64)skb->len + (vlan_oob ? 4 : 0);
    t->packets++; /* per-CPU value: no other CPU writes it, no atomic needed */
    t->bytes += wire;

    struct fc_key k __attribute__((aligned(8))) = {};
    __u32 off = 0;
    __u16 proto;

    if (l2_ethernet) {
        __u16 ethertype;
        if (hdr(skb, 12, &ethertype, 2)) goto non_ip;
        proto = bpf_ntohs(ethertype);
        off = 14;
        int tags = 0;
        if (vlan_oob) {
            k.vlan = skb->vlan_tci & 0x0fff;
            tags = 1;
        }
#pragma unroll
        for (int i = 0; i < MAX_VLAN_TAGS; i++) {
            if (proto != ETH_P_8021Q_ && proto != ETH_P_8021AD_) break;
            if (tags >= MAX_VLAN_TAGS) goto non_ip; /* deeper stacks are not keyed */
            __u16 tag[2];
            if (hdr(skb, off, tag, 4)) goto non_ip;
            if (!tags) k.vlan = bpf_ntohs(tag[0]) & 0x0fff;
            proto = bpf_ntohs(tag[1]);
            off += 4;
            tags++;
        }
        if (proto == ETH_P_8021Q_ || proto == ETH_P_8021AD_) goto non_ip;
    } else {
        proto = bpf_ntohs(skb->protocol);
    }

    __u16 ports[2] = {0, 0};
    int dir;
    if (proto == ETH_P_IP_) {
        struct v4hdr ip;
        if (hdr(skb, off, &ip, sizeof ip)) goto non_ip;
        __u32 ihl = (ip.vihl & 0x0f) * 4;
        if ((ip.vihl >> 4) != 4 || ihl < 20) goto non_ip;
        k.ip_version = 4;
        k.proto = ip.proto;
        /* Only the first fragment carries the L4 header. */
        if ((ip.proto == IPPROTO_TCP || ip.proto == IPPROTO_UDP) &&
            !(bpf_ntohs(ip.frag_off) & 0x1fff) && hdr(skb, off + ihl, ports, 4) == 0) {
            ports[0] = bpf_ntohs(ports[0]);
            ports[1] = bpf_ntohs(ports[1]);
        } else {
            ports[0] = ports[1] = 0;
        }
        int a_first = src_is_a(&ip.saddr, &ip.daddr, 1, ports[0], ports[1]);
        dir = !a_first;
        __u32 *aa = (__u32 *)k.addr_a, *ab = (__u32 *)k.addr_b;
        aa[0] = a_first ? ip.saddr : ip.daddr;
        ab[0] = a_first ? ip.daddr : ip.saddr;
    } else if (proto == ETH_P_IPV6_) {
        struct v6hdr ip;
        if (hdr(skb, off, &ip, sizeof ip)) goto non_ip;
        if ((bpf_ntohl(ip.vtcfl) >> 28) != 6) goto non_ip;
        k.ip_version = 6;
        __u8 nh = ip.nexthdr;
        __u32 l4 = off + 40;
        int have_l4 = 1;
#pragma unroll
        for (int i = 0; i < MAX_V6_EXT_HDR; i++) {
            __u8 ext[4];
            if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
                nh != IPPROTO_FRAGMENT && nh != IPPROTO_AH)
                break;
            if (hdr(skb, l4, ext, 4)) {
                have_l4 = 0;
                break;
            }
            if (nh == IPPROTO_FRAGMENT) {
                /* A non-first fragment has no L4 header; the first one does. */
                if (bpf_ntohs(*(__u16 *)&ext[2]) & 0xfff8) have_l4 = 0;
                nh = ext[0];
                l4 += 8;
            } else if (nh == IPPROTO_AH) {
                nh = ext[0];
                l4 += ((__u32)ext[1] + 2) * 4;
            } else {
                nh = ext[0];
                l4 += ((__u32)ext[1] + 1) * 8;
            }
        }
        k.proto = nh;
        if (have_l4 && (nh == IPPROTO_TCP || nh == IPPROTO_UDP) && hdr(skb, l4, ports, 4) == 0) {
            ports[0] = bpf_ntohs(ports[0]);
            ports[1] = bpf_ntohs(ports[1]);
        } else {
            ports[0] = ports[1] = 0;
        }
        int a_first = src_is_a(ip.saddr, ip.daddr, 4, ports[0], ports[1]);
        dir = !a_first;
        __builtin_memcpy(k.addr_a, a_first ? ip.saddr : ip.daddr, 16);
        __builtin_memcpy(k.addr_b, a_first ? ip.daddr : ip.saddr, 16);
    } else {
        goto non_ip;
    }
    k.port_a = dir ? ports[1] : ports[0];
    k.port_b = dir ? ports[0] : ports[1];
    dir &= 1;

    if (!cache_flows) { /* straight to the hash, with atomic adds: exact on any CPU */
        struct fc_value *v = bpf_map_lookup_elem(&flows, &k);
        if (!v) {
            struct fc_value nv = {};
            nv.packets[dir] = 1;
            nv.bytes[dir] = wire;
            if (bpf_map_update_elem(&flows, &k, &nv, BPF_NOEXIST) == 0) {
                t->new_flows++;
                return;
            }
            v = bpf_map_lookup_elem(&flows, &k); /* another CPU inserted it meanwhile */
            if (!v) {
                t->insert_fails++;
                return;
            }
        }
        __sync_fetch_and_add(&v->packets[dir], 1);
        __sync_fetch_and_add(&v->bytes[dir], wire);
        return;
    }
    struct fc_slot *s = &c->slot[slot_of(&k)];
    if (same_key(&s->key, &k)) {
        s->packets[dir] += 1; /* per-CPU slot: plain adds */
        s->bytes[dir] += wire;
        return;
    }
    /* gen goes odd before the flush: a reader that sees the flushed counts in the hash then
     * sees this slot as changing, never its old key with the same counts still in it. */
    __u64 g = s->gen;
    s->gen = g + 1;
    compiler_barrier();
    if (s->key.ip_version) flush(s, t);
    __builtin_memcpy(&s->key, &k, sizeof k);
    s->packets[dir] = 1;
    s->packets[!dir] = 0;
    s->bytes[dir] = wire;
    s->bytes[!dir] = 0;
    compiler_barrier();
    s->gen = g + 2;
    return;

non_ip:
    t->non_ip++;
}

SEC("tc")
int flowcount_ingress(struct __sk_buff *skb)
{
    count(skb);
    return FC_VERDICT;
}

SEC("tc")
int flowcount_egress(struct __sk_buff *skb)
{
    if (count_egress) count(skb);
    return FC_VERDICT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
