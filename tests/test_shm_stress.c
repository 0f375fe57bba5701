/*
 * test_shm_stress.c — one writer process and four reader processes over ≥ 5 M records of random
 * sizes 60–9000 bytes, each carrying its own sequence, length and checksum. Every delivered
 * record must verify (no undetected torn read), and for every reader delivered + missed must
 * equal written. PACKRAT_STRESS_RECORDS overrides the count (never below the default in CI).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "ring_util.h"

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
