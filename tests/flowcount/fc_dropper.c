/*
 * fc_dropper.c — for fc_probe --dropper-first: loads a two-instruction SCHED_CLS program that
 * drops every frame and appends it to the interface's tcx ingress chain, so a test can show that
 * the counter, opened afterwards, places itself ahead of it and still counts every frame.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int fc_attach_dropper(int ifindex);

int fc_attach_dropper(int ifindex)
{
    struct bpf_insn insns[] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 2 /* TC_ACT_SHOT */},
        {.code = BPF_JMP | BPF_EXIT},
    };
    int prog = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "fc_test_drop", "GPL", insns, 2, NULL);
    if (prog < 0) return -1;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.link_create.prog_fd = (unsigned)prog;
    attr.link_create.target_fd = (unsigned)ifindex;
    attr.link_create.attach_type = 46; /* BPF_TCX_INGRESS; no flags: appended to the chain */
    long link = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof attr);
    return link < 0 ? -1 : (int)link; /* both fds stay open until the probe exits */
}
