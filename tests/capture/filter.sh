#!/bin/bash
# Capture filters: the kernel filter passes exactly the subset tcpdump selects from the frames
# that were sent (`vlan 100` included, which only works when compiled on a live handle), through
# both backends; a bad expression exits 2 with libpcap's message and the expression, and no
# segment is created.
. "$(dirname "$0")/lib.sh"
setup_veth 9000
"$MKFRAMES" "$WORK/set.pcap" >/dev/null

check_filter() { # BACKEND_ARGS FILTER
    local extra=$1 expr=$2
    local want
    want=$(count_frames "$WORK/set.pcap" "$expr")
    [ "$want" -gt 0 ] || fail "reference selects nothing for '$expr'"
    # shellcheck disable=SC2086
    start_capture $extra -Q in "$expr"
    in_s "$PKTSEND" -i "$IFS_" -r "$WORK/set.pcap" -g 1000 >/dev/null
    "$RINGDUMP" -s "$SESSION" -c "$want" -t 3000 -w "$WORK/ring.pcap" || fail "'$expr': fewer than $want frames"
    sleep 0.3
    local got
    got=$(status_field frames_received)
    [ "$got" = "$want" ] || fail "'$expr' $extra: $got frames passed, tcpdump selects $want"
    [ "$(status_field filter)" = "$expr" ] || fail "filter text not in the header"
    stop_capture
    same_frames "$WORK/set.pcap" "$WORK/ring.pcap" "$expr"
    rm -f "/dev/shm/packrat.$SESSION.frames"
    note "'$expr' $extra: exactly $want frames"
}

for backend in "" "--backend pcap"; do
    check_filter "$backend" "vlan 100"
    check_filter "$backend" "vlan 200 or vlan 300"
    check_filter "$backend" "udp port 9 and not vlan"
done

# Bad expressions: status 2, libpcap's message and the expression, no segment.
for args in "-i $IFC" "-i $IFC --backend pcap" "-r $WORK/set.pcap"; do
    rc=0
    # shellcheck disable=SC2086
    ip netns exec "$NSC" "$CAPTURE" $args --session "$SESSION" 'tcp port banana' \
        2>"$WORK/bad.err" || rc=$?
    [ "$rc" = 2 ] || fail "bad filter ($args): exit status $rc, want 2"
    grep -q "tcp port banana" "$WORK/bad.err" || fail "message does not show the expression"
    grep -qi "unknown port\|syntax error\|banana" "$WORK/bad.err" || fail "no libpcap message"
    [ ! -e "/dev/shm/packrat.$SESSION.frames" ] || fail "segment created despite a bad filter"
done
# --hw-timestamps where the NIC has none (veth): a clear message, then kernel software stamps.
N=$(count_frames "$WORK/set.pcap")
start_capture --hw-timestamps
in_s "$PKTSEND" -i "$IFS_" -r "$WORK/set.pcap" >/dev/null
"$RINGDUMP" -s "$SESSION" -c "$N" -t 3000 -m "$WORK/hw.meta" || fail "--hw-timestamps: frames missing"
stop_capture
grep -q "hardware" "$WORK/capture.err" || fail "no message that hardware stamps are unavailable"
awk '$3 != "kernel" { bad=1 } END { exit bad }' "$WORK/hw.meta" || fail "stamps not marked kernel"
echo "ok: filters select exactly tcpdump's subsets on both backends; bad filter exits 2"
