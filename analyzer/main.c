/*
 * main.c — packrat-analyzer: the unprivileged process that dissects every frame of a session
 * and writes segment 2. It refuses to run as root: it is the process that parses hostile bytes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "follow.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: packrat-analyzer --session NAME [--flows N] [--detail-mb N]\n"
               "                        [--strings-mb N] [--min-string N]\n"
               "                        [--wait-ms N] [--group GID] [--unlink] [-q]\n"
               "\n"
               "Follows /dev/shm/packrat.NAME.frames and writes /dev/shm/packrat.NAME.analysis\n"
               "(taking over the latter when a previous analyzer of the session died).\n"
               "--detail-mb defaults to 5/4 of the frame ring, so that the dissections reach\n"
               "about as far back as the frames do.\n");
}

static unsigned long number(const char *opt, const char *s, unsigned long max)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v == 0 || v > max) {
        fprintf(stderr, "packrat-analyzer: %s needs a number from 1 to %lu\n", opt, max);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    struct follow_options o = {.wait_ms = 5000, .gid = (gid_t)-1, .min_string = 4};
    shm_analysis_default_config(&o.cfg);
    o.cfg.detail_bytes = 0; /* unless --detail-mb: from the frame ring (follow.c) */
    enum { O_SESSION = 256, O_FLOWS, O_DETAIL, O_STRINGS, O_MIN, O_WAIT, O_GROUP, O_UNLINK };
    static const struct option opts[] = {{"session", required_argument, 0, O_SESSION},
                                         {"flows", required_argument, 0, O_FLOWS},
                                         {"detail-mb", required_argument, 0, O_DETAIL},
                                         {"strings-mb", required_argument, 0, O_STRINGS},
                                         {"min-string", required_argument, 0, O_MIN},
                                         {"wait-ms", required_argument, 0, O_WAIT},
                                         {"group", required_argument, 0, O_GROUP},
                                         {"unlink", no_argument, 0, O_UNLINK},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "qh", opts, NULL)) != -1;) {
        switch (c) {
        case O_SESSION:
            o.session = optarg;
            break;
        case O_FLOWS:
            o.cfg.flow_capacity = number("--flows", optarg, 1u << 22);
            break;
        case O_DETAIL:
            o.cfg.detail_bytes = number("--detail-mb", optarg, 4096) << 20;
            break;
        case O_STRINGS:
            o.cfg.strings_bytes = number("--strings-mb", optarg, 4096) << 20;
            break;
        case O_MIN:
            o.min_string = (unsigned)number("--min-string", optarg, 256);
            break;
        case O_WAIT:
            o.wait_ms = (int)number("--wait-ms", optarg, 600000);
            break;
        case O_GROUP:
            o.gid = (gid_t)number("--group", optarg, 4000000000u);
            break;
        case O_UNLINK:
            o.unlink_at_exit = true;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!o.session || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (geteuid() == 0) {
        fprintf(stderr, "packrat-analyzer: refusing to run as root: this process parses "
                        "untrusted packet bytes (packrat starts it as the invoking user, or "
                        "nobody)\n");
        return 2;
    }
    return analyzer_follow(&o);
}
