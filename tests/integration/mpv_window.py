#!/usr/bin/env python3
"""mpv (Debian's 0.35, libplacebo) playing a generated clip through its Vulkan outputs under Xvfb, natively and
through `anarchy run`: both exit 0 and the window's last frame matches byte for byte (lossless codec). `gpu` is mpv's
own renderer, `gpu-next` libplacebo's (which, told that device memory could be exported as a file descriptor, used
to call vkGetMemoryFdKHR, which the remote device does not have, and crashed). The picture is scaled up with an EWA
filter, so the frame goes through libplacebo's compute and sampling paths, not only a copy. libplacebo skips CPU
devices unless named, so the device is named as mpv lists it. With --codec h264 the stream is lossy: the last frame
must then come within --min-psnr of native's (--remote-env ANARCHY_VIDEO_BANDS=3: H.264 in bands)."""

import argparse
import os
import re
import sys

import harness

CLIP = 'av://lavfi:testsrc2=size=320x240:rate=30'
OUTPUTS = ('gpu', 'gpu-next')


def mpv_argv(device, vo):
    return ['mpv', '--no-config', f'--vo={vo}', '--gpu-api=vulkan', '--gpu-context=x11vk', f'--vulkan-device={device}',
            '--frames=30', '--untimed', '--no-audio', '--really-quiet', '--geometry=480x360',
            '--scale=ewa_lanczossharp', CLIP]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--shim', required=True, help='window_snapshot LD_PRELOAD library')
    ap.add_argument('--codec', default='lz4-tiles')
    ap.add_argument('--min-psnr', type=float, default=0, help='lossy codecs: the least PSNR against native, dB')
    ap.add_argument('--remote-env', action='append', default=[], help='KEY=VALUE for the remote mpv only')
    args = ap.parse_args()
    remote_env = dict(kv.split('=', 1) for kv in args.remote_env)
    tmp = harness.work_dir('anarchy-mpv-')
    failures = []
    with harness.Xvfb(640, 480) as x, harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
        env = {'DISPLAY': x.display}
        listing = harness.run_native(['mpv', '--no-config', '--vo=gpu', '--gpu-api=vulkan', '--gpu-context=x11vk',
                                      '--vulkan-device=help', '--frames=1', CLIP], timeout=60, extra_env=env)
        found = re.search(r"^\s*'([^']+)' \(GPU 0", listing.stdout + listing.stderr, re.M)
        if not found:
            sys.exit(f'mpv listed no Vulkan device:\n{(listing.stdout + listing.stderr)[-2000:]}')
        device = found.group(1)
        print(f'device: {device}')
        for vo in OUTPUTS:
            shots = {}
            for mode in ('native', 'remote'):
                shots[mode] = os.path.join(tmp, f'{vo}_{mode}.ppm')
                run_env = dict(env, LD_PRELOAD=args.shim, ANARCHY_SNAPSHOT=shots[mode])
                if mode == 'native':
                    r = harness.run_native(mpv_argv(device, vo), timeout=120, extra_env=run_env)
                else:
                    r = harness.run_remote(args.build, server.address, mpv_argv(device, vo), timeout=120,
                                           extra_env={**run_env, **remote_env}, run_args=('--codec', args.codec))
                print(f'--- {mode} mpv --vo={vo}: exit {r.returncode}\n{(r.stdout + r.stderr).strip()[-1500:]}')
                if r.returncode != 0:
                    failures.append(f'{mode} mpv --vo={vo}: exit status {r.returncode}')
                elif not os.path.exists(shots[mode]):
                    failures.append(f'{mode} mpv --vo={vo}: no snapshot of the window was written')
            if not all(os.path.exists(p) for p in shots.values()):
                continue
            native, remote = harness.read_ppm(shots['native']), harness.read_ppm(shots['remote'])
            if native[:2] != remote[:2]:
                failures.append(f'--vo={vo}: window sizes differ: native {native[:2]}, remote {remote[:2]}')
            elif args.min_psnr:
                value = harness.psnr(native[2], remote[2])
                print(f'--vo={vo}: last frame {native[0]}x{native[1]}, PSNR {value:.2f} dB against native')
                if value < args.min_psnr:
                    failures.append(f'--vo={vo}: PSNR {value:.2f} dB against native, below {args.min_psnr}')
            elif native[2] != remote[2]:
                failures.append(f'--vo={vo}: the remote window differs from the native one '
                                f'(PSNR {harness.psnr(native[2], remote[2]):.2f} dB)')
            else:
                print(f'--vo={vo}: last frame {native[0]}x{native[1]} identical to native')
        later = server.serves_another_client(args.build)
        if later:
            failures.append(later)
        if failures and not server.alive():
            failures.append(f'the server died; its log ends:\n{server.log_tail()}')
    harness.report(failures)

if __name__ == '__main__':
    harness.run_main(main)
