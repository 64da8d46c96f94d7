#!/usr/bin/env python3
"""Direct3D 11 under Wine through DXVK, on the Linux Anarchy driver: tests/wine_programs/d3d11_triangle.exe (built
with mingw-w64, HLSL compiled by Wine's builtin d3dcompiler_47) with DXVK 2.6.2's d3d11.dll and dxgi.dll beside it,
in a fresh Wine prefix under a private Xvfb. DXVK reaches Vulkan through Wine's winevulkan, a Unix-side library
that calls the Linux Vulkan loader inside the Wine process, so the Linux environment decides the driver: lavapipe
natively, the Anarchy driver through `anarchy run`. Both runs exit 0 and the last frame each reads back from its
back buffer is the same byte for byte, as is its window (an `xwd -root` crop at the client origin the program
prints, taken while it holds the window up); the server saw the remote run's session and its 256x256 swapchain,
and serves a later client. With --windows-build, a third run goes the way a Windows machine goes: DXVK -> the
Khronos Windows loader -> Anarchy's Windows driver (installed by its installer, found through the registry) ->
the same server, its frames drawn into the Wine window by the driver (SetDIBitsToDevice). With --codec (h264), the
remote and Windows runs stream with that codec (the Linux client decodes with libavcodec, the Windows one through
Media Foundation: winegstreamer under Wine): the Windows window must come within --min-psnr of the Linux client's
window, and as close to the native picture as the Linux client's window is (less than a dB apart; the triangles'
saturated hard edges keep 4:2:0 H.264 near 33 dB from native whoever decodes it).

Exits 77 (ctest's skip) only when the DXVK tarball is absent."""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time

import harness
from wine import make_prefix, read_xwd_rgb, wine_env

DXVK_SHA256 = 'aea089216b09573cefc5a8ef6cc03ed64720f00bed2c45a17ebaced89e2c8e24'
SKIP = 77


