#!/bin/bash
# The viewer follows the session's other processes: analyzer killed -> "analyzer restarting"
# within a second while the rows stay; a new analyzer -> "analyzer running" again with its data;
# capture stopped -> "capture gone" within a second, then the viewer leaves by itself with status
# 0 and the terminal restored.
. "$(dirname "$0")/lib.sh"
start_file_session "$(known_capture)" $KNOWN_FRAMES
start_viewer v 120 40 --no-splash
expect v '^ +61! '
expect v 'analyzer running'

kill -9 "$AN_PID"
wait "$AN_PID" 2>/dev/null || true # reaped: a zombie would still look alive
AN_PID=
expect v 'analyzer restarting' 2
expect v '^ +61! ' # the rows stay
start_analyzer
expect v 'analyzer running' 3
keys v 4
expect v '^HTTP +10\.1\.1\.1:40000 +<> 10\.1\.1\.2:80 +[A-Z-]+ +7 +5 ' 5
keys v 1

kill -INT "$CAP_PID"
wait "$CAP_PID" 2>/dev/null || true
CAP_PID=
expect v 'capture gone' 2
expect v 'viewer-exit=0' 6
expect v '^icanon echo'
echo "ok: analyzer restarting and recovered, capture gone and the viewer left cleanly"
