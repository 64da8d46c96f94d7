"""Shared pieces of the integration tests: a loopback server and running programs natively or remotely."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json'

# OpenGL through Mesa's zink on whatever Vulkan driver the loader picks (lavapipe natively, Anarchy remotely).
# zink (Mesa 22.3) takes a CPU-type Vulkan device such as lavapipe, or a remote lavapipe, only when
# LIBGL_ALWAYS_SOFTWARE is set (and then only a CPU one); without it zink finds no device and GLX reports "failed
# to create drisw screen". A remote GPU would need the variable unset. EGL's surfaceless platform needs no X.
ZINK_ENV = {'MESA_LOADER_DRIVER_OVERRIDE': 'zink', 'LIBGL_ALWAYS_SOFTWARE': '1'}


_work_dirs = []


def work_dir(prefix):
    """A fresh folder for one test's logs and outputs: removed when the test passes (see run_main), kept and named
    on stderr when it fails, so a failure can be read afterwards and passing runs do not fill /tmp (they left
    about 100 MB there each)."""
    path = tempfile.mkdtemp(prefix=prefix)
    _work_dirs.append(path)
    return path


def run_main(main):
    """Runs a test's main() and exits with its status (None or 0: passed; a message or another number: failed),
    removing its work_dir folders if it passed."""
    try:
        code = main()
    except SystemExit as e:
        code = e.code
    except BaseException:
        for path in _work_dirs:
            print(f'logs kept in {path}', file=sys.stderr)
        raise
    for path in _work_dirs:
        if code in (None, 0):
            shutil.rmtree(path, ignore_errors=True)
        else:
            print(f'logs kept in {path}', file=sys.stderr)
    sys.exit(code)


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

    def __init__(self, build, log_path=None, extra_env=None, serve_args=()):
        self.port = free_port()
        self.address = f'127.0.0.1:{self.port}'
        self.log_path = log_path
        self.log = open(log_path or os.devnull, 'w')
        env = native_env()
        env.update(extra_env or {})
        self.proc = subprocess.Popen([os.path.join(build, 'anarchy'), 'serve', '--listen', self.address,
                                      *serve_args],
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

    def log_tail(self, lines=15):
        """The last lines of the server's log, for failure reports."""
        if not self.log_path:
            return ''
        self.log.flush()
        with open(self.log_path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])

    def wait_sessions_ended(self, timeout=15):
        """Waits until every session the log shows connected has ended (its cleanup done) or the server died."""
        deadline = time.time() + timeout
        while time.time() < deadline and self.alive() and self.log_path:
            self.log.flush()
            with open(self.log_path, errors='replace') as f:
                text = f.read()
            if len(re.findall(r'session \d+: client .* connected', text)) <= text.count(': ended ('):
                return
            time.sleep(0.1)

    def serves_another_client(self, build):
        """None when a later client (the compute test program) still runs through this server, else why not."""
        self.wait_sessions_ended()
        if not self.alive():
            return f'the server died (exit status {self.proc.returncode}); its log ends:\n{self.log_tail()}'
        prog = os.path.join(build, 'tests', 'programs', 'anarchy_testprog')
        out = os.path.join(os.path.dirname(self.log_path or '/tmp/x'), 'later_client.bin')
        r = run_remote(build, self.address, [prog, 'compute', '--out', out], timeout=60)
        if r.returncode != 0:
            return f'a later client failed ({r.returncode}): {r.stderr.strip()[-1000:]}'
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def cpu_busy(seconds=1.0):
    """The share of the machine's CPU time spent busy over `seconds` (from /proc/stat), 0..1."""
    def sample():
        with open('/proc/stat') as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields), idle
    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    total = total1 - total0
    return 1.0 - (idle1 - idle0) / total if total else 0.0


def wait_for_quiet_cpu(max_busy=0.25, limit=30.0):
    """Waits (at most `limit` seconds) until a second passes with the CPU busy at most `max_busy`: a ratio of two
    timed runs means something only on a machine that is not still busy with an earlier test's leftovers. Returns
    the last share measured."""
    deadline = time.monotonic() + limit
    busy = cpu_busy()
    while busy > max_busy and time.monotonic() < deadline:
        busy = cpu_busy()
    return busy


def run_native(argv, timeout=300, extra_env=None):
    env = native_env()
    if extra_env:
        env.update(extra_env)
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)


def run_remote(build, address, argv, timeout=300, extra_env=None, run_args=()):
    env = native_env()
    if extra_env:
        env.update(extra_env)
    return subprocess.run([os.path.join(build, 'anarchy'), 'run', '--server', address, *run_args, '--'] + argv,
                          env=env, capture_output=True, text=True, timeout=timeout)


def report(failures):
    """Prints the failures and exits with a summary when there is any; prints ok otherwise."""
    for f in failures:
        print('FAIL', f)
    if failures:
        sys.exit(f'{len(failures)} failure(s)')
    print('ok')


def validation_messages(output):
    """The distinct messages of VK_LAYER_KHRONOS_validation in a program's output, with the parts that change from
    run to run (handles, addresses, counts) masked, so a native and a remote run's can be compared as sets."""
    found = set()
    for line in output.splitlines():
        # The layer's own stdout format: "VUID-...(ERROR / SPEC): msgNum: N - ...", maybe after program output.
        m = re.search(r'[A-Za-z][\w-]*\([A-Z]+ / [A-Z]+\): msgNum: .*', line)
        if not m:
            continue
        text = re.sub(r'0x[0-9a-fA-F]+', '<h>', m.group(0).strip())
        text = re.sub(r'(?<![-\w])\d+', 'N', text)  # counts, sizes, frame numbers; VUID numbers stay
        found.add(text)
    return found


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
