/*
 * test_analyzer_flows.c — the flow table against a reference model: many flows, both
 * directions, expiry with backward-shift deletion in the index, a full table (overflow
 * counted), a restarted analyzer re-indexing the slots it inherits, and strings extraction.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyzer/core.h"
#include "analyzer/cpu.h"
#include "analyzer/strings.h"

static struct shm_analysis A;
static char session[64];

static void make(uint64_t capacity)
{
    char err[SHM_ERR_MAX];
    snprintf(session, sizeof session, "test-flows-%d", (int)getpid());
    struct shm_analysis_config cfg = {
        .detail_bytes = 256 << 10, .strings_bytes = 64 << 10, .flow_capacity = capacity};
    cr_assert_eq(shm_analysis_create(&A, session, &cfg, (gid_t)-1, err, sizeof err), 0, "%s", err);
}

static void teardown(void)
{
    shm_analysis_close(&A, true);
}

/* A UDP/IPv4 Ethernet frame from 10.0.x.y:sport to 10.1.0.1:53. */
static uint32_t udp_frame(uint8_t *f, unsigned host, uint16_t sport, int reply)
{
    static const uint8_t tmpl[42] = {2,    0, 0,  0,  0, 1, 2, 0, 0,  0,  0, 2, 0x08, 0x00,
                                     0x45, 0, 0,  28, 0, 0, 0, 0, 64, 17, 0, 0, 10,   0,
                                     0,    0, 10, 1,  0, 1, 0, 0, 0,  53, 0, 8, 0,    0};
    memcpy(f, tmpl, sizeof tmpl);
    uint8_t src[4] = {10, 0, (uint8_t)(host >> 8), (uint8_t)host}, dst[4] = {10, 1, 0, 1};
    memcpy(f + 26, reply ? dst : src, 4);
    memcpy(f + 30, reply ? src : dst, 4);
    uint16_t sp = reply ? 53 : sport, dp = reply ? sport : 53;
    f[34] = (uint8_t)(sp >> 8), f[35] = (uint8_t)sp, f[36] = (uint8_t)(dp >> 8),
    f[37] = (uint8_t)dp;
    return 42;
}

static void feed(struct analyzer *an, unsigned host, int reply, uint64_t ts, uint64_t seq)
{
    uint8_t f[64];
    struct shm_record m = {.seq = seq, .ts_ns = ts};
    m.len = m.wire_len = udp_frame(f, host, (uint16_t)(1000 + host), reply);
    analyzer_frame(an, &m, f, 1);
}

static uint64_t flow_packets(unsigned host, int dir)
{
    for (uint64_t i = 0; i < A.flow_capacity; i++) {
        struct shm_flow f;
        if (!shm_flow_read(&A, i, &f)) continue;
        const uint8_t *addr = f.key.addr_a[1] == 0 ? f.key.addr_a : f.key.addr_b;
        if (addr[2] == (uint8_t)(host >> 8) && addr[3] == (uint8_t)host && f.key.proto == 17) {
            int host_is_a = f.key.addr_a[1] == 0;
            return f.packets[host_is_a ? dir : 1 - dir];
        }
    }
    return UINT64_MAX;
}

TestSuite(flows, .fini = teardown);

