#!/usr/bin/env bash
# packrat --flows against tshark -z conv and the generator's truth (see the .py).
exec python3 "$(dirname "$0")/flows_vs_tshark.py"
