/*
 * test_shm_stress.c — one writer process and four reader processes over ≥ 5 M records of random
 * sizes 60–9000 bytes, each carrying its own sequence, length and checksum. Every delivered
 * record must verify (no undetected torn read), and for every reader delivered + missed must
 * equal written. PACKRAT_STRESS_RECORDS overrides the count (never below the default in CI).
 * Readers at the head of a writer that publishes in batches and never laps them must miss nothing
 * and deliver nothing before it is published. The string table gets the same treatment as the
 * first test: readers racing a writer that laps it constantly must never accept an entry mixing
 * two strings.
 */
#include <criterion/criterion.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "ring_util.h"
#include "shm/analysis.h"

#define READERS 4

struct reader_result {
    uint64_t delivered, missed, laps, bad, out_of_order;
};

static int run_reader(const char *session, uint64_t total, struct reader_result *res)
{
    struct shm_frames R;
    char err[SHM_ERR_MAX];
    if (shm_frames_attach(&R, session, err, sizeof err) != 0) return 2;
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &R.ring, 0);
    static uint8_t b[SHM_FRAME_MAX];
    struct shm_record m;
    uint64_t last = UINT64_MAX;
    while (rd.delivered + rd.missed < total) {
        if (shm_ring_next(&rd, &m, b, sizeof b, 100) != SHM_READ_OK) continue;
        if (m.len != record_len_for(m.seq, 60, 9000) || !record_verify(b, m.seq, m.len)) res->bad++;
        if (last != UINT64_MAX && m.seq <= last) res->out_of_order++;
        last = m.seq;
    }
    res->delivered = rd.delivered;
    res->missed = rd.missed;
    res->laps = rd.laps;
    shm_frames_detach(&R);
    return 0;
}

Test(stress, one_writer_four_readers_no_torn_reads, .timeout = 900)
{
    uint64_t total = 5000000;
    const char *env = getenv("PACKRAT_STRESS_RECORDS");
    if (env && strtoull(env, NULL, 10) > 0) total = strtoull(env, NULL, 10);

    char session[64], err[SHM_ERR_MAX];
    test_session_name(session, sizeof session, "stress");
    struct shm_frames W;
    cr_assert_eq(
        shm_frames_create(&W, session, SHM_FRAMES_DEFAULT_SIZE, (gid_t)-1, err, sizeof err), 0,
        "%s", err);
    shm_segment_publish(&W.seg);

    struct reader_result *results = mmap(NULL, sizeof(struct reader_result) * READERS,
                                         PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(results, MAP_FAILED);
    memset(results, 0, sizeof(struct reader_result) * READERS);
    pid_t pids[READERS];
    for (int i = 0; i < READERS; i++) {
        pids[i] = fork();
        cr_assert_geq(pids[i], 0);
        if (pids[i] == 0) _exit(run_reader(session, total, &results[i]));
    }
    usleep(200 * 1000); /* let the readers attach before the first record */

    for (uint64_t seq = 0; seq < total; seq++) {
        uint32_t len = record_len_for(seq, 60, 9000);
        uint8_t *dst = shm_ring_reserve(&W.ring, seq, len);
        cr_assert_not_null(dst);
        record_fill(dst, seq, len);
        struct shm_record m = {.ts_ns = seq, .wire_len = len};
        shm_ring_commit(&W.ring, &m);
        if ((seq & 255) == 255) shm_ring_wake(&W.ring);
    }
    shm_ring_wake(&W.ring);

    for (int i = 0; i < READERS; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader %d status %d", i, status);
    }
    uint64_t delivered_all = 0;
    for (int i = 0; i < READERS; i++) {
        struct reader_result *r = &results[i];
        cr_log_info("reader %d: delivered %llu missed %llu laps %llu", i,
                    (unsigned long long)r->delivered, (unsigned long long)r->missed,
                    (unsigned long long)r->laps);
        cr_expect_eq(r->bad, 0, "reader %d accepted %llu bad records", i,
                     (unsigned long long)r->bad);
        cr_expect_eq(r->out_of_order, 0, "reader %d delivered out of order", i);
        cr_expect_eq(r->delivered + r->missed, total, "reader %d: %llu + %llu != %llu", i,
                     (unsigned long long)r->delivered, (unsigned long long)r->missed,
                     (unsigned long long)total);
        delivered_all += r->delivered;
    }
    cr_assert_gt(delivered_all, total / 100, "readers must deliver a real share of the records");
    shm_frames_close(&W, true);
}

/* ---- readers at the head: batched publication, never lapped ------------------------------ */

/*
 * A reader keeps the write_seq it loaded and looks again only on reaching it (shm_ring_next).
 * Here the writer publishes in batches as capture does (cursor put/done, flush), so complete but
 * unpublished records are always there just past write_seq, and it never gets more than a
 * quarter of the ring ahead of the slowest reader, so nothing is ever overwritten under one.
 * A reader that went past write_seq would deliver a record before it was published (caught
 * below) or find a record not yet written and count it missed (none may be).
 */
struct head_reader {
    _Atomic uint64_t next; /* the reader's progress, for the writer's throttle */
    uint64_t delivered, missed, bad, early;
};

static int run_head_reader(const char *session, uint64_t total, int timeout_ms,
                           struct head_reader *res)
{
    struct shm_frames R;
    char err[SHM_ERR_MAX];
    if (shm_frames_attach(&R, session, err, sizeof err) != 0) return 2;
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &R.ring, 0);
    static uint8_t b[SHM_FRAME_MAX];
    struct shm_record m;
    while (rd.delivered + rd.missed < total) {
        enum shm_read_result r = shm_ring_next(&rd, &m, b, sizeof b, timeout_ms);
        atomic_store_explicit(&res->next, rd.next, memory_order_release);
        if (r != SHM_READ_OK) continue;
        if (m.seq >= shm_ring_write_seq(&R.ring)) res->early++;
        if (m.len != record_len_for(m.seq, 60, 300) || !record_verify(b, m.seq, m.len)) res->bad++;
    }
    res->delivered = rd.delivered;
    res->missed = rd.missed;
    shm_frames_detach(&R);
    return 0;
}

