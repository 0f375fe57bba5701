/*
 * test_shm_ring.c — unit tests of the frame ring: ordering, lookup by sequence, lapping, gaps,
 * byte-area overwrite detection, corrupt descriptors, futex wake-up, and a reader stopped with
 * SIGSTOP while the writer laps it.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "ring_util.h"

static struct shm_frames W;
static char session[64];
static uint8_t buf[SHM_FRAME_MAX];

static void make_ring(size_t size)
{
    char err[SHM_ERR_MAX];
    test_session_name(session, sizeof session, "ring");
    cr_assert_eq(shm_frames_create(&W, session, size, (gid_t)-1, err, sizeof err), 0, "%s", err);
    shm_segment_publish(&W.seg);
}

static void teardown(void)
{
    shm_frames_close(&W, true);
}

static uint64_t append_seq_record(uint32_t len)
{
    uint64_t seq = shm_ring_write_seq(&W.ring);
    uint8_t *dst = shm_ring_reserve(&W.ring, seq, len);
    cr_assert_not_null(dst);
    record_fill(dst, seq, len);
    struct shm_record m = {.ts_ns = 1000 + seq, .wire_len = len + 4, .ifindex = 7};
    shm_ring_commit(&W.ring, &m);
    return seq;
}

TestSuite(ring, .fini = teardown);

Test(ring, empty_ring_reports_again_and_no_newest)
{
    make_ring(1 << 20);
    struct shm_record m;
    cr_assert_eq(shm_ring_read(&W.ring, 0, &m, buf, sizeof buf), SHM_READ_AGAIN);
    cr_assert_eq(shm_ring_newest(&W.ring), UINT64_MAX);
    cr_assert_eq(shm_ring_oldest(&W.ring), 0);
}

Test(ring, records_come_back_in_order_with_metadata)
{
    make_ring(1 << 20);
    for (int i = 0; i < 100; i++) append_seq_record(60 + (uint32_t)i);
    struct shm_frames R;
    char err[SHM_ERR_MAX];
    cr_assert_eq(shm_frames_attach(&R, session, err, sizeof err), 0, "%s", err);
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &R.ring, 0);
    struct shm_record m;
    for (uint64_t i = 0; i < 100; i++) {
        cr_assert_eq(shm_ring_next(&rd, &m, buf, sizeof buf, 0), SHM_READ_OK);
        cr_assert_eq(m.seq, i);
        cr_assert_eq(m.len, 60 + i);
        cr_assert_eq(m.wire_len, 64 + i);
        cr_assert_eq(m.ts_ns, 1000 + i);
        cr_assert_eq(m.ifindex, 7);
        cr_assert(record_verify(buf, i, m.len));
    }
    cr_assert_eq(shm_ring_next(&rd, &m, buf, sizeof buf, 0), SHM_READ_AGAIN);
    cr_assert_eq(rd.delivered, 100);
    cr_assert_eq(rd.missed, 0);
    cr_assert_eq(shm_ring_newest(&R.ring), 99);
    shm_frames_detach(&R);
}

Test(ring, read_by_sequence_finds_any_record_still_present)
{
    make_ring(1 << 20);
    for (int i = 0; i < 500; i++) append_seq_record(100);
    struct shm_record m;
    uint64_t oldest = shm_ring_oldest(&W.ring);
    cr_assert_eq(shm_ring_read(&W.ring, 250, &m, buf, sizeof buf), SHM_READ_OK);
    cr_assert(record_verify(buf, 250, m.len));
    cr_assert_eq(shm_ring_read(&W.ring, oldest, &m, buf, sizeof buf), SHM_READ_OK);
    cr_assert_eq(shm_ring_read(&W.ring, 500, &m, buf, sizeof buf), SHM_READ_AGAIN);
}

Test(ring, lapped_reader_counts_exactly_what_it_missed)
{
    make_ring(1 << 20); /* 4096 descriptors */
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &W.ring, 0);
    struct shm_record m;
    uint64_t written = 0;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 3000 + round * 500; i++, written++) append_seq_record(64);
        for (int i = 0; i < 1000; i++) {
            if (shm_ring_next(&rd, &m, buf, sizeof buf, 0) != SHM_READ_OK) break;
            cr_assert(record_verify(buf, m.seq, m.len), "record %llu corrupt",
                      (unsigned long long)m.seq);
        }
    }
    while (shm_ring_next(&rd, &m, buf, sizeof buf, 0) == SHM_READ_OK)
        cr_assert(record_verify(buf, m.seq, m.len));
    cr_assert_gt(rd.laps, 0, "the reader should have been lapped");
    cr_assert_gt(rd.missed, 0);
    cr_assert_eq(rd.delivered + rd.missed, written, "delivered %llu + missed %llu != %llu",
                 (unsigned long long)rd.delivered, (unsigned long long)rd.missed,
                 (unsigned long long)written);
}

