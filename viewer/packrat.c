/*
 * packrat.c — the `packrat` command people type. It turns tcpdump-style options into the right
 * processes:
 *
 *   packrat -r FILE --print|--json|--flows   batch modes, in this process (analyzer/batch.c)
 *   [sudo] packrat [-i IF | -r FILE] ...     a session: capture, analyzer and a viewer here
 *   sudo packrat -d ...                      the same in the background
 *   sudo packrat -i IF -w FILE [-C -W -G]    headless recording, like tcpdump -w
 *   packrat attach [SESSION] | list | status SESSION | stop SESSION
 *
 * Sessions are started, supervised and found by viewer/sessions*.c; this file is only the
 * command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/batch.h"
#include "capture/args.h"
#include "shm/shm.h"
#include "viewer/sessions.h"

#ifndef PACKRAT_VERSION
#define PACKRAT_VERSION "0"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sudo packrat [-i IFACE] [options] [filter expression]   live session + TUI\n"
            "       packrat -r FILE [options] [filter]                      a file in the TUI\n"
            "       packrat -r FILE --print | --json | --flows [-c COUNT] [filter]\n"
            "       sudo packrat -i IFACE -w FILE [-C MB] [-W N] [-G SECONDS] [filter]\n"
            "       packrat attach [SESSION] | list | status SESSION | stop SESSION\n"
            "\n"
            "  -i IFACE      interface (default: the first up, non-loopback one)\n"
            "  -r FILE       read a pcap or pcapng file ('-' for stdin with the batch modes)\n"
            "  -w FILE       record the session to a nanosecond pcap (no TUI unless -d/attach)\n"
            "  -C MB         -w: start a new file when the current one exceeds MB million bytes\n"
            "  -W N          -w: with -C, keep N files in rotation; with -G, stop after N files\n"
            "  -G SECONDS    -w: start a new file every SECONDS (strftime in FILE, as tcpdump)\n"
            "  -c COUNT      stop after COUNT packets\n"
            "  -s SNAPLEN    bytes kept per packet\n"
            "  -B MiB        kernel capture buffer\n"
            "  -Q DIR        in, out or inout\n"
            "  -Z USER       run the session's processes as USER (default: the sudo user,\n"
            "                else nobody); none of them ever keeps root\n"
            "  -p            not promiscuous\n"
            "  -n            accepted for tcpdump habits (packrat never resolves names)\n"
            "  -d            run the session in the background and print how to attach\n"
            "  --no-viewer   run the session in the foreground without a viewer until signalled\n"
            "                (for systemd; viewers attach with packrat attach)\n"
            "  --session NAME  session name (default: the interface or file name)\n"
            "  --size MiB    frame ring size (default 64)\n"
            "  --backend pcap  capture through libpcap instead of TPACKET_V3\n"
            "  --realtime    -r: replay at the file's pace\n"
            "  --no-bpf      do not load the kernel flow counter\n"
            "  --no-splash   start the viewer without the splash\n"
            "  --print       one line per packet, like tcpdump -nn\n"
            "  --json        one JSON object per packet (Wireshark field names);\n"
            "                with --flows, the flow table as JSON\n"
            "  --flows       the flow table at the end\n"
            "  --version     print the version\n");
}

static bool number_ok(const char *opt, const char *s, unsigned long long min,
                      unsigned long long max)
{
    unsigned long long v;
    return args_number("packrat", opt, s, min, max, &v) == 0;
}

static void fmt_age(char *out, size_t len, uint64_t created_ns)
{
    uint64_t now = shm_now_real_ns();
    uint64_t s = now > created_ns ? (now - created_ns) / 1000000000ull : 0;
    if (s >= 86400)
        snprintf(out, len, "%llud%02lluh", (unsigned long long)(s / 86400),
                 (unsigned long long)(s % 86400 / 3600));
    else
        snprintf(out, len, "%02llu:%02llu:%02llu", (unsigned long long)(s / 3600),
                 (unsigned long long)(s % 3600 / 60), (unsigned long long)(s % 60));
}

static const char *health_name(const struct sessions_info *i)
{
    switch (i->health) {
    case SESSIONS_LIVE:
        return i->supervisor_pid ? "live" : "live (no supervisor)";
    case SESSIONS_STARTING:
        return "starting";
    case SESSIONS_ENDED:
        return "ended (kept)";
    case SESSIONS_STALE:
        return "stale";
    }
    return "?";
}

static int cmd_list(void)
{
    static struct sessions_info list[256];
    int n = sessions_scan(list, 256, stdout);
    if (n < 0) {
        perror("packrat: " SESSIONS_DIR);
        return 1;
    }
    if (n == 0) {
        printf("no sessions (that you may read)\n");
        return 0;
    }
    printf("%-20s %-24s %9s %12s %10s %7s %-10s %s\n", "SESSION", "SOURCE", "UPTIME", "PACKETS",
           "DROPS", "VIEWERS", "ANALYZER", "STATE");
    for (int i = 0; i < n; i++) {
        const struct sessions_info *s = &list[i];
        char age[32];
        fmt_age(age, sizeof age, s->created_ns);
        const char *an = !s->have_analysis            ? "-"
                         : s->analyzer_alive          ? "running"
                         : s->health == SESSIONS_LIVE ? "restarting"
                                                      : "stopped";
        printf("%-20s %-24s %9s %12llu %10llu %7d %-10s %s\n", s->name, s->source, age,
               (unsigned long long)s->frames_received, (unsigned long long)s->kernel_drops,
               s->viewers, an, health_name(s));
    }
    return 0;
}

/* key=value lines for scripts and tests. */
static int cmd_status(const char *session)
{
    struct sessions_info s;
    sessions_clean_if_stale(session, stderr);
    if (sessions_describe(session, &s) != 0) {
        fprintf(stderr, "packrat: no session '%s'%s\n", session,
                errno == EACCES ? " that you may read" : "");
        return 1;
    }
    printf("session=%s\nstate=%s\nsource=%s\ncreated_ns=%llu\n", s.name, health_name(&s), s.source,
           (unsigned long long)s.created_ns);
    printf("capture_pid=%d\nsupervisor_pid=%d\nviewers=%d\n", (int)s.capture_pid,
           (int)s.supervisor_pid, s.viewers);
    printf("frames_received=%llu\nkernel_drops=%llu\nbytes_received=%llu\nwrite_seq=%llu\n"
           "oldest=%llu\n",
           (unsigned long long)s.frames_received, (unsigned long long)s.kernel_drops,
           (unsigned long long)s.bytes_received, (unsigned long long)s.write_seq,
           (unsigned long long)s.oldest);
    printf("analysis=%d\nanalyzer_pid=%d\nanalyzer_alive=%d\nanalyzer_generation=%u\n"
           "frames_analyzed=%llu\nframes_missed=%llu\nnext_frame_seq=%llu\n",
           s.have_analysis, (int)s.analyzer_pid, s.analyzer_alive, s.analyzer_generation,
           (unsigned long long)s.frames_analyzed, (unsigned long long)s.frames_missed,
           (unsigned long long)s.next_frame_seq);
    return 0;
}

