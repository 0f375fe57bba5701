#!/bin/bash
# Interface faults: capture started on a down interface waits for it; the capture interface
# goes down for 2 s and comes back — capture says so,
# publishes the state, stays alive, and later frames arrive. Then the interface is deleted and
# re-created under the same name: state "gone", then capture re-binds and frames arrive again.
. "$(dirname "$0")/lib.sh"
setup_veth
"$MKFRAMES" "$WORK/set.pcap" --no-jumbo >/dev/null
N=$(count_frames "$WORK/set.pcap")

wait_state() { # STATE
    for _ in $(seq 60); do
        [ "$(status_field if_state)" = "$1" ] && return 0
        sleep 0.05
    done
    fail "if_state is $(status_field if_state), expected $1"
}

# Started while the interface is down: capture says so and waits (no segment yet: the filter
# must compile on a live handle first), then starts when the interface comes up.
ip -n "$NSC" link set "$IFC" down
ip netns exec "$NSC" "$CAPTURE" -i "$IFC" --session "$SESSION" --keep "$@" 2>"$WORK/capture.err" &
CAP_PID=$!
sleep 0.8
kill -0 "$CAP_PID" 2>/dev/null || fail "capture gave up on an interface that is down"
grep -q "is down; waiting" "$WORK/capture.err" || fail "capture did not say it waits"
ip -n "$NSC" link set "$IFC" up
for _ in $(seq 100); do
    "$RINGDUMP" -s "$SESSION" -W 0 --status >/dev/null 2>&1 && break
    sleep 0.05
done
"$RINGDUMP" -s "$SESSION" -W 0 --status >/dev/null || fail "capture did not start once the interface came up"
sleep 0.3
in_s "$PKTSEND" -i "$IFS_" -r "$WORK/set.pcap" >/dev/null
"$RINGDUMP" -s "$SESSION" -c "$N" -t 3000 -w "$WORK/a.pcap" || fail "first frames missing"

ip -n "$NSC" link set "$IFC" down
wait_state down
sleep 2
kill -0 "$CAP_PID" || fail "capture died while the interface was down"
ip -n "$NSC" link set "$IFC" up
ip -n "$NSS" link set "$IFS_" up
sleep 0.5
in_s "$PKTSEND" -i "$IFS_" -r "$WORK/set.pcap" >/dev/null
"$RINGDUMP" -s "$SESSION" -c $((2 * N)) -t 3000 -w "$WORK/b.pcap" ||
    fail "frames sent after the interface came back did not arrive"
wait_state up
grep -q "went down" "$WORK/capture.err" || fail "capture did not say the interface went down"

# Deleted and re-created: a new ifindex under the same name.
ip -n "$NSC" link del "$IFC"
wait_state gone
sleep 0.5
ip link add "$IFS_"x netns "$NSS" type veth peer name "$IFC" netns "$NSC"
ip -n "$NSS" link del "$IFS_" 2>/dev/null || true
ip -n "$NSS" link set "$IFS_"x name "$IFS_"
ip -n "$NSS" link set "$IFS_" up
ip -n "$NSC" link set "$IFC" up
wait_state up
sleep 0.3
in_s "$PKTSEND" -i "$IFS_" -r "$WORK/set.pcap" >/dev/null
"$RINGDUMP" -s "$SESSION" -c $((3 * N)) -t 3000 -w "$WORK/c.pcap" ||
    fail "frames sent on the re-created interface did not arrive"
stop_capture
echo "ok: down 2 s / up and delete / re-create survived; later frames arrived"
