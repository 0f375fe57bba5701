/*
 * bench_ring.c — throughput of the frame ring: one writer appending records of a fixed size
 * (copying them in, as capture does) while 0, 1 or 4 reader processes copy them out.
 *
 * Usage: bench_ring [--runs N] [--records N] [--json]
 * Prints, per (size, readers): median records/s and GB/s of the writer over N runs, and the
 * median share of records the readers missed. Timing lives here, never in unit tests.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm/frames.h"

struct shared_stats {
    volatile uint64_t delivered[8], missed[8];
    volatile int ready;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void reader(const char *session, int idx, uint64_t total, struct shared_stats *st)
{
    struct shm_frames R;
    char err[SHM_ERR_MAX];
    if (shm_frames_attach(&R, session, err, sizeof err) != 0) _exit(2);
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &R.ring, 0);
    static uint8_t buf[SHM_FRAME_MAX];
    struct shm_record m;
    __atomic_add_fetch(&st->ready, 1, __ATOMIC_SEQ_CST);
    while (rd.delivered + rd.missed < total) shm_ring_next(&rd, &m, buf, sizeof buf, 100);
    st->delivered[idx] = rd.delivered;
    st->missed[idx] = rd.missed;
    _exit(0);
}

/* One run: returns writer records/s; *missed_share gets the mean share readers missed. */
static double run_once(uint32_t size, int readers, uint64_t total, double *missed_share)
{
    char session[64], err[SHM_ERR_MAX];
    snprintf(session, sizeof session, "bench-%d", (int)getpid());
    struct shm_frames W;
    if (shm_frames_create(&W, session, SHM_FRAMES_DEFAULT_SIZE, (gid_t)-1, err, sizeof err)) {
        fprintf(stderr, "bench_ring: %s\n", err);
        exit(1);
    }
    shm_segment_publish(&W.seg);
    struct shared_stats *st =
        mmap(NULL, sizeof *st, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memset((void *)st, 0, sizeof *st);
    pid_t pids[8];
    for (int i = 0; i < readers; i++) {
        pids[i] = fork();
        if (pids[i] == 0) reader(session, i, total, st);
    }
    while (__atomic_load_n(&st->ready, __ATOMIC_SEQ_CST) < readers) usleep(1000);

    static uint8_t frame[SHM_FRAME_MAX];
    for (uint32_t i = 0; i < size; i++) frame[i] = (uint8_t)(i * 31);
    struct shm_record m = {.wire_len = size, .ts_source = SHM_TS_KERNEL};
    double t0 = now_s();
    for (uint64_t seq = 0; seq < total; seq++) {
        uint8_t *dst = shm_ring_reserve(&W.ring, seq, size);
        memcpy(dst, frame, size);
        m.ts_ns = seq;
        shm_ring_commit(&W.ring, &m);
        if ((seq & 255) == 255) shm_ring_wake(&W.ring);
    }
    double elapsed = now_s() - t0;
    shm_ring_wake(&W.ring);
    double missed = 0;
    for (int i = 0; i < readers; i++) {
        waitpid(pids[i], NULL, 0);
        missed += (double)st->missed[i] / (double)total;
    }
    *missed_share = readers ? missed / readers : 0;
    munmap((void *)st, sizeof *st);
    shm_frames_close(&W, true);
    return (double)total / elapsed;
}

int main(int argc, char **argv)
{
    int runs = 5, json = 0;
    uint64_t records = 3000000;
    static const struct option opts[] = {{"runs", required_argument, 0, 'r'},
                                         {"records", required_argument, 0, 'n'},
                                         {"json", no_argument, 0, 'j'},
                                         {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        if (c == 'r')
            runs = atoi(optarg);
        else if (c == 'n')
            records = strtoull(optarg, NULL, 10);
        else if (c == 'j')
            json = 1;
        else
            return 2;
    }
    if (runs < 1 || runs > 50) runs = 5;
    const uint32_t sizes[] = {64, 1500};
    const int reader_counts[] = {0, 1, 4};
    if (!json) {
        printf("ring benchmark: %llu records per run, median of %d runs, 64 MiB segment\n",
               (unsigned long long)records, runs);
        printf("%-8s %-8s %14s %10s %12s\n", "size", "readers", "records/s", "GB/s", "missed");
    }
    for (size_t s = 0; s < 2; s++)
        for (size_t r = 0; r < 3; r++) {
            double rate[50], miss[50];
            for (int i = 0; i < runs; i++)
                rate[i] = run_once(sizes[s], reader_counts[r], records, &miss[i]);
            double mr = median(rate, runs), mm = median(miss, runs);
            double gbs = mr * sizes[s] / 1e9;
            if (json)
                printf("{\"bench\":\"ring\",\"record_bytes\":%u,\"readers\":%d,\"runs\":%d,"
                       "\"records_per_s\":%.0f,\"gb_per_s\":%.3f,\"reader_missed_share\":%.5f}\n",
                       sizes[s], reader_counts[r], runs, mr, gbs, mm);
            else
                printf("%-8u %-8d %14.0f %10.2f %11.3f%%\n", sizes[s], reader_counts[r], mr, gbs,
                       mm * 100);
            fflush(stdout);
        }
    return 0;
}
