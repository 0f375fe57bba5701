/*
 * flows.c — bidirectional flow accounting in segment 2.
 *
 * The private index is a linear-probing hash of slot numbers (twice the capacity, so probes stay
 * short), each tagged with bits of its key's hash so a probe reads only its own flow's slot, with
 * backward-shift deletion so expiry leaves no tombstones. Each shared slot is
 * updated under its seqlock so a viewer never copies a half-updated flow. Per-flow state that
 * only the analyzer needs (handshake time for the RTT, highest sequence per direction for the
 * retransmission count) stays private.
 */
#include "flows.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "shm/seqlock.h"

struct flow_private {
    uint64_t syn_ns;      /* time of the SYN, for the handshake RTT */
    uint32_t next_seq[2]; /* highest sequence end seen per direction */
    uint8_t seq_valid[2];
};

struct flow_table {
    struct shm_analysis *a;
    struct shm_analysis_hdr *hdr;
    struct shm_flow *slots;
    uint64_t capacity;
    uint32_t *index; /* 0 = empty, else the key's tag bits above slot_mask, slot + 1 below */
    uint64_t index_mask;
    uint32_t slot_mask; /* 2^n - 1, at least capacity */
    uint32_t *free_slots;
    uint64_t nfree;
    struct flow_private *priv;
    uint64_t next_id;
    uint64_t now_sec;
    int keep_expired;
    struct shm_flow *expired; /* batch mode only */
    size_t nexpired, expired_cap;
};

/* Word i (0..4) of the 40-byte key, as one load. */
static inline uint64_t key_word(const struct shm_flow_key *k, unsigned i)
{
    uint64_t w;
    memcpy(&w, (const uint8_t *)k + 8 * i, sizeof w);
    return w;
}

static uint64_t key_hash(const struct shm_flow_key *k)
{
    /*
     * Five 64-bit words, each multiplied in, then a final mix. Spelled out word by word: as a
     * loop over a copy of the key, GCC at -O2 kept both the copy and the loop (8 instructions a
     * frame more, callgrind).
     */
    const uint64_t m = 0xbf58476d1ce4e5b9ull;
    uint64_t h = 0x9e3779b97f4a7c15ull;
    h = (h ^ key_word(k, 0)) * m;
    h = (h ^ key_word(k, 1)) * m;
    h = (h ^ key_word(k, 2)) * m;
    h = (h ^ key_word(k, 3)) * m;
    h = (h ^ key_word(k, 4)) * m;
    h ^= h >> 31;
    return h * 0x94d049bb133111ebull;
}

/*
 * A key's place in the index: its home position (the hash's low bits) and its tag (the hash's
 * high 32 bits). An index entry keeps the tag's bits above slot_mask next to the slot, so a probe
 * passes over other keys' entries without reading their slots: only an entry whose tag matches
 * (all but about one in 2^18 of other keys' entries differ, at the default capacity) costs a key
 * compare and the slot's cache line.
 */
static inline uint64_t key_home(const struct flow_table *t, uint64_t h)
{
    return h & t->index_mask;
}

static inline uint32_t key_tag(uint64_t h)
{
    return (uint32_t)(h >> 32);
}

/* The slot of a (nonzero) index entry. (64-bit, so &slots[entry_slot()] folds the - 1 into the
 * address.) */
static inline uint64_t entry_slot(const struct flow_table *t, uint32_t e)
{
    return (uint64_t)(e & t->slot_mask) - 1;
}

/* Whether index entry e carries tag: equal above slot_mask, so e ^ tag has no bit set there. */
static inline bool entry_has_tag(const struct flow_table *t, uint32_t e, uint32_t tag)
{
    return (e ^ tag) <= t->slot_mask;
}

/* Enters slot into the index, probing from home. */
static void index_insert(struct flow_table *t, uint32_t slot, uint64_t home, uint32_t tag)
{
    uint64_t i = home;
    while (t->index[i]) i = (i + 1) & t->index_mask;
    t->index[i] = (tag & ~t->slot_mask) | (slot + 1);
}

