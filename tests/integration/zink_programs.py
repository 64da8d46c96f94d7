#!/usr/bin/env python3
"""OpenGL programs through Mesa's zink (GL on Vulkan), natively on lavapipe and through `anarchy run` (zink then
loads the Anarchy driver as its Vulkan device). Every run must say zink is the renderer, exit 0, and agree with
the native run; afterwards the server must still serve a later client.

  glxgears  under Xvfb (zink's kopper swapchain presents through the driver's WSI): frame 30, read back with
            glReadPixels by the gl_frame_dump shim, is the same byte for byte; the fake_clock shim makes the
            animation advance by a fixed step per frame.
  glmark2   a few scenes with --validate (each scene's frame is read back and checked against glmark2's reference
            pixels): every scene validates natively, and remotely each scene's verdict is the native one.
  piglit    piglit tests that render and probe pixels, on EGL's surfaceless platform (no X server): each one's
            result is the native one (pass)."""

import argparse
import os
import re
import sys

import harness

# pulsar's five identical quads reach Vulkan as one vkCmdDrawMultiEXT of five draws (stride 12).
GLMARK2_SCENES = ['build:use-vbo=true', 'texture:texture-filter=mipmap', 'shading:shading=phong',
                  'bump:bump-render=normals', 'effect2d:kernel=0,1,0;1,-4,1;0,1,0;', 'pulsar',
                  'desktop:effect=shadow:windows=4', 'buffer:update-method=map', 'conditionals:fragment-steps=5']
PIGLIT_BIN = '/usr/lib/x86_64-linux-gnu/piglit/bin'
PIGLIT_TESTS = ['fbo-blit', 'fbo-readpixels', 'fbo-copypix', 'fbo-generatemipmap', 'fbo-cubemap', 'fbo-drawbuffers',
                # zink draws these with vkCmdDrawMultiEXT / vkCmdDrawMultiIndexedEXT (stride 12, not 8)
                'gl-3.0-multidrawarrays-vertexid', 'arb_draw_elements_base_vertex-multidrawelements',
                'arb_compute_shader-local-id', 'arb_compute_shader-render-and-compute',
                'arb_compute_shader-indirect-compute', 'arb_copy_buffer-data-sync', 'arb_copy_buffer-subdata-sync',
                'arb_copy_buffer-overlap', 'arb_copy_image-simple', 'arb_map_buffer_alignment-map-invalidate-range',
                'arb_shader_atomic_counters-semantics', 'arb_shader_atomic_counters-fragment-discard',
                'arb_shader_image_load_store-coherency', 'arb_shader_image_load_store-host-mem-barrier',
                'arb_shader_image_load_store-shader-mem-barrier',
                'arb_shader_storage_buffer_object-layout-std430-write-shader',
                'arb_shader_storage_buffer_object-rendering', 'arb_query_buffer_object-qbo',
                'arb_texture_buffer_object-data-sync', 'arb_sync-repeat-wait']
GEARS_FRAME = 30


class Runner:
    """Runs one argv natively and remotely with the same extra environment; records failures."""

    def __init__(self, build, server, env):
        self.build, self.server, self.env = build, server, env
        self.failures = []

    def both(self, argv, timeout=120, mode_env=None, says_renderer=True):
        results = {}
        for mode in ('native', 'remote'):
            env = dict(self.env, **(mode_env(mode) if mode_env else {}))
            if mode == 'native':
                r = harness.run_native(argv, timeout=timeout, extra_env=env)
                if r.returncode < 0:
                    # Mesa 22.3's zink on lavapipe sometimes crashes natively while tearing down after the test has
                    # printed its verdict (seen: fbo-readpixels, SIGSEGV at exit, 1 run in ~50). The reference run is
                    # not what is under test, so it gets one more try; a second crash still fails the test.
                    print(f'native {os.path.basename(argv[0])} ended by signal {-r.returncode}; running it again')
                    r = harness.run_native(argv, timeout=timeout, extra_env=env)
            else:
                r = harness.run_remote(self.build, self.server.address, argv, timeout=timeout, extra_env=env)
            results[mode] = r
            if r.returncode != 0:
                detail = (r.stdout + r.stderr).strip()[-2500:]
                if mode == 'remote':
                    detail += f'\n--- server {"alive" if self.server.alive() else "dead"}, its log ends:\n'
                    detail += self.server.log_tail()
                self.failures.append(f'{mode} {" ".join(argv)}: exit status {r.returncode}\n{detail}')
            elif says_renderer and not re.search(r'GL_RENDERER.*zink', r.stdout + r.stderr):
                self.failures.append(f'{mode} {" ".join(argv)}: the renderer is not zink:\n{r.stdout[-1500:]}')
        return results


