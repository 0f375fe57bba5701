/*
 * main.c — packrat-capture: options, the setup order, and the exit summary.
 *
 * Setup order is the security argument of the whole program:
 *   1. parse options, decide who we become (privs_target);
 *   2. open the source and compile/attach the filter — a bad filter exits 2 here, before any
 *      segment exists;
 *   3. create the sink (segment 1, owned by the user we become, group of the invoking user; or
 *      the -w file);
 *   4. drop every privilege (privs_drop), then publish the segment and run.
 * Nothing after step 4 needs a capability: the mapped kernel ring, the attached filter and
 * re-binding after an interface comes back all work unprivileged.
 *
 * Output modes: by default frames go to the shared ring /packrat.<session>.frames for the
 * analyzer and viewers. With -w FILE capture is headless like tcpdump -w and writes only a
 * nanosecond pcap file (no segment). The segment is removed on a clean exit unless --keep.
 */
#define _GNU_SOURCE
#include "capture.h"
#include "capture/args.h"
#include "capture/flowcount/flowcount.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKRAT_VERSION
#define PACKRAT_VERSION "0"
#endif

volatile sig_atomic_t cap_stop;

static void on_signal(int sig)
{
    (void)sig;
    cap_stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: packrat-capture [-i IFACE | -r FILE] [-w FILE] [-c COUNT] [-s SNAPLEN]\n"
            "                       [-B MiB] [-Q in|out|inout] [-Z USER] [-p] [--backend pcap]\n"
            "                       [--session NAME] [--size MiB] [--keep] [--realtime]\n"
            "                       [--linger] [--hw-timestamps] [--block-timeout MS]\n"
            "                       [filter expression ...]\n"
            "\n"
            "Captures frames into the shared ring /dev/shm/packrat.<session>.frames (default\n"
            "session: the interface or file name), or with -w into a nanosecond pcap file.\n"
            "\n"
            "  -i IFACE        interface (default: first up, non-loopback); 'any' is cooked\n"
            "  -r FILE         read a pcap/pcapng file ('-' = stdin); needs no privilege\n"
            "  -w FILE         headless: write a nanosecond pcap ('-' = stdout), no segment\n"
            "  -c COUNT        stop after COUNT frames\n"
            "  -s SNAPLEN      bytes kept per frame (default and maximum %u)\n"
            "  -B MiB          kernel ring size in MiB (default %u)\n"
            "  -Q DIR          direction: in, out or inout (default)\n"
            "  -Z USER         user to become after setup (default: sudo user, else nobody)\n"
            "  -p              do not put the interface into promiscuous mode\n"
            "  --backend pcap  capture through libpcap instead of TPACKET_V3\n"
            "  --session NAME  session name (segment /packrat.NAME.frames)\n"
            "  --size MiB      size of the shared frame segment (default %u)\n"
            "  --keep          leave the segment in /dev/shm at exit\n"
            "  --realtime      -r: pace frames by the file's timestamps\n"
            "  --linger        -r: keep the session alive after end of file until signalled\n"
            "  --hw-timestamps ask the NIC for hardware timestamps\n"
            "  --no-bpf        do not load the kernel flow counter (exact per-flow counts)\n"
            "  --block-timeout MS  kernel ring block retire timeout: the longest a frame waits\n"
            "                  on a quiet link before readers see it (default 4)\n"
            "  -q              no summary at exit\n"
            "\n"
            "Exit status: 0 ok, 1 failure, 2 bad usage or bad filter.\n",
            SHM_FRAME_MAX, CAP_BUFFER_MIB_DEFAULT, SHM_FRAMES_DEFAULT_SIZE / (1024u * 1024u));
}

static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    unsigned long long v;
    if (args_number("packrat-capture", opt, s, min, max, &v) != 0) return -1;
    *out = (uint32_t)v;
    return 0;
}

enum {
    OPT_BACKEND = 256,
    OPT_SESSION,
    OPT_SIZE,
    OPT_KEEP,
    OPT_REALTIME,
    OPT_LINGER,
    OPT_HWTS,
    OPT_VERSION,
    OPT_BLOCK_TIMEOUT,
    OPT_NO_BPF,
};