static inline bool key_equal(const struct shm_flow_key *a, const struct shm_flow_key *b)
{
    /* Five words compared inline (a call to memcmp cost more than the compare), each loaded
     * where it lies rather than through a copy of both keys into arrays. */
    uint64_t diff = key_word(a, 0) ^ key_word(b, 0);
    diff |= key_word(a, 1) ^ key_word(b, 1);
    diff |= key_word(a, 2) ^ key_word(b, 2);
    diff |= key_word(a, 3) ^ key_word(b, 3);
    diff |= key_word(a, 4) ^ key_word(b, 4);
    return diff == 0;
}

/* Index position of k, probing from its home position i; -1 when absent. */
static inline int64_t index_find_from(const struct flow_table *t, const struct shm_flow_key *k,
                                      uint64_t i, uint32_t tag)
{
    for (uint32_t e; (e = t->index[i]) != 0; i = (i + 1) & t->index_mask) {
        if (entry_has_tag(t, e, tag) && key_equal(&t->slots[entry_slot(t, e)].key, k))
            return (int64_t)i;
    }
    return -1;
}

static int64_t index_find(const struct flow_table *t, const struct shm_flow_key *k)
{
    uint64_t h = key_hash(k);
    return index_find_from(t, k, key_home(t, h), key_tag(h));
}

/* Backward-shift deletion: keeps every remaining entry reachable from its home position. */
static void index_remove_at(struct flow_table *t, uint64_t i)
{
    uint64_t j = i;
    for (;;) {
        t->index[i] = 0;
        for (;;) {
            j = (j + 1) & t->index_mask;
            if (!t->index[j]) return;
            uint64_t home = key_home(t, key_hash(&t->slots[entry_slot(t, t->index[j])].key));
            /* Move j back to i unless its home lies cyclically in (i, j]. */
            if (i <= j ? (i < home && home <= j) : (i < home || home <= j)) continue;
            break;
        }
        t->index[i] = t->index[j];
        i = j;
    }
}

struct flow_table *flow_table_new(struct shm_analysis *a)
{
    struct flow_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->a = a;
    t->hdr = a->hdr;
    t->slots = a->flows;
    t->capacity = a->flow_capacity;
    uint64_t n = 1;
    while (n < t->capacity * 2) n <<= 1;
    t->index = calloc(n, sizeof *t->index);
    t->index_mask = n - 1;
    uint64_t m = 1;
    while (m < t->capacity) m = m * 2 + 1;
    t->slot_mask = m < UINT32_MAX ? (uint32_t)m : UINT32_MAX; /* no tag bits left: still correct */
    t->free_slots = calloc(t->capacity, sizeof *t->free_slots);
    t->priv = calloc(t->capacity, sizeof *t->priv);
    if (!t->index || !t->free_slots || !t->priv) {
        flow_table_free(t);
        return NULL;
    }
    /* Re-index what a previous analyzer left; free the rest (highest slot handed out last). */
    uint64_t active = 0;
    for (uint64_t s = t->capacity; s-- > 0;) {
        struct shm_flow *f = &t->slots[s];
        uint64_t lock = atomic_load_explicit(&f->lock, memory_order_relaxed);
        if (lock & 1) atomic_store_explicit(&f->lock, lock + 1, memory_order_release);
        uint64_t h = key_hash(&f->key);
        if (f->id && index_find_from(t, &f->key, key_home(t, h), key_tag(h)) < 0) {
            index_insert(t, (uint32_t)s, key_home(t, h), key_tag(h));
            if (f->id >= t->next_id) t->next_id = f->id;
            active++;
        } else {
            if (f->id) { /* a duplicate key: drop the copy */
                seqlock_write_begin(&f->lock);
                f->id = 0;
                seqlock_write_end(&f->lock);
            }
            t->free_slots[t->nfree++] = (uint32_t)s;
        }
    }
    t->next_id++;
    atomic_store_explicit(&t->hdr->flows_active, active, memory_order_relaxed);
    return t;
}

void flow_table_free(struct flow_table *t)
{
    if (!t) return;
    free(t->index);
    free(t->free_slots);
    free(t->priv);
    free(t->expired);
    free(t);
}

void flow_table_keep_expired(struct flow_table *t)
{
    t->keep_expired = 1;
}

