/*
 * test_flowcount_table.c — the kernel flow table in segment 1 without BPF: what the writer
 * (flowcount_table_write, the half of flowcount_publish after reading the maps) puts under the
 * seqlock comes back through the reader (flowcount_table_snapshot) whole or not at all, and the
 * reader survives a table a broken writer left behind (count over capacity, lock stuck odd).
 * Every entry of a concurrent writer carries its generation, so a torn snapshot cannot pass.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture/flowcount/flowcount.h"
#include "capture/flowcount/kflow_read.h"

static struct shm_frames writer;
static char session[64];

static void setup(void)
{
    char err[SHM_ERR_MAX];
    snprintf(session, sizeof session, "fctable-%d-%ld", getpid(), (long)pthread_self() % 1000);
    cr_assert_eq(shm_frames_create(&writer, session, 1u << 20, (gid_t)-1, err, sizeof err), 0, "%s",
                 err);
    shm_segment_publish(&writer.seg);
}

static void teardown(void)
{
    shm_frames_close(&writer, true);
}

static struct shm_kflow entry(unsigned i, uint64_t gen)
{
    struct shm_kflow k;
    memset(&k, 0, sizeof k);
    k.key.ip_version = 4;
    k.key.proto = 17;
    k.key.addr_a[0] = 10;
    k.key.addr_a[3] = (uint8_t)i;
    k.key.addr_b[0] = 10;
    k.key.port_a = (uint16_t)i;
    k.packets[0] = gen;
    k.packets[1] = gen + 1;
    k.bytes[0] = gen * 1000 + i;
    k.bytes[1] = ~gen;
    return k;
}

static struct shm_kflow out[SHM_KFLOW_CAPACITY];

Test(flowcount_table, round_trip, .init = setup, .fini = teardown)
{
    struct shm_kflow in[3] = {entry(0, 5), entry(1, 5), entry(2, 5)};
    flowcount_table_write(&writer, in, 3, 123, 4567, 1, "counting (test)");
    struct shm_frames reader;
    char err[SHM_ERR_MAX];
    cr_assert_eq(shm_frames_attach(&reader, session, err, sizeof err), 0, "%s", err);
    struct shm_kflow_table_hdr h;
    long n = flowcount_table_snapshot(&reader, out, SHM_KFLOW_CAPACITY, &h);
    cr_assert_eq(n, 3);
    cr_assert_eq(memcmp(out, in, sizeof in), 0);
    cr_assert_eq(h.count, 3);
    cr_assert_eq(h.total_packets, 123);
    cr_assert_eq(h.total_bytes, 4567);
    cr_assert_eq(h.status, 1);
    cr_assert_str_eq(h.status_text, "counting (test)");
    cr_assert_eq(atomic_load(&h.lock) % 2, 0);
    cr_assert_neq(h.updated_ns, 0);

    /* A reader with less room gets the first entries and learns how many there were. */
    n = flowcount_table_snapshot(&reader, out, 2, &h);
    cr_assert_eq(n, 2);
    cr_assert_eq(h.count, 3);
    shm_frames_detach(&reader);
}

