#!/usr/bin/env python3
"""One error boundary (decisions 4 and 15), driven by the fault-injection hooks:

client_throw   ANARCHY_FAULT_CLIENT_THROW=vkCreateBuffer in the program: the driver's entry point turns the
               exception into a VkResult; the program reports a Vulkan error and exits normally (no crash, no
               abort, no hang).
server_throw   ANARCHY_FAULT_SERVER_THROW=vkCreateQueryPool on the server while `queries` and `graphics` run
               at once: queries fails cleanly, graphics matches its native output byte for byte, and the server
               lives on to serve a third program.
async_failure  ANARCHY_FAULT_SERVER_FAIL=vkResetFences on the server: the asynchronous failure reaches
               `timeline` at its next synchronisation (vkGetFenceStatus) as VK_ERROR_OUT_OF_DEVICE_MEMORY.
"""

import argparse
import os
import sys
import threading

import harness

failures = []


def fail(msg):
    print('FAIL', msg, flush=True)
    failures.append(msg)


def expect_clean_failure(name, r, must_say):
    """A program that failed by a Vulkan error: exit status 1 (its own), never a signal, with its message."""
    if r.returncode == 0:
        fail(f'{name}: succeeded although a fault was injected')
    elif r.returncode != 1:
        fail(f'{name}: exit status {r.returncode} (a crash, an abort or a signal?):\n{r.stderr[-3000:]}')
    for text in must_say:
        if text not in r.stderr:
            fail(f'{name}: stderr does not say "{text}":\n{r.stderr[-3000:]}')
    if not failures:
        print(f'{name}: failed cleanly: ' + next((l for l in r.stderr.splitlines() if 'FAILED' in l), '?'))


def remote_matches_native(build, server, prog, name, tmp, r=None):
    native = os.path.join(tmp, f'native_{name}.bin')
    rn = harness.run_native([prog, name, '--out', native])
    if rn.returncode != 0:
        fail(f'{name}: native run failed: {rn.stderr[-2000:]}')
        return
    remote = os.path.join(tmp, f'remote_{name}.bin')
    if r is None:
        r = harness.run_remote(build, server.address, [prog, name, '--out', remote], timeout=120)
    if r.returncode != 0:
        fail(f'{name}: remote run failed ({r.returncode}): {r.stderr[-2000:]}')
        return
    with open(native, 'rb') as a, open(remote, 'rb') as b:
        if a.read() != b.read():
            fail(f'{name}: remote output differs from native')
            return
    print(f'{name}: remote output identical to native')


def client_throw(build, prog, tmp):
    with harness.Server(build, os.path.join(tmp, 'server.log')) as server:
        r = harness.run_remote(build, server.address, [prog, 'compute', '--out', os.path.join(tmp, 'out.bin')],
                               timeout=120, extra_env={'ANARCHY_FAULT_CLIENT_THROW': 'vkCreateBuffer'})
        expect_clean_failure('compute', r, ['FAILED', 'vkCreateBuffer', 'ANARCHY_FAULT_CLIENT_THROW'])
        if not server.alive():
            fail('the server died')


def server_throw(build, prog, tmp):
    log = os.path.join(tmp, 'server.log')
    with harness.Server(build, log, extra_env={'ANARCHY_FAULT_SERVER_THROW': 'vkCreateQueryPool'}) as server:
        results = {}

        def remote(name):
            out = os.path.join(tmp, f'remote_{name}.bin')
            results[name] = harness.run_remote(build, server.address, [prog, name, '--out', out], timeout=120)

        threads = [threading.Thread(target=remote, args=(n,)) for n in ('queries', 'graphics')]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        expect_clean_failure('queries', results['queries'], ['FAILED'])
        remote_matches_native(build, server, prog, 'graphics', tmp, results['graphics'])
        if not server.alive():
            fail('the server died')
        else:
            remote_matches_native(build, server, prog, 'compute', tmp)
        if not server.alive():
            fail('the server died serving the third program')
    text = open(log, errors='replace').read()
    if 'ending: vkCreateQueryPool: fault injected by ANARCHY_FAULT_SERVER_THROW' not in text:
        fail('the server log does not name the command that threw:\n' + text[-3000:])


def async_failure(build, prog, tmp):
    log = os.path.join(tmp, 'server.log')
    with harness.Server(build, log, extra_env={'ANARCHY_FAULT_SERVER_FAIL': 'vkResetFences'}) as server:
        r = harness.run_remote(build, server.address, [prog, 'timeline', '--out', os.path.join(tmp, 'out.bin')],
                               timeout=120)
        expect_clean_failure('timeline', r, ['FAILED', 'vkGetFenceStatus', 'VK_ERROR_OUT_OF_DEVICE_MEMORY'])
        if not server.alive():
            fail('the server died')
    text = open(log, errors='replace').read()
    if 'vkGetFenceStatus answers VkResult -2 for an earlier asynchronous failure' not in text:
        fail('the server log does not show the failure reported at the synchronisation:\n' + text[-3000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('case', choices=['client_throw', 'server_throw', 'async_failure'])
    args = ap.parse_args()
    prog = os.path.join(args.build, 'tests', 'programs', 'anarchy_testprog')
    tmp = harness.work_dir(f'anarchy-{args.case}-')
    globals()[args.case](args.build, prog, tmp)
    print(f'{args.case}: ' + ('FAILED' if failures else 'passed'))
    return 1 if failures else 0


if __name__ == '__main__':
    harness.run_main(main)
