#!/bin/bash
# Every tab on a file session of the known capture (tests/viewer/mkpcap.py): rows in Packets
# with summaries; IP and TCP layers and a highlighted hex dump in Analysis; the known payload
# string in Strings and Enter to its packet; the HTTP flow with 7 and 5 packets and the DNS flow
# with 20 and 20 in Dynamic, Enter filtering Packets to it; sparklines in Visualize; help; quit
# restores the terminal.
. "$(dirname "$0")/lib.sh"
start_file_session "$(known_capture)" $KNOWN_FRAMES
start_viewer v 120 40 --no-splash

# Packets: follows to the last frame; summaries from the analyzer; the malformed frame marked.
expect v '^ +61! .*10\.1\.1\.1 +10\.1\.1\.2 '
expect v 'DNS +94 275 1/0/0 A 192\.0\.2\.20'
expect v 'pkts 61 .*ovw 0'
expect v 'analyzer running'
expect_not v 'another version' # the analyzer's dissector tables are ours
[ "$(packet_rows v | wc -l)" -ge 30 ] || fail "fewer than 30 packet rows on a 40-line screen"
keys v t
expect v 'Info +\(time: since start\)'
expect v '^ +61! 19\.000000 '
keys v t t
# Scrolling stops following; F resumes.
keys v Home
expect v '\[paused: End/F follows\]'
expect v '^ +1  .*10\.1\.1\.1 +10\.1\.1\.2 +TCP'
expect_not v '^ +61! '
keys v PageDown PageDown
expect v '^ +61! ' 2
keys v Home F
expect_gone v '\[paused'
expect v '^ +61! '

# Analysis of frame 6 (the HTTP request): layers, fields, the dump with the selected bytes.
keys v Home j j j j j Enter
expect v '^Frame 6: 164 bytes on wire'
expect v '^. IPv4 +bytes 14-33 \(20\)'
expect v '^. TCP +bytes 34-53 \(20\)'
expect v 'Destination port: 80 +\[tcp\.dstport\]'
expect v '^0090  6f 77 6e 2d 70 61 79 6c  6f 61 64 2d 31 32 33 34  own-payload-1234'
# Walk down the tree to IPv4's source address (bytes 26-29) and find exactly those bytes of the
# dump in reverse video.
keys v Home
down_to v '── bytes 26-29 ──' 40 0.05
# In row 0x10, bytes 0x1a-0x1d (26-29) are 0a 01 01 01; they must be highlighted, no others.
screen_esc v >"$WORK/esc.txt"
hl=$(python3 "$(dirname "$0")/reverse_bytes.py" "$WORK/esc.txt" 0010) || fail "no dump row 0010"
[ "$hl" = "10 11 12 13" ] || fail "hex dump highlights bytes [$hl] of row 0x10, not exactly 26-29"
keys v Left
expect v '── bytes 14-33 ──'
# Collapse and expand the layer.
keys v Left
expect_gone v 'Time to live: 64 +\[ip\.ttl\]'
expect v '^. IPv4 +bytes 14-33 \(20\) +\.\.\.'
keys v Right
expect v 'Time to live: 64 +\[ip\.ttl\]'

# Strings: search as you type; Enter goes to the packet.
keys v 3
expect v 'No\. Offset  String'
typetext v 'KNOWN-payload'
expect v '^search: KNOWN-payload'
expect v 'search: KNOWN-payload \(1\)'
expect v '^ +6 +125  X-Token: packrat-known-payload-1234'
keys v Enter Enter
expect v '^ +1  .*Packets|Packets' 2
keys v Enter
expect v '^Frame 6: '

# Dynamic: the known flows with their per-direction packet counts.
keys v 4
expect v '^HTTP +10\.1\.1\.1:40000 +<> 10\.1\.1\.2:80 +[A-Z-]+ +7 +5 '
expect v '^DNS +10\.1\.1\.1:5353 +<> 10\.1\.1\.53:53 +- +20 +20 '
keys v s
expect v 'sorted by bytes\)'
# Select the DNS flow and filter Packets to it.
down_to v '^ DNS 10\.1\.1\.1:5353 <> 10\.1\.1\.53:53' 5 0.1
keys v Enter
expect v 'filter: host 10\.1\.1\.1 and host 10\.1\.1\.53 and udp port 5353 and port 53 \(40\)'
rows=$(packet_rows v)
echo "$rows" | grep -vqE ' DNS ' && { screen v >&2; fail "a non-DNS row under the DNS flow's filter"; }
keys v /
keys v C-u Enter
expect v 'filter: none'

# Visualize: sparklines with scale labels.
keys v 5
expect v '^packets/s .*[▁▂▃▄▅▆▇█].* max 6 now 1'
expect v '^bytes/s .*[▁▂▃▄▅▆▇█].* max [0-9.]+k?B now 50B'
expect v '^  DNS +.*[▁▂▃▄▅▆▇█]'
expect v 'top flows'

# Tab and Shift-Tab move between tabs, wrapping around (Visualize -> Packets -> ... -> Dynamic).
keys v Tab
expect v '^ +No\. +Time +Source'
keys v BTab BTab
expect v '^Proto +Endpoint A'

# Help, then quit: the terminal is back in canonical mode with echo.
keys v '?'
expect v 'packrat viewer - keys'
keys v x
expect_gone v 'packrat viewer - keys'
keys v q
expect v 'viewer-exit=0'
expect v '^icanon echo'
echo "ok: Packets, Analysis (highlight 26-29), Strings, Dynamic 7/5 and 20/20, Visualize, help, quit"
