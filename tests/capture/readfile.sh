#!/bin/bash
# -r: a pcap and a pcapng file from the shared tcpdump corpus go through the ring unchanged
# (tcpdump reads the same frames from the ring's dump as from the file), also from stdin, with a
# filter (the subset tcpdump selects), and headless -w writes the same frames. No root needed
# for this, but the tests run as root and capture drops to nobody as usual.
. "$(dirname "$0")/lib.sh"
CORPUS=$ROOT/../shared/corpus/tcpdump
PCAP=$CORPUS/mptcp-v1.pcap
PCAPNG=$CORPUS/OSPFv2_Capture_FINAL.pcapng
[ -r "$PCAP" ] && [ -r "$PCAPNG" ] || fail "corpus files missing under $CORPUS"

through_ring() { # NAME SOURCE [filter...]
    local name=$1 src=$2
    shift 2
    rm -f "/dev/shm/packrat.$SESSION.frames"
    "$CAPTURE" -r "$src" --session "$SESSION" --keep -q "$@" 2>"$WORK/capture.err" <"${STDIN:-/dev/null}" ||
        fail "$name: capture exit status $?"
    [ "$(status_field if_state)" = "end of file" ] || fail "$name: if_state $(status_field if_state)"
    "$RINGDUMP" -s "$SESSION" -t 1000 -w "$WORK/$name.pcap" -m "$WORK/$name.meta" ||
        fail "$name: ringdump"
    awk '$3 != "file" { bad=1 } END { exit bad }' "$WORK/$name.meta" || fail "$name: ts source"
}

for f in "$PCAP" "$PCAPNG"; do
    n=$(basename "$f")
    through_ring "$n" "$f"
    same_frames "$f" "$WORK/$n.pcap"
    # Timestamps, which pcap_text leaves out: tcpdump's nanosecond rendering must agree.
    diff <(tcpdump -r "$f" -nn --time-stamp-precision=nano 2>/dev/null | cut -d' ' -f1) \
        <(tcpdump -r "$WORK/$n.pcap" -nn --time-stamp-precision=nano 2>/dev/null | cut -d' ' -f1) >/dev/null ||
        fail "$n: timestamps differ"
    note "$n: $(count_frames "$f") frames identical"
done

STDIN=$PCAP through_ring stdin -
same_frames "$PCAP" "$WORK/stdin.pcap"

through_ring filtered "$PCAP" tcp and dst port 10004
[ "$(count_frames "$PCAP" tcp and dst port 10004)" -gt 0 ] || fail "reference filter selects nothing"
same_frames "$PCAP" "$WORK/filtered.pcap" tcp and dst port 10004

"$CAPTURE" -r "$PCAPNG" -w "$WORK/headless.pcap" -q || fail "-w exit status $?"
same_frames "$PCAPNG" "$WORK/headless.pcap"
[ ! -e "/dev/shm/packrat.OSPFv2_Capture_FINAL.pcapng.frames" ] || fail "-w created a segment"
"$CAPTURE" -r "$PCAP" -c 5 -w "$WORK/five.pcap" -q || fail "-c exit status $?"
[ "$(count_frames "$WORK/five.pcap")" = 5 ] || fail "-c 5 wrote $(count_frames "$WORK/five.pcap")"
# -s with -r: frames cut to the snap length exactly as editcap -s cuts them.
"$CAPTURE" -r "$PCAP" -s 60 -w "$WORK/snap.pcap" -q || fail "-s exit status $?"
editcap -s 60 "$PCAP" "$WORK/snap.ref.pcap"
same_frames "$WORK/snap.ref.pcap" "$WORK/snap.pcap"

# --realtime paces by the file's timestamps: the known set is stamped one second apart, so
# three frames take two seconds; without it they take no measurable time.
"$MKFRAMES" "$WORK/set.pcap" >/dev/null
t0=$(date +%s%N)
"$CAPTURE" -r "$WORK/set.pcap" --realtime -c 3 -w "$WORK/rt.pcap" -q || fail "--realtime exit status"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 1900 ] && [ "$ms" -le 3500 ] || fail "--realtime took $ms ms for 2 s of file time"
t0=$(date +%s%N)
"$CAPTURE" -r "$WORK/set.pcap" -c 3 -w "$WORK/fast.pcap" -q || fail "exit status"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 1000 ] || fail "without --realtime reading took $ms ms"
echo "ok: pcap, pcapng, stdin, filter, -w and --realtime read back as tcpdump reads the files"