Test(ring, big_records_evict_by_bytes_before_descriptors)
{
    make_ring(1 << 20); /* ~786 KiB of data, 4096 descriptors */
    for (int i = 0; i < 400; i++) append_seq_record(9000);
    uint64_t oldest = shm_ring_oldest(&W.ring);
    cr_assert_gt(oldest, 300, "9000-byte records must evict by bytes (oldest=%llu)",
                 (unsigned long long)oldest);
    struct shm_record m;
    cr_assert_eq(shm_ring_read(&W.ring, oldest - 1, &m, buf, sizeof buf), SHM_READ_GONE);
    for (uint64_t s = oldest; s < 400; s++) {
        cr_assert_eq(shm_ring_read(&W.ring, s, &m, buf, sizeof buf), SHM_READ_OK);
        cr_assert(record_verify(buf, s, m.len));
    }
}

Test(ring, a_gap_left_by_the_writer_is_skipped_and_counted)
{
    make_ring(1 << 20);
    append_seq_record(80);
    uint8_t *dst = shm_ring_reserve(&W.ring, 5, 80); /* sequences 1..4 never written */
    cr_assert_not_null(dst);
    record_fill(dst, 5, 80);
    struct shm_record m = {0};
    shm_ring_commit(&W.ring, &m);
    cr_assert_eq(shm_ring_read(&W.ring, 3, &m, buf, sizeof buf), SHM_READ_GONE);
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &W.ring, 0);
    cr_assert_eq(shm_ring_next(&rd, &m, buf, sizeof buf, 0), SHM_READ_OK);
    cr_assert_eq(m.seq, 0);
    cr_assert_eq(shm_ring_next(&rd, &m, buf, sizeof buf, 0), SHM_READ_OK);
    cr_assert_eq(m.seq, 5);
    cr_assert_eq(rd.missed, 4);
}

Test(ring, writer_refuses_oversized_and_backward_records)
{
    make_ring(1 << 20);
    cr_assert_null(shm_ring_reserve(&W.ring, 0, (uint32_t)W.ring.max_record + 1));
    append_seq_record(64);
    append_seq_record(64);
    cr_assert_null(shm_ring_reserve(&W.ring, 1, 64), "sequence numbers never go back");
}

Test(ring, reader_with_small_buffer_gets_corrupt_not_overflow)
{
    make_ring(1 << 20);
    append_seq_record(1000);
    struct shm_record m;
    uint8_t small[100];
    cr_assert_eq(shm_ring_read(&W.ring, 0, &m, small, sizeof small), SHM_READ_CORRUPT);
}

Test(ring, corrupt_descriptor_is_rejected_and_reader_moves_on)
{
    make_ring(1 << 20);
    for (int i = 0; i < 10; i++) append_seq_record(100);
    W.ring.desc[3].len = 0xfffffff0u;        /* impossible length */
    W.ring.desc[4].data_off = 0x7fffffffull; /* outside the data area */
    W.ring.desc[5].data_off = W.ring.data_size - 10;
    struct shm_frames R;
    char err[SHM_ERR_MAX];
    cr_assert_eq(shm_frames_attach(&R, session, err, sizeof err), 0, "%s", err);
    struct shm_record m;
    cr_assert_eq(shm_ring_read(&R.ring, 3, &m, buf, sizeof buf), SHM_READ_CORRUPT);
    cr_assert_eq(shm_ring_read(&R.ring, 4, &m, buf, sizeof buf), SHM_READ_CORRUPT);
    cr_assert_eq(shm_ring_read(&R.ring, 5, &m, buf, sizeof buf), SHM_READ_CORRUPT);
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &R.ring, 0);
    int ok = 0;
    while (shm_ring_next(&rd, &m, buf, sizeof buf, 0) == SHM_READ_OK) {
        cr_assert(record_verify(buf, m.seq, m.len));
        ok++;
    }
    cr_assert_eq(ok, 7);
    cr_assert_eq(rd.corrupt, 3);
    cr_assert_eq(rd.delivered + rd.missed, 10);
    shm_frames_detach(&R);
}

