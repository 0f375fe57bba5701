# viewers.sh — viewers come and go, capture does not notice; capture goes, viewers notice.
#   1. three `packrat attach` viewers (tmux) on a live veth session; kill -9 one: the other two
#      keep drawing new packets, capture's pid is unchanged, the viewer count drops to 2;
#   2. kill -9 capture: the viewers say so within 1 s and exit cleanly; the supervisor removes
#      the segments; the next start under the same name works;
#   3. eight viewers through 30 s of traffic, then `packrat stop`: all exit, /dev/shm is clean.
source "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || fail "tmux is needed"
setup_veth

pkts_on_screen() { tmx capture-pane -p -t "main:$1" 2>/dev/null | sed -n 's/.*pkts \([0-9]*\).*/\1/p' | tail -1; }
alive_window() { [ -n "$(window_pid "$1")" ] && kill -0 "$(window_pid "$1")" 2>/dev/null; }

# ---- 1: kill -9 one of three viewers ------------------------------------------------------
start_live
CAP=$(field capture_pid)
for v in v1 v2 v3; do viewer $v; done
wait_for 5 viewers_are 3 || fail "expected 3 viewers: $(status)"
for v in v1 v2 v3; do unprivileged "$(window_pid $v)" "viewer $v"; done
send_bg 1000 400
sleep 1
kill -9 "$(window_pid v2)"
wait_for 2 viewers_are 2 || fail "the killed viewer is still counted: $(status)"
a1=$(pkts_on_screen v1)
a3=$(pkts_on_screen v3)
sleep 1.5
b1=$(pkts_on_screen v1)
b3=$(pkts_on_screen v3)
note "viewer v1: $a1 -> $b1 packets; v3: $a3 -> $b3"
[ -n "$a1" ] && [ -n "$b1" ] && [ "$b1" -gt "$a1" ] || fail "v1 stopped updating ($a1 -> $b1)"
[ -n "$a3" ] && [ -n "$b3" ] && [ "$b3" -gt "$a3" ] || fail "v3 stopped updating ($a3 -> $b3)"
[ "$(field capture_pid)" = "$CAP" ] || fail "capture's pid changed"
send_wait

# ---- 2: kill -9 capture ---------------------------------------------------------------------
kill -9 "$CAP"
t0=$(date +%s%N)
shown() { grep -q "capture gone" <<<"$(tmx capture-pane -p -t main:v1 2>/dev/null)"; }
wait_for 2 shown || fail "v1 does not show that capture is gone"
ms=$((($(date +%s%N) - t0) / 1000000))
shown_ms=$ms
note "capture gone shown after ${ms} ms"
[ "$ms" -le 1200 ] || fail "capture gone shown after ${ms} ms"
gone_all() { ! alive_window v1 && ! alive_window v3; }
wait_for 3 gone_all || fail "viewers did not exit within 3 s after capture died"
ms=$((($(date +%s%N) - t0) / 1000000))
note "viewers gone ${ms} ms after capture"
grep -q "has ended" "$WORK/v1.err" || fail "v1 exit message: $(cat "$WORK/v1.err")"
wait_for 5 no_session_files || fail "the supervisor did not clean up: $(ls /dev/shm/packrat."$SESSION".*)"
start_live
[ "$(field state)" = live ] || fail "restart after capture's death: $(status)"

# ---- 3: eight viewers, 30 s of traffic, stop ------------------------------------------------
tmx kill-server 2>/dev/null || true
for i in 1 2 3 4 5 6 7 8; do viewer w$i; done
wait_for 8 viewers_are 8 || fail "expected 8 viewers: $(status)"
CAP=$(field capture_pid)
send_bg 3000 1000 # 10 frames every 3 ms for about 30 s
for t in 1 2 3 4 5 6; do
    sleep 5
    for i in 1 2 3 4 5 6 7 8; do alive_window w$i || fail "viewer w$i died at ${t}x5 s"; done
    [ "$(field capture_pid)" = "$CAP" ] || fail "capture changed"
done
send_wait
note "after 30 s: $(field frames_received) frames, $(field viewers) viewers, drops $(field kernel_drops)"
"$PACKRAT" stop "$SESSION" || fail "stop"
gone8() { for i in 1 2 3 4 5 6 7 8; do alive_window w$i && return 1; done; return 0; }
wait_for 6 gone8 || fail "viewers still running after stop"
sleep 0.2
no_session_files || fail "left behind: $(ls /dev/shm/packrat."$SESSION".*)"
echo "PASS: session viewers (capture gone shown after ${shown_ms} ms)"
