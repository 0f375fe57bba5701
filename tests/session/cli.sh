# cli.sh — the packrat command around a file session, no network needed: -d, list, status,
# stop, refusing a second start, stale cleanup after kill -9 of everything, kept sessions left
# alone, privilege of every process, batch modes unchanged.
source "$(dirname "$0")/lib.sh"

"$MKFRAMES" "$WORK/frames.pcap" --no-jumbo >/dev/null
N=$(tcpdump -r "$WORK/frames.pcap" -nn 2>/dev/null | wc -l)
[ "$N" -gt 0 ] || fail "mkframes wrote nothing"

# Batch modes are untouched.
[ "$("$PACKRAT" -r "$WORK/frames.pcap" --print | wc -l)" = "$N" ] || fail "--print line count"

# A background file session: everything unprivileged, counts right.
"$PACKRAT" -r "$WORK/frames.pcap" --session "$SESSION" -d >"$WORK/start.out" 2>"$WORK/start.err" ||
    fail "start: $(cat "$WORK/start.err")"
grep -q "packrat attach $SESSION" "$WORK/start.out" || fail "no attach hint"
wait_for 5 sh -c "[ \"\$($PACKRAT status $SESSION | sed -n 's/^frames_analyzed=//p')\" = $N ]" ||
    fail "analyzer did not analyze the $N frames: $(status)"
[ "$(field state)" = live ] || fail "state: $(status)"
[ "$(field frames_received)" = "$N" ] || fail "frames_received"
[ "$(field viewers)" = 0 ] || fail "viewers"
SUP=$(field supervisor_pid)
CAP=$(field capture_pid)
ANA=$(field analyzer_pid)
unprivileged "$SUP" supervisor
unprivileged "$CAP" capture
unprivileged "$ANA" analyzer
"$PACKRAT" list >"$WORK/list.out"
grep -E "^$SESSION +$WORK/frames.pcap +[0-9:]+ +$N +0 +0 +running +live" "$WORK/list.out" >/dev/null ||
    fail "list line: $(cat "$WORK/list.out")"

# A second start under the same name is refused and harms nothing.
if "$PACKRAT" -r "$WORK/frames.pcap" --session "$SESSION" -d >/dev/null 2>"$WORK/second.err"; then
    fail "a second session with the same name started"
fi
grep -q "already running" "$WORK/second.err" || fail "refusal text: $(cat "$WORK/second.err")"
[ "$(field capture_pid)" = "$CAP" ] || fail "capture changed after the refused start"

# stop ends it and leaves nothing.
"$PACKRAT" stop "$SESSION" || fail "stop failed"
no_session_files || fail "left behind: $(ls /dev/shm/packrat."$SESSION".*)"
for p in $SUP $CAP $ANA; do
    wait_for 2 sh -c "! kill -0 $p 2>/dev/null" || fail "pid $p still running after stop"
done
"$PACKRAT" stop "$SESSION" 2>/dev/null && fail "stopping a session that does not exist succeeded"

# A crash of everything leaves a stale session: list removes it and says so; never shown live.
"$PACKRAT" -r "$WORK/frames.pcap" --session "$SESSION" -d >/dev/null 2>&1 || fail "restart"
wait_for 5 sh -c "$PACKRAT status $SESSION | grep -q analyzer_alive=1" ||
    fail "second session did not come up"
SUP=$(field supervisor_pid)
CAP=$(field capture_pid)
ANA=$(field analyzer_pid)
kill -9 "$SUP" "$CAP" "$ANA"
wait_for 2 sh -c "! kill -0 $CAP 2>/dev/null" || fail "capture survived kill -9"
ls /dev/shm/packrat."$SESSION".frames >/dev/null || fail "the crash should have left segment 1"
"$PACKRAT" list >"$WORK/list2.out" 2>&1
grep -q "removed stale session '$SESSION'" "$WORK/list2.out" || fail "list did not report: $(cat "$WORK/list2.out")"
grep -E "^$SESSION " "$WORK/list2.out" && fail "stale session listed as a session"
no_session_files || fail "stale files left: $(ls /dev/shm/packrat."$SESSION".*)"

# The same crash, then a new start under the name: it cleans up and starts.
"$PACKRAT" -r "$WORK/frames.pcap" --session "$SESSION" -d >/dev/null 2>&1 || fail "restart 2"
wait_for 5 sh -c "$PACKRAT status $SESSION | grep -q analyzer_alive=1" || fail "session 3"
kill -9 "$(field supervisor_pid)" "$(field capture_pid)" "$(field analyzer_pid)"
sleep 0.2
"$PACKRAT" -r "$WORK/frames.pcap" --session "$SESSION" -d >/dev/null 2>"$WORK/restart.err" ||
    fail "start after a crash: $(cat "$WORK/restart.err")"
grep -q "removed stale session" "$WORK/restart.err" || fail "start did not report the cleanup"
wait_for 5 sh -c "$PACKRAT status $SESSION | grep -q frames_analyzed=$N" || fail "session 4"
"$PACKRAT" stop "$SESSION" || fail "stop 4"
no_session_files || fail "left behind after stop 4"

# A session closed on purpose and kept (capture --keep) is a result, not debris.
"$BIN/packrat-capture" -r "$WORK/frames.pcap" --session "$SESSION" --keep -q 2>/dev/null ||
    fail "capture --keep"
"$PACKRAT" list >"$WORK/list3.out" 2>&1
grep -E "^$SESSION .*ended \(kept\)" "$WORK/list3.out" >/dev/null || fail "kept session: $(cat "$WORK/list3.out")"
[ -e /dev/shm/packrat."$SESSION".frames ] || fail "list removed a kept session"
"$PACKRAT" stop "$SESSION" || fail "stop of a kept session"
no_session_files || fail "kept session not removed by stop"

# A bad filter: capture's message and exit status 2, nothing left behind.
if "$PACKRAT" -r "$WORK/frames.pcap" --session "$SESSION" -d 'portt 80' >/dev/null 2>"$WORK/filter.err"; then
    fail "a bad filter started a session"
else
    rc=$?
fi
[ "$rc" = 2 ] || fail "bad filter exit status $rc"
grep -q "bad capture filter" "$WORK/filter.err" || fail "filter message: $(cat "$WORK/filter.err")"
no_session_files || fail "a bad filter left files"

# attach to nothing fails with a message, not a hang.
timeout 5 "$PACKRAT" attach "nosuch-$TAG" 2>"$WORK/attach.err" && fail "attach to nothing succeeded"
grep -q "no session" "$WORK/attach.err" || fail "attach message: $(cat "$WORK/attach.err")"
echo "PASS: session cli"