static void remember_expired(struct flow_table *t, const struct shm_flow *f)
{
    if (t->nexpired == t->expired_cap) {
        size_t cap = t->expired_cap ? t->expired_cap * 2 : 1024;
        struct shm_flow *n = realloc(t->expired, cap * sizeof *n);
        if (!n) return;
        t->expired = n;
        t->expired_cap = cap;
    }
    t->expired[t->nexpired++] = *f;
}

/* Clears the history's seconds after hist_sec up to sec (newer than hist_sec) and moves to sec. */
static void hist_slide(struct shm_flow *f, uint64_t sec)
{
    uint64_t gap = sec - f->hist_sec;
    if (f->hist_sec == 0 || gap >= SHM_FLOW_HIST) {
        memset(f->hist_packets, 0, sizeof f->hist_packets);
        memset(f->hist_bytes, 0, sizeof f->hist_bytes);
    } else {
        for (uint64_t s = f->hist_sec + 1; s <= sec; s++) {
            f->hist_packets[s % SHM_FLOW_HIST] = 0;
            f->hist_bytes[s % SHM_FLOW_HIST] = 0;
        }
    }
    f->hist_sec = sec;
}

/* Slides the per-second history forward to sec. Most frames fall in the flow's newest second:
 * that test is inline, the slide a call. */
static inline void hist_advance(struct shm_flow *f, uint64_t sec)
{
    if (sec > f->hist_sec) hist_slide(f, sec);
}

/* Rates from the complete seconds before now_sec. */
static void update_rates(struct shm_flow *f, uint64_t now_sec)
{
    hist_advance(f, now_sec);
    struct shm_flow_rates r = shm_flow_rates_at(f, now_sec);
    f->pps_1s = r.pps_1s;
    f->bps_1s = r.bps_1s;
    f->pps_10s = r.pps_10s;
    f->bps_10s = r.bps_10s;
}

static void tcp_track(struct shm_flow *f, struct flow_private *p, const struct dissection *d,
                      int dir, uint64_t ts_ns)
{
    uint16_t fl = d->m.tcp_flags;
    int from_initiator = (dir == f->initiator);
    if (fl & DISSECT_TCP_RST) {
        f->tcp_state = SHM_TCP_RESET;
    } else if ((fl & DISSECT_TCP_SYN) && !(fl & DISSECT_TCP_ACK)) {
        if (f->tcp_state == SHM_TCP_NONE || f->tcp_state == SHM_TCP_MIDSTREAM) {
            f->tcp_state = SHM_TCP_SYN;
            p->syn_ns = ts_ns;
        }
    } else if ((fl & DISSECT_TCP_SYN) && (fl & DISSECT_TCP_ACK)) {
        if (f->tcp_state <= SHM_TCP_SYN) f->tcp_state = SHM_TCP_SYNACK;
    } else if (fl & DISSECT_TCP_FIN) {
        f->tcp_state = f->tcp_state == SHM_TCP_FIN ? SHM_TCP_CLOSED : SHM_TCP_FIN;
    } else if (fl & DISSECT_TCP_ACK) {
        if (f->tcp_state == SHM_TCP_SYNACK && from_initiator) {
            f->tcp_state = SHM_TCP_ESTABLISHED;
            if (p->syn_ns && ts_ns >= p->syn_ns) {
                f->rtt_ns = ts_ns - p->syn_ns; /* SYN to the handshake's final ACK */
                f->flags |= SHM_FLOW_RTT;
            }
        } else if (f->tcp_state == SHM_TCP_NONE) {
            f->tcp_state = SHM_TCP_MIDSTREAM;
        }
    }
    /* Retransmission: a segment carrying data that ends at or before what this direction
     * already sent (the simple test Wireshark starts from). */
    uint32_t len = d->m.payload_len + ((fl & (DISSECT_TCP_SYN | DISSECT_TCP_FIN)) ? 1 : 0);
    if (len == 0) return;
    uint32_t end = d->m.tcp_seq + len;
    if (p->seq_valid[dir] && (int32_t)(end - p->next_seq[dir]) <= 0 && d->m.payload_len > 0)
        f->retransmissions++;
    else if (!p->seq_valid[dir] || (int32_t)(end - p->next_seq[dir]) > 0)
        p->next_seq[dir] = end;
    p->seq_valid[dir] = 1;
}

