#!/bin/bash
# exact.sh — the kernel counter counts every frame of a known set exactly, per flow and per
# direction, with canonical keys: IPv4/IPv6 UDP and TCP, the "b sends first" order, same-address
# flows ordered by port, IPv6 extension headers, non-first fragments (no ports), ICMP, 802.1Q and
# 802.1ad+802.1Q tags (stripped by the kernel at ingress, in the frame at egress), non-IP frames in
# the totals only. Frames arrive from namespace B (ingress) and replies leave from A (egress). The
# probe holds the counter after dropping every privilege, and has a packet socket with the
# capture filter "udp port 9999" that must not change what the counter counts.
. "$(dirname "$0")/lib.sh"
setup_veth
start_probe --drop 65534 --filter "udp port 9999"
case $READY in *"uid=65534 capeff=0"*) ;; *) fail "privileges not dropped: $READY" ;; esac

cat >"$WORK/in.spec" <<'SPEC'
# count kind  src          dst          sport dport vlan    payload
5  udp4   10.0.0.2     10.0.0.1     5000  6000  -       10
3  udp4   10.0.0.1     10.0.0.2     1000  2000  -       0
4  tcp4   10.1.0.1     10.1.0.1     80    79    -       20
2  udp4   192.168.1.1  10.0.0.1     9999  53    -       30
6  udp6   2001:db8::2  2001:db8::1  4000  4001  -       12
3  tcp6   fe80::1      2001:db8::1  443   5555  -       100
2  v6ext  2001:db8::5  2001:db8::6  7000  7001  -       8
2  v6frag 2001:db8::5  2001:db8::6  7000  7001  -       8
2  frag4  10.2.0.1     10.2.0.2     1     2     -       16
3  icmp4  10.3.0.2     10.3.0.1     0     0     -       8
4  udp4   10.4.0.2     10.4.0.1     100   200   100     20
3  udp4   10.4.0.1     10.4.0.2     200   100   100,300 20
2  udp6   2001:db8::9  2001:db8::8  1     2     42      0
2  arp    10.9.9.1     10.9.9.2     0     0     -       0
SPEC
cat >"$WORK/out.spec" <<'SPEC'
4  udp4   10.0.0.1     10.0.0.2     6000  5000  -       10
2  udp4   10.0.0.1     192.168.1.1  53    9999  -       30
3  udp6   2001:db8::1  2001:db8::2  4001  4000  -       12
2  udp4   10.4.0.1     10.4.0.2     200   100   100     20
1  tcp4   10.1.0.1     10.1.0.1     79    80    -       0
1  arp    10.9.9.2     10.9.9.1     0     0     -       4
SPEC
send_from B "$WORK/in.spec" "$WORK/sent.in"
send_from A "$WORK/out.spec" "$WORK/sent.out"
sum_sent "$WORK/sent.in" "$WORK/sent.out" >"$WORK/expect"
want=$(awk '$1=="T" {print $3}' "$WORK/expect")
probe_dump_until "$want" "$WORK/dump"
counted "$WORK/dump" >"$WORK/got"
echo "--- counted by the kernel (after the privilege drop):"
cat "$WORK/got"
diff -u "$WORK/expect" "$WORK/got" || fail "kernel counts differ from what was sent"

# Canonical order, checked by hand for two flows (independent of both programs' code):
grep -qx 'K v4 p17 vlan0 10.0.0.1:6000 10.0.0.2:5000 pk 4 5 by 208 260' "$WORK/got" ||
    fail "10.0.0.2:5000 -> 10.0.0.1:6000 must be keyed a=10.0.0.1:6000, direction 1"
grep -qx 'K v4 p6 vlan0 10.1.0.1:79 10.1.0.1:80 pk 1 4 by 54 296' "$WORK/got" ||
    fail "same-address flow must be ordered by port"
grep -qx 'K v4 p17 vlan100 10.4.0.1:200 10.4.0.2:100 pk 5 4 by 342 264' "$WORK/got" ||
    fail "VLAN flow: wire length must include the tag the kernel stripped"

grep -q '^S 1 counting' "$WORK/dump" || fail "table status is not 'counting': $(grep '^S' "$WORK/dump")"
# The filtered socket saw only udp port 9999 (2 in, 2 out) while the counter counted everything.
grep -qx 'F got 4 other 0' "$WORK/dump" || fail "socket filter: $(grep '^F' "$WORK/dump")"

echo close >&"$PROBE_IN"
read -r -t 10 line <&"$PROBE_OUT" || fail "no answer to close"
[ "$line" = "CLOSED mode=closed" ] || fail "close: $line"
net=$(ip netns exec "$NSA" bpftool net show dev "$IFA")
grep -q flowcount <<<"$net" && fail "still attached after flowcount_close: $net"
stop_probe "probe exited with an error"
echo PASS
