/*
 * flowcount.c — loads packrat's kernel flow counter and publishes its counts into segment 1.
 *
 * Recipe (libbpf-bootstrap style): open the generated skeleton → set read-only config (is the
 * interface Ethernet?) → load → attach at ingress and egress → read the maps about once a second →
 * one cleanup path. Attachment prefers tcx links (kernel >= 6.6): they are owned by our fds, so
 * nothing can outlive the process, and they need no privilege to be closed after the drop. libbpf
 * 1.1 has no tcx helper and its headers predate the attach types, so the links are made with a
 * hand-built BPF_LINK_CREATE (tcx_link_create; the numbers are kernel ABI). When the kernel does
 * not know tcx, TC clsact filters are used instead, with a fixed handle and priority so that a
 * filter left behind by a killed or unprivileged capture can be recognised (by program name) and
 * replaced at the next start (see flowcount.h for what that fallback cannot clean up).
 *
 * Reading: the totals are a per-CPU array (summed here); a flow's counts are its entry in the LRU
 * hash (read with batch lookups, get_next_key on kernels before 5.6) plus its slot in each CPU's
 * flow cache (flowcount_maps.h), merged by key here (read_merged) and copied into segment 1's
 * table under its seqlock.
 *
 * Instances live in a small static table rather than on the heap so that flowcount_close() can be
 * idempotent on the same pointer (a closed slot is simply marked free) without leaking.
 */
#define _GNU_SOURCE
#include "flowcount.h"

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flowcount_maps.h"
#include "flowcount.skel.h"

/* Kernel ABI values from linux/bpf.h of 6.6+ (enum bpf_attach_type). */
#define FC_BPF_TCX_INGRESS 46
#define FC_BPF_TCX_EGRESS  47

/* TC fallback: where our filters sit. Priority 1 runs before filters installed with the default
 * priorities, so a filter that drops or redirects cannot hide frames from the counter. */
#define FC_TC_HANDLE 0x70726174u /* "prat" */
#define FC_TC_PRIO   1u
#define FC_TC_SLOTS  8u /* priorities FC_TC_PRIO.. tried: one per live capture on an interface */

#define FC_MAX_INSTANCES 4

_Static_assert(sizeof(struct fc_key) == sizeof(struct shm_flow_key), "map key is shm_flow_key");
_Static_assert(offsetof(struct fc_key, addr_b) == offsetof(struct shm_flow_key, addr_b), "addr_b");
_Static_assert(offsetof(struct fc_key, port_a) == offsetof(struct shm_flow_key, port_a), "port_a");
_Static_assert(offsetof(struct fc_key, vlan) == offsetof(struct shm_flow_key, vlan), "vlan");
_Static_assert(offsetof(struct fc_key, proto) == offsetof(struct shm_flow_key, proto), "proto");
_Static_assert(sizeof(struct fc_value) == 2 * sizeof(((struct shm_kflow *)0)->packets),
               "value is packets[2], bytes[2]");

enum fc_mode { FC_CLOSED = 0, FC_TCX = 1, FC_TC = 2 };

struct flowcount {
    atomic_int in_use;  /* slot taken */
    atomic_int closing; /* set by the one flowcount_close() that tears down */
    enum fc_mode mode;
    int ifindex;
    struct flowcount_bpf *skel;
    int link_fd[2]; /* tcx: ingress, egress; -1 when not attached */
    bool tc_attached[2];
    uint32_t tc_prio[2];
    bool tc_hook_created; /* we created the clsact qdisc and remove it again */
    uint32_t max_entries;
    struct fc_key *keys; /* publish buffers, max_entries each */
    struct fc_value *vals;
    struct shm_kflow *flows;
    struct fc_cache *cache_a, *cache_b; /* two copies of every CPU's flow cache */
    struct shm_kflow *merged, *prev;    /* flow_cap each: this read and the last one, by key */
    size_t nprev;
    size_t flow_cap;     /* max_entries + one cache's slots per CPU: every flow one read can see */
    size_t hash_entries; /* flows in the LRU hash at the last read (for "evicted") */
    int ncpus;
    bool no_batch; /* FLOWCOUNT_NO_BATCH: walk with get_next_key as kernels < 5.6 must */
};

