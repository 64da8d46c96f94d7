#!/usr/bin/env python3
"""FFmpeg's Vulkan filters (Debian's FFmpeg 5.1: its own Vulkan device, hwupload and hwdownload through mapped
staging memory, compute shaders for each filter), natively and through `anarchy run`: both exit 0 and write the
same frames byte for byte. No window: a compute-only program that moves every frame up to the GPU and back."""

import argparse
import hashlib
import os
import sys

import harness

# Scaled, blurred twice, turned and flipped on the GPU. (Not overlay_vulkan: FFmpeg 5.1 pairs its two inputs'
# frames differently from run to run natively too.)
GRAPH = ('format=yuv420p,hwupload,scale_vulkan=w=240:h=180,gblur_vulkan=sigma=1.5,transpose_vulkan,hflip_vulkan,'
         'chromaber_vulkan,avgblur_vulkan=sizeX=3,hwdownload,format=yuv420p')
FRAMES = 12
FRAME_BYTES = 180 * 240 * 3 // 2  # transposed 240x180, 4:2:0


def ffmpeg_argv(out):
    return ['ffmpeg', '-nostdin', '-loglevel', 'error', '-y', '-init_hw_device', 'vulkan=vk:0', '-filter_hw_device', 'vk',
            '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30', '-vf', GRAPH, '-frames:v', str(FRAMES), '-f', 'rawvideo',
            out]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    args = ap.parse_args()
    tmp = harness.work_dir('anarchy-ffmpeg-')
    outs = {}
    with harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
        for mode in ('native', 'remote'):
            outs[mode] = os.path.join(tmp, f'{mode}.yuv')
            if mode == 'native':
                r = harness.run_native(ffmpeg_argv(outs[mode]), timeout=240)
            else:
                r = harness.run_remote(args.build, server.address, ffmpeg_argv(outs[mode]), timeout=240)
            print(f'--- {mode} ffmpeg: exit {r.returncode}\n{(r.stdout + r.stderr).strip()[-2000:]}')
            if r.returncode != 0:
                if mode == 'remote':
                    print(f'--- server {"alive" if server.alive() else "dead"}, its log ends:\n{server.log_tail()}')
                sys.exit(f'{mode} ffmpeg failed with exit status {r.returncode}')
        later = server.serves_another_client(args.build)
        if later:
            sys.exit(later)
    data = {m: open(p, 'rb').read() for m, p in outs.items()}
    frame = FRAME_BYTES
    if len(data['native']) != FRAMES * frame:
        sys.exit(f'native ffmpeg wrote {len(data["native"])} bytes, not {FRAMES} frames of {frame}')
    if data['native'] != data['remote']:
        first = next((i for i in range(min(len(data['native']), len(data['remote'])))
                      if data['native'][i] != data['remote'][i]), None)
        sys.exit(f'the remote frames differ from the native ones (sizes {len(data["native"])} / '
                 f'{len(data["remote"])}, first difference in frame {first // frame if first is not None else "-"})')
    print(f'{FRAMES} frames identical to native ({hashlib.sha256(data["native"]).hexdigest()[:16]}); ok')


if __name__ == '__main__':
    harness.run_main(main)
