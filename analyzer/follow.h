/*
 * follow.h — running as packrat-analyzer inside a session (see follow.c).
 */
#ifndef PACKRAT_ANALYZER_FOLLOW_H
#define PACKRAT_ANALYZER_FOLLOW_H

#include <stdbool.h>
#include <sys/types.h>

#include "core.h"
#include "shm/analysis.h"

struct follow_options {
    const char *session;
    struct shm_analysis_config cfg; /* cfg.detail_bytes 0: sized from the frame ring */
    unsigned min_string;
    int wait_ms;         /* how long to wait for capture's segment to appear */
    gid_t gid;           /* group of segment 2 ((gid_t)-1: ours) */
    bool unlink_at_exit; /* remove segment 2 when capture ends */
    bool quiet;
    /* Live scripting modes (packrat -i IF --print/--json/--flows): text on out as frames are
     * analyzed; stop after count frames (0: until capture ends); the flow table at the end. */
    enum analyzer_output output;
    FILE *out;
    uint64_t count;
    bool flows_at_end;
    bool flows_json;
};

/* Follows the session's frame ring until capture ends or a signal; returns an exit status. */
int analyzer_follow(const struct follow_options *o);

#endif
