#!/usr/bin/env python3
"""gen_traffic.py — writes a realistic nanosecond pcap for tests and benchmarks.

Mixed traffic over a chosen number of flows: TCP conversations (handshake, HTTP requests and
responses, TLS ClientHello with SNI, FIN close), UDP DNS queries and answers, other UDP, ICMP
echo, over IPv4 and IPv6, some flows VLAN-tagged, frame sizes 60-1514. Deterministic for a seed,
so a test can know exactly what it generated (--expect writes per-flow truth as JSON).

usage: gen_traffic.py OUT.pcap [--packets N] [--flows N] [--seconds S] [--seed N]
                              [--expect FLOWS.json]
"""
import argparse
import json
import random
import struct


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ttl=64, ident=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, ttl,
                      proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, proto, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, hlim, src, dst) + payload


def l4_checksum(v, src, dst, proto, seg):
    if v == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), proto)
    return csum(pseudo + seg)


def tcp(v, src, dst, sport, dport, seq, ack, flags, payload=b"", opts=b""):
    off = (20 + len(opts)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off << 4,
                      flags, 64240, 0, 0) + opts + payload
    c = l4_checksum(v, src, dst, 6, seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(v, src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4_checksum(v, src, dst, 17, seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp_echo(ident, seq, payload, v6=False, src=None, dst=None):
    t = 128 if v6 else 8
    msg = struct.pack("!BBHHH", t, 0, 0, ident, seq) + payload
    if v6:
        c = l4_checksum(6, src, dst, 58, msg)
    else:
        c = csum(msg)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def dns_query(qid, name, qtype=1):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


def dns_answer(qid, name, addr):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + addr
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + struct.pack("!HH", 1, 1) + ans


def tls_client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    body = (struct.pack("!H", 0x0303) + bytes(32) + b"\0" + struct.pack("!H", 2) + b"\x13\x01" +
            b"\x01\x00" + struct.pack("!H", len(sni_ext)) + sni_ext)
    hs = struct.pack("!B", 1) + struct.pack("!I", len(body))[1:] + body
    return struct.pack("!BHH", 22, 0x0301, len(hs)) + hs


def ether(src_mac, dst_mac, ethertype, payload, vlan=None):
    if vlan is not None:
        return dst_mac + src_mac + struct.pack("!HHH", 0x8100, vlan, ethertype) + payload
    return dst_mac + src_mac + struct.pack("!H", ethertype) + payload


class Flow:
    def __init__(self, rng, idx):
        self.idx = idx
        self.v = 6 if rng.random() < 0.25 else 4
        self.vlan = rng.choice([None, None, None, 100, 200])
        kind = rng.random()
        self.kind = "tcp" if kind < 0.6 else ("dns" if kind < 0.8 else ("udp" if kind < 0.92 else "icmp"))
        if self.v == 4:
            self.a = bytes([10, 1, idx >> 8 & 255, idx & 255])
            self.b = bytes([10, 2, rng.randrange(256), rng.randrange(1, 255)])
        else:
            self.a = bytes.fromhex("20010db8000000010000000000") + struct.pack("!H", idx) + b"\x01"
            self.b = bytes.fromhex("20010db8000000020000000000") + struct.pack("!H", idx) + b"\x02"
        self.amac = bytes([2, 0, 0, 0, idx >> 8 & 255, idx & 255])
        self.bmac = bytes([2, 0, 0, 1, idx >> 8 & 255, idx & 255])
        self.sport = 20000 + idx % 40000
        self.dport = {"tcp": rng.choice([80, 443, 8080]), "dns": 53, "udp": 9999, "icmp": 0}[self.kind]
        self.seq = [rng.randrange(1 << 32), rng.randrange(1 << 32)]
        self.step = 0
        self.name = "host%d.example.com" % idx
        self.pkts = [0, 0]
        self.bytes = [0, 0]

    def frame(self, rng, direction, l4):
        src, dst = (self.a, self.b) if direction == 0 else (self.b, self.a)
        smac, dmac = (self.amac, self.bmac) if direction == 0 else (self.bmac, self.amac)
        proto = {"tcp": 6, "dns": 17, "udp": 17, "icmp": 1 if self.v == 4 else 58}[self.kind]
        if self.v == 4:
            pkt = ipv4(src, dst, proto, l4, ident=rng.randrange(65536))
            et = 0x0800
        else:
            pkt = ipv6(src, dst, proto, l4)
            et = 0x86DD
        f = ether(smac, dmac, et, pkt, self.vlan)
        if len(f) < 60:
            f += bytes(60 - len(f))
        self.pkts[direction] += 1
        self.bytes[direction] += len(f)
        return f

    def next_frame(self, rng):
        s = self.step
        self.step += 1
        src_d = lambda d: (self.a, self.b) if d == 0 else (self.b, self.a)
        if self.kind == "tcp":
            script = [(0, 0x02, b""), (1, 0x12, b""), (0, 0x10, b"")]
            if s < 3:
                d, fl, pl = script[s]
            else:
                d = 0 if s % 2 else 1
                fl = 0x18
                if s == 3 and self.dport == 443:
                    pl = tls_client_hello(self.name)
                elif s == 3:
                    pl = ("GET /item/%d HTTP/1.1\r\nHost: %s\r\nUser-Agent: gen\r\n\r\n" % (self.idx, self.name)).encode()
                elif s == 4 and self.dport != 443:
                    body = b"x" * rng.randrange(0, 1300)
                    pl = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
                else:
                    pl = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 1400))) if rng.random() < 0.3 else b"data " * rng.randrange(0, 280)
            src, dst = src_d(d)
            sp, dp = (self.sport, self.dport) if d == 0 else (self.dport, self.sport)
            syn = 1 if fl & 0x02 else 0
            l4 = tcp(self.v, src, dst, sp, dp, self.seq[d], self.seq[1 - d], fl, pl,
                     opts=b"\x02\x04\x05\xb4" if syn else b"")
            self.seq[d] += len(pl) + syn
            return self.frame(rng, d, l4)
        if self.kind == "dns":
            d = s % 2
            src, dst = src_d(d)
            qid = (self.idx * 7 + s // 2) & 0xFFFF
            if d == 0:
                l4 = udp(self.v, src, dst, self.sport, 53, dns_query(qid, self.name))
            else:
                l4 = udp(self.v, src, dst, 53, self.sport, dns_answer(qid, self.name, bytes([192, 0, 2, self.idx & 255])))
            return self.frame(rng, d, l4)
        if self.kind == "udp":
            d = 0 if rng.random() < 0.7 else 1
            src, dst = src_d(d)
            sp, dp = (self.sport, self.dport) if d == 0 else (self.dport, self.sport)
            return self.frame(rng, d, udp(self.v, src, dst, sp, dp, bytes(rng.randrange(18, 1400))))
        d = s % 2
        src, dst = src_d(d)
        pl = b"ping-payload-" + bytes(rng.randrange(0, 40))
        if self.v == 4:
            msg = icmp_echo(self.idx, s // 2, pl)
            if d == 1:
                msg = b"\x00" + msg[1:2] + b"\0\0" + msg[4:]
                msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
        else:
            msg = icmp_echo(self.idx, s // 2, pl, True, src, dst)
            if d == 1:
                msg = b"\x81" + msg[1:2] + b"\0\0" + msg[4:]
                msg = msg[:2] + struct.pack("!H", l4_checksum(6, src, dst, 58, msg)) + msg[4:]
        return self.frame(rng, d, msg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--packets", type=int, default=10000)
    ap.add_argument("--flows", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--expect")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    flows = [Flow(rng, i + 1) for i in range(args.flows)]
    t0 = 1_700_000_000 * 10**9
    step = int(args.seconds * 1e9 / max(args.packets, 1))
    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        buf = []
        for i in range(args.packets):
            fl = flows[i % len(flows)] if i < len(flows) * 3 else rng.choice(flows)
            frame = fl.next_frame(rng)
            ts = t0 + i * step
            buf.append(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(frame), len(frame)))
            buf.append(frame)
            if len(buf) > 20000:
                f.write(b"".join(buf))
                buf = []
        f.write(b"".join(buf))
    if args.expect:
        with open(args.expect, "w") as f:
            json.dump([{"v": fl.v, "vlan": fl.vlan or 0, "kind": fl.kind, "a": fl.a.hex(),
                        "b": fl.b.hex(), "sport": fl.sport, "dport": fl.dport,
                        "packets": fl.pkts, "bytes": fl.bytes} for fl in flows if sum(fl.pkts)],
                      f)


if __name__ == "__main__":
    main()
