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

    def __init__(self, build, log_path=None):
        self.port = free_port()
        self.address = f'127.0.0.1:{self.port}'
        self.log = open(log_path or os.devnull, 'w')
        self.proc = subprocess.Popen([os.path.join(build, 'anarchy'), 'serve', '--listen', self.address],
                                     env=native_env(), stdout=self.log, stderr=subprocess.STDOUT)
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
