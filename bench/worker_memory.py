#!/usr/bin/env python3
"""What a session's worker process holds: address space (VmSize), private writable mappings (VmData, what
RLIMIT_DATA counts) and resident memory (VmRSS), at their peak while one test program runs through the server;
and the server's own process and the spare worker beside it. Shows why `anarchy serve --worker-memory` samples the
resident set rather than setting RLIMIT_AS or RLIMIT_DATA.

    python3 bench/worker_memory.py --build build [--program graphics]

The server's Vulkan driver is whatever its environment picks (set VK_DRIVER_FILES for a particular one).
"""

import argparse
import os
import socket
import subprocess
import sys
import time

FIELDS = ('VmSize', 'VmData', 'VmRSS', 'Threads')


def status(pid):
    out = {}
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            key, _, value = line.partition(':')
            if key in FIELDS:
                out[key] = int(value.split()[0])
    return out


def children(pid):
    found = set()
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/children') as f:
                found.update(int(c) for c in f.read().split())
        except OSError:
            pass
    return found


def show(label, st):
    print(f'{label:34s} VmSize {st.get("VmSize", 0) / 1024:9.1f} MiB  VmData {st.get("VmData", 0) / 1024:9.1f} MiB  '
          f'VmRSS {st.get("VmRSS", 0) / 1024:8.1f} MiB  threads {st.get("Threads", 0)}', flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--program', default='graphics')
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    address = f'127.0.0.1:{port}'
    server = subprocess.Popen([os.path.join(build, 'anarchy'), 'serve', '--listen', address],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit('the server did not start')
                time.sleep(0.05)
        time.sleep(3)  # the spare worker loads its driver
        show('server process', status(server.pid))
        spares = children(server.pid)
        for pid in spares:
            show(f'spare worker {pid} (driver loaded)', status(pid))
        prog = os.path.join(build, 'tests', 'programs', 'anarchy_testprog')
        client = subprocess.Popen([os.path.join(build, 'anarchy'), 'run', '--server', address, '--', prog,
                                   args.program, '--out', '/tmp/worker_memory.out'],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        peak = {}
        while client.poll() is None:
            for pid in children(server.pid):
                try:
                    st = status(pid)
                except OSError:
                    continue
                mine = peak.setdefault(pid, {})
                for k, v in st.items():
                    mine[k] = max(mine.get(k, 0), v)
            time.sleep(0.05)
        if client.returncode != 0:
            print(f'{args.program} failed ({client.returncode}): {client.stderr[-1500:]}')
        for pid, st in peak.items():
            # The spare took the session; the worker started after it is the next spare.
            show(f'worker {pid} peak ({args.program})' if pid in spares else f'worker {pid} peak (next spare)', st)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == '__main__':
    sys.exit(main())
