# record.sh — `packrat -w` and export on a live veth session:
#   - the session's recorder with -C 1 -W 3 makes exactly out.pcap0..2 (tcpdump's names), each
#     a valid pcap;
#   - standalone recorders on the same ring (as nobody): -C 1 makes all.pcap, all.pcap1, ... whose
#     frames, concatenated, are exactly the frames of an unrotated recording, which are exactly
#     the frames in the ring (tests/tools/ringdump) and the count sent;
#   - export_pcap() (the viewer's `w`) of the whole ring and of every 3rd frame opens in tshark
#     and matches the ring byte for byte (timestamps to the nanosecond);
#   - -G 1 makes one strftime-named file per second; -G 1 -W 2 stops after two files while
#     capture goes on.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || fail "tshark is needed"
command -v capinfos >/dev/null || fail "capinfos is needed"
[ -x "$EXPORTTOOL" ] || fail "$EXPORTTOOL not built"
setup_veth
mkdir -m 1777 "$WORK/rot" "$WORK/all" "$WORK/one" "$WORK/g" "$WORK/gw"

pcap_text() { tcpdump -r "$1" -nn -tt --time-stamp-precision=nano -xx -e 2>/dev/null; }
frames_in() { capinfos -c -M "$1" 2>/dev/null | sed -n 's/^Number of packets: *//p'; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

start_live -w "$WORK/rot/out.pcap" -C 1 -W 3
REC_ALL_PID=
as_nobody "$BIN/packrat-record" --session "$SESSION" -w "$WORK/all/all.pcap" -C 1 2>"$WORK/recall.err" &
REC_ALL_PID=$!
as_nobody "$BIN/packrat-record" --session "$SESSION" -w "$WORK/one/one.pcap" 2>"$WORK/recone.err" &
REC_ONE_PID=$!
EXTRA_CLEANUP+=("kill $REC_ALL_PID $REC_ONE_PID 2>/dev/null")
sleep 0.3
CAP=$(field capture_pid)
send_bg 100 1500
send_wait
sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' "$WORK/send.out")
wait_for 5 sh -c "[ \"\$($PACKRAT status $SESSION | sed -n 's/^write_seq=//p')\" = $sent ]" ||
    fail "ring holds $(field write_seq) of $sent frames"

# Export while the session is live (what the viewer's w does), and the ring as ringdump sees it.
"$EXPORTTOOL" -s "$SESSION" -w "$WORK/export.pcap" >"$WORK/export.out" || fail "export: $(cat "$WORK/export.out")"
grep -q "written=$sent gone=0" "$WORK/export.out" || fail "export wrote: $(cat "$WORK/export.out")"
"$EXPORTTOOL" -s "$SESSION" -w "$WORK/export3.pcap" -k 3 >/dev/null || fail "export -k 3"
"$RINGDUMP" -s "$SESSION" -w "$WORK/ring.pcap" -t 300 2>/dev/null || true
[ "$(frames_in "$WORK/ring.pcap")" = "$sent" ] || fail "ringdump read $(frames_in "$WORK/ring.pcap") of $sent"
[ "$(tshark -r "$WORK/export.pcap" 2>/dev/null | wc -l)" = "$sent" ] || fail "tshark cannot read the export"
pcap_text "$WORK/ring.pcap" >"$WORK/ring.txt"
pcap_text "$WORK/export.pcap" >"$WORK/export.txt"
cmp -s "$WORK/ring.txt" "$WORK/export.txt" || fail "exported frames differ from the ring's"
expect3=$(((sent + 2) / 3))
[ "$(tshark -r "$WORK/export3.pcap" 2>/dev/null | wc -l)" = "$expect3" ] || fail "every-3rd export count"
tshark -r "$WORK/ring.pcap" -Y "frame.number % 3 == 1" -w "$WORK/ring3.pcap" 2>/dev/null
cmp -s <(pcap_text "$WORK/ring3.pcap") <(pcap_text "$WORK/export3.pcap") || fail "every-3rd export differs"

# End the session: the recorders drain and exit by themselves when capture closes the ring.
"$PACKRAT" stop "$SESSION" || fail "stop"
wait "$REC_ALL_PID" || fail "recorder -C 1 failed: $(cat "$WORK/recall.err")"
wait "$REC_ONE_PID" || fail "recorder failed: $(cat "$WORK/recone.err")"
no_session_files || fail "left behind after stop"

# -C 1 -W 3 (the session's own recorder): out.pcap0..2 exactly.
ls "$WORK/rot" >"$WORK/rot.ls"
[ "$(cat "$WORK/rot.ls" | tr '\n' ' ')" = "out.pcap0 out.pcap1 out.pcap2 " ] || fail "-C 1 -W 3 made: $(cat "$WORK/rot.ls")"
for f in "$WORK"/rot/*; do capinfos "$f" >/dev/null 2>&1 || fail "$f is not a valid pcap"; done

# -C 1: all.pcap all.pcap1 ... ; together exactly the unrotated recording = the ring.
[ "$(frames_in "$WORK/one/one.pcap")" = "$sent" ] || fail "unrotated recording has $(frames_in "$WORK/one/one.pcap") of $sent"
cmp -s <(pcap_text "$WORK/one/one.pcap") "$WORK/ring.txt" || fail "recording differs from the ring"
bytes=$(stat -c %s "$WORK/one/one.pcap")
nfiles=$(ls "$WORK/all" | wc -l)
note "recorded $sent frames, $bytes bytes; -C 1 made $nfiles files"
[ "$nfiles" -ge $((bytes / 1001000)) ] && [ "$nfiles" -le $((bytes / 1000000 + 1)) ] || fail "-C 1 made $nfiles files for $bytes bytes"
list="$WORK/all/all.pcap"
for i in $(seq 1 $((nfiles - 1))); do
    [ -e "$WORK/all/all.pcap$i" ] || fail "missing all.pcap$i: $(ls "$WORK/all")"
    list="$list $WORK/all/all.pcap$i"
done
for f in $list; do pcap_text "$f"; done >"$WORK/all.txt"
cmp -s "$WORK/all.txt" "$WORK/ring.txt" || fail "the -C 1 files together differ from the ring"
first=$(stat -c %s "$WORK/all/all.pcap")
[ "$first" -gt 1000000 ] && [ "$first" -le 1010000 ] || fail "all.pcap is $first bytes (rotates just past 1000000)"

# -G 1: one file per second, named by strftime.
start_live -w "$WORK/g/g-%Y%m%d-%H%M%S.pcap" -G 1
as_nobody "$BIN/packrat-record" --session "$SESSION" -w "$WORK/gw/gw-%H%M%S.pcap" -G 1 -W 2 2>"$WORK/recgw.err" &
REC_GW=$!
send_bg 2000 180 # about 3.6 s
wait "$REC_GW" || fail "-G 1 -W 2 recorder: $(cat "$WORK/recgw.err")"
kill -0 "$(field capture_pid)" || fail "capture ended with the -G -W recorder"
send_wait
sentg=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' "$WORK/send.out")
wait_for 5 sh -c "[ \"\$($PACKRAT status $SESSION | sed -n 's/^write_seq=//p')\" = $sentg ]" ||
    fail "ring holds $(field write_seq) of $sentg frames"
"$PACKRAT" stop "$SESSION" || fail "stop -G"
ng=$(ls "$WORK/g" | wc -l)
ls "$WORK/g" | grep -qvE '^g-[0-9]{8}-[0-9]{6}\.pcap$' && fail "-G names: $(ls "$WORK/g")"
[ "$ng" -ge 3 ] && [ "$ng" -le 6 ] || fail "-G 1 over ~3.6 s made $ng files: $(ls "$WORK/g")"
total=0
for f in "$WORK"/g/*; do total=$((total + $(frames_in "$f"))); done
[ "$total" = "$sentg" ] || fail "-G files hold $total of $sentg frames"
[ "$(ls "$WORK/gw" | wc -l)" = 2 ] || fail "-G 1 -W 2 made: $(ls "$WORK/gw")"
echo "PASS: session record ($nfiles files for -C 1, $ng for -G 1)"
