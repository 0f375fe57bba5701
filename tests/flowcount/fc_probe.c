/*
 * fc_probe.c — drives the flowcount library the way packrat-capture does, for the tests and the
 * benchmark: open the counter on an interface while root, create a frame segment, optionally
 * open a packet socket with a capture filter, drop every privilege, then publish and print the
 * table on command. What it prints comes back out of segment 1 through the reader helper
 * (flowcount_table_snapshot), so a test checks the whole path: BPF → map → publish → seqlock →
 * reader.
 *
 *   fc_probe --if NAME [--tc] [--old-kernel] [--no-cache] [--hook-only] [--deny-bpf]
 * [--dropper-first] [--drop UID]
 *            [--filter EXPR] [--session NAME]
 *   --old-kernel: what a kernel without tcx and batch map reads gets (TC clsact, get_next_key).
 *   --no-cache: count as on CPUs without x86's store order (no per-CPU flow cache).
 *   --dropper-first attaches a tcx program that drops everything at ingress before the counter
 *   (the counter must put itself first and still count every frame).
 *   --deny-bpf makes every bpf() syscall fail with ENOSYS (seccomp), as on a kernel built
 *   without it. When the counter cannot be opened the probe still creates its segment, marks
 *   the table unavailable (as capture does), prints "UNAVAILABLE <reason>" and the table's "S"
 *   line read back through the reader, and exits with status 3.
 *   fc_probe --test-run REPEAT   program cost per frame kind (BPF_PROG_TEST_RUN), then exit
 *   fc_probe --read SESSION      attach read-only to another writer's segment 1 (packrat-capture)
 *                                and print its kernel flow table and capture counters, then exit
 *
 * Prints "READY mode=<tcx|tc> ingress=<prog id> egress=<prog id> uid=<uid> capeff=<hex>", then
 * reads commands from stdin, one per line:
 *   dump   publish, read the table back and print "K ..." lines (the format fc_send prints),
 *          "T packets N bytes N", "S status text", with --filter "F got N other N" (frames the
 *          filtered socket received, and how many of them the filter should have rejected),
 *          then "END"
 *   close  flowcount_close() twice (idempotent), print "CLOSED"
 *   quit   close and exit
 * EOF on stdin also exits. Exit status 1 on any failure, with a reason on stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capture/flowcount/flowcount.h"
#include "capture/flowcount/kflow_read.h"

static struct shm_kflow table[SHM_KFLOW_CAPACITY];

static void die(const char *what)
{
    fprintf(stderr, "fc_probe: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* The privilege drop packrat-capture does after setup (DESIGN.md). */
static void drop_privileges(uid_t uid)
{
    gid_t gid = (gid_t)uid;
    if (setgroups(0, NULL) != 0) die("setgroups");
    if (setresgid(gid, gid, gid) != 0) die("setresgid");
    if (setresuid(uid, uid, uid) != 0) die("setresuid");
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capset, &h, d) != 0) die("capset");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
}

/* A seccomp filter that fails bpf() with ENOSYS: a kernel without CONFIG_BPF_SYSCALL. */
static void deny_bpf(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bpf, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) die("seccomp");
}

/* fc_dropper.c: a drop-all tcx ingress program attached ahead of the counter (--dropper-first).
 * Its own file because <linux/bpf.h> and <pcap/pcap.h> both define struct bpf_insn. */
int fc_attach_dropper(int ifindex);

static unsigned long long cap_eff(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long v = ~0ull;
    while (fp && fgets(line, sizeof line, fp))
        if (sscanf(line, "CapEff: %llx", &v) == 1) break;
    if (fp) fclose(fp);
    return v;
}

static int filter_socket(int ifindex, const char *expr)
{
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
    if (s < 0) die("socket(AF_PACKET)");
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
    struct bpf_program prog;
    if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        fprintf(stderr, "fc_probe: filter: %s\n", pcap_geterr(p));
        exit(1);
    }
    struct sock_fprog fp = {(unsigned short)prog.bf_len, (struct sock_filter *)prog.bf_insns};
    if (setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) != 0) die("SO_ATTACH_FILTER");
    pcap_freecode(&prog);
    pcap_close(p);
    int rcvbuf = 64 << 20;
    setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    if (bind(s, (struct sockaddr *)&sll, sizeof sll) != 0) die("bind");
    return s;
}

/* Frames the filtered socket got, and how many are not UDP to or from port 9999. */
static unsigned long long sock_got, sock_other;