static int cmd_stop(const char *session)
{
    char err[SESSIONS_ERR_MAX];
    if (sessions_stop(session, 10000, err, sizeof err) != 0) {
        fprintf(stderr, "packrat: %s\n", err);
        return 1;
    }
    return 0;
}

static int subcommand(int argc, char **argv)
{
    const char *cmd = argv[1];
    bool no_splash = false;
    const char *zuser = NULL, *name = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--no-splash") == 0)
            no_splash = true;
        else if (strcmp(argv[i], "-Z") == 0 && i + 1 < argc)
            zuser = argv[++i];
        else if (argv[i][0] == '-' || name) {
            fprintf(stderr, "packrat %s: unexpected '%s'\n", cmd, argv[i]);
            return 2;
        } else
            name = argv[i];
    }
    if (strcmp(cmd, "list") == 0) return name ? 2 : cmd_list();
    if (strcmp(cmd, "attach") == 0) return sessions_attach(name, zuser, no_splash);
    if (!name) {
        fprintf(stderr, "usage: packrat %s SESSION\n", cmd);
        return 2;
    }
    if (strcmp(cmd, "stop") == 0) return cmd_stop(name);
    return cmd_status(name);
}

/*
 * packrat -r IN -w OUT [filter]: a file copied (and filtered) into a nanosecond pcap. A session
 * would put a lossy ring between a file read at full speed and the recorder, so this runs
 * capture's headless file mode instead, which writes every frame it reads.
 */
static int copy_file(const struct sessions_start *s)
{
    char bindir[4096], path[4200];
    if (sessions_bindir(bindir, sizeof bindir) != 0) {
        fprintf(stderr, "packrat: cannot find my own directory (/proc/self/exe)\n");
        return 1;
    }
    snprintf(path, sizeof path, "%s/packrat-capture", bindir);
    const char *argv[16];
    int n = 0;
    argv[n++] = path;
    argv[n++] = "-r";
    argv[n++] = s->read_file;
    argv[n++] = "-w";
    argv[n++] = s->write_file;
    if (s->count) argv[n++] = "-c", argv[n++] = s->count;
    if (s->snaplen) argv[n++] = "-s", argv[n++] = s->snaplen;
    if (s->filter && *s->filter) argv[n++] = s->filter;
    argv[n] = NULL;
    execv(path, (char *const *)argv);
    fprintf(stderr, "packrat: running %s: %s\n", path, strerror(errno));
    return 1;
}