static int parse(int argc, char **argv, struct cap_opts *o)
{
    static const struct option longs[] = {
        {"backend", required_argument, NULL, OPT_BACKEND},
        {"session", required_argument, NULL, OPT_SESSION},
        {"size", required_argument, NULL, OPT_SIZE},
        {"keep", no_argument, NULL, OPT_KEEP},
        {"realtime", no_argument, NULL, OPT_REALTIME},
        {"linger", no_argument, NULL, OPT_LINGER},
        {"hw-timestamps", no_argument, NULL, OPT_HWTS},
        {"block-timeout", required_argument, NULL, OPT_BLOCK_TIMEOUT},
        {"no-bpf", no_argument, NULL, OPT_NO_BPF},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->backend = CAP_BACKEND_AFPACKET;
    o->promisc = true;
    o->size_mib = SHM_FRAMES_DEFAULT_SIZE / (1024u * 1024u);
    o->buffer_mib = CAP_BUFFER_MIB_DEFAULT;
    o->block_ms = 4;
    int c;
    uint32_t v;
    while ((c = getopt_long(argc, argv, "+i:r:w:c:s:B:Q:Z:pqh", longs, NULL)) != -1) {
        switch (c) {
        case 'i':
            o->ifname = optarg;
            break;
        case 'r':
            o->read_file = optarg;
            break;
        case 'w':
            o->write_file = optarg;
            break;
        case 'c':
            if (parse_u32("-c", optarg, 1, UINT32_MAX, &v) != 0) return -1;
            o->count = v;
            break;
        case 's':
            if (parse_u32("-s", optarg, 0, SHM_FRAME_MAX, &o->snaplen) != 0) return -1;
            break;
        case 'B':
            if (parse_u32("-B", optarg, 1, 4096, &o->buffer_mib) != 0) return -1;
            break;
        case 'Q':
            if (strcmp(optarg, "in") == 0)
                o->direction = CAP_DIR_IN;
            else if (strcmp(optarg, "out") == 0)
                o->direction = CAP_DIR_OUT;
            else if (strcmp(optarg, "inout") == 0)
                o->direction = CAP_DIR_INOUT;
            else {
                fprintf(stderr, "packrat-capture: -Q %s: expected in, out or inout\n", optarg);
                return -1;
            }
            break;
        case 'Z':
            o->user = optarg;
            break;
        case 'p':
            o->promisc = false;
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_BACKEND:
            if (strcmp(optarg, "pcap") == 0 || strcmp(optarg, "libpcap") == 0)
                o->backend = CAP_BACKEND_PCAP;
            else if (strcmp(optarg, "afpacket") == 0 || strcmp(optarg, "tpacket") == 0)
                o->backend = CAP_BACKEND_AFPACKET;
            else {
                fprintf(stderr, "packrat-capture: --backend %s: expected afpacket or pcap\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_SESSION:
            o->session = optarg;
            break;
        case OPT_SIZE:
            if (parse_u32("--size", optarg, 2, 65536, &o->size_mib) != 0) return -1;
            break;
        case OPT_BLOCK_TIMEOUT:
            if (parse_u32("--block-timeout", optarg, 1, 1000, &o->block_ms) != 0) return -1;
            break;
        case OPT_NO_BPF:
            o->no_bpf = true;
            break;
        case OPT_KEEP:
            o->keep = true;
            break;
        case OPT_REALTIME:
            o->realtime = true;
            break;
        case OPT_LINGER:
            o->linger = true;
            break;
        case OPT_HWTS:
            o->hw_timestamps = true;
            break;
        case OPT_VERSION:
            printf("packrat-capture %s\n", PACKRAT_VERSION);
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (o->read_file && o->ifname) {
        fprintf(stderr, "packrat-capture: -i and -r exclude each other\n");
        return -1;
    }
    if (o->read_file) o->backend = CAP_BACKEND_FILE;
    if (optind < argc) {
        o->filter = args_join(argc - optind, argv + optind);
        if (!o->filter) return -1;
    }
    return 0;
}

static void summary(const struct sink *s)
{
    fprintf(stderr, "%llu packets captured\n", (unsigned long long)s->frames_out);
    fprintf(stderr, "%llu packets received by filter\n",
            (unsigned long long)(s->kernel_seen > s->frames_out ? s->kernel_seen : s->frames_out));
    fprintf(stderr, "%llu packets dropped by kernel\n", (unsigned long long)s->kernel_drops);
    fprintf(stderr, "%llu packets overwritten in ring\n", (unsigned long long)sink_overwritten(s));
}

/*
 * Loads the kernel flow counter while we are still privileged (setup step 3b). Where BPF is
 * unavailable we say so once, in one line with the reason, and everything else works.
 */
static void start_kernel_counter(struct sink *sink, unsigned ifindex, bool quiet)
{
    char why[256];
    if (ifindex == 0)
        snprintf(why, sizeof why, "they need one interface (not -i any)");
    else if (flowcount_open(&sink->fc, (int)ifindex, why, sizeof why) == 0)
        return;
    if (!quiet) fprintf(stderr, "packrat-capture: kernel flow counts off: %s\n", why);
    flowcount_publish_unavailable(&sink->frames, why);
}

int main(int argc, char **argv)
{
    struct cap_opts o;
    char err[CAP_ERR_MAX] = "";
    int status = CAP_EXIT_FAIL;
    if (parse(argc, argv, &o) != 0) return CAP_EXIT_USAGE;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns and the loop sees cap_stop */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct privs_user user;
    if (privs_target(o.user, &user, err, sizeof err) != 0) {
        fprintf(stderr, "packrat-capture: %s\n", err);
        return CAP_EXIT_USAGE;
    }

    char ifname[64] = "";
    if (!o.read_file) {
        if (o.ifname)
            snprintf(ifname, sizeof ifname, "%s", o.ifname);
        else if (iface_default(ifname, sizeof ifname, err, sizeof err) != 0) {
            fprintf(stderr, "packrat-capture: %s\n", err);
            return CAP_EXIT_FAIL;
        }
    }

    /* Step 2: the source, with its filter. */
    struct afp *afp = NULL;
    struct pcapsrc *ps = NULL;
    int link_type;
    uint32_t snaplen = o.snaplen ? o.snaplen : SHM_FRAME_MAX;
    unsigned ifindex = 0, kind = o.backend; /* segment 1's source_kind */
    if (o.backend == CAP_BACKEND_AFPACKET) {
        afp = afp_open(&o, ifname, err, sizeof err, &status);
        if (!afp) goto fail_msg;
        link_type = afp_link_type(afp);
        ifindex = afp_ifindex(afp);
    } else {
        ps = o.read_file ? pcapsrc_open_file(&o, err, sizeof err, &status)
                         : pcapsrc_open_live(&o, ifname, err, sizeof err, &status);
        if (!ps) goto fail_msg;
        link_type = pcapsrc_link_type(ps);
        if (o.read_file) {
            uint32_t fs = pcapsrc_snaplen(ps);
            if (!o.snaplen || fs < snaplen) snaplen = fs;
        }
        if (!o.read_file) {
            unsigned idx;
            (void)iface_state(ifname, &idx);
            ifindex = idx;
        }
    }

    /* Step 3: the sink. */
    struct sink sink;
    char session[SHM_SESSION_MAX];
    gid_t group = privs_owner_group(&user);
    uid_t owner = user.switch_user ? user.uid : (uid_t)-1;
    if (o.write_file) {
        if (sink_open_file(&sink, o.write_file, link_type, snaplen, owner, group, err,
                           sizeof err) != 0) {
            status = CAP_EXIT_FAIL;
            goto fail_msg;
        }
    } else {
        if (o.session)
            snprintf(session, sizeof session, "%s", o.session);
        else
            shm_session_name_from(o.read_file ? o.read_file : ifname, session, sizeof session);
        o.session = session;
        if (sink_open_ring(&sink, &o, group, owner, err, sizeof err) != 0) {
            status = CAP_EXIT_FAIL;
            goto fail_msg;
        }
        sink.limit = o.count;
        sink_describe(&sink, link_type, snaplen, ifname, ifindex,
                      o.read_file ? o.read_file : ifname, o.filter, kind);
        if (!o.read_file && !o.no_bpf) start_kernel_counter(&sink, ifindex, o.quiet);
    }
    sink.limit = o.count;

    /* Step 4: no privilege from here on. */
    if (privs_drop(&user, err, sizeof err) != 0) {
        fprintf(stderr, "packrat-capture: %s\n", err);
        sink_close(&sink, true, err, sizeof err);
        afp_close(afp);
        pcapsrc_close(ps);
        return CAP_EXIT_FAIL;
    }
    sink_publish(&sink);
    if (!o.quiet) {
        if (o.write_file)
            fprintf(stderr, "packrat-capture: %s %s -> %s\n",
                    o.read_file ? "reading" : "listening on", o.read_file ? o.read_file : ifname,
                    o.write_file);
        else
            fprintf(stderr, "packrat-capture: %s %s, session %s\n",
                    o.read_file ? "reading" : "listening on", o.read_file ? o.read_file : ifname,
                    o.session);
    }

    int rc = afp ? afp_run(afp, &sink, err, sizeof err) : pcapsrc_run(ps, &sink, err, sizeof err);
    if (rc != 0) fprintf(stderr, "packrat-capture: %s\n", err);
    if (rc == 0 && o.read_file && o.linger && !o.write_file) {
        while (!cap_stop) {
            struct timespec t = {.tv_sec = 0, .tv_nsec = 50000000L};
            nanosleep(&t, NULL);
            sink_tick(&sink);
        }
    }
    if (!o.quiet) summary(&sink);
    if (sink_close(&sink, !o.keep, err, sizeof err) != 0) {
        fprintf(stderr, "packrat-capture: %s\n", err);
        rc = -1;
    }
    afp_close(afp);
    pcapsrc_close(ps);
    free(o.filter);
    return rc == 0 ? CAP_EXIT_OK : CAP_EXIT_FAIL;

fail_msg:
    fprintf(stderr, "packrat-capture: %s\n", err);
    afp_close(afp);
    pcapsrc_close(ps);
    free(o.filter);
    return status == CAP_EXIT_OK ? CAP_EXIT_FAIL : status;
}
