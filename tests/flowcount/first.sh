#!/bin/bash
# first.sh — the counter places itself first in the interface's tcx chain: with another tcx
# program already attached that drops every frame at ingress, the counter still counts every
# frame sent into the interface (and still passes each one on to the dropper).
. "$(dirname "$0")/lib.sh"
setup_veth
start_probe --dropper-first --drop 65534
cat >"$WORK/in.spec" <<'SPEC'
9  udp4   10.0.0.2     10.0.0.1     5000  6000  -       10
4  tcp6   fe80::1      2001:db8::1  443   5555  -       100
SPEC
send_from B "$WORK/in.spec" "$WORK/sent.in"
sum_sent "$WORK/sent.in" >"$WORK/expect"
probe_dump_until "$(awk '$1=="T" {print $3}' "$WORK/expect")" "$WORK/dump"
counted "$WORK/dump" >"$WORK/got"
diff -u "$WORK/expect" "$WORK/got" || fail "a tcx program attached earlier hid frames from the counter"
echo "counted every frame ahead of a drop-all tcx program"
echo PASS
