#!/usr/bin/env python3
"""Compares a binary PPM (the client's ANARCHY_LAST_FRAME) with a PNG (the demo scene's --png), RGB pixel for pixel:
exit 0 when identical. Used by bench/device_frames.sh CHECK_FRAME=1 on machines without Xvfb."""
import struct, sys, zlib

def png_rgb(path):
    d = open(path, 'rb').read()
    i, idat = 8, b''
    while i < len(d):
        n, t = struct.unpack('>I4s', d[i:i + 8])
        c = d[i + 8:i + 8 + n]
        if t == b'IHDR':
            w, h, _, ct = struct.unpack('>IIBB', c[:10])
        elif t == b'IDAT':
            idat += c
        i += 12 + n
    raw = zlib.decompress(idat)
    bpp = 4 if ct == 6 else 3
    stride = w * bpp
    out, prev = bytearray(), bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    if bpp == 4:
        out = bytearray(b for i in range(0, len(out), 4) for b in out[i:i + 3])
    return w, h, bytes(out)

def ppm_rgb(path):
    d = open(path, 'rb').read()
    parts = d.split(b'\n', 3)
    w, h = map(int, parts[1].split())
    return w, h, parts[3]

a, b = ppm_rgb(sys.argv[1]), png_rgb(sys.argv[2])
same = a == b
print(f"{sys.argv[1]} vs {sys.argv[2]}: {'identical' if same else 'DIFFERENT'} ({a[0]}x{a[1]} / {b[0]}x{b[1]})")
sys.exit(0 if same else 1)
