#!/usr/bin/env python3
"""gen_pcap.py — writes a deterministic capture of common traffic for differential tests.

usage: gen_pcap.py OUT.pcap [COUNT] [--seed N] [--hosts N]

--hosts N draws addresses from a pool of N hosts per IP version (a LAN-like capture; without it
every conversation gets fresh random addresses, which is harsher on address caches).

Packets (Ethernet, ~1 in 4 with a VLAN tag, some QinQ): TCP handshakes and data, HTTP/1.1
requests with Host, TLS ClientHellos with SNI, DNS queries and responses over UDP (A, AAAA,
CNAME, compressed names) and TCP, UDP, ICMP echo, ICMPv6 echo and neighbour solicitation, ARP,
over IPv4 and IPv6, with correct lengths and checksums. Standard library only.
"""
import random
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def dns_name(name):
    out = b""
    for label in name.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


class Gen:
    def __init__(self, seed, hosts=0):
        self.r = random.Random(seed)
        self.pool4 = [self._ip4() for _ in range(hosts)]
        self.pool6 = [self._ip6() for _ in range(hosts)]

    def ip4(self):
        return self.r.choice(self.pool4) if self.pool4 else self._ip4()

    def ip6(self):
        return self.r.choice(self.pool6) if self.pool6 else self._ip6()

    def mac(self):
        return bytes([0x02] + [self.r.randrange(256) for _ in range(5)])

    def _ip4(self):
        return bytes([10, self.r.randrange(256), self.r.randrange(256), self.r.randrange(1, 255)])

    def _ip6(self):
        return bytes([0x20, 0x01, 0x0D, 0xB8] + [self.r.randrange(256) for _ in range(12)])

    def name(self):
        words = ["www", "api", "cdn", "mail", "example", "test", "packrat", "corp", "svc"]
        tld = self.r.choice(["com", "org", "net", "io"])
        n = self.r.randrange(1, 4)
        return ".".join(self.r.choice(words) for _ in range(n)) + "." + tld


def l4_with_csum(proto, src, dst, seg, off):
    if proto == 1:
        pseudo = b""
    elif len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), proto)
    c = csum(pseudo + seg)
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


def ip(proto, src, dst, seg, ttl):
    off = {6: 16, 17: 6, 1: 2, 58: 2}[proto]
    seg = l4_with_csum(proto, src, dst, seg, off)
    if len(src) == 4:
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0x1000, 0x4000, ttl, proto, 0, src, dst)
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        return 0x0800, h + seg
    h = struct.pack("!IHBB16s16s", 0x60000000, len(seg), proto, ttl, src, dst)
    return 0x86DD, h + seg


def tcp(sp, dp, seq, ack, flags, data=b"", opts=b""):
    hl = 20 + len(opts)
    return struct.pack("!HHIIBBHHH", sp, dp, seq, ack, (hl // 4) << 4, flags, 64240, 0, 0) + opts + data


def udp(sp, dp, data):
    return struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data


def dns_query(qid, name, qtype):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", qtype, 1)


def dns_response(qid, name, qtype, addrs, cname=None):
    q = dns_name(name) + struct.pack("!HH", qtype, 1)
    ans = b""
    n = 0
    owner = b"\xc0\x0c"
    if cname:
        rd = dns_name(cname)
        ans += owner + struct.pack("!HHIH", 5, 1, 300, len(rd)) + rd
        owner = struct.pack("!H", 0xC000 | (12 + len(q) + 12))
        n += 1
    for a in addrs:
        t = 1 if len(a) == 4 else 28
        ans += owner + struct.pack("!HHIH", t, 1, 60, len(a)) + a
        n += 1
    return struct.pack("!HHHHHH", qid, 0x8180, 1, n, 0, 0) + q + ans


def dns_other(qid, name, r):
    """NXDomain with an SOA in authority, or an MX/TXT/PTR answer."""
    kind = r.choice(["nx", "mx", "txt", "ptr"])
    qtype = {"nx": 1, "mx": 15, "txt": 16, "ptr": 12}[kind]
    qname = "4.3.2.10.in-addr.arpa" if kind == "ptr" else name
    q = dns_name(qname) + struct.pack("!HH", qtype, 1)
    if kind == "nx":
        soa = dns_name("ns." + name) + dns_name("admin." + name) + struct.pack("!IIIII", 1, 2, 3, 4, 5)
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 6, 1, 60, len(soa)) + soa
        return qtype, qname, struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 1, 0) + q + rr
    if kind == "mx":
        rd = struct.pack("!H", 10) + dns_name("mx." + name)
    elif kind == "txt":
        rd = bytes([11]) + b"v=spf1 -all"
    else:
        rd = dns_name(name)
    rr = b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 300, len(rd)) + rd
    return qtype, qname, struct.pack("!HHHHHH", qid, 0x8580, 1, 1, 0, 0) + q + rr


