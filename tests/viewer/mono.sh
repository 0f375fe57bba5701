#!/bin/bash
# On a terminal without colours (TERM=vt100: has_colors() is false) and without a UTF-8 locale:
# the selected item's bytes are still marked (reverse video), no colour codes are sent,
# sparklines use the ASCII ramp, and nothing outside ASCII is drawn.
. "$(dirname "$0")/lib.sh"
start_file_session "$(known_capture)" $KNOWN_FRAMES
T -u new-session -d -s m -x 100 -y 30 \
    "env LANG=C LC_ALL=C TERM=vt100 $VIEWER --session $SESSION --no-splash 2>$WORK/viewer-m.err; echo viewer-exit=\$?; sleep 60"
expect m '^ +61! '
keys m g Enter
expect m '^Frame 1: 54 bytes on wire'
expect m '^- Ethernet +bytes 0-13'
# The layer is selected: bytes 0-13 in reverse video on row 0000, byte 14 not.
screen_esc m >"$WORK/esc.txt"
hl=$(python3 "$(dirname "$0")/reverse_bytes.py" "$WORK/esc.txt" 0000 --no-colour) || fail "row 0000: $hl"
[ "$hl" = "0 1 2 3 4 5 6 7 8 9 10 11 12 13" ] || fail "no reverse video on exactly bytes 0-13 without colour: [$hl]"
keys m 5
expect m '^packets/s +.*[.,~=+*#-]+ +max 6 now 1'
grep -q '[▁▂▃▄▅▆▇█]' <<<"$(screen m)" && fail "block glyphs in a C locale"
LC_ALL=C grep -qP '[^\x00-\x7f]' <<<"$(screen m)" && { screen m >&2; fail "non-ASCII output in a C locale"; }
quit_viewer m
echo "ok: mono highlight by reverse video, ASCII sparklines"
