#!/usr/bin/env python3
"""mkpcap.py — writes the viewer tests' known capture (classic pcap, Ethernet, microseconds).

  mkpcap.py OUT.pcap            the known set (below)
  mkpcap.py OUT.pcap --bulk N   N small UDP/TCP frames over 64 flows, for the benchmark

The known set, spread over 20 seconds so that Visualize has several columns:
  * one HTTP conversation 10.1.1.1:40000 <-> 10.1.1.2:80: 7 packets client->server and
    5 server->client (12 in all); the request carries the string "packrat-known-payload-1234";
  * 20 DNS queries 10.1.1.1:5353 -> 10.1.1.53:53 (UDP) with answers (40 UDP frames);
  * 4 ICMP echo requests and replies between 10.1.1.1 and 10.1.1.9;
  * one IPv4 (GRE) frame whose header length field lies (a malformed frame).
Checksums are correct, so only the lying frame is marked malformed.
"""
import struct
import sys

T0 = 1700000000


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def eth(payload, src=b"\x02\x00\x00\x00\x00\x01", dst=b"\x02\x00\x00\x00\x00\x02"):
    return dst + src + b"\x08\x00" + payload


def ipv4(src, dst, proto, payload, ident=1, ihl=5):
    total = 20 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", (4 << 4) | ihl, 0, total, ident, 0x4000, 64, proto, 0,
                      ip4(src), ip4(dst))
    c = csum(hdr)
    hdr = hdr[:10] + struct.pack("!H", c) + hdr[12:]
    return hdr + payload


def l4sum(src, dst, proto, seg):
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(seg))
    return csum(pseudo + seg)


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    c = l4sum(src, dst, 6, seg)
    seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    return ipv4(src, dst, 6, seg)


def udp(src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4sum(src, dst, 17, seg) or 0xFFFF
    seg = seg[:6] + struct.pack("!H", c) + seg[8:]
    return ipv4(src, dst, 17, seg)


def icmp_echo(src, dst, typ, ident, seqn):
    body = struct.pack("!BBHHH", typ, 0, 0, ident, seqn) + b"packrat-ping-data"
    c = csum(body)
    body = body[:2] + struct.pack("!H", c) + body[4:]
    return ipv4(src, dst, 1, body)


def dns_query(qid, name, answer=None):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    if answer is None:
        return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)
    ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + ip4(answer)
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + struct.pack("!HH", 1, 1) + ans


def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in frames:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)))
            f.write(fr)


def known():
    fr = []
    C, S = "10.1.1.1", "10.1.1.2"
    cs, ss = 1000, 5000
    t = T0 + 0.5
    req = (b"GET /index.html HTTP/1.1\r\nHost: rat.example\r\nUser-Agent: packrat-test\r\n"
           b"X-Token: packrat-known-payload-1234\r\n\r\n")
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\nhello from the rat nest\n"
    conv = [
        (0, tcp(C, S, 40000, 80, cs, 0, 0x02)),                      # SYN
        (1, tcp(S, C, 80, 40000, ss, cs + 1, 0x12)),                 # SYN-ACK
        (0, tcp(C, S, 40000, 80, cs + 1, ss + 1, 0x10)),             # ACK
        (0, tcp(C, S, 40000, 80, cs + 1, ss + 1, 0x18, req)),        # request
        (1, tcp(S, C, 80, 40000, ss + 1, cs + 1 + len(req), 0x10)),  # ACK
        (1, tcp(S, C, 80, 40000, ss + 1, cs + 1 + len(req), 0x18, resp)),
        (0, tcp(C, S, 40000, 80, cs + 1 + len(req), ss + 1 + len(resp), 0x10)),
        (0, tcp(C, S, 40000, 80, cs + 1 + len(req), ss + 1 + len(resp), 0x10)),  # ACK (no FIN: a closed flow would expire before the test looks)
        (1, tcp(S, C, 80, 40000, ss + 1 + len(resp), cs + 2 + len(req), 0x10)),   # ACK
        (0, tcp(C, S, 40000, 80, cs + 2 + len(req), ss + 2 + len(resp), 0x10)),
        (0, tcp(C, S, 40000, 80, cs + 2 + len(req), ss + 2 + len(resp), 0x10)),  # dup ACK
        (1, tcp(S, C, 80, 40000, ss + 2 + len(resp), cs + 2 + len(req), 0x10)),
    ]
    assert sum(1 for d, _ in conv if d == 0) == 7 and sum(1 for d, _ in conv if d == 1) == 5
    for i, (d, p) in enumerate(conv):
        fr.append((t + i * 0.4, eth(p) if d == 0 else eth(p, src=b"\x02\0\0\0\0\x02",
                                                          dst=b"\x02\0\0\0\0\x01")))
    for i in range(20):
        ts = T0 + 1 + i * 0.9
        q = udp(C, "10.1.1.53", 5353, 53, dns_query(0x100 + i, "host%d.rat.example" % i))
        a = udp("10.1.1.53", C, 53, 5353,
                dns_query(0x100 + i, "host%d.rat.example" % i, "192.0.2.%d" % (i + 1)))
        fr.append((ts, eth(q)))
        fr.append((ts + 0.01, eth(a, src=b"\x02\0\0\0\0\x35", dst=b"\x02\0\0\0\0\x01")))
    for i in range(4):
        ts = T0 + 3 + i * 4
        fr.append((ts, eth(icmp_echo(C, "10.1.1.9", 8, 7, i))))
        fr.append((ts + 0.002, eth(icmp_echo("10.1.1.9", C, 0, 7, i))))
    bad = bytearray(ipv4(C, S, 47, b"\0" * 16))  # GRE: matched by neither udp nor tcp
    bad[0] = 0x43  # IHL 3: shorter than the minimum header
    fr.append((T0 + 19.5, eth(bytes(bad))))
    fr.sort(key=lambda x: x[0])
    return fr


def bulk(n):
    """n frames over 64 flows, one per microsecond of file time; built from templates."""
    tmpl = []
    for k in range(64):
        src = "10.2.%d.1" % k
        if k % 2:
            tmpl.append(eth(udp(src, "10.3.0.1", 20000 + k, 53, b"q" * 18)))
        else:
            tmpl.append(eth(tcp(src, "10.3.0.1", 30000 + k, 443, 1, 1, 0x10, b"d" * 6)))
    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        out = []
        for i in range(n):
            p = tmpl[i % 64]
            us = i % 1000000
            out.append(struct.pack("<IIII", T0 + i // 1000000, us, len(p), len(p)) + p)
            if len(out) >= 65536:
                f.write(b"".join(out))
                out = []
        f.write(b"".join(out))


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[2] == "--bulk":
        bulk(int(sys.argv[3]))
    else:
        write(sys.argv[1], known())
