#!/usr/bin/env python3
"""reverse_bytes.py SCREEN ROW [--no-colour] — which bytes of one hex-dump row are highlighted.

SCREEN is `tmux capture-pane -p -e` output (with escape codes); ROW is the row's offset prefix
("0010"). Prints the indexes (0-15) of the bytes whose two hex digits are both in reverse video,
space-separated. With --no-colour, fails if the row carries any colour code.
"""
import re
import sys

ESC = re.compile(r'\x1b\[([0-9;]*)m')
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")
row = next((l for l in lines if ESC.sub('', l).startswith(sys.argv[2] + " ")), None)
if row is None:
    sys.exit("no row %s on the screen" % sys.argv[2])
if "--no-colour" in sys.argv[3:] and re.search(r'\x1b\[[0-9;]*[34][0-7][;m]', row):
    sys.exit("colour codes without colour: %r" % row)
rev, out, i = False, [], 0
while i < len(row):
    m = ESC.match(row, i)
    if m:
        codes = [c for c in m.group(1).split(';') if c]
        if not codes or '0' in codes:
            rev = False
        if '7' in codes:
            rev = True
        if '27' in codes:
            rev = False
        i = m.end()
        continue
    out.append(rev)
    i += 1
col = lambda k: 6 + 3 * k + (1 if k >= 8 else 0)  # "0010  " then byte k, a gap after the 8th
print(" ".join(str(k) for k in range(16) if col(k) + 1 < len(out) and out[col(k)] and out[col(k) + 1]))
