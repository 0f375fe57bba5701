/*
 * viewer.c — the entry points of packrat_viewer: viewer_run() (the TUI), viewer_bench() (timed
 * refreshes into a headless screen) and viewer_dump_status() (counters as key=value).
 *
 * Order in viewer_run matters for the user: the session is attached before curses starts, so a
 * wrong session name is a plain message on a normal terminal; the locale is set before curses so
 * that ncursesw draws UTF-8 and so that we know whether block characters may be used at all.
 */
#define _GNU_SOURCE
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viewer/screen.h"
#include "viewer/tab.h"

void viewer_options_init(struct viewer_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->ascii = -1;
    opt->colour = -1;
}

static bool locale_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

static int setup(struct vw *v, const struct viewer_options *opt, bool headless)
{
    char err[SHM_ERR_MAX + 64];
    memset(v, 0, sizeof *v);
    v->opt = opt;
    v->follow = true;
    v->headless = headless;
    setlocale(LC_ALL, "");
    v->utf8 = opt->ascii == 0 || (opt->ascii < 0 && locale_utf8());
    if (segs_attach(v, opt->session, err, sizeof err) != 0) {
        fprintf(stderr, "packrat: %s\n", err);
        return -1;
    }
    if (opt->filter && *opt->filter && filter_set(v, opt->filter, err, sizeof err) != 0) {
        fprintf(stderr, "packrat: filter '%s': %s\n", opt->filter, err);
        segs_detach(v);
        return -1;
    }
    if (screen_init(opt->colour != 0, headless, err, sizeof err) != 0) {
        fprintf(stderr, "packrat: %s\n", err);
        filter_free(v);
        segs_detach(v);
        return -1;
    }
    v->colour = screen_has_colour();
    tabs_reset(v);
    return 0;
}

static void teardown(struct vw *v)
{
    screen_end();
    filter_free(v);
    segs_detach(v);
}