static void drain(int s)
{
    uint8_t buf[2048];
    for (;;) {
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n < 0) break;
        sock_got++;
        bool ok = n >= 14 + 20 + 8 && buf[12] == 0x08 && buf[13] == 0x00 && buf[23] == 17;
        if (ok) {
            size_t l4 = 14 + (size_t)(buf[14] & 15) * 4;
            unsigned sp = (unsigned)(buf[l4] << 8 | buf[l4 + 1]);
            unsigned dp = (unsigned)(buf[l4 + 2] << 8 | buf[l4 + 3]);
            ok = (size_t)n >= l4 + 4 && (sp == 9999 || dp == 9999);
        }
        if (!ok) sock_other++;
    }
}

/* Prints the kernel flow table of frames as "K ..." lines, then "T" and "S". */
static void print_table(const struct shm_frames *frames)
{
    struct shm_kflow_table_hdr h;
    long n = flowcount_table_snapshot(frames, table, SHM_KFLOW_CAPACITY, &h);
    if (n < 0) die("flowcount_table_snapshot");
    for (long i = 0; i < n; i++) {
        const struct shm_kflow *k = &table[i];
        int fam = k->key.ip_version == 4 ? AF_INET : AF_INET6;
        char a[64], b[64];
        inet_ntop(fam, k->key.addr_a, a, sizeof a);
        inet_ntop(fam, k->key.addr_b, b, sizeof b);
        printf("K v%u p%u vlan%u %s:%u %s:%u pk %llu %llu by %llu %llu\n", k->key.ip_version,
               k->key.proto, k->key.vlan, a, k->key.port_a, b, k->key.port_b,
               (unsigned long long)k->packets[0], (unsigned long long)k->packets[1],
               (unsigned long long)k->bytes[0], (unsigned long long)k->bytes[1]);
    }
    printf("T packets %llu bytes %llu\n", (unsigned long long)h.total_packets,
           (unsigned long long)h.total_bytes);
    printf("S %u %s count=%llu\n", h.status, h.status_text, (unsigned long long)h.count);
}

static void dump(struct flowcount *fc, struct shm_frames *frames, int sock)
{
    if (flowcount_publish(fc, frames) < 0) die("flowcount_publish");
    print_table(frames);
    if (sock >= 0) {
        drain(sock);
        printf("F got %llu other %llu\n", sock_got, sock_other);
    }
    printf("END\n");
    fflush(stdout);
}

/* --read: what a reader of packrat-capture's segment sees. */
static int read_session(const char *session)
{
    struct shm_frames f;
    char err[SHM_ERR_MAX];
    if (shm_frames_attach(&f, session, err, sizeof err) != 0) {
        fprintf(stderr, "fc_probe: %s\n", err);
        return 1;
    }
    print_table(&f);
    printf("C received %llu drops %llu\n", (unsigned long long)atomic_load(&f.hdr->frames_received),
           (unsigned long long)atomic_load(&f.hdr->kernel_drops));
    shm_frames_detach(&f);
    return 0;
}

/* Kernel-measured cost of the program on typical frames: "R kind ns_per_run ns_empty_run"
 * (the second with a program that counts nothing: the test loop's own cost). */
