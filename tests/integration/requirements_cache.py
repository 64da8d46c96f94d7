#!/usr/bin/env python3
"""Memory requirements cost one round trip per create info, not one per object: `anarchy_testprog requirements`
creates 520 buffers and images of 13 shapes and asks each for its requirements twice (1,053 questions with the
device-level ones). Remotely its answers must match native byte for byte and the client must have waited on the
server fewer than 120 times (without the cache: over 1,000)."""

import argparse
import os
import sys

import harness


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    args = ap.parse_args()
    prog = os.path.join(args.build, 'tests', 'programs', 'anarchy_testprog')
    tmp = harness.work_dir('anarchy-requirements-')
    native_out, remote_out = os.path.join(tmp, 'native.txt'), os.path.join(tmp, 'remote.txt')
    stats = os.path.join(tmp, 'stats.txt')
    r = harness.run_native([prog, 'requirements', '--out', native_out])
    if r.returncode != 0:
        print('native run failed:', r.stdout, r.stderr)
        return 1
    with harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
        r = harness.run_remote(args.build, server.address, [prog, 'requirements', '--out', remote_out],
                               extra_env={'ANARCHY_STATS_FILE': stats})
    if r.returncode != 0:
        print('remote run failed:', r.stdout, r.stderr)
        return 1
    if open(native_out, 'rb').read() != open(remote_out, 'rb').read():
        print('remote answers differ from native:\n', open(native_out).read(), '\n---\n', open(remote_out).read())
        return 1
    fields = dict(kv.split('=') for kv in open(stats).read().split())
    round_trips, cached = int(fields['round_trips']), int(fields['cached_answers'])
    print(f'round trips {round_trips}, answered from the cache {cached}')
    if round_trips >= 120 or cached < 1000:
        print('memory requirements were not cached per create info')
        return 1
    print('ok')
    return 0


if __name__ == '__main__':
    harness.run_main(main)
