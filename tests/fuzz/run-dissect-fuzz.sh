#!/usr/bin/env bash
# run-dissect-fuzz.sh SECONDS [BUILD_DIR] — builds the frame-dissection libFuzzer target with
# clang (-fsanitize=fuzzer,address,undefined) straight from the sources into BUILD_DIR/fuzz
# (default: $PACKRAT_BUILD or ./build-fuzz), seeds it from generated traffic and, when present,
# the frames of ../shared/corpus/tcpdump, and runs it for SECONDS on 1 core. A crash leaves its
# input in BUILD_DIR/fuzz/artifacts/ and the script fails; turn such inputs into byte-array
# tests in tests/analyzer/test_dissect.c.
set -euo pipefail
SECS=${1:-60}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${2:-${PACKRAT_BUILD:-$ROOT/build-fuzz}}
OUT=$BUILD/fuzz
CC=${CC_FUZZ:-clang}
command -v "$CC" >/dev/null || { echo "FAIL: $CC not found (scripts/setup --test installs clang)"; exit 1; }
mkdir -p "$OUT/seeds" "$OUT/corpus" "$OUT/artifacts"
SRC=$ROOT/analyzer
"$CC" -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$ROOT" -o "$OUT/fuzz_dissect" "$ROOT/tests/fuzz/fuzz_dissect.c" \
    $(ls "$SRC"/dissect*.c "$SRC"/print.c "$SRC"/json.c "$SRC"/cpu.c | grep -v dissect_main.c)
if [ -z "$(ls -A "$OUT/seeds")" ]; then
    python3 "$ROOT/tests/analyzer/gen_pcap.py" "$OUT/gen.pcap" 300 --seed 5
    python3 "$ROOT/tests/fuzz/pcap_to_seeds.py" "$OUT/seeds" 300 "$OUT/gen.pcap"
    CORPUS=$ROOT/../shared/corpus/tcpdump
    if [ -d "$CORPUS" ]; then
        python3 "$ROOT/tests/fuzz/pcap_to_seeds.py" "$OUT/seeds" 5 "$CORPUS"/*.pcap
    fi
fi
cd "$OUT"
"$OUT/fuzz_dissect" -max_total_time="$SECS" -max_len=4096 -timeout=5 -rss_limit_mb=1024 \
    -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$OUT/corpus" "$OUT/seeds" 2>&1 |
    tail -25
