#!/bin/bash
# A small ring (--size 2: 8192 descriptors) overrun by a live blast while one viewer sits paused
# on the first packet and another filters: the paused viewer counts the lap (laps >= 1) and moves
# to the oldest packet still in the ring; ring overwrites show in the status bar; the filtering
# viewer counts only frames still in the ring; both keep responding. The blast's frames carry no
# strings, so the string table still holds the known capture's, whose frames are gone: Strings
# shows them as overwritten and a search finds none of them.
. "$(dirname "$0")/lib.sh"
setup_veth pl

ip netns exec "$NSC" "$CAPTURE" -i "$IFC" --session "$SESSION" --size 2 -q 2>"$WORK/capture.err" &
CAP_PID=$!
wait_field capture_alive 1 10
start_analyzer
PCAP=$(known_capture)
ip netns exec "$NSS" "$PKTSEND" -i "$IFS_" -r "$PCAP" >/dev/null
wait_field write_seq $KNOWN_FRAMES 10
start_viewer p 120 40 --no-splash
start_viewer f 120 40 --no-splash --filter "'ether proto 0x88b5'"
expect p '^ +61! '
keys p Home
expect p '\[paused: End/F follows\]'
expect p '^ +1  .* TCP '
expect p 'laps 0'
keys f 3
typetext f known
expect f '^ +6 +125  X-Token: packrat-known-payload-1234'
keys f Escape 1

ip netns exec "$NSS" "$PKTSEND" -i "$IFS_" -b 80 -d 1 >"$WORK/blast.txt"
sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$WORK/blast.txt")
[ "${sent:-0}" -gt 20000 ] || fail "blast sent only ${sent:-0} frames"
oldest=$(status_field oldest)
[ "$oldest" -gt 61 ] || fail "the ring was not overrun (oldest $oldest)"
expect p 'laps [1-9]'
expect p 'ovw [0-9]'
expect_not p '^ +1  .* TCP '
# The paused viewer now sits on the oldest frame still in the ring.
expect p "^ *$((oldest + 1))  " 3
# The filtering viewer: its matches are frames still in the ring, at most the ring's size.
expect f 'filter: ether proto 0x88b5 \([0-9]+\)'
n=$(screen f | sed -n 's/.*filter: ether proto 0x88b5 (\([0-9]*\)).*/\1/p')
[ "$n" -le 8192 ] && [ "$n" -gt 1000 ] || fail "filter count $n, expected 1000..8192"
keys p 3 Home
expect p '^ +6 +125  \(frame overwritten\)$'
expect_not p 'X-Token'
keys p /
typetext p known
expect p 'no string matches the search'
expect p 'search: known \(0\)'
keys p Escape 4
expect p 'Endpoint A'
quit_viewer p
quit_viewer f
echo "ok: lapped viewer counted the lap ($oldest frames overwritten), filter kept within the ring, strings of overwritten frames shown as such"