void flow_table_lookup_begin(const struct flow_table *t, const struct dissection *d, uint64_t sec,
                             struct flow_lookup *l)
{
    l->valid = dissect_flow_key(d, &l->key, &l->dir);
    if (!l->valid) return;
    l->sec = sec;
    uint64_t h = key_hash(&l->key);
    l->home = key_home(t, h);
    l->tag = key_tag(h);
    __builtin_prefetch(&t->index[l->home]);
}

/*
 * The lines of a slot that flow_table_update_found() touches for a frame of second sec. This and
 * prefetch_for_tick() are always inlined: GCC's IPA pass judges a separate function whose only
 * effect is prefetching to have no effect at all and deletes its calls, which left the lookup
 * without its prefetch (found in the object code; measured: 413 -> 388 ns a frame, 10 pairs).
 */
static inline __attribute__((always_inline)) void prefetch_slot(const struct shm_flow *f,
                                                                uint64_t sec)
{
    __builtin_prefetch(&f->lock, 1);
    __builtin_prefetch(&f->packets, 1);
    __builtin_prefetch(&f->hist_sec, 1);
    __builtin_prefetch(&f->hist_packets[sec % SHM_FLOW_HIST], 1);
    __builtin_prefetch(&f->hist_bytes[sec % SHM_FLOW_HIST], 1);
}

void flow_table_lookup_prefetch(const struct flow_table *t, const struct flow_lookup *l)
{
    if (!l->valid) return;
    /*
     * The slot of the first entry whose tag is the key's: its flow's, but for a rare tag
     * collision. The index is small enough to stay in cache; the slots are not, and the home
     * entry belongs to another flow for about a quarter of the frames (5000 flows here), whose
     * key compare then waited for a line nobody had asked for.
     */
    uint64_t i = l->home;
    for (uint32_t e; (e = t->index[i]) != 0; i = (i + 1) & t->index_mask) {
        if (entry_has_tag(t, e, l->tag)) {
            prefetch_slot(&t->slots[entry_slot(t, e)], l->sec);
            return;
        }
    }
}

uint64_t flow_table_update_found(struct flow_table *t, const struct dissection *d,
                                 const struct flow_lookup *l, uint64_t ts_ns, uint32_t wirelen)
{
    if (!l->valid) return 0;
    int dir = l->dir;
    int64_t at = index_find_from(t, &l->key, l->home, l->tag);
    uint32_t slot;
    struct shm_flow *f;
    if (at >= 0) {
        slot = (uint32_t)entry_slot(t, t->index[at]);
        f = &t->slots[slot];
        seqlock_write_begin(&f->lock);
    } else {
        if (t->nfree == 0) {
            shm_counter_add(&t->hdr->flows_overflow, 1);
            return 0;
        }
        slot = t->free_slots[--t->nfree];
        f = &t->slots[slot];
        seqlock_write_begin(&f->lock);
        /* lock is the first member: clear everything after it. */
        memset((uint8_t *)f + sizeof f->lock, 0, sizeof *f - sizeof f->lock);
        f->id = t->next_id++;
        f->key = l->key;
        f->initiator = (uint8_t)dir;
        f->first_ns = ts_ns;
        memset(&t->priv[slot], 0, sizeof t->priv[slot]);
        index_insert(t, slot, l->home, l->tag); /* hashed once, by lookup_begin */
        shm_counter_add(&t->hdr->flows_active, 1);
        shm_counter_add(&t->hdr->flows_total, 1);
    }
    f->packets[dir]++;
    f->bytes[dir] += wirelen;
    if (ts_ns > f->last_ns) f->last_ns = ts_ns;
    if (d->top > f->app_proto) f->app_proto = d->top;
    uint64_t sec = l->sec;
    hist_advance(f, sec);
    f->hist_packets[sec % SHM_FLOW_HIST]++;
    f->hist_bytes[sec % SHM_FLOW_HIST] += wirelen;
    if (l->key.proto == 6 && d->m.has_ports) tcp_track(f, &t->priv[slot], d, dir, ts_ns);
    seqlock_write_end(&f->lock);
    return f->id;
}

