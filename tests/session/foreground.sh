# foreground.sh — the session on the terminal: `packrat -i IF` in tmux starts capture, analyzer
# and a viewer; the front and supervisor run unprivileged; with a second viewer attached, quitting
# the first leaves the session running, quitting the last ends it and removes everything. Then
# `packrat -r FILE` as an ordinary user (no root anywhere) opens the TUI and ends cleanly.
source "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || fail "tmux is needed"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
setup_veth

window front \
    "exec ip netns exec $NSC $PACKRAT -i $IFC --session $SESSION --no-splash 2>$WORK/front.err"
wait_for 5 sh -c "$PACKRAT status $SESSION 2>/dev/null | grep -q viewers=1" ||
    fail "foreground session did not come up: $(status) $(cat "$WORK/front.err")"
FRONT=$(window_pid front)
unprivileged "$FRONT" front
SUP=$(field supervisor_pid)
unprivileged "$SUP" supervisor
unprivileged "$(field capture_pid)" capture
wait_for 5 sh -c "$PACKRAT status $SESSION | grep -q analyzer_alive=1" || fail "no analyzer"
unprivileged "$(field analyzer_pid)" analyzer
send_bg 2000 50
grep -q "Packets" <<<"$(tmx capture-pane -p -t main:front)" || fail "no TUI on the terminal"

viewer second
wait_for 5 viewers_are 2 || fail "expected 2 viewers: $(status)"
tmx send-keys -t main:front q
wait_for 3 sh -c "! kill -0 $FRONT 2>/dev/null" || fail "front did not quit"
grep -q "continues with 1 other viewer" "$WORK/front.err" || fail "front message: $(cat "$WORK/front.err")"
sleep 0.5
[ "$(field state)" = live ] || fail "session ended although a viewer is attached"
viewers_are 1 || fail "viewer count: $(status)"
tmx send-keys -t main:second q
wait_for 3 no_session_files || fail "the session outlived its last viewer: $(ls /dev/shm/packrat."$SESSION".*)"
name_free "$SUP"
send_wait

# -c COUNT: capture stops on purpose; the TUI keeps showing the packets until the user quits.
window counted "exec ip netns exec $NSC $PACKRAT -i $IFC -c 25 --session $SESSION --no-splash 2>$WORK/counted.err"
wait_for 5 sh -c "$PACKRAT status $SESSION 2>/dev/null | grep -q viewers=1" || fail "-c session did not start"
SUP=$(field supervisor_pid)
send_bg 2000 5
send_wait
wait_for 5 sh -c "$PACKRAT status $SESSION 2>/dev/null | grep -q 'state=ended'" || fail "capture did not stop at -c 25: $(status)"
[ "$(field frames_received)" = 25 ] || fail "-c 25 captured $(field frames_received)"
sleep 4 # longer than a viewer's grace after a capture that died
kill -0 "$(window_pid counted)" 2>/dev/null || fail "the TUI left after capture stopped at -c"
grep -q "pkts 25" <<<"$(tmx capture-pane -p -t main:counted)" || fail "TUI does not show the 25 packets"
tmx send-keys -t main:counted q
wait_for 3 no_session_files || fail "-c session left: $(ls /dev/shm/packrat."$SESSION".*)"
name_free "$SUP"

# -r FILE as an ordinary user: no root, no sudo.
cp "$WORK/frames.pcap" "$WORK/user.pcap"
chmod 644 "$WORK/user.pcap"
window user \
    "exec setpriv --reuid=65534 --regid=65534 --clear-groups $PACKRAT -r $WORK/user.pcap --session $SESSION --no-splash 2>$WORK/user.err"
wait_for 5 sh -c "$PACKRAT status $SESSION 2>/dev/null | grep -q viewers=1" ||
    fail "file session as a user did not come up: $(cat "$WORK/user.err")"
wait_for 5 sh -c "tmx() { tmux -L $TMUX_SOCK \"\$@\"; }; tmx capture-pane -p -t main:user | grep -q 'UDP'" ||
    fail "no packets in the user's TUI"
[ "$(proc_field "$(field capture_pid)" Uid | awk '{print $1}')" = 65534 ] || fail "capture uid"
tmx send-keys -t main:user q
wait_for 3 no_session_files || fail "file session left: $(ls /dev/shm/packrat."$SESSION".*)"
echo "PASS: session foreground"
