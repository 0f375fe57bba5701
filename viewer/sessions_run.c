/*
 * sessions_run.c — starting a session and keeping it alive: the supervisor, and the front that
 * stays on the user's terminal (a viewer, a headless wait for -w, or nothing with -d).
 *
 * Process tree of `sudo packrat -i eth0`:
 *
 *   packrat (front, root for a few ms) ── fork ──► supervisor (setsid, root for a few ms)
 *     │ drops to the user at once                    │ fork+exec ─► packrat-capture (root for its
 *     │ waits for "ready" on a pipe                  │                setup, then the user)
 *     ▼ viewer_run() on this terminal                │ drops to the user right after that fork
 *                                                    ├─ packrat-analyzer  (the user; restarted)
 *                                                    └─ packrat-record    (the user; -w only)
 *
 * Why no process keeps root: every process of a session ends up as the same unprivileged user
 * (the sudo user, -Z USER, or nobody), so the supervisor needs no privilege to signal and reap its
 * children — same uid for kill(2), parent for waitpid(2). The only root code that runs after the
 * fork is packrat-capture's own setup, which drops everything itself. The front drops before it
 * touches the terminal or the segments. Capture is exec'd with our environment so it computes the
 * same user (SUDO_UID/SUDO_GID); the supervisor checks it can signal capture once it published.
 *
 * The supervisor is in its own session (setsid) so ^C on the terminal reaches only the front;
 * children's stderr comes to it through a pipe: shown on the terminal until the session is ready,
 * then appended to /dev/shm/packrat.<name>.log (64 KiB at most; removed with the session), shown
 * live in headless mode, and its last lines printed by a TUI front after the viewer exits.
 */
#define _GNU_SOURCE
#include "viewer/sessions.h"
#include "capture/iface.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm/analysis.h"
#include "shm/frames.h"
#ifdef PACKRAT_HAVE_VIEWER
#include "viewer/viewer.h"
#endif

#define BACKOFF_MIN_MS   100u
#define BACKOFF_MAX_MS   5000u
#define BACKOFF_RESET_MS 10000u
#define LOG_MAX          (64 * 1024)
#define TAIL_LINES       12

static uint64_t now_ms(void)
{
    return shm_now_mono_ns() / 1000000ull;
}

int sessions_bindir(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = '\0';
    snprintf(out, len, "%s", exe);
    return 0;
}

/* tcpdump's default: the first up, running, non-loopback interface (as capture/iface.c). */
/* ---- the supervisor ------------------------------------------------------------------------- */

struct sup {
    const struct sessions_start *o;
    const char *session;
    const char *source;
    char bindir[PATH_MAX];
    struct privs_user user;
    pid_t front;
    pid_t cap, ana, rec;
    int cap_status, rec_status;
    bool cap_done, stopping, ready, seen_viewer;
    int exit_status;
    uint64_t ana_started, ana_next;
    unsigned backoff;
    unsigned restarts;
    int out_rd, out_wr; /* children's stdout+stderr */
    int sfd;            /* signalfd */
    int status_fd;      /* to the front; -1 once it is gone */
    int log_fd;
    size_t log_bytes;
    char partial[512];
    size_t npartial;
    char tail[TAIL_LINES][256];
    unsigned ntail;
};

/* One line of children's output: the terminal before ready, then the log (and tail/terminal). */
static void sup_line(struct sup *s, const char *line)
{
    if (!s->ready || s->o->front == SESSIONS_FRONT_HEADLESS) fprintf(stderr, "%s\n", line);
    if (s->ready) {
        snprintf(s->tail[s->ntail++ % TAIL_LINES], sizeof s->tail[0], "%s", line);
        size_t len = strlen(line);
        if (s->log_fd >= 0 && s->log_bytes + len + 1 <= LOG_MAX) {
            if (write(s->log_fd, line, len) > 0 && write(s->log_fd, "\n", 1) > 0)
                s->log_bytes += len + 1;
        }
    }
}

