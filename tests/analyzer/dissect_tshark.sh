#!/usr/bin/env bash
# dissect_tshark.sh — differential test: a generated capture (gen_pcap.py: IPv4 and IPv6, VLAN
# and QinQ, TCP, UDP, DNS over UDP and TCP, HTTP, TLS ClientHello with SNI, ICMP, ICMPv6, ARP)
# is dissected by packrat-dissect --json and by tshark -T fields; per packet, the addresses,
# ports, lengths, TTLs, VLAN ids, DNS names and addresses, HTTP host and TLS SNI must agree.
# The same capture through --print must match tcpdump -nn line for line.
set -u
BIN=${PACKRAT_BIN:?}/packrat-dissect
HERE=$(cd "$(dirname "$0")" && pwd)
command -v tshark >/dev/null || { echo "FAIL: tshark is missing (scripts/setup --test installs it)"; exit 1; }
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

FIELDS="frame.len frame.cap_len eth.src eth.dst vlan.id ieee8021ad.id ip.src ip.dst ip.ttl ip.proto ip.len
ipv6.src ipv6.dst ipv6.hlim ipv6.plen tcp.srcport tcp.dstport tcp.len tcp.seq_raw tcp.ack_raw tcp.flags
udp.srcport udp.dstport udp.length icmp.type icmpv6.type arp.opcode arp.src.proto_ipv4
dns.id dns.qry.name dns.qry.type dns.a dns.aaaa dns.cname http.host http.request.method
tls.handshake.extensions_server_name"
status=0
for seed in 1 2 3; do
    python3 "$HERE/gen_pcap.py" "$T/gen.pcap" 700 --seed $seed || exit 1
    args=()
    for f in $FIELDS; do args+=(-e "$f"); done
    # No reassembly: we dissect frame by frame, so tshark must too.
    tshark -o ip.defragment:FALSE -o ipv6.defragment:FALSE -o tcp.desegment_tcp_streams:FALSE -r "$T/gen.pcap" -T fields -E separator=/t -E occurrence=a -E aggregator=, "${args[@]}" \
        >"$T/tshark.tsv" 2>"$T/tshark.err" || { cat "$T/tshark.err"; exit 1; }
    "$BIN" -r "$T/gen.pcap" --json >"$T/ours.json" || exit 1
    python3 - "$T/tshark.tsv" "$T/ours.json" "$FIELDS" <<'PY' || status=1
import json, sys
tsv, js, fields = sys.argv[1], sys.argv[2], sys.argv[3].split()
# Our name for a tshark field where they differ (none: the same name means the same value).
alias = {}
def norm(f, v):
    v = v.strip()
    if v == "":
        return []
    out = v.split(",")
    if f in ("tcp.flags",):
        out = [hex(int(x, 16)) for x in out]
    if f in ("dns.id",):
        out = [hex(int(x, 16)) for x in out]
    return out
ours = [json.loads(l) for l in open(js)]
theirs = [l.rstrip("\n").split("\t") for l in open(tsv)]
if len(ours) != len(theirs):
    print("FAIL: %d packets from us, %d from tshark" % (len(ours), len(theirs)))
    sys.exit(1)
bad = 0
checked = 0
nonempty = 0
for i, (o, t) in enumerate(zip(ours, theirs), 1):
    tv = dict(zip(fields, t + [""] * (len(fields) - len(t))))
    # QinQ: tshark names the outer 802.1ad tag ieee8021ad.id, we call every tag vlan.id.
    tv["vlan.id"] = ",".join(x for x in (tv.pop("ieee8021ad.id"), tv["vlan.id"]) if x)
    for f, v in tv.items():
        mine = o.get(alias.get(f, f), [])
        if not isinstance(mine, list):
            mine = [mine]
        mine = [str(x) for x in mine]
        want = norm(f, v)
        if f in ("tcp.flags", "dns.id"):
            mine = [hex(int(x, 16)) for x in mine]
        if f == "vlan.id":
            mine, want = sorted(mine), sorted(want)
        checked += 1
        nonempty += bool(want)
        if mine != want:
            bad += 1
            if bad <= 20:
                print("FAIL frame %d %s: packrat %s, tshark %s" % (i, f, mine, want))
print("tshark: %d packets, %d values compared (%d non-empty), %d differ" % (len(ours), checked, nonempty, bad))
if nonempty < checked // 4:
    print("FAIL: suspiciously few values present")
    bad += 1
sys.exit(1 if bad else 0)
PY
    if command -v tcpdump >/dev/null; then
        TZ=UTC tcpdump -nn -r "$T/gen.pcap" >"$T/tcpdump.txt" 2>/dev/null
        TZ=UTC "$BIN" -r "$T/gen.pcap" --print >"$T/print.txt"
        if ! diff "$T/tcpdump.txt" "$T/print.txt" >"$T/print.diff"; then
            echo "FAIL: --print differs from tcpdump -nn (seed $seed):"
            head -20 "$T/print.diff"
            status=1
        else
            echo "print: $(wc -l <"$T/print.txt") lines identical to tcpdump -nn"
        fi
    fi
done
[ $status -eq 0 ] && echo PASS
exit $status
