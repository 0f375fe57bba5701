/*
 * record.c — packrat-record: the unprivileged recorder behind `packrat -w FILE`.
 *
 *   packrat-record --session NAME -w FILE [-C MB] [-W N] [-G SECONDS] [--wait-ms N] [-q]
 *
 * It follows a session's frame ring read-only, like a viewer, and writes every frame to a
 * nanosecond pcap (viewer/session_export.c: each file always ends on a complete record). Being a
 * reader of the ring, it can neither slow capture down nor take it down: if it falls behind it is
 * lapped and counts what it missed; if the disk fills it says so and exits, and capture, the
 * analyzer and the viewers go on.
 *
 * Rotation and file names are tcpdump's: -C starts a new file once the current one exceeds MB
 * million bytes (FILE, FILE1, FILE2, ...; with -W N the suffix is zero-padded and wraps after N
 * files: FILE0 .. FILE<N-1>); -G starts a new file every SECONDS with FILE passed through
 * strftime (and with -W N, stops after N files); both together number the files within each
 * time period. It ends when capture has closed the session and every frame is written, or on
 * SIGTERM/SIGINT after writing what capture had already published.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/args.h"
#include "shm/frames.h"
#include "viewer/session_export.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct rec {
    const char *pattern; /* -w as given */
    uint64_t cbytes;     /* -C in bytes, 0 = off */
    unsigned wfiles;     /* -W, 0 = off */
    unsigned wchars;     /* digits of the -W suffix (tcpdump's WflagChars) */
    unsigned gsecs;      /* -G, 0 = off */
    unsigned ccount;     /* -C file number within the current period */
    unsigned gcount;     /* -G periods started */
    time_t gstart;
    uint32_t link_type, snaplen;
    struct export_writer w;
    bool open;
    uint64_t files;
    bool quiet;
};

static unsigned digits_of(unsigned n)
{
    unsigned c = 0;
    for (n = n ? n - 1 : 0; n > 0; n /= 10) c++; /* tcpdump: digits of W-1 */
    return c;
}

/* tcpdump's MakeFilename: strftime with -G, then the -C number unless it is 0 and unpadded. */
static int make_name(const struct rec *r, unsigned cnt, unsigned chars, char *out, size_t len)
{
    char base[PATH_MAX];
    if (r->gsecs) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        if (strftime(base, sizeof base, r->pattern, &tm) == 0) return -1;
    } else
        snprintf(base, sizeof base, "%s", r->pattern);
    int n = (cnt == 0 && chars == 0) ? snprintf(out, len, "%s", base)
                                     : snprintf(out, len, "%s%0*u", base, (int)chars, cnt);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static int open_file(struct rec *r, unsigned cnt, unsigned chars, char *err, size_t errlen)
{
    char name[PATH_MAX];
    if (make_name(r, cnt, chars, name, sizeof name) != 0) {
        snprintf(err, errlen, "-w %s: file name too long", r->pattern);
        return -1;
    }
    if (export_writer_open(&r->w, name, r->link_type, r->snaplen, err, errlen) != 0) return -1;
    r->open = true;
    r->files++;
    return 0;
}

static int close_file(struct rec *r, char *err, size_t errlen)
{
    if (!r->open) return 0;
    r->open = false;
    return export_writer_close(&r->w, err, errlen);
}

/* Rotates before writing a frame when -G's period or -C's size says so. 1 = -G -W reached. */
static int maybe_rotate(struct rec *r, char *err, size_t errlen)
{
    if (r->gsecs) {
        time_t now = time(NULL);
        if (now - r->gstart >= (time_t)r->gsecs) {
            r->gstart = now;
            r->gcount++;
            if (!r->cbytes && r->wfiles && r->gcount >= r->wfiles) return 1;
            if (close_file(r, err, errlen) != 0) return -1;
            r->ccount = 0;
            return open_file(r, 0, r->cbytes ? r->wchars : 0, err, errlen);
        }
    }
    if (r->cbytes && r->w.size > r->cbytes) {
        if (close_file(r, err, errlen) != 0) return -1;
        r->ccount = r->wfiles ? (r->ccount + 1) % r->wfiles : r->ccount + 1;
        return open_file(r, r->ccount, r->wchars, err, errlen);
    }
    return 0;
}