static void sup_logf(struct sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sup_logf(struct sup *s, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    sup_line(s, line);
}

static void sup_drain_output(struct sup *s)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(s->out_rd, buf, sizeof buf);
        if (n <= 0) return;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n' || s->npartial + 1 >= sizeof s->partial) {
                s->partial[s->npartial] = '\0';
                sup_line(s, s->partial);
                s->npartial = 0;
                if (buf[i] == '\n') continue;
            }
            s->partial[s->npartial++] = buf[i];
        }
    }
}

static void sup_status(struct sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sup_status(struct sup *s, const char *fmt, ...)
{
    if (s->status_fd < 0) return;
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0 && write(s->status_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line) < 0)
        s->status_fd = -1;
}

static pid_t sup_spawn(struct sup *s, char *const argv[])
{
    pid_t p = fork();
    if (p != 0) return p;
    /* Child: signals and dispositions as a fresh program expects them. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) dup2(null, 0);
    dup2(s->out_wr, 1);
    dup2(s->out_wr, 2);
    execv(argv[0], argv);
    fprintf(stderr, "packrat: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static void sup_start_analyzer(struct sup *s)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/packrat-analyzer", s->bindir);
    char *argv[] = {path, "--session", (char *)s->session, NULL};
    s->ana = sup_spawn(s, argv);
    s->ana_started = now_ms();
    if (s->ana < 0) {
        sup_logf(s, "packrat: starting the analyzer: %s", strerror(errno));
        s->ana = 0;
        s->ana_next = now_ms() + s->backoff;
    }
}

static void sup_start_recorder(struct sup *s)
{
    const struct sessions_start *o = s->o;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/packrat-record", s->bindir);
    char *argv[16];
    int n = 0;
    argv[n++] = path;
    argv[n++] = "--session";
    argv[n++] = (char *)s->session;
    argv[n++] = "-w";
    argv[n++] = (char *)o->write_file;
    if (o->rotate_mb) argv[n++] = "-C", argv[n++] = (char *)o->rotate_mb;
    if (o->rotate_files) argv[n++] = "-W", argv[n++] = (char *)o->rotate_files;
    if (o->rotate_seconds) argv[n++] = "-G", argv[n++] = (char *)o->rotate_seconds;
    argv[n] = NULL;
    s->rec = sup_spawn(s, argv);
    if (s->rec < 0) {
        sup_logf(s, "packrat: starting the recorder: %s", strerror(errno));
        s->rec = 0;
    }
}

static pid_t sup_start_capture(struct sup *s)
{
    const struct sessions_start *o = s->o;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/packrat-capture", s->bindir);
    char *argv[40];
    int n = 0;
    argv[n++] = path;
    if (o->read_file) {
        argv[n++] = "-r";
        argv[n++] = (char *)o->read_file;
        /* Stay until stopped, so viewers can look at a file's frames as long as they like; a
         * headless conversion (-r in -w out) ends at end of file like tcpdump ... */
        if (o->front != SESSIONS_FRONT_HEADLESS || !o->write_file) argv[n++] = "--linger";
        /* ... and then keeps its closed segment so that the recorder and analyzer, which may
         * attach only after capture has read a small file to the end, still find every frame.
         * The supervisor removes it when the session ends. */
        else
            argv[n++] = "--keep";
        if (o->realtime) argv[n++] = "--realtime";
    } else {
        argv[n++] = "-i";
        argv[n++] = (char *)s->source;
    }
    argv[n++] = "--session";
    argv[n++] = (char *)s->session;
    if (o->count) argv[n++] = "-c", argv[n++] = (char *)o->count;
    /* A TUI session outlives a capture that stopped at -c: keep its segment for the viewers
     * (the supervisor removes it when the session ends). */
    if (o->count && o->front == SESSIONS_FRONT_TUI && !o->read_file) argv[n++] = "--keep";
    if (o->snaplen) argv[n++] = "-s", argv[n++] = (char *)o->snaplen;
    if (o->buffer_mib) argv[n++] = "-B", argv[n++] = (char *)o->buffer_mib;
    if (o->direction) argv[n++] = "-Q", argv[n++] = (char *)o->direction;
    if (o->zuser) argv[n++] = "-Z", argv[n++] = (char *)o->zuser;
    if (o->size_mib) argv[n++] = "--size", argv[n++] = (char *)o->size_mib;
    if (o->no_promisc) argv[n++] = "-p";
    if (o->backend_pcap) argv[n++] = "--backend", argv[n++] = "pcap";
    if (o->no_bpf) argv[n++] = "--no-bpf";
    if (o->filter && *o->filter) argv[n++] = (char *)o->filter;
    argv[n] = NULL;
    return sup_spawn(s, argv);
}

