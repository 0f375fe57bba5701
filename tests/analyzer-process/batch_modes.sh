#!/usr/bin/env bash
# packrat -r FILE --print | --json | --flows, -c and a filter: one line or object per packet,
# numbered like Wireshark, the same packets tcpdump selects, and clear errors for bad input.
source "$(dirname "$0")/lib.sh"
python3 "$ROOT/tests/tools/gen_traffic.py" "$TMP/t.pcap" --packets 3000 --flows 60 --seed 9
P=$BIN/packrat

"$P" -r "$TMP/t.pcap" --json > "$TMP/all.json"
python3 - "$TMP/all.json" <<'PY' || fail "--json is not one valid object per packet"
import json, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == "", "output must end with a newline"
objs = [json.loads(l) for l in lines[:-1]]          # a blank line would fail here
assert [o["frame.number"] for o in objs] == list(range(1, 3001)), "frame.number"
assert all("frame.len" in o and "frame.time_epoch" in o for o in objs)
PY

[ "$("$P" -r "$TMP/t.pcap" --print | wc -l)" -eq 3000 ] || fail "--print is not one line per packet"
[ "$("$P" -r "$TMP/t.pcap" --print -c 17 | wc -l)" -eq 17 ] || fail "-c 17 did not stop at 17"

want=$(tcpdump -nn -r "$TMP/t.pcap" 'udp port 53' 2>/dev/null | wc -l)
got=$("$P" -r "$TMP/t.pcap" --print 'udp port 53' | wc -l)
[ "$want" -gt 0 ] && [ "$got" -eq "$want" ] || fail "filter 'udp port 53': $got packets, tcpdump $want"
"$P" -r "$TMP/t.pcap" --print udp port 53 | cmp -s - <("$P" -r "$TMP/t.pcap" --print 'udp port 53') ||
    fail "filter words are not joined like tcpdump's"

rc=0; "$P" -r "$TMP/t.pcap" --print 'portt 80' 2> "$TMP/err" >/dev/null || rc=$?
[ $rc -eq 2 ] && grep -q "portt 80" "$TMP/err" || fail "bad filter: status $rc, message $(cat "$TMP/err")"
rc=0; "$P" -r "$TMP/nonexistent.pcap" --print 2> "$TMP/err" || rc=$?
[ $rc -ne 0 ] && grep -q "nonexistent.pcap" "$TMP/err" || fail "missing file: status $rc, $(cat "$TMP/err")"
head -c 100 /dev/urandom > "$TMP/garbage.pcap"
rc=0; "$P" -r "$TMP/garbage.pcap" --print 2> "$TMP/err" || rc=$?
[ $rc -ne 0 ] && [ -s "$TMP/err" ] || fail "a file that is not a capture gave status $rc and no message"

# -r IN -w OUT [filter]: a faithful (filtered) copy, every frame, like tcpdump -r -w.
"$P" -r "$TMP/t.pcap" -w "$TMP/copy.pcap" 'tcp' 2>/dev/null || fail "packrat -r -w failed"
tcpdump -nn -tt -r "$TMP/t.pcap" tcp 2>/dev/null > "$TMP/want.txt"
tcpdump -nn -tt -r "$TMP/copy.pcap" 2>/dev/null > "$TMP/got.txt"
[ -s "$TMP/want.txt" ] && cmp -s "$TMP/want.txt" "$TMP/got.txt" || fail "-r -w 'tcp' is not tcpdump's subset"

flows=$("$P" -r "$TMP/t.pcap" --flows --json | wc -l)
[ "$flows" -eq 60 ] || fail "--flows --json: $flows flows, generated 60"
echo "batch modes: --json/--print/-c/filter/--flows, -r -w and error cases verified"