def glxgears(run, tmp, args):
    shots = {m: os.path.join(tmp, f'gears_{m}.ppm') for m in ('native', 'remote')}
    run.env.update({'LD_PRELOAD': f'{args.gl_dump} {args.clock}', 'ANARCHY_FAKE_CLOCK': '20000',
                    'ANARCHY_GL_DUMP_FRAME': str(GEARS_FRAME)})
    results = run.both(['glxgears', '-info', '-geometry', '160x120'],
                       mode_env=lambda mode: {'ANARCHY_SNAPSHOT': shots[mode]})
    if any(r.returncode for r in results.values()):
        return
    if not all(os.path.exists(p) for p in shots.values()):
        run.failures.append('a glxgears run wrote no frame')
        return
    native, remote = harness.read_ppm(shots['native']), harness.read_ppm(shots['remote'])
    if native != remote:
        run.failures.append(f'glxgears frame {GEARS_FRAME} differs: native {native[0]}x{native[1]}, remote '
                            f'{remote[0]}x{remote[1]}, PSNR {harness.psnr(native[2], remote[2]):.2f} dB')
    else:
        print(f'glxgears frame {GEARS_FRAME} ({native[0]}x{native[1]}) read back identical to native')


def glmark2(run, tmp, args):
    argv = ['glmark2', '--off-screen', '--validate']  # validation always renders 800x600
    for scene in GLMARK2_SCENES:
        argv += ['-b', scene]
    results = run.both(argv, timeout=150)
    verdicts = {m: re.findall(r'^\[(.+?)\] (.*?): Validation: (\w+)', r.stdout, re.M) for m, r in results.items()}
    for mode, found in verdicts.items():
        print(f'{mode}: ' + ', '.join(f'{scene} {v}' for scene, _, v in found))
    native = verdicts['native']
    if len(native) != len(GLMARK2_SCENES) or any(v != 'Success' for _, _, v in native):
        run.failures.append(f'glmark2 native: not every scene validated: {native}')
    if results['remote'].returncode == 0 and verdicts['remote'] != native:
        run.failures.append(f'glmark2 remote verdicts differ from native: {verdicts["remote"]}')


def piglit(run, tmp, args):
    run.env.update({'PIGLIT_PLATFORM': 'surfaceless_egl', 'DISPLAY': '', 'WAYLAND_DISPLAY': ''})
    run.both([os.path.join(PIGLIT_BIN, 'glinfo')], timeout=60)  # says which renderer piglit's tests get
    for test in PIGLIT_TESTS:
        results = run.both([os.path.join(PIGLIT_BIN, test), '-auto', '-fbo'], timeout=60, says_renderer=False)
        verdicts = {m: (re.findall(r'PIGLIT: \{"result": "(\w+)"', r.stdout) or ['none'])[-1]
                    for m, r in results.items()}
        print(f'{test}: native {verdicts["native"]}, remote {verdicts["remote"]}')
        if verdicts['native'] != 'pass':
            run.failures.append(f'piglit {test}: native result {verdicts["native"]}')
        elif verdicts['remote'] != 'pass' and results['remote'].returncode == 0:
            run.failures.append(f'piglit {test}: remote result {verdicts["remote"]}\n{results["remote"].stdout[-1500:]}')


SCENARIOS = {'glxgears': glxgears, 'glmark2': glmark2, 'piglit': piglit}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--gl-dump', help='gl_frame_dump LD_PRELOAD library (glxgears)')
    ap.add_argument('--clock', help='fake_clock LD_PRELOAD library (glxgears)')
    ap.add_argument('scenario', choices=sorted(SCENARIOS))
    args = ap.parse_args()
    tmp = harness.work_dir(f'anarchy-zink-{args.scenario}-')
    with harness.Xvfb(640, 480) as x, harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
        run = Runner(args.build, server, dict(harness.ZINK_ENV, DISPLAY=x.display, XDG_RUNTIME_DIR=tmp))
        SCENARIOS[args.scenario](run, tmp, args)
        later = server.serves_another_client(args.build)
        if later:
            run.failures.append(later)
    for f in run.failures:
        print('FAIL', f)
    print('ok' if not run.failures else f'{len(run.failures)} failures')
    return 1 if run.failures else 0


if __name__ == '__main__':
    harness.run_main(main)