static void sup_reap(struct sup *s)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p <= 0) return;
        char how[64];
        if (WIFSIGNALED(st))
            snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(st));
        else
            snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(st));
        if (p == s->cap) {
            s->cap = 0;
            s->cap_done = true;
            s->cap_status = st;
            bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
            /* Before the session is ready capture's own message says it all. */
            if (s->ready && !s->stopping && !clean)
                sup_logf(s, "packrat: capture (pid %d) %s", (int)p, how);
        } else if (p == s->ana) {
            s->ana = 0;
            if (s->stopping || s->cap_done) continue;
            /* Backoff: 100 ms doubling to 5 s; an analyzer that stayed up 10 s starts over. */
            uint64_t now = now_ms();
            if (now - s->ana_started >= BACKOFF_RESET_MS) s->backoff = BACKOFF_MIN_MS;
            s->ana_next = now + s->backoff;
            sup_logf(s, "packrat: analyzer (pid %d) %s; restarting in %u ms", (int)p, how,
                     s->backoff);
            s->backoff = s->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff * 2;
            s->restarts++;
        } else if (p == s->rec) {
            s->rec = 0;
            s->rec_status = st;
            bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
            if (!ok) sup_logf(s, "packrat: recorder (pid %d) %s; capture continues", (int)p, how);
            /* Headless is tcpdump -w: a write error ends it (with the recorder's message). */
            if (!ok && s->o->front == SESSIONS_FRONT_HEADLESS) {
                s->stopping = true;
                s->exit_status = 1;
            }
            if (s->o->front == SESSIONS_FRONT_HEADLESS && s->cap_done) s->stopping = true;
        }
    }
}

/* Handles what arrived (signals, output) for up to timeout_ms. */
static void sup_wait(struct sup *s, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = s->sfd, .events = POLLIN}, {.fd = s->out_rd, .events = POLLIN}};
    if (poll(p, 2, timeout_ms) <= 0) return;
    if (p[1].revents) sup_drain_output(s);
    if (p[0].revents & POLLIN) {
        struct signalfd_siginfo si;
        while (read(s->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
            if (si.ssi_signo == SIGCHLD)
                sup_reap(s);
            else
                s->stopping = true;
        }
    }
}

/* Waits up to ms for pid (one of ours) to be reaped; true when it is gone. */
static bool sup_wait_gone(struct sup *s, pid_t *pid, int ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    while (*pid && now_ms() < end) {
        sup_reap(s);
        if (*pid) sup_wait(s, 20);
    }
    return *pid == 0;
}

static void sup_end_child(struct sup *s, pid_t *pid, int grace_ms)
{
    if (!*pid) return;
    if (grace_ms > 0 && sup_wait_gone(s, pid, grace_ms)) return;
    kill(*pid, SIGTERM);
    if (sup_wait_gone(s, pid, 2000)) return;
    kill(*pid, SIGKILL);
    sup_wait_gone(s, pid, 1000);
}

/* Is the capture we started the writer of the published segment 1? */
static bool sup_published(struct sup *s)
{
    struct shm_frames f;
    char err[SHM_ERR_MAX];
    if (shm_frames_attach(&f, s->session, err, sizeof err) != 0) return false;
    bool ours = f.hdr->seg.writer_pid == s->cap;
    shm_frames_detach(&f);
    return ours;
}

