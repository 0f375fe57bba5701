/*
 * test_detail.c — the detail record (analyzer/detail.c) on real dissections: every frame of every
 * capture in ../shared/corpus/tcpdump is packed and unpacked again and must come back identical
 * (layers, events, fields byte for byte, pool), and damaged records (every cut, flipped bytes)
 * are rejected or unpacked to something valid, never read out of bounds (this runs under ASan
 * in scripts/test). Viewers unpack records from a segment they do not trust.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/detail.h"

static struct dissection d, back;
static uint8_t rec[DETAIL_MAX_BYTES];

static const char *corpus_dir(void)
{
    static char dir[4096];
    const char *root = getenv("PACKRAT_ROOT");
    snprintf(dir, sizeof dir, "%s/../shared/corpus/tcpdump", root ? root : ".");
    return dir;
}

static void assert_same(const struct dissection *a, const struct dissection *b, const char *what)
{
    cr_assert_eq(a->top, b->top, "%s: top", what);
    cr_assert_eq(a->nlayers, b->nlayers, "%s: layers", what);
    cr_assert_eq(a->nevents, b->nevents, "%s: events", what);
    cr_assert_eq(a->nfields, b->nfields, "%s: fields", what);
    cr_assert_eq(a->pool_used, b->pool_used, "%s: pool", what);
    cr_assert_eq(a->fields_dropped, b->fields_dropped, "%s: dropped", what);
    cr_assert(!memcmp(a->layers, b->layers, a->nlayers * sizeof a->layers[0]), "%s: layers", what);
    cr_assert(!memcmp(a->events, b->events, a->nevents * sizeof a->events[0]), "%s: events", what);
    for (unsigned i = 0; i < a->nfields; i++)
        cr_assert(!memcmp(&a->fields[i], &b->fields[i], sizeof a->fields[i]),
                  "%s: field %u (id %u) differs", what, i, a->fields[i].id);
    cr_assert(!memcmp(a->pool, b->pool, a->pool_used), "%s: pool bytes", what);
    cr_assert_eq(a->m.caplen, b->m.caplen, "%s: caplen", what);
    cr_assert_eq(a->m.wirelen, b->m.wirelen, "%s: wirelen", what);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* Calls fn for every frame of every corpus capture, dissected into d; returns the frame count. */
static unsigned long each_corpus_frame(void (*fn)(const char *file, unsigned long n))
{
    DIR *dir = opendir(corpus_dir());
    cr_assert(dir, "no corpus at %s", corpus_dir());
    unsigned long frames = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!ends_with(e->d_name, ".pcap") && !ends_with(e->d_name, ".pcapng")) continue;
        char path[8192], errbuf[PCAP_ERRBUF_SIZE];
        snprintf(path, sizeof path, "%s/%s", corpus_dir(), e->d_name);
        pcap_t *p = pcap_open_offline(path, errbuf);
        if (!p) continue; /* deliberately broken captures are the capture tests' business */
        struct pcap_pkthdr *h;
        const u_char *bytes;
        int r;
        while ((r = pcap_next_ex(p, &h, &bytes)) == 1) {
            dissect_frame(&d, (uint32_t)pcap_datalink(p), bytes, h->caplen, h->len);
            fn(e->d_name, ++frames);
        }
        pcap_close(p);
    }
    closedir(dir);
    return frames;
}

static void round_trip(const char *file, unsigned long n)
{
    uint32_t len = detail_encode(&d, rec, sizeof rec);
    cr_assert(len > 0 && len == detail_size(&d), "%s frame %lu: encoded %u, size %u", file, n, len,
              detail_size(&d));
    cr_assert_eq(detail_encode(&d, rec, len - 1), 0, "%s frame %lu: encoded into too little", file,
                 n);
    cr_assert(detail_decode(rec, len, &back), "%s frame %lu: own record rejected", file, n);
    char what[512];
    snprintf(what, sizeof what, "%s frame %lu", file, n);
    assert_same(&d, &back, what);
}

Test(detail, every_corpus_frame_comes_back_identical)
{
    unsigned long frames = each_corpus_frame(round_trip);
    cr_assert_gt(frames, 1000, "only %lu frames in the corpus", frames);
}

static void damage(const char *file, unsigned long n)
{
    if (n % 7) return; /* a sample keeps the test quick; every cut of each sampled record */
    uint32_t len = detail_encode(&d, rec, sizeof rec);
    for (uint32_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees any over-read */
        memcpy(copy, rec, cut);
        cr_assert(!detail_decode(copy, cut, &back), "%s frame %lu: cut at %u accepted", file, n,
                  cut);
        free(copy);
    }
    uint64_t x = n * 0x9e3779b97f4a7c15ull + 1;
    for (int k = 0; k < 64; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint8_t *copy = malloc(len);
        memcpy(copy, rec, len);
        copy[x % len] ^= (uint8_t)(1u << (x >> 40) % 8);
        if (detail_decode(copy, len, &back)) { /* accepted: then everything in it is in range */
            for (unsigned i = 0; i < back.nfields; i++) {
                cr_assert_lt(back.fields[i].id, FLD_COUNT);
                cr_assert_lt(back.fields[i].layer, back.nlayers ? back.nlayers : 1);
            }
        }
        free(copy);
    }
}

Test(detail, damaged_records_are_rejected_or_valid)
{
    cr_assert_gt(each_corpus_frame(damage), 1000);
}