static struct flowcount instances[FC_MAX_INSTANCES];

/* libbpf prints verifier logs and probe warnings to stderr by default; capture must say one line.
 * Keep the first warning after a reset (the cause; later ones are consequences) so a failure
 * can quote it. Used during setup, which is single-threaded. */
static char libbpf_first[160];

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG || libbpf_first[0]) return 0;
    char line[sizeof libbpf_first];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    const char *p = strncmp(line, "libbpf: ", 8) ? line : line + 8;
    /* Not causes: the memlock bump fails whenever bpf() does, the skeleton line repeats rc. */
    if (strstr(p, "RLIMIT_MEMLOCK") || strstr(p, "failed to load BPF skeleton")) return 0;
    snprintf(libbpf_first, sizeof libbpf_first, "%s", p);
    return 0;
}

/* A reason a person can act on, for an errno from loading or attaching. */
static const char *hint(int e)
{
    switch (e) {
    case EPERM:
    case EACCES:
        return " (needs root, or CAP_BPF + CAP_NET_ADMIN)";
    case ENOSYS:
        return " (this kernel has no bpf() syscall: CONFIG_BPF_SYSCALL is off)";
    case EINVAL:
    case EOPNOTSUPP:
        return " (kernel too old for this program or attach type)";
    case ENODEV:
    case ENXIO:
        return " (no such interface)";
    default:
        return "";
    }
}

/* Frames of Ethernet-like devices start with an Ethernet header; tun/wireguard/PPP at IP. */
static int if_hw_type(int ifindex)
{
    char name[IF_NAMESIZE];
    if (!if_indextoname((unsigned)ifindex, name)) return -1;
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    int rc = ioctl(s, SIOCGIFHWADDR, &ifr);
    close(s);
    return rc == 0 ? ifr.ifr_hwaddr.sa_family : -1;
}

/* Frames start with an Ethernet header (assumed when the type cannot be read). */
static bool hw_is_ethernet(int type)
{
    return type < 0 || type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK || type == ARPHRD_IEEE802;
}

/*
 * BPF_LINK_CREATE for tcx, made by hand: libbpf 1.1 predates tcx, and the flag that matters here
 * must reach the kernel. BPF_F_BEFORE with no relative program puts the counter first in the
 * interface's tcx chain, so that no other program (a firewall, a redirect) can drop or steal a
 * frame before it is counted; the counter itself always passes to the next one.
 */
#define FC_BPF_F_BEFORE (1U << 3)

static int tcx_link_create(int prog_fd, int ifindex, int attach_type)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.link_create.prog_fd = (uint32_t)prog_fd;
    attr.link_create.target_fd = (uint32_t)ifindex; /* target_ifindex in newer headers */
    attr.link_create.attach_type = (uint32_t)attach_type;
    attr.link_create.flags = FC_BPF_F_BEFORE;
    /* tcx.relative_fd and tcx.expected_revision follow and stay zero: "first", any revision. */
    long fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof attr);
    return fd < 0 ? -errno : (int)fd;
}

static int tcx_attach(struct flowcount *fc)
{
    int types[2] = {FC_BPF_TCX_INGRESS, FC_BPF_TCX_EGRESS};
    int progs[2] = {bpf_program__fd(fc->skel->progs.flowcount_ingress),
                    bpf_program__fd(fc->skel->progs.flowcount_egress)};
    for (int i = 0; i < 2; i++) {
        int fd = tcx_link_create(progs[i], fc->ifindex, types[i]);
        if (fd < 0) return fd;
        fc->link_fd[i] = fd;
    }
    return 0;
}

static void tcx_detach(struct flowcount *fc)
{
    for (int i = 0; i < 2; i++) {
        if (fc->link_fd[i] >= 0) close(fc->link_fd[i]); /* closing the link detaches it */
        fc->link_fd[i] = -1;
    }
}

/* True when the program with this id is one of ours (a leftover of a killed capture). */
static bool prog_is_ours(uint32_t id)
{
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) return false;
    struct bpf_prog_info info;
    uint32_t len = sizeof info;
    memset(&info, 0, sizeof info);
    bool ours =
        bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && strncmp(info.name, "flowcount_", 10) == 0;
    close(fd);
    return ours;
}

