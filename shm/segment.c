/*
 * segment.c — creating, attaching and validating packrat's POSIX shared-memory segments.
 *
 * Permission rule: a segment is created with mode 0640, owned by the creating process's user and
 * by the group of the user who started the session (the capture passes SUDO_GID or the -Z user's
 * group). So that user (through the group) can attach viewers without root, and other users,
 * who are neither owner nor in that group, cannot read a byte of traffic.
 *
 * Liveness: the header records the writer's pid and the start time of that pid (from
 * /proc/PID/stat), so a recycled pid is never mistaken for the writer. A segment whose writer is
 * gone is stale and is removed by the next create of the same name; a live one is never touched.
 */
#define _GNU_SOURCE
#include "shm.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int shm_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *kind_suffix(enum shm_kind kind)
{
    return kind == SHM_KIND_FRAMES ? "frames" : kind == SHM_KIND_ANALYSIS ? "analysis" : NULL;
}

uint64_t shm_now_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t shm_now_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool shm_session_name_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= SHM_SESSION_MAX || s[0] == '.') return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-') return false;
    }
    return true;
}

void shm_session_name_from(const char *source, char *out, size_t outlen)
{
    if (!outlen) return;
    const char *base = source ? strrchr(source, '/') : NULL;
    base = base ? base + 1 : (source ? source : "");
    size_t j = 0;
    for (size_t i = 0; base[i] && j + 1 < outlen && j + 1 < SHM_SESSION_MAX; i++) {
        unsigned char c = (unsigned char)base[i];
        out[j++] = (isalnum(c) || c == '.' || c == '_' || c == '-') ? (char)c : '_';
    }
    out[j] = '\0';
    while (out[0] == '.') out[0] = '_';
    if (j == 0) snprintf(out, outlen, "stdin");
}

int shm_segment_name(char *name, size_t len, const char *session, enum shm_kind kind)
{
    const char *suffix = kind_suffix(kind);
    if (!suffix || !shm_session_name_valid(session)) return -1;
    int n = snprintf(name, len, "/packrat.%s.%s", session, suffix);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

uint64_t shm_process_start(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    /* comm may contain spaces and ')' : fields resume after the last ')'. Field 3 follows it. */
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    p++;
    /* Field 3 is the state: a zombie (or dead) writer has exited, it just is not reaped yet. */
    while (*p == ' ') p++;
    if (*p == 'Z' || *p == 'X' || *p == 'x') return 0;
    for (int field = 3; field < 22 && *p; field++) {
        while (*p == ' ') p++;
        while (*p && *p != ' ') p++;
    }
    unsigned long long start = 0;
    if (sscanf(p, " %llu", &start) != 1) return 0;
    return start;
}

bool shm_writer_alive(const struct shm_seg_hdr *hdr)
{
    pid_t pid = (pid_t)hdr->writer_pid;
    uint64_t start = hdr->writer_start;
    if (pid <= 0) return false;
    if (kill(pid, 0) != 0 && errno != EPERM) return false;
    uint64_t now_start = shm_process_start(pid);
    return now_start != 0 && now_start == start;
}

uint64_t shm_heartbeat_age_ms(const struct shm_seg_hdr *hdr)
{
    uint64_t hb = atomic_load_explicit(&hdr->heartbeat_ns, memory_order_relaxed);
    uint64_t now = shm_now_mono_ns();
    if (hb == 0) return UINT64_MAX;
    return now > hb ? (now - hb) / 1000000ull : 0;
}

int shm_segment_validate(const void *base, size_t size, enum shm_kind kind, char *err,
                         size_t errlen)
{
    const struct shm_seg_hdr *h = base;
    if (size < SHM_HDR_SIZE)
        return shm_fail(err, errlen, "segment is %zu bytes, smaller than a packrat header", size);
    if (h->magic != SHM_MAGIC) return shm_fail(err, errlen, "not a packrat segment (bad magic)");
    if (h->version != SHM_LAYOUT_VERSION)
        return shm_fail(err, errlen,
                        "segment layout version %u, this packrat understands %u (mixed versions?)",
                        h->version, SHM_LAYOUT_VERSION);
    if (h->kind != (uint32_t)kind)
        return shm_fail(err, errlen, "segment kind %u, expected %u", h->kind, (unsigned)kind);
    if (h->header_size != SHM_HDR_SIZE)
        return shm_fail(err, errlen, "segment header size %u, expected %u", h->header_size,
                        SHM_HDR_SIZE);
    if (h->total_size != size)
        return shm_fail(err, errlen, "segment says it is %llu bytes but is %zu",
                        (unsigned long long)h->total_size, size);
    if (memchr(h->session, '\0', sizeof h->session) == NULL)
        return shm_fail(err, errlen, "segment session name is not terminated");
    return 0;
}

/* Removes name if it exists and its writer is gone. Returns 0 if removed or absent. */
static int remove_if_stale(const char *name, char *err, size_t errlen)
{
    int fd = shm_open(name, O_RDONLY, 0);
    if (fd < 0) return errno == ENOENT ? 0 : shm_fail(err, errlen, "%s: %s", name, strerror(errno));
    struct stat st;
    bool alive = false;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= SHM_HDR_SIZE) {
        void *p = mmap(NULL, SHM_HDR_SIZE, PROT_READ, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) {
            const struct shm_seg_hdr *h = p;
            alive = h->magic == SHM_MAGIC && shm_writer_alive(h) &&
                    atomic_load(&h->state) != SHM_STATE_CLOSED;
            munmap(p, SHM_HDR_SIZE);
        }
    }
    close(fd);
    if (alive)
        return shm_fail(err, errlen, "%s belongs to a running session; choose another --session",
                        name);
    if (shm_unlink(name) != 0 && errno != ENOENT)
        return shm_fail(err, errlen, "removing stale %s: %s", name, strerror(errno));
    return 0;
}

