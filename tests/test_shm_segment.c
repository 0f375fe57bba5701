/*
 * test_shm_segment.c — segments: naming, create/attach, permissions, stale versus live writers,
 * and hostile segment bytes (every corrupted header field must fail attach with a message,
 * random bytes must never crash a reader). The sanitizer build runs these too.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ring_util.h"

static char session[64];
static struct shm_frames W;
static bool have_writer;

static void make_segment(const char *tag)
{
    char err[SHM_ERR_MAX];
    test_session_name(session, sizeof session, tag);
    cr_assert_eq(shm_frames_create(&W, session, 1 << 20, (gid_t)-1, err, sizeof err), 0, "%s", err);
    have_writer = true;
    shm_segment_publish(&W.seg);
}

static void teardown(void)
{
    if (have_writer) shm_frames_close(&W, true);
    have_writer = false;
}

TestSuite(segment, .fini = teardown);

Test(segment, session_names_are_checked)
{
    cr_assert(shm_session_name_valid("eth0"));
    cr_assert(shm_session_name_valid("capture-1.pcap"));
    cr_assert_not(shm_session_name_valid(""));
    cr_assert_not(shm_session_name_valid("../etc"));
    cr_assert_not(shm_session_name_valid("a/b"));
    cr_assert_not(shm_session_name_valid(".hidden"));
    char out[64];
    shm_session_name_from("/tmp/some dir/x y.pcap", out, sizeof out);
    cr_assert_str_eq(out, "x_y.pcap");
    shm_session_name_from("-", out, sizeof out);
    cr_assert_str_eq(out, "-");
}

Test(segment, created_segment_is_0640_and_attaches_read_only)
{
    make_segment("seg");
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/packrat.%s.frames", session);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0640);
    struct shm_frames R;
    char err[SHM_ERR_MAX];
    cr_assert_eq(shm_frames_attach(&R, session, err, sizeof err), 0, "%s", err);
    cr_assert_not(R.seg.writable);
    cr_assert_eq(R.hdr->seg.writer_pid, getpid());
    cr_assert(shm_writer_alive(&R.hdr->seg));
    cr_assert_lt(shm_heartbeat_age_ms(&R.hdr->seg), 5000);
    shm_frames_detach(&R);
}

Test(segment, group_is_set_for_the_invoking_user)
{
    char err[SHM_ERR_MAX];
    test_session_name(session, sizeof session, "grp");
    gid_t gid = 65534; /* nogroup: any gid other than ours proves the chown */
    cr_assert_eq(shm_frames_create(&W, session, 1 << 20, gid, err, sizeof err), 0, "%s", err);
    have_writer = true;
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/packrat.%s.frames", session);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_gid, gid);
}

Test(segment, missing_session_gives_a_clear_message)
{
    struct shm_frames R;
    char err[SHM_ERR_MAX];
    cr_assert_neq(shm_frames_attach(&R, "no-such-session-xyz", err, sizeof err), 0);
    cr_assert(strstr(err, "no packrat session 'no-such-session-xyz'"), "got: %s", err);
}

Test(segment, attach_is_refused_while_the_segment_is_being_created)
{
    char err[SHM_ERR_MAX];
    test_session_name(session, sizeof session, "creating");
    cr_assert_eq(shm_frames_create(&W, session, 1 << 20, (gid_t)-1, err, sizeof err), 0);
    have_writer = true;
    struct shm_frames R;
    cr_assert_neq(shm_frames_attach(&R, session, err, sizeof err), 0);
    cr_assert(strstr(err, "still starting"), "got: %s", err);
}

Test(segment, other_users_are_refused_with_a_clear_message)
{
    cr_assert_eq(geteuid(), 0, "this test needs root (CI runs as root): it changes uid");
    make_segment("perm");
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        /* An unrelated user: not the owner, not in the segment's group. */
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
        struct shm_frames R;
        char err[SHM_ERR_MAX];
        if (shm_frames_attach(&R, session, err, sizeof err) == 0) _exit(1);
        _exit(strstr(err, "permission denied") ? 0 : 2);
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d",
              WEXITSTATUS(status));
}

