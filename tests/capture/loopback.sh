#!/bin/bash
# loopback.sh — a loopback device hands every frame to packet sockets twice (leaving, then coming
# back). Like tcpdump, packrat-capture keeps one copy: on the loopback of a namespace of our own,
# the ring holds exactly the frames tcpdump -i lo captures at the same time, and the kernel flow
# counter counts each frame once (its total equals the frames captured). Loopback frames also
# carry checksums left to the NIC (CHECKSUM_PARTIAL): packrat -i lo --json must not call them bad.
. "$(dirname "$0")/lib.sh"
setup_veth
in_c ip link set lo up
FC_PROBE=$BUILD/tests/fc_probe
[ -x "$FC_PROBE" ] || fail "$FC_PROBE not built"

# 20 datagrams to a closed port: each also brings an ICMP port-unreachable back. Paced: tcpdump's
# immediate-mode ring drops a burst like this on loopback, and it is the reference here.
send_datagrams() {
    in_c python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(b"loopback-%02d" % i, ("127.0.0.1", 9))
    time.sleep(0.01)
'
}

start_beside_tcpdump "$WORK/ref.pcap" -i lo -- -i lo
send_datagrams
sleep 1.5 # the kernel counter is republished about once a second
"$FC_PROBE" --read "$SESSION" >"$WORK/kflow" || fail "fc_probe --read"
stop_tcpdump
stop_capture
"$RINGDUMP" -s "$SESSION" -t 500 -w "$WORK/ring.pcap" || fail "ringdump"
rm -f "/dev/shm/packrat.$SESSION.frames"

n=$(count_frames "$WORK/ref.pcap")
[ "$n" = 40 ] || fail "tcpdump captured $n frames, want 40 (20 datagrams, 20 ICMP errors)"
same_frames "$WORK/ref.pcap" "$WORK/ring.pcap"
note "ring: the $n frames tcpdump -i lo captured, once each"
if grep -q "^S 1 " "$WORK/kflow"; then
    k=$(awk '$1=="T" {print $3}' "$WORK/kflow")
    [ "$k" = "$n" ] || fail "kernel counter saw $k frames, want $n: $(cat "$WORK/kflow")"
    note "kernel counter: $k frames, once each"
else
    fail "kernel counter not counting: $(grep '^S' "$WORK/kflow")"
fi

# The analyzer on the same traffic, live: every UDP frame decoded, none with a "bad" checksum.
BIN=${PACKRAT_BIN:-$BUILD/bin}
ip netns exec "$NSC" "$BIN/packrat" -i lo -c 40 --json --no-bpf --session "$SESSION-j" \
    >"$WORK/out.json" 2>"$WORK/json.err" &
J=$!
for _ in $(seq 100); do [ -e "/dev/shm/packrat.$SESSION-j.analysis" ] && break; sleep 0.05; done
sleep 0.3
send_datagrams
for _ in $(seq 100); do kill -0 "$J" 2>/dev/null || break; sleep 0.05; done
kill "$J" 2>/dev/null && fail "packrat -c 40 did not stop: $(cat "$WORK/json.err")"
wait "$J" || fail "packrat --json failed: $(cat "$WORK/json.err")"
[ "$(wc -l <"$WORK/out.json")" = 40 ] || fail "--json printed $(wc -l <"$WORK/out.json") frames, want 40"
[ "$(grep -c '"udp.srcport"' "$WORK/out.json")" = 40 ] || fail "not 40 frames with UDP (20 + 20 quoted)"
bad=$(grep -c 'checksum.status":"Bad' "$WORK/out.json" || true)
[ "$bad" = 0 ] || fail "$bad loopback frames reported with a bad checksum"
note "analyzer: 40 loopback frames, no checksum reported bad"
echo PASS
