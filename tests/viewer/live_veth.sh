#!/bin/bash
# A live session on a veth pair between two network namespaces that only this test uses: the
# known frames are sent in namespace S and captured in namespace C (capture -i, the analyzer,
# and the viewer in tmux), and every tab shows what it should — rows with kernel timestamps, the
# IP and TCP layers with a highlighted dump, the known payload string, the HTTP flow with 7 and 5
# packets, sparklines — and the filter works on live frames, including frames that arrive after
# it was set; once the link is quiet, rates fall to zero and the sparklines go on in wall time.
# IPv6 and addresses are off on the pair: every frame on it is one the test sent.
. "$(dirname "$0")/lib.sh"
setup_veth pv

PCAP=$(known_capture)
ip netns exec "$NSC" "$CAPTURE" -i "$IFC" --session "$SESSION" -q 2>"$WORK/capture.err" &
CAP_PID=$!
wait_field capture_alive 1 10
start_analyzer
start_viewer v 120 40 --no-splash
expect v 'if '"$IFC"' \(up\)'
expect v 'waiting for packets'

ip netns exec "$NSS" "$PKTSEND" -i "$IFS_" -r "$PCAP" -g 20000 >/dev/null
wait_field write_seq $KNOWN_FRAMES 10
wait_field frames_analyzed $KNOWN_FRAMES 10

# Packets: the last frame is the malformed one; kernel timestamps.
expect v '^ +61! .*10\.1\.1\.1 +10\.1\.1\.2 '
expect v 'DNS +94 275 1/0/0 A 192\.0\.2\.20'
expect v 'pkts 61 '
expect v 'ts kernel'

# Analysis of frame 6: layers and the dump with IPv4's source address highlighted.
keys v Home j j j j j Enter
expect v '^Frame 6: 164 bytes on wire, 164 captured, .*\(kernel\)'
expect v '^. IPv4 +bytes 14-33 \(20\)'
expect v '^. TCP +bytes 34-53 \(20\)'
keys v Home
down_to v '── bytes 26-29 ──' 40 0.05
screen_esc v >"$WORK/esc.txt"
hl=$(python3 "$(dirname "$0")/reverse_bytes.py" "$WORK/esc.txt" 0010) || fail "no dump row 0010"
[ "$hl" = "10 11 12 13" ] || fail "dump highlights bytes [$hl] of row 0x10, not 26-29"

# Strings, Dynamic, Visualize.
keys v 3 /
typetext v packrat-known
expect v '^ +6 +125  X-Token: packrat-known-payload-1234'
keys v Escape 4
expect v '^HTTP +10\.1\.1\.1:40000 +<> 10\.1\.1\.2:80 +[A-Z-]+ +7 +5 '
expect v '^DNS +10\.1\.1\.1:5353 +<> 10\.1\.1\.53:53 +- +20 +20 '
# The kernel's flow counter (capture loads it by default): the selected HTTP flow's details show
# its exact counts and that nothing was missing from the ring (published about once a second).
down_to v '^ HTTP 10\.1\.1\.1:40000 <> 10\.1\.1\.2:80' 5 0.1
expect v '^ kernel counted a>b 7 pkts [0-9]+ B, b>a 5 pkts [0-9]+ B; not in the ring: 0 / 0 packets' 5
# ... and the status bar its total: every frame sent, none missing from the ring.
expect v "kernel $KNOWN_FRAMES \\(0 not captured\\)" 5
keys v 5
expect v '^packets/s .*[▁▂▃▄▅▆▇█]'

# A live filter: set it, then send the frames again; only the new UDP frames are added.
keys v 1 /
typetext v udp
keys v Enter
expect v 'filter: udp \(40\)'
ip netns exec "$NSS" "$PKTSEND" -i "$IFS_" -r "$PCAP" -g 2000 >/dev/null
wait_field write_seq $((2 * KNOWN_FRAMES)) 10
expect v 'filter: udp \(80\)'
expect v '^ +121 .* DNS +94 275 1/0/0 A 192\.0\.2\.20'
packet_rows v | grep -vqE ' (DNS|UDP) +[0-9]+ ' && fail "a non-UDP row under 'udp'"
keys v 4
expect v '^DNS +10\.1\.1\.1:5353 +<> 10\.1\.1\.53:53 +- +40 +40 '
# Then the link is quiet: no frame brings the analyzer a new second, but the viewer's "now" is
# the wall clock while capture runs, so the flow's rate falls to 0 and zeros scroll into the
# sparklines' newest column.
expect v '^DNS +10\.1\.1\.1:5353 +<> 10\.1\.1\.53:53 +- +40 +40 +[0-9.]+[kMG]?B +[0-9.]+[kMG]?B +0B ' 5
keys v 5
expect v '^packets/s .* now 0 *$' 5
keys v q
expect v 'viewer-exit=0'
echo "ok: live veth session, every tab, live filter"
