#!/usr/bin/env python3
"""Soak: `anarchy_testprog soak_waits` does many submit-and-wait cycles (vkQueueSubmit, vkWaitForFences,
vkResetFences; every 1000th also vkQueueWaitIdle and vkDeviceWaitIdle) in one remote session, while this script
samples the server's thread count and VmRSS from /proc/PID/status every second (the server's process and its
session workers together). Both must stay flat: threads
never above the baseline (taken 5 s in) + 4, VmRSS never above the baseline + 64 MiB. Prints every sample."""

import argparse
import os
import subprocess
import sys
import time

import harness

MIB = 1024 * 1024


def process_status(pid):
    """(threads, VmRSS in bytes, VmSize in bytes, memory mappings) of process `pid`. Mappings and VmSize are shown,
    not judged: a thread that ended but was never joined leaves its stack mapped (and is no longer in Threads)."""
    threads = rss = size = 0
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('Threads:'):
                threads = int(line.split()[1])
            elif line.startswith('VmRSS:'):
                rss = int(line.split()[1]) * 1024
            elif line.startswith('VmSize:'):
                size = int(line.split()[1]) * 1024
    with open(f'/proc/{pid}/maps') as f:
        mappings = sum(1 for _ in f)
    return threads, rss, size, mappings


def server_status(pid):
    """process_status summed over the server's process and its children (the session's worker)."""
    children = set()
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/children') as f:
                children.update(int(c) for c in f.read().split())
        except OSError:
            pass
    total = list(process_status(pid))
    for child in children:
        try:
            total = [a + b for a, b in zip(total, process_status(child))]
        except OSError:
            pass  # a worker that just ended
    return tuple(total)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--cycles', type=int, default=200000)
    ap.add_argument('--baseline-after', type=float, default=5.0, help='seconds in when the baseline is taken')
    ap.add_argument('--thread-slack', type=int, default=4)
    ap.add_argument('--rss-slack-mib', type=int, default=64)
    ap.add_argument('--timeout', type=float, default=280.0, help='seconds the program may run')
    args = ap.parse_args()
    prog = os.path.join(args.build, 'tests', 'programs', 'anarchy_testprog')
    tmp = harness.work_dir('anarchy-soak-')
    failures = []
    with harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
        env = harness.native_env()
        env['ANARCHY_SOAK_CYCLES'] = str(args.cycles)
        start = time.time()
        program = subprocess.Popen([os.path.join(args.build, 'anarchy'), 'run', '--server', server.address, '--',
                                    prog, 'soak_waits', '--out', os.path.join(tmp, 'soak.txt')],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        baseline = None
        worst = (0, 0)
        print('   t(s)  threads   VmRSS(MiB)  VmSize(MiB)  mappings', flush=True)
        while program.poll() is None:
            time.sleep(1)
            elapsed = time.time() - start
            if not server.alive():
                failures.append('the server died')
                break
            try:
                threads, rss, size, mappings = server_status(server.proc.pid)
            except OSError:  # the server ended between the check and the read
                failures.append('the server died')
                break
            worst = (max(worst[0], threads), max(worst[1], rss))
            note = ''
            if baseline is None and elapsed >= args.baseline_after:
                baseline = (threads, rss)
                note = '  <- baseline'
            print(f'{elapsed:7.1f}  {threads:7d}  {rss / MIB:11.1f}  {size / MIB:11.1f}  {mappings:8d}{note}', flush=True)
            # Far past the limits: stop early rather than let the machine run out of threads or memory.
            if baseline and (threads > baseline[0] + 1000 or rss > baseline[1] + 2048 * MIB):
                failures.append('far past the limits; program stopped early')
                program.kill()
                break
            if elapsed > args.timeout:
                failures.append(f'the program ran past {args.timeout:.0f} s; stopped')
                program.kill()
                break
        output = program.communicate()[0]
        elapsed = time.time() - start
        print(output.strip()[-3000:])
        if program.returncode != 0 and not failures:
            failures.append(f'soak_waits failed ({program.returncode})')
        if baseline is None:
            failures.append(f'the program ended before the baseline was taken ({elapsed:.1f} s)')
        else:
            if worst[0] > baseline[0] + args.thread_slack:
                failures.append(f'server threads grew: baseline {baseline[0]}, peak {worst[0]} '
                                f'(allowed {baseline[0] + args.thread_slack})')
            if worst[1] > baseline[1] + args.rss_slack_mib * MIB:
                failures.append(f'server VmRSS grew: baseline {baseline[1] / MIB:.1f} MiB, peak {worst[1] / MIB:.1f} MiB '
                                f'(allowed +{args.rss_slack_mib} MiB)')
        if program.returncode == 0:
            print(f'{args.cycles} cycles in {elapsed:.1f} s ({args.cycles / elapsed:.0f} per second)')
    for f in failures:
        print('FAIL', f)
    print('PASS' if not failures else f'{len(failures)} failures (server log: {tmp}/server.log)')
    return 1 if failures else 0


if __name__ == '__main__':
    harness.run_main(main)