int viewer_run(const struct viewer_options *opt)
{
    static struct vw v;
    if (setup(&v, opt, false) != 0) return 1;
    screen_stop_signal = 0;
    if (!opt->no_splash) splash_run(&v);
    tabs_loop(&v);
    bool gone = !v.s.capture_alive;
    teardown(&v);
    if (gone) fprintf(stderr, "packrat: capture of session %s has ended\n", opt->session);
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Times `n` refreshes of the current tab; fills median and p99 in microseconds. */
static void time_refreshes(struct vw *v, int n, uint64_t *samples, double *med, double *p99)
{
    for (int i = 0; i < n; i++) {
        uint64_t t0 = shm_now_mono_ns();
        tabs_tick(v);
        refresh();
        samples[i] = shm_now_mono_ns() - t0;
    }
    qsort(samples, (size_t)n, sizeof *samples, cmp_u64);
    *med = (double)samples[n / 2] / 1000.0;
    *p99 = (double)samples[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1000.0;
}

int viewer_bench(const struct viewer_options *opt, int refreshes, bool json, FILE *out)
{
    static struct vw v;
    if (!getenv("COLUMNS")) setenv("COLUMNS", "120", 1);
    if (!getenv("LINES")) setenv("LINES", "40", 1);
    if (refreshes < 10) refreshes = 10;
    if (setup(&v, opt, true) != 0) return 1;
    uint64_t *samples = calloc((size_t)refreshes, sizeof *samples);
    if (!samples) {
        teardown(&v);
        return 1;
    }
    struct {
        const char *name;
        int tab;
        int scroll; /* 0 follow, 1 middle of the ring */
        double med, p99;
    } runs[] = {
        {"packets-follow", VT_PACKETS, 0, 0, 0}, {"packets-middle", VT_PACKETS, 1, 0, 0},
        {"analysis", VT_ANALYSIS, 1, 0, 0},      {"strings", VT_STRINGS, 0, 0, 0},
        {"dynamic", VT_DYNAMIC, 0, 0, 0},        {"visualize", VT_VISUALIZE, 0, 0, 0},
    };
    size_t nruns = sizeof runs / sizeof runs[0];
    segs_poll(&v);
    uint64_t inring = v.s.write_seq - v.s.oldest;
    /* A filter given on the command line is worked off completely first; time that apart. */
    double filter_s = 0;
    if (v.flt.active) {
        uint64_t t0 = shm_now_mono_ns();
        while (filter_backlog(&v) > 0) {
            segs_poll(&v);
            filter_update(&v, 1000000000ull);
        }
        filter_s = (double)(shm_now_mono_ns() - t0) / 1e9;
    }
    for (size_t i = 0; i < nruns; i++) {
        v.tab = runs[i].tab;
        if (runs[i].scroll) {
            struct seqview w = filter_view(&v);
            uint64_t n = seqview_count(&w);
            if (n) tabs_select_packet(&v, seqview_at(&w, n / 2));
        } else {
            tab_packets_follow(&v, true);
        }
        time_refreshes(&v, refreshes, samples, &runs[i].med, &runs[i].p99);
    }
    uint64_t evaluated = v.flt.evaluated;
    teardown(&v);
    free(samples);
    if (json) {
        fprintf(out,
                "{\"frames_in_ring\":%llu,\"refreshes\":%d,\"filter\":\"%s\","
                "\"filter_seconds\":%.3f,\"filter_evaluated\":%llu,\"tabs\":{",
                (unsigned long long)inring, refreshes, opt->filter ? opt->filter : "", filter_s,
                (unsigned long long)evaluated);
        for (size_t i = 0; i < nruns; i++)
            fprintf(out, "%s\"%s\":{\"median_us\":%.1f,\"p99_us\":%.1f}", i ? "," : "",
                    runs[i].name, runs[i].med, runs[i].p99);
        fprintf(out, "}}\n");
    } else {
        fprintf(out, "frames in ring: %llu, %d refreshes per tab, %sx%s\n",
                (unsigned long long)inring, refreshes, getenv("COLUMNS"), getenv("LINES"));
        if (opt->filter)
            fprintf(out, "filter '%s': %llu frames evaluated in %.3f s\n", opt->filter,
                    (unsigned long long)evaluated, filter_s);
        fprintf(out, "%-16s %12s %12s\n", "refresh", "median us", "p99 us");
        for (size_t i = 0; i < nruns; i++)
            fprintf(out, "%-16s %12.1f %12.1f\n", runs[i].name, runs[i].med, runs[i].p99);
    }
    return 0;
}

int viewer_dump_status(const char *session, FILE *out)
{
    static struct vw v;
    struct viewer_options opt;
    viewer_options_init(&opt);
    opt.session = session;
    memset(&v, 0, sizeof v);
    v.opt = &opt;
    char err[SHM_ERR_MAX + 64];
    if (segs_attach(&v, session, err, sizeof err) != 0) {
        fprintf(stderr, "packrat: %s\n", err);
        return 1;
    }
    const struct vw_snap *s = &v.s;
    fprintf(out,
            "session=%s\nsource=%s\nlink_type=%s\nwrite_seq=%llu\noldest=%llu\n"
            "frames_received=%llu\nkernel_drops=%llu\ncapture_alive=%d\nanalyzer=%s\n"
            "frames_analyzed=%llu\nframes_missed=%llu\nnext_frame_seq=%llu\nflows_active=%llu\n"
            "strings=%llu\n",
            v.session, v.source, v.link_name, (unsigned long long)s->write_seq,
            (unsigned long long)s->oldest, (unsigned long long)s->frames_received,
            (unsigned long long)s->kernel_drops, s->capture_alive ? 1 : 0,
            segs_analyzer_name(s->analyzer), (unsigned long long)s->analyzed,
            (unsigned long long)s->a_missed, (unsigned long long)s->a_next,
            (unsigned long long)s->flows_active, (unsigned long long)s->str_write);
    segs_detach(&v);
    return 0;
}
