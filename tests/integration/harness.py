"""Shared pieces of the integration tests: a loopback server and running programs natively or remotely."""

import os
import socket
import subprocess
import time

LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json'


def native_env():
    env = dict(os.environ)
    env['VK_ICD_FILENAMES'] = LAVAPIPE
    env['VK_DRIVER_FILES'] = LAVAPIPE
    return env


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """`anarchy serve` on a free loopback port, stopped on exit."""

    def __init__(self, build, log_path=None, extra_env=None):
        self.port = free_port()
        self.address = f'127.0.0.1:{self.port}'
        self.log_path = log_path
        self.log = open(log_path or os.devnull, 'w')
        env = native_env()
        env.update(extra_env or {})
        self.proc = subprocess.Popen([os.path.join(build, 'anarchy'), 'serve', '--listen', self.address],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError('anarchy serve exited early')
                time.sleep(0.05)
        raise RuntimeError('anarchy serve did not start listening')

    def alive(self):
        return self.proc.poll() is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def run_native(argv, timeout=300):
    return subprocess.run(argv, env=native_env(), capture_output=True, text=True, timeout=timeout)


def run_remote(build, address, argv, timeout=300, extra_env=None):
    env = native_env()
    if extra_env:
        env.update(extra_env)
    return subprocess.run([os.path.join(build, 'anarchy'), 'run', '--server', address, '--'] + argv,
                          env=env, capture_output=True, text=True, timeout=timeout)


class Xvfb:
    """A private X server (Xvfb) on a free display number, so windowed tests never touch the user's display."""

    def __init__(self, width=1280, height=1024):
        for number in range(90 + os.getpid() % 400, 1000):
            if os.path.exists(f'/tmp/.X{number}-lock') or os.path.exists(f'/tmp/.X11-unix/X{number}'):
                continue
            self.display = f':{number}'
            self.proc = subprocess.Popen(['Xvfb', self.display, '-screen', '0', f'{width}x{height}x24',
                                          '-nolisten', 'tcp'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 10
            while time.time() < deadline:
                if os.path.exists(f'/tmp/.X11-unix/X{number}'):
                    time.sleep(0.1)
                    return
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            self.proc.kill()
        raise RuntimeError('could not start Xvfb')

    def env(self, base):
        env = dict(base)
        env['DISPLAY'] = self.display
        env.pop('WAYLAND_DISPLAY', None)
        return env

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def read_ppm(path):
    """(width, height, rgb bytes) of a binary PPM written by the window_snapshot shim."""
    with open(path, 'rb') as f:
        data = f.read()
    parts = data.split(b'\n', 3)
    if parts[0] != b'P6':
        raise ValueError(f'{path}: not a binary PPM')
    w, h = (int(x) for x in parts[1].split())
    return w, h, parts[3]


def psnr(a, b):
    """Peak signal-to-noise ratio in dB of two equally sized byte strings (inf when identical)."""
    import math
    if len(a) != len(b):
        raise ValueError('images differ in size')
    se = sum((x - y) * (x - y) for x, y in zip(a, b))
    if se == 0:
        return math.inf
    return 10 * math.log10(255 * 255 / (se / len(a)))
