#!/bin/bash
# bulk.sh — 200 000 frames over 64 flows (IPv4/IPv6, UDP/TCP, some VLAN-tagged, frame sizes
# 60..1514) sent as fast as one sender can into the counted interface: the kernel counts equal
# what was sent, exactly, per flow and direction, read back through segment 1 after the holder
# dropped its privileges; snapshots published while the frames fly never go backwards.
. "$(dirname "$0")/lib.sh"
setup_veth
start_probe --drop 65534

make_bulk_spec "$WORK/in.spec" "$WORK/out.spec"
t0=$(date +%s.%N)
# Publish and read back continuously while the frames fly: every snapshot must be whole, and no
# flow's counts may ever go down from one snapshot to the next.
send_from B "$WORK/in.spec" "$WORK/sent.in" &
sender=$!
snaps=0
while kill -0 "$sender" 2>/dev/null; do
    snaps=$((snaps + 1))
    probe_dump "$WORK/live.$snaps"
done
wait "$sender" || fail "sender failed"
t1=$(date +%s.%N)
for i in $(seq "$snaps"); do cat "$WORK/live.$i"; done | awk '
    $1 == "K" { k = $2" "$3" "$4" "$5" "$6
                for (f = 8; f <= 12; f++) if (f != 10) {
                    if ($f < last[k, f]) { print "went down: " $0; bad = 1 }
                    last[k, f] = $f } }
    $1 == "T" { if ($3 < tp) { print "total went down: " $0; bad = 1 } tp = $3 }
    END { exit bad }' || fail "a live snapshot went backwards"
echo "$snaps live snapshots during the send, all monotonic"
send_from A "$WORK/out.spec" "$WORK/sent.out"
sum_sent "$WORK/sent.in" "$WORK/sent.out" >"$WORK/expect"
[ "$(grep -c '^K' "$WORK/expect")" = 64 ] || fail "expected 64 flows in the sender's output"
[ "$(awk '$1=="T" {print $3}' "$WORK/sent.in")" = 200000 ] || fail "sender did not send 200000"
probe_dump_until "$(awk '$1=="T" {print $3}' "$WORK/expect")" "$WORK/dump"
counted "$WORK/dump" >"$WORK/got"
diff -u "$WORK/expect" "$WORK/got" || fail "kernel counts differ from what was sent"
echo "200000 frames (+$(awk '$1=="T" {print $3}' "$WORK/sent.out") replies) over 64 flows in" \
    "$(awk "BEGIN {printf \"%.2f\", $t1 - $t0}") s: kernel counts exact per flow and direction"
grep '^T' "$WORK/got"
echo PASS
