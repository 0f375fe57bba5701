#!/bin/bash
# tun.sh — on a device whose frames start at the IP header (tun, as wireguard or PPP), the counter
# keys by skb->protocol instead of an Ethernet header and counts the IP packet length, which is
# what AF_PACKET reports there (DLT_RAW). IPv4 and IPv6 packets written into a tun device in a
# namespace of our own arrive on it (its ingress) and are counted exactly.
. "$(dirname "$0")/lib.sh"
ip netns add "$NSA"
ip netns exec "$NSA" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NSA" tuntap add dev "$IFA" mode tun
ip -n "$NSA" link set "$IFA" up
start_probe --drop 65534
cat >"$WORK/in.spec" <<'SPEC'
5  udp4   10.0.0.2     10.0.0.1     5000  6000  -       10
3  tcp4   10.0.0.1     10.0.0.2     6000  5000  -       0
4  udp6   2001:db8::2  2001:db8::1  4000  4001  -       12
2  v6ext  2001:db8::5  2001:db8::6  7000  7001  -       8
SPEC
ip netns exec "$NSA" "$FC_SEND" --tun "$IFA" "$WORK/in.spec" >"$WORK/sent" || fail "fc_send --tun"
sum_sent "$WORK/sent" >"$WORK/expect"
probe_dump_until "$(awk '$1=="T" {print $3}' "$WORK/expect")" "$WORK/dump"
counted "$WORK/dump" >"$WORK/got"
cat "$WORK/got"
diff -u "$WORK/expect" "$WORK/got" || fail "tun counts differ from what was written"
grep -qx 'K v4 p17 vlan0 10.0.0.1:6000 10.0.0.2:5000 pk 0 5 by 0 190' "$WORK/got" ||
    fail "IPv4 length on tun must be the IP packet (38 bytes)"
echo PASS