Test(stress, readers_at_the_head_miss_nothing_and_see_only_published_records, .timeout = 300)
{
    uint64_t total = 2000000;
    char session[64], err[SHM_ERR_MAX];
    test_session_name(session, sizeof session, "stress-head");
    struct shm_frames W;
    cr_assert_eq(
        shm_frames_create(&W, session, SHM_FRAMES_DEFAULT_SIZE, (gid_t)-1, err, sizeof err), 0,
        "%s", err);
    shm_segment_publish(&W.seg);
    uint64_t ahead_max = (W.ring.desc_mask + 1) / 4;
    if (ahead_max > W.ring.data_size / 4 / SHM_RING_ALIGN(300))
        ahead_max = W.ring.data_size / 4 / SHM_RING_ALIGN(300);

    struct head_reader *res = mmap(NULL, sizeof *res * READERS, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(res, MAP_FAILED);
    memset(res, 0, sizeof *res * READERS);
    pid_t pids[READERS];
    for (int i = 0; i < READERS; i++) {
        pids[i] = fork();
        cr_assert_geq(pids[i], 0);
        /* Half poll without sleeping, to sit right at write_seq; half sleep on the futex. */
        if (pids[i] == 0) _exit(run_head_reader(session, total, i % 2 ? 100 : 0, &res[i]));
    }
    usleep(200 * 1000);

    struct shm_ring_cursor c = shm_ring_cursor_begin(&W.ring);
    for (uint64_t seq = 0; seq < total; seq++) {
        for (int i = 0; i < READERS; i++)
            /* (A broken reader may run ahead of the writer: that must fail, not hang.) */
            while (atomic_load_explicit(&res[i].next, memory_order_acquire) + ahead_max < seq) {
                shm_ring_cursor_flush(&c);
                shm_ring_wake(&W.ring);
                sched_yield();
            }
        uint32_t len = record_len_for(seq, 60, 300);
        struct shm_ring_slot sl = shm_ring_cursor_put(&c, len);
        cr_assert_not_null(sl.dst);
        record_fill(sl.dst, seq, len);
        struct shm_record m = {.ts_ns = seq, .wire_len = len};
        shm_ring_cursor_done(&c, &sl, &m);
        if (mix64(seq) % 16 == 0) { /* batches of random size, 16 records on average */
            shm_ring_cursor_flush(&c);
            shm_ring_wake(&W.ring);
        }
    }
    shm_ring_cursor_flush(&c);
    shm_ring_cursor_end(&c);
    shm_ring_wake(&W.ring);

    for (int i = 0; i < READERS; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader %d status %d", i, status);
        cr_expect_eq(res[i].bad, 0, "reader %d accepted %llu bad records", i,
                     (unsigned long long)res[i].bad);
        cr_expect_eq(res[i].early, 0, "reader %d delivered %llu records not yet published", i,
                     (unsigned long long)res[i].early);
        cr_expect_eq(res[i].missed, 0, "reader %d missed %llu records it was never lapped on", i,
                     (unsigned long long)res[i].missed);
        cr_expect_eq(res[i].delivered, total, "reader %d delivered %llu of %llu", i,
                     (unsigned long long)res[i].delivered, (unsigned long long)total);
    }
    shm_frames_close(&W, true);
}

/* ---- the string table: fixed entries, each its own seqlock --------------------------------- */

/* What string s holds: every field a different function of s, so a mix of two strings shows. */
static struct shm_string_entry strtab_expect(uint64_t s)
{
    struct shm_string_entry e = {.frame_seq = s,
                                 .ts_ns = s * 0x9e3779b97f4a7c15ull,
                                 .offset = (uint32_t)(s * 7),
                                 .len = (uint32_t)(s ^ (s >> 17))};
    return e;
}

static int run_strtab_reader(const char *session, uint64_t total, struct reader_result *res)
{
    struct shm_analysis R;
    char err[SHM_ERR_MAX];
    if (shm_analysis_attach(&R, session, err, sizeof err) != 0) return 2;
    uint64_t last_ws = 0;
    while (last_ws < total) {
        uint64_t ws = shm_strtab_write_seq(&R.strings);
        if (ws < last_ws) res->out_of_order++;
        last_ws = ws;
        /* Read the oldest few: the entries the writer is about to overwrite. */
        uint64_t from = shm_strtab_oldest(&R.strings);
        for (uint64_t s = from; s < from + 16 && s < ws; s++) {
            struct shm_string_entry e;
            enum shm_read_result r = shm_strtab_read(&R.strings, s, &e);
            if (r == SHM_READ_OK) {
                struct shm_string_entry want = strtab_expect(s);
                if (e.frame_seq != want.frame_seq || e.ts_ns != want.ts_ns ||
                    e.offset != want.offset || e.len != want.len)
                    res->bad++;
                res->delivered++;
            } else if (r == SHM_READ_GONE) {
                res->missed++;
            } else {
                res->bad++;
            }
        }
    }
    shm_analysis_detach(&R);
    return 0;
}

Test(stress, string_table_readers_never_see_a_torn_entry, .timeout = 300)
{
    uint64_t total = 20000000;
    char session[64], err[SHM_ERR_MAX];
    test_session_name(session, sizeof session, "stress-strtab");
    struct shm_analysis W;
    /* A small table (1024 entries): the writer laps it constantly, under the readers' noses. */
    struct shm_analysis_config cfg = {
        .detail_bytes = 1 << 20, .strings_bytes = 1024 * 32, .flow_capacity = 64};
    cr_assert_eq(shm_analysis_create(&W, session, &cfg, (gid_t)-1, err, sizeof err), 0, "%s", err);
    shm_segment_publish(&W.seg);
    struct reader_result *results = mmap(NULL, sizeof(struct reader_result) * 2,
                                         PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(results, MAP_FAILED);
    memset(results, 0, sizeof(struct reader_result) * 2);
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        cr_assert_geq(pids[i], 0);
        if (pids[i] == 0) _exit(run_strtab_reader(session, total, &results[i]));
    }
    usleep(200 * 1000);
    for (uint64_t s = 0; s < total; s++) {
        struct shm_string_entry e = strtab_expect(s);
        shm_strtab_put(&W.strings, e.frame_seq, e.ts_ns, e.offset, e.len);
        if ((s & 7) == 7) shm_strtab_publish(&W.strings);
    }
    shm_strtab_publish(&W.strings);
    for (int i = 0; i < 2; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader %d status %d", i, status);
        cr_log_info("strtab reader %d: read %llu, gone %llu", i,
                    (unsigned long long)results[i].delivered,
                    (unsigned long long)results[i].missed);
        cr_expect_eq(results[i].bad, 0, "reader %d accepted %llu torn or wrong entries", i,
                     (unsigned long long)results[i].bad);
        cr_expect_eq(results[i].out_of_order, 0, "reader %d saw write_seq go back", i);
        cr_expect_gt(results[i].delivered, 1000, "reader %d read too little to mean anything", i);
        cr_expect_gt(results[i].missed, 0, "reader %d never raced the writer", i);
    }
    shm_analysis_close(&W, true);
}
