#!/usr/bin/env python3
"""GStreamer's Vulkan elements (Debian's gstreamer1.0-plugins-bad 1.22), natively and through `anarchy run`:
videotestsrc -> vulkanupload -> vulkancolorconvert (RGBA to BGRA) -> vulkanimageidentity -> vulkandownload -> file:
both exit 0 and write the same 30 frames byte for byte, and the server still serves a later client. (Not vulkansink:
in 1.22 its pipeline fails to preroll in about half of the native runs on lavapipe, 6 of 12 here, and 1 of 12
remotely, so it cannot be a test.)"""

import argparse
import os

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
    outs = {m: os.path.join(tmp, f'{m}.raw') for m in ('native', 'remote')}
    with harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
        # The output file differs per run: each run's argv is its own.
        failures = []
        for mode in ('native', 'remote'):
            argv = gst(CONVERT.format(n=FRAMES, out=outs[mode]))
            if mode == 'native':
                r = harness.run_native(argv, timeout=120)
            else:
                r = harness.run_remote(args.build, server.address, argv, timeout=120)
            print(f'--- {mode}: exit {r.returncode}\n{(r.stdout + r.stderr).strip()[-1500:]}')
            if r.returncode != 0:
                failures.append(f'{mode} gst-launch-1.0: exit status {r.returncode}')
        later = server.serves_another_client(args.build)
        if later:
            failures.append(later)
        if failures and not server.alive():
            failures.append(f'the server died; its log ends:\n{server.log_tail()}')
    data = {m: open(p, 'rb').read() if os.path.exists(p) else b'' for m, p in outs.items()}
    if len(data['native']) != FRAMES * 320 * 240 * 4:
        failures.append(f'native run wrote {len(data["native"])} bytes, not {FRAMES} frames of 320x240 BGRA')
    elif data['native'] != data['remote']:
        failures.append(f'the remote frames differ from the native ones (sizes {len(data["native"])} / '
                        f'{len(data["remote"])})')
    else:
        print(f'{FRAMES} frames identical to native')
    harness.report(failures)

if __name__ == '__main__':
    harness.run_main(main)
