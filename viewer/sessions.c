/*
 * sessions.c — the session registry: who a session runs as, its lock files (supervisor and
 * viewers), describing and listing sessions, stopping them, and cleaning up after crashes.
 *
 * Liveness comes from two independent sources and neither is a guess: a segment's writer is
 * alive when its recorded pid still runs with the recorded start time (shm_writer_alive), and a
 * supervisor or viewer is alive while it holds the flock on its file. A session is *stale* only
 * when capture's segment was never closed and its writer is gone — a segment closed on purpose
 * and kept (--keep) is someone's result, not debris, and is left alone.
 */
#define _GNU_SOURCE
#include "viewer/sessions.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm/analysis.h"
#include "shm/frames.h"

static void sleep_ms(int ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* ---- lock files ----------------------------------------------------------------------------- */

static void lock_path(char *out, size_t len, const char *session, const char *what, long pid)
{
    if (pid > 0)
        snprintf(out, len, SESSIONS_DIR "/packrat.%s.%s.%ld", session, what, pid);
    else
        snprintf(out, len, SESSIONS_DIR "/packrat.%s.%s", session, what);
}

/* 1: someone holds the lock on path; 0: free (stale file) or absent. */
static int lock_held(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return 0;
    int held = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0)
        held = errno == EWOULDBLOCK ? 1 : 0;
    else
        flock(fd, LOCK_UN);
    close(fd);
    return held;
}

/* Creates path exclusively (replacing a stale one), locks it and writes text into it. */
static int lock_create(const char *path, const char *text, char *err, size_t errlen)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 && errno == EEXIST && !lock_held(path)) {
            unlink(path);
            continue;
        }
        if (fd < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            snprintf(err, errlen, "locking %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        /* Readable by everyone who may count viewers; the lock, not the text, is the signal. */
        (void)fchmod(fd, 0644);
        ssize_t wr = write(fd, text, strlen(text)); /* informative only: a short write is fine */
        (void)wr;
        return fd;
    }
    snprintf(err, errlen, "%s exists and is locked", path);
    return -1;
}

int sessions_viewer_join(const char *session, char *err, size_t errlen)
{
    char path[256], text[64];
    lock_path(path, sizeof path, session, "viewer", (long)getpid());
    snprintf(text, sizeof text, "%ld\n", (long)getpid());
    return lock_create(path, text, err, errlen);
}

void sessions_viewer_leave(const char *session, int fd)
{
    if (fd < 0) return;
    char path[256];
    lock_path(path, sizeof path, session, "viewer", (long)getpid());
    unlink(path);
    close(fd);
}

/* Calls fn for every lock file of session ("viewer.<pid>" files when viewers, else all). */
static int count_viewer_files(const char *session, bool remove_all)
{
    DIR *d = opendir(SESSIONS_DIR);
    if (!d) return 0;
    char prefix[128];
    int plen = snprintf(prefix, sizeof prefix, "packrat.%s.viewer.", session);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, prefix, (size_t)plen) != 0) continue;
        const char *p = e->d_name + plen;
        if (!*p || strspn(p, "0123456789") != strlen(p)) continue;
        char path[512];
        snprintf(path, sizeof path, SESSIONS_DIR "/%s", e->d_name);
        if (!remove_all && lock_held(path))
            n++;
        else
            unlink(path); /* stale (or the session is gone); EPERM under the sticky bit is fine */
    }
    closedir(d);
    return n;
}

int sessions_viewer_count(const char *session)
{
    return count_viewer_files(session, false);
}

int sessions_supervisor_register(const char *session, const char *mode, char *err, size_t errlen)
{
    char path[256], text[128];
    lock_path(path, sizeof path, session, "session", 0);
    snprintf(text, sizeof text, "%ld %llu %s\n", (long)getpid(),
             (unsigned long long)shm_process_start(getpid()), mode);
    return lock_create(path, text, err, errlen);
}

pid_t sessions_supervisor_pid(const char *session)
{
    char path[256], buf[128] = "";
    lock_path(path, sizeof path, session, "session", 0);
    if (!lock_held(path)) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    long pid = 0;
    unsigned long long start = 0;
    if (sscanf(buf, "%ld %llu", &pid, &start) != 2 || pid <= 0) return 0;
    /* The lock proves a supervisor is alive; the start time proves it is the pid written. */
    if (shm_process_start((pid_t)pid) != start) return 0;
    return (pid_t)pid;
}

/* ---- reading segment headers ---------------------------------------------------------------- */