/*
 * True when some process holds an fd of program id: then the filter running it belongs to a live
 * capture (another session on this interface), not to a dead one. Leftovers are held by nothing
 * but their filter. Scans /proc/PID/fdinfo, which needs the privileges open() runs with.
 */
static bool prog_held(uint32_t id)
{
    DIR *proc = opendir("/proc");
    if (!proc) return true; /* cannot tell: leave it alone */
    bool held = false;
    struct dirent *p;
    while (!held && (p = readdir(proc))) {
        if (p->d_name[0] < '1' || p->d_name[0] > '9') continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/fd", p->d_name);
        DIR *fds = opendir(path);
        if (!fds) continue;
        struct dirent *f;
        while (!held && (f = readdir(fds))) {
            char link[600], target[32];
            snprintf(link, sizeof link, "/proc/%s/fd/%s", p->d_name, f->d_name);
            ssize_t n = readlink(link, target, sizeof target - 1);
            if (n <= 0) continue;
            target[n] = '\0';
            if (strcmp(target, "anon_inode:bpf-prog") != 0) continue;
            snprintf(link, sizeof link, "/proc/%s/fdinfo/%s", p->d_name, f->d_name);
            FILE *fp = fopen(link, "re");
            char line[96];
            unsigned v;
            while (fp && fgets(line, sizeof line, fp))
                if (sscanf(line, "prog_id: %u", &v) == 1 && v == id) held = true;
            if (fp) fclose(fp);
        }
        closedir(fds);
    }
    closedir(proc);
    return held;
}

static int tc_attach(struct flowcount *fc, char *err, size_t errlen)
{
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = fc->ifindex, .attach_point = BPF_TC_INGRESS);
    int rc = bpf_tc_hook_create(&hook);
    if (rc == 0)
        fc->tc_hook_created = true;
    else if (rc != -EEXIST)
        return shm_fail(err, errlen, "creating the clsact qdisc: %s%s", strerror(-rc), hint(-rc));

    enum bpf_tc_attach_point points[2] = {BPF_TC_INGRESS, BPF_TC_EGRESS};
    int progs[2] = {bpf_program__fd(fc->skel->progs.flowcount_ingress),
                    bpf_program__fd(fc->skel->progs.flowcount_egress)};
    for (int i = 0; i < 2; i++) {
        hook.attach_point = points[i];
        /* Remove what killed or unprivileged captures left in our slots: a filter with our
         * handle running one of our programs that no process holds any more. */
        for (uint32_t prio = FC_TC_PRIO; prio < FC_TC_PRIO + FC_TC_SLOTS; prio++) {
            LIBBPF_OPTS(bpf_tc_opts, q, .handle = FC_TC_HANDLE, .priority = prio);
            if (bpf_tc_query(&hook, &q) == 0 && prog_is_ours(q.prog_id) && !prog_held(q.prog_id)) {
                LIBBPF_OPTS(bpf_tc_opts, d, .handle = FC_TC_HANDLE, .priority = prio);
                bpf_tc_detach(&hook, &d);
            }
        }
        /* The first free slot: a live capture on the same interface keeps its own. */
        rc = -EEXIST;
        for (uint32_t prio = FC_TC_PRIO; rc != 0 && prio < FC_TC_PRIO + FC_TC_SLOTS; prio++) {
            LIBBPF_OPTS(bpf_tc_opts, o, .handle = FC_TC_HANDLE, .priority = prio,
                        .prog_fd = progs[i]);
            rc = bpf_tc_attach(&hook, &o);
            if (rc == 0)
                fc->tc_prio[i] = prio;
            else if (rc != -EEXIST && rc != -EINVAL)
                break; /* EINVAL: another kind there */
        }
        if (rc != 0)
            return shm_fail(err, errlen, "attaching the TC %s filter: %s%s",
                            i ? "egress" : "ingress", strerror(-rc), hint(-rc));
        fc->tc_attached[i] = true;
    }
    return 0;
}