bool flow_table_tick_due(const struct flow_table *t, uint64_t now_ns)
{
    return now_ns / 1000000000ull != t->now_sec;
}

/*
 * The lines of a slot that flow_table_tick() touches in second sec: the state, the last time, the
 * rates and the history's second, and both ends of the ten seconds the rates sum. (The packet
 * path's prefetch_slot() asks for second sec's counts instead, which the rates do not read: with
 * it the tick waited on most of a flow's lines, ~800k cycles a tick for 5000 flows, ~400k now.)
 */
static inline __attribute__((always_inline)) void prefetch_for_tick(const struct shm_flow *f,
                                                                    uint64_t sec)
{
    __builtin_prefetch(&f->lock, 1);
    __builtin_prefetch(&f->last_ns, 1);
    __builtin_prefetch(&f->hist_sec, 1);
    __builtin_prefetch(&f->hist_packets[(sec - 1) % SHM_FLOW_HIST], 1);
    __builtin_prefetch(&f->hist_packets[(sec - 10) % SHM_FLOW_HIST], 1);
    __builtin_prefetch(&f->hist_bytes[(sec - 1) % SHM_FLOW_HIST], 1);
    __builtin_prefetch(&f->hist_bytes[(sec - 10) % SHM_FLOW_HIST], 1);
}

/* How many index entries ahead the tick asks for a slot (at the index's load of ~1/3: ~5 flows). */
#define TICK_PREFETCH_ENTRIES 16

void flow_table_tick(struct flow_table *t, uint64_t now_ns)
{
    uint64_t sec = now_ns / 1000000000ull;
    if (sec == t->now_sec) return;
    t->now_sec = sec;
    for (uint64_t i = 0; i <= t->index_mask;) {
        /* Every active slot is visited once a second: ask for the one a few entries on now, so
         * the misses overlap instead of following one another. */
        uint32_t ahead = t->index[(i + TICK_PREFETCH_ENTRIES) & t->index_mask];
        if (ahead) prefetch_for_tick(&t->slots[entry_slot(t, ahead)], sec);
        if (!t->index[i]) {
            i++;
            continue;
        }
        uint32_t slot = (uint32_t)entry_slot(t, t->index[i]);
        struct shm_flow *f = &t->slots[slot];
        int closed = f->tcp_state == SHM_TCP_CLOSED || f->tcp_state == SHM_TCP_RESET;
        uint64_t idle = closed ? FLOW_CLOSED_IDLE_NS : FLOW_IDLE_NS;
        if (now_ns > f->last_ns && now_ns - f->last_ns > idle) {
            if (t->keep_expired) remember_expired(t, f);
            seqlock_write_begin(&f->lock);
            f->id = 0;
            seqlock_write_end(&f->lock);
            index_remove_at(t, i); /* may pull a later entry into i: look at i again */
            t->free_slots[t->nfree++] = slot;
            shm_counter_add(&t->hdr->flows_active, UINT64_MAX); /* minus one */
            shm_counter_add(&t->hdr->flows_expired, 1);
            continue;
        }
        seqlock_write_begin(&f->lock);
        update_rates(f, sec);
        seqlock_write_end(&f->lock);
        i++;
    }
}

void flow_table_join_kernel(struct flow_table *t, const struct shm_kflow *k, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        int64_t at = index_find(t, &k[i].key);
        if (at < 0) continue;
        struct shm_flow *f = &t->slots[entry_slot(t, t->index[at])];
        seqlock_write_begin(&f->lock);
        memcpy(f->kpackets, k[i].packets, sizeof f->kpackets);
        memcpy(f->kbytes, k[i].bytes, sizeof f->kbytes);
        f->flags |= SHM_FLOW_KERNEL_COUNTS;
        seqlock_write_end(&f->lock);
    }
}

static const char *const tcp_state_names[] = {"-",   "SYN",    "SYN-ACK", "ESTABLISHED",
                                              "FIN", "CLOSED", "RESET",   "MIDSTREAM"};

static int by_id(const void *x, const void *y)
{
    const struct shm_flow *a = *(const struct shm_flow *const *)x;
    const struct shm_flow *b = *(const struct shm_flow *const *)y;
    return (a->id > b->id) - (a->id < b->id);
}