Test(flowcount_table, unavailable, .init = setup, .fini = teardown)
{
    struct shm_kflow in[1] = {entry(0, 1)};
    flowcount_table_write(&writer, in, 1, 1, 1, 1, "x");
    flowcount_publish_unavailable(&writer, "loading the BPF counter: Operation not permitted");
    struct shm_kflow_table_hdr h;
    cr_assert_eq(flowcount_table_snapshot(&writer, out, SHM_KFLOW_CAPACITY, &h), 0);
    cr_assert_eq(h.status, 2);
    cr_assert_str_eq(h.status_text, "loading the BPF counter: Operation not permitted");
    cr_assert_str_eq(flowcount_status_name(h.status), "unavailable");
    /* A reason longer than the field is cut, and still terminated. */
    char longtext[300];
    memset(longtext, 'r', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    flowcount_publish_unavailable(&writer, longtext);
    cr_assert_eq(flowcount_table_snapshot(&writer, out, SHM_KFLOW_CAPACITY, &h), 0);
    cr_assert_eq(strlen(h.status_text), sizeof h.status_text - 1);
}

Test(flowcount_table, writer_clips_to_capacity, .init = setup, .fini = teardown)
{
    static struct shm_kflow many[SHM_KFLOW_CAPACITY + 10];
    for (unsigned i = 0; i < SHM_KFLOW_CAPACITY + 10; i++) many[i] = entry(i, 2);
    flowcount_table_write(&writer, many, SHM_KFLOW_CAPACITY + 10, 0, 0, 1, "");
    struct shm_kflow_table_hdr h;
    cr_assert_eq(flowcount_table_snapshot(&writer, out, SHM_KFLOW_CAPACITY, &h),
                 SHM_KFLOW_CAPACITY);
    cr_assert_eq(h.count, SHM_KFLOW_CAPACITY);
}

Test(flowcount_table, hostile_count, .init = setup, .fini = teardown)
{
    struct shm_frames reader;
    char err[SHM_ERR_MAX];
    cr_assert_eq(shm_frames_attach(&reader, session, err, sizeof err), 0, "%s", err);
    /* The writer claims more entries than the capacity the reader validated at attach, and
     * also enlarges the capacity field: the reader must go by its own copy. */
    writer.hdr->kflow.count = SHM_KFLOW_CAPACITY + 1;
    writer.hdr->kflow.capacity = UINT64_MAX;
    struct shm_kflow_table_hdr h;
    errno = 0;
    cr_assert_eq(flowcount_table_snapshot(&reader, out, SHM_KFLOW_CAPACITY, &h), -1);
    cr_assert_eq(errno, EBADMSG);
    shm_frames_detach(&reader);
}

Test(flowcount_table, writer_died_mid_write, .init = setup, .fini = teardown)
{
    atomic_store(&writer.hdr->kflow.lock, 7); /* odd forever */
    struct shm_kflow_table_hdr h;
    uint64_t t0 = shm_now_mono_ns();
    errno = 0;
    cr_assert_eq(flowcount_table_snapshot(&writer, out, SHM_KFLOW_CAPACITY, &h), -1);
    cr_assert_eq(errno, EAGAIN);
    cr_assert_lt(shm_now_mono_ns() - t0, 1000000000ull, "a reader must give up quickly");
    /* The next writer steps to a new odd value, then even: readable again. */
    flowcount_table_write(&writer, NULL, 0, 9, 9, 1, "again");
    cr_assert_eq(flowcount_table_snapshot(&writer, out, SHM_KFLOW_CAPACITY, &h), 0);
    cr_assert_eq(atomic_load(&h.lock), 10);
}

static atomic_int stop;

static void *write_loop(void *arg)
{
    static struct shm_kflow buf[SHM_KFLOW_CAPACITY];
    for (uint64_t gen = 1; !atomic_load(&stop); gen++) {
        unsigned n = (unsigned)(gen % 200);
        for (unsigned i = 0; i < n; i++) buf[i] = entry(i, gen);
        flowcount_table_write(&writer, buf, n, gen, n, 1, "gen");
    }
    return arg;
}

Test(flowcount_table, never_torn, .init = setup, .fini = teardown, .timeout = 60)
{
    struct shm_frames reader;
    char err[SHM_ERR_MAX];
    cr_assert_eq(shm_frames_attach(&reader, session, err, sizeof err), 0, "%s", err);
    pthread_t t;
    pthread_create(&t, NULL, write_loop, NULL);
    uint64_t t0 = shm_now_mono_ns(), snaps = 0, busy = 0;
    while (shm_now_mono_ns() - t0 < 1500000000ull) {
        struct shm_kflow_table_hdr h;
        long n = flowcount_table_snapshot(&reader, out, SHM_KFLOW_CAPACITY, &h);
        if (n < 0) {
            cr_assert_eq(errno, EAGAIN);
            busy++;
            continue;
        }
        uint64_t gen = h.total_packets;
        cr_assert_eq((uint64_t)n, h.count);
        if (gen == 0) continue; /* before the first write */
        cr_assert_eq(h.count, gen % 200, "count from another generation");
        cr_assert_eq(h.total_bytes, h.count);
        for (long i = 0; i < n; i++) {
            struct shm_kflow want = entry((unsigned)i, gen);
            cr_assert_eq(memcmp(&out[i], &want, sizeof want), 0, "torn entry %ld of gen %llu", i,
                         (unsigned long long)gen);
        }
        snaps++;
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    cr_assert_gt(snaps, 100, "only %llu snapshots (%llu busy)", (unsigned long long)snaps,
                 (unsigned long long)busy);
    shm_frames_detach(&reader);
}