static void tc_detach(struct flowcount *fc)
{
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = fc->ifindex);
    enum bpf_tc_attach_point points[2] = {BPF_TC_INGRESS, BPF_TC_EGRESS};
    for (int i = 0; i < 2; i++) {
        if (!fc->tc_attached[i]) continue;
        hook.attach_point = points[i];
        LIBBPF_OPTS(bpf_tc_opts, d, .handle = FC_TC_HANDLE, .priority = fc->tc_prio[i]);
        bpf_tc_detach(&hook, &d); /* EPERM after the privilege drop: see flowcount.h */
        fc->tc_attached[i] = false;
    }
    if (fc->tc_hook_created) {
        hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
        bpf_tc_hook_destroy(&hook);
        fc->tc_hook_created = false;
    }
}

/* The state of a slot that holds nothing: what release() leaves behind, and what slot_take()
 * starts from (a never-used slot is zeroed, and 0 is a valid fd, so link_fd must be set). */
static void slot_clear(struct flowcount *fc)
{
    fc->mode = FC_CLOSED;
    fc->skel = NULL;
    fc->link_fd[0] = fc->link_fd[1] = -1;
    fc->tc_attached[0] = fc->tc_attached[1] = false;
    fc->tc_hook_created = false;
    fc->keys = NULL;
    fc->vals = NULL;
    fc->flows = NULL;
    fc->cache_a = fc->cache_b = NULL;
    fc->merged = fc->prev = NULL;
    fc->nprev = 0;
}

static void release(struct flowcount *fc)
{
    tcx_detach(fc);
    tc_detach(fc);
    flowcount_bpf__destroy(fc->skel);
    free(fc->keys);
    free(fc->vals);
    free(fc->flows);
    free(fc->cache_a);
    free(fc->cache_b);
    free(fc->merged);
    free(fc->prev);
    slot_clear(fc);
}

static struct flowcount *slot_take(void)
{
    for (int i = 0; i < FC_MAX_INSTANCES; i++) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&instances[i].in_use, &expect, 1)) {
            struct flowcount *fc = &instances[i];
            atomic_store(&fc->closing, 0);
            slot_clear(fc);
            return fc;
        }
    }
    return NULL;
}

int flowcount_open(struct flowcount **out, int ifindex, char *err, size_t errlen)
{
    return flowcount_open_flags(out, ifindex, 0, err, errlen);
}

int flowcount_open_flags(struct flowcount **out, int ifindex, unsigned flags, char *err,
                         size_t errlen)
{
    *out = NULL;
    if (ifindex <= 0)
        return shm_fail(err, errlen, "no interface to count on (ifindex %d)", ifindex);
    struct flowcount *fc = slot_take();
    if (!fc) return shm_fail(err, errlen, "too many flow counters open");
    fc->ifindex = ifindex;
    fc->no_batch = (flags & FLOWCOUNT_NO_BATCH) != 0;

    libbpf_set_print(libbpf_quiet);
    libbpf_first[0] = '\0';
    fc->skel = flowcount_bpf__open();
    if (!fc->skel) {
        int e = errno;
        shm_fail(err, errlen, "opening the BPF object: %s%s", strerror(e), hint(e));
        goto fail;
    }
    int hw = if_hw_type(ifindex);
    fc->skel->rodata->l2_ethernet = hw_is_ethernet(hw) ? 1 : 0;
    fc->skel->rodata->count_egress = hw != ARPHRD_LOOPBACK;
    fc->skel->rodata->hook_only = (flags & FLOWCOUNT_HOOK_ONLY) ? 1 : 0;
    fc->skel->rodata->cache_flows = FLOWCOUNT_CACHE_SAFE && !(flags & FLOWCOUNT_NO_CACHE);
    fc->max_entries = FC_MAP_ENTRIES_DEFAULT;

    int rc = flowcount_bpf__load(fc->skel);
    if (rc != 0) {
        int e = -rc;
        /* libbpf's own words only where ours say little (a verifier or map rejection). */
        bool quote = libbpf_first[0] && e != EPERM && e != EACCES && e != ENOSYS;
        shm_fail(err, errlen, "loading the BPF counter: %s%s%s%s", strerror(e), hint(e),
                 quote ? "; " : "", quote ? libbpf_first : "");
        goto fail;
    }

    fc->ncpus = libbpf_num_possible_cpus();
    if (fc->ncpus <= 0) {
        shm_fail(err, errlen, "cannot count possible CPUs");
        goto fail;
    }
    fc->flow_cap = fc->max_entries + (size_t)fc->ncpus * FC_CACHE_SLOTS;
    fc->keys = calloc(fc->max_entries, sizeof *fc->keys);
    fc->vals = calloc(fc->max_entries, sizeof *fc->vals);
    fc->flows = calloc(fc->flow_cap, sizeof *fc->flows);
    fc->merged = calloc(fc->flow_cap, sizeof *fc->merged);
    fc->prev = calloc(fc->flow_cap, sizeof *fc->prev);
    fc->cache_a = calloc((size_t)fc->ncpus, sizeof *fc->cache_a);
    fc->cache_b = calloc((size_t)fc->ncpus, sizeof *fc->cache_b);
    if (!fc->keys || !fc->vals || !fc->flows || !fc->merged || !fc->prev || !fc->cache_a ||
        !fc->cache_b) {
        shm_fail(err, errlen, "out of memory for the flow table");
        goto fail;
    }

    if (!(flags & FLOWCOUNT_FORCE_TC)) {
        rc = tcx_attach(fc);
        if (rc == 0) {
            fc->mode = FC_TCX;
            *out = fc;
            return 0;
        }
        tcx_detach(fc);
        /* Only an unknown attach type means "old kernel": anything else is a real failure. */
        if (rc != -EINVAL && rc != -EOPNOTSUPP) {
            shm_fail(err, errlen, "attaching with tcx: %s%s", strerror(-rc), hint(-rc));
            goto fail;
        }
    }
    if (tc_attach(fc, err, errlen) != 0) goto fail;
    fc->mode = FC_TC;
    *out = fc;
    return 0;

fail:
    release(fc);
    atomic_store(&fc->in_use, 0);
    return -1;
}

