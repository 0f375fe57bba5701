/*
 * session_export.c — nanosecond pcap files that always end on a complete record.
 *
 * Why not libpcap's pcap_dump(): it buffers through stdio, so a disk-full error surfaces at some
 * later fflush with an unknown number of bytes of a record on disk, and there is no way to cut
 * the file back. Here each record is one writev at a known offset; on any failure the file is
 * truncated to the last good offset. The format is the classic pcap with the nanosecond magic
 * 0xa1b23c4d, which tcpdump, tshark and capinfos read.
 */
#define _GNU_SOURCE
#include "viewer/session_export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PCAP_MAGIC_NS 0xa1b23c4du

struct pcap_file_hdr {
    uint32_t magic;
    uint16_t major, minor;
    int32_t thiszone;
    uint32_t sigfigs, snaplen, linktype;
};

struct pcap_rec_hdr {
    uint32_t ts_sec, ts_nsec, incl_len, orig_len;
};

_Static_assert(sizeof(struct pcap_file_hdr) == 24, "pcap file header is 24 bytes");
_Static_assert(sizeof(struct pcap_rec_hdr) == 16, "pcap record header is 16 bytes");

static void write_error(struct export_writer *w, int e, char *err, size_t errlen)
{
    if (e == ENOSPC || e == EDQUOT)
        shm_fail(err, errlen,
                 "%s: %s: the file holds the %llu complete packets written before it "
                 "(%llu bytes) and ends on a complete record",
                 w->path,
                 e == ENOSPC ? "disk full (No space left on device)" : "disk quota exceeded",
                 (unsigned long long)w->packets, (unsigned long long)w->size);
    else
        shm_fail(err, errlen, "writing %s: %s (the file ends after packet %llu, a complete record)",
                 w->path, strerror(e), (unsigned long long)w->packets);
}

/* Writes all of iov at the current end, or truncates back to w->size and returns the errno. */
static int write_whole(struct export_writer *w, struct iovec *iov, int iovcnt, size_t total)
{
    size_t done = 0;
    while (done < total) {
        ssize_t n = writev(w->fd, iov, iovcnt);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = n < 0 ? errno : ENOSPC;
            /* Cut the partial record off so the file ends on the last complete one. */
            if (ftruncate(w->fd, (off_t)w->size) != 0 || lseek(w->fd, (off_t)w->size, SEEK_SET) < 0)
                e = e ? e : errno;
            return e;
        }
        done += (size_t)n;
        /* Advance past what was written (a short write on a nearly full disk). */
        size_t skip = (size_t)n;
        while (iovcnt && skip >= iov->iov_len) {
            skip -= iov->iov_len;
            iov++;
            iovcnt--;
        }
        if (iovcnt) {
            iov->iov_base = (char *)iov->iov_base + skip;
            iov->iov_len -= skip;
        }
    }
    w->size += total;
    return 0;
}

int export_writer_open(struct export_writer *w, const char *path, uint32_t link_type,
                       uint32_t snaplen, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    snprintf(w->path, sizeof w->path, "%s", path);
    w->snaplen = snaplen ? snaplen : 262144;
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    struct pcap_file_hdr h = {.magic = PCAP_MAGIC_NS,
                              .major = 2,
                              .minor = 4,
                              .snaplen = w->snaplen,
                              .linktype = link_type};
    struct iovec iov = {.iov_base = &h, .iov_len = sizeof h};
    int e = write_whole(w, &iov, 1, sizeof h);
    if (e) {
        write_error(w, e, err, errlen);
        close(w->fd);
        unlink(path); /* not even a header: leave no file that no reader can open */
        w->fd = -1;
        return -1;
    }
    return 0;
}

int export_writer_frame(struct export_writer *w, const struct shm_record *meta, const void *data,
                        char *err, size_t errlen)
{
    struct pcap_rec_hdr r = {
        .ts_sec = (uint32_t)(meta->ts_ns / 1000000000ull),
        .ts_nsec = (uint32_t)(meta->ts_ns % 1000000000ull),
        .incl_len = meta->len,
        .orig_len = meta->wire_len > meta->len ? meta->wire_len : meta->len,
    };
    struct iovec iov[2] = {{.iov_base = &r, .iov_len = sizeof r},
                           {.iov_base = (void *)data, .iov_len = meta->len}};
    int e = write_whole(w, iov, 2, sizeof r + meta->len);
    if (e) {
        write_error(w, e, err, errlen);
        return -1;
    }
    w->packets++;
    return 0;
}

int export_writer_close(struct export_writer *w, char *err, size_t errlen)
{
    if (w->fd < 0) return 0;
    int rc = close(w->fd);
    w->fd = -1;
    if (rc != 0) {
        write_error(w, errno, err, errlen);
        return -1;
    }
    return 0;
}

int export_pcap(const char *path, const struct shm_frames *f, const uint64_t *seqs, size_t n,
                struct export_result *res, char *err, size_t errlen)
{
    struct export_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    struct export_writer w;
    if (export_writer_open(&w, path, f->hdr->link_type, f->hdr->snaplen, err, errlen) != 0)
        return -1;
    uint8_t *buf = malloc(SHM_FRAME_MAX);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        export_writer_close(&w, err, errlen);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct shm_record m;
        enum shm_read_result r = shm_ring_read(&f->ring, seqs[i], &m, buf, SHM_FRAME_MAX);
        if (r != SHM_READ_OK) {
            res->gone++; /* overwritten (or never there): the ring moved on since the view */
            continue;
        }
        if (export_writer_frame(&w, &m, buf, err, errlen) != 0) rc = -1;
    }
    free(buf);
    res->written = w.packets;
    char cerr[EXPORT_ERR_MAX];
    if (export_writer_close(&w, cerr, sizeof cerr) != 0 && rc == 0) {
        snprintf(err, errlen, "%s", cerr);
        rc = -1;
    }
    return rc;
}