Test(flows, counts_match_a_reference_model_through_expiry)
{
    make(512);
    static struct analyzer an;
    struct analyzer_config cfg = {0};
    cr_assert_eq(analyzer_init(&an, &A, &cfg, 1), 0);
    enum { HOSTS = 400 };
    static uint64_t model[HOSTS][2], last_seen[HOSTS];
    uint64_t ts = 1000ull * 1000000000ull, seq = 0;
    uint64_t x = 12345;
    for (int round = 0; round < 40; round++) {
        /* A changing working set: some hosts go idle long enough to expire. */
        for (int i = 0; i < 2000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            unsigned host = (unsigned)(x % 100) + (unsigned)(round % 4) * 100;
            int reply = (x >> 20) & 1;
            uint64_t t = ts + (uint64_t)i * 1000000ull;
            if (last_seen[host] && t - last_seen[host] > FLOW_IDLE_NS + 1000000000ull)
                model[host][0] = model[host][1] = 0; /* it expired: a new flow starts */
            feed(&an, host, reply, t, seq++);
            model[host][reply]++;
            last_seen[host] = t;
        }
        ts += 61ull * 1000000000ull;  /* every 4th round a host set has been idle > 120 s */
        feed(&an, 399, 0, ts, seq++); /* a tick at the new time expires idle flows */
        model[399][0]++;
        last_seen[399] = ts;
        analyzer_flush(&an); /* the last frame's flow is accounted during the next one */
        for (unsigned h = 0; h < HOSTS; h++) {
            if (!last_seen[h]) continue;
            uint64_t idle = ts - last_seen[h];
            uint64_t p0 = flow_packets(h, 0), p1 = flow_packets(h, 1);
            if (idle > FLOW_IDLE_NS + 2000000000ull) {
                cr_assert_eq(p0, UINT64_MAX, "host %u idle %llus should have expired", h,
                             (unsigned long long)(idle / 1000000000ull));
                model[h][0] = model[h][1] = 0;
            } else if (idle < FLOW_IDLE_NS - 2000000000ull) {
                cr_assert_eq(p0, model[h][0], "round %d host %u a->b: %llu vs model %llu", round, h,
                             (unsigned long long)p0, (unsigned long long)model[h][0]);
                cr_assert_eq(p1, model[h][1], "round %d host %u b->a", round, h);
            }
        }
    }
    cr_assert_gt(atomic_load(&A.hdr->flows_expired), 100);
    cr_assert_eq(atomic_load(&A.hdr->flows_overflow), 0);
    analyzer_fini(&an);
}

Test(flows, a_full_table_counts_overflow_and_keeps_existing_flows)
{
    make(64);
    static struct analyzer an;
    struct analyzer_config cfg = {0};
    cr_assert_eq(analyzer_init(&an, &A, &cfg, 1), 0);
    uint64_t ts = 5000ull * 1000000000ull;
    for (unsigned h = 0; h < 100; h++) feed(&an, h, 0, ts, h);
    /* 99 frames are accounted; the 100th waits for the next frame (or a flush). */
    cr_assert_eq(atomic_load(&A.hdr->flows_active), 64);
    cr_assert_eq(atomic_load(&A.hdr->flows_overflow), 35);
    analyzer_flush(&an);
    cr_assert_eq(atomic_load(&A.hdr->flows_overflow), 36);
    feed(&an, 5, 1, ts, 200);
    analyzer_flush(&an);
    cr_assert_eq(flow_packets(5, 1), 1);
    analyzer_fini(&an);
}

Test(flows, a_restarted_analyzer_continues_the_same_flows)
{
    make(128);
    static struct analyzer an;
    struct analyzer_config cfg = {0};
    cr_assert_eq(analyzer_init(&an, &A, &cfg, 1), 0);
    uint64_t ts = 7000ull * 1000000000ull;
    for (unsigned i = 0; i < 300; i++) feed(&an, i % 30, i % 2, ts + i, i);
    analyzer_fini(&an); /* the first analyzer is gone; the slots stay */
    static struct analyzer an2;
    cr_assert_eq(analyzer_init(&an2, &A, &cfg, 1), 0);
    cr_assert_eq(atomic_load(&A.hdr->flows_active), 30);
    for (unsigned i = 0; i < 30; i++) feed(&an2, i, 0, ts + 1000 + i, 300 + i);
    analyzer_flush(&an2);
    cr_assert_eq(atomic_load(&A.hdr->flows_active), 30, "no duplicate flows after restart");
    /* Host 7 sent nothing before (i % 30 == 7 means odd i: replies only), one packet after. */
    cr_assert_eq(flow_packets(7, 0), 1);
    cr_assert_eq(flow_packets(7, 1), 10);
    cr_assert_eq(flow_packets(8, 0), 11);
    analyzer_fini(&an2);
}

