#!/bin/bash
# -i any (cooked, DLT_LINUX_SLL): packrat-capture builds the SLL header itself and re-inserts
# VLAN tags after it; tcpdump -i any -y LINUX_SLL (libpcap) captures the same frames at the same
# time and is the reference: the two captures must be byte-identical, unfiltered and with a
# filter (`udp`), which exercises the load rewrite for cooked sockets. libpcap cannot compile
# `vlan` for cooked v1 at all; that must be a clean exit 2, as it is for tcpdump.
. "$(dirname "$0")/lib.sh"
setup_veth
"$MKFRAMES" "$WORK/set.pcap" --no-jumbo >/dev/null

run_both() { # NAME [filter...]
    local name=$1
    shift
    start_beside_tcpdump "$WORK/$name.ref.pcap" -i any -Q in "$@" -- -i any -y LINUX_SLL -Q in "$@"
    in_s "$PKTSEND" -i "$IFS_" -r "$WORK/set.pcap" -g 1000 >/dev/null
    sleep 0.5
    stop_tcpdump
    stop_capture
    [ "$(status_field link_type)" = 113 ] || fail "link type $(status_field link_type), want 113 (LINUX_SLL)"
    "$RINGDUMP" -s "$SESSION" -t 500 -w "$WORK/$name.ring.pcap" || fail "ringdump"
    rm -f "/dev/shm/packrat.$SESSION.frames"
    local n
    n=$(count_frames "$WORK/$name.ref.pcap")
    [ "$n" -gt 0 ] || fail "$name: tcpdump captured nothing"
    same_frames "$WORK/$name.ref.pcap" "$WORK/$name.ring.pcap"
    note "$name: $n frames identical to tcpdump -i any -y LINUX_SLL"
}

run_both all
run_both udp udp
[ "$(count_frames "$WORK/udp.ref.pcap")" -lt "$(count_frames "$WORK/all.ref.pcap")" ] ||
    fail "udp selected everything"
rc=0
ip netns exec "$NSC" "$CAPTURE" -i any --session "$SESSION" vlan 100 2>"$WORK/v.err" || rc=$?
[ "$rc" = 2 ] || fail "vlan filter on -i any: status $rc, want 2"
grep -q "vlan 100" "$WORK/v.err" || fail "message lacks the expression"
echo "ok: -i any matches tcpdump's cooked capture, with and without a filter"
