#!/usr/bin/env python3
"""Window-system scenarios under a private Xvfb: tests/wsi_programs' anarchy_wsi_test (FIFO, MAILBOX/IMMEDIATE,
resize, zero-sized window, swapchain recreation, headless surface, readback, the window destroyed under its
swapchain; and the extensions the client implements: present ids and waits, swapchain_maintenance1,
FIFO_LATEST_READY, shared presentable images, low latency (Reflex), the present barrier, present metering) natively
and through the remote driver (the shared image once more with the validation layer in the server, which must see no
layout it may not get); the demo scene presenting into a window and a headless surface remotely (its last presented frame must
equal the offscreen render); a window destroyed mid-stream and a server killed mid-frame (clear error, no hang, no
crash)."""

import argparse
import ctypes
import os
import re
import signal
import subprocess
import sys
import time

import harness

# lavapipe (Mesa 22.3) has no VK_EXT_headless_surface and no VK_KHR_present_wait, so `headless` and
# `present_wait` run through the remote driver only.
NATIVE_SCENARIOS = ['fifo', 'mailbox', 'resize', 'zero', 'recreate', 'readback', 'close', 'two_swapchains']
# Extensions the client implements that lavapipe 22.3 lacks (VK_KHR_present_mode_fifo_latest_ready,
# VK_KHR_shared_presentable_image, VK_NV_low_latency2, VK_NV_present_barrier, VK_NV_present_metering): natively these exit 77 (unsupported) there and are reported
# skipped; a native driver that has them must pass them.
NATIVE_IF_SUPPORTED = ['fifo_latest_ready', 'shared', 'latency', 'present_barrier', 'present_metering']
REMOTE_SCENARIOS = NATIVE_SCENARIOS + ['headless', 'present_wait', 'present_wait2', 'swapchain_maintenance1'] + NATIVE_IF_SUPPORTED
EXIT_UNSUPPORTED = 77


def check(cond, message):
    if not cond:
        sys.exit('FAILED: ' + message)


def run(argv, env, timeout=120):
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def destroy_window(display, window):
    """Destroys another client's window, as a window manager or a user closing it would; returns once the X server
    confirms the window is gone (a destroy that raced the program's own requests is sent again)."""
    xcb = ctypes.CDLL('libxcb.so.1')
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_destroy_window.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    xcb.xcb_get_geometry.restype = ctypes.c_uint  # xcb_get_geometry_cookie_t: one unsigned int
    xcb.xcb_get_geometry.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    xcb.xcb_get_geometry_reply.restype = ctypes.c_void_p
    xcb.xcb_get_geometry_reply.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p)]
    xcb.xcb_flush.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    libc = ctypes.CDLL(None)
    libc.free.argtypes = [ctypes.c_void_p]
    conn = xcb.xcb_connect(display.encode(), None)
    try:
        for _ in range(20):
            xcb.xcb_destroy_window(conn, window)
            xcb.xcb_flush(conn)
            err = ctypes.c_void_p()
            reply = xcb.xcb_get_geometry_reply(conn, xcb.xcb_get_geometry(conn, window), ctypes.byref(err))
            if err.value:
                libc.free(err.value)
            if not reply:
                return
            libc.free(reply)
            time.sleep(0.1)
        raise RuntimeError(f'window {window:#x} could not be destroyed')
    finally:
        xcb.xcb_disconnect(conn)


