#!/usr/bin/python3
"""Decodes enough of a PNG to tell a blank screenshot from a drawn one (stdlib only).

usage: png_stats.py FILE.png  ->  JSON {width, height, bytes, changing_fraction}
changing_fraction: share of scanline bytes that differ from the byte one pixel to the left
(after undoing the row filters), i.e. 0 for a single-colour image.
"""
import json
import struct
import sys
import zlib


def main():
    data = open(sys.argv[1], "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    channels = {2: 3, 6: 4, 0: 1, 4: 2}[colour] * depth // 8
    stride = width * channels
    previous = bytearray(stride)
    changing = total = 0
    # Sample every 10th row fully unfiltered (filters need the row above, so undo all rows).
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b, c = previous[i], previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        if row % 10 == 0:
            changing += sum(1 for i in range(channels, stride) if line[i] != line[i - channels])
            total += stride - channels
        previous = line
    print(json.dumps({"width": width, "height": height, "bytes": len(data), "changing_fraction": changing / total}))


if __name__ == "__main__":
    main()
