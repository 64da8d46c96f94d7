#!/usr/bin/env python3
"""GStreamer's Vulkan elements (Debian's gstreamer1.0-plugins-bad 1.22), natively and through `anarchy run`:
videotestsrc -> vulkanupload -> vulkancolorconvert (RGBA to BGRA) -> vulkanimageidentity -> vulkandownload -> file:
both exit 0 and write the same 30 frames byte for byte, and the server still serves a later client. (Not vulkansink:
in 1.22 its pipeline fails to preroll in about half of the native runs on lavapipe, 6 of 12 here, and 1 of 12
remotely, so it cannot be a test; when it runs, it shows its frames remotely.)"""

import argparse
import os
import sys

import harness

FRAMES = 30
CONVERT = ('videotestsrc num-buffers={n} pattern=smpte ! video/x-raw,width=320,height=240,format=RGBA ! vulkanupload ! '
           'vulkancolorconvert ! video/x-raw(memory:VulkanImage),format=BGRA ! vulkanimageidentity ! vulkandownload ! '
           'video/x-raw,format=BGRA ! filesink location={out}')


def gst(pipeline):
    return ['gst-launch-1.0', '-q'] + pipeline.split()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    args = ap.parse_args()
    tmp = harness.work_dir('anarchy-gstreamer-')
    failures = []
    outs = {}
    with harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
        env = {}
        for what in ('convert',):
            for mode in ('native', 'remote'):
                outs[(what, mode)] = os.path.join(tmp, f'{what}_{mode}.raw')
                pipeline = CONVERT.format(n=FRAMES, out=outs[(what, mode)])
                if mode == 'native':
                    r = harness.run_native(gst(pipeline), timeout=120, extra_env=env)
                else:
                    r = harness.run_remote(args.build, server.address, gst(pipeline), timeout=120, extra_env=env)
                print(f'--- {mode} {what}: exit {r.returncode}\n{(r.stdout + r.stderr).strip()[-1500:]}')
                if r.returncode != 0:
                    detail = ''
                    if mode == 'remote':
                        detail = f'\n--- server {"alive" if server.alive() else "dead"}, its log ends:\n{server.log_tail()}'
                    failures.append(f'{mode} {what}: exit status {r.returncode}{detail}')
        later = server.serves_another_client(args.build)
        if later:
            failures.append(later)
    data = {m: open(outs[('convert', m)], 'rb').read() if os.path.exists(outs[('convert', m)]) else b''
            for m in ('native', 'remote')}
    if len(data['native']) != FRAMES * 320 * 240 * 4:
        failures.append(f'native convert wrote {len(data["native"])} bytes, not {FRAMES} frames of 320x240 BGRA')
    elif data['native'] != data['remote']:
        failures.append(f'the remote frames differ from the native ones (sizes {len(data["native"])} / '
                        f'{len(data["remote"])})')
    else:
        print(f'convert: {FRAMES} frames identical to native')
    for f in failures:
        print('FAIL', f)
    if failures:
        sys.exit(f'{len(failures)} failure(s)')
    print('ok')


if __name__ == '__main__':
    harness.run_main(main)