void flowcount_close(struct flowcount *fc)
{
    if (!fc || fc < instances || fc >= instances + FC_MAX_INSTANCES) return;
    /* Exchanged, not just read, so that a close racing another close (the exit path and a
     * signal-driven one) tears down once. The slot is freed only afterwards, so it cannot be
     * reused while we still work on it. */
    if (!atomic_load(&fc->in_use) || atomic_exchange(&fc->closing, 1)) return;
    release(fc);
    atomic_store(&fc->in_use, 0);
}

const char *flowcount_mode(const struct flowcount *fc)
{
    if (!fc) return "closed";
    switch (fc->mode) {
    case FC_TCX:
        return "tcx";
    case FC_TC:
        return "tc";
    default:
        return "closed";
    }
}

void flowcount_prog_ids(const struct flowcount *fc, uint32_t *ingress, uint32_t *egress)
{
    *ingress = *egress = 0;
    if (!fc || fc->mode == FC_CLOSED) return;
    struct bpf_prog_info info;
    uint32_t len = sizeof info;
    memset(&info, 0, sizeof info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(fc->skel->progs.flowcount_ingress), &info, &len) ==
        0)
        *ingress = info.id;
    memset(&info, 0, sizeof info);
    len = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(fc->skel->progs.flowcount_egress), &info, &len) == 0)
        *egress = info.id;
}

static int read_totals(struct flowcount *fc, struct flowcount_totals *tot)
{
    uint32_t zero = 0;
    memset(tot, 0, sizeof *tot);
    /* The totals live at the head of each CPU's cache value. A per-CPU lookup returns one value
     * per possible CPU, each padded to 8 bytes (fc_cache already is a multiple of 8). */
    if (bpf_map_lookup_elem(bpf_map__fd(fc->skel->maps.cache), &zero, fc->cache_a) != 0) return -1;
    for (int c = 0; c < fc->ncpus; c++) {
        const struct fc_totals *t = &fc->cache_a[c].totals;
        tot->packets += t->packets;
        tot->bytes += t->bytes;
        tot->non_ip += t->non_ip;
        tot->new_flows += t->new_flows;
        tot->insert_fails += t->insert_fails;
    }
    return 0;
}

/*
 * Reads every flow of the map into fc->keys/vals. Batch lookup (kernel >= 5.6) walks the hash
 * buckets once; the get_next_key walk is the fallback, bounded to max_entries because it restarts
 * from the beginning when the key it stands on is evicted meanwhile.
 */
