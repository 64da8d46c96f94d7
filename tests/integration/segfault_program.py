#!/usr/bin/env python3
"""A program's own crash stays its own: `anarchy_testprog crash_after_map` maps and writes host-visible memory,
then writes through a null pointer. Natively and through `anarchy run` it must die by SIGSEGV (a driver that
handles SIGSEGV for page tracking must pass the program's own faults on), and the server must keep serving:
a normal program run on the same server afterwards must still pass and match its native output."""

import argparse
import os
import resource
import signal
import subprocess
import sys

import harness


def no_core_dumps():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def describe(returncode):
    if returncode < 0:
        return f'killed by {signal.Signals(-returncode).name}'
    return f'exit status {returncode}'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--after', default='transfer', help='the normal program run on the same server afterwards')
    args = ap.parse_args()
    prog = os.path.join(args.build, 'tests', 'programs', 'anarchy_testprog')
    tmp = harness.work_dir('anarchy-segfault-')
    failures = []

    def run(argv, env):
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, preexec_fn=no_core_dumps)

    native = run([prog, 'crash_after_map', '--out', os.path.join(tmp, 'native_crash.bin')], harness.native_env())
    print(f'native crash_after_map: {describe(native.returncode)}')
    if native.returncode != -signal.SIGSEGV:
        failures.append(f'native crash_after_map: expected SIGSEGV, got {describe(native.returncode)}: '
                        f'{native.stderr.strip()[-1000:]}')

    with harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
        remote = run([os.path.join(args.build, 'anarchy'), 'run', '--server', server.address, '--',
                      prog, 'crash_after_map', '--out', os.path.join(tmp, 'remote_crash.bin')], harness.native_env())
        print(f'remote crash_after_map: {describe(remote.returncode)}')
        if remote.returncode != -signal.SIGSEGV:
            failures.append(f'remote crash_after_map: expected SIGSEGV, got {describe(remote.returncode)}: '
                            f'{remote.stderr.strip()[-1000:]}')
        if 'writing through a null pointer' not in remote.stdout:
            failures.append('remote crash_after_map never reached the null-pointer write: '
                            f'{remote.stderr.strip()[-1000:]}')

        # The same server, a normal program: it must still serve, and correctly.
        native_out = os.path.join(tmp, f'native_{args.after}.bin')
        remote_out = os.path.join(tmp, f'remote_{args.after}.bin')
        n = harness.run_native([prog, args.after, '--out', native_out])
        r = harness.run_remote(args.build, server.address, [prog, args.after, '--out', remote_out])
        if n.returncode != 0:
            failures.append(f'native {args.after} failed ({n.returncode}): {n.stderr.strip()[-1000:]}')
        elif r.returncode != 0:
            failures.append(f'{args.after} after the crash: remote run failed ({r.returncode}): '
                            f'{r.stderr.strip()[-1000:]}')
        else:
            with open(native_out, 'rb') as a, open(remote_out, 'rb') as b:
                same = a.read() == b.read()
            print(f'{args.after} after the crash: remote run passed, output '
                  f'{"identical to" if same else "DIFFERENT from"} native')
            if not same:
                failures.append(f'{args.after} after the crash: remote output differs from native')
        if not server.alive():
            failures.append('the server died')
    for f in failures:
        print('FAIL', f)
    print('PASS' if not failures else f'{len(failures)} failures (server log: {tmp}/server.log)')
    return 1 if failures else 0


if __name__ == '__main__':
    harness.run_main(main)