def unpack_dxvk(tarball, dest):
    with open(tarball, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != DXVK_SHA256:
        sys.exit(f'{tarball}: SHA-256 {digest}, expected {DXVK_SHA256}')
    with tarfile.open(tarball) as t:
        for name in ('d3d11.dll', 'dxgi.dll'):
            member = t.getmember(f'dxvk-2.6.2-d3d11/x64/{name}')
            with t.extractfile(member) as src, open(os.path.join(dest, name), 'wb') as out:
                shutil.copyfileobj(src, out)


def run_holding(cmd, env, cwd, display, image, log_base, timeout=90, lossy=False):
    """Runs the program with "hold": once it has written its image and shows the window, the window is grabbed
    (retried for a few seconds: a presented frame reaches the X window asynchronously) until it equals the image,
    then its standard input is closed to let it exit. lossy (a video codec): the grab closest to the image over
    three seconds is kept. (exit status, output, window RGB or None)."""
    out_path, err_path = log_base + '.out', log_base + '.err'
    with open(out_path, 'w') as out, open(err_path, 'w') as err:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=out, stderr=err)
    window = None
    try:
        deadline = time.time() + timeout
        origin = None
        while time.time() < deadline and proc.poll() is None:
            with open(out_path, errors='replace') as f:
                origin = re.search(r'^holding: client origin (-?\d+) (-?\d+)$', f.read(), re.M)
            if origin:
                break
            time.sleep(0.1)
        if origin:
            x0, y0 = int(origin.group(1)), int(origin.group(2))
            expected = harness.read_ppm(image)[2] if os.path.exists(image) else None
            grab_deadline = time.time() + (3 if lossy else 8)
            best = -1.0
            while True:
                dump = subprocess.run(['xwd', '-root', '-silent', '-display', display], capture_output=True,
                                      timeout=30).stdout
                grab = read_xwd_rgb(dump, x0, y0, 256, 256)
                if not lossy:
                    window = grab
                elif expected is not None and len(grab) == len(expected) and harness.psnr(grab, expected) > best:
                    window, best = grab, harness.psnr(grab, expected)
                if (window is not None and window == expected) or time.time() > grab_deadline:
                    break
                time.sleep(0.25)
        proc.stdin.close()
        proc.wait(timeout=max(10, deadline - time.time()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    with open(out_path, errors='replace') as f, open(err_path, errors='replace') as g:
        output = f.read() + g.read()
    return proc.returncode, output, window


def install_windows_client(build, app, base, server_address):
    """Installs anarchy-setup.exe silently into the prefix; returns the environment that runs DXVK on it."""
    for name in ('anarchy-setup.exe', 'vulkan-1.dll'):
        shutil.copy(os.path.join(build, name), app)
    os.chmod(os.path.join(app, 'anarchy-setup.exe'), 0o755)
    env = dict(base)
    subprocess.run(['wine', 'reg', 'delete', r'HKLM\SOFTWARE\Khronos\Vulkan\Drivers', '/f'], env=env,
                   capture_output=True, timeout=60)
    r = subprocess.run(['wine', 'anarchy-setup.exe', '/S', f'/SERVER={server_address}'], env=env, cwd=app,
                       capture_output=True, text=True, timeout=120)
    subprocess.run(['wineserver', '-w'], env=env, timeout=120)
    if r.returncode != 0:
        sys.exit(f'anarchy-setup.exe /S failed ({r.returncode}): {r.stdout}{r.stderr}')
    # DXVK tries winevulkan first; the loader itself needs Wine's builtin dxgi from system32.
    env['WINEDLLOVERRIDES'] = 'vulkan-1,d3d11=n;dxgi=n,b;winevulkan=d;mscoree,mshtml=;winedbg.exe=d'
    for name in ('ANARCHY_SERVER', 'VK_ICD_FILENAMES', 'VK_DRIVER_FILES'):
        env.pop(name, None)
    return env


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--program', default='', help='d3d11_triangle.exe (empty: mingw-w64 was not found)')
    ap.add_argument('--dxvk', required=True, help='dxvk-2.6.2-d3d11-x64.tar.gz')
    ap.add_argument('--frames', default='8')
    ap.add_argument('--windows-build', default='',
                    help='the Windows client build: also run through DXVK -> Khronos loader -> anarchy_vulkan.dll')
    ap.add_argument('--codec', default='', help='with --windows-build: the codec of the remote and Windows runs')
    ap.add_argument('--min-psnr', type=float, default=40.0,
                    help="with --codec: the Windows window's least PSNR against the Linux client's window")
    args = ap.parse_args()
    if args.codec and not args.windows_build:
        sys.exit('--codec needs --windows-build')
    if not os.path.exists(args.dxvk):
        print(f'SKIP: no DXVK tarball at {args.dxvk} (../shared/third_party/README.md)')
        sys.exit(SKIP)
    if not args.program or not os.path.exists(args.program):
        sys.exit('no d3d11_triangle.exe: the build found no x86_64-w64-mingw32-g++-posix (Debian: mingw-w64)')
    for tool in ('wine', 'wineboot', 'wineserver'):
        if not shutil.which(tool):
            sys.exit(f'no {tool} on PATH (Debian: wine, wine64)')

    started = time.time()
    tmp = harness.work_dir('anarchy-d3d11-wine-')
    app = os.path.join(tmp, 'app')
    os.makedirs(app)
    shutil.copy(args.program, app)
    unpack_dxvk(args.dxvk, app)
    exe = os.path.basename(args.program)
    prefix = os.path.join(tmp, 'prefix')
    server_log = os.path.join(tmp, 'server.log')
    timings = {}
    with harness.Xvfb(640, 480) as x:
        base = wine_env(os.environ, prefix, x.display)
        try:
            t = time.time()
            make_prefix(prefix, base)
            timings['prefix'] = time.time() - t
            with harness.Server(args.build, server_log) as server:
                shots = {}
                outputs = {}
                windows = {}
                modes = ('native', 'remote', 'windows') if args.windows_build else ('native', 'remote')
                for mode in modes:
                    shots[mode] = os.path.join(app, f'{mode}.ppm')
                    # Relative paths: the program runs in app/, which Wine maps to Z:\...\app.
                    argv = ['wine', exe, f'{mode}.ppm', args.frames, 'hold']
                    t = time.time()
                    if mode == 'native':
                        env = harness.native_env()
                        env.update(base)
                    elif mode == 'windows':
                        # The Windows client as installed on a Windows machine: the Khronos loader beside the
                        # program finds anarchy_vulkan.dll through the registry alone (Wine's own driver entry
                        # removed), the driver its server through %ProgramData%\Anarchy\anarchy.conf.
                        env = install_windows_client(args.windows_build, app, base, server.address)
                    else:
                        env = dict(base)
                        env['VK_ICD_FILENAMES'] = env['VK_DRIVER_FILES'] = harness.LAVAPIPE
                        argv = [os.path.join(args.build, 'anarchy'), 'run', '--server', server.address, '--'] + argv
                    if args.codec and mode != 'native':
                        # Constant quality: each session's encoder reaches the same picture whichever frames it
                        # captured (with the automatic bitrate the two clients' streams were 41-47 dB apart).
                        env['ANARCHY_CODEC'] = args.codec
                        env['ANARCHY_QUALITY'] = '12'
                    # Wine's Winsock makes each of the Windows driver's round trips slower (60-280 us): more time.
                    rc, output, windows[mode] = run_holding(argv, env, app, x.display, shots[mode],
                                                            os.path.join(tmp, mode),
                                                            timeout=240 if mode == 'windows' else 90,
                                                            lossy=bool(args.codec) and mode != 'native')
                    timings[mode] = time.time() - t
                    outputs[mode] = output
                    adapter = re.search(r'^adapter: .*$', output, re.M)
                    print(f'--- {mode}: exit {rc} in {timings[mode]:.1f} s; '
                          f'{adapter.group(0) if adapter else "no adapter line"}')
                    if rc != 0 or not os.path.exists(shots[mode]):
                        print(outputs[mode][-6000:])
                        if mode != 'native':
                            print(f'--- server {"alive" if server.alive() else "dead"}, its log ends:\n'
                                  f'{server.log_tail(30)}')
                        sys.exit(f'{mode} run failed with exit status {rc}'
                                 f'{"" if os.path.exists(shots[mode]) else " and wrote no image"}')
                # DXVK really ran on the Anarchy driver: the only driver the remote run's loader saw was Anarchy's,
                # DXVK found a device there, and the server had a session for it.
                with open(server_log, errors='replace') as f:
                    log = f.read()
                sessions = len(re.findall(r'session \d+: swapchain 256x256', log))
                if not re.search(r'session \d+: client .* connected', log) or sessions < len(modes) - 1:
                    sys.exit(f'the server log shows no session with a 256x256 swapchain for the remote run:\n'
                             f'{log[-2000:]}')
                if 'Device : ' not in outputs['remote']:
                    sys.exit(f'DXVK printed no device in the remote run:\n{outputs["remote"][-3000:]}')
                if args.codec:
                    chosen = re.findall(r'session \d+: swapchain 256x256: (.*)', log)
                    print(f'--- server encoders: {chosen}')
                    if len([c for c in chosen if c.startswith(args.codec + ':')]) < 2:
                        sys.exit(f'the server encoded no {args.codec} stream for each client: {chosen}\n{log[-2000:]}')
                later = server.serves_another_client(args.build)
                if later:
                    sys.exit(later)
        finally:
            subprocess.run(['wineserver', '-k'], env=base, capture_output=True, timeout=30)
    nw, nh, npix = harness.read_ppm(shots['native'])
    for mode, window in windows.items():
        if window:  # kept beside the images for a look when something differs
            with open(os.path.join(app, f'{mode}_window.ppm'), 'wb') as f:
                f.write(b'P6\n256 256\n255\n' + window)
    for mode in shots:
        rw, rh, rpix = harness.read_ppm(shots[mode])
        if (nw, nh) != (rw, rh):
            sys.exit(f'image sizes differ: native {nw}x{nh}, {mode} {rw}x{rh}')
        if npix != rpix:
            sys.exit(f'the {mode} image differs from the native one (PSNR {harness.psnr(npix, rpix):.2f} dB); '
                     f'both in {app}')
        psnr = harness.psnr(npix, windows[mode]) if windows[mode] and len(windows[mode]) == len(npix) else 0
        if args.codec and mode != 'native':
            print(f'--- {mode} window through {args.codec}: PSNR {psnr:.2f} dB against the native picture')
        elif windows[mode] != npix:
            sys.exit(f'the {mode} window does not show the read-back image (PSNR {psnr:.2f} dB); both in {app}')
    runs = ', '.join(f'{mode} {timings[mode]:.1f} s' for mode in shots)
    if args.codec:
        linux, windows_ = windows['remote'] or b'', windows['windows'] or b''
        between = harness.psnr(linux, windows_) if linux and len(linux) == len(windows_) else 0
        linux_native = harness.psnr(npix, linux) if len(linux) == len(npix) else 0
        windows_native = harness.psnr(npix, windows_) if len(windows_) == len(npix) else 0
        print(f'--- Windows window against the Linux client\'s window, both through {args.codec}: PSNR {between:.2f} dB')
        if between < args.min_psnr or windows_native < linux_native - 1.0:
            sys.exit(f'through {args.codec} the Windows window is {between:.2f} dB from the Linux client\'s (at least '
                     f'{args.min_psnr}) and {windows_native:.2f} dB from native against the Linux client\'s '
                     f'{linux_native:.2f}; all in {app}')
    what = (f'back buffer identical to native in {len(shots)} runs, the Windows window within {args.min_psnr} dB of '
            f'the Linux one through {args.codec}' if args.codec
            else f'back buffer and window identical to native in {len(shots)} runs')
    print(f'{nw}x{nh} {what}; prefix '
          f'{timings["prefix"]:.1f} s, {runs}, total {time.time() - started:.1f} s; ok')

if __name__ == '__main__':
    harness.run_main(main)
