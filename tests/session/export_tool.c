/*
 * export_tool.c — drives export_pcap() (viewer/session_export.h) the way the viewer's `w` key
 * does, for the session tests: the frames of a running session that are still in the ring (all
 * of them, or every K-th as a stand-in for a filtered view) go to a nanosecond pcap.
 *
 *   session_export_tool -s SESSION -w OUT.pcap [-k K]
 *
 * Prints "written=N gone=M first=SEQ last=SEQ" and exits 1 with export_pcap's message on error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shm/frames.h"
#include "viewer/session_export.h"

int main(int argc, char **argv)
{
    const char *session = NULL, *out = NULL;
    unsigned long k = 1;
    for (int c; (c = getopt(argc, argv, "s:w:k:")) != -1;) {
        if (c == 's')
            session = optarg;
        else if (c == 'w')
            out = optarg;
        else if (c == 'k')
            k = strtoul(optarg, NULL, 10);
        else
            return 2;
    }
    if (!session || !out || k == 0) {
        fprintf(stderr, "usage: session_export_tool -s SESSION -w OUT.pcap [-k K]\n");
        return 2;
    }
    struct shm_frames f;
    char err[EXPORT_ERR_MAX];
    if (shm_frames_attach(&f, session, err, sizeof err) != 0) {
        fprintf(stderr, "session_export_tool: %s\n", err);
        return 1;
    }
    uint64_t from = shm_ring_oldest(&f.ring), to = shm_ring_write_seq(&f.ring);
    size_t n = 0;
    uint64_t *seqs = malloc(sizeof *seqs * (size_t)(to - from + 1));
    if (!seqs) return 1;
    for (uint64_t s = from; s < to; s++)
        if ((s - from) % k == 0) seqs[n++] = s;
    struct export_result res;
    int rc = export_pcap(out, &f, seqs, n, &res, err, sizeof err);
    printf("written=%llu gone=%llu first=%llu last=%llu\n", (unsigned long long)res.written,
           (unsigned long long)res.gone, (unsigned long long)(n ? seqs[0] : 0),
           (unsigned long long)(n ? seqs[n - 1] : 0));
    if (rc != 0) fprintf(stderr, "session_export_tool: %s\n", err);
    free(seqs);
    shm_frames_detach(&f);
    return rc == 0 ? 0 : 1;
}
