#!/bin/bash
# Three viewers on one session at once, each with its own filter typed at its own prompt: each
# shows only its own packets and its own filter, and changing one leaves the others alone.
. "$(dirname "$0")/lib.sh"
start_file_session "$(known_capture)" $KNOWN_FRAMES
for n in a b c; do start_viewer $n 120 40 --no-splash; done
for n in a b c; do expect $n '^ +61! '; done
set_filter() {
    keys "$1" /
    keys "$1" C-u
    typetext "$1" "$2"
    keys "$1" Enter
}
set_filter a udp
set_filter b 'tcp port 80'
set_filter c icmp
expect a 'filter: udp \(40\)'
expect b 'filter: tcp port 80 \(12\)'
expect c 'filter: icmp \(8\)'
packet_rows a | grep -vqE ' (DNS|UDP) +[0-9]+ ' && fail "viewer a shows a non-UDP row"
packet_rows b | grep -vqE ' (TCP|HTTP) +[0-9]+ ' && fail "viewer b shows a non-TCP row"
packet_rows c | grep -vqE ' ICMP +[0-9]+ ' && fail "viewer c shows a non-ICMP row"
[ "$(packet_rows b | wc -l)" = 12 ] || fail "viewer b: $(packet_rows b | wc -l) rows"
[ "$(packet_rows c | wc -l)" = 8 ] || fail "viewer c: $(packet_rows c | wc -l) rows"
# Clearing a's filter does not touch b and c.
set_filter a ''
expect a 'filter: none'
expect a '^ +61! '
sleep 0.3
expect b 'filter: tcp port 80 \(12\)'
expect c 'filter: icmp \(8\)'
[ "$(packet_rows c | wc -l)" = 8 ] || fail "viewer c changed when a cleared its filter"
quit_viewer a
quit_viewer b
quit_viewer c
echo "ok: three viewers, three filters"
