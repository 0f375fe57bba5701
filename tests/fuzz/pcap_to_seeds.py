#!/usr/bin/env python3
"""pcap_to_seeds.py OUTDIR MAX FILE... — turns frames of classic pcap files into fuzz seeds for
fuzz_dissect (byte 0 = link-type index as in fuzz_dissect.c, byte 1 = 0, then the frame).
pcapng and unknown link types are skipped; at most MAX seeds per file, deduplicated by content."""
import hashlib
import os
import struct
import sys

LINKS = {1: 0, 113: 1, 276: 2, 12: 3, 101: 3, 228: 4, 229: 5, 0: 6, 108: 7}


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None, []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None, []
    link = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if caplen > 262144 or off + caplen > len(data):
            break
        out.append(data[off:off + caplen])
        off += caplen
    return link, out


def main():
    outdir, limit = sys.argv[1], int(sys.argv[2])
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for path in sys.argv[3:]:
        link, fr = frames(path)
        if link not in LINKS:
            continue
        for frame in fr[:limit]:
            seed = bytes([LINKS[link], 0]) + frame
            name = hashlib.sha1(seed).hexdigest()
            with open(os.path.join(outdir, name), "wb") as f:
                f.write(seed)
            n += 1
    print("%d seeds" % n)


if __name__ == "__main__":
    main()
