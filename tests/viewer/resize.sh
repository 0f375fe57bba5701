#!/bin/bash
# Layout at 80x24 (everything usable) and 200x60 after resizing a running viewer: the tab bar on
# the first line, the status bar on the last two, no line wider than the terminal, and each tab's
# key content present.
. "$(dirname "$0")/lib.sh"
start_file_session "$(known_capture)" $KNOWN_FRAMES
start_viewer r 120 40 --no-splash
expect r '^ +61! '

check_layout() { # COLS ROWS
    local cols=$1 rows=$2
    screen r >"$WORK/scr.txt"
    local n
    n=$(wc -l <"$WORK/scr.txt")
    [ "$n" = "$rows" ] || fail "$n lines at ${cols}x$rows"
    sed -n 1p "$WORK/scr.txt" | grep -qE '1 Packets +2 Analysis +3 Strings +4 Dynamic +5 Visualize' ||
        { cat "$WORK/scr.txt" >&2; fail "tab bar not on line 1 at ${cols}x$rows"; }
    sed -n "$((rows - 1))p" "$WORK/scr.txt" | grep -qE "^ \[$SESSION\] +file known\.pcap" ||
        { cat "$WORK/scr.txt" >&2; fail "status line 1 not at line $((rows - 1))"; }
    sed -n "${rows}p" "$WORK/scr.txt" | grep -qE '^ analyzer running +ts file +filter: none' ||
        { cat "$WORK/scr.txt" >&2; fail "status line 2 not at line $rows"; }
    local wd
    wd=$(screen_width r)
    [ "$wd" -le "$cols" ] || fail "a line is $wd characters wide at ${cols}x$rows"
}

for size in "80 24" "200 60" "80 24"; do
    set -- $size
    T resize-window -t "=r:" -x "$1" -y "$2"
    sleep 0.4
    keys r 1
    expect r '^ +No\. +Time +Source +Destination +Protocol +Length Info'
    expect r '^ +61! '
    check_layout "$1" "$2"
    rows=$(packet_rows r | wc -l)
    [ "$rows" = $(($2 - 4)) ] || fail "$rows packet rows at $1x$2, expected $(($2 - 4))"
    keys r 2
    expect r '^Frame 61: 50 bytes on wire'
    expect r '^0000  02 00 00 00 00 02'
    check_layout "$1" "$2"
    keys r 3
    expect r 'No\. Offset  String'
    keys r 4
    expect r '10\.1\.1\.1:40000 +<> 10\.1\.1\.2:80'
    check_layout "$1" "$2"
    keys r 5
    expect r '^packets/s .*[▁▂▃▄▅▆▇█]'
    check_layout "$1" "$2"
    keys r '?'
    expect r 'packrat viewer - keys'
    keys r x
done
# At 80 columns the flow table puts both directions in one cell.
keys r 4
expect r '^HTTP +10\.1\.1\.1:40000 +<> 10\.1\.1\.2:80 +7/5 '
quit_viewer r
echo "ok: 80x24, 200x60 and back"
