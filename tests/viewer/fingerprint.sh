#!/bin/bash
# A viewer attached to an analysis written with other dissector tables (another build) says so
# in the status bar instead of drawing field names from the wrong table.
. "$(dirname "$0")/lib.sh"
start_file_session "$(known_capture)" $KNOWN_FRAMES
start_viewer good 120 40 --no-splash
expect good 'analyzer running'
expect_not good 'analyzer is another version'

# Damage the fingerprint the analyzer published (root may write the segment; viewers never do).
off=$("$BUILD/tests/analysisdump" "$SESSION" offset dissect_tables)
[ -n "$off" ] || fail "no offset for dissect_tables"
printf '\xde\xad\xbe\xef' | dd of="/dev/shm/packrat.$SESSION.analysis" bs=1 seek="$off" conv=notrunc status=none
start_viewer other 120 40 --no-splash
expect other 'analyzer is another version'
echo "ok: a foreign dissector fingerprint is reported"