static bool sup_analysis_ready(struct sup *s)
{
    struct shm_analysis a;
    char err[SHM_ERR_MAX];
    if (shm_analysis_attach(&a, s->session, err, sizeof err) != 0) return false;
    shm_analysis_detach(&a);
    return true;
}

/* Removes the supervisor's lock file, then releases the lock (in that order: a new supervisor
 * must never find the file unlocked while it still names us). */
static void sup_unregister(const char *session, int lock)
{
    if (lock < 0) return;
    char path[256];
    snprintf(path, sizeof path, SESSIONS_DIR "/packrat.%s.session", session);
    unlink(path);
    close(lock);
}

static int sup_run(struct sup *s)
{
    const struct sessions_start *o = s->o;
    char err[SESSIONS_ERR_MAX];
    s->backoff = BACKOFF_MIN_MS;
    s->log_fd = -1;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    signal(SIGPIPE, SIG_IGN);

    s->cap = sup_start_capture(s);
    if (s->cap < 0) {
        sup_status(s, "E1 starting packrat-capture: %s\n", strerror(errno));
        return 1;
    }
    /* From here on nothing in this process needs privilege: capture does its own setup. */
    if (privs_drop(&s->user, err, sizeof err) != 0) {
        kill(s->cap, SIGKILL);
        sup_status(s, "E1 %s\n", err);
        return 1;
    }
    int lock = sessions_supervisor_register(
        s->session, o->front == SESSIONS_FRONT_DETACH ? "bg" : "fg", err, sizeof err);
    if (lock < 0) sup_logf(s, "packrat: %s (continuing without it)", err);

    /* Wait for capture to publish its segment (it has dropped its privileges by then). */
    while (!sup_published(s)) {
        sup_wait(s, 50);
        sup_reap(s);
        if (s->cap_done) {
            sup_drain_output(s);
            int code = WIFEXITED(s->cap_status) ? WEXITSTATUS(s->cap_status) : 1;
            sup_status(s, "E%d\n", code ? code : 1);
            sup_unregister(s->session, lock);
            return code ? code : 1;
        }
        if (s->stopping) {
            kill(s->cap, SIGTERM);
            sup_end_child(s, &s->cap, 3000);
            sup_status(s, "E1 interrupted\n");
            sessions_remove_files(s->session);
            sup_unregister(s->session, lock);
            return 1;
        }
    }
    if (kill(s->cap, 0) != 0) {
        sup_status(s, "E1 capture runs as another user than the session (%s); not continuing\n",
                   strerror(errno));
        sup_unregister(s->session, lock);
        return 1;
    }
    char path[256];
    snprintf(path, sizeof path, SESSIONS_DIR "/packrat.%s.log", s->session);
    s->log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);

    sup_start_analyzer(s);
    if (o->write_file) sup_start_recorder(s);
    for (uint64_t end = now_ms() + 2000; now_ms() < end && !sup_analysis_ready(s);) sup_wait(s, 20);
    sup_drain_output(s);
    s->ready = true;
    sup_status(s, "R %d\n", (int)s->cap);
    if (o->front == SESSIONS_FRONT_DETACH) {
        /* Nobody is left to read the terminal: everything goes to the log from now on. */
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
            close(null);
        }
        close(s->status_fd);
        s->status_fd = -1;
    }

    uint64_t last_count = 0;
    while (!s->stopping) {
        /* Wake for the analyzer's restart time exactly, else every 100 ms for the viewer count. */
        uint64_t now = now_ms();
        int wait = 100;
        if (!s->ana && !s->cap_done && s->ana_next > now && s->ana_next - now < 100)
            wait = (int)(s->ana_next - now);
        else if (!s->ana && !s->cap_done)
            wait = s->ana_next > now ? 100 : 0;
        sup_wait(s, wait);
        sup_reap(s);
        now = now_ms();
        /* Capture gone ends the session — except a TUI session whose capture stopped cleanly
         * at -c COUNT: its viewers keep looking at what was captured until the last one quits. */
        bool linger = o->front == SESSIONS_FRONT_TUI && o->count && s->cap_done &&
                      WIFEXITED(s->cap_status) && WEXITSTATUS(s->cap_status) == 0;
        if (s->cap_done && !linger) break;
        if (!s->ana && !s->cap_done && now >= s->ana_next) sup_start_analyzer(s);
        /* A foreground TUI session lives while any viewer does (`packrat attach` ones too). */
        if (o->front == SESSIONS_FRONT_TUI && now - last_count >= 100) {
            last_count = now;
            int v = sessions_viewer_count(s->session);
            if (v > 0)
                s->seen_viewer = true;
            else if (s->seen_viewer || kill(s->front, 0) != 0)
                s->stopping = true;
        }
    }

    /* The end, in order: capture first (readers see it close), then the readers. */
    if (s->cap) kill(s->cap, SIGTERM);
    sup_end_child(s, &s->cap, 3000);
    if (s->ana) kill(s->ana, SIGTERM);
    sup_end_child(s, &s->ana, 2000);
    sup_end_child(s, &s->rec, 10000); /* the recorder drains what capture left, then exits */
    sup_drain_output(s);
    if (s->npartial) {
        s->partial[s->npartial] = '\0';
        sup_line(s, s->partial);
    }
    if (s->log_fd >= 0) close(s->log_fd);
    sessions_remove_files(s->session);
    /* The front prints these after its viewer: only when the session did not end as asked. */
    bool abnormal = s->exit_status != 0 ||
                    (s->cap_done && !(WIFEXITED(s->cap_status) && WEXITSTATUS(s->cap_status) == 0));
    for (unsigned i = s->ntail > TAIL_LINES ? s->ntail - TAIL_LINES : 0; abnormal && i < s->ntail;
         i++)
        sup_status(s, "L%s\n", s->tail[i % TAIL_LINES]);
    if (s->cap_done && !s->exit_status && WIFEXITED(s->cap_status) &&
        WEXITSTATUS(s->cap_status) != 0)
        s->exit_status = WEXITSTATUS(s->cap_status);
    sup_unregister(s->session, lock);
    return s->exit_status;
}