int shm_segment_create(struct shm_segment *seg, const char *session, enum shm_kind kind,
                       size_t size, gid_t gid, char *err, size_t errlen)
{
    memset(seg, 0, sizeof *seg);
    if (!shm_session_name_valid(session))
        return shm_fail(
            err, errlen,
            "invalid session name '%s' (use letters, digits, '.', '_' or '-', at most %u)",
            session ? session : "", SHM_SESSION_MAX - 1);
    if (size < SHM_HDR_SIZE * 2) return shm_fail(err, errlen, "segment size %zu too small", size);
    if (shm_segment_name(seg->name, sizeof seg->name, session, kind) != 0)
        return shm_fail(err, errlen, "bad segment name");

    int fd = -1;
    for (int attempt = 0; attempt < 2 && fd < 0; attempt++) {
        fd = shm_open(seg->name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
        if (fd >= 0 || errno != EEXIST) break;
        if (remove_if_stale(seg->name, err, errlen) != 0) return -1;
    }
    if (fd < 0) return shm_fail(err, errlen, "creating %s: %s", seg->name, strerror(errno));

    /* umask may have narrowed the mode; the group rule needs exactly 0640. */
    if (fchmod(fd, 0640) != 0 || (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) != 0)) {
        shm_fail(err, errlen, "setting owner/mode of %s: %s", seg->name, strerror(errno));
        goto fail_unlink;
    }
    if (ftruncate(fd, (off_t)size) != 0) {
        shm_fail(err, errlen, "sizing %s to %zu bytes: %s", seg->name, size, strerror(errno));
        goto fail_unlink;
    }
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (base == MAP_FAILED) {
        shm_fail(err, errlen, "mapping %s: %s", seg->name, strerror(errno));
        goto fail_unlink;
    }
    close(fd);

    struct shm_seg_hdr *h = base;
    h->magic = SHM_MAGIC;
    h->version = SHM_LAYOUT_VERSION;
    h->kind = (uint32_t)kind;
    h->total_size = size;
    h->header_size = SHM_HDR_SIZE;
    h->created_ns = shm_now_real_ns();
    snprintf(h->session, sizeof h->session, "%s", session);
    atomic_store(&h->state, SHM_STATE_CREATING);
    seg->base = base;
    seg->size = size;
    seg->writable = true;
    seg->kind = kind;
    shm_segment_claim(seg);
    return 0;

fail_unlink:
    close(fd);
    shm_unlink(seg->name);
    return -1;
}