static long read_flows(struct flowcount *fc)
{
    int fd = bpf_map__fd(fc->skel->maps.flows);
    size_t n = 0;
    uint64_t in_batch = 0, out_batch = 0;
    bool first = true, batch_ok = !fc->no_batch;
    LIBBPF_OPTS(bpf_map_batch_opts, bo);
    while (batch_ok && n < fc->max_entries) {
        uint32_t cnt = fc->max_entries - (uint32_t)n;
        int rc = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, fc->keys + n,
                                      fc->vals + n, &cnt, &bo);
        int e = rc ? errno : 0;
        if (rc == 0 || e == ENOENT) n += cnt;
        if (rc != 0) {
            if (e == ENOENT) break; /* walked every bucket */
            if (first && (e == EINVAL || e == ENOTSUP || e == EOPNOTSUPP || e == ENOSYS)) {
                batch_ok = false;
                break;
            }
            if (e == ENOSPC) break; /* buffer full: publish what we have */
            return -1;
        }
        in_batch = out_batch;
        first = false;
    }
    if (batch_ok) return (long)n;

    n = 0;
    struct fc_key cur, prev;
    bool have_prev = false;
    for (uint32_t steps = 0; steps < fc->max_entries; steps++) {
        if (bpf_map_get_next_key(fd, have_prev ? &prev : NULL, &cur) != 0) break;
        prev = cur;
        have_prev = true;
        if (bpf_map_lookup_elem(fd, &cur, &fc->vals[n]) == 0) fc->keys[n++] = cur;
    }
    return (long)n;
}

static int by_key(const void *a, const void *b)
{
    const struct shm_kflow *x = a, *y = b;
    return memcmp(&x->key, &y->key, sizeof x->key);
}

static void add_counts(struct shm_kflow *to, const struct shm_kflow *from)
{
    for (int d = 0; d < 2; d++) {
        to->packets[d] += from->packets[d];
        to->bytes[d] += from->bytes[d];
    }
}

