# devices.sh — the two ways to run packrat without root on a device:
#   1. as systemd's unit does: user nobody with only CAP_NET_RAW as an ambient capability,
#      bounding set CAP_NET_RAW, no_new_privs; `packrat --no-viewer -i IF` in the foreground;
#   2. `setcap cap_net_raw+ep packrat-capture` and an ordinary user running `packrat -d -i IF`.
# Each time: frames from the veth arrive, every process of the session ends with no capability,
# the segments are mode 0640 and owned by that user, and SIGTERM / `packrat stop` removes all.
source "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
command -v setcap >/dev/null || fail "setcap (libcap2-bin) is needed"
setup_veth

all_unprivileged() {
    unprivileged "$(field supervisor_pid)" supervisor
    unprivileged "$(field capture_pid)" capture
    wait_for 5 sh -c "$PACKRAT status $SESSION | grep -q analyzer_alive=1" || fail "no analyzer"
    unprivileged "$(field analyzer_pid)" analyzer
    for kind in frames analysis; do
        st=$(stat -c '%a %u' "/dev/shm/packrat.$SESSION.$kind")
        [ "$st" = "640 65534" ] || fail "segment $kind is '$st', expected '640 65534'"
    done
}
frames_arrive() {
    send_bg 1000 20
    send_wait
    wait_for 3 sh -c "[ \"\$($PACKRAT status $SESSION | sed -n 's/^frames_received=//p')\" -ge 200 ]" ||
        fail "frames did not arrive: $(status)"
}

# ---- 1: the systemd way (ambient CAP_NET_RAW, as nobody) --------------------------------------
in_c setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+net_raw \
    --ambient-caps=+net_raw --bounding-set=-all,+net_raw --no-new-privs \
    "$PACKRAT" --no-viewer -i "$IFC" --session "$SESSION" 2>"$WORK/unit.err" &
SHELL_PID=$!
wait_for 5 sh -c "$PACKRAT status $SESSION 2>/dev/null | grep -q state=live" ||
    fail "ambient-capability session did not start: $(cat "$WORK/unit.err")"
frames_arrive
all_unprivileged
FRONT=$(ps -o ppid= -p "$(field supervisor_pid)" | tr -d ' ')
unprivileged "$FRONT" front
kill -TERM "$FRONT"
wait "$SHELL_PID" || fail "front exited with $? on SIGTERM"
no_session_files || fail "left behind after SIGTERM: $(ls /dev/shm/packrat."$SESSION".*)"

# ---- 2: setcap on a copy of the programs ------------------------------------------------------
mkdir -m 755 "$WORK/bin"
for p in packrat packrat-capture packrat-analyzer packrat-record; do
    install -m 755 "$BIN/$p" "$WORK/bin/$p"
done
setcap cap_net_raw+ep "$WORK/bin/packrat-capture" || fail "setcap failed (does $WORK support xattrs?)"
in_c setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$WORK/bin/packrat" -d -i "$IFC" --session "$SESSION" >"$WORK/setcap.out" 2>"$WORK/setcap.err" ||
    fail "setcap session did not start: $(cat "$WORK/setcap.err")"
frames_arrive
all_unprivileged
setpriv --reuid=65534 --regid=65534 --clear-groups "$WORK/bin/packrat" stop "$SESSION" ||
    fail "the owner could not stop its session"
no_session_files || fail "left behind after stop: $(ls /dev/shm/packrat."$SESSION".*)"

# Without the capability: the message says what to do.
setcap -r "$WORK/bin/packrat-capture"
if in_c setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$WORK/bin/packrat" -d -i "$IFC" --session "$SESSION" >/dev/null 2>"$WORK/nocap.err"; then
    fail "a session started without any privilege"
fi
grep -q "setcap cap_net_raw+ep" "$WORK/nocap.err" || fail "no hint: $(cat "$WORK/nocap.err")"
no_session_files || fail "failed start left files"
echo "PASS: session devices (ambient CAP_NET_RAW and setcap)"