Test(segment, a_member_of_the_segment_group_can_attach)
{
    cr_assert_eq(geteuid(), 0, "this test needs root (CI runs as root): it changes uid");
    char err[SHM_ERR_MAX];
    test_session_name(session, sizeof session, "member");
    cr_assert_eq(shm_frames_create(&W, session, 1 << 20, 65534, err, sizeof err), 0, "%s", err);
    have_writer = true;
    shm_segment_publish(&W.seg);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
        struct shm_frames R;
        _exit(shm_frames_attach(&R, session, err, sizeof err) == 0 ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(segment, a_live_segment_is_never_clobbered)
{
    make_segment("live");
    struct shm_frames other;
    char err[SHM_ERR_MAX];
    cr_assert_neq(shm_frames_create(&other, session, 1 << 20, (gid_t)-1, err, sizeof err), 0);
    cr_assert(strstr(err, "running session"), "got: %s", err);
}

Test(segment, a_stale_segment_is_replaced)
{
    char err[SHM_ERR_MAX];
    test_session_name(session, sizeof session, "stale");
    pid_t pid = fork();
    if (pid == 0) {
        struct shm_frames f;
        if (shm_frames_create(&f, session, 1 << 20, (gid_t)-1, err, sizeof err) != 0) _exit(1);
        shm_segment_publish(&f.seg);
        _exit(0); /* dies without cleaning up, like a crash */
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    struct shm_frames R;
    cr_assert_eq(shm_frames_attach(&R, session, err, sizeof err), 0, "%s", err);
    cr_assert_not(shm_writer_alive(&R.hdr->seg), "dead writer must not look alive");
    shm_frames_detach(&R);
    cr_assert_eq(shm_frames_create(&W, session, 1 << 20, (gid_t)-1, err, sizeof err), 0, "%s", err);
    have_writer = true;
}

/* ---- hostile bytes -------------------------------------------------------------------------- */

static uint8_t *copy_of_segment(void)
{
    uint8_t *copy = aligned_alloc(4096, W.seg.size);
    memcpy(copy, W.seg.base, W.seg.size);
    return copy;
}

static void expect_rejected(uint8_t *bytes, const char *what)
{
    struct shm_frames R;
    char err[SHM_ERR_MAX] = "";
    cr_assert_neq(shm_frames_open_mem(&R, bytes, W.seg.size, err, sizeof err), 0,
                  "corrupt %s was accepted", what);
    cr_assert_gt(strlen(err), 5, "no message for corrupt %s", what);
}

Test(segment, every_corrupted_header_field_is_rejected_with_a_message)
{
    make_segment("hostile");
    struct {
        const char *what;
        size_t off;
        uint64_t value;
        int width;
    } cases[] = {
        {"magic", offsetof(struct shm_seg_hdr, magic), 0x1234, 8},
        {"version", offsetof(struct shm_seg_hdr, version), 99, 4},
        {"kind", offsetof(struct shm_seg_hdr, kind), SHM_KIND_ANALYSIS, 4},
        {"total size", offsetof(struct shm_seg_hdr, total_size), 1ull << 40, 8},
        {"header size", offsetof(struct shm_seg_hdr, header_size), 16, 4},
        {"descriptor count (not 2^n)",
         offsetof(struct shm_frames_hdr, ring) + offsetof(struct shm_ring_hdr, desc_count), 1000,
         8},
        {"descriptor count (huge)",
         offsetof(struct shm_frames_hdr, ring) + offsetof(struct shm_ring_hdr, desc_count),
         1ull << 40, 8},
        {"descriptor offset",
         offsetof(struct shm_frames_hdr, ring) + offsetof(struct shm_ring_hdr, desc_off),
         UINT64_MAX - 63, 8},
        {"descriptor offset in header",
         offsetof(struct shm_frames_hdr, ring) + offsetof(struct shm_ring_hdr, desc_off), 0, 8},
        {"data offset",
         offsetof(struct shm_frames_hdr, ring) + offsetof(struct shm_ring_hdr, data_off),
         1ull << 50, 8},
        {"data size",
         offsetof(struct shm_frames_hdr, ring) + offsetof(struct shm_ring_hdr, data_size),
         UINT64_MAX, 8},
        {"data overlapping descriptors",
         offsetof(struct shm_frames_hdr, ring) + offsetof(struct shm_ring_hdr, data_off),
         SHM_HDR_SIZE + (uint64_t)SHM_KFLOW_CAPACITY * sizeof(struct shm_kflow) + 64, 8},
        {"record limit",
         offsetof(struct shm_frames_hdr, ring) + offsetof(struct shm_ring_hdr, max_record),
         1ull << 33, 8},
        {"kernel flow table capacity",
         offsetof(struct shm_frames_hdr, kflow) + offsetof(struct shm_kflow_table_hdr, capacity),
         1ull << 40, 8},
        {"kernel flow table offset", offsetof(struct shm_frames_hdr, kflow_off), 1ull << 41, 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *copy = copy_of_segment();
        if (cases[i].width == 8) {
            memcpy(copy + cases[i].off, &cases[i].value, 8);
        } else {
            uint32_t v = (uint32_t)cases[i].value;
            memcpy(copy + cases[i].off, &v, 4);
        }
        expect_rejected(copy, cases[i].what);
        free(copy);
    }
    /* Unterminated session name. */
    uint8_t *copy = copy_of_segment();
    memset(copy + offsetof(struct shm_seg_hdr, session), 'A', SHM_SESSION_MAX);
    expect_rejected(copy, "session name");
    free(copy);
    /* Too small to hold a header at all. */
    struct shm_frames R;
    char err[SHM_ERR_MAX];
    cr_assert_neq(shm_frames_open_mem(&R, W.seg.base, 100, err, sizeof err), 0);
}

Test(segment, a_truncated_segment_file_is_rejected_on_attach)
{
    make_segment("trunc");
    char name[128];
    snprintf(name, sizeof name, "/packrat.%s.frames", session);
    int fd = shm_open(name, O_RDWR, 0);
    cr_assert_geq(fd, 0);
    cr_assert_eq(ftruncate(fd, 8192), 0); /* header says 1 MiB, file is 8 KiB */
    close(fd);
    struct shm_frames R;
    char err[SHM_ERR_MAX];
    cr_assert_neq(shm_frames_attach(&R, session, err, sizeof err), 0);
    cr_assert(strstr(err, "bytes"), "got: %s", err);
    /* The writer's mapping is now partly beyond EOF: drop it without touching it. */
    shm_segment_detach(&W.seg);
    have_writer = false;
    shm_segment_unlink(session, SHM_KIND_FRAMES);
}

Test(segment, random_bytes_in_descriptors_and_counters_never_crash_a_reader)
{
    make_segment("random");
    static uint8_t b[SHM_FRAME_MAX];
    for (int i = 0; i < 300; i++) {
        struct shm_record m = {.len = 60 + (uint32_t)i};
        memset(b, i, m.len);
        shm_ring_append(&W.ring, &m, b);
    }
    struct shm_frames R;
    char err[SHM_ERR_MAX];
    cr_assert_eq(shm_frames_attach(&R, session, err, sizeof err), 0, "%s", err);
    uint64_t x = 88172645463325252ull, delivered = 0;
    uint8_t *desc = (uint8_t *)W.ring.desc;
    size_t desc_bytes = (W.ring.desc_mask + 1) * sizeof(struct shm_ring_desc);
    for (int round = 0; round < 200; round++) {
        for (int k = 0; k < 64; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            desc[x % desc_bytes] = (uint8_t)(x >> 32);
        }
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        /* The first half corrupts only descriptors; the second half the counters too. */
        if (round > 100 && round % 10 == 0) atomic_store(&W.hdr->ring.write_seq, x % 5000);
        if (round > 100 && round % 15 == 0) atomic_store(&W.hdr->ring.data_intent, x);
        if (round > 100 && round % 20 == 0) atomic_store(&W.hdr->ring.tail_seq, x);
        struct shm_ring_reader rd;
        shm_ring_reader_init(&rd, &R.ring, 0);
        struct shm_record m;
        for (int j = 0; j < 400; j++)
            if (shm_ring_next(&rd, &m, b, sizeof b, 0) == SHM_READ_OK) {
                delivered++;
                cr_assert_leq(m.len, R.ring.max_record);
            }
        for (uint64_t s = 0; s < 400; s++)
            if (shm_ring_read(&R.ring, s, &m, b, sizeof b) == SHM_READ_OK)
                cr_assert_leq(m.len, R.ring.max_record);
    }
    shm_frames_detach(&R);
    cr_assert_gt(delivered, 0, "intact records must still be delivered between corruptions");
}

Test(segment, an_exited_but_unreaped_writer_is_not_alive)
{
    char err[SHM_ERR_MAX];
    test_session_name(session, sizeof session, "zombie");
    int pipefd[2];
    cr_assert_eq(pipe(pipefd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct shm_frames f;
        if (shm_frames_create(&f, session, 1 << 20, (gid_t)-1, err, sizeof err) != 0) _exit(1);
        shm_segment_publish(&f.seg);
        _exit(0);
    }
    /* Do not reap: the child stays a zombie with a /proc entry and its start time. */
    for (int i = 0; i < 100; i++) {
        char path[64], state = 0;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        FILE *fp = fopen(path, "r");
        if (fp) {
            if (fscanf(fp, "%*d (%*[^)]) %c", &state) != 1) state = 0;
            fclose(fp);
        }
        if (state == 'Z') break;
        usleep(10000);
    }
    struct shm_frames R;
    cr_assert_eq(shm_frames_attach(&R, session, err, sizeof err), 0, "%s", err);
    cr_assert_not(shm_writer_alive(&R.hdr->seg), "a zombie writer must count as gone");
    shm_frames_detach(&R);
    waitpid(pid, NULL, 0);
    shm_segment_unlink(session, SHM_KIND_FRAMES);
}
