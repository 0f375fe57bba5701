/*
 * batch.h — the scripting modes: packrat -r FILE --print | --json | --flows.
 */
#ifndef PACKRAT_ANALYZER_BATCH_H
#define PACKRAT_ANALYZER_BATCH_H

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>

struct batch_options {
    const char *file;   /* pcap or pcapng; "-" is stdin */
    const char *filter; /* tcpdump expression or NULL */
    bool print, json, flows;
    uint64_t count; /* stop after this many frames (0: all) */
    uint64_t flow_capacity;
};

/* Runs the file through the frame ring and the analyzer; returns an exit status. */
int batch_run(const struct batch_options *o);

/*
 * The same modes live: follows a running session's frame ring (as an unprivileged reader, like
 * a viewer) and prints as frames arrive, until o->count frames, capture's end, or *stop.
 * Frames capture overwrote before we read them are counted and reported on stderr.
 */
int batch_follow(const char *session, const struct batch_options *o,
                 volatile const sig_atomic_t *stop);

#endif
