#!/bin/bash
# cache.sh — exact counts when flows outnumber the program's per-CPU flow cache (256 slots, see
# flowcount_maps.h), so that slots change hands and counts are flushed into the LRU hash: three
# waves of 250 flows each, then the first wave again (its flows are now in the hash and come
# back into the cache: the reader must add both), in both directions. The kernel counts must
# equal what was sent, per flow and direction, with tcx and batch reads and again as an old
# kernel gets it (TC clsact, get_next_key), and as on CPUs where the cache is off (--no-cache).
. "$(dirname "$0")/lib.sh"
setup_veth

# wave N: 250 UDP flows 10.60.N.x:sport -> 10.61.N.x:7000 from B, one reply from A on every
# 5th; sizes vary so that bytes catch a mix-up of two flows' counts.
make_wave() {
    local n=$1 i
    : >"$WORK/in.$n"
    : >"$WORK/out.$n"
    for i in $(seq 0 249); do
        echo "$((1 + i % 3)) udp4 10.60.$n.$((i + 1)) 10.61.$n.$((i + 1)) $((20000 + i)) 7000 - $((i % 40))" >>"$WORK/in.$n"
        if [ $((i % 5)) = 0 ]; then
            echo "1 udp4 10.61.$n.$((i + 1)) 10.60.$n.$((i + 1)) 7000 $((20000 + i)) - 3" >>"$WORK/out.$n"
        fi
    done
}
for n in 1 2 3; do make_wave "$n"; done

for mode in "" --old-kernel --no-cache; do
    start_probe $mode
    sent=()
    for n in 1 2 3 1; do
        send_from B "$WORK/in.$n" "$WORK/sent.in.$n.${#sent[@]}"
        send_from A "$WORK/out.$n" "$WORK/sent.out.$n.${#sent[@]}"
        sent+=("$WORK/sent.in.$n.${#sent[@]}" "$WORK/sent.out.$n.${#sent[@]}")
    done
    sum_sent "${sent[@]}" >"$WORK/expect"
    want=$(awk '$1=="T" {print $3}' "$WORK/expect")
    probe_dump_until "$want" "$WORK/dump"
    counted "$WORK/dump" >"$WORK/got"
    [ "$(grep -c '^K' "$WORK/got")" = 750 ] || fail "${mode:-tcx}: expected 750 flows, got $(grep -c '^K' "$WORK/got")"
    diff -u "$WORK/expect" "$WORK/got" >"$WORK/diff" || {
        head -40 "$WORK/diff"
        fail "${mode:-tcx}: kernel counts differ from what was sent"
    }
    echo "${mode:-tcx}: 750 flows exact ($(grep '^S' "$WORK/dump"))"
    stop_probe "probe exited with an error"
done
echo PASS