/*
 * Peeks at a segment's common header without the full attach (which refuses segments still
 * being created): 1 = a packrat segment was read into *h, 0 = absent, -1 = unreadable/not ours.
 */
static int peek_header(const char *session, enum shm_kind kind, struct shm_seg_hdr *h)
{
    char name[128];
    if (shm_segment_name(name, sizeof name, session, kind) != 0) return -1;
    int fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= SHM_HDR_SIZE) {
        void *p = mmap(NULL, SHM_HDR_SIZE, PROT_READ, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) {
            memcpy(h, p, sizeof *h);
            /* The copy's atomics are plain reads of a snapshot; state is re-read atomically. */
            atomic_store(&h->state, atomic_load(&((const struct shm_seg_hdr *)p)->state));
            rc = h->magic == SHM_MAGIC && h->kind == (uint32_t)kind ? 1 : -1;
            munmap(p, SHM_HDR_SIZE);
        }
    }
    close(fd);
    return rc;
}

static bool hdr_stale(const struct shm_seg_hdr *h)
{
    return atomic_load(&h->state) != SHM_STATE_CLOSED && !shm_writer_alive(h);
}

void sessions_remove_files(const char *session)
{
    shm_segment_unlink(session, SHM_KIND_FRAMES);
    shm_segment_unlink(session, SHM_KIND_ANALYSIS);
    char path[256];
    lock_path(path, sizeof path, session, "session", 0);
    if (!lock_held(path)) unlink(path);
    lock_path(path, sizeof path, session, "log", 0);
    unlink(path);
    count_viewer_files(session, true);
}

int sessions_describe(const char *session, struct sessions_info *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", session);
    struct shm_seg_hdr h;
    int rc = peek_header(session, SHM_KIND_FRAMES, &h);
    if (rc <= 0) {
        errno = rc == 0 ? ENOENT : EACCES;
        return -1;
    }
    uint32_t state = atomic_load(&h.state);
    bool alive = shm_writer_alive(&h);
    out->capture_pid = h.writer_pid;
    out->created_ns = h.created_ns;
    if (state == SHM_STATE_CLOSED)
        out->health = SESSIONS_ENDED;
    else if (!alive)
        out->health = SESSIONS_STALE;
    else if (state == SHM_STATE_CREATING)
        out->health = SESSIONS_STARTING;
    else
        out->health = SESSIONS_LIVE;
    out->supervisor_pid = sessions_supervisor_pid(session);
    out->viewers = sessions_viewer_count(session);
    if (out->health == SESSIONS_STARTING || out->health == SESSIONS_STALE) return 0;

    struct shm_frames f;
    char err[SHM_ERR_MAX];
    if (shm_frames_attach(&f, session, err, sizeof err) == 0) {
        shm_copy_str(out->source, sizeof out->source, f.hdr->source, sizeof f.hdr->source);
        out->frames_received = atomic_load(&f.hdr->frames_received);
        out->bytes_received = atomic_load(&f.hdr->bytes_received);
        out->kernel_drops = atomic_load(&f.hdr->kernel_drops);
        out->write_seq = shm_ring_write_seq(&f.ring);
        out->oldest = shm_ring_oldest(&f.ring);
        shm_frames_detach(&f);
    }
    struct shm_analysis a;
    if (shm_analysis_attach(&a, session, err, sizeof err) == 0) {
        out->have_analysis = true;
        out->analyzer_pid = a.hdr->seg.writer_pid;
        out->analyzer_alive = shm_writer_alive(&a.hdr->seg);
        out->analyzer_generation = atomic_load(&a.hdr->seg.writer_generation);
        out->frames_analyzed = atomic_load(&a.hdr->frames_analyzed);
        out->frames_missed = atomic_load(&a.hdr->frames_missed);
        out->next_frame_seq = atomic_load(&a.hdr->next_frame_seq);
        shm_analysis_detach(&a);
    }
    return 0;
}

