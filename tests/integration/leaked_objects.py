#!/usr/bin/env python3
"""Objects a program leaves behind are the server's to retire, never to trip over (issue 8). OpenGL programs
through zink leave objects alive past vkDestroyDevice; the server used to destroy them at session end with the
dead device, and abort, taking every other session with it.

Default: `anarchy_testprog leak_objects` (every common kind of object left to vkDestroyDevice and
vkDestroyInstance) and `leak_objects_exit` (the same, then exits with the device never destroyed) run natively and
remotely, one after the other: each must exit as natively with the same output, the server must log what it
retired and stay up, and a normal program run afterwards must still be served correctly. Then, remotely only,
`wait_across_destroy` destroys a device while two of its threads wait on the device's fence and semaphore: the
server must answer both waits (VK_ERROR_DEVICE_LOST) before the device goes.

--at-once: leak_objects, crash_mid_frame (dies by SIGKILL with GPU work in flight and a fence waited on) and a
normal program run at once on one server: the leaking and the normal program complete as natively, the crashing
one dies as natively, the server stays up and serves a program afterwards."""

import argparse
import os
import resource
import signal
import subprocess
import sys
import threading

import harness


def no_core_dumps():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def describe(returncode):
    if returncode < 0:
        return f'killed by {signal.Signals(-returncode).name}'
    return f'exit status {returncode}'


class Runner:
    def __init__(self, build, tmp):
        self.build = build
        self.tmp = tmp
        self.prog = os.path.join(build, 'tests', 'programs', 'anarchy_testprog')

    def run(self, name, address=None, tag=''):
        """(returncode, output bytes or None, stderr) of one run, natively or through the server at address."""
        where = 'remote' if address else 'native'
        out = os.path.join(self.tmp, f'{where}_{name}{tag}.bin')
        argv = [self.prog, name, '--out', out]
        if address:
            argv = [os.path.join(self.build, 'anarchy'), 'run', '--server', address, '--'] + argv
        r = subprocess.run(argv, env=harness.native_env(), capture_output=True, text=True, timeout=180,
                           preexec_fn=no_core_dumps)
        data = None
        if os.path.exists(out):
            with open(out, 'rb') as f:
                data = f.read()
        return r.returncode, data, r.stderr


def compare(name, native, remote, failures):
    """Appends to failures unless the remote run ended as the native one did, with the same output."""
    (nrc, nout, nerr), (rrc, rout, rerr) = native, remote
    if nrc != rrc:
        failures.append(f'{name}: remote {describe(rrc)}, native {describe(nrc)}: {rerr.strip()[-1500:]}')
    elif nout != rout:
        failures.append(f'{name}: remote output differs from native ({len(nout or b"")} / {len(rout or b"")} bytes)')
    else:
        print(f'{name}: remote {describe(rrc)} as native' + (f', output identical ({len(rout)} bytes)' if rout else ''))


def served_afterwards(runner, server, failures, name='transfer'):
    compare(f'{name} afterwards', runner.run(name), runner.run(name, server.address, '_after'), failures)


def sequential(runner, server, failures):
    for name in ('leak_objects', 'leak_objects_exit'):
        native = runner.run(name)
        if native[0] != 0:
            failures.append(f'{name}: native run failed ({describe(native[0])}): {native[2].strip()[-1000:]}')
        compare(name, native, runner.run(name, server.address), failures)
        if not server.alive():
            failures.append(f'the server died after {name}')
            return
    rc, out, err = runner.run('wait_across_destroy', server.address)
    expected = (b'fence wait across vkDestroyDevice: VK_ERROR_DEVICE_LOST\n'
                b'timeline semaphore wait across vkDestroyDevice: VK_ERROR_DEVICE_LOST\n')
    if rc != 0 or out != expected:
        failures.append(f'wait_across_destroy: remote {describe(rc)}, output {out!r}: {err.strip()[-1500:]}')
    else:
        print('wait_across_destroy: both waits answered VK_ERROR_DEVICE_LOST when their device was destroyed')
    if not server.alive():
        failures.append('the server died after wait_across_destroy')
        return
    served_afterwards(runner, server, failures)


def at_once(runner, server, failures):
    names = ('leak_objects', 'crash_mid_frame', 'graphics')
    natives = {name: runner.run(name) for name in names}
    if natives['crash_mid_frame'][0] != -signal.SIGKILL:
        failures.append(f'native crash_mid_frame: expected SIGKILL, got {describe(natives["crash_mid_frame"][0])}')
    remotes = {}

    def remote(name):
        remotes[name] = runner.run(name, server.address)

    threads = [threading.Thread(target=remote, args=(name,)) for name in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in names:
        compare(name, natives[name], remotes[name], failures)
    if not server.alive():
        failures.append('the server died')
        return
    served_afterwards(runner, server, failures)


def check_log(path, expected, failures):
    with open(path, errors='replace') as f:
        log = f.read()
    for text in expected:
        if text not in log:
            failures.append(f'the server log has no "{text}"')
    retired = [line for line in log.splitlines() if 'retired' in line]
    for line in retired:
        print('server:', line.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--at-once', action='store_true', help='a leaking, a crashing and a normal program at once')
    args = ap.parse_args()
    tmp = harness.work_dir('anarchy-leaks-')
    runner = Runner(args.build, tmp)
    failures = []
    log_path = os.path.join(tmp, 'server.log')
    with harness.Server(args.build, log_path) as server:
        if args.at_once:
            at_once(runner, server, failures)
        else:
            sequential(runner, server, failures)
        if not server.alive():
            failures.append(f'the server died ({describe(server.proc.returncode)})')
    # Both ways, one program reached vkDestroyDevice with its objects alive and one ended without it.
    check_log(log_path, ['vkDestroyDevice retired', 'session end retired'], failures)
    for f in failures:
        print('FAIL', f)
    print('PASS' if not failures else f'{len(failures)} failures (server log: {log_path})')
    return 1 if failures else 0


if __name__ == '__main__':
    harness.run_main(main)