Test(ring, hostile_counters_cannot_trap_a_reader)
{
    make_ring(1 << 20);
    for (int i = 0; i < 10; i++) append_seq_record(100);
    struct shm_frames R;
    char err[SHM_ERR_MAX];
    cr_assert_eq(shm_frames_attach(&R, session, err, sizeof err), 0, "%s", err);
    /* A writer that claims 2^62 records and a tail beyond it. */
    atomic_store(&W.hdr->ring.write_seq, 1ull << 62);
    atomic_store(&W.hdr->ring.tail_seq, UINT64_MAX - 5);
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &R.ring, 0);
    struct shm_record m;
    for (int i = 0; i < 1000; i++) shm_ring_next(&rd, &m, buf, sizeof buf, 0);
    cr_assert_geq(rd.next, (1ull << 62) - (R.ring.desc_mask + 1), "reader resynchronised");
    shm_frames_detach(&R);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(ring, sleeping_reader_is_woken_by_the_writer_in_another_process)
{
    make_ring(1 << 20);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct shm_frames R;
        char err[SHM_ERR_MAX];
        if (shm_frames_attach(&R, session, err, sizeof err) != 0) _exit(2);
        struct shm_ring_reader rd;
        shm_ring_reader_init(&rd, &R.ring, 0);
        struct shm_record m;
        static uint8_t b[SHM_FRAME_MAX];
        double t0 = now_s();
        int res = shm_ring_next(&rd, &m, b, sizeof b, 5000);
        double waited = now_s() - t0;
        /* Woken well before the 5 s timeout, with the record. */
        _exit(res == SHM_READ_OK && record_verify(b, 0, m.len) && waited < 2.0 ? 0 : 1);
    }
    usleep(300 * 1000);
    append_seq_record(200);
    shm_ring_wake(&W.ring);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader was not woken");
}

Test(ring, reader_stopped_for_two_seconds_resumes_and_reports_laps, .timeout = 60)
{
    make_ring(4 << 20);
    int pipefd[2];
    cr_assert_eq(pipe(pipefd), 0);
    const uint64_t total = 600000;
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(pipefd[0]);
        struct shm_frames R;
        char err[SHM_ERR_MAX];
        if (shm_frames_attach(&R, session, err, sizeof err) != 0) _exit(2);
        struct shm_ring_reader rd;
        shm_ring_reader_init(&rd, &R.ring, 0);
        struct shm_record m;
        static uint8_t b[SHM_FRAME_MAX];
        uint64_t bad = 0;
        while (rd.delivered + rd.missed < total) {
            if (shm_ring_next(&rd, &m, b, sizeof b, 200) != SHM_READ_OK) continue;
            if (!record_verify(b, m.seq, m.len)) bad++;
        }
        uint64_t out[4] = {rd.delivered, rd.missed, rd.laps, bad};
        if (write(pipefd[1], out, sizeof out) != sizeof out) _exit(3);
        _exit(0);
    }
    close(pipefd[1]);
    /* Let the reader start, stop it, lap it many times over 2 s, continue it. */
    uint64_t written = 0;
    for (; written < 1000; written++) append_seq_record(record_len_for(written, 60, 1500));
    shm_ring_wake(&W.ring);
    usleep(100 * 1000);
    kill(pid, SIGSTOP);
    double t0 = now_s();
    while (now_s() - t0 < 2.0) {
        for (int i = 0; i < 100 && written < total - 1000; i++, written++)
            append_seq_record(record_len_for(written, 60, 1500));
        shm_ring_wake(&W.ring);
        usleep(1000);
    }
    kill(pid, SIGCONT);
    while (written < total) {
        append_seq_record(record_len_for(written, 60, 1500));
        if (++written % 256 == 0) {
            shm_ring_wake(&W.ring);
            usleep(50);
        }
    }
    shm_ring_wake(&W.ring);
    uint64_t out[4];
    cr_assert_eq(read(pipefd[0], out, sizeof out), (ssize_t)sizeof out);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert_gt(out[2], 0, "a reader stopped for 2 s must report laps");
    cr_assert_gt(out[1], 0);
    cr_assert_eq(out[3], 0, "%llu records failed verification", (unsigned long long)out[3]);
    cr_assert_eq(out[0] + out[1], total);
    cr_assert_gt(out[0], 1000, "the reader kept delivering after it was continued");
}

/* The batched writer (ring_write.h): records put but not yet flushed are invisible, never torn. */
Test(ring, put_records_are_published_by_flush)
{
    make_ring(1 << 20);
    struct shm_record m = {.ts_ns = 5, .wire_len = 64};
    for (uint64_t seq = 0; seq < 10; seq++) {
        struct shm_ring_slot sl = shm_ring_put(&W.ring, 64);
        cr_assert_not_null(sl.dst);
        record_fill(sl.dst, seq, 64);
        shm_ring_put_done(&W.ring, &sl, &m);
    }
    cr_assert_eq(shm_ring_read(&W.ring, 0, &m, buf, sizeof buf), SHM_READ_AGAIN);
    cr_assert_eq(shm_ring_newest(&W.ring), UINT64_MAX);
    shm_ring_flush(&W.ring);
    cr_assert_eq(shm_ring_newest(&W.ring), 9);
    for (uint64_t seq = 0; seq < 10; seq++)
        cr_assert_eq(shm_ring_read(&W.ring, seq, &m, buf, sizeof buf), SHM_READ_OK);
    cr_assert_eq(append_seq_record(100), 10, "reserve/commit continue after put");
}

