#!/bin/bash
# tc_fallback.sh — the TC clsact fallback (kernels without tcx; here also reading the map without
# batch operations, as kernels before 5.6 must) counts exactly like tcx, and its
# documented exit behaviour holds: a filter cannot be removed once the holder has dropped its
# privileges (netlink needs CAP_NET_ADMIN) or was killed, so it stays attached until the next
# flowcount_open() on the interface recognises it by program name and replaces it; a holder that
# still has its privileges removes its filters on close. Two live captures on one interface each
# keep their own filters (a live one is never taken for a leftover) and both count exactly.
. "$(dirname "$0")/lib.sh"
PROBE2=
extra_cleanup() {
    if [ -n "$PROBE2" ]; then kill "$PROBE2" 2>/dev/null; wait "$PROBE2" 2>/dev/null; fi
    rm -f "/dev/shm/packrat.$SESSION-b.frames"
}
setup_veth

filters() { ip netns exec "$NSA" bpftool net show dev "$IFA" | grep -c flowcount_ || true; }

cat >"$WORK/in.spec" <<'SPEC'
7  udp4   10.0.0.2     10.0.0.1     5000  6000  -       10
3  tcp6   fe80::1      2001:db8::1  443   5555  -       100
4  udp4   10.4.0.2     10.4.0.1     100   200   100     20
3  udp4   10.4.0.1     10.4.0.2     200   100   100,300 20
1  arp    10.9.9.1     10.9.9.2     0     0     -       0
SPEC
cat >"$WORK/out.spec" <<'SPEC'
2  udp4   10.0.0.1     10.0.0.2     6000  5000  -       10
2  udp4   10.4.0.1     10.4.0.2     200   100   100     20
SPEC

# 1. Exact counts through clsact, after the privilege drop, with the map read as kernels without
#    batch lookups must (get_next_key).
start_probe --old-kernel --drop 65534
case $READY in *mode=tc\ *) ;; *) fail "expected mode=tc: $READY" ;; esac
[ "$(filters)" = 2 ] || fail "expected 2 TC filters, found $(filters)"
send_from B "$WORK/in.spec" "$WORK/sent.in"
send_from A "$WORK/out.spec" "$WORK/sent.out"
sum_sent "$WORK/sent.in" "$WORK/sent.out" >"$WORK/expect"
probe_dump_until "$(awk '$1=="T" {print $3}' "$WORK/expect")" "$WORK/dump"
counted "$WORK/dump" >"$WORK/got"
diff -u "$WORK/expect" "$WORK/got" || fail "tc fallback counts differ from what was sent"
echo "tc fallback: exact"

# 2. Unprivileged exit: the filters stay (documented), counting into a map nobody reads.
stop_probe "probe failed"
[ "$(filters)" = 2 ] || fail "expected the 2 filters to outlive an unprivileged exit"
echo "after an unprivileged exit: 2 stale filters (documented)"

# 3. The next open replaces them (not adds), and kill -9 leaves its own behind likewise.
start_probe --tc
[ "$(filters)" = 2 ] || fail "expected the stale filters replaced, found $(filters)"
new_in=$(sed -n 's/.*ingress=\([0-9]*\).*/\1/p' <<<"$READY")
# Read the whole listing before matching: under pipefail, a grep -q that stops early would
# SIGPIPE bpftool (it writes section by section) and fail the pipeline.
net=$(ip netns exec "$NSA" bpftool net show dev "$IFA")
grep -q "clsact/ingress flowcount_ingre:\[$new_in\]" <<<"$net" ||
    fail "the ingress filter is not the new program $new_in: $net"
kill -9 "$PROBE_CHILD"
wait "$PROBE_CHILD" 2>/dev/null || true
PROBE_CHILD=
[ "$(filters)" = 2 ] || fail "kill -9 with TC: expected the 2 filters to stay"
echo "after kill -9 (tc): 2 stale filters (documented)"

# 4. A privileged holder replaces them and removes everything on close.
start_probe --tc
stop_probe "probe failed"
[ "$(filters)" = 0 ] || fail "privileged close left $(filters) filters"
echo "privileged close: no filter left"

# 5. Two live holders on one interface: the second takes the next free priority.
start_probe --tc
mkfifo "$WORK/b.in" "$WORK/b.out"
ip netns exec "$NSA" "$FC_PROBE" --if "$IFA" --session "$SESSION-b" --tc <"$WORK/b.in" \
    >"$WORK/b.out" 2>&1 &
PROBE2=$!
exec {B_IN}>"$WORK/b.in" {B_OUT}<"$WORK/b.out"
read -r -t 20 line <&"$B_OUT" || fail "second probe did not start"
case $line in READY*mode=tc\ *) ;; *) fail "second probe: $line" ;; esac
[ "$(filters)" = 4 ] || fail "expected 4 filters for two live holders, found $(filters)"
send_from B "$WORK/in.spec" "$WORK/sent.in2"
sum_sent "$WORK/sent.in2" >"$WORK/expect2"
probe_dump_until "$(awk '$1=="T" {print $3}' "$WORK/expect2")" "$WORK/dump2"
counted "$WORK/dump2" >"$WORK/got2"
diff -u "$WORK/expect2" "$WORK/got2" || fail "first holder's counts wrong"
echo dump >&"$B_IN"
: >"$WORK/dump3"
while read -r -t 20 line <&"$B_OUT"; do
    [ "$line" = END ] && break
    echo "$line" >>"$WORK/dump3"
done
counted "$WORK/dump3" >"$WORK/got3"
diff -u "$WORK/expect2" "$WORK/got3" || fail "second holder's counts wrong"
echo quit >&"$B_IN"
wait "$PROBE2" || fail "second probe failed"
PROBE2=
stop_probe "probe failed"
[ "$(filters)" = 0 ] || fail "two holders left $(filters) filters"
echo "two live holders: both exact, each removed its own"
echo PASS