static int follow_print(const char *session, void *ctx, volatile const sig_atomic_t *stop)
{
    return batch_follow(session, ctx, stop);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "attach") == 0 || strcmp(argv[1], "list") == 0 ||
                      strcmp(argv[1], "stop") == 0 || strcmp(argv[1], "status") == 0))
        return subcommand(argc, argv);

    struct batch_options b = {0};
    struct sessions_start s = {.front = SESSIONS_FRONT_TUI};
    bool detach = false, no_viewer = false;
    enum {
        O_PRINT = 256,
        O_JSON,
        O_FLOWS,
        O_VERSION,
        O_SESSION,
        O_BACKEND,
        O_REALTIME,
        O_NOSPLASH,
        O_SIZE,
        O_NOVIEWER,
        O_NOBPF
    };
    static const struct option opts[] = {{"print", no_argument, 0, O_PRINT},
                                         {"json", no_argument, 0, O_JSON},
                                         {"flows", no_argument, 0, O_FLOWS},
                                         {"version", no_argument, 0, O_VERSION},
                                         {"session", required_argument, 0, O_SESSION},
                                         {"backend", required_argument, 0, O_BACKEND},
                                         {"realtime", no_argument, 0, O_REALTIME},
                                         {"no-splash", no_argument, 0, O_NOSPLASH},
                                         {"size", required_argument, 0, O_SIZE},
                                         {"no-viewer", no_argument, 0, O_NOVIEWER},
                                         {"no-bpf", no_argument, 0, O_NOBPF},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "+r:c:hi:w:s:B:Q:Z:pnC:W:G:d", opts, NULL)) != -1;) {
        switch (c) {
        case 'r':
            b.file = optarg;
            s.read_file = optarg;
            break;
        case 'c':
            b.count = strtoull(optarg, NULL, 10);
            s.count = optarg;
            break;
        case 'i':
            s.ifname = optarg;
            break;
        case 'w':
            s.write_file = optarg;
            break;
        case 's':
            s.snaplen = optarg;
            break;
        case 'B':
            s.buffer_mib = optarg;
            break;
        case 'Q':
            s.direction = optarg;
            break;
        case 'Z':
            s.zuser = optarg;
            break;
        case 'p':
            s.no_promisc = true;
            break;
        case 'n':
            break;
        case 'C':
            if (!number_ok("-C", optarg, 1, 1000000)) return 2;
            s.rotate_mb = optarg;
            break;
        case 'W':
            if (!number_ok("-W", optarg, 1, 1000000)) return 2;
            s.rotate_files = optarg;
            break;
        case 'G':
            if (!number_ok("-G", optarg, 1, 100000000)) return 2;
            s.rotate_seconds = optarg;
            break;
        case 'd':
            detach = true;
            break;
        case O_SESSION:
            s.session = optarg;
            break;
        case O_BACKEND:
            if (strcmp(optarg, "pcap") != 0 && strcmp(optarg, "libpcap") != 0 &&
                strcmp(optarg, "afpacket") != 0) {
                fprintf(stderr, "packrat: --backend %s: expected afpacket or pcap\n", optarg);
                return 2;
            }
            s.backend_pcap = strcmp(optarg, "afpacket") != 0;
            break;
        case O_REALTIME:
            s.realtime = true;
            break;
        case O_NOBPF:
            s.no_bpf = true;
            break;
        case O_NOSPLASH:
            s.no_splash = true;
            break;
        case O_SIZE:
            if (!number_ok("--size", optarg, 2, 65536)) return 2;
            s.size_mib = optarg;
            break;
        case O_NOVIEWER:
            no_viewer = true;
            break;
        case O_PRINT:
            b.print = true;
            break;
        case O_JSON:
            b.json = true;
            break;
        case O_FLOWS:
            b.flows = true;
            break;
        case O_VERSION:
            printf("packrat %s\n", PACKRAT_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    char *filter = args_join(argc - optind, argv + optind);
    if (b.file && (b.print || b.json || b.flows)) {
        b.filter = filter;
        int rc = batch_run(&b);
        free(filter);
        return rc;
    }
    char print_session[SHM_SESSION_MAX];
    if (b.print || b.json || b.flows) {
        /* Live: a session of its own, followed by this (then unprivileged) process. */
        if (!s.session) {
            snprintf(print_session, sizeof print_session, "print-%d", (int)getpid());
            s.session = print_session;
        }
        s.front = SESSIONS_FRONT_PRINT;
        s.print_fn = follow_print;
        s.print_ctx = &b;
        s.filter = filter;
        int rc = sessions_run(&s);
        free(filter);
        return rc;
    }
    if (s.read_file && s.ifname) {
        fprintf(stderr, "packrat: -i and -r exclude each other\n");
        free(filter);
        return 2;
    }
    if ((s.rotate_mb || s.rotate_files || s.rotate_seconds) && !s.write_file) {
        fprintf(stderr, "packrat: -C, -W and -G go with -w FILE\n");
        free(filter);
        return 2;
    }
    if (s.read_file && strcmp(s.read_file, "-") == 0 && !s.write_file) {
        fprintf(stderr, "packrat: a session cannot read stdin (the viewer needs the terminal); "
                        "use a file, or --print\n");
        free(filter);
        return 2;
    }
    s.filter = filter;
    if (s.read_file && s.write_file && !detach && !s.rotate_mb && !s.rotate_files &&
        !s.rotate_seconds)
        return copy_file(&s); /* like tcpdump -r IN -w OUT: nothing may be lost */
    if (detach)
        s.front = SESSIONS_FRONT_DETACH;
    else if (s.write_file || no_viewer)
        s.front = SESSIONS_FRONT_HEADLESS;
    int rc = sessions_run(&s);
    free(filter);
    return rc;
}
