#!/usr/bin/env bash
# kill -9 the analyzer while a paced capture is running; a new analyzer takes over segment 2 and
# resumes where the first stopped: nothing is double-counted (beyond the one frame that may have
# been in flight) and nothing still in the ring is lost.
source "$(dirname "$0")/lib.sh"
need_root
N=60000
python3 "$ROOT/tests/tools/gen_traffic.py" "$TMP/t.pcap" --packets $N --flows 300 --seconds 3 --seed 5
"$BIN/packrat-capture" -q -r "$TMP/t.pcap" --session "$SESSION" --linger --realtime & PIDS+=($!)
start_as_nobody "$BIN/packrat-analyzer" -q --session "$SESSION"
FIRST=${PIDS[1]}
sleep 1.2
before=$(counter frames_analyzed)
[ "$before" -gt 0 ] || fail "first analyzer analyzed nothing"
[ "$before" -lt $N ] || fail "capture was not paced: the test cannot kill mid-stream"
kill -9 $FIRST
wait $FIRST 2>/dev/null || true
sleep 0.3
start_as_nobody "$BIN/packrat-analyzer" -q --session "$SESSION"
wait_for next_frame_seq $N 20
analyzed=$(counter frames_analyzed); missed=$(counter frames_missed); gen=$(counter generation)
[ "$gen" -ge 2 ] || fail "segment 2 was not taken over (generation $gen)"
[ "$missed" -eq 0 ] || fail "$missed frames missed although all were still in the ring"
[ "$analyzed" -ge $N ] && [ "$analyzed" -le $((N + 1)) ] || fail "analyzed $analyzed of $N"
"$DUMP" "$SESSION" flows > "$TMP/flows.json"
total=$(python3 -c "import json; print(sum(sum(json.loads(l)['packets']) for l in open('$TMP/flows.json')))")
[ "$total" -ge $N ] && [ "$total" -le $((N + 1)) ] || fail "flows hold $total packets for $N frames"
echo "restart: first analyzer did $before frames, the second took over; $analyzed analyzed, $missed missed"