struct collected {
    const uint8_t *bytes;
    char text[8][64];
    uint32_t off[8];
    int n;
};

/*
 * Every strings test runs once per implementation strings_scan() can choose: the baseline and,
 * where this CPU has it, AVX2 (skipped, and reported as skipped, where it does not).
 */
#define EACH_SCAN(body)                                                                            \
    Test(flows, body##_baseline)                                                                   \
    {                                                                                              \
        make(16);                                                                                  \
        cpu_use_baseline(true);                                                                    \
        body();                                                                                    \
    }                                                                                              \
    Test(flows, body##_avx2)                                                                       \
    {                                                                                              \
        make(16);                                                                                  \
        if (!cpu_avx2()) cr_skip_test("this CPU has no AVX2");                                     \
        body();                                                                                    \
    }

static void collect(void *ctx, const struct strings_found *found, unsigned n)
{
    struct collected *c = ctx;
    for (unsigned k = 0; k < n && c->n < 8; k++) {
        snprintf(c->text[c->n], sizeof c->text[0], "%.*s", (int)found[k].len,
                 (const char *)c->bytes + found[k].offset);
        c->off[c->n++] = found[k].offset;
    }
}

static void strings_are_printable_runs_of_the_minimum_length(void)
{
    const uint8_t bytes[] = "\x01\x02GET /index\x00ab\x00\x7f"
                            "abcd\xff"
                            "xyz";
    struct collected c = {.bytes = bytes};
    unsigned n = strings_scan(bytes, 0, sizeof bytes - 1, 4, collect, &c);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(c.text[0], "GET /index");
    cr_assert_eq(c.off[0], 2);
    cr_assert_str_eq(c.text[1], "abcd");
    /* A run longer than a record is cut into pieces, none lost. */
    static uint8_t longrun[SHM_STRING_MAX * 2 + 10];
    memset(longrun, 'a', sizeof longrun);
    struct collected c2 = {.bytes = longrun};
    cr_assert_eq(strings_scan(longrun, 0, sizeof longrun, 4, collect, &c2), 3);
    cr_assert_eq(c2.off[1], SHM_STRING_MAX);
}
EACH_SCAN(strings_are_printable_runs_of_the_minimum_length)

/* The reference: every maximal printable run (ASCII 0x20..0x7e and tab), cut into record-sized
 * pieces, the way strings(1) would find them byte by byte. */
static int ref_printable(uint8_t c)
{
    return (c >= 0x20 && c < 0x7f) || c == '\t';
}

struct runs {
    uint32_t off[4096], len[4096];
    int n;
};

static void record_run(struct runs *r, uint32_t offset, uint32_t len)
{
    if (r->n < 4096) r->off[r->n] = offset, r->len[r->n++] = len;
}

static void record_found(void *ctx, const struct strings_found *found, unsigned n)
{
    cr_assert_gt(n, 0, "an empty batch");
    for (unsigned k = 0; k < n; k++) record_run(ctx, found[k].offset, found[k].len);
}

static void reference_scan(const uint8_t *b, uint32_t from, uint32_t to, uint32_t min_len,
                           struct runs *r)
{
    uint32_t i = from;
    while (i < to) {
        if (!ref_printable(b[i])) {
            i++;
            continue;
        }
        uint32_t end = i;
        while (end < to && ref_printable(b[end])) end++;
        for (uint32_t s = i; end - s >= min_len;) {
            uint32_t len = end - s < SHM_STRING_MAX ? end - s : SHM_STRING_MAX;
            record_run(r, s, len);
            s += len;
        }
        i = end;
    }
}

static void strings_scan_agrees_with_a_byte_by_byte_reference(void)
{
    static uint8_t buf[3000];
    static struct runs got, want;
    uint64_t x = 0x1234567;
    for (int round = 0; round < 4000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t len = (uint32_t)(x % sizeof buf);
        unsigned density = (unsigned)((x >> 12) % 100); /* percent printable */
        for (uint32_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            unsigned roll = (unsigned)(x % 100);
            uint8_t c = (uint8_t)(x >> 24);
            if (roll < density)
                c = (x >> 40) % 16 == 0 ? '\t' : (uint8_t)(0x20 + (x >> 32) % 95);
            else if (ref_printable(c))
                c = (x >> 40) % 2 ? 0x7f : 0x00;
            buf[i] = c;
        }
        uint32_t from = len ? (uint32_t)((x >> 8) % (len / 4 + 1)) : 0;
        uint32_t to = len - (len ? (uint32_t)((x >> 20) % (len / 4 + 1)) : 0);
        if (to < from) to = from;
        uint32_t min_len = 1 + (uint32_t)((x >> 30) % 8);
        got.n = want.n = 0;
        strings_scan(buf, from, to, min_len, record_found, &got);
        reference_scan(buf, from, to, min_len, &want);
        cr_assert_eq(got.n, want.n, "round %d (len %u, density %u%%, min %u): %d runs, want %d",
                     round, len, density, min_len, got.n, want.n);
        for (int k = 0; k < got.n; k++) {
            cr_assert_eq(got.off[k], want.off[k], "round %d run %d offset", round, k);
            cr_assert_eq(got.len[k], want.len[k], "round %d run %d length", round, k);
        }
    }
}
EACH_SCAN(strings_scan_agrees_with_a_byte_by_byte_reference)

/* Scans bytes[from, to) both ways and asserts the same runs; what names the case on failure. */
static void expect_reference(const uint8_t *b, uint32_t from, uint32_t to, uint32_t min_len,
                             const char *what, unsigned a, unsigned c)
{
    static struct runs got, want;
    got.n = want.n = 0;
    unsigned n = strings_scan(b, from, to, min_len, record_found, &got);
    reference_scan(b, from, to, min_len, &want);
    cr_assert_eq(got.n, want.n, "%s %u/%u [%u, %u) min %u: %d runs, want %d", what, a, c, from, to,
                 min_len, got.n, want.n);
    cr_assert_eq(n, (unsigned)got.n, "%s %u/%u: returned count", what, a, c);
    for (int k = 0; k < got.n; k++) {
        cr_assert_eq(got.off[k], want.off[k], "%s %u/%u min %u: run %d offset", what, a, c, min_len,
                     k);
        cr_assert_eq(got.len[k], want.len[k], "%s %u/%u min %u: run %d length", what, a, c, min_len,
                     k);
    }
}

/*
 * The SSE2 scan works on 64-byte blocks that overlap by min_len - 1 bytes and treats the last
 * block apart, so a run's place relative to those blocks matters: one run at every start and of
 * every length up to two blocks, ending at to or short of it, for minimums on both sides of the
 * 16-byte window cap, over a binary background and over one dense with shorter runs.
 */
static void strings_scan_finds_runs_at_every_block_alignment(void)
{
    static const uint32_t mins[] = {1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 64};
    static uint8_t buf[256];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int dense = 0; dense < 2; dense++) {
        for (uint32_t start = 0; start < 150; start++) {
            for (uint32_t len = 1; len <= 130 && start + len <= sizeof buf; len++) {
                for (uint32_t k = 0; k < sizeof buf; k++) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    /* dense: printable but for every fourth byte or so */
                    buf[k] = dense && x % 4 ? (uint8_t)(0x21 + (x >> 8) % 94)
                                            : (uint8_t)(x >> 16) | 0x80;
                }
                memset(buf + start, 'a', len);
                if (start) buf[start - 1] = 0;
                uint32_t end = start + len;
                if (end < sizeof buf) buf[end] = 0;
                uint32_t from = start >= 3 ? start - 3 : 0,
                         inside = start + 1 < end ? start + 1 : end;
                for (size_t m = 0; m < sizeof mins / sizeof *mins; m++) {
                    expect_reference(buf, 0, sizeof buf, mins[m], "run at/len", start, len);
                    expect_reference(buf, 0, end, mins[m], "run ending at to, at/len", start, len);
                    expect_reference(buf, from, end, mins[m], "from before run, at/len", start,
                                     len);
                    expect_reference(buf, inside, sizeof buf, mins[m], "from inside run, at/len",
                                     start, len);
                }
            }
        }
    }
}
EACH_SCAN(strings_scan_finds_runs_at_every_block_alignment)

