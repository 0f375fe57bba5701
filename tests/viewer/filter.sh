#!/bin/bash
# The per-viewer BPF filter on the known capture: `udp` leaves only the 40 DNS (UDP) rows;
# `portt 80` shows libpcap's error inline, keeps the input open with the text, and the viewer
# keeps working (Esc keeps the previous filter, tabs switch, a corrected filter applies); an
# empty filter clears; a filter given on the command line is active from the start.
. "$(dirname "$0")/lib.sh"
start_file_session "$(known_capture)" $KNOWN_FRAMES
start_viewer v 120 40 --no-splash
expect v '^ +61! '
expect v 'filter: none'

keys v /
expect v '^filter \(tcpdump syntax'
typetext v udp
keys v Enter
expect v 'filter: udp \(40\)'
rows=$(packet_rows v)
[ "$(echo "$rows" | wc -l)" -ge 30 ] || fail "fewer than 30 rows under 'udp'"
if echo "$rows" | grep -vqE ' (DNS|UDP) +[0-9]+ '; then
    screen v >&2
    fail "a row that is not UDP under filter 'udp'"
fi
keys v Home
expect v '^ +3  .* DNS '
expect_not v '^ +1  '

# A bad expression: libpcap's message, the input stays open with the text.
keys v /
keys v C-u
typetext v 'portt 80'
keys v Enter
expect v '^error: .*(syntax error|portt)'
expect v '^filter \(tcpdump syntax.*: portt 80'
expect v 'filter: udp \(40\)'
# Esc cancels: the previous filter stays, the viewer works on.
keys v Escape
expect_gone v '^error: '
expect v 'filter: udp \(40\)'
keys v 4
expect v '^DNS +10\.1\.1\.1:5353'
keys v 1
# Fix the typo: tcp port 80 selects the 12 packets of the HTTP conversation.
keys v /
keys v C-u
typetext v 'tcp port 80'
keys v Enter
expect v 'filter: tcp port 80 \(12\)'
if packet_rows v | grep -vqE ' (TCP|HTTP) +[0-9]+ '; then
    screen v >&2
    fail "a row that is not TCP under 'tcp port 80'"
fi
[ "$(packet_rows v | wc -l)" = 12 ] || fail "$(packet_rows v | wc -l) rows under 'tcp port 80', expected 12"
# Empty clears.
keys v /
keys v C-u Enter
expect v 'filter: none'
expect v '^ +61! '

# From the command line.
start_viewer w 120 40 --no-splash --filter icmp
expect w 'filter: icmp \(8\)'
[ "$(packet_rows w | wc -l)" = 8 ] || fail "$(packet_rows w | wc -l) rows under 'icmp', expected 8"
quit_viewer v
quit_viewer w
echo "ok: udp 40 rows, portt 80 error kept open, Esc, tcp port 80 12 rows, clear, --filter"