/* One flow of a view, from the hash's entry or a cache slot (the same key and counts). */
static void kflow_set(struct shm_kflow *f, const struct fc_key *key, const __u64 packets[2],
                      const __u64 bytes[2])
{
    memcpy(&f->key, key, sizeof f->key);
    memcpy(f->packets, packets, sizeof f->packets);
    memcpy(f->bytes, bytes, sizeof f->bytes);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/*
 * One consistent-enough view of every flow, sorted by key, in fc->merged; returns how many.
 *
 * The program moves a slot's counts into the hash when another flow takes the slot, so a flow's
 * counts may move while we read. The order of reads makes every view a lower bound, never a
 * double count: the hash is read first and the caches after it, so counts flushed after the hash
 * read are missed (not doubled), and counts flushed before it are in the hash while their slot
 * already shows an odd or newer gen (the program makes gen odd before it flushes). A slot is used
 * only when both copies show the same even gen: no flush or rewrite overlapped the first copy, so
 * its key and counts belong together. This leans on store order in the JIT'd program and load
 * order here, which x86 (TSO) gives; on other CPUs the loader turns the cache off
 * (FLOWCOUNT_CACHE_SAFE) and every slot stays empty. At rest every view is exact.
 * While frames fly, a flush racing the read can leave a flow short for one read: clamping every
 * counter to the previous view's keeps published counts monotonic (each view is a lower bound of
 * a count that only grows, so the maximum is one too), and a flow seen last time but absent now
 * is kept when some slot was unstable (it may be the one in flight).
 */
static long read_merged(struct flowcount *fc)
{
    long nh = read_flows(fc);
    if (nh < 0) return -1;
    fc->hash_entries = (size_t)nh;
    uint32_t zero = 0;
    int cfd = bpf_map__fd(fc->skel->maps.cache);
    if (bpf_map_lookup_elem(cfd, &zero, fc->cache_a) != 0) return -1;
    if (bpf_map_lookup_elem(cfd, &zero, fc->cache_b) != 0) return -1;

    size_t n = 0, unstable = 0;
    for (long i = 0; i < nh; i++)
        kflow_set(&fc->merged[n++], &fc->keys[i], fc->vals[i].packets, fc->vals[i].bytes);
    for (int c = 0; c < fc->ncpus; c++) {
        for (unsigned i = 0; i < FC_CACHE_SLOTS; i++) {
            const struct fc_slot *a = &fc->cache_a[c].slot[i], *b = &fc->cache_b[c].slot[i];
            if (a->gen != b->gen || (a->gen & 1)) {
                unstable++;
                continue;
            }
            if (!a->key.ip_version) continue; /* empty */
            kflow_set(&fc->merged[n++], &a->key, a->packets, a->bytes);
        }
    }
    qsort(fc->merged, n, sizeof *fc->merged, by_key);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && by_key(&fc->merged[m - 1], &fc->merged[i]) == 0)
            add_counts(&fc->merged[m - 1], &fc->merged[i]);
        else
            fc->merged[m++] = fc->merged[i];
    }

    /* Clamp to the previous view (both sorted by key); carry its flows missing now only when a
     * slot was unstable. Appended carried flows are re-sorted below. */
    size_t j = 0, have = m;
    for (size_t i = 0; i < have; i++) {
        while (j < fc->nprev && by_key(&fc->prev[j], &fc->merged[i]) < 0) {
            if (unstable && m < fc->flow_cap) fc->merged[m++] = fc->prev[j];
            j++;
        }
        if (j < fc->nprev && by_key(&fc->prev[j], &fc->merged[i]) == 0) {
            for (int d = 0; d < 2; d++) {
                fc->merged[i].packets[d] =
                    max_u64(fc->merged[i].packets[d], fc->prev[j].packets[d]);
                fc->merged[i].bytes[d] = max_u64(fc->merged[i].bytes[d], fc->prev[j].bytes[d]);
            }
            j++;
        }
    }
    for (; unstable && j < fc->nprev && m < fc->flow_cap; j++) fc->merged[m++] = fc->prev[j];
    if (m > have) qsort(fc->merged, m, sizeof *fc->merged, by_key);
    memcpy(fc->prev, fc->merged, m * sizeof *fc->merged);
    fc->nprev = m;
    return (long)m;
}

long flowcount_read(struct flowcount *fc, struct shm_kflow *out, size_t cap,
                    struct flowcount_totals *tot)
{
    if (!fc || fc->mode == FC_CLOSED) {
        errno = EBADF;
        return -1;
    }
    struct flowcount_totals t;
    if (read_totals(fc, &t) != 0) return -1;
    long n = read_merged(fc);
    if (n < 0) return -1;
    size_t m = (size_t)n < cap ? (size_t)n : cap;
    memcpy(out, fc->merged, m * sizeof *out);
    if (tot) *tot = t;
    return (long)m;
}

static int by_bytes_desc(const void *a, const void *b)
{
    const struct shm_kflow *x = a, *y = b;
    uint64_t bx = x->bytes[0] + x->bytes[1], by = y->bytes[0] + y->bytes[1];
    return bx < by ? 1 : bx > by ? -1 : 0;
}

/* ---- the table in segment 1: single writer (capture) ------------------------------------ */

/* Makes the lock odd. A crashed predecessor may have left it odd: step to the next odd value
 * so that no reader can mistake the two writes for one. */
static void table_begin(struct shm_kflow_table_hdr *h)
{
    uint64_t s = atomic_load_explicit(&h->lock, memory_order_relaxed);
    s += (s & 1) ? 2 : 1;
    atomic_store_explicit(&h->lock, s, memory_order_relaxed);
    /* Release fence: the odd value is ordered before every store of the rewrite below; pairs
     * with the reader's acquire fence before it re-reads the lock (kflow_read.c). */
    atomic_thread_fence(memory_order_release);
}

static void table_end(struct shm_kflow_table_hdr *h)
{
    uint64_t s = atomic_load_explicit(&h->lock, memory_order_relaxed);
    /* Release: the rewrite is visible before the even value; pairs with the reader's acquire
     * load of the lock at the start of its copy. */
    atomic_store_explicit(&h->lock, s + 1, memory_order_release);
}