/*
 * The writer skips re-reading tail descriptors where it can prove them intact; the tail must
 * still be exact: the oldest record reads back intact and the one below it is gone. Mixed sizes
 * exercise eviction by descriptors (small) and by bytes (large), and the gaps a writer may leave
 * must never become the tail.
 */
Test(ring, tail_stays_exact_while_the_writer_skips_descriptor_reads)
{
    make_ring(1 << 20);
    srand(7);
    struct shm_record m = {.ts_ns = 1};
    for (int i = 0; i < 40000; i++) {
        uint32_t len = (i / 3000) % 2 ? 24 + (uint32_t)rand() % 9000 : 24 + (uint32_t)rand() % 120;
        if (i % 5000 == 1000) { /* a gap: two sequences never written */
            uint64_t gap = W.ring.wr.w.seq + 2;
            uint8_t *dst = shm_ring_reserve(&W.ring, gap, len);
            cr_assert_not_null(dst);
            record_fill(dst, gap, len);
            shm_ring_commit(&W.ring, &m);
            continue;
        }
        uint64_t seq = W.ring.wr.w.seq;
        struct shm_ring_slot sl = shm_ring_put(&W.ring, len);
        cr_assert_not_null(sl.dst);
        record_fill(sl.dst, seq, len);
        shm_ring_put_done(&W.ring, &sl, &m);
        shm_ring_flush(&W.ring);
        uint64_t oldest = shm_ring_oldest(&W.ring);
        cr_assert_eq(shm_ring_read(&W.ring, oldest, &m, buf, sizeof buf), SHM_READ_OK,
                     "record %d: oldest %llu", i, (unsigned long long)oldest);
        cr_assert(record_verify(buf, oldest, m.len));
        if (oldest > 0)
            cr_assert_eq(shm_ring_read(&W.ring, oldest - 1, &m, buf, sizeof buf), SHM_READ_GONE,
                         "record %d: below oldest %llu", i, (unsigned long long)oldest);
    }
}

/* Records of payload bytes a geometry holds (by descriptors or by data, whichever runs out). */
static uint64_t geometry_holds(uint64_t n, uint64_t data, uint64_t payload)
{
    return data / payload < n ? data / payload : n;
}

Test(ring, geometry_counts_descriptors_for_the_typical_record)
{
    /* For every area and record size: a power of two, inside the area, descriptors in at most
     * half of it, and no better than the neighbouring power of two for records of that size. */
    const uint32_t typical[] = {16, 64, 112, 256, 512, 1024, 1514, 4096};
    for (size_t avail = 64 << 10; avail <= (96u << 20); avail = avail * 3 / 2 + 4096) {
        for (size_t t = 0; t < sizeof typical / sizeof typical[0]; t++) {
            uint64_t n, data, p = SHM_RING_ALIGN(typical[t]);
            cr_assert_eq(shm_ring_geometry(avail, typical[t], &n, &data), 0, "avail %zu", avail);
            cr_assert(n >= 64 && (n & (n - 1)) == 0, "count %llu", (unsigned long long)n);
            cr_assert_leq(n * sizeof(struct shm_ring_desc), avail / 2);
            cr_assert_leq(n * sizeof(struct shm_ring_desc) + data, avail);
            cr_assert_eq(data % 16, 0);
            uint64_t held = geometry_holds(n, data, p);
            for (uint64_t alt = n / 2; alt <= n * 2; alt *= 4) {
                uint64_t desc = alt * sizeof(struct shm_ring_desc);
                if (alt < 64 || desc > avail / 2) continue;
                uint64_t alt_held = geometry_holds(alt, (avail - desc) & ~15ull, p);
                cr_assert_geq(
                    held, alt_held,
                    "avail %zu typical %u: %llu descriptors hold %llu, %llu would hold %llu", avail,
                    typical[t], (unsigned long long)n, (unsigned long long)held,
                    (unsigned long long)alt, (unsigned long long)alt_held);
            }
        }
    }
    uint64_t n, data;
    cr_assert_eq(shm_ring_geometry(4096, 64, &n, &data), -1, "too small for 64 descriptors");
}