/* ---- the front ------------------------------------------------------------------------------ */

static volatile sig_atomic_t front_stop;
static void on_front_signal(int sig)
{
    (void)sig;
    front_stop = 1;
}

/* Reads one line from fd into buf (blocking). Returns its length or -1 at EOF. */
static int read_line(int fd, char *buf, size_t len)
{
    size_t n = 0;
    while (n + 1 < len) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR) {
            if (front_stop) return -1;
            continue;
        }
        if (r <= 0) break;
        if (c == '\n') {
            buf[n] = '\0';
            return (int)n;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    return n ? (int)n : -1;
}

static int wait_child(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return 1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* Runs a viewer on this terminal: in-process when the viewer library is linked in. */
static int run_viewer(const char *session, bool no_splash, bool stay)
{
#ifdef PACKRAT_HAVE_VIEWER
    struct viewer_options vo;
    viewer_options_init(&vo);
    vo.session = session;
    vo.no_splash = no_splash;
    /* Capture stopped at -c on purpose: keep showing. Otherwise leave 1 s after capture went
     * away: long enough to read the status bar, and the viewer prints why on exit as well. */
    vo.capture_gone_ms = stay ? -1 : 1000;
    return viewer_run(&vo);
#else
    (void)stay;
    char dir[PATH_MAX], path[PATH_MAX + 32];
    if (sessions_bindir(dir, sizeof dir) != 0) return 1;
    snprintf(path, sizeof path, "%s/packrat-viewer", dir);
    pid_t p = fork();
    if (p == 0) {
        char *argv[] = {path, "--session", (char *)session, no_splash ? "--no-splash" : NULL, NULL};
        execv(path, argv);
        fprintf(stderr, "packrat: no viewer in this build (%s: %s)\n", path, strerror(errno));
        _exit(1);
    }
    return p < 0 ? 1 : wait_child(p);
#endif
}

static int front_viewer(const char *session, bool no_splash, bool stay)
{
    char err[SESSIONS_ERR_MAX];
    int fd = sessions_viewer_join(session, err, sizeof err);
    if (fd < 0) fprintf(stderr, "packrat: %s (this viewer is not counted)\n", err);
    int rc = run_viewer(session, no_splash, stay);
    sessions_viewer_leave(session, fd);
    return rc;
}

int sessions_run(const struct sessions_start *o)
{
    char err[SESSIONS_ERR_MAX], ifname[64] = "", session[SHM_SESSION_MAX];
    static struct sup s;
    memset(&s, 0, sizeof s);
    s.o = o;
    if (sessions_bindir(s.bindir, sizeof s.bindir) != 0) {
        fprintf(stderr, "packrat: cannot find my own directory (/proc/self/exe)\n");
        return 1;
    }
    if (!o->read_file) {
        if (o->ifname)
            snprintf(ifname, sizeof ifname, "%s", o->ifname);
        else if (iface_default(ifname, sizeof ifname, err, sizeof err) != 0) {
            fprintf(stderr, "packrat: %s\n", err);
            return 1;
        }
    }
    s.source = o->read_file ? o->read_file : ifname;
    if (o->session)
        snprintf(session, sizeof session, "%s", o->session);
    else
        shm_session_name_from(s.source, session, sizeof session);
    if (!shm_session_name_valid(session)) {
        fprintf(stderr, "packrat: invalid session name '%s'\n", session);
        return 2;
    }
    s.session = session;
    if (privs_target(o->zuser, &s.user, err, sizeof err) != 0) {
        fprintf(stderr, "packrat: %s\n", err);
        return 2;
    }
    int st = sessions_clean_if_stale(session, stderr);
    if (st < 0 || sessions_supervisor_pid(session)) {
        fprintf(stderr,
                "packrat: session '%s' is already running: `packrat attach %s` opens a viewer on "
                "it; or choose another name with --session\n",
                session, session);
        return 1;
    }
    if (st == 0) sessions_remove_files(session); /* an ended session kept under this name */

    int sp[2], op[2];
    if (pipe2(sp, O_CLOEXEC) != 0 || pipe2(op, O_CLOEXEC) != 0) {
        perror("packrat: pipe");
        return 1;
    }
    fflush(NULL);
    s.front = getpid();
    pid_t sup = fork();
    if (sup < 0) {
        perror("packrat: fork");
        return 1;
    }
    if (sup == 0) {
        close(sp[0]);
        setsid();
        s.status_fd = sp[1];
        s.out_rd = op[0];
        s.out_wr = op[1];
        fcntl(s.out_rd, F_SETFL, O_NONBLOCK);
        _exit(sup_run(&s));
    }
    close(sp[1]);
    close(op[0]);
    close(op[1]);
    /* The front needs no privilege at all: drop before anything else happens in it. */
    if (privs_drop(&s.user, err, sizeof err) != 0) {
        fprintf(stderr, "packrat: %s\n", err);
        kill(sup, SIGTERM);
        wait_child(sup);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_front_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char line[700];
    int n = read_line(sp[0], line, sizeof line);
    if (n < 0 || line[0] != 'R') {
        if (front_stop) kill(sup, SIGTERM);
        int rc = wait_child(sup);
        if (n > 0 && line[0] == 'E' && strchr(line, ' '))
            fprintf(stderr, "packrat: %s\n", strchr(line, ' ') + 1);
        close(sp[0]);
        return rc ? rc : 1;
    }
    int rc = 0;
    pid_t cap_pid = (pid_t)atoi(line + 2);
    switch (o->front) {
    case SESSIONS_FRONT_DETACH:
        printf("packrat: session '%s' is running in the background (capture pid %d).\n"
               "  attach a viewer:  packrat attach %s\n"
               "  list sessions:    packrat list\n"
               "  end it:           packrat stop %s\n",
               session, (int)cap_pid, session, session);
        close(sp[0]);
        return 0; /* the supervisor is not waited for: it is the background session */
    case SESSIONS_FRONT_HEADLESS:
        while (!front_stop) {
            int r = waitpid(sup, &st, 0);
            if (r == sup) {
                close(sp[0]);
                return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
            }
        }
        kill(sup, SIGTERM);
        rc = wait_child(sup);
        close(sp[0]);
        return rc;
    case SESSIONS_FRONT_PRINT:
        rc = o->print_fn(session, o->print_ctx, &front_stop);
        kill(sup, SIGTERM);
        while ((n = read_line(sp[0], line, sizeof line)) >= 0)
            if (line[0] == 'L') fprintf(stderr, "%s\n", line + 1);
        wait_child(sup);
        close(sp[0]);
        return rc;
    case SESSIONS_FRONT_TUI:
        rc = front_viewer(session, o->no_splash, o->count && !o->read_file);
        int others = sessions_viewer_count(session);
        if (others > 0) {
            fprintf(stderr,
                    "packrat: session '%s' continues with %d other viewer(s); `packrat stop %s` "
                    "ends it\n",
                    session, others, session);
            close(sp[0]);
            return rc;
        }
        kill(sup, SIGTERM);
        while ((n = read_line(sp[0], line, sizeof line)) >= 0)
            if (line[0] == 'L') fprintf(stderr, "%s\n", line + 1);
        int srs = wait_child(sup);
        close(sp[0]);
        return rc ? rc : srs;
    }
    return rc;
}

int sessions_attach(const char *session, const char *zuser, bool no_splash)
{
    char err[SESSIONS_ERR_MAX];
    struct sessions_info list[64];
    if (!session) {
        int n = sessions_scan(list, 64, stderr);
        int live = 0, pick = -1;
        for (int i = 0; i < n; i++)
            if (list[i].health == SESSIONS_LIVE) live++, pick = i;
        if (live == 0) {
            fprintf(stderr, "packrat: no session is running (start one with sudo packrat -d)\n");
            return 1;
        }
        if (live > 1) {
            fprintf(stderr, "packrat: %d sessions are running; name one:\n", live);
            for (int i = 0; i < n; i++)
                if (list[i].health == SESSIONS_LIVE)
                    fprintf(stderr, "  packrat attach %s    (%s)\n", list[i].name, list[i].source);
            return 2;
        }
        session = list[pick].name;
    }
    struct sessions_info info;
    sessions_clean_if_stale(session, stderr);
    if (sessions_describe(session, &info) != 0 || info.health == SESSIONS_STALE) {
        fprintf(stderr, "packrat: no session '%s' (see packrat list)\n", session);
        return 1;
    }
    /* Root attaches as the session's owner (who can read its 0640 segments), never as root. */
    struct privs_user u;
    if (zuser || geteuid() != 0) {
        if (privs_target(zuser, &u, err, sizeof err) != 0) {
            fprintf(stderr, "packrat: %s\n", err);
            return 2;
        }
    } else {
        char name[128];
        struct stat stb;
        snprintf(name, sizeof name, SESSIONS_DIR "/packrat.%s.frames", session);
        if (stat(name, &stb) != 0) {
            fprintf(stderr, "packrat: %s: %s\n", name, strerror(errno));
            return 1;
        }
        memset(&u, 0, sizeof u);
        u.uid = stb.st_uid;
        u.switch_user = true;
        /* The owner's own group, not the segment's: a root-started session's segment 1 has
         * root's group, which a viewer must not get. */
        struct passwd *pw = getpwuid(stb.st_uid);
        u.gid = pw ? pw->pw_gid : (stb.st_gid ? stb.st_gid : 65534);
        if (u.uid == 0 && privs_target(NULL, &u, err, sizeof err) != 0) return 1;
    }
    if (privs_drop(&u, err, sizeof err) != 0) {
        fprintf(stderr, "packrat: %s\n", err);
        return 1;
    }
    return front_viewer(session, no_splash, false);
}
