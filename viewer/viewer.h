/*
 * viewer.h — the public entry points of packrat's terminal viewer (library packrat_viewer).
 *
 * The viewer attaches read-only to a running session's two segments (the frame ring written by
 * packrat-capture, the analysis written by packrat-analyzer) and draws them in an ncurses TUI.
 * It never writes shared memory. Any number of viewers may run at once on one session; each has
 * its own cursor, follow mode and BPF filter. The `packrat` front-end calls viewer_run()
 * in-process; packrat-viewer is the same thing as a standalone program.
 */
#ifndef PACKRAT_VIEWER_H
#define PACKRAT_VIEWER_H

#include <stdbool.h>
#include <stdio.h>

struct viewer_options {
    const char *session; /* required: the session name (segments /packrat.<session>.*) */
    bool no_splash;      /* skip the 800 ms splash (scripts, tests) */
    int ascii;           /* -1: from the locale's codeset, 0: Unicode, 1: ASCII only */
    int colour;          /* -1: when the terminal has colours, 0: never */
    const char *filter;  /* initial per-viewer BPF filter, NULL for none */
    int capture_gone_ms; /* stay this long after capture has gone, then return; 0: 3000, <0: stay */
};

/* Sets every field to its default (session NULL). */
void viewer_options_init(struct viewer_options *opt);

/*
 * Runs the TUI on the calling process's terminal until the user quits (q), a terminating signal
 * arrives, or capture has gone. Returns 0 on a normal exit, 1 when the session cannot be
 * attached or the terminal cannot be used (a message is printed on stderr after the terminal is
 * restored). Not re-entrant: one viewer per process at a time.
 */
int viewer_run(const struct viewer_options *opt);

/*
 * Benchmark: draws `refreshes` refreshes of every tab into a headless curses screen on
 * /dev/null (COLUMNS x LINES from the environment, default 120x40) and prints per-refresh
 * timings to out (human, or one JSON object with json). Returns 0 or 1 like viewer_run.
 */
int viewer_bench(const struct viewer_options *opt, int refreshes, bool json, FILE *out);

/* Prints the session's counters as key=value lines (for scripts and tests). Returns 0 or 1. */
int viewer_dump_status(const char *session, FILE *out);

#endif