static unsigned long long number(const char *opt, const char *s, unsigned long long max)
{
    unsigned long long v;
    if (args_number("packrat-record", opt, s, 1, max, &v) != 0) exit(2);
    return v;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: packrat-record --session NAME -w FILE [-C MB] [-W N] [-G SECONDS]\n"
               "                      [--wait-ms N] [-q]\n");
}

int main(int argc, char **argv)
{
    static struct rec r;
    const char *session = NULL;
    int wait_ms = 5000;
    enum { O_SESSION = 256, O_WAIT };
    static const struct option opts[] = {{"session", required_argument, 0, O_SESSION},
                                         {"wait-ms", required_argument, 0, O_WAIT},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "w:C:W:G:qh", opts, NULL)) != -1;) {
        switch (c) {
        case 'w':
            r.pattern = optarg;
            break;
        case 'C':
            r.cbytes = number("-C", optarg, 1000000) * 1000000ull; /* tcpdump: millions */
            break;
        case 'W':
            r.wfiles = (unsigned)number("-W", optarg, 1000000);
            break;
        case 'G':
            r.gsecs = (unsigned)number("-G", optarg, 100000000);
            break;
        case 'q':
            r.quiet = true;
            break;
        case O_SESSION:
            session = optarg;
            break;
        case O_WAIT:
            wait_ms = (int)number("--wait-ms", optarg, 600000);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!session || !r.pattern || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (geteuid() == 0) {
        fprintf(stderr, "packrat-record: refusing to run as root (packrat starts it as the "
                        "session's user)\n");
        return 2;
    }
    r.wchars = r.wfiles ? digits_of(r.wfiles) : 0;

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct shm_frames f;
    char err[EXPORT_ERR_MAX];
    for (int waited = 0;; waited += 50) {
        if (shm_frames_attach(&f, session, err, sizeof err) == 0) break;
        if (waited >= wait_ms || stop_requested) {
            fprintf(stderr, "packrat-record: %s\n", err);
            return 1;
        }
        usleep(50 * 1000);
    }
    r.link_type = f.hdr->link_type;
    r.snaplen = f.hdr->snaplen;
    r.gstart = time(NULL);
    if (open_file(&r, 0, r.cbytes ? r.wchars : 0, err, sizeof err) != 0) {
        fprintf(stderr, "packrat-record: %s\n", err);
        shm_frames_detach(&f);
        return 1;
    }

    static uint8_t frame[SHM_FRAME_MAX];
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &f.ring, 0);
    uint64_t stop_at = UINT64_MAX, written = 0;
    int status = 0;
    for (;;) {
        if (stop_requested && stop_at == UINT64_MAX) stop_at = shm_ring_write_seq(&f.ring);
        if (rd.next >= stop_at) break;
        struct shm_record m;
        enum shm_read_result res = shm_ring_next(&rd, &m, frame, sizeof frame, 200);
        if (res == SHM_READ_OK) {
            int rot = maybe_rotate(&r, err, sizeof err);
            if (rot == 1) break; /* -G with -W: the last file is complete */
            if (rot < 0 || export_writer_frame(&r.w, &m, frame, err, sizeof err) != 0) {
                fprintf(stderr, "packrat-record: %s\n", err);
                status = 1;
                break;
            }
            written++;
            continue;
        }
        if (res == SHM_READ_AGAIN) {
            uint32_t state = atomic_load(&f.hdr->seg.state);
            if ((state == SHM_STATE_CLOSED || !shm_writer_alive(&f.hdr->seg)) &&
                shm_ring_lag(&rd) == 0)
                break; /* capture is gone and everything it published is written */
        }
    }
    if (close_file(&r, err, sizeof err) != 0) {
        fprintf(stderr, "packrat-record: %s\n", err);
        status = 1;
    }
    if (!r.quiet)
        fprintf(stderr,
                "packrat-record: %llu packets written to %llu file(s), %llu missed (overwritten "
                "in the ring before they were recorded)\n",
                (unsigned long long)written, (unsigned long long)r.files,
                (unsigned long long)rd.missed);
    shm_frames_detach(&f);
    return status;
}
