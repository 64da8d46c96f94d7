#!/usr/bin/env python3
"""VK_LAYER_KHRONOS_validation over the remote driver: programs run natively on lavapipe and through
`anarchy run` with the validation layer enabled, and no validation message may appear remotely that does not
appear natively (the layer checks the program's calls against what the driver reports: features, limits, formats,
queue families, surface capabilities, so a wrong answer from the driver shows up as a new message). Messages are
compared as sets with handles and counts masked. Both runs must exit with the same status.

  vkcube    vkcube under Xvfb (swapchain, surface queries)
  programs  the project's offscreen test programs (tests/programs)
  zink      glxgears through zink (GL on Vulkan) under Xvfb, ended by the gl_frame_dump shim, and glmark2's
            validation scenes (zink's multi-draws and dynamic state)
  vkd3d     vkd3d-triangle (Direct3D 12 on Vulkan) under Xvfb, closed by the window_snapshot shim
  server    the layer on the SERVER's instance instead: what the server itself does on the host driver (the
            program's commands, and its own: captures, semaphore signals, queue and image sharing) must raise no
            message, running the test programs (--programs), vkcube in FIFO and MAILBOX and the demo scene headless
            with the lossless stream and with H.264 (whose capture converts on the GPU)"""

import argparse
import os
import sys

import harness
from zink_programs import GLMARK2_SCENES

LAYER_ENV = {'VK_INSTANCE_LAYERS': 'VK_LAYER_KHRONOS_validation'}


def compare(name, native, remote, failures, server):
    if native.returncode != remote.returncode:
        failures.append(f'{name}: native exit {native.returncode}, remote exit {remote.returncode}\n'
                        f'{remote.stderr.strip()[-2000:]}\n--- server log ends:\n{server.log_tail()}')
    n = harness.validation_messages(native.stdout + native.stderr)
    r = harness.validation_messages(remote.stdout + remote.stderr)
    new = sorted(r - n)
    print(f'{name}: {len(n)} distinct validation messages natively, {len(r)} remotely, {len(new)} only remotely')
    if new:
        failures.append(f'{name}: validation messages only in the remote run:\n  ' + '\n  '.join(new))


def validate_server(args, tmp):
    failures = []
    log = os.path.join(tmp, 'server.log')
    # The loader says in the log that the layer went into the server's devices: no message must never mean no layer.
    server_env = dict(LAYER_ENV, VK_LOADER_DEBUG='layer')
    with harness.Xvfb(640, 480) as x, harness.Server(args.build, log, extra_env=server_env) as server:
        env = {'DISPLAY': x.display, 'XDG_RUNTIME_DIR': tmp}
        prog = os.path.join(args.build, 'tests', 'programs', 'anarchy_testprog')
        scene = os.path.join(args.build, 'src', 'demo', 'anarchy_demo_scene')
        runs = [(name, [prog, name, '--out', os.path.join(tmp, f'{name}.bin')], ())
                for name in filter(None, args.programs.split(','))]
        for mode, number in (('fifo', 2), ('mailbox', 1)):
            runs.append((f'vkcube {mode}', ['vkcube', '--c', '30', '--width', '160', '--height', '120',
                                            '--present_mode', str(number)], ()))
        for codec in ('lz4-tiles', 'h264'):
            runs.append((f'demo scene headless {codec}', [scene, '--frames', '40', '--width', '320', '--height', '240',
                                                          '--present', 'headless', '--present-mode', 'mailbox',
                                                          '--quiet'], ('--codec', codec)))
        for name, argv, run_args in runs:
            r = harness.run_remote(args.build, server.address, argv, timeout=120, extra_env=env, run_args=run_args)
            if r.returncode != 0:
                failures.append(f'{name}: exit {r.returncode}\n{r.stderr.strip()[-1500:]}')
            server.wait_sessions_ended()
            if not server.alive():
                failures.append(f'{name}: the server died; its log ends:\n{server.log_tail()}')
                break
        server.log.flush()
        with open(log, errors='replace') as f:
            text = f.read()
        messages = harness.validation_messages(text)
        layered = text.count('Inserted device layer "VK_LAYER_KHRONOS_validation"')
    print(f'{len(runs)} runs, the layer in {layered} of the server\'s devices, {len(messages)} distinct validation '
          'messages from them')
    if layered < len(runs):
        failures.append(f'the validation layer went into {layered} devices of the server for {len(runs)} runs')
    failures += [f'server: {m}' for m in sorted(messages)]
    for f in failures:
        print('FAIL', f)
    print('ok' if not failures else f'{len(failures)} failures')
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--gl-dump', help='gl_frame_dump LD_PRELOAD library (zink)')
    ap.add_argument('--shim', help='window_snapshot LD_PRELOAD library (vkd3d)')
    ap.add_argument('--programs', default='', help='comma-separated test programs (programs)')
    ap.add_argument('what', choices=['vkcube', 'programs', 'zink', 'vkd3d', 'server'])
    args = ap.parse_args()
    tmp = harness.work_dir(f'anarchy-validation-{args.what}-')
    if args.what == 'server':
        return validate_server(args, tmp)
    failures = []
    with harness.Xvfb(640, 480) as x:
        env = dict(LAYER_ENV, DISPLAY=x.display, XDG_RUNTIME_DIR=tmp)
        runs = []  # (name, argv, env)
        if args.what == 'vkcube':
            runs.append(('vkcube', ['vkcube', '--c', '30', '--width', '160', '--height', '120'], env))
        elif args.what == 'programs':
            prog = os.path.join(args.build, 'tests', 'programs', 'anarchy_testprog')
            for name in args.programs.split(','):
                runs.append((name, [prog, name, '--out', os.path.join(tmp, f'{name}.bin')], env))
        elif args.what == 'vkd3d':
            runs.append(('vkd3d-triangle', ['vkd3d-triangle'],
                         dict(env, LD_PRELOAD=args.shim, ANARCHY_CLOSE_AFTER_FRAMES='3')))
        else:
            zink_env = dict(env, **harness.ZINK_ENV, LD_PRELOAD=args.gl_dump, ANARCHY_GL_DUMP_FRAME='30')
            runs.append(('glxgears (zink)', ['glxgears', '-geometry', '160x120'], zink_env))
            glmark2 = ['glmark2', '--off-screen', '--validate'] + [a for scene in GLMARK2_SCENES for a in ('-b', scene)]
            runs.append(('glmark2 (zink)', glmark2, dict(env, **harness.ZINK_ENV)))
        # One server for all runs; one that a run brings down is reported and replaced, so the next run is still
        # compared.
        server = None
        try:
            for i, (name, argv, run_env) in enumerate(runs):
                if server is None:
                    server = harness.Server(args.build, os.path.join(tmp, f'server{i}.log'))
                native = harness.run_native(argv, timeout=120, extra_env=run_env)
                remote = harness.run_remote(args.build, server.address, argv, timeout=120, extra_env=run_env)
                compare(name, native, remote, failures, server)
                server.wait_sessions_ended()
                if not server.alive():
                    failures.append(f'{name}: the server died after it (exit status {server.proc.returncode}); '
                                    f'its log ends:\n{server.log_tail()}')
                    server.__exit__(None, None, None)
                    server = None
            if server:
                later = server.serves_another_client(args.build)
                if later:
                    failures.append(later)
        finally:
            if server:
                server.__exit__(None, None, None)
    for f in failures:
        print('FAIL', f)
    print('ok' if not failures else f'{len(failures)} failures')
    return 1 if failures else 0


if __name__ == '__main__':
    harness.run_main(main)
