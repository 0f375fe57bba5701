#!/bin/bash
# Privilege drop: while capturing, packrat-capture runs with uid != 0, no capabilities and
# NoNewPrivs — as nobody when root starts it, as the sudo user under sudo — and frames still
# arrive (the ring, the filter and the socket survive the drop). The segment belongs to the user
# capture became and to the invoking user's group.
. "$(dirname "$0")/lib.sh"
setup_veth
"$MKFRAMES" "$WORK/set.pcap" --no-jumbo >/dev/null
N=$(count_frames "$WORK/set.pcap")

check_dropped() { # EXPECTED_UID EXPECTED_GID
    local st=/proc/$CAP_PID/status
    [ -r "$st" ] || fail "no $st"
    local uids gids
    uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")
    gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$st")
    [ "$uids" = "$1 $1 $1 $1" ] || fail "Uid: $uids, want $1 everywhere"
    [ "$gids" = "$2 $2 $2 $2" ] || fail "Gid: $gids, want $2 everywhere"
    case $uids in 0\ * | *\ 0\ * | *\ 0) fail "still uid 0 somewhere: $uids" ;; esac
    for cap in CapInh CapPrm CapEff CapAmb; do
        v=$(awk -v c="$cap:" '$1 == c { print $2 }' "$st")
        [ "$v" = 0000000000000000 ] || fail "$cap = $v"
    done
    [ "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" = 1 ] || fail "NoNewPrivs not set"
    [ "$(awk '/^Groups:/ { print $2 }' "$st")" = "" ] || [ "$1" != 65534 ] ||
        fail "nobody kept supplementary groups"
    in_s "$PKTSEND" -i "$IFS_" -r "$WORK/set.pcap" >/dev/null
    "$RINGDUMP" -s "$SESSION" -c "$N" -t 3000 -w "$WORK/ring.pcap" ||
        fail "frames did not arrive after the privilege drop"
    same_frames "$WORK/set.pcap" "$WORK/ring.pcap"
}

NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)
start_capture
check_dropped "$NOBODY_UID" "$NOBODY_GID"
[ "$(stat -c %u "/dev/shm/packrat.$SESSION.frames")" = "$NOBODY_UID" ] || fail "segment owner"
[ "$(stat -c %a "/dev/shm/packrat.$SESSION.frames")" = 640 ] || fail "segment mode"
stop_capture
rm -f "/dev/shm/packrat.$SESSION.frames"

# As if started by sudo from user 4242:4343.
SUDO_UID=4242 SUDO_GID=4343 start_capture
check_dropped 4242 4343
[ "$(stat -c %u:%g "/dev/shm/packrat.$SESSION.frames")" = 4242:4343 ] || fail "segment owner/group"
stop_capture
rm -f "/dev/shm/packrat.$SESSION.frames"

# An ordinary user running a copy that has only cap_net_raw as a file capability: it captures,
# stays that user, and sheds the capability after setup.
if command -v setcap >/dev/null && command -v setpriv >/dev/null; then
    CAPDIR=$(mktemp -d /tmp/packrat-caps.XXXXXX)
    chmod 755 "$CAPDIR"
    cp "$CAPTURE" "$CAPDIR/packrat-capture"
    setcap cap_net_raw+ep "$CAPDIR/packrat-capture" || fail "setcap failed"
    ip netns exec "$NSC" setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups \
        "$CAPDIR/packrat-capture" -i "$IFC" --session "$SESSION" --keep 2>"$WORK/capture.err" &
    CAP_PID=$!
    for _ in $(seq 100); do
        "$RINGDUMP" -s "$SESSION" -W 0 --status >/dev/null 2>&1 && break
        sleep 0.05
    done
    check_dropped "$NOBODY_UID" "$NOBODY_GID"
    stop_capture
    rm -rf "$CAPDIR"
    rm -f "/dev/shm/packrat.$SESSION.frames"
else
    fail "setcap/setpriv missing (libcap2-bin, util-linux)"
fi

# Without --keep a clean exit removes the segment, although we no longer are root.
ip netns exec "$NSC" "$CAPTURE" -i "$IFC" --session "$SESSION" -q 2>"$WORK/capture.err" &
CAP_PID=$!
for _ in $(seq 100); do [ -e "/dev/shm/packrat.$SESSION.frames" ] && break; sleep 0.05; done
sleep 0.2
kill -TERM "$CAP_PID"
wait "$CAP_PID" || fail "capture exit status $? on SIGTERM"
CAP_PID=
[ ! -e "/dev/shm/packrat.$SESSION.frames" ] || fail "segment left behind after a clean exit"
echo "ok: uid/gid dropped, CapEff 0, NoNewPrivs 1, capture continues; segment removed at exit"
