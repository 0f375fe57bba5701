#!/bin/bash
# Headless like tcpdump: -i IF -c N -w out.pcap writes a nanosecond pcap of exactly the N frames
# sent (byte-identical, tags re-inserted), exits by itself after N, prints tcpdump's summary
# lines plus packrat's own on stderr, and creates no segment. SIGINT before N also ends cleanly
# with a complete file.
. "$(dirname "$0")/lib.sh"
setup_veth 9000
"$MKFRAMES" "$WORK/set.pcap" >/dev/null
N=$(count_frames "$WORK/set.pcap")

ip netns exec "$NSC" "$CAPTURE" -i "$IFC" -c "$N" -w "$WORK/out.pcap" 2>"$WORK/capture.err" &
CAP_PID=$!
# Up to 20 s for capture to start: the sanitizer build under load took more than 5 s once.
for _ in $(seq 400); do grep -q "listening on" "$WORK/capture.err" && break; sleep 0.05; done
sleep 0.2
in_s "$PKTSEND" -i "$IFS_" -r "$WORK/set.pcap" -g 1000 >/dev/null
for _ in $(seq 100); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$CAP_PID" 2>/dev/null && fail "capture did not stop after -c $N"
wait "$CAP_PID" || fail "exit status $?"
CAP_PID=
for line in "$N packets captured" "packets received by filter" "packets dropped by kernel" \
    "packets overwritten in ring"; do
    grep -q "$line" "$WORK/capture.err" || fail "summary lacks '$line'"
done
same_frames "$WORK/set.pcap" "$WORK/out.pcap"
grep -q "snapshot length" <<<"$(tcpdump -r "$WORK/out.pcap" 2>&1 >/dev/null)" || fail "out.pcap unreadable"
head -c 4 "$WORK/out.pcap" | od -An -tx1 | grep -q "4d 3c b2 a1" || fail "not a nanosecond pcap"
ls /dev/shm | grep -q "packrat\.$IFC\." && fail "-w created a segment"

# SIGINT before -c is reached: clean exit, the file holds every frame captured so far.
ip netns exec "$NSC" "$CAPTURE" -i "$IFC" -c 1000 -w "$WORK/int.pcap" 2>"$WORK/capture.err" &
CAP_PID=$!
for _ in $(seq 400); do grep -q "listening on" "$WORK/capture.err" && break; sleep 0.05; done
sleep 0.2
in_s "$PKTSEND" -i "$IFS_" -r "$WORK/set.pcap" -g 1000 >/dev/null
sleep 0.3
stop_capture
same_frames "$WORK/set.pcap" "$WORK/int.pcap"
# No -i: the first up, non-loopback interface (in this namespace: the veth end, not lo).
ip netns exec "$NSC" "$CAPTURE" -c 1 -w "$WORK/default.pcap" 2>"$WORK/capture.err" &
CAP_PID=$!
for _ in $(seq 400); do grep -q "listening on" "$WORK/capture.err" && break; sleep 0.05; done
grep -q "listening on $IFC " "$WORK/capture.err" || fail "default interface: $(head -1 "$WORK/capture.err")"
in_s "$PKTSEND" -i "$IFS_" -r "$WORK/set.pcap" >/dev/null
for _ in $(seq 100); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.05; done
wait "$CAP_PID" || fail "default interface capture: exit status $?"
CAP_PID=
echo "ok: headless -w writes exactly the frames, summary printed, no segment; default interface"
