#!/bin/bash
# unavailable.sh — where BPF cannot be used the counter says why in one line and the table in
# segment 1 carries status 2 "unavailable" with that reason: (1) without privilege (EPERM; the
# probe runs as nobody with no capabilities), (2) with no bpf() syscall (a seccomp filter makes
# it fail with ENOSYS, as on a kernel built without CONFIG_BPF_SYSCALL).
. "$(dirname "$0")/lib.sh"
setup_veth
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"

check() { # check NAME EXPECTED-REASON-SUBSTRING OUTPUT-FILE STATUS
    [ "$4" = 3 ] || fail "$1: expected exit status 3, got $4: $(cat "$3")"
    [ "$(grep -c '^UNAVAILABLE ' "$3")" = 1 ] || fail "$1: expected one UNAVAILABLE line: $(cat "$3")"
    grep -q "^UNAVAILABLE .*$2" "$3" || fail "$1: reason lacks '$2': $(cat "$3")"
    reason=$(sed -n 's/^UNAVAILABLE //p' "$3")
    grep -qF "S 2 ${reason:0:99}" "$3" || fail "$1: table not marked unavailable: $(cat "$3")"
    echo "$1: $reason"
}

rc=0
ip netns exec "$NSA" setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all \
    --bounding-set=-all "$FC_PROBE" --if "$IFA" --session "$SESSION" >"$WORK/eperm" 2>&1 || rc=$?
check "no privilege" "Operation not permitted (needs root" "$WORK/eperm" "$rc"

rc=0
ip netns exec "$NSA" "$FC_PROBE" --deny-bpf --if "$IFA" --session "$SESSION" >"$WORK/enosys" 2>&1 ||
    rc=$?
check "no bpf() syscall" "no bpf() syscall" "$WORK/enosys" "$rc"
echo PASS
