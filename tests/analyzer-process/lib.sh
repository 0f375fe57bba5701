# Shared helpers for the analyzer process tests: a generated capture, a session of
# packrat-capture (-r, --linger) plus packrat-analyzer as nobody, and polling segment 2.
set -euo pipefail
ROOT=${PACKRAT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${PACKRAT_BIN:-$ROOT/build/bin}
BUILD=${PACKRAT_BUILD:-$(dirname "$BIN")}
DUMP=$BUILD/tests/analysisdump
TMP=$(mktemp -d)
SESSION=aptest-$$
PIDS=()

fail() { echo "FAIL: $*"; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || fail "this test needs root (CI runs as root): it runs the analyzer as nobody"; }
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -f /dev/shm/packrat.$SESSION.frames /dev/shm/packrat.$SESSION.analysis
    rm -rf "$TMP"
}
trap cleanup EXIT

# start_as_nobody CMD...: runs CMD in the background as nobody; its pid is appended to PIDS.
start_as_nobody() {
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$@" &
    PIDS+=($!)
}

# counter NAME: one field of segment 2's counters.
counter() { "$DUMP" "$SESSION" counters | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# wait_for NAME VALUE SECONDS: poll a counter until it reaches VALUE.
wait_for() {
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do
        v=$(counter "$1" 2>/dev/null || echo -1)
        [ "$v" -ge "$2" ] 2>/dev/null && return 0
        sleep 0.1
    done
    fail "$1 reached ${v:-?}, expected $2 within $3 s"
}
