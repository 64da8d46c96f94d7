#!/usr/bin/env python3
"""The Windows client under Wine, against a Linux `anarchy serve` on loopback, as a person installs and uses it:

1. a fresh Wine prefix (under a private Xvfb) with Wine's own Vulkan driver unregistered, so the Khronos loader
   (vulkan-1.dll, built with mingw from ../shared/third_party, beside the program) can only find Anarchy;
2. anarchy-setup.exe /S /SERVER=HOST:PORT: the driver is registered under HKLM\\SOFTWARE\\Khronos\\Vulkan\\Drivers
   and the server written to %ProgramData%\\Anarchy\\anarchy.conf, nothing in the environment;
3. the project's offscreen test programs built for Windows (anarchy_testprog.exe) write outputs byte-identical
   to the Linux programs run natively on lavapipe, directly and through `anarchy.exe run` (which hands back the
   program's exit code);
   vkcube.exe (Vulkan-Tools 1.3.239, the version of Debian's Linux vkcube) draws 300 frames in a Win32 window
   through the lossless codec and exits 0, and its window's last frame is byte-identical to native Linux vkcube's
   (the window_snapshot shim in both: it takes a Wine window as the process exits);
   anarchy_wsi_test.exe (tests/wsi_programs with Win32 windows) passes its scenarios: FIFO, MAILBOX/IMMEDIATE,
   resize, minimized (0x0) and 1x1 windows, swapchain recreation, and the window destroyed under a live swapchain;
4. a server killed while a program runs makes the program end with a Vulkan error (not hang or crash);
5. a server that cannot be reached fails vkCreateInstance (the driver answers VK_ERROR_INITIALIZATION_FAILED,
   which the loader, having no other driver, reports as VK_ERROR_INCOMPATIBLE_DRIVER) and leaves a line in
   %LocalAppData%\\Anarchy\\anarchy.log;
6. uninstall.exe /S leaves no registry value, no key and no file behind.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

import harness
from wine import make_prefix, wine_env

DRIVERS_KEY = r'HKLM\SOFTWARE\Khronos\Vulkan\Drivers'
INSTALL_DIR = r'C:\Program Files\Anarchy'
# Win32 windows through the installed driver: every scenario anarchy_wsi_test has that lavapipe serves here.
WSI_SCENARIOS = ['fifo', 'mailbox', 'resize', 'zero', 'recreate', 'close']


def wine(args, env, timeout=120, cwd=None):
    return subprocess.run(['wine'] + args, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          errors='replace')


def drivers(env):
    """The values under the Drivers key (empty when the key is absent)."""
    r = wine(['reg', 'query', DRIVERS_KEY], env)
    return [line.split('    ')[1].strip() for line in r.stdout.splitlines() if 'REG_DWORD' in line]


def same_bytes(a, b):
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        return fa.read() == fb.read()


def unix_path(prefix, windows_path):
    drive, rest = windows_path.split(':', 1)
    return os.path.join(prefix, f'drive_{drive.lower()}', *rest.strip('\\').split('\\'))


def vkcube(args, env, app, tmp, x):
    """vkcube natively on Linux and vkcube.exe through the installed driver, the same frame count, both with the
    window_snapshot shim: None when both exit 0 and their last frames are identical, else what went wrong."""
    cube = ['--c', str(args.cube_frames)]
    shots = {m: os.path.join(tmp, f'cube_{m}.ppm') for m in ('native', 'windows')}
    t = time.time()
    native = subprocess.run(['vkcube'] + cube, env={**x.env(harness.native_env()), 'LD_PRELOAD': args.shim,
                                                    'ANARCHY_SNAPSHOT': shots['native']},
                            capture_output=True, text=True, timeout=300)
    native_s = time.time() - t
    if native.returncode != 0:
        return f'native vkcube failed ({native.returncode}): {native.stderr[-1500:]}'
    t = time.time()
    r = subprocess.run(['wine', 'vkcube.exe'] + cube, cwd=app, capture_output=True, text=True, timeout=300,
                       errors='replace', env={**env, 'ANARCHY_CODEC': 'lz4', 'LD_PRELOAD': args.shim,
                                              'ANARCHY_SNAPSHOT': shots['windows']})
    windows_s = time.time() - t
    if r.returncode != 0:
        return f'vkcube.exe failed ({r.returncode}):\n{r.stdout[-1500:]}{r.stderr[-1500:]}'
    if not all(os.path.exists(p) for p in shots.values()):
        return f'vkcube: no snapshot of {[m for m, p in shots.items() if not os.path.exists(p)]}:\n{r.stderr[-1500:]}'
    a, b = harness.read_ppm(shots['native']), harness.read_ppm(shots['windows'])
    print(f'--- vkcube {args.cube_frames} frames: native {native_s:.1f} s, vkcube.exe through Anarchy {windows_s:.1f} s; '
          f'last frame {b[0]}x{b[1]} {"identical" if a == b else "DIFFERENT"}')
    if a != b:
        return (f'vkcube.exe last frame differs from native vkcube: native {a[0]}x{a[1]}, windows {b[0]}x{b[1]}, '
                f'PSNR {harness.psnr(a[2], b[2]):.2f} dB')
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True, help='the Linux build (anarchy serve, native test programs)')
    ap.add_argument('--windows-build', required=True, help='the Windows client build (anarchy-setup.exe ...)')
    ap.add_argument('--programs', required=True, help='comma-separated test programs')
    ap.add_argument('--shim', required=True, help='window_snapshot LD_PRELOAD library')
    ap.add_argument('--cube-frames', type=int, default=300)
    args = ap.parse_args()
    args.shim = os.path.abspath(args.shim)  # LD_PRELOAD of programs run in another folder
    win = args.windows_build
    needed = ['anarchy-setup.exe', 'vulkan-1.dll', 'vkcube.exe', os.path.join('tests', 'programs', 'anarchy_testprog.exe'),
              os.path.join('tests', 'wsi_programs', 'anarchy_wsi_test.exe')]
    missing = [n for n in needed if not os.path.exists(os.path.join(win, n))]
    if missing:
        sys.exit(f'the Windows client build {win} lacks {", ".join(missing)} (scripts/build-windows.sh)')
    for tool in ('wine', 'wineboot', 'wineserver', 'Xvfb'):
        if not shutil.which(tool):
            sys.exit(f'no {tool} on PATH (scripts/packages.txt installs it)')

    tmp = harness.work_dir('anarchy-windows-client-')
    app = os.path.join(tmp, 'app')
    os.makedirs(app)
    for name in ('vulkan-1.dll', 'vkcube.exe', os.path.join('tests', 'programs', 'anarchy_testprog.exe'),
                 os.path.join('tests', 'wsi_programs', 'anarchy_wsi_test.exe'), 'anarchy-setup.exe'):
        shutil.copy(os.path.join(win, name), app)
    os.chmod(os.path.join(app, 'anarchy-setup.exe'), 0o755)
    prefix = os.path.join(tmp, 'prefix')
    failures = []
    # Big enough for vkcube's 500x500 window wherever Wine places it: X reads back only what is on the screen.
    with harness.Xvfb(1280, 1024) as x:
        env = wine_env(os.environ, prefix, x.display)
        # The Khronos loader beside the program, not Wine's (which would reach the Linux loader instead).
        env['WINEDLLOVERRIDES'] = 'vulkan-1=n;mscoree,mshtml=;winedbg.exe=d'
        for name in ('ANARCHY_SERVER', 'ANARCHY_CODEC', 'VK_ICD_FILENAMES', 'VK_DRIVER_FILES'):
            env.pop(name, None)
        try:
            t = time.time()
            make_prefix(prefix, env)
            # Wine registers its own driver (winevulkan.json) there; a Windows machine without a local GPU driver
            # would have nothing but ours.
            wine(['reg', 'delete', DRIVERS_KEY, '/f'], env)
            print(f'--- fresh prefix in {time.time() - t:.1f} s')
            with harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
                t = time.time()
                r = wine(['anarchy-setup.exe', '/S', f'/SERVER={server.address}'], env, cwd=app)
                subprocess.run(['wineserver', '-w'], env=env, timeout=120)
                values = drivers(env)
                print(f'--- installed in {time.time() - t:.1f} s (exit {r.returncode}); drivers: {values}')
                manifest = INSTALL_DIR + r'\anarchy_icd.json'
                if r.returncode != 0 or values != [manifest]:
                    sys.exit(f'the installer did not register {manifest} alone: {values}\n{r.stdout}{r.stderr}')
                conf = unix_path(prefix, r'C:\ProgramData\Anarchy\anarchy.conf')
                with open(conf) as f:
                    if f'server = {server.address}' not in f.read():
                        sys.exit(f'{conf} does not name the server {server.address}')

                for program in args.programs.split(','):
                    native_out = os.path.join(tmp, f'native_{program}.bin')
                    remote_out = os.path.join(app, f'windows_{program}.bin')
                    rn = harness.run_native([os.path.join(args.build, 'tests', 'programs', 'anarchy_testprog'),
                                             program, '--out', native_out])
                    t = time.time()
                    rw = wine(['anarchy_testprog.exe', program, '--out', f'windows_{program}.bin'], env, cwd=app,
                              timeout=300)
                    took = time.time() - t
                    if rn.returncode != 0:
                        failures.append(f'{program}: the native run failed ({rn.returncode}): {rn.stdout[-1500:]}')
                    elif rw.returncode != 0 or not os.path.exists(remote_out):
                        failures.append(f'{program}: the Windows run failed ({rw.returncode}):\n'
                                        f'{rw.stdout[-1500:]}{rw.stderr[-1500:]}\n{server.log_tail(10)}')
                    else:
                        same = same_bytes(native_out, remote_out)
                        print(f'--- {program}: Windows run in {took:.1f} s, output '
                              f'{"identical" if same else "DIFFERENT"}')
                        if not same:
                            failures.append(f'{program}: the Windows output differs from the native one')
                # `anarchy.exe run`: the program started with its arguments (Windows quoting), the server given on
                # the command line, the exit code handed back (a program that fails, then one that succeeds).
                anarchy_exe = INSTALL_DIR + r'\anarchy.exe'
                r = wine([anarchy_exe, 'run', '--server', server.address, '--', 'anarchy_testprog.exe', 'no_such_program'],
                         env, cwd=app)
                bad_exit = r.returncode
                first = args.programs.split(',')[0]
                r = wine([anarchy_exe, 'run', '--server', server.address, '--codec', 'lz4', '--',
                          'anarchy_testprog.exe', first, '--out', f'run {first}.bin'], env, cwd=app, timeout=300)
                run_out = os.path.join(app, f'run {first}.bin')
                same = r.returncode == 0 and os.path.exists(run_out) and same_bytes(
                    run_out, os.path.join(tmp, f'native_{first}.bin'))
                print(f'--- anarchy.exe run: a failing program exits {bad_exit}; {first} exits {r.returncode}, output '
                      f'{"identical" if same else "DIFFERENT or missing"}')
                if bad_exit in (0, None) or not same:
                    failures.append(f'anarchy.exe run: failing program exit {bad_exit}, {first} exit {r.returncode}:\n'
                                    f'{r.stdout[-1500:]}{r.stderr[-1500:]}')
                cube_failure = vkcube(args, env, app, tmp, x)
                if cube_failure:
                    failures.append(cube_failure)
                for scenario in WSI_SCENARIOS:
                    t = time.time()
                    r = wine(['anarchy_wsi_test.exe', scenario, '--frames', '30'], dict(env, ANARCHY_CODEC='lz4'),
                             cwd=app, timeout=300)
                    said = r.stdout + r.stderr
                    # The last check passed, and for the zero scenario what the minimized window's surface said.
                    last = [line for line in said.splitlines()
                            if line.startswith('PASS') or 'unmapped window: currentExtent' in line][-2:]
                    print(f'--- anarchy_wsi_test.exe {scenario}: exit {r.returncode} in {time.time() - t:.1f} s; {last}')
                    if r.returncode != 0 or f'RESULT {scenario} ok' not in said:
                        failures.append(f'anarchy_wsi_test.exe {scenario}: exit {r.returncode}:\n{said[-2500:]}')
                if not server.alive():
                    sys.exit(f'the server died:\n{server.log_tail(30)}')

            # A server killed mid-run: the program ends by itself with a Vulkan error, as on Linux
            # (server_killed.py), instead of hanging or crashing.
            with harness.Server(args.build, os.path.join(tmp, 'victim.log')) as victim:
                kill_env = dict(env, ANARCHY_SERVER=victim.address, ANARCHY_SOAK_CYCLES='100000000')
                with open(os.path.join(tmp, 'killed.out'), 'w') as out:
                    proc = subprocess.Popen(['wine', 'anarchy_testprog.exe', 'soak_waits', '--out', 'killed.bin'],
                                            env=kill_env, cwd=app, stdout=out, stderr=subprocess.STDOUT)
                deadline = time.time() + 120
                while time.time() < deadline and proc.poll() is None and 'connected' not in victim.log_tail(50):
                    time.sleep(0.2)
                time.sleep(2)
                victim.proc.kill()
                t = time.time()
                try:
                    rc = proc.wait(timeout=90)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    rc = None
                said = open(os.path.join(tmp, 'killed.out'), errors='replace').read()
                last = [line for line in said.splitlines() if 'VK_ERROR_' in line][-1:]
                print(f'--- server killed mid-run: the program ended in {time.time() - t:.1f} s with exit {rc}: {last}')
                if rc is None or rc == 0 or 'VK_ERROR_' not in said:
                    failures.append(f'server killed mid-run: expected the program to end with a Vulkan error, got '
                                    f'exit {rc}:\n{said[-2000:]}')

            # The server is gone now: the driver must say so, in the program's result and in its log file.
            log = unix_path(prefix, r'C:\users\%s\AppData\Local\Anarchy\anarchy.log' % os.environ.get('USER', 'root'))
            r = wine(['anarchy_testprog.exe', 'graphics', '--out', 'unreachable.bin'], env, cwd=app, timeout=120)
            text = open(log, errors='replace').read() if os.path.exists(log) else ''
            print(f'--- server unreachable: exit {r.returncode}; log: {text.strip().splitlines()[-1:]}')
            said = r.stdout + r.stderr
            if r.returncode == 0 or not ('vkCreateInstance returned VK_ERROR_INCOMPATIBLE_DRIVER' in said or
                                         'vkCreateInstance returned VK_ERROR_INITIALIZATION_FAILED' in said):
                failures.append(f'unreachable server: expected vkCreateInstance to fail, got exit '
                                f'{r.returncode}:\n{said[-3000:]}')
            if 'cannot reach the Anarchy server' not in text:
                failures.append(f'unreachable server: {log} has no "cannot reach" line:\n{text[-1500:]}')

            t = time.time()
            r = wine([INSTALL_DIR + r'\uninstall.exe', '/S'], env)
            # The uninstaller finishes in a copy of itself that it starts and does not wait for; once (in CI, under
            # load) nothing was removed yet when wineserver -w returned. Look again for up to 30 s before judging.
            for attempt in range(16):
                subprocess.run(['wineserver', '-w'], env=env, timeout=120)
                left = drivers(env)
                key = wine(['reg', 'query', DRIVERS_KEY], env)
                files = (os.listdir(unix_path(prefix, INSTALL_DIR))
                         if os.path.exists(unix_path(prefix, INSTALL_DIR)) else [])
                if not left and key.returncode != 0 and not files:
                    break
                time.sleep(2)
            print(f'--- uninstalled in {time.time() - t:.1f} s: drivers {left}, key '
                  f'{"present" if key.returncode == 0 else "gone"}, files {files}')
            if left or key.returncode == 0 or files:
                failures.append(f'uninstall left drivers {left}, key present {key.returncode == 0}, files {files}')
        finally:
            subprocess.run(['wineserver', '-k'], env=env, capture_output=True, timeout=30)
    if failures:
        sys.exit('\n'.join(failures))
    print('PASS')


if __name__ == '__main__':
    harness.run_main(main)
