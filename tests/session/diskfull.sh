# diskfull.sh — recording onto a full disk (a 64 KiB tmpfs): the recorder says "No space left on
# device" and how many packets the file holds, the file ends on a complete record (capinfos and
# tshark read it; its frames are the first ones of the ring, byte for byte), and capture, the
# analyzer and an attached viewer carry on. Headless (-r in -w out) ends with status 1 and the
# message; an unwritable path is refused with the reason.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || fail "tshark is needed"
command -v capinfos >/dev/null || fail "capinfos is needed"
command -v tmux >/dev/null || fail "tmux is needed"
setup_veth
mkdir "$WORK/tiny"
mount -t tmpfs -o size=64k,mode=1777 "packrat-test-$TAG" "$WORK/tiny"
EXTRA_CLEANUP+=("umount '$WORK/tiny' 2>/dev/null")

pcap_text() { tcpdump -r "$1" -nn -tt --time-stamp-precision=nano -xx -e 2>/dev/null; }
frames_in() { capinfos -c -M "$1" 2>/dev/null | sed -n 's/^Number of packets: *//p'; }

start_live -w "$WORK/tiny/out.pcap"
CAP=$(field capture_pid)
viewer v1
wait_for 5 viewers_are 1 || fail "viewer did not attach"
send_bg 1000 80 # about 220 KB: more than the disk holds
LOG=/dev/shm/packrat.$SESSION.log
wait_for 10 grep -q "No space left on device" "$LOG" || fail "no disk-full message in the session log"
wait_for 3 grep -q "recorder (pid [0-9]*) exited with status 1; capture continues" "$LOG" ||
    fail "supervisor did not report the recorder's end"
grep "packrat-record:" "$LOG" | head -2 >&2
send_wait

# The file: valid, ends on a complete record, holds what the message says, = the ring's first.
capinfos "$WORK/tiny/out.pcap" >/dev/null 2>&1 || fail "capinfos cannot read the file"
n=$(frames_in "$WORK/tiny/out.pcap")
[ "$(tshark -r "$WORK/tiny/out.pcap" 2>/dev/null | wc -l)" = "$n" ] || fail "tshark disagrees on the count"
grep -q "holds the $n complete packets" "$LOG" || fail "message does not give the $n packets: $(grep packrat-record "$LOG")"
[ "$n" -gt 0 ] || fail "nothing was written before the disk filled"
grep -qi "cut short\|appears to have been cut" <<<"$(tshark -r "$WORK/tiny/out.pcap" -q 2>&1)" && fail "tshark sees a cut record"
"$RINGDUMP" -s "$SESSION" -w "$WORK/ring.pcap" -t 300 2>/dev/null || true
pcap_text "$WORK/ring.pcap" >"$WORK/ring.txt"
pcap_text "$WORK/tiny/out.pcap" >"$WORK/out.txt"
head -c "$(wc -c <"$WORK/out.txt")" "$WORK/ring.txt" >"$WORK/ringhead.txt"
cmp -s "$WORK/ringhead.txt" "$WORK/out.txt" || fail "the file is not the ring's first frames"

# Capture, analyzer and viewer unaffected.
[ "$(field capture_pid)" = "$CAP" ] || fail "capture's pid changed"
before=$(field frames_received)
send_bg 1000 20
send_wait
wait_for 3 sh -c "[ \$($PACKRAT status $SESSION | sed -n 's/^frames_received=//p') -gt $before ]" ||
    fail "capture stopped receiving after the disk filled"
[ "$(field analyzer_alive)" = 1 ] || fail "analyzer died"
[ -n "$(window_pid v1)" ] && kill -0 "$(window_pid v1)" || fail "the viewer died"
viewers_are 1 || fail "viewer count"
"$PACKRAT" stop "$SESSION" || fail "stop"

# Headless like tcpdump -r in -w out: status 1 and the message on a full disk.
rm -f "$WORK/tiny/out.pcap"
if "$PACKRAT" -r "$WORK/ring.pcap" -w "$WORK/tiny/conv.pcap" --session "$SESSION" 2>"$WORK/conv.log"; then
    fail "headless recording onto a full disk exited 0"
fi
grep -q "No space left on device" "$WORK/conv.log" || fail "headless message: $(cat "$WORK/conv.log")"
capinfos "$WORK/tiny/conv.pcap" >/dev/null 2>&1 || fail "headless file invalid"
no_session_files || fail "headless session left files"

# An unwritable path: refused with the reason, nothing left running.
if "$PACKRAT" -r "$WORK/ring.pcap" -w /proc/packrat-nope.pcap --session "$SESSION" 2>"$WORK/nope.log"; then
    fail "writing into /proc succeeded"
fi
grep -q "cannot write /proc/packrat-nope.pcap" "$WORK/nope.log" || fail "message: $(cat "$WORK/nope.log")"
no_session_files || fail "failed session left files"
echo "PASS: session disk full ($n packets kept)"
