#!/usr/bin/env python3
"""The Windows client's Media Foundation decoder (src/video/mf_decoder.cpp) under Wine, against the Linux client:

1. the Linux build's anarchy_video_check encodes the test scene with libx264 as the server does (intra refresh, one
   key frame) and decodes it as the Linux client does (libavcodec, libswscale);
2. the Windows build's anarchy_video_check.exe decodes the same packets under Wine (winegstreamer's H.264 MFT,
   which needs GStreamer's libav plugin: scripts/packages.txt) at 1280x720 and 2560x1600: every packet must give
   its own picture at once, within --min-psnr of the Linux picture; damaged packets must be refused and the stream
   must decode again from its key frame.

HEVC: Wine 8 has no HEVC decoder MFT, so the Windows build reports hevc as not built there; this test checks that it
says so (and decodes HEVC like H.264 where a decoder exists).
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

import harness
from wine import make_prefix, wine_env


def run(args, env=None, timeout=300, cwd=None):
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd, errors='replace')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--encoder', required=True, help="the Linux build's anarchy_video_check")
    ap.add_argument('--windows-build', required=True, help='the Windows client build (anarchy_video_check.exe)')
    ap.add_argument('--sizes', default='1280x720:30,2560x1600:12', help='WxH:frames,...')
    ap.add_argument('--min-psnr', default='40')
    args = ap.parse_args()
    exe = os.path.join(args.windows_build, 'anarchy_video_check.exe')
    if not os.path.exists(exe):
        sys.exit(f'the Windows client build {args.windows_build} lacks anarchy_video_check.exe')
    for tool in ('wine', 'wineboot', 'wineserver', 'Xvfb'):
        if not shutil.which(tool):
            sys.exit(f'no {tool} on PATH (scripts/packages.txt installs it)')
    if not os.path.exists('/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstlibav.so'):
        sys.exit("no GStreamer libav plugin: Wine's H.264 decoder needs it (gstreamer1.0-libav, scripts/packages.txt)")

    tmp = harness.work_dir('anarchy-mf-decoder-')
    prefix = os.path.join(tmp, 'prefix')
    shutil.copy(exe, tmp)
    failures = []
    with harness.Xvfb(640, 480) as x:
        env = wine_env(os.environ, prefix, x.display)
        env['WINEDLLOVERRIDES'] = 'mscoree,mshtml=;winedbg.exe=d'
        try:
            t = time.time()
            make_prefix(prefix, env)
            print(f'--- fresh prefix in {time.time() - t:.1f} s')
            for item in args.sizes.split(','):
                size, frames = item.split(':')
                case = os.path.join(tmp, size)
                os.makedirs(case)
                r = run([args.encoder, 'encode', '--codec', 'h264', '--size', size, '--frames', frames, '--dir', case])
                print(f'--- {size}: {r.stdout.strip()}')
                if r.returncode != 0:
                    failures.append(f'{size}: encoding failed ({r.returncode}):\n{r.stdout}{r.stderr}')
                    continue
                r = run(['wine', 'anarchy_video_check.exe', 'decode', '--codec', 'h264', '--size', size, '--dir',
                         os.path.basename(case), '--min-psnr', args.min_psnr], env=env, cwd=tmp)
                print(r.stdout.rstrip())
                if r.returncode != 0 or 'PASS' not in r.stdout:
                    failures.append(f'{size}: the Windows decode failed (exit {r.returncode}):\n{r.stdout[-3000:]}'
                                    f'{r.stderr[-3000:]}')

            # HEVC: decoded where Media Foundation has a decoder; otherwise the build must say it has none (so the
            # client asks for another codec) rather than fail frame by frame.
            case = os.path.join(tmp, 'hevc')
            os.makedirs(case)
            r = run([args.encoder, 'encode', '--codec', 'hevc', '--size', '640x360', '--frames', '10', '--dir', case])
            if r.returncode != 0:
                failures.append(f'hevc: encoding failed ({r.returncode}):\n{r.stdout}{r.stderr}')
            else:
                r = run(['wine', 'anarchy_video_check.exe', 'decode', '--codec', 'hevc', '--size', '640x360',
                         '--dir', 'hevc', '--min-psnr', args.min_psnr], env=env, cwd=tmp)
                said = r.stdout + r.stderr
                if r.returncode == 0 and 'PASS' in r.stdout:
                    print('--- hevc: decoded through Media Foundation\n' + r.stdout.rstrip())
                elif 'FAIL no decoder' in r.stdout and 'no decoder works' in r.stdout:
                    print(f'--- hevc: no Media Foundation decoder here, as reported: {r.stdout.strip()[:300]}')
                else:
                    failures.append(f'hevc: expected a decode or a clear "no decoder", got exit {r.returncode}:\n'
                                    f'{said[-3000:]}')
        finally:
            subprocess.run(['wineserver', '-k'], env=env, capture_output=True, timeout=30)
    if failures:
        sys.exit('\n'.join(failures))
    print('PASS')


if __name__ == '__main__':
    harness.run_main(main)
