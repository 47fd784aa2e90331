#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""png-pixel.py FILE X Y [X Y ...]: the colour of each pixel, #rrggbb, one
a line.  Reads the 8-bit RGB and RGBA PNGs that Chromium's screenshots
are, with the standard library alone (zlib and the five row filters)."""
import struct
import sys
import zlib


def decode(path):
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        sys.exit(f'{path}: not a PNG')
    pos, idat, head = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            head = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        elif kind == b'IEND':
            break
    width, height, depth, colour, _, _, interlace = head
    if depth != 8 or colour not in (2, 6) or interlace:
        sys.exit(f'{path}: depth {depth} colour type {colour} '
                 f'interlace {interlace}: not read here')
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        filt, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if filt == 1:
                line[x] = (line[x] + a) & 255
            elif filt == 2:
                line[x] = (line[x] + b) & 255
            elif filt == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pred) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def main():
    width, height, bpp, rows = decode(sys.argv[1])
    pts = sys.argv[2:]
    for x, y in zip(pts[::2], pts[1::2]):
        x, y = int(x), int(y)
        if not (0 <= x < width and 0 <= y < height):
            sys.exit(f'{x},{y} is outside the {width}x{height} picture')
        r, g, b = rows[y][x * bpp:x * bpp + 3]
        print(f'#{r:02x}{g:02x}{b:02x}')


main()
