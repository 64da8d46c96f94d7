#!/usr/bin/env python3
"""What the remote driver offers against the GPU host's own driver: API version, device and instance extensions,
and device features, from `vulkaninfo` run natively and through `anarchy run` (server on loopback). Every
missing extension is listed with the reason the generator recorded (vk_schema_autogen.cpp), or "not reported by
the server driver through the protocol" when there is none.

Usage: extension_report.py --anarchy PATH [--vulkaninfo PATH] [--reasons vk_schema_autogen.cpp]
The environment selects the native driver (VK_ICD_FILENAMES / VK_DRIVER_FILES), as for the server."""

import argparse
import os
import re
import socket
import subprocess
import sys
import time


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def parse(text):
    """(apiVersion, instance extensions, device extensions, features set to true) of the first device."""
    api = re.search(r'apiVersion\s*=\s*(\S+)', text)
    inst, dev, feats = set(), set(), set()
    section = None
    devices_seen = 0
    for line in text.splitlines():
        s = line.strip()
        if s.startswith('Instance Extensions:'):
            section = 'inst'
            continue
        if s.startswith('Device Extensions:'):
            devices_seen += 1
            section = 'dev' if devices_seen == 1 else None
            continue
        m = re.match(r'^(VK_\w+)\s*:\s*extension revision', s)
        if m and section == 'inst':
            inst.add(m.group(1))
            continue
        if m and section == 'dev':
            dev.add(m.group(1))
            continue
        if not m and s and not s.startswith('=') and not s.startswith('-'):
            if section in ('inst', 'dev') and not s.startswith('VK_'):
                section = None
        fm = re.match(r'^(\w+)\s*=\s*true$', s)
        if fm and devices_seen <= 1:
            feats.add(fm.group(1))
    return (api.group(1) if api else '?'), inst, dev, feats


def reasons(path):
    out = {}
    if path and os.path.exists(path):
        for m in re.finditer(r'\{"(VK_\w+)", (".*?")\}', open(path).read()):
            out[m.group(1)] = m.group(2).strip('"')
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--anarchy', required=True)
    ap.add_argument('--vulkaninfo', default='vulkaninfo')
    ap.add_argument('--reasons')
    args = ap.parse_args()
    native = subprocess.run([args.vulkaninfo], capture_output=True, text=True, timeout=120)
    port = free_port()
    server = subprocess.Popen([args.anarchy, 'serve', '--listen', f'127.0.0.1:{port}'],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        remote = subprocess.run([args.anarchy, 'run', '--server', f'127.0.0.1:{port}', '--', args.vulkaninfo],
                                capture_output=True, text=True, timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=10)
    if native.returncode != 0 or remote.returncode != 0:
        print('vulkaninfo failed: native rc', native.returncode, 'remote rc', remote.returncode)
        print(native.stderr[-2000:], remote.stderr[-2000:])
        return 1
    n_api, n_inst, n_dev, n_feat = parse(native.stdout)
    r_api, r_inst, r_dev, r_feat = parse(remote.stdout)
    why = reasons(args.reasons)
    print(f'apiVersion: native {n_api}, remote {r_api}')
    print(f'device extensions: native {len(n_dev)}, remote {len(r_dev)}, missing {len(n_dev - r_dev)}')
    print(f'instance extensions: native {len(n_inst)}, remote {len(r_inst)}')
    print(f'device features true: native {len(n_feat)}, remote {len(r_feat)}, missing {len(n_feat - r_feat)}')
    for name in sorted(n_dev - r_dev):
        print(f'  missing device extension {name}: {why.get(name, "not reported by the server driver through the protocol")}')
    for name in sorted(n_inst - r_inst):
        print(f'  missing instance extension {name}: {why.get(name, "-")}')
    for name in sorted(n_feat - r_feat):
        print(f'  missing feature {name}')
    for name in sorted(r_dev - n_dev):
        print(f'  remote-only device extension {name}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