/*
 * Runs are handed over in batches, and a batch holding a run longer than a record (or, with a
 * minimum over the 16-byte window, a run too short) is cut into pieces as it is handed over: long
 * runs among enough short ones that the pieces overflow a batch, at every place relative to the
 * short ones, with minimums up to past a record's length.
 */
static void strings_scan_cuts_long_runs_among_many_short_ones(void)
{
    static const uint32_t mins[] = {1, 4, 5, 16, 17, 100, SHM_STRING_MAX, SHM_STRING_MAX + 1, 700};
    static uint8_t buf[16384];
    for (uint32_t before = 0; before < 200; before += 7) {
        uint32_t at = 0;
        for (uint32_t k = 0; k < before; k++, at += 5) memcpy(buf + at, "abc\x01\x02", 5);
        for (uint32_t k = 0; k < 3; k++) {
            uint32_t len = SHM_STRING_MAX * (k + 1) + before;
            memset(buf + at, 'x', len);
            buf[at + len] = 0;
            at += len + 1;
            for (uint32_t r = 0; r < 80; r++, at += 20)
                memcpy(buf + at, "0123456789abcdef012\x7f", 20);
        }
        for (size_t m = 0; m < sizeof mins / sizeof *mins; m++)
            expect_reference(buf, 0, at, mins[m], "short runs before", before, 0);
    }
}
EACH_SCAN(strings_scan_cuts_long_runs_among_many_short_ones)

