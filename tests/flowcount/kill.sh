#!/bin/bash
# kill.sh — kill -9 of the process holding the counter leaves nothing attached: tcx links belong
# to the process's fds, so the kernel detaches them and frees the programs when it dies.
# (bpftool 7.1 does not list tcx attachments under "net show", so the links and program ids are
# checked directly: while the probe runs, "bpftool link show" has a link for each program; after
# the kill neither the links nor the programs exist, and no TC filter is on the interface.)
. "$(dirname "$0")/lib.sh"
setup_veth
start_probe --drop 65534
case $READY in *mode=tcx*) ;; *) fail "expected tcx on this kernel: $READY" ;; esac
in_id=$(sed -n 's/.*ingress=\([0-9]*\).*/\1/p' <<<"$READY")
eg_id=$(sed -n 's/.*egress=\([0-9]*\).*/\1/p' <<<"$READY")
links() { bpftool link show -j | tr '{' '\n' | grep -cE "\"prog_id\":($in_id|$eg_id)[,}]" || true; }
[ "$(links)" = 2 ] || fail "expected 2 links for programs $in_id/$eg_id, found $(links)"
echo "attached: links for programs $in_id and $eg_id"

kill -9 "$PROBE_CHILD"
wait "$PROBE_CHILD" 2>/dev/null || true
PROBE_CHILD=
for _ in $(seq 50); do
    [ "$(links)" = 0 ] && ! bpftool prog show id "$in_id" >/dev/null 2>&1 &&
        ! bpftool prog show id "$eg_id" >/dev/null 2>&1 && break
    sleep 0.1
done
[ "$(links)" = 0 ] || fail "a link for $in_id/$eg_id survived kill -9"
bpftool prog show id "$in_id" >/dev/null 2>&1 && fail "program $in_id survived kill -9"
bpftool prog show id "$eg_id" >/dev/null 2>&1 && fail "program $eg_id survived kill -9"
net=$(ip netns exec "$NSA" bpftool net show dev "$IFA")
grep -q flowcount <<<"$net" && fail "bpftool net show still lists: $net"
tcf=$(ip netns exec "$NSA" tc filter show dev "$IFA" ingress)
[ -n "$tcf" ] && fail "TC filter left: $tcf"
echo "after kill -9: no link, no program, no filter"
echo PASS
