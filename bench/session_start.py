#!/usr/bin/env python3
"""Time to start a session: connect, handshake and the vkCreateInstance round trip (then vkDestroyInstance), as a
program sees it through the Anarchy driver, against `anarchy serve --session-mode thread` (the session in the
server's process), `--session-mode process` (a worker process per session, the next one waiting ready with its
driver loaded) and `--session-mode process --no-spare-worker` (each worker started when its client comes).

    python3 bench/session_start.py --build build [--sessions 30]

The server's own Vulkan driver is whatever its environment picks (lavapipe with --lavapipe, the default here).
Prints the median, p90 and mean per mode, and the worker's extra cost.
"""

import argparse
import ctypes
import json
import os
import socket
import statistics
import subprocess
import sys
import time

LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json'


class VkInstanceCreateInfo(ctypes.Structure):
    _fields_ = [('sType', ctypes.c_uint32), ('pNext', ctypes.c_void_p), ('flags', ctypes.c_uint32),
                ('pApplicationInfo', ctypes.c_void_p), ('enabledLayerCount', ctypes.c_uint32),
                ('ppEnabledLayerNames', ctypes.c_void_p), ('enabledExtensionCount', ctypes.c_uint32),
                ('ppEnabledExtensionNames', ctypes.c_void_p)]


def client(sessions):
    """Runs in a process whose Vulkan loader sees only the Anarchy driver; prints one JSON list of seconds."""
    vk = ctypes.CDLL('libvulkan.so.1')
    vk.vkCreateInstance.argtypes = [ctypes.POINTER(VkInstanceCreateInfo), ctypes.c_void_p,
                                    ctypes.POINTER(ctypes.c_void_p)]
    vk.vkDestroyInstance.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    info = VkInstanceCreateInfo(sType=1)
    times = []
    for _ in range(sessions):
        inst = ctypes.c_void_p()
        start = time.perf_counter()
        r = vk.vkCreateInstance(ctypes.byref(info), None, ctypes.byref(inst))
        took = time.perf_counter() - start
        if r != 0:
            raise SystemExit(f'vkCreateInstance returned {r}')
        vk.vkDestroyInstance(inst, None)
        times.append(took)
        # Let the session end on the server, and the next spare worker start (2 s after a session does) and warm up.
        time.sleep(3.0)
    print(json.dumps(times))


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


MODES = {'thread': ['--session-mode', 'thread'], 'process': ['--session-mode', 'process'],
         'process, no spare': ['--session-mode', 'process', '--no-spare-worker']}


def measure(build, mode, sessions, server_env):
    port = free_port()
    address = f'127.0.0.1:{port}'
    server = subprocess.Popen([os.path.join(build, 'anarchy'), 'serve', '--listen', address, *MODES[mode]],
                              env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit(f'the {mode} server did not start')
                time.sleep(0.05)
        env = dict(os.environ)
        manifest = os.path.join(build, 'anarchy_icd.json')
        env.update({'ANARCHY_SERVER': address, 'VK_ICD_FILENAMES': manifest, 'VK_DRIVER_FILES': manifest})
        out = subprocess.run([sys.executable, __file__, '--client', str(sessions)], env=env, capture_output=True,
                             text=True, timeout=600)
        if out.returncode != 0:
            raise SystemExit(f'the client failed against the {mode} server: {out.stderr[-2000:]}')
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build')
    ap.add_argument('--sessions', type=int, default=30)
    ap.add_argument('--host-driver', default='lavapipe', help="lavapipe, or 'system' for the loader's own choice")
    ap.add_argument('--client', type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        client(args.client)
        return 0
    if not args.build:
        ap.error('--build is required')
    build = os.path.abspath(args.build)
    server_env = dict(os.environ)
    if args.host_driver == 'lavapipe':
        server_env.update({'VK_ICD_FILENAMES': LAVAPIPE, 'VK_DRIVER_FILES': LAVAPIPE})
    results = {}
    for mode in MODES:
        t = measure(build, mode, args.sessions, server_env)
        # The first session of a thread-mode server also loads the driver for good: report it apart.
        first, rest = t[0], sorted(t[1:])
        results[mode] = {'first_ms': first * 1e3, 'median_ms': statistics.median(rest) * 1e3,
                         'p90_ms': rest[int(len(rest) * 0.9) - 1] * 1e3, 'mean_ms': statistics.mean(rest) * 1e3}
        r = results[mode]
        print(f'{mode:18s} session start (connect + handshake + vkCreateInstance), {len(rest)} sessions after the '
              f'first: median {r["median_ms"]:.1f} ms, p90 {r["p90_ms"]:.1f} ms, mean {r["mean_ms"]:.1f} ms '
              f'(first {r["first_ms"]:.1f} ms)', flush=True)
    for mode in ('process', 'process, no spare'):
        extra = results[mode]['median_ms'] - results['thread']['median_ms']
        print(f'{mode}: {extra:+.1f} ms against thread at the median', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
