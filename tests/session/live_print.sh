#!/usr/bin/env bash
# packrat -i IF -c N --print | --json | --flows: the scripting modes live (issue 4). A session of
# its own captures on a veth end; the (unprivileged) front follows the ring and prints. What it
# prints must be what the same frames give through a file, and nothing is left behind.
source "$(dirname "$0")/lib.sh"
setup_veth
PER_ROUND=$(tcpdump -r "$WORK/frames.pcap" 2>/dev/null | wc -l)
N=$((PER_ROUND * 3))

# Batch output of the same frames, three rounds, without timestamps: the expected lines.
"$PACKRAT" -r "$WORK/frames.pcap" --print | cut -d' ' -f2- > "$WORK/one.txt"
cat "$WORK/one.txt" "$WORK/one.txt" "$WORK/one.txt" > "$WORK/want.txt"

live() { # live ARGS...: runs packrat live on $IFC while the frame set is sent 3 times
    in_c "$PACKRAT" -i "$IFC" --session "$SESSION" -c $N "$@" >"$WORK/live.out" 2>"$WORK/live.err" &
    local pid=$!
    wait_for 5 test -e "/dev/shm/packrat.$SESSION.frames" || fail "no session appeared: $(cat "$WORK/live.err")"
    sleep 0.3
    send_bg 2000 3
    send_wait
    local t=0
    while kill -0 $pid 2>/dev/null && [ $t -lt 100 ]; do sleep 0.1; t=$((t + 1)); done
    kill -0 $pid 2>/dev/null && fail "packrat $* still running 10 s after its $N frames"
    wait $pid || fail "packrat $* exited with $?: $(cat "$WORK/live.err")"
}

live --print
cut -d' ' -f2- "$WORK/live.out" > "$WORK/got.txt"
diff -u "$WORK/want.txt" "$WORK/got.txt" >&2 || fail "live --print differs from -r --print of the same frames"
grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} ' "$WORK/live.out" || fail "no timestamps"
wait_for 5 no_session_files || fail "session files left: $(ls /dev/shm/packrat."$SESSION".*)"

live --json
[ "$(wc -l < "$WORK/live.out")" -eq $N ] || fail "--json printed $(wc -l < "$WORK/live.out") objects for $N frames"
python3 -c "
import json, sys
objs = [json.loads(l) for l in open('$WORK/live.out')]
assert [o['frame.number'] for o in objs] == list(range(1, $N + 1)), 'frame numbers'
assert any('vlan.id' in o for o in objs), 'no VLAN frame decoded'
" || fail "--json objects are not valid or incomplete"

live --flows
"$PACKRAT" -r "$WORK/frames.pcap" --flows | awk 'NR > 1 {print $1, $2, $3}' | sort > "$WORK/flows.want"
awk 'NR > 1 && $1 != "(" {print $1, $2, $3}' "$WORK/live.out" | sort > "$WORK/flows.got"
diff -u "$WORK/flows.want" "$WORK/flows.got" >&2 || fail "live --flows lists other flows than -r --flows"
# The kernel counter (issue 7) ran beside capture: every flow shows its kernel count, and at
# this rate nothing was lost between the wire and the ring.
nflows=$(awk 'NR > 1 && $1 != "(" ' "$WORK/live.out" | wc -l)
[ "$(grep -c ' kernel [0-9]* pkts (0 not captured)' "$WORK/live.out")" -eq "$nflows" ] ||
    { cat "$WORK/live.out" >&2; fail "flows without kernel counts, or kernel counts that differ"; }
wait_for 5 no_session_files || fail "session files left after --flows"
echo "ok: live --print/--json/--flows match the file path for $N frames"
