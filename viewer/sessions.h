/*
 * sessions.h — what the `packrat` command knows about sessions: starting one (capture, analyzer,
 * recorder and a supervisor that restarts the analyzer), finding the running ones, counting their
 * viewers, stopping them, and removing what a crash left behind.
 *
 * A session is the pair of segments /dev/shm/packrat.<name>.frames and .analysis, plus two kinds
 * of small lock files next to them that need no write access to the segments:
 *
 *   /dev/shm/packrat.<name>.session      the supervisor's pid and start time; the supervisor
 *                                        holds an exclusive flock on it for its whole life
 *   /dev/shm/packrat.<name>.viewer.<pid> one per attached viewer, flock'ed by that viewer
 *
 * A lock dies with its process (kill -9 included), so "is this file locked" is an exact liveness
 * test with no pid-reuse race, and any user who can read the file can count viewers. Files whose
 * lock is free are stale and removed by whoever notices (when /dev/shm's sticky bit allows).
 */
#ifndef PACKRAT_VIEWER_SESSIONS_H
#define PACKRAT_VIEWER_SESSIONS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define SESSIONS_ERR_MAX 512
#define SESSIONS_DIR     "/dev/shm"

/* Who the unprivileged processes of a session run as (capture's own rule, see capture/privs.c). */
/* Who a session runs as and how it gets there: capture/privs.h (one rule for every process). */
#include "capture/privs.h"

/* ---- presence ------------------------------------------------------------------------------ */

/* Registers this process as a viewer of session; returns the held fd (keep it open) or -1. */
int sessions_viewer_join(const char *session, char *err, size_t errlen);
/* Unregisters (unlinks the file, releases the lock). */
void sessions_viewer_leave(const char *session, int fd);
/* Viewers whose lock is held right now; stale files are removed on the way. */
int sessions_viewer_count(const char *session);

/* The supervisor's registration: creates and locks the .session file. Returns the fd or -1. */
int sessions_supervisor_register(const char *session, const char *mode, char *err, size_t errlen);
/* The supervisor's pid when one holds the session's lock, else 0. */
pid_t sessions_supervisor_pid(const char *session);

/* ---- listing, status, stop, cleanup -------------------------------------------------------- */

enum sessions_health {
    SESSIONS_LIVE,     /* capture is running */
    SESSIONS_STARTING, /* segment 1 is still being created by a live capture */
    SESSIONS_ENDED,    /* capture ended cleanly and its segment was kept (--keep) */
    SESSIONS_STALE,    /* the writer died without closing: left by a crash */
};

struct sessions_info {
    char name[64];
    enum sessions_health health;
    char source[256];
    pid_t capture_pid, analyzer_pid, supervisor_pid;
    bool analyzer_alive;
    uint64_t created_ns;
    uint64_t frames_received, kernel_drops, bytes_received, write_seq, oldest;
    bool have_analysis;
    uint64_t frames_analyzed, frames_missed, next_frame_seq;
    uint32_t analyzer_generation;
    int viewers;
};

/* Describes one session by name; -1 (errno ENOENT) when it has no frame segment. */
int sessions_describe(const char *session, struct sessions_info *out);

/*
 * Scans /dev/shm for sessions. Stale ones (writer dead, never closed) are removed together with
 * their analysis segment and lock files and reported on `report` (may be NULL); orphan analysis
 * segments of a dead analyzer whose frame segment is gone are removed too. Returns how many live,
 * starting or ended sessions were stored in out (at most max), or -1.
 */
int sessions_scan(struct sessions_info *out, int max, FILE *report);

/* Removes a session that is not running: both segments and its lock files. */
void sessions_remove_files(const char *session);

/* Removes the session if it is stale; 1 if removed, 0 if absent or running/ended, -1 if live. */
int sessions_clean_if_stale(const char *session, FILE *report);

/* Asks a session to end (its supervisor, else its capture) and waits up to wait_ms for it. */
int sessions_stop(const char *session, int wait_ms, char *err, size_t errlen);

/* ---- starting ---------------------------------------------------------------------------- */

enum sessions_front {
    SESSIONS_FRONT_TUI,
    SESSIONS_FRONT_HEADLESS,
    SESSIONS_FRONT_DETACH,
    SESSIONS_FRONT_PRINT, /* live --print/--json/--flows: print_fn follows the session */
};

struct sessions_start {
    const char *session;    /* NULL: from the interface or file name */
    const char *ifname;     /* NULL with read_file NULL: the default interface */
    const char *read_file;  /* -r */
    const char *write_file; /* -w: recorded by packrat-record */
    const char *zuser;      /* -Z */
    const char *filter;
    const char *count, *snaplen, *buffer_mib, *direction, *rotate_mb, *rotate_files,
        *rotate_seconds, *size_mib;
    bool no_promisc, backend_pcap, realtime, no_splash, no_bpf;
    enum sessions_front front;
    /* SESSIONS_FRONT_PRINT: runs in the front after it dropped privileges; the session ends when
     * it returns. stop is set by SIGINT/SIGTERM/SIGHUP. Returns an exit status. */
    int (*print_fn)(const char *session, void *ctx, volatile const sig_atomic_t *stop);
    void *print_ctx;
};

/* Starts a session and runs its front (TUI, headless wait, or print-and-return). Exit status. */
int sessions_run(const struct sessions_start *o);

/* The directory of the running executable, where the sibling programs live. */
int sessions_bindir(char *out, size_t len);

/* Attaches a viewer to a running session (default: the only one). Exit status. */
int sessions_attach(const char *session, const char *zuser, bool no_splash);

#endif
