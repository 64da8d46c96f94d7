#!/usr/bin/env python3
"""GFXReconstruct traces of real programs, captured natively on lavapipe and replayed natively and through
`anarchy run`: the replay exits 0 both ways and its screenshots of the chosen frames are identical. A replay
repeats the captured calls exactly (the same objects, the same leaks), so it reaches the server as the program
did, without the program's own timing.

  vkcube    vkcube, 20 frames
  zink      glxgears through zink (GL on Vulkan), 30 frames, the fake_clock shim fixing its animation
  vkd3d     vkd3d-gears (Direct3D 12 on Vulkan), 30 frames, the window closed by the window_snapshot shim"""

import argparse
import os
import sys

import harness

SCREENSHOTS = {'vkcube': '5,19', 'zink': '10,29', 'vkd3d': '10,25'}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--gl-dump', help='gl_frame_dump LD_PRELOAD library (zink)')
    ap.add_argument('--clock', help='fake_clock LD_PRELOAD library (zink, vkd3d)')
    ap.add_argument('--shim', help='window_snapshot LD_PRELOAD library (vkd3d: closes the window after 30 frames)')
    ap.add_argument('what', choices=sorted(SCREENSHOTS))
    args = ap.parse_args()
    tmp = harness.work_dir(f'anarchy-gfxrecon-{args.what}-')
    trace = os.path.join(tmp, 'capture.gfxr')
    failures = []
    with harness.Xvfb(640, 480) as x, harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
        env = {'DISPLAY': x.display, 'XDG_RUNTIME_DIR': tmp}
        capture = dict(env, VK_INSTANCE_LAYERS='VK_LAYER_LUNARG_gfxreconstruct', GFXRECON_CAPTURE_FILE=trace,
                       GFXRECON_CAPTURE_FILE_TIMESTAMP='false')
        if args.what == 'vkcube':
            argv = ['vkcube', '--c', '20', '--width', '160', '--height', '120']
        elif args.what == 'vkd3d':
            argv = ['vkd3d-gears']
            capture.update(LD_PRELOAD=f'{args.shim} {args.clock}', ANARCHY_CLOSE_AFTER_FRAMES='30',
                           ANARCHY_FAKE_CLOCK='20000')
        else:
            argv = ['glxgears', '-geometry', '160x120']
            capture.update(harness.ZINK_ENV, LD_PRELOAD=f'{args.gl_dump} {args.clock}', ANARCHY_FAKE_CLOCK='20000',
                           ANARCHY_GL_DUMP_FRAME='30')
        r = harness.run_native(argv, timeout=120, extra_env=capture)
        if r.returncode != 0 or not os.path.exists(trace):
            sys.exit(f'native capture of {argv[0]} failed ({r.returncode}):\n{(r.stdout + r.stderr)[-2000:]}')
        shots = {}
        for mode in ('native', 'remote'):
            shots[mode] = os.path.join(tmp, mode)
            os.makedirs(shots[mode])
            # The capture device's extensions that the replay device lacks are left out (the remote driver
            # forwards a subset of lavapipe's).
            replay = ['gfxrecon-replay', '--remove-unsupported', '--screenshots', SCREENSHOTS[args.what],
                      '--screenshot-dir', shots[mode], trace]
            if mode == 'native':
                r = harness.run_native(replay, timeout=120, extra_env=env)
            else:
                r = harness.run_remote(args.build, server.address, replay, timeout=120, extra_env=env)
            print(f'--- {mode} replay: exit {r.returncode}\n{(r.stdout + r.stderr).strip()[-1500:]}')
            if r.returncode != 0:
                failures.append(f'{mode} replay failed with exit status {r.returncode}')
                if mode == 'remote':
                    failures.append(f'server {"alive" if server.alive() else "dead"}, its log ends:\n'
                                    f'{server.log_tail()}')
        later = server.serves_another_client(args.build)
        if later:
            failures.append(later)
    if not failures:
        names = sorted(os.listdir(shots['native']))
        if len(names) != len(SCREENSHOTS[args.what].split(',')):
            failures.append(f'native replay wrote {names}')
        for name in names:
            with open(os.path.join(shots['native'], name), 'rb') as a:
                want = a.read()
            path = os.path.join(shots['remote'], name)
            if not os.path.exists(path):
                failures.append(f'remote replay wrote no {name}')
            elif open(path, 'rb').read() != want:
                failures.append(f'{name}: remote screenshot differs from native')
            else:
                print(f'{name}: identical')
    for f in failures:
        print('FAIL', f)
    print('ok' if not failures else f'{len(failures)} failures')
    return 1 if failures else 0


if __name__ == '__main__':
    harness.run_main(main)