def client_hello(sni):
    s = sni.encode()
    ext = struct.pack("!HHHBH", 0, len(s) + 5, len(s) + 3, 0, len(s)) + s
    ext += struct.pack("!HHHB", 16, 5, 3, 2) + b"h2"
    body = struct.pack("!H", 0x0303) + bytes(range(32)) + b"\0" + struct.pack("!HHH", 4, 0x1301, 0xC02F)
    body += b"\x01\x00" + struct.pack("!H", len(ext)) + ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def main():
    args = sys.argv[1:]
    seed = 1
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    hosts = 0
    if "--hosts" in args:
        i = args.index("--hosts")
        hosts = int(args[i + 1])
        del args[i:i + 2]
    out = args[0]
    count = int(args[1]) if len(args) > 1 else 400
    g = Gen(seed, hosts)
    r = g.r
    pkts = []
    t = 1700000000.0
    while len(pkts) < count:
        v6 = r.random() < 0.4
        a, b = (g.ip6(), g.ip6()) if v6 else (g.ip4(), g.ip4())
        ttl = r.choice([64, 63, 128, 255, 1])
        kind = r.choice(["tcp", "http", "tls", "dns", "dnsx", "dnstcp", "udp", "icmp", "arp", "frag"])
        frames = []
        sp = r.randrange(1024, 65535)
        if kind == "tcp":
            s, c = r.randrange(2**32), r.randrange(2**32)
            mss = struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02\x08\x0a" + struct.pack("!II", 1, 0) + b"\x01\x03\x03\x07"
            frames.append((6, a, b, tcp(sp, 22, s, 0, 0x02, opts=mss)))
            frames.append((6, b, a, tcp(22, sp, c, (s + 1) & 0xFFFFFFFF, 0x12, opts=mss[:4])))
            frames.append((6, a, b, tcp(sp, 22, (s + 1) & 0xFFFFFFFF, (c + 1) & 0xFFFFFFFF, 0x10)))
            frames.append((6, a, b, tcp(sp, 22, (s + 1) & 0xFFFFFFFF, (c + 1) & 0xFFFFFFFF, 0x18,
                                        bytes(r.randrange(256) for _ in range(r.randrange(1, 1200))))))
            frames.append((6, b, a, tcp(22, sp, (c + 1) & 0xFFFFFFFF, (s + 2) & 0xFFFFFFFF, 0x11)))
        elif kind == "http":
            host = g.name()
            req = ("GET /%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: gen\r\n\r\n" % (r.choice(["", "a", "index.html"]), host)).encode()
            frames.append((6, a, b, tcp(sp, 80, 1000, 2000, 0x18, req)))
            frames.append((6, b, a, tcp(80, sp, 2000, 1000 + len(req), 0x18, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")))
        elif kind == "tls":
            frames.append((6, a, b, tcp(sp, 443, 5000, 6000, 0x18, client_hello(g.name()))))
        elif kind == "dns":
            name = g.name()
            qid = r.randrange(65536)
            qtype = 28 if r.random() < 0.3 else 1
            addrs = [g.ip6() if qtype == 28 else g.ip4() for _ in range(r.randrange(0, 3))]
            frames.append((17, a, b, udp(sp, 53, dns_query(qid, name, qtype))))
            frames.append((17, b, a, udp(53, sp, dns_response(qid, name, qtype, addrs, g.name() if r.random() < 0.3 else None))))
        elif kind == "dnsx":
            qid = r.randrange(65536)
            qtype, qname, resp = dns_other(qid, g.name(), r)
            frames.append((17, a, b, udp(sp, 53, dns_query(qid, qname, qtype))))
            frames.append((17, b, a, udp(53, sp, resp)))
        elif kind == "dnstcp":
            q = dns_query(r.randrange(65536), g.name(), 1)
            frames.append((6, a, b, tcp(sp, 53, 7, 9, 0x18, struct.pack("!H", len(q)) + q)))
        elif kind == "udp":
            frames.append((17, a, b, udp(sp, r.randrange(1024, 65535), bytes(r.randrange(256) for _ in range(r.randrange(0, 1400))))))
        elif kind == "icmp":
            if v6:
                if r.random() < 0.5:
                    frames.append((58, a, b, struct.pack("!BBHHH", 128, 0, 0, r.randrange(65536), r.randrange(65536)) + b"x" * 32))
                else:
                    frames.append((58, a, b, struct.pack("!BBHI16sBB6s", 135, 0, 0, 0, b, 1, 1, g.mac())))
            else:
                frames.append((1, a, b, struct.pack("!BBHHH", 8, 0, 0, r.randrange(65536), r.randrange(65536)) + b"y" * 56))
        for proto, src, dst, seg in frames:
            etype, l3 = ip(proto, src, dst, seg, ttl)
            pkts.append((etype, l3))
        if kind == "frag" and not v6:
            # A UDP datagram in two IPv4 fragments (the first carries the UDP header).
            etype, l3 = ip(17, a, b, udp(sp, 9000, bytes(r.randrange(256) for _ in range(1800))), ttl)
            hdr, body = bytearray(l3[:20]), l3[20:]
            for off, chunk, mf in ((0, body[:1480], 1), (1480, body[1480:], 0)):
                h = bytearray(hdr)
                struct.pack_into("!HHH", h, 2, 20 + len(chunk), 0x2000 + 1, (mf << 13) | (off // 8))
                struct.pack_into("!H", h, 10, 0)
                struct.pack_into("!H", h, 10, csum(bytes(h)))
                pkts.append((0x0800, bytes(h) + chunk))
        if kind == "arp":
            pkts.append((0x0806, struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, r.choice([1, 2]), g.mac(), g.ip4(), b"\0" * 6, g.ip4())))
    pkts = pkts[:count]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for etype, l3 in pkts:
            tag = b""
            x = r.random()
            if x < 0.15:
                tag = struct.pack("!HH", 0x8100, r.randrange(1, 4095))
            elif x < 0.2:
                tag = struct.pack("!HHHH", 0x88A8, r.randrange(1, 4095), 0x8100, r.randrange(1, 4095))
            frame = g.mac() + g.mac() + tag + struct.pack("!H", etype) + l3
            if len(frame) < 60:
                frame += b"\0" * (60 - len(frame))
            t += r.random() * 0.01
            sec = int(t)
            usec = int((t - sec) * 1e6)
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


if __name__ == "__main__":
    main()