void shm_segment_publish(struct shm_segment *seg)
{
    struct shm_seg_hdr *h = seg->base;
    /* Release: pairs with the acquire load of state in attach(), so a reader that sees LIVE
     * sees the complete kind-specific header written before this. */
    atomic_store_explicit(&h->state, SHM_STATE_LIVE, memory_order_release);
}

static int attach(struct shm_segment *seg, const char *session, enum shm_kind kind, bool rw,
                  char *err, size_t errlen)
{
    memset(seg, 0, sizeof *seg);
    if (!shm_session_name_valid(session))
        return shm_fail(err, errlen, "invalid session name '%s'", session ? session : "");
    if (shm_segment_name(seg->name, sizeof seg->name, session, kind) != 0)
        return shm_fail(err, errlen, "bad segment name");
    int fd = shm_open(seg->name, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return shm_fail(
                err, errlen,
                "no packrat session '%s' (no /dev/shm%s); 'packrat list' shows sessions", session,
                seg->name);
        if (e == EACCES)
            return shm_fail(err, errlen,
                            "permission denied on /dev/shm%s: segments are readable by the user "
                            "who started the session and that user's group only",
                            seg->name);
        return shm_fail(err, errlen, "opening /dev/shm%s: %s", seg->name, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return shm_fail(err, errlen, "stat /dev/shm%s: %s", seg->name, strerror(errno));
    }
    size_t size = (size_t)st.st_size;
    if (size < SHM_HDR_SIZE) {
        close(fd);
        return shm_fail(err, errlen, "/dev/shm%s is %zu bytes: not a packrat segment", seg->name,
                        size);
    }
    void *base = mmap(NULL, size, rw ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED)
        return shm_fail(err, errlen, "mapping /dev/shm%s: %s", seg->name, strerror(errno));
    char why[SHM_ERR_MAX];
    if (shm_segment_validate(base, size, kind, why, sizeof why) != 0) {
        munmap(base, size);
        return shm_fail(err, errlen, "/dev/shm%s: %s", seg->name, why);
    }
    /* Acquire: pairs with the release store in shm_segment_publish(). */
    uint32_t state =
        atomic_load_explicit(&((struct shm_seg_hdr *)base)->state, memory_order_acquire);
    if (state == SHM_STATE_CREATING) {
        munmap(base, size);
        errno = EAGAIN;
        return shm_fail(err, errlen, "session '%s' is still starting", session);
    }
    seg->base = base;
    seg->size = size;
    seg->writable = rw;
    seg->kind = kind;
    return 0;
}

int shm_segment_attach(struct shm_segment *seg, const char *session, enum shm_kind kind, char *err,
                       size_t errlen)
{
    return attach(seg, session, kind, false, err, errlen);
}

int shm_segment_attach_rw(struct shm_segment *seg, const char *session, enum shm_kind kind,
                          char *err, size_t errlen)
{
    return attach(seg, session, kind, true, err, errlen);
}

void shm_segment_detach(struct shm_segment *seg)
{
    if (seg->base) munmap(seg->base, seg->size);
    seg->base = NULL;
    seg->size = 0;
}

int shm_segment_unlink(const char *session, enum shm_kind kind)
{
    char name[96];
    if (shm_segment_name(name, sizeof name, session, kind) != 0) return -1;
    if (shm_unlink(name) != 0 && errno != ENOENT) return -1;
    return 0;
}

void shm_segment_claim(struct shm_segment *seg)
{
    struct shm_seg_hdr *h = seg->base;
    h->writer_pid = (int32_t)getpid();
    h->writer_start = shm_process_start(getpid());
    atomic_fetch_add(&h->writer_generation, 1);
    shm_segment_heartbeat(seg);
}

void shm_segment_heartbeat(struct shm_segment *seg)
{
    struct shm_seg_hdr *h = seg->base;
    atomic_store_explicit(&h->heartbeat_ns, shm_now_mono_ns(), memory_order_relaxed);
}

void shm_segment_close(struct shm_segment *seg)
{
    if (seg->base && seg->writable) {
        struct shm_seg_hdr *h = seg->base;
        atomic_store_explicit(&h->state, SHM_STATE_CLOSED, memory_order_release);
    }
    shm_segment_detach(seg);
}
