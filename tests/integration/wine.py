"""Wine helpers of the integration tests: a prefix per test, the environment Wine programs run in, and reading a
window back from an `xwd -root` dump."""

import struct
import subprocess
import sys


def wine_env(base, prefix, display):
    env = dict(base)
    env.update({
        'WINEPREFIX': prefix,
        'DISPLAY': display,
        'WINEARCH': 'win64',
        'WINEDEBUG': '-all',
        # DXVK's DLLs (beside the .exe) over Wine's builtin ones; no Mono/Gecko installers at wineboot; a crash exits
        # instead of waiting in winedbg.
        'WINEDLLOVERRIDES': 'd3d11,dxgi=n;mscoree,mshtml=;winedbg.exe=d',
        'DXVK_LOG_LEVEL': 'info',
        'DXVK_LOG_PATH': 'none',
        'DXVK_STATE_CACHE': '0',
    })
    env.pop('WAYLAND_DISPLAY', None)
    return env


def make_prefix(prefix, env):
    """A fresh 64-bit prefix with XRandR off (Xvfb's 0 Hz mode would make DXGI divide by zero)."""
    r = subprocess.run(['wineboot', '-i'], env=env, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        sys.exit(f'wineboot -i failed ({r.returncode}):\n{r.stderr[-2000:]}')
    r = subprocess.run(['wine', 'reg', 'add', r'HKCU\Software\Wine\X11 Driver', '/v', 'UseXRandR', '/d', 'N', '/f'],
                       env=env, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        sys.exit(f'wine reg add UseXRandR failed ({r.returncode}):\n{r.stderr[-2000:]}')


def read_xwd_rgb(data, x0, y0, width, height):
    """RGB bytes of a rectangle of an XWD dump (ZPixmap, 24 or 32 bits per pixel, as Xvfb's root window is)."""
    header = struct.unpack('>25I', data[:100])
    header_size, pixmap_format, byte_order, bpp, bytes_per_line = header[0], header[2], header[7], header[11], header[12]
    red_mask, green_mask, blue_mask, ncolors = header[14], header[15], header[16], header[19]
    if pixmap_format != 2 or bpp not in (24, 32):
        raise ValueError(f'unsupported XWD: format {pixmap_format}, {bpp} bits per pixel')
    pixels = data[header_size + 12 * ncolors:]
    step = bpp // 8
    shifts = [(m, (m & -m).bit_length() - 1) for m in (red_mask, green_mask, blue_mask)]
    out = bytearray()
    for y in range(y0, y0 + height):
        row = pixels[y * bytes_per_line:(y + 1) * bytes_per_line]
        for x in range(x0, x0 + width):
            v = int.from_bytes(row[x * step:(x + 1) * step], 'little' if byte_order == 0 else 'big')
            out += bytes((v & m) >> sh for m, sh in shifts)
    return bytes(out)