static int test_run(unsigned repeat)
{
    static const uint8_t eth_v4udp[60] = {2,    0,    0,    0xee, 0xee, 1,    2,  0, 0,  0xee, 0xee,
                                          2,    0x08, 0x00, /* eth */
                                          0x45, 0,    0,    46,   0x12, 0x34, 0,  0, 64, 17,   0,
                                          0,    10,   77,   0,    1,    10,   77, 1, 1, /* ip */
                                          0x9c, 0x40, 0x1e, 0x61, 0,    26,   0,  0};   /* udp */
    uint8_t v6[80];
    memset(v6, 0, sizeof v6);
    memcpy(v6, eth_v4udp, 12);
    v6[12] = 0x86;
    v6[13] = 0xdd;
    v6[14] = 0x60;
    v6[19] = 8 + 18;
    v6[20] = 17;
    v6[21] = 64;
    v6[22] = 0x20;
    v6[23] = 0x01;
    v6[37] = 1;
    v6[38] = 0x20;
    v6[39] = 0x01;
    v6[53] = 2;
    v6[54] = 0x9c;
    v6[56] = 0x12;
    uint8_t arp[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0xee, 0xee, 2, 0x08, 0x06};
    struct {
        const char *name;
        const void *frame;
        size_t len;
    } kinds[] = {{"ipv4-udp", eth_v4udp, sizeof eth_v4udp},
                 {"ipv6-udp", v6, sizeof v6},
                 {"non-ip", arp, sizeof arp}};
    char err[256];
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        uint64_t ns, empty;
        if (flowcount_bench_prog(kinds[i].frame, kinds[i].len, repeat, 0, &ns, err, sizeof err) !=
                0 ||
            flowcount_bench_prog(kinds[i].frame, kinds[i].len, repeat, FLOWCOUNT_HOOK_ONLY, &empty,
                                 err, sizeof err) != 0) {
            fprintf(stderr, "fc_probe: %s\n", err);
            return 1;
        }
        printf("R %s %llu %llu\n", kinds[i].name, (unsigned long long)ns,
               (unsigned long long)empty);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--test-run")) return test_run((unsigned)atoi(argv[2]));
    if (argc == 3 && !strcmp(argv[1], "--read")) return read_session(argv[2]);
    const char *ifname = NULL, *filter = NULL, *session = NULL;
    unsigned flags = 0;
    long drop_uid = -1;
    bool dropper = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--if") && i + 1 < argc)
            ifname = argv[++i];
        else if (!strcmp(argv[i], "--tc"))
            flags |= FLOWCOUNT_FORCE_TC;
        else if (!strcmp(argv[i], "--hook-only"))
            flags |= FLOWCOUNT_HOOK_ONLY;
        else if (!strcmp(argv[i], "--old-kernel"))
            flags |= FLOWCOUNT_FORCE_TC | FLOWCOUNT_NO_BATCH;
        else if (!strcmp(argv[i], "--no-cache"))
            flags |= FLOWCOUNT_NO_CACHE;
        else if (!strcmp(argv[i], "--dropper-first"))
            dropper = true;
        else if (!strcmp(argv[i], "--deny-bpf"))
            deny_bpf();
        else if (!strcmp(argv[i], "--drop") && i + 1 < argc)
            drop_uid = atol(argv[++i]);
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc)
            filter = argv[++i];
        else if (!strcmp(argv[i], "--session") && i + 1 < argc)
            session = argv[++i];
        else {
            fprintf(stderr,
                    "usage: fc_probe --if NAME [--tc] [--old-kernel] [--no-cache] [--hook-only] "
                    "[--deny-bpf] [--dropper-first] "
                    "[--drop UID] [--filter EXPR] [--session NAME]\n");
            return 2;
        }
    }
    if (!ifname) {
        fprintf(stderr, "fc_probe: --if is required\n");
        return 2;
    }
    int ifindex = (int)if_nametoindex(ifname);
    if (!ifindex) die(ifname);

    char sess[64];
    snprintf(sess, sizeof sess, "%s", session ? session : "fcprobe");
    struct shm_frames frames;
    char err[256];

    if (dropper && fc_attach_dropper(ifindex) < 0)
        die("attaching the dropper"); /* held until exit */
    struct flowcount *fc = NULL;
    if (flowcount_open_flags(&fc, ifindex, flags, err, sizeof err) != 0) {
        /* What capture does: say it once, mark the table, carry on without counts. */
        printf("UNAVAILABLE %s\n", err);
        char serr[SHM_ERR_MAX];
        if (shm_frames_create(&frames, sess, 8u << 20, (gid_t)-1, serr, sizeof serr) != 0) {
            fprintf(stderr, "fc_probe: segment: %s\n", serr);
            return 1;
        }
        flowcount_publish_unavailable(&frames, err);
        shm_segment_publish(&frames.seg);
        print_table(&frames);
        shm_frames_close(&frames, true);
        return 3;
    }
    int sock = filter ? filter_socket(ifindex, filter) : -1;

    if (shm_frames_create(&frames, sess, 8u << 20, (gid_t)-1, err, sizeof err) != 0) {
        fprintf(stderr, "fc_probe: segment: %s\n", err);
        return 1;
    }
    shm_segment_publish(&frames.seg);

    if (drop_uid >= 0) drop_privileges((uid_t)drop_uid);
    uint32_t in_id, eg_id;
    flowcount_prog_ids(fc, &in_id, &eg_id);
    printf("READY mode=%s ingress=%u egress=%u uid=%u capeff=%llx\n", flowcount_mode(fc), in_id,
           eg_id, (unsigned)geteuid(), cap_eff());
    fflush(stdout);

    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        if (!strncmp(line, "dump", 4)) {
            dump(fc, &frames, sock);
        } else if (!strncmp(line, "close", 5)) {
            flowcount_close(fc);
            flowcount_close(fc);
            printf("CLOSED mode=%s\n", flowcount_mode(fc));
            fflush(stdout);
        } else if (!strncmp(line, "quit", 4)) {
            break;
        }
    }
    flowcount_close(fc);
    if (sock >= 0) close(sock);
    /* Unlinking would need the privileges we dropped; the test removes the segment. */
    shm_frames_close(&frames, drop_uid < 0);
    return 0;
}
