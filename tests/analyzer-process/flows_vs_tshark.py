#!/usr/bin/env python3
"""flows_vs_tshark.py — packrat --flows against tshark's conversation tables and the generator's
own truth, on a mixed capture (IPv4/IPv6, VLAN, TCP/UDP/ICMP, DNS/HTTP/TLS) the test generates.

Per TCP/UDP conversation: packets per direction must equal tshark -z conv (exact frame counts)
and the generator's truth; bytes per direction must equal the truth exactly and agree with
tshark's (rounded) figures. ICMP flows are checked against the truth only.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

root = os.environ.get("PACKRAT_ROOT", os.path.dirname(os.path.abspath(__file__)) + "/../..")
bindir = os.environ.get("PACKRAT_BIN", root + "/build/bin")
failures = []


def fail(msg):
    failures.append(msg)
    if len(failures) < 20:
        print("FAIL:", msg)


def unbracket(ep):
    return ep.replace("[", "").replace("]", "")


def human_bytes(n, unit):
    mult = {"bytes": 1, "kB": 1000, "MB": 1000**2, "GB": 1000**3}[unit]
    return float(n) * mult, mult


with tempfile.TemporaryDirectory() as tmp:
    pcap, truth_file = tmp + "/t.pcap", tmp + "/truth.json"
    subprocess.run([sys.executable, root + "/tests/tools/gen_traffic.py", pcap, "--packets", "30000",
                    "--flows", "400", "--seconds", "20", "--seed", "7", "--expect", truth_file], check=True)
    truth = json.load(open(truth_file))
    out = subprocess.run([bindir + "/packrat", "-r", pcap, "--flows", "--json"], check=True,
                         capture_output=True, text=True).stdout
    flows = [json.loads(line) for line in out.splitlines() if line.strip()]
    by_pair = {}
    for f in flows:
        by_pair[frozenset([unbracket(f["a"]), unbracket(f["b"])])] = f

    conv = subprocess.run(["tshark", "-r", pcap, "-q", "-z", "conv,tcp", "-z", "conv,udp"],
                          check=True, capture_output=True, text=True).stdout
    pat = re.compile(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+([\d.]+) (bytes|kB|MB)\s+(\d+)\s+([\d.]+) (bytes|kB|MB)")
    tshark_convs = 0
    for line in conv.splitlines():
        m = pat.match(line)
        if not m:
            continue
        tshark_convs += 1
        a, b = m.group(1), m.group(2)
        ba_frames, ab_frames = int(m.group(3)), int(m.group(6))  # "<-" is B->A, "->" is A->B
        ba_bytes, ba_unit = human_bytes(m.group(4), m.group(5))
        ab_bytes, ab_unit = human_bytes(m.group(7), m.group(8))
        f = by_pair.get(frozenset([a, b]))
        if not f:
            fail("tshark conversation %s <-> %s missing from packrat --flows" % (a, b))
            continue
        if unbracket(f["a"]) == a:
            mine = (f["packets_ab"], f["packets_ba"], f["bytes_ab"], f["bytes_ba"])
        else:
            mine = (f["packets_ba"], f["packets_ab"], f["bytes_ba"], f["bytes_ab"])
        if (mine[0], mine[1]) != (ab_frames, ba_frames):
            fail("%s <-> %s: packrat %d/%d packets, tshark %d/%d" % (a, b, mine[0], mine[1], ab_frames, ba_frames))
        for got, want, unit in ((mine[2], ab_bytes, ab_unit), (mine[3], ba_bytes, ba_unit)):
            if abs(got - want) > (unit if unit > 1 else 0):
                fail("%s <-> %s: packrat %d bytes, tshark %.0f" % (a, b, got, want))
    tcp_udp = [f for f in flows if f["proto"] in ("TCP", "UDP")]
    if tshark_convs == 0:
        fail("could not read tshark's conversation table")
    if tshark_convs != len(tcp_udp):
        fail("tshark lists %d TCP/UDP conversations, packrat %d" % (tshark_convs, len(tcp_udp)))

    # The generator's truth, for every flow including ICMP: exact packets and bytes.
    checked = 0
    for t in truth:
        def ep(addr_hex, port, v):
            addr = bytes.fromhex(addr_hex)
            if v == 4:
                s = ".".join(str(x) for x in addr)
            else:
                import ipaddress
                s = str(ipaddress.IPv6Address(addr))
            return s if t["kind"] == "icmp" else "%s:%d" % (s, port)
        ea, eb = ep(t["a"], t["sport"], t["v"]), ep(t["b"], t["dport"], t["v"])
        f = by_pair.get(frozenset([ea, eb]))
        if not f:
            fail("generated flow %s <-> %s missing" % (ea, eb))
            continue
        checked += 1
        if unbracket(f["a"]) == ea:
            got = [f["packets_ab"], f["packets_ba"], f["bytes_ab"], f["bytes_ba"]]
        else:
            got = [f["packets_ba"], f["packets_ab"], f["bytes_ba"], f["bytes_ab"]]
        want = t["packets"] + t["bytes"]
        if got != want:
            fail("flow %s <-> %s: packrat %s, generated %s" % (ea, eb, got, want))
        if f["vlan"] != t["vlan"]:
            fail("flow %s <-> %s: vlan %d, generated %d" % (ea, eb, f["vlan"], t["vlan"]))

print("%d tshark conversations, %d generated flows checked, %d failures" % (tshark_convs, checked, len(failures)))
sys.exit(1 if failures or checked < 100 else 0)
