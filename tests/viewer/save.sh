#!/bin/bash
# The `w` key: Packets writes the filtered view ('udp': 40 frames) and Dynamic the selected flow
# (HTTP: 12 frames) to nanosecond pcap files whose frames are exactly those (checked with
# tcpdump against the original capture); an unwritable path shows the error under the prompt,
# which stays open, and the viewer keeps working.
. "$(dirname "$0")/lib.sh"
command -v tcpdump >/dev/null || fail "tcpdump is needed as the reference reader"
PCAP=$(known_capture)
start_file_session "$PCAP" $KNOWN_FRAMES
start_viewer v 120 40 --no-splash
expect v '^ +61! '
keys v /
typetext v udp
keys v Enter
expect v 'filter: udp \(40\)'

# A path that cannot be written: the error, the prompt stays with the text.
keys v w
expect v '^write the packets shown to pcap file: '"$SESSION"'\.pcap'
keys v C-u
typetext v /nonexistent-dir/x.pcap
keys v Enter
expect v '^error: .*(No such file|nonexistent)'
expect v '^write the packets shown to pcap file: /nonexistent-dir/x\.pcap'
keys v C-u
typetext v "$WORK/udp.pcap"
keys v Enter
expect v "wrote 40 packets to $WORK/udp\.pcap"
[ "$(tcpdump -nn -r "$WORK/udp.pcap" 2>/dev/null | wc -l)" = 40 ] || fail "udp.pcap does not hold 40 frames"
tcpdump -nn -r "$PCAP" udp -tt 2>/dev/null >"$WORK/exp.txt"
tcpdump -nn -r "$WORK/udp.pcap" -tt 2>/dev/null >"$WORK/act.txt"
diff -u "$WORK/exp.txt" "$WORK/act.txt" >&2 || fail "udp.pcap differs from the capture's udp frames"

# Dynamic: the HTTP flow.
keys v 4
expect v '^HTTP +10\.1\.1\.1:40000'
down_to v '^ HTTP 10\.1\.1\.1:40000 <> 10\.1\.1\.2:80' 5 0.1
keys v w
expect v "^write this flow's packets to pcap file: "
keys v C-u
typetext v "$WORK/flow.pcap"
keys v Enter
expect v "wrote 12 packets of the flow to $WORK/flow\.pcap"
tcpdump -nn -r "$PCAP" -tt 'tcp port 80' 2>/dev/null >"$WORK/exp.txt"
tcpdump -nn -r "$WORK/flow.pcap" -tt 2>/dev/null >"$WORK/act.txt"
diff -u "$WORK/exp.txt" "$WORK/act.txt" >&2 || fail "flow.pcap differs from the capture's HTTP flow"
quit_viewer v
echo "ok: w writes the filtered view and a flow; a bad path keeps the prompt open"