int sessions_clean_if_stale(const char *session, FILE *report)
{
    struct shm_seg_hdr h;
    int rc = peek_header(session, SHM_KIND_FRAMES, &h);
    if (rc < 0) return 0;
    if (rc == 0) {
        /* No capture: an analysis segment or lock files may still be left from a crash. */
        struct shm_seg_hdr a;
        if (peek_header(session, SHM_KIND_ANALYSIS, &a) == 1 && hdr_stale(&a)) {
            shm_segment_unlink(session, SHM_KIND_ANALYSIS);
            if (report) fprintf(report, "packrat: removed the stale analysis of '%s'\n", session);
        }
        /* Only our own debris goes here: a closed analysis without its frames may be someone's
         * result (a test reading it), and a segment about to be created is not ours to touch. */
        if (!sessions_supervisor_pid(session)) {
            char path[256];
            lock_path(path, sizeof path, session, "session", 0);
            if (!lock_held(path)) unlink(path);
            lock_path(path, sizeof path, session, "log", 0);
            unlink(path);
            count_viewer_files(session, false); /* removes the unlocked ones */
        }
        return 0;
    }
    if (!hdr_stale(&h)) return atomic_load(&h.state) == SHM_STATE_CLOSED ? 0 : -1;
    /* A live supervisor may be between capture's death and its own cleanup: let it finish. */
    if (sessions_supervisor_pid(session)) return -1;
    sessions_remove_files(session);
    if (report)
        fprintf(report,
                "packrat: removed stale session '%s' (its capture, pid %d, died without "
                "closing it)\n",
                session, (int)h.writer_pid);
    return 1;
}

int sessions_scan(struct sessions_info *out, int max, FILE *report)
{
    DIR *d = opendir(SESSIONS_DIR);
    if (!d) return -1;
    /* Collect names first: cleaning while iterating would change the directory under us. */
    char(*names)[64] = calloc(1024, sizeof *names);
    int nn = 0;
    if (!names) {
        closedir(d);
        return -1;
    }
    for (struct dirent *e; (e = readdir(d)) && nn < 1024;) {
        if (strncmp(e->d_name, "packrat.", 8) != 0) continue;
        const char *s = e->d_name + 8;
        size_t len = strlen(s);
        const char *suffixes[] = {".frames", ".analysis", ".session", ".log"};
        for (size_t k = 0; k < 4; k++) {
            size_t sl = strlen(suffixes[k]);
            if (len > sl && len - sl < 64 && strcmp(s + len - sl, suffixes[k]) == 0) {
                char name[64];
                memcpy(name, s, len - sl);
                name[len - sl] = '\0';
                if (!shm_session_name_valid(name)) break;
                bool dup = false;
                for (int i = 0; i < nn && !dup; i++) dup = strcmp(names[i], name) == 0;
                if (!dup) snprintf(names[nn++], 64, "%s", name);
                break;
            }
        }
    }
    closedir(d);
    int n = 0;
    for (int i = 0; i < nn; i++) {
        if (sessions_clean_if_stale(names[i], report) == 1) continue;
        struct sessions_info info;
        if (sessions_describe(names[i], &info) != 0) {
            if (errno == EACCES && report)
                fprintf(report,
                        "packrat: session '%s' exists but you may not read it (its owner, group "
                        "members and root may; see docs/devices.md)\n",
                        names[i]);
            continue;
        }
        if (info.health == SESSIONS_STALE) continue;
        if (n < max) out[n] = info;
        n++;
    }
    free(names);
    return n < max ? n : max;
}

int sessions_stop(const char *session, int wait_ms, char *err, size_t errlen)
{
    struct sessions_info info;
    int drc = sessions_describe(session, &info), derr = errno;
    if (drc != 0 && !sessions_supervisor_pid(session)) {
        if (derr == EACCES)
            snprintf(err, errlen, "session '%s': permission denied (run as its owner or root)",
                     session);
        else
            snprintf(err, errlen, "no session '%s' (see packrat list)", session);
        return -1;
    }
    /* The supervisor ends everything in order; a bare capture (no supervisor) is asked itself. */
    pid_t sup = sessions_supervisor_pid(session);
    if (!sup && (info.health == SESSIONS_STALE || info.health == SESSIONS_ENDED)) {
        sessions_remove_files(session);
        return 0;
    }
    pid_t target = sup ? sup : info.capture_pid;
    if (target <= 0 || kill(target, SIGTERM) != 0) {
        snprintf(err, errlen, "cannot signal session '%s' (pid %d): %s", session, (int)target,
                 strerror(errno));
        return -1;
    }
    for (int waited = 0; waited < wait_ms; waited += 20) {
        struct shm_seg_hdr h;
        bool frames = peek_header(session, SHM_KIND_FRAMES, &h) == 1 &&
                      atomic_load(&h.state) != SHM_STATE_CLOSED && shm_writer_alive(&h);
        if (!frames && !sessions_supervisor_pid(session)) {
            if (!sup) sessions_remove_files(session);
            return 0;
        }
        sleep_ms(20);
    }
    snprintf(err, errlen, "session '%s' did not end within %d ms", session, wait_ms);
    return -1;
}
