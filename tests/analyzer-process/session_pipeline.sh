#!/usr/bin/env bash
# A file session through the real processes: packrat-capture -r into segment 1, packrat-analyzer
# (as nobody) into segment 2; then what a viewer would read must match tshark and the file.
source "$(dirname "$0")/lib.sh"
need_root
N=5000
python3 "$ROOT/tests/tools/gen_traffic.py" "$TMP/t.pcap" --packets $N --flows 100 --seed 3
"$BIN/packrat-capture" -q -r "$TMP/t.pcap" --session "$SESSION" --linger & PIDS+=($!)
CAP=${PIDS[0]}
start_as_nobody "$BIN/packrat-analyzer" -q --session "$SESSION"
AN=${PIDS[1]}
wait_for frames_analyzed $N 20

grep -q '^Uid:[[:space:]]*65534' /proc/$AN/status || fail "analyzer is not running as nobody"
[ "$(counter frames_missed)" -eq 0 ] || fail "frames missed on a file session"

# Summaries: one per frame, addresses as tshark sees them.
"$DUMP" "$SESSION" summaries > "$TMP/sum.tsv"
[ "$(wc -l < "$TMP/sum.tsv")" -eq $N ] || fail "$(wc -l < "$TMP/sum.tsv") summaries for $N frames"
grep -q CORRUPT "$TMP/sum.tsv" && fail "corrupt summary records"
cut -f2,3,5 "$TMP/sum.tsv" > "$TMP/ours.tsv"
tshark -r "$TMP/t.pcap" -T fields -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e frame.len 2>/dev/null |
    awk -F'\t' '{s=$1; if (s=="") s=$2; d=$3; if (d=="") d=$4; print s "\t" d "\t" $5}' > "$TMP/theirs.tsv"
diff -q "$TMP/ours.tsv" "$TMP/theirs.tsv" >/dev/null || { diff "$TMP/ours.tsv" "$TMP/theirs.tsv" | head; fail "summary addresses/lengths differ from tshark"; }

# Details: every frame has a dissection with its layers; TCP ports agree with tshark.
"$DUMP" "$SESSION" details > "$TMP/det.tsv"
[ "$(wc -l < "$TMP/det.tsv")" -eq $N ] || fail "details: $(wc -l < "$TMP/det.tsv") for $N frames"
grep -q CORRUPT "$TMP/det.tsv" && fail "corrupt detail records"
ours=$(grep -o 'tcp.srcport=[0-9]*' "$TMP/det.tsv" | cut -d= -f2 | paste -sd+ | bc)
theirs=$(tshark -r "$TMP/t.pcap" -T fields -e tcp.srcport 2>/dev/null | grep . | paste -sd+ | bc)
[ "$ours" = "$theirs" ] || fail "sum of tcp.srcport: ours $ours, tshark $theirs"
grep -q $'eth:vlan:ip:tcp' "$TMP/det.tsv" || fail "no VLAN TCP layer stack in details"

# Flows: every frame of this capture is IP and belongs to one flow.
"$DUMP" "$SESSION" flows > "$TMP/flows.json"
total=$(python3 -c "import json,sys; print(sum(sum(json.loads(l)['packets']) for l in open('$TMP/flows.json')))")
[ "$total" -eq $N ] || fail "flows hold $total packets, expected $N"
[ "$(wc -l < "$TMP/flows.json")" -eq 100 ] || fail "$(wc -l < "$TMP/flows.json") flows, expected 100"

# Strings: the HTTP request lines and host names the generator put in payloads. Their text is
# read through their frames in segment 1, which still holds every frame: none may be gone.
"$DUMP" "$SESSION" strings > "$TMP/strings.tsv" 2> "$TMP/strings.err"
[ -s "$TMP/strings.err" ] && fail "strings: $(cat "$TMP/strings.err")"
grep -qE '^[0-9]+ CORRUPT$' "$TMP/strings.tsv" && fail "corrupt string records"
grep -q 'GET /item/' "$TMP/strings.tsv" || fail "no HTTP request line among the strings"
grep -q 'Host: host[0-9]*.example.com' "$TMP/strings.tsv" || fail "no Host header among the strings"
# Each string is exactly the bytes at its offset in its frame of the file.
python3 - "$TMP/strings.tsv" "$TMP/t.pcap" <<'PY' || fail "strings differ from their frames' bytes"
import struct, sys
data = open(sys.argv[2], 'rb').read()
frames, pos = [], 24 # classic little-endian pcap
while pos + 16 <= len(data):
    incl = struct.unpack_from('<I', data, pos + 8)[0]
    frames.append(data[pos + 16:pos + 16 + incl])
    pos += 16 + incl
n = 0
for line in open(sys.argv[1], 'rb'):
    seq, off, text = line.rstrip(b'\n').split(b'\t', 2)
    off = int(off)
    assert frames[int(seq)][off:off + len(text)] == text, line
    n += 1
assert n > 1000, f'only {n} strings'
PY

# Capture ends: the analyzer drains and exits by itself within a second.
kill -INT $CAP
for _ in $(seq 20); do kill -0 $AN 2>/dev/null || break; sleep 0.1; done
kill -0 $AN 2>/dev/null && fail "analyzer still running 2 s after capture ended"
echo "session pipeline: $N frames, summaries/details/flows/strings verified"