static void set_text(struct shm_kflow_table_hdr *h, const char *text)
{
    snprintf(h->status_text, sizeof h->status_text, "%s", text ? text : "");
}

/* The writer's own, writable view of the entries (frames->kflow is const for readers). */
static struct shm_kflow *table_entries(struct shm_frames *frames)
{
    return (struct shm_kflow *)((uint8_t *)frames->seg.base + frames->hdr->kflow_off);
}

int flowcount_publish(struct flowcount *fc, struct shm_frames *frames)
{
    if (!frames || !frames->hdr || !frames->seg.writable) {
        errno = EINVAL;
        return -1;
    }
    if (!fc || fc->mode == FC_CLOSED) {
        errno = EBADF;
        return -1;
    }
    struct flowcount_totals t;
    long n = flowcount_read(fc, fc->flows, fc->flow_cap, &t);
    if (n < 0) {
        char why[80];
        snprintf(why, sizeof why, "reading the kernel counters failed: %s", strerror(errno));
        flowcount_publish_unavailable(frames, why);
        return -1;
    }
    size_t cap = (size_t)frames->kflow_capacity;
    size_t m = (size_t)n;
    if (m > cap) {
        qsort(fc->flows, m, sizeof *fc->flows, by_bytes_desc);
        m = cap;
    }
    char text[sizeof frames->hdr->kflow.status_text];
    /* Flows the LRU map had to evict lose their counts (the totals keep them): say how many. */
    uint64_t evicted = t.new_flows > fc->hash_entries ? t.new_flows - fc->hash_entries : 0;
    snprintf(text, sizeof text, "counting (%s), %ld flows, %llu evicted, %llu not keyed",
             flowcount_mode(fc), n, (unsigned long long)evicted,
             (unsigned long long)(t.non_ip + t.insert_fails));
    flowcount_table_write(frames, fc->flows, m, t.packets, t.bytes, 1, text);
    return (int)m; /* m <= the table's capacity */
}

void flowcount_table_write(struct shm_frames *frames, const struct shm_kflow *entries, size_t n,
                           uint64_t total_packets, uint64_t total_bytes, uint32_t status,
                           const char *text)
{
    if (!frames || !frames->hdr || !frames->seg.writable) return;
    if (n > frames->kflow_capacity) n = (size_t)frames->kflow_capacity;
    struct shm_kflow_table_hdr *h = &frames->hdr->kflow;
    table_begin(h);
    if (n) memcpy(table_entries(frames), entries, n * sizeof *entries);
    h->count = n;
    h->total_packets = total_packets;
    h->total_bytes = total_bytes;
    h->updated_ns = shm_now_real_ns();
    h->status = status;
    set_text(h, text);
    table_end(h);
}

void flowcount_publish_unavailable(struct shm_frames *frames, const char *reason)
{
    flowcount_table_write(frames, NULL, 0, 0, 0, 2, reason);
}

int flowcount_bench_prog(const void *frame, size_t len, unsigned repeat, unsigned flags,
                         uint64_t *ns_per_run, char *err, size_t errlen)
{
    libbpf_set_print(libbpf_quiet);
    struct flowcount_bpf *skel = flowcount_bpf__open();
    if (!skel) {
        int e = errno;
        return shm_fail(err, errlen, "opening the BPF object: %s%s", strerror(e), hint(e));
    }
    skel->rodata->hook_only = (flags & FLOWCOUNT_HOOK_ONLY) ? 1 : 0;
    skel->rodata->cache_flows = FLOWCOUNT_CACHE_SAFE && !(flags & FLOWCOUNT_NO_CACHE);
    int rc = flowcount_bpf__load(skel);
    if (rc != 0) {
        flowcount_bpf__destroy(skel);
        return shm_fail(err, errlen, "loading the BPF counter: %s%s", strerror(-rc), hint(-rc));
    }
    struct bpf_program *prog = skel->progs.flowcount_ingress;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (uint32_t)len,
                .repeat = repeat);
    rc = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
    int e = errno;
    flowcount_bpf__destroy(skel);
    if (rc != 0) return shm_fail(err, errlen, "BPF_PROG_TEST_RUN: %s%s", strerror(e), hint(e));
    *ns_per_run = opts.duration;
    return 0;
}
