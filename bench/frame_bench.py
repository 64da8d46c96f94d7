#!/usr/bin/env python3
"""Frame path benchmark: vkcube (IMMEDIATE present mode, so the GPU and the frame path set the pace, not a display)
under a private Xvfb, natively and through `anarchy run` with each codec, at several window sizes. Frames per
second come from the difference of two runs' wall times (--c N1 and --c N2), which cancels start-up; per-stage
p50/p99 and bytes per frame come from `anarchy run --stats`. Prints a Markdown table."""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'tests', 'integration'))
import harness  # noqa: E402


def timed(argv, env):
    start = time.monotonic()
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError(f'{argv} failed: {r.stderr[-2000:]}')
    return time.monotonic() - start, r.stderr


def fps(argv_for, env, n1, n2):
    # Start-up time varies by hundreds of milliseconds: the fastest of two runs of each length.
    t1 = min(timed(argv_for(n1), env)[0] for _ in range(2))
    runs = [timed(argv_for(n2), env) for _ in range(2)]
    t2, err = min(runs)
    return (n2 - n1) / max(t2 - t1, 1e-9), err


def pct(values, p):
    values = sorted(values)
    return values[int(p * (len(values) - 1) + 0.5)] if values else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(os.path.dirname(__file__), '..', 'build'))
    ap.add_argument('--codecs', default='raw,lz4,lz4-delta,h264,hevc,av1')
    ap.add_argument('--sizes', default='1280x720,1920x1080,2560x1600')
    ap.add_argument('--frames', type=int, default=400, help='frames of the longer run (the shorter has a quarter)')
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    n2 = args.frames
    n1 = max(n2 // 4, 1)
    tmp = tempfile.mkdtemp(prefix='anarchy-frame-bench-')
    rows = []
    with harness.Xvfb(2600, 1700) as x, harness.Server(build, os.path.join(tmp, 'server.log')) as server:
        env = x.env(harness.native_env())
        for size in args.sizes.split(','):
            w, h = size.split('x')
            cube = lambda n: ['vkcube', '--present_mode', '0', '--width', w, '--height', h, '--c', str(n)]
            native_fps, _ = fps(cube, env, n1, n2)
            print(f'{size} native: {native_fps:.1f} fps', file=sys.stderr)
            for codec in args.codecs.split(','):
                stats = os.path.join(tmp, f'{size}-{codec}.csv')
                remote = lambda n: [os.path.join(build, 'anarchy'), 'run', '--server', server.address, '--codec',
                                    codec, '--stats', stats, '--'] + cube(n)
                remote_fps, err = fps(remote, env, n1, n2)
                chosen = [l for l in err.splitlines() if 'swapchain' in l and ':' in l]
                with open(stats) as f:
                    frames = [r for r in csv.DictReader(f) if r['dropped'] == '0']
                col = lambda name: [float(r[name]) / 1000 for r in frames]
                kb = sum(float(r['bytes']) for r in frames) / max(len(frames), 1) / 1024
                row = (size, codec, native_fps, remote_fps, remote_fps / native_fps, kb,
                       {s: (pct(col(s + '_us'), .5), pct(col(s + '_us'), .99))
                        for s in ('render', 'capture', 'encode', 'transfer', 'decode', 'present', 'total')},
                       chosen[0].split(': ', 2)[-1] if chosen else '')
                rows.append(row)
                print(f'{size} {codec}: {remote_fps:.1f} fps ({row[4]:.2f}x), {kb:.1f} KB/frame, encoder {row[7]}',
                      file=sys.stderr)
    print('| size | codec | native fps | remote fps | ratio | KB/frame | capture p50/p99 | encode p50/p99 | '
          'decode p50/p99 | total p50/p99 (ms) |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for size, codec, nf, rf, ratio, kb, st, _ in rows:
        f = lambda s: f'{st[s][0]:.2f} / {st[s][1]:.2f}'
        print(f'| {size} | {codec} | {nf:.1f} | {rf:.1f} | {ratio:.2f} | {kb:.1f} | {f("capture")} | {f("encode")} | '
              f'{f("decode")} | {f("total")} |')


if __name__ == '__main__':
    main()
