#!/bin/bash
# The splash: the ASCII rat and "packrat v<version>" on screen at 0.3 s, gone (Packets shown)
# at 1.5 s; a key skips it.
. "$(dirname "$0")/lib.sh"
start_file_session "$(known_capture)" $KNOWN_FRAMES
VERSION=$("$VIEWER" --version | awk '{print $2}')
[ -n "$VERSION" ] || fail "no version from packrat-viewer --version"

start_viewer s 120 40
sleep 0.3
screen s >"$WORK/at03.txt"
sleep 1.2
screen s >"$WORK/at15.txt"
grep -qF '( -.-)' "$WORK/at03.txt" || { cat "$WORK/at03.txt" >&2; fail "no rat at 0.3 s"; }
grep -qF 'o_(")(")' "$WORK/at03.txt" || fail "no rat feet at 0.3 s"
grep -qF "packrat v$VERSION" "$WORK/at03.txt" || fail "no 'packrat v$VERSION' at 0.3 s"
grep -qF 'Packets' "$WORK/at03.txt" && fail "tabs already drawn at 0.3 s"
grep -qF '( -.-)' "$WORK/at15.txt" && { cat "$WORK/at15.txt" >&2; fail "rat still there at 1.5 s"; }
grep -qE '1 Packets .* 5 Visualize' "$WORK/at15.txt" || fail "no tab bar at 1.5 s"

# A key skips it at once.
start_viewer k 120 40
sleep 0.15
keys k x
sleep 0.25
grep -qE '1 Packets' <<<"$(screen k)" || { screen k >&2; fail "a key did not skip the splash"; }
quit_viewer s
quit_viewer k
echo "ok: splash at 0.3 s, gone at 1.5 s, skipped by a key"
