#!/bin/bash
# Frames longer than the snap length: stored truncated to exactly the snap length (VLAN tag
# re-inserted first, so the bytes are the wire's first SNAPLEN), with the true wire length,
# flagged truncated and counted in frames_truncated. The reference is editcap -s SNAPLEN of the
# frames that were sent.
. "$(dirname "$0")/lib.sh"
command -v editcap >/dev/null || fail "editcap (wireshark-common) is needed"
SNAP=100
setup_veth 9000
"$MKFRAMES" "$WORK/set.pcap" >/dev/null
N=$(count_frames "$WORK/set.pcap")
LONG=$(count_frames "$WORK/set.pcap" greater $((SNAP + 1)))
[ "$LONG" -gt 0 ] && [ "$LONG" -lt "$N" ] || fail "frame set does not straddle $SNAP bytes"
editcap -s "$SNAP" "$WORK/set.pcap" "$WORK/expect.pcap"

for backend in "" "--backend pcap"; do
    # shellcheck disable=SC2086
    start_capture -s "$SNAP" $backend
    in_s "$PKTSEND" -i "$IFS_" -r "$WORK/set.pcap" -g 1000 >/dev/null
    "$RINGDUMP" -s "$SESSION" -c "$N" -t 3000 -w "$WORK/ring.pcap" -m "$WORK/meta.txt" ||
        fail "frames missing"
    sleep 0.2
    [ "$(status_field frames_truncated)" = "$LONG" ] ||
        fail "$backend: frames_truncated $(status_field frames_truncated), want $LONG"
    [ "$(status_field snaplen)" = "$SNAP" ] || fail "snaplen in header"
    stop_capture
    same_frames "$WORK/expect.pcap" "$WORK/ring.pcap"
    FLAGGED=0
    while read -r _ _ _ _ flags len wire _; do
        [ "$len" -le "$SNAP" ] || fail "a record holds $len bytes"
        if (((flags & 2) != 0)); then
            FLAGGED=$((FLAGGED + 1))
            [ "$wire" -gt "$len" ] || fail "flagged truncated but wire $wire <= len $len"
        fi
    done <"$WORK/meta.txt"
    [ "$FLAGGED" = "$LONG" ] || fail "$backend: $FLAGGED records flagged truncated, want $LONG"
    rm -f "/dev/shm/packrat.$SESSION.frames"
    note "$backend: $LONG of $N frames truncated to $SNAP, flagged and counted"
done
echo "ok: snap length truncation is exact, flagged and counted"
