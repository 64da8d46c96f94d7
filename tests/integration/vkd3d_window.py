#!/usr/bin/env python3
"""The vkd3d demos (Debian vkd3d-demos: Direct3D 12 on Vulkan) under Xvfb, natively and through `anarchy run`:
both exit 0, and the window's last frame matches byte for byte (lossless codec). The demos draw until their
window is closed, so the window_snapshot shim hands them WM_DELETE_WINDOW after a number of frames; vkd3d-gears
animates by gettimeofday, which the fake_clock shim advances by a fixed step per frame and then freezes, so the
last frames are the same picture in every run."""

import argparse
import os
import sys

import harness

PROGRAMS = {
    # program: (frames before close, fake clock: microseconds per frame and the frame it stops at)
    'vkd3d-triangle': ('6', None),
    'vkd3d-gears': ('40', '20000:30'),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--shim', required=True, help='window_snapshot LD_PRELOAD library')
    ap.add_argument('--clock', required=True, help='fake_clock LD_PRELOAD library')
    ap.add_argument('program', choices=sorted(PROGRAMS))
    args = ap.parse_args()
    frames, clock = PROGRAMS[args.program]
    tmp = harness.work_dir(f'anarchy-{args.program}-')
    server_log = os.path.join(tmp, 'server.log')
    with harness.Xvfb(640, 480) as x, harness.Server(args.build, server_log) as server:
        env = {'DISPLAY': x.display, 'LD_PRELOAD': f'{args.shim} {args.clock}', 'ANARCHY_CLOSE_AFTER_FRAMES': frames}
        if clock:
            env['ANARCHY_FAKE_CLOCK'] = clock
        shots = {}
        for mode in ('native', 'remote'):
            shots[mode] = os.path.join(tmp, f'{mode}.ppm')
            run_env = dict(env, ANARCHY_SNAPSHOT=shots[mode])
            if mode == 'native':
                r = harness.run_native([args.program], timeout=120, extra_env=run_env)
            else:
                r = harness.run_remote(args.build, server.address, [args.program], timeout=120, extra_env=run_env,
                                       run_args=('--codec', 'lz4-delta'))
            print(f'--- {mode} {args.program}: exit {r.returncode}\n{r.stderr.strip()[-3000:]}')
            if r.returncode != 0:
                print(r.stdout[-2000:])
                if mode == 'remote':
                    print(f'--- server {"alive" if server.alive() else "dead"}, its log ends:\n{server.log_tail()}')
                sys.exit(f'{mode} {args.program} failed with exit status {r.returncode}')
            if not os.path.exists(shots[mode]):
                sys.exit(f'{mode} {args.program}: no snapshot of the window was written')
        later = server.serves_another_client(args.build)
        if later:
            sys.exit(later)
    nw, nh, npix = harness.read_ppm(shots['native'])
    rw, rh, rpix = harness.read_ppm(shots['remote'])
    if (nw, nh) != (rw, rh):
        sys.exit(f'window sizes differ: native {nw}x{nh}, remote {rw}x{rh}')
    if npix != rpix:
        sys.exit(f'the remote window differs from the native one (PSNR {harness.psnr(npix, rpix):.2f} dB)')
    print(f'last frame {nw}x{nh} identical to native; ok')


if __name__ == '__main__':
    harness.run_main(main)
