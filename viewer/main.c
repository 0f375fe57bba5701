/*
 * main.c — packrat-viewer: a viewer on a running session, as a program of its own.
 *
 *   packrat-viewer --session NAME [--no-splash] [--ascii] [--no-colour] [--filter EXPR]
 *   packrat-viewer --session NAME --status             counters as key=value, no TUI
 *   packrat-viewer --session NAME --bench-refresh N [--json]   timed headless refreshes
 *
 * The `packrat` command runs the same code in-process through viewer_run().
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shm/frames.h"
#include "viewer/viewer.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: packrat-viewer --session NAME [--no-splash] [--ascii] [--no-colour]\n"
               "                      [--filter EXPR] [--stay] [--wait]\n"
               "       packrat-viewer --session NAME --status\n"
               "       packrat-viewer --session NAME --bench-refresh N [--json] [--filter EXPR]\n");
}

int main(int argc, char **argv)
{
    enum {
        O_SESSION = 256,
        O_NOSPLASH,
        O_ASCII,
        O_UNICODE,
        O_NOCOLOUR,
        O_FILTER,
        O_STATUS,
        O_BENCH,
        O_JSON,
        O_STAY,
        O_WAIT,
        O_VERSION
    };
    static const struct option longs[] = {
        {"session", required_argument, NULL, O_SESSION},
        {"no-splash", no_argument, NULL, O_NOSPLASH},
        {"ascii", no_argument, NULL, O_ASCII},
        {"unicode", no_argument, NULL, O_UNICODE},
        {"no-colour", no_argument, NULL, O_NOCOLOUR},
        {"no-color", no_argument, NULL, O_NOCOLOUR},
        {"filter", required_argument, NULL, O_FILTER},
        {"status", no_argument, NULL, O_STATUS},
        {"bench-refresh", required_argument, NULL, O_BENCH},
        {"json", no_argument, NULL, O_JSON},
        {"stay", no_argument, NULL, O_STAY},
        {"wait", no_argument, NULL, O_WAIT},
        {"version", no_argument, NULL, O_VERSION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct viewer_options opt;
    viewer_options_init(&opt);
    bool status = false, json = false, wait = false;
    int bench = 0, c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case O_SESSION:
            opt.session = optarg;
            break;
        case O_NOSPLASH:
            opt.no_splash = true;
            break;
        case O_ASCII:
            opt.ascii = 1;
            break;
        case O_UNICODE:
            opt.ascii = 0;
            break;
        case O_NOCOLOUR:
            opt.colour = 0;
            break;
        case O_FILTER:
            opt.filter = optarg;
            break;
        case O_STATUS:
            status = true;
            break;
        case O_BENCH:
            bench = atoi(optarg);
            break;
        case O_JSON:
            json = true;
            break;
        case O_WAIT:
            wait = true;
            break;
        case O_STAY:
            opt.capture_gone_ms = -1;
            break;
        case O_VERSION:
            printf("packrat-viewer %s\n", PACKRAT_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!opt.session || optind < argc) {
        usage(stderr);
        return 2;
    }
    /* --wait: for scripts that start the viewer before capture has created the session. */
    while (wait) {
        struct shm_frames f;
        char err[SHM_ERR_MAX];
        if (shm_frames_attach(&f, opt.session, err, sizeof err) == 0) {
            shm_frames_detach(&f);
            break;
        }
        struct timespec t = {0, 50 * 1000000L};
        nanosleep(&t, NULL);
    }
    if (status) return viewer_dump_status(opt.session, stdout);
    if (bench > 0) return viewer_bench(&opt, bench, json, stdout);
    return viewer_run(&opt);
}
