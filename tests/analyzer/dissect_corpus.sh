#!/usr/bin/env bash
# dissect_corpus.sh — runs every capture in $PACKRAT_ROOT/../shared/corpus/tcpdump through
# packrat-dissect --json and --print (two files at a time): each run must exit 0 within a per-file
# time limit, leave no sanitizer report on stderr, write one JSON object per frame that
# python's json module accepts, and say "not decoded" for link types the library does not
# decode. The corpus is read in place, never copied into the repository.
set -u
ROOT=${PACKRAT_ROOT:?}
BIN=${PACKRAT_BIN:?}/packrat-dissect
CORPUS=${PACKRAT_CORPUS:-$ROOT/../shared/corpus/tcpdump}
LIMIT=${PACKRAT_FILE_TIMEOUT:-20}
if [ ! -d "$CORPUS" ]; then
    echo "FAIL: no corpus at $CORPUS (it lives in ../shared beside the project)"
    exit 1
fi
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

check_one() {
    f=$1 out=$2 bin=$3 limit=$4
    name=$(basename "$f")
    timeout "$limit" "$bin" -r "$f" --json >"$out/$name.json" 2>"$out/$name.err"
    rc=$?
    if [ $rc -eq 3 ]; then echo "SKIP $name: libpcap cannot read it: $(head -c 200 "$out/$name.err")"; return; fi
    if [ $rc -eq 124 ]; then echo "FAIL $name: timed out after ${limit}s (json)"; return; fi
    if [ $rc -ne 0 ]; then echo "FAIL $name: exit $rc (json): $(head -c 300 "$out/$name.err")"; return; fi
    timeout "$limit" "$bin" -r "$f" --print >/dev/null 2>>"$out/$name.err"
    rc=$?
    if [ $rc -ne 0 ]; then echo "FAIL $name: exit $rc (print): $(head -c 300 "$out/$name.err")"; return; fi
    if grep -qE 'Sanitizer|runtime error' "$out/$name.err"; then
        echo "FAIL $name: sanitizer report:"; head -20 "$out/$name.err"; return
    fi
    echo "OK $name"
}
export -f check_one

find "$CORPUS" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 |
    sort -z | xargs -0 -P 2 -I{} bash -c 'check_one "$1" "$2" "$3" "$4"' _ {} "$OUT" "$BIN" "$LIMIT" \
    >"$OUT/results.txt"

# Files libpcap cannot open at all (exit 3) are skipped; everything else must be OK.
oks=$(grep -c '^OK' "$OUT/results.txt")
skips=$(grep -c '^SKIP' "$OUT/results.txt")
grep '^FAIL' "$OUT/results.txt" >"$OUT/real_fails.txt"
# Every JSON output must parse, one object per line, with frame.number counting up from 1.
python3 - "$OUT" <<'PY' || exit 1
import json, os, sys
d = sys.argv[1]
bad = 0
for n in sorted(os.listdir(d)):
    if not n.endswith('.json'):
        continue
    with open(os.path.join(d, n), 'rb') as f:
        for i, line in enumerate(f, 1):
            try:
                o = json.loads(line)
            except Exception as e:
                print(f"FAIL {n}: line {i} is not JSON: {e}")
                bad += 1
                break
            if o.get("frame.number") != i or not isinstance(o.get("events"), list):
                print(f"FAIL {n}: line {i} lacks frame.number/events")
                bad += 1
                break
sys.exit(1 if bad else 0)
PY
# Link types we do not decode must be named, not silently skipped.
notdec=$(cat "$OUT"/*.err | grep -c 'not decoded' || true)
echo "corpus: $oks ok, $skips not readable by libpcap, $(wc -l <"$OUT/real_fails.txt") failed, $notdec files with undecoded link types"
if [ -s "$OUT/real_fails.txt" ]; then
    cat "$OUT/real_fails.txt"
    exit 1
fi
[ "$oks" -gt 0 ] || { echo "FAIL: nothing ran"; exit 1; }
echo PASS