/*
 * Frames come from capture buffers that may end at the end of a mapping, so the scan must read
 * nothing outside bytes[from, to). Each range here sits against a PROT_NONE page, ending exactly
 * at it or starting right after one: any over-read is a crash, not a silent pass.
 */
static void strings_scan_reads_nothing_outside_the_range(void)
{
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *map =
        mmap(NULL, 3 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(map, MAP_FAILED);
    cr_assert_eq(mprotect(map, (size_t)page, PROT_NONE), 0);
    cr_assert_eq(mprotect(map + 2 * page, (size_t)page, PROT_NONE), 0);
    uint8_t *lo = map + page, *hi = map + 2 * page; /* the readable page is [lo, hi) */
    uint64_t x = 0xdeadbeefcafef00dull;
    for (uint32_t to = 0; to <= 300; to++) {
        for (unsigned density = 0; density <= 100; density += 25) {
            for (int at_end = 0; at_end < 2; at_end++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                /* from is 0 for half the cases, else somewhere in the first half */
                uint32_t from = x % 2 ? (uint32_t)((x >> 1) % (to / 2 + 1)) : 0;
                /* bytes[to - 1] is the page's last byte, or bytes[from] its first */
                uint8_t *b = at_end ? hi - to : lo - from;
                for (uint32_t k = from; k < to; k++) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    b[k] = x % 100 < density ? (uint8_t)(0x20 + (x >> 8) % 95)
                                             : (uint8_t)(x >> 16) | 0x80;
                }
                for (uint32_t min_len = 1; min_len <= 20; min_len++)
                    expect_reference(b, from, to, min_len, "to/at_end", to, (unsigned)at_end);
            }
        }
    }
    munmap(map, 3 * (size_t)page);
}
EACH_SCAN(strings_scan_reads_nothing_outside_the_range)
