#!/usr/bin/env python3
"""Stale pages (DESIGN.md decision 8): runs the stale_fetch program remotely with a 1 MiB stale threshold (the 8 MiB fills go stale) and
with stale pages off (ANARCHY_STALE_THRESHOLD=0). Both outputs must equal the native one; with stale pages the
driver's counters must show bytes fetched on touch and fewer bytes down than the GPU wrote (the host read only a
few bytes of three of the five 8 MiB fills); without them, none fetched and every written byte down."""

import argparse
import os
import sys

import harness

GPU_WRITTEN = 5 * 8 << 20  # stale_fetch: five fills of 8 MiB


def counters(path):
    with open(path) as f:
        line = f.read().strip().splitlines()[-1]
    return {k: int(v) for k, v in (kv.split('=') for kv in line.split())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    args = ap.parse_args()
    prog = os.path.join(args.build, 'tests', 'programs', 'anarchy_testprog')
    tmp = harness.work_dir('anarchy-stale-')
    failures = []
    with harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
        native = os.path.join(tmp, 'native.bin')
        r = harness.run_native([prog, 'stale_fetch', '--out', native])
        if r.returncode != 0:
            print('FAIL native run:', r.stderr.strip())
            return 1
        want = open(native, 'rb').read()
        stats = {}
        for mode, env in (('stale', {'ANARCHY_STALE_THRESHOLD': str(1 << 20)}), ('off', {'ANARCHY_STALE_THRESHOLD': '0'})):
            out = os.path.join(tmp, f'remote_{mode}.bin')
            stats_file = os.path.join(tmp, f'stats_{mode}.txt')
            env = dict(env, ANARCHY_STATS_FILE=stats_file)
            r = harness.run_remote(args.build, server.address, [prog, 'stale_fetch', '--out', out], extra_env=env)
            if r.returncode != 0:
                failures.append(f'{mode}: remote run failed ({r.returncode}): {r.stderr.strip()[-2000:]}')
                continue
            if open(out, 'rb').read() != want:
                failures.append(f'{mode}: remote output differs from native')
            stats[mode] = counters(stats_file)
            print(f'{mode}: memory_bytes_down={stats[mode]["memory_bytes_down"]} '
                  f'memory_bytes_fetched={stats[mode]["memory_bytes_fetched"]} (GPU wrote {GPU_WRITTEN})')
        if 'stale' in stats:
            s = stats['stale']
            if s['memory_bytes_fetched'] == 0:
                failures.append('stale: nothing was fetched on touch')
            if s['memory_bytes_down'] * 4 > GPU_WRITTEN * 3:
                failures.append(f'stale: {s["memory_bytes_down"]} bytes came down, not under 3/4 of the {GPU_WRITTEN} written')
        if 'off' in stats:
            s = stats['off']
            # Every written byte, less the few that happen to equal what the client held (a byte the GPU wrote
            # unchanged need not travel; runs split where the server reads in pieces can leave one out).
            if s['memory_bytes_fetched'] != 0 or s['memory_bytes_down'] < GPU_WRITTEN - GPU_WRITTEN // 4096:
                failures.append(f'off: expected every written byte down and none fetched: {s}')
        if not server.alive():
            failures.append('the server died')
    for f in failures:
        print('FAIL', f)
    return 1 if failures else 0


if __name__ == '__main__':
    harness.run_main(main)
