#!/usr/bin/env python3
"""Runs one of the project's offscreen programs natively and through the remote path; outputs must match byte
for byte. With several names, runs them all at once against one server (concurrent sessions)."""

import argparse
import os
import sys
import threading

import harness


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('programs', nargs='+')
    args = ap.parse_args()
    prog = os.path.join(args.build, 'tests', 'programs', 'anarchy_testprog')
    tmp = harness.work_dir('anarchy-remote-')
    failures = []
    with harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
        natives = {}
        for name in args.programs:
            out = os.path.join(tmp, f'native_{name}.bin')
            r = harness.run_native([prog, name, '--out', out])
            if r.returncode != 0:
                failures.append(f'{name}: native run failed ({r.returncode}): {r.stderr.strip()}')
            natives[name] = out
        results = {}

        def remote(name, slot):
            out = os.path.join(tmp, f'remote_{name}_{slot}.bin')
            results[(name, slot)] = (harness.run_remote(args.build, server.address, [prog, name, '--out', out]), out)

        threads = [threading.Thread(target=remote, args=(n, i)) for i, n in enumerate(args.programs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for (name, slot), (r, out) in sorted(results.items()):
            if r.returncode != 0:
                failures.append(f'{name}: remote run failed ({r.returncode}): {r.stderr.strip()[-2000:]}')
                continue
            with open(natives[name], 'rb') as a, open(out, 'rb') as b:
                na, rb = a.read(), b.read()
            if na != rb:
                first = next((i for i in range(min(len(na), len(rb))) if na[i] != rb[i]), min(len(na), len(rb)))
                failures.append(f'{name}: remote output differs from native (sizes {len(na)} / {len(rb)}, first difference at byte {first})')
            else:
                print(f'{name}: remote output identical to native ({len(na)} bytes)')
        if not server.alive():
            failures.append('the server died')
    for f in failures:
        print('FAIL', f)
    print(f'{len(args.programs) - len(failures)} passed, {len(failures)} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    harness.run_main(main)
