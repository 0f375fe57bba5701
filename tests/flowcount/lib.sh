# lib.sh — shared setup for the flowcount script tests: a veth pair between two network
# namespaces that only this test uses (unique names, removed by a trap on every exit), with IPv6
# and addresses off so the kernel itself never sends a frame on it: every frame counted is one the
# test sent, which is what lets the tests demand exact counts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (network namespaces, BPF); run the tests as root"

BUILD=${PACKRAT_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
FC_PROBE=$BUILD/tests/fc_probe
FC_SEND=$BUILD/tests/fc_send
[ -x "$FC_PROBE" ] && [ -x "$FC_SEND" ] || fail "fc_probe/fc_send not built in $BUILD/tests"

TAG=$$$RANDOM
TAG=${TAG:0:9}
NSA=fcA$TAG
NSB=fcB$TAG
IFA=fa$TAG
IFB=fb$TAG
SESSION=fctest-$TAG
WORK=$(mktemp -d /tmp/flowcount.XXXXXX)
PROBE_CHILD=

cleanup() {
    set +e
    if declare -F extra_cleanup >/dev/null; then extra_cleanup; fi
    if [ -n "$PROBE_CHILD" ]; then kill "$PROBE_CHILD" 2>/dev/null; wait "$PROBE_CHILD" 2>/dev/null; fi
    ip netns del "$NSA" 2>/dev/null
    ip netns del "$NSB" 2>/dev/null
    rm -f "/dev/shm/packrat.$SESSION.frames"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

setup_veth() {
    veth_pair "$NSA" "$IFA" "$NSB" "$IFB"
}

# Starts fc_probe in namespace A on IFA as a coprocess; extra arguments are passed on.
start_probe() {
    coproc PROBE { exec ip netns exec "$NSA" "$FC_PROBE" --if "$IFA" --session "$SESSION" "$@" 2>&1; }
    PROBE_CHILD=$PROBE_PID # bash forgets PROBE_PID when the coprocess ends
    PROBE_IN=${PROBE[1]}
    PROBE_OUT=${PROBE[0]}
    read -r -t 20 READY <&"$PROBE_OUT" || fail "probe did not start"
    case $READY in READY*) ;; *) fail "probe: $READY" ;; esac
    echo "probe: $READY"
}

# Tells the probe to quit and waits for it; a non-zero exit fails the test with message $1.
stop_probe() {
    echo quit >&"$PROBE_IN"
    wait "$PROBE_CHILD" || fail "$1"
    PROBE_CHILD=
}

# Sends "dump" and collects the reply up to END into $1.
probe_dump() {
    echo dump >&"$PROBE_IN"
    : >"$1"
    local line
    while read -r -t 20 line <&"$PROBE_OUT"; do
        [ "$line" = END ] && return 0
        echo "$line" >>"$1"
    done
    fail "probe did not answer dump"
}

# Sums fc_send outputs (K and T lines) per key into one normalized, sorted listing.
sum_sent() {
    awk '$1=="K" { k=$2" "$3" "$4" "$5" "$6; p0[k]+=$8; p1[k]+=$9; b0[k]+=$11; b1[k]+=$12 }
         $1=="T" { tp+=$3; tb+=$5 }
         END { for (k in p0) print "K", k, "pk", p0[k], p1[k], "by", b0[k], b1[k];
               print "T packets", tp, "bytes", tb }' "$@" | sort
}

# Runs fc_send in namespace A (egress of IFA) or B (ingress of IFA): send_from A|B SPEC OUT
send_from() {
    local ns=$NSA ifc=$IFA
    if [ "$1" = B ]; then ns=$NSB; ifc=$IFB; fi
    ip netns exec "$ns" "$FC_SEND" "$ifc" "$2" >"$3" || fail "fc_send $2 failed"
}

# Dumps until the kernel totals reach the expected packet count (softirqs may lag the sender a
# little), at most ~5 s: probe_dump_until PACKETS OUT
probe_dump_until() {
    for _ in $(seq 50); do
        probe_dump "$2"
        [ "$(awk '$1=="T" {print $3}' "$2")" -ge "$1" ] && return 0
        sleep 0.1
    done
}

# The 200 000-frame set: 64 flows x 3125 frames from B (IPv4/IPv6, UDP/TCP, every 8th flow
# VLAN-tagged, sizes 60..1432) into in.spec, and 100 replies on every 4th flow into out.spec.
make_bulk_spec() {
    : >"$1"
    : >"$2"
    local i vlan payload
    for i in $(seq 0 63); do
        vlan=-
        [ $((i % 8)) = 3 ] && vlan=$((100 + i))
        payload=$(((i * 97) % 1400 + 18))
        case $((i % 4)) in
        0) echo "3125 udp4 10.8.$i.2 10.8.$i.1 $((20000 + i)) 53 $vlan $payload" ;;
        1) echo "3125 tcp4 10.9.$i.1 10.9.$i.2 443 $((30000 + i)) $vlan $payload" ;;
        2) echo "3125 udp6 2001:db8:$i::2 2001:db8:$i::1 $((40000 + i)) 4789 $vlan $payload" ;;
        3) echo "3125 tcp6 2001:db8:$i::1 2001:db8:$i::2 22 $((50000 + i)) $vlan $payload" ;;
        esac >>"$1"
        if [ $((i % 4)) = 0 ]; then
            echo "100 udp4 10.8.$i.1 10.8.$i.2 53 $((20000 + i)) $vlan 100" >>"$2"
        fi
    done
}

counted() { grep -E '^(K|T) ' "$1" | sort; }