static void print_one(FILE *out, const struct shm_flow *f, uint64_t first, int json)
{
    char a[80], b[80], pbuf[16];
    dissect_fmt_endpoint(&f->key, 0, a, sizeof a);
    dissect_fmt_endpoint(&f->key, 1, b, sizeof b);
    const char *proto = dissect_ip_proto_name(f->key.proto);
    if (!proto) {
        snprintf(pbuf, sizeof pbuf, "IP/%u", f->key.proto);
        proto = pbuf;
    }
    const char *state = f->key.proto == 6 && f->tcp_state < 8 ? tcp_state_names[f->tcp_state] : "-";
    double rel = (double)(f->first_ns - first) / 1e9;
    double dur = (double)(f->last_ns - f->first_ns) / 1e9;
    if (json) {
        fprintf(out,
                "{\"proto\":\"%s\",\"vlan\":%u,\"a\":\"%s\",\"b\":\"%s\","
                "\"packets_ab\":%llu,\"bytes_ab\":%llu,\"packets_ba\":%llu,"
                "\"bytes_ba\":%llu,\"rel_start\":%.9f,\"duration\":%.9f,\"state\":\"%s\","
                "\"retransmissions\":%u",
                proto, f->key.vlan, a, b, (unsigned long long)f->packets[0],
                (unsigned long long)f->bytes[0], (unsigned long long)f->packets[1],
                (unsigned long long)f->bytes[1], rel, dur, state, f->retransmissions);
        if (f->flags & SHM_FLOW_RTT) fprintf(out, ",\"rtt\":%.9f", (double)f->rtt_ns / 1e9);
        if (f->flags & SHM_FLOW_KERNEL_COUNTS)
            fprintf(out,
                    ",\"kernel_packets_ab\":%llu,\"kernel_bytes_ab\":%llu,"
                    "\"kernel_packets_ba\":%llu,\"kernel_bytes_ba\":%llu",
                    (unsigned long long)f->kpackets[0], (unsigned long long)f->kbytes[0],
                    (unsigned long long)f->kpackets[1], (unsigned long long)f->kbytes[1]);
        fputs("}\n", out);
        return;
    }
    fprintf(out, "%-7s %-47s %-47s %9llu %11llu %9llu %11llu %9.6f %9.6f %-11s", proto, a, b,
            (unsigned long long)f->packets[0], (unsigned long long)f->bytes[0],
            (unsigned long long)f->packets[1], (unsigned long long)f->bytes[1], rel, dur, state);
    if (f->flags & SHM_FLOW_KERNEL_COUNTS) {
        unsigned long long kp = f->kpackets[0] + f->kpackets[1];
        unsigned long long cp = f->packets[0] + f->packets[1];
        fprintf(out, " kernel %llu pkts (%lld not captured)", kp, (long long)(kp - cp));
    }
    fputc('\n', out);
}

void flow_table_print(struct flow_table *t, FILE *out, int json)
{
    /* Live and expired flows in order of their first packet, like tshark's conversations. */
    size_t n = 0;
    const struct shm_flow **all = malloc((t->capacity + t->nexpired + 1) * sizeof *all);
    if (!all) return;
    for (uint64_t s = 0; s < t->capacity; s++)
        if (t->slots[s].id) all[n++] = &t->slots[s];
    for (size_t i = 0; i < t->nexpired; i++) all[n++] = &t->expired[i];
    qsort(all, n, sizeof *all, by_id);
    uint64_t first = UINT64_MAX;
    for (size_t i = 0; i < n; i++)
        if (all[i]->first_ns < first) first = all[i]->first_ns;
    if (!json)
        fprintf(out, "%-7s %-47s %-47s %9s %11s %9s %11s %9s %9s %-11s\n", "proto", "A", "B",
                "pkts A>B", "bytes A>B", "pkts B>A", "bytes B>A", "rel start", "duration", "state");
    for (size_t i = 0; i < n; i++) print_one(out, all[i], first, json);
    free(all);
    unsigned long long ov = atomic_load(&t->hdr->flows_overflow);
    if (ov && !json)
        fprintf(out, "(%llu packets belonged to flows beyond the table's capacity)\n", ov);
}
