/*
 * analysisdump.c — prints what a session's segment 2 holds, as a reader sees it, for tests:
 *
 *   analysisdump SESSION counters      header counters as JSON
 *   analysisdump SESSION summaries     one line per frame, derived from its detail record as the
 *                                      Packets tab does: seq, src, dst, proto, length, info
 *   analysisdump SESSION details       one line per detail record: seq, layers, fields
 *   analysisdump SESSION flows         one JSON object per flow slot in use
 *   analysisdump SESSION strings       one line per string: frame seq, offset, text (read from
 *                                      its frame in segment 1; a string whose frame is gone is
 *                                      left out and counted on stderr)
 *   analysisdump SESSION offset FIELD  byte offset of a header field (for tests that damage it)
 *
 * It attaches read-only like a viewer (segment 1 too, for strings) and validates every record it
 * prints.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/detail.h"
#include "shm/analysis.h"

static uint8_t buf[SHM_DETAIL_MAX];
static uint8_t frame_copy[SHM_FRAME_MAX];

static void dump_counters(const struct shm_analysis *a)
{
    const struct shm_analysis_hdr *h = a->hdr;
    printf("{\"frames_analyzed\":%" PRIu64 ",\"frames_missed\":%" PRIu64
           ",\"frames_malformed\":%" PRIu64 ",\"next_frame_seq\":%" PRIu64
           ",\"flows_active\":%" PRIu64 ",\"flows_total\":%" PRIu64 ",\"flows_expired\":%" PRIu64
           ",\"flows_overflow\":%" PRIu64 ",\"strings_total\":%" PRIu64
           ",\"kernel_packets\":%" PRIu64 ",\"kernel_status\":%u,\"writer_pid\":%d,"
           "\"writer_alive\":%s,\"generation\":%u}\n",
           atomic_load(&h->frames_analyzed), atomic_load(&h->frames_missed),
           atomic_load(&h->frames_malformed), atomic_load(&h->next_frame_seq),
           atomic_load(&h->flows_active), atomic_load(&h->flows_total),
           atomic_load(&h->flows_expired), atomic_load(&h->flows_overflow),
           atomic_load(&h->strings_total), atomic_load(&h->kernel_packets),
           atomic_load(&h->kernel_status), h->seg.writer_pid,
           shm_writer_alive(&h->seg) ? "true" : "false", atomic_load(&h->seg.writer_generation));
}

static void dump_summaries(const struct shm_analysis *a)
{
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &a->detail, 0);
    struct shm_record m;
    static struct dissection d;
    while (shm_ring_next(&rd, &m, buf, sizeof buf, 0) == SHM_READ_OK) {
        struct dissect_summary v;
        if (!detail_summary(buf, m.len, &d, &v, NULL)) {
            printf("%" PRIu64 " CORRUPT\n", m.seq);
            continue;
        }
        printf("%" PRIu64 "\t%s\t%s\t%s\t%u\t%s\n", m.seq, v.src, v.dst, v.protocol, m.wire_len,
               v.info);
    }
}

static void dump_details(const struct shm_analysis *a)
{
    struct shm_ring_reader rd;
    shm_ring_reader_init(&rd, &a->detail, 0);
    struct shm_record m;
    static struct dissection d;
    while (shm_ring_next(&rd, &m, buf, sizeof buf, 0) == SHM_READ_OK) {
        if (!detail_decode(buf, m.len, &d, NULL)) {
            printf("%" PRIu64 " CORRUPT\n", m.seq);
            continue;
        }
        printf("%" PRIu64 "\t", m.seq);
        for (unsigned l = 0; l < d.nlayers; l++)
            printf("%s%s", l ? ":" : "", dissect_proto_abbrev(d.layers[l].proto));
        printf("\t%u fields", d.nfields);
        for (unsigned i = 0; i < d.nfields; i++) {
            char text[128];
            dissect_field_text(&d, &d.fields[i], text, sizeof text);
            if (i < 64) printf("\t%s=%s", dissect_field_info(d.fields[i].id)->name, text);
        }
        putchar('\n');
    }
}

static void dump_flows(const struct shm_analysis *a)
{
    for (uint64_t i = 0; i < a->flow_capacity; i++) {
        struct shm_flow f;
        if (!shm_flow_read(a, i, &f)) continue;
        printf("{\"id\":%" PRIu64 ",\"proto\":%u,\"vlan\":%u,\"port_a\":%u,\"port_b\":%u,"
               "\"packets\":[%" PRIu64 ",%" PRIu64 "],\"bytes\":[%" PRIu64 ",%" PRIu64
               "],\"kpackets\":[%" PRIu64 ",%" PRIu64 "],\"kernel\":%s,\"tcp_state\":%u}\n",
               f.id, f.key.proto, f.key.vlan, f.key.port_a, f.key.port_b, f.packets[0],
               f.packets[1], f.bytes[0], f.bytes[1], f.kpackets[0], f.kpackets[1],
               (f.flags & SHM_FLOW_KERNEL_COUNTS) ? "true" : "false", f.tcp_state);
    }
}

/* Each string's text comes from its frame in segment 1 (the string table holds references). */
static int dump_strings(const struct shm_analysis *a, const char *session)
{
    struct shm_frames f;
    char err[SHM_ERR_MAX];
    if (shm_frames_attach(&f, session, err, sizeof err) != 0) {
        fprintf(stderr, "analysisdump: %s\n", err);
        return 1;
    }
    uint64_t follows = a->hdr->frames_created_ns;
    if (follows && follows != f.hdr->seg.created_ns) {
        fprintf(stderr, "analysisdump: the analysis follows another frame segment\n");
        shm_frames_detach(&f);
        return 1;
    }
    struct shm_string_frame fc = {.bytes = frame_copy, .bufsize = sizeof frame_copy};
    uint64_t gone = 0, end = shm_strtab_write_seq(&a->strings);
    for (uint64_t s = shm_strtab_oldest(&a->strings); s < end; s++) {
        struct shm_string_entry e;
        enum shm_read_result r = shm_strtab_read(&a->strings, s, &e);
        if (r == SHM_READ_GONE) continue; /* overwritten while we read */
        if (r != SHM_READ_OK) {
            printf("%" PRIu64 " CORRUPT\n", s);
            continue;
        }
        char text[SHM_STRING_MAX + 1];
        uint32_t len;
        r = shm_string_text(&f.ring, &fc, &e, text, &len);
        if (r == SHM_READ_OK)
            printf("%" PRIu64 "\t%u\t%.*s\n", e.frame_seq, e.offset, (int)len, text);
        else if (r == SHM_READ_GONE)
            gone++;
        else
            printf("%" PRIu64 " CORRUPT\n", e.frame_seq);
    }
    if (gone)
        fprintf(stderr, "analysisdump: %" PRIu64 " strings whose frame is no longer in segment 1\n",
                gone);
    shm_frames_detach(&f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[2], "offset")) {
        if (!strcmp(argv[3], "dissect_tables"))
            printf("%zu\n", offsetof(struct shm_analysis_hdr, dissect_tables));
        else
            return 2;
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: analysisdump SESSION counters|summaries|details|flows|strings\n");
        return 2;
    }
    struct shm_analysis a;
    char err[SHM_ERR_MAX];
    int rc = 0;
    if (shm_analysis_attach(&a, argv[1], err, sizeof err) != 0) {
        fprintf(stderr, "analysisdump: %s\n", err);
        return 1;
    }
    if (!strcmp(argv[2], "counters"))
        dump_counters(&a);
    else if (!strcmp(argv[2], "summaries"))
        dump_summaries(&a);
    else if (!strcmp(argv[2], "details"))
        dump_details(&a);
    else if (!strcmp(argv[2], "flows"))
        dump_flows(&a);
    else if (!strcmp(argv[2], "strings"))
        rc = dump_strings(&a, argv[1]);
    else
        return 2;
    shm_analysis_detach(&a);
    return rc;
}
