#!/usr/bin/env python3
"""vkcube (Debian vulkan-tools) under Xvfb, natively and through `anarchy run`: both exit 0 after the same number
of frames, and the last frame in the window (snapshot taken as the window is destroyed) matches: byte for byte
with a lossless codec, within PSNR 40 dB with a video codec. With --max-time-ratio the remote run may take at most
that many times the native run's time (FIFO follows the display: Xvfb's screen has no refresh clock, so the local
driver shows frames as they come and so must we); --min-remote-seconds bounds it from below (a display clock that
must pace the remote run, e.g. ANARCHY_X11_PRESENT=1 following Xvfb's made-up 60 Hz Present clock)."""

import argparse
import os
import sys
import time

import harness


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--shim', required=True, help='window_snapshot LD_PRELOAD library')
    ap.add_argument('--codec', default='lz4-delta')
    ap.add_argument('--frames', type=int, default=300)
    ap.add_argument('--present-mode', type=int, default=2)
    ap.add_argument('--fault-frames', default='', help='frames whose encoding the server makes fail, e.g. 5,50')
    ap.add_argument('--max-time-ratio', type=float, default=0, help='remote time / native time at most this')
    ap.add_argument('--min-remote-seconds', type=float, default=0, help='the remote run takes at least this long')
    ap.add_argument('--remote-env', action='append', default=[], help='KEY=VALUE for the remote vkcube only')
    ap.add_argument('--expect-server-log', default='', help="text the server's log must hold (the encoder chosen)")
    args = ap.parse_args()
    lossless = args.codec in ('raw', 'lz4', 'lz4-delta')
    tmp = harness.work_dir('anarchy-vkcube-')
    cube = ['vkcube', '--c', str(args.frames), '--present_mode', str(args.present_mode)]
    server_env = {'ANARCHY_FAULT_ENCODE_FRAMES': args.fault_frames} if args.fault_frames else {}
    faults = len(args.fault_frames.split(',')) if args.fault_frames else 0
    server_log = os.path.join(tmp, 'server.log')
    with harness.Xvfb() as x, harness.Server(args.build, server_log, server_env) as server:
        env = x.env(harness.native_env())
        env['LD_PRELOAD'] = args.shim
        native_png = os.path.join(tmp, 'native.ppm')
        remote_png = os.path.join(tmp, 'remote.ppm')
        import subprocess
        stats = os.path.join(tmp, 'stats.csv')
        remote_env = dict(kv.split('=', 1) for kv in args.remote_env)

        def run_native():
            started = time.monotonic()
            native = subprocess.run(cube, env={**env, 'ANARCHY_SNAPSHOT': native_png}, capture_output=True,
                                    text=True, timeout=300)
            if native.returncode != 0:
                print(native.stdout, native.stderr)
                sys.exit(f'native vkcube failed with {native.returncode}')
            return time.monotonic() - started

        def run_remote():
            started = time.monotonic()
            remote = subprocess.run([os.path.join(args.build, 'anarchy'), 'run', '--server', server.address,
                                     '--codec', args.codec, '--stats', stats, '--'] + cube,
                                    env={**env, **remote_env, 'ANARCHY_SNAPSHOT': remote_png}, capture_output=True,
                                    text=True, timeout=300)
            seconds = time.monotonic() - started
            print(remote.stderr)
            if remote.returncode != 0:
                print(remote.stdout)
                sys.exit(f'remote vkcube failed with {remote.returncode}')
            if not server.alive():
                sys.exit('the server died')
            return seconds

        if args.max_time_ratio:
            print(f'CPU busy before timing: {100 * harness.wait_for_quiet_cpu():.0f} %')
        native_seconds = run_native()
        remote_seconds = run_remote()
        # A ratio of two runs made one after the other means something only if the machine's load stayed the same
        # between them (ctest runs this test alone, but other processes share the machine; native vkcube alone
        # took 0.67 to 1.25 s in six runs in a row here): while over the limit, measure both again, up to three
        # more times in alternating order, and compare the fastest run of each.
        for attempt in range(3):
            if not args.max_time_ratio or remote_seconds / native_seconds <= args.max_time_ratio:
                break
            print(f'so far: native {native_seconds:.2f} s, remote {remote_seconds:.2f} s; measuring both again '
                  f'(CPU busy before: {100 * harness.wait_for_quiet_cpu():.0f} %)')
            if attempt % 2 == 0:
                remote_seconds = min(remote_seconds, run_remote())
                native_seconds = min(native_seconds, run_native())
            else:
                native_seconds = min(native_seconds, run_native())
                remote_seconds = min(remote_seconds, run_remote())
    with open(stats) as f:
        rows = f.read().splitlines()[1:]
    shown = [r for r in rows if r.split(',')[7] == '0']
    print(f'remote: {len(rows)} frames reported, {len(shown)} displayed')
    ratio = remote_seconds / native_seconds
    print(f'{args.frames} frames: native {native_seconds:.2f} s, remote {remote_seconds:.2f} s ({ratio:.2f}x)')
    if args.max_time_ratio and ratio > args.max_time_ratio:
        sys.exit(f'the remote run took {ratio:.2f} times as long as the native one (at most {args.max_time_ratio})')
    if remote_seconds < args.min_remote_seconds:
        sys.exit(f'the remote run took {remote_seconds:.2f} s, less than the display clock allows '
                 f'({args.min_remote_seconds} s): FIFO did not follow it')
    if len(rows) != args.frames:
        sys.exit(f'expected {args.frames} frames in the stats, got {len(rows)}')
    if args.expect_server_log:
        with open(server_log) as f:
            log = f.read()
        if args.expect_server_log not in log:
            print(log)
            sys.exit(f"the server's log does not say '{args.expect_server_log}'")
    if faults:
        with open(server_log) as f:
            reported = f.read().count('injected failure')
        print(f'encoder failures injected: {faults}, reported by the server: {reported}, '
              f'frames not displayed: {len(rows) - len(shown)}')
        if reported != faults or len(rows) - len(shown) != faults:
            sys.exit('every failed frame must be reported by the server and dropped, and only those')
    nw, nh, npix = harness.read_ppm(native_png)
    rw, rh, rpix = harness.read_ppm(remote_png)
    if (nw, nh) != (rw, rh):
        sys.exit(f'window sizes differ: native {nw}x{nh}, remote {rw}x{rh}')
    value = harness.psnr(npix, rpix)
    print(f'last frame {nw}x{nh}: PSNR {value:.2f} dB (codec {args.codec})')
    if lossless and npix != rpix:
        sys.exit('lossless codec, but the remote window differs from the native one')
    if not lossless and value < 40:
        sys.exit(f'PSNR {value:.2f} dB is below 40 dB')
    print('ok')


if __name__ == '__main__':
    harness.run_main(main)