def read_window_id(proc, deadline):
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith('WINDOW '):
            return int(line.split()[1], 16)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    args = ap.parse_args()
    build = args.build
    wsi_test = os.path.join(build, 'tests', 'wsi_programs', 'anarchy_wsi_test')
    demo = os.path.join(build, 'src', 'demo', 'anarchy_demo_scene')
    anarchy = os.path.join(build, 'anarchy')
    tmp = harness.work_dir('anarchy-wsi-')
    with harness.Xvfb() as x, harness.Server(build, os.path.join(tmp, 'server.log')) as server:
        native = x.env(harness.native_env())
        remote_cmd = [anarchy, 'run', '--server', server.address, '--']
        for scenario in NATIVE_SCENARIOS:
            code, out, err = run([wsi_test, scenario], native)
            check(code == 0, f'native {scenario} exited {code}: {err[-1500:]}')
        natively = {}
        for scenario in NATIVE_IF_SUPPORTED:
            code, out, err = run([wsi_test, scenario], native)
            check(code in (0, EXIT_UNSUPPORTED), f'native {scenario} exited {code}: {err[-1500:]}')
            natively[scenario] = 'native and remote ok' if code == 0 else \
                'remote ok (native skipped: ' + err.strip().splitlines()[-1].split('UNSUPPORTED: ')[-1] + ')'
        for scenario in REMOTE_SCENARIOS:
            code, out, err = run(remote_cmd + [wsi_test, scenario], native)
            check(code == 0, f'remote {scenario} exited {code}: {err[-1500:]}')
            check(f'RESULT {scenario} ok' in out, f'remote {scenario}: no RESULT line')
            if scenario == 'present_wait2':  # the client offers PASS_THROUGH (VK_EXT_swapchain_colorspace)
                check('in colour space PASS_THROUGH' in out + err, f'remote present_wait2 did not use PASS_THROUGH: {out}')
            print(f'{scenario}: ' + natively.get(scenario, 'native and remote ok' if scenario in NATIVE_SCENARIOS
                                                  else 'remote ok'))

        # The demo scene presenting: its copy of the last swapchain image equals the offscreen render.
        common = ['--frames', '20', '--width', '200', '--height', '150', '--quiet']
        offscreen = os.path.join(tmp, 'offscreen.png')
        code, _, err = run([demo] + common + ['--png', offscreen], native)
        check(code == 0, f'offscreen demo exited {code}: {err}')
        # The last of them with two frames captured ahead of the encoder instead of one (ANARCHY_CAPTURE_AHEAD).
        for present, mode, ahead in (('window', 'fifo', '1'), ('window', 'mailbox', '1'), ('headless', 'fifo', '1'),
                                     ('headless', 'immediate', '1'), ('headless', 'mailbox', '2')):
            png = os.path.join(tmp, f'{present}-{mode}-{ahead}.png')
            code, out, err = run(remote_cmd + [demo] + common + ['--present', present, '--present-mode', mode,
                                                                  '--png', png], dict(native, ANARCHY_CAPTURE_AHEAD=ahead))
            check(code == 0, f'remote demo --present {present} {mode} exited {code}: {err[-1500:]}')
            with open(offscreen, 'rb') as a, open(png, 'rb') as b:
                check(a.read() == b.read(), f'remote demo --present {present} {mode}: last frame differs')
            print(f'demo --present {present} --present-mode {mode} (captured ahead {ahead}): remote frame equals offscreen')

        # Headless FIFO keeps the rate ANARCHY_REFRESH_HZ gives (a headless surface has no display clock): 30
        # frames at 20 Hz wait for at least 26 refreshes (the first few take free images), 1.3 s; unpaced they take a
        # fraction of that.
        paced_env = dict(native, ANARCHY_REFRESH_HZ='20')
        code, out, err = run(remote_cmd + [demo, '--frames', '30', '--width', '200', '--height', '150',
                                           '--present', 'headless', '--present-mode', 'fifo'], paced_env)
        check(code == 0, f'remote demo --present headless fifo at 20 Hz exited {code}: {err[-1500:]}')
        m = re.search(r'RESULT frames=(\d+) seconds=([0-9.]+)', out)
        check(m is not None, f'headless fifo at 20 Hz: no RESULT line: {out[-500:]}')
        check(float(m.group(2)) >= 1.0, f'headless fifo at 20 Hz: 30 frames took {m.group(2)} s, unpaced')
        print(f'demo --present headless fifo with ANARCHY_REFRESH_HZ=20: 30 frames in {m.group(2)} s')

        # `anarchy demo` with a display: a window with the HUD, and the latency summary.
        code, out, err = run([anarchy, 'demo', '--frames', '40', '--width', '320', '--height', '240', '--png',
                              os.path.join(tmp, 'demo.png')], native, timeout=300)
        check(code == 0, f'anarchy demo in a window exited {code}: {err[-1500:]}')
        check('presented into a window' in out and 'total' in out, f'anarchy demo: no window summary: {out}')
        print('anarchy demo: window with HUD and latency summary ok')

        # A window destroyed while frames stream: the program gets an error it can report, nothing hangs.
        proc = subprocess.Popen(remote_cmd + [wsi_test, 'fifo', '--frames', '100000'], env=native,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        window = read_window_id(proc, time.time() + 30)
        check(window is not None, 'no WINDOW line from anarchy_wsi_test')
        time.sleep(1.0)
        destroy_window(x.display, window)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            sys.exit('FAILED: the program hung after its window was destroyed')
        check(proc.returncode in (0, 1), f'window destroyed: exit {proc.returncode} (a crash?): {err[-1500:]}')
        check('SURFACE_LOST' in err or 'OUT_OF_DATE' in err or proc.returncode == 0,
              f'window destroyed: no clear error: {err[-1500:]}')
        check(server.alive(), 'the server died when a client window went away')
        print(f'window destroyed mid-stream: exit {proc.returncode}, ' + err.strip().splitlines()[-1][:160])

    # The shared presentable image stays in SHARED_PRESENT_KHR, a layout valid only for a real shared presentable
    # image: the server's images are ordinary ones, so its driver must see GENERAL instead (WireDecoder::image_layout).
    # The validation layer in the server's process says whether any layout it got was wrong.
    with harness.Xvfb() as x:
        log = os.path.join(tmp, 'server-validated.log')
        with harness.Server(build, log, extra_env={'VK_INSTANCE_LAYERS': 'VK_LAYER_KHRONOS_validation'}) as server:
            code, out, err = run([anarchy, 'run', '--server', server.address, '--', wsi_test, 'shared'],
                                 x.env(harness.native_env()))
            check(code == 0, f'shared under a validated server exited {code}: {err[-1500:]}')
        with open(log, errors='replace') as f:
            messages = harness.validation_messages(f.read())
        wrong = sorted(m for m in messages if 'Layout' in m.split(':')[0] or 'SHARED_PRESENT' in m)
        check(not wrong, 'the server\'s driver got layouts it may not: ' + '; '.join(wrong)[:1500])
        print(f'shared: no layout message from the validation layer in the server ({len(messages)} other messages)')

    # The server killed mid-frame: the program ends with an error within seconds.
    with harness.Xvfb() as x:
        server = harness.Server(build, os.path.join(tmp, 'server2.log'))
        env = x.env(harness.native_env())
        proc = subprocess.Popen([anarchy, 'run', '--server', server.address, '--', wsi_test, 'fifo', '--frames',
                                 '100000'], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        check(read_window_id(proc, time.time() + 30) is not None, 'no WINDOW line')
        time.sleep(1.0)
        server.proc.send_signal(signal.SIGKILL)
        killed = time.time()
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            sys.exit('FAILED: the program hung after the server was killed')
        took = time.time() - killed
        server.__exit__(None, None, None)
        check(proc.returncode == 1, f'server killed: exit {proc.returncode} (expected 1, a clean failure): {err[-1500:]}')
        check('DEVICE_LOST' in err or 'SURFACE_LOST' in err, f'server killed: no clear error: {err[-1500:]}')
        check(took < 15, f'server killed: the program took {took:.1f} s to notice')
        print(f'server killed mid-frame: exit 1 after {took:.1f} s: ' + err.strip().splitlines()[-1][:160])
    print('ok')


if __name__ == '__main__':
    harness.run_main(main)
