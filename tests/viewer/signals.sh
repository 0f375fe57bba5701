#!/bin/bash
# The terminal is restored on every exit path: q, SIGTERM, SIGINT, SIGHUP (clean exit), and
# SIGSEGV / SIGABRT (the crash handler restores, then the process dies of the signal).
# The pane prints the viewer's exit status and the tty's icanon/echo flags after it ends.
. "$(dirname "$0")/lib.sh"
start_file_session "$(known_capture)" $KNOWN_FRAMES
for sig in TERM INT HUP SEGV ABRT; do
    name=s$sig
    start_viewer "$name" 100 30 --no-splash
    expect "$name" '^ +61! '
    # The pane's shell runs "env ... packrat-viewer"; env execs, so the viewer is its child.
    pp=$(T list-panes -t "=$name:" -F '#{pane_pid}')
    pid=$(pgrep -P "$pp" -f packrat-viewer | head -1)
    [ -n "$pid" ] || fail "no viewer pid for $name"
    kill -"$sig" "$pid"
    case $sig in
    SEGV) want=139 ;;
    ABRT) want=134 ;;
    *) want=0 ;;
    esac
    expect "$name" "viewer-exit=$want" 5
    expect "$name" '^icanon echo'
done
echo "ok: terminal restored after SIGTERM, SIGINT, SIGHUP, SIGSEGV, SIGABRT"
