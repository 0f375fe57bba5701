# lib.sh — shared setup for the viewer's script tests: a session on a known capture (capture
# reading a file and lingering, the analyzer following it), and packrat-viewer in tmux.
#
# Every test gets its own session name, tmux socket (tmux -L) and work directory, all removed by
# a trap on every exit, so tests can run in parallel and never see each other. Screen assertions
# poll capture-pane until the text appears or a timeout passes, and print the screen when they
# fail. The analyzer refuses to run as root, so as root it runs as nobody (as packrat does).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

fail() {
    echo "FAIL: $*" >&2
    for f in "${WORK:-/nonexistent}"/*.err; do
        [ -s "$f" ] && sed "s|^|$(basename "$f" .err): |" "$f" >&2
    done
    exit 1
}
note() { echo "# $*" >&2; }

ROOT=${PACKRAT_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${PACKRAT_BUILD:-$ROOT/build}
BIN=${PACKRAT_BIN:-$BUILD/bin}
CAPTURE=$BIN/packrat-capture
ANALYZER=$BIN/packrat-analyzer
VIEWER=$BIN/packrat-viewer
for t in "$CAPTURE" "$ANALYZER" "$VIEWER"; do
    [ -x "$t" ] || fail "$t not built"
done
command -v tmux >/dev/null || fail "tmux is needed"
command -v python3 >/dev/null || fail "python3 is needed (test capture generator)"

TAG=$$$RANDOM
TAG=${TAG:0:8}
SESSION=vt-$TAG
SOCK=pv$TAG
WORK=$(mktemp -d /tmp/packrat-viewer.XXXXXX)
chmod 755 "$WORK"
CAP_PID=
AN_PID=
NETNS=()

cleanup() {
    set +e
    tmux -L "$SOCK" kill-server 2>/dev/null
    for p in $AN_PID $CAP_PID; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    if declare -F extra_cleanup >/dev/null; then extra_cleanup; fi
    for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    rm -f "/dev/shm/packrat.$SESSION.frames" "/dev/shm/packrat.$SESSION.analysis"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

T() { tmux -L "$SOCK" "$@"; }

# Runs a command as the analyzer's user (nobody when we are root) in place of the calling
# (background) subshell, so that $! is the analyzer's own pid. Use only with &.
as_analyzer() {
    if [ "$(id -u)" = 0 ]; then
        exec setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"
    else
        exec "$@"
    fi
}

status_field() { "$VIEWER" --session "$SESSION" --status 2>/dev/null | sed -n "s/^$1=//p"; }

# wait_field KEY VALUE [seconds]: until the session's status says KEY=VALUE.
wait_field() {
    local deadline=$((SECONDS + ${3:-10}))
    while [ "$(status_field "$1")" != "$2" ]; do
        [ $SECONDS -lt $deadline ] || fail "status $1=$(status_field "$1"), expected $2"
        sleep 0.1
    done
}

# start_analyzer: the analyzer on $SESSION, waited for until it runs.
start_analyzer() {
    as_analyzer "$ANALYZER" --session "$SESSION" -q 2>"$WORK/analyzer.err" &
    AN_PID=$!
    wait_field analyzer running 10
}

# start_file_session FILE FRAMES: capture reads FILE and lingers; the analyzer catches up.
start_file_session() {
    "$CAPTURE" -r "$1" --session "$SESSION" --linger -q 2>"$WORK/capture.err" &
    CAP_PID=$!
    wait_field write_seq "$2" 10
    start_analyzer
    wait_field frames_analyzed "$2" 10
}

# known_capture: the generated capture with known content (tests/viewer/mkpcap.py), 61 frames.
KNOWN_FRAMES=61
known_capture() {
    python3 "$ROOT/tests/viewer/mkpcap.py" "$WORK/known.pcap"
    chmod 644 "$WORK/known.pcap"
    echo "$WORK/known.pcap"
}

# start_viewer NAME COLS ROWS [viewer args...]: packrat-viewer in tmux session NAME, UTF-8.
# When the viewer exits the pane stays, printing its exit status and the terminal's mode.
start_viewer() {
    local name=$1 cols=$2 rows=$3
    shift 3
    T -u new-session -d -s "$name" -x "$cols" -y "$rows" \
        "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color $VIEWER --session $SESSION $* 2>$WORK/viewer-$name.err; echo viewer-exit=\$?; stty -a | tr ' ' '\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\n' ' '; echo; sleep 60"
    T set-option -t "=$name:" status off >/dev/null
}

# Targets are "=NAME:" (exact session name): a bare "b" could resolve to another session.
screen() { T capture-pane -p -t "=$1:"; }
screen_esc() { T capture-pane -p -e -t "=$1:"; }

# expect NAME REGEX [seconds]: until the screen shows REGEX (grep -E).
expect() {
    local deadline=$((SECONDS + ${3:-5}))
    until screen "$1" | grep -Eq -- "$2"; do
        if [ $SECONDS -ge $deadline ]; then
            screen "$1" >&2
            fail "screen of $1 does not show /$2/"
        fi
        sleep 0.1
    done
}

# expect_not NAME REGEX: the screen does not show REGEX now.
expect_not() {
    if screen "$1" | grep -Eq -- "$2"; then
        screen "$1" >&2
        fail "screen of $1 shows /$2/"
    fi
}

# expect_gone NAME REGEX [seconds]: until the screen no longer shows REGEX.
expect_gone() {
    local deadline=$((SECONDS + ${3:-5}))
    while screen "$1" | grep -Eq -- "$2"; do
        if [ $SECONDS -ge $deadline ]; then
            screen "$1" >&2
            fail "screen of $1 still shows /$2/"
        fi
        sleep 0.1
    done
}

# down_to NAME REGEX TRIES PAUSE: j (one row down) until the screen shows REGEX, at most TRIES
# presses PAUSE seconds apart; then REGEX must show (expect), so running out of tries fails.
down_to() {
    local i
    for ((i = 0; i < $3; i++)); do
        grep -Eq -- "$2" <<<"$(screen "$1")" && break
        keys "$1" j
        sleep "$4"
    done
    expect "$1" "$2"
}

keys() {
    local name=$1
    shift
    T send-keys -t "=$name:" "$@"
}
typetext() { T send-keys -t "=$1:" -l "$2"; }

# The widest line of the screen in characters (not bytes: block glyphs are multibyte).
screen_width() {
    screen "$1" | python3 -c 'import sys; print(max((len(l.rstrip("\n")) for l in sys.stdin), default=0))'
}

# quit_viewer NAME: q, and the viewer must exit 0 (a sanitizer report would make it fail).
quit_viewer() {
    keys "$1" q
    expect "$1" 'viewer-exit=0'
}

# Lines of the Packets table (rows start with a frame number).
packet_rows() { screen "$1" | grep -E '^ *[0-9]+[ !~] [0-9]'; }

# setup_veth PREFIX: a veth pair between two namespaces only this test uses (removed by cleanup
# through NETNS), IPv6 and addresses off so every frame on it is one the test sent. Sets NSS/NSC
# (sender/capture namespaces), IFS_/IFC (their ends) and PKTSEND. Needs root: fails without.
setup_veth() {
    [ "$(id -u)" = 0 ] || fail "needs root (network namespaces, AF_PACKET); run the tests as root"
    PKTSEND=$BUILD/tests/pktsend
    [ -x "$PKTSEND" ] || fail "$PKTSEND not built"
    NSS=${1}S$TAG
    NSC=${1}C$TAG
    IFS_=${1}s$TAG
    IFC=${1}c$TAG
    NETNS=("$NSS" "$NSC")
    veth_pair "$NSS" "$IFS_" "$NSC" "$IFC"
}
