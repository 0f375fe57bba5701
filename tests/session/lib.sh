# lib.sh — shared setup for the session script tests (issue 6).
#
# Live tests run a session inside a network namespace C on one end of a veth pair and send
# frames from namespace S on the other end with tests/tools/pktsend (bounded count and time,
# only inside those namespaces). Names are unique per run and everything is removed by a trap on
# every exit: the namespaces, the session (packrat stop, then whatever is left in /dev/shm),
# tmux servers, mounts. Tests that need root fail (not skip) without it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

fail() {
    echo "FAIL: $*" >&2
    for f in "${WORK:-/nonexistent}"/*.err /dev/shm/packrat."${SESSION:-none}".log; do
        [ -s "$f" ] && sed "s|^|$(basename "$f"): |" "$f" >&2
    done
    exit 1
}
note() { echo "# $*" >&2; }

[ "$(id -u)" = 0 ] || fail "needs root (network namespaces, AF_PACKET, other users); run as root"

ROOT=${PACKRAT_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${PACKRAT_BUILD:-$ROOT/build}
BIN=${PACKRAT_BIN:-$BUILD/bin}
PACKRAT=$BIN/packrat
PKTSEND=$BUILD/tests/pktsend
MKFRAMES=$BUILD/tests/mkframes
RINGDUMP=$BUILD/tests/ringdump
EXPORTTOOL=$BUILD/tests/session_export_tool
for t in "$PACKRAT" "$BIN/packrat-capture" "$BIN/packrat-analyzer" "$BIN/packrat-record"; do
    [ -x "$t" ] || fail "$t not built"
done

TAG=$$$RANDOM
TAG=${TAG:0:8}
NSS=psS$TAG
NSC=psC$TAG
IFS_=qs$TAG
IFC=qc$TAG
SESSION=sess-$TAG
WORK=$(mktemp -d /tmp/packrat-session.XXXXXX)
chmod 1777 "$WORK" # the session's processes run as nobody and write here
TMUX_SOCK=prs$TAG
SENDER_PID=
EXTRA_CLEANUP=()

cleanup() {
    set +e
    [ -n "$SENDER_PID" ] && kill "$SENDER_PID" 2>/dev/null
    "$PACKRAT" stop "$SESSION" >/dev/null 2>&1
    tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
    for c in "${EXTRA_CLEANUP[@]}"; do eval "$c"; done
    ip netns del "$NSS" 2>/dev/null
    ip netns del "$NSC" 2>/dev/null
    rm -f /dev/shm/packrat."$SESSION".*
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

setup_veth() {
    veth_pair "$NSS" "$IFS_" "$NSC" "$IFC"
    "$MKFRAMES" "$WORK/frames.pcap" --no-jumbo >/dev/null
}

in_c() { ip netns exec "$NSC" "$@"; }
in_s() { ip netns exec "$NSS" "$@"; }

# send_bg GAP_US ROUNDS: the known frame set, ROUNDS times, GAP_US apart, in the background.
send_bg() {
    in_s "$PKTSEND" -i "$IFS_" -r "$WORK/frames.pcap" -g "$1" -n "$2" >"$WORK/send.out" 2>&1 &
    SENDER_PID=$!
}
send_wait() {
    [ -n "$SENDER_PID" ] && wait "$SENDER_PID"
    SENDER_PID=
}

# start_live ARGS...: a background (-d) session on $IFC named $SESSION.
start_live() {
    in_c "$PACKRAT" -i "$IFC" --session "$SESSION" -d "$@" >"$WORK/start.out" 2>"$WORK/start.err" ||
        fail "packrat -d did not start: $(cat "$WORK/start.err")"
    grep -q "packrat attach $SESSION" "$WORK/start.out" || fail "no attach hint printed"
}

status() { "$PACKRAT" status "$SESSION" 2>/dev/null; }
field() { status | sed -n "s/^$1=//p"; }

# wait_for SECONDS CMD...: polls every 50 ms until CMD succeeds.
wait_for() {
    local until=$(($(date +%s%N) + $1 * 1000000000))
    shift
    while ! "$@"; do
        [ "$(date +%s%N)" -lt "$until" ] || return 1
        sleep 0.05
    done
}

no_session_files() { ! ls /dev/shm/packrat."$SESSION".* >/dev/null 2>&1; }

# name_free SUPERVISOR_PID: before the session's name is used again, its supervisor has exited.
# It removes the session's files first and releases the name last (so that it never removes a new
# session's files): files gone is not yet name free.
name_free() {
    wait_for 3 sh -c "! kill -0 $1 2>/dev/null" || fail "supervisor $1 did not exit"
}

proc_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null; }

# unprivileged PID WHAT: uid not 0, no effective capability, no_new_privs.
unprivileged() {
    local uids cap nnp
    uids=$(proc_field "$1" Uid)
    cap=$(proc_field "$1" CapEff)
    nnp=$(proc_field "$1" NoNewPrivs)
    [ -n "$uids" ] || fail "$2 (pid $1) is not running"
    for u in $uids; do [ "$u" != 0 ] || fail "$2 (pid $1) has uid 0: $uids"; done
    [ "$cap" = 0000000000000000 ] || fail "$2 (pid $1) has capabilities $cap"
    [ "$nnp" = 1 ] || fail "$2 (pid $1) lacks NoNewPrivs"
}

# tmux helpers: one server per test.
tmx() { tmux -L "$TMUX_SOCK" "$@"; }
# window NAME CMD: CMD in a new 80x24 tmux window (the server is started when needed).
# An idle first window keeps the server up while test windows come and go (a server whose last
# window closes exits, and a new-window racing that exit would fail).
window() {
    if ! tmx has-session -t main 2>/dev/null; then
        tmx new-session -d -s main -x 80 -y 24 -n idle "exec sleep 100000"
    fi
    tmx new-window -d -t main -n "$1" "$2"
}
# viewer NAME: a `packrat attach` viewer in its own window, stderr in $WORK/NAME.err.
viewer() { window "$1" "exec $PACKRAT attach $SESSION --no-splash 2>$WORK/$1.err"; }
window_pid() { tmx list-panes -t "main:$1" -F '#{pane_pid}' 2>/dev/null; }
viewers_are() { [ "$(field viewers)" = "$1" ]; }
