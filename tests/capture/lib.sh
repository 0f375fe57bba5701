# lib.sh — shared setup for the capture script tests.
#
# A veth pair between two network namespaces that only this test uses (unique names, removed by a
# trap on every exit): frames are sent in namespace S on $IFS and captured in namespace C on $IFC.
# IPv6 is disabled and no addresses are configured, so the kernel itself never puts a frame on
# the link: every frame captured is one the test sent, which is what allows exact counts.
# Tests that need root fail (not skip) without it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

fail() {
    echo "FAIL: $*" >&2
    [ -s "${WORK:-}/capture.err" ] && sed "s/^/capture: /" "$WORK/capture.err" >&2
    exit 1
}
note() { echo "# $*" >&2; }

[ "$(id -u)" = 0 ] || fail "needs root (network namespaces, AF_PACKET); run the tests as root"

ROOT=${PACKRAT_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${PACKRAT_BUILD:-$ROOT/build}
CAPTURE=${PACKRAT_BIN:-$BUILD/bin}/packrat-capture
RINGDUMP=$BUILD/tests/ringdump
PKTSEND=$BUILD/tests/pktsend
MKFRAMES=$BUILD/tests/mkframes
for t in "$CAPTURE" "$RINGDUMP" "$PKTSEND" "$MKFRAMES"; do
    [ -x "$t" ] || fail "$t not built"
done
command -v tcpdump >/dev/null || fail "tcpdump is needed as the reference reader"

TAG=$$$RANDOM
TAG=${TAG:0:8}
NSS=pcS$TAG
NSC=pcC$TAG
IFS_=ps$TAG
IFC=pc$TAG
SESSION=captest-$TAG
WORK=$(mktemp -d /tmp/packrat-capture.XXXXXX)
CAP_PID=
TD_PID=

cleanup() {
    set +e
    local pid
    for pid in "$CAP_PID" "$TD_PID"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid"
            wait "$pid" 2>/dev/null
        fi
    done
    ip netns del "$NSS" 2>/dev/null
    ip netns del "$NSC" 2>/dev/null
    rm -f "/dev/shm/packrat.$SESSION.frames"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# setup_veth [MTU]
setup_veth() {
    veth_pair "$NSS" "$IFS_" "$NSC" "$IFC" "${1:-1500}"
}

in_c() { ip netns exec "$NSC" "$@"; }
in_s() { ip netns exec "$NSS" "$@"; }

# start_capture ARGS... : packrat-capture in namespace C on $IFC, session $SESSION, kept at exit.
start_capture() {
    # Not through a shell function: $! must be packrat-capture itself (ip netns exec execs it).
    ip netns exec "$NSC" "$CAPTURE" -i "$IFC" --session "$SESSION" --keep "$@" \
        2>"$WORK/capture.err" &
    CAP_PID=$!
    # Ready once the segment is live (ringdump --status attaches only to a published segment).
    for _ in $(seq 100); do
        if "$RINGDUMP" -s "$SESSION" -W 0 --status >"$WORK/status" 2>/dev/null; then return 0; fi
        kill -0 "$CAP_PID" 2>/dev/null || { cat "$WORK/capture.err" >&2; fail "capture exited"; }
        sleep 0.05
    done
    fail "capture did not publish its segment"
}

# start_beside_tcpdump REF.pcap CAPTURE-ARGS... -- TCPDUMP-ARGS...: packrat-capture (session
# $SESSION, kept at exit) and the reference, tcpdump -w REF.pcap, side by side in namespace C;
# returns once both are listening. Each side gets its own interface options.
start_beside_tcpdump() {
    local ref=$1 cap=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        cap+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    ip netns exec "$NSC" "$CAPTURE" --session "$SESSION" --keep "${cap[@]}" \
        2>"$WORK/capture.err" &
    CAP_PID=$!
    ip netns exec "$NSC" tcpdump -n --immediate-mode -w "$ref" "$@" 2>"$WORK/tcpdump.err" &
    TD_PID=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$WORK/capture.err" && grep -q "listening on" "$WORK/tcpdump.err" && break
        sleep 0.05
    done
    grep -q "listening on" "$WORK/tcpdump.err" || fail "tcpdump did not start"
    sleep 0.3
}

# stop_tcpdump: SIGINT, so it writes out what it has.
stop_tcpdump() {
    kill -INT "$TD_PID"
    wait "$TD_PID" || true
    TD_PID=
}

# stop_capture: SIGINT, wait, require exit status 0.
stop_capture() {
    kill -INT "$CAP_PID"
    local rc=0
    wait "$CAP_PID" || rc=$?
    CAP_PID=
    cat "$WORK/capture.err" >&2
    [ "$rc" = 0 ] || fail "capture exited with status $rc"
}

status_field() { "$RINGDUMP" -s "$SESSION" -W 0 --status | sed -n "s/^$1=//p"; }

# Canonical text of a pcap: tcpdump's decode and full hex, without timestamps.
pcap_text() { tcpdump -r "$1" -nn -t -xx -e -v "${@:2}" 2>/dev/null; }

# same_frames EXPECTED.pcap ACTUAL.pcap [filter...]: byte-identical frames, same order and count.
same_frames() {
    local exp=$1 act=$2
    shift 2
    pcap_text "$exp" "$@" >"$WORK/exp.txt"
    pcap_text "$act" >"$WORK/act.txt"
    [ -s "$WORK/exp.txt" ] || fail "reference decode of $exp is empty"
    if ! diff -u "$WORK/exp.txt" "$WORK/act.txt" >"$WORK/diff.txt"; then
        head -60 "$WORK/diff.txt" >&2
        fail "frames read back from the ring differ from those sent"
    fi
}

# count_frames FILE [filter...]: frames (not output lines) tcpdump selects from FILE.
count_frames() {
    rm -f "$WORK/count.pcap"
    # -Z root: tcpdump would otherwise write as its own user into our 0700 work directory.
    tcpdump -Z root -r "$1" -w "$WORK/count.pcap" "${@:2}" 2>"$WORK/count.err" ||
        { echo "FAIL: tcpdump could not count frames of $1 ${*:2}: $(cat "$WORK/count.err")" >&2; exit 1; }
    capinfos -c -M "$WORK/count.pcap" | sed -n 's/^Number of packets: *//p'
}
