#!/usr/bin/env python3
"""Mapped-memory frames per second, native (lavapipe) against remote (`anarchy serve` on loopback) in one run.

Runs anarchy_memory_bench once per case (mapped size x bytes per frame x upload/readback), each case its own
process so the driver's counters (ANARCHY_STATS_FILE, written at vkDestroyInstance) belong to that case alone,
and prints two tables with the goals of DESIGN.md decision 8:
  - frame time with 1 GiB mapped within 10% of with 1 MiB mapped;
  - bytes sent up <= 1.2x the bytes written (upload);
  - remote frame time at 1 MiB mapped <= native + 2 round trips (round trip: anarchy_roundtrip_bench's p50).
Bytes per byte are totals over the whole process (setup, warm-up and measured frames) divided by the bytes
written or read in all its frames. With --repeat N every case runs N times, the rounds interleaved (each round runs
every case once), and the tables and goals take each figure's median over the rounds: a host whose speed drifts
between minutes then moves every size alike instead of the sizes measured last."""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json'
NATIVE_ICD = os.environ.get('ANARCHY_NATIVE_ICD', LAVAPIPE)


def native_env():
    """The environment of native runs and of the server: the loader sees only the native driver
    (ANARCHY_NATIVE_ICD, lavapipe by default; e.g. nvidia_icd.json on a GPU host)."""
    env = dict(os.environ)
    env['VK_ICD_FILENAMES'] = NATIVE_ICD
    env['VK_DRIVER_FILES'] = NATIVE_ICD
    return env


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def parse_case(stdout):
    for line in stdout.splitlines():
        if line.startswith('memory_bench '):
            return {k: v for k, v in (kv.split('=', 1) for kv in line.split()[1:])}
    return None


def parse_stats(path):
    """The driver's counters for the case's one instance: the last line of `path`. (Today's driver appends the
    same line twice per instance, at vkDestroyInstance and again when its runtime is destroyed.)"""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        lines = [line for line in f if line.strip()]
    if not lines:
        return None
    return {k: int(v) for k, _, v in (kv.partition('=') for kv in lines[-1].split()) if v.isdigit()}


def pinned(cpus, argv):
    """argv run on the CPUs `cpus` (taskset's list form) when given."""
    return (['taskset', '-c', cpus] if cpus else []) + argv


def round_trips(build, count, cpus):
    """anarchy_roundtrip_bench's p50s in microseconds: 'sync' (a blocking command of ours), 'mib_up' and 'mib_down'
    (raw loopback TCP moving a MiB one way with a 24-byte answer: the least a MiB a frame can add here)."""
    exe = os.path.join(build, 'bench', 'anarchy_roundtrip_bench')
    try:
        out = subprocess.run(pinned(cpus, [exe, str(count)]), capture_output=True, text=True, timeout=180).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f'round trip: {e}', file=sys.stderr)
        return {}
    found = {}
    for key, pattern in (('sync', r'anarchy sync command\s+p50\s+([\d.]+)'),
                         ('mib_up', r'raw TCP 1 MiB up, 24 B back\s+p50\s+([\d.]+)'),
                         ('mib_down', r'raw TCP 24 B up, 1 MiB back\s+p50\s+([\d.]+)')):
        m = re.search(pattern, out)
        if m:
            found[key] = float(m.group(1))
    return found


def run_case(argv, env, timeout):
    start = time.time()
    try:
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f'timed out after {timeout:.0f} s'
    if r.returncode != 0:
        return None, f'exit {r.returncode}: {r.stderr.strip()[-300:]}'
    case = parse_case(r.stdout)
    if case is not None:
        case['wall_s'] = f'{time.time() - start:.1f}'
    return case, None if case else 'no result line'


def median(values):
    values = sorted(values)
    n = len(values)
    return (values[n // 2] + values[(n - 1) // 2]) / 2


def combine(rounds):
    """One case's rounds as one (native, remote, stats, native_err, remote_err): each number the median of the
    rounds that produced it; an error only when no round did."""
    def merged(dicts):
        dicts = [d for d in dicts if d]
        if not dicts:
            return None
        out = dict(dicts[0])
        for key in dicts[0]:
            try:
                values = [float(d[key]) for d in dicts if key in d]
            except ValueError:
                continue
            m = median(values)
            out[key] = str(int(m)) if all(v.is_integer() for v in values) and m.is_integer() else f'{m:.6g}'
        out['p50_rounds'] = ' '.join(d['p50_ms'] for d in dicts if 'p50_ms' in d)
        return out

    def merged_stats(dicts):
        dicts = [d for d in dicts if d]
        if not dicts:
            return None
        return {k: int(median([d.get(k, 0) for d in dicts])) for k in dicts[0]}

    native = merged(r[0] for r in rounds)
    remote = merged(r[1] for r in rounds)
    stats = merged_stats(r[2] for r in rounds)
    native_err = next((r[3] for r in rounds if r[3]), None) if native is None else None
    remote_err = next((r[4] for r in rounds if r[4]), None) if remote is None else None
    return native, remote, stats, native_err, remote_err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'build'))
    ap.add_argument('--seconds', type=float, default=2.0, help='measured seconds per case (after warm-up)')
    ap.add_argument('--sizes-mib', default='1,64,256,1024')
    ap.add_argument('--bytes', default='4096,1048576', help='bytes written (read) per frame')
    ap.add_argument('--modes', default='upload,readback')
    ap.add_argument('--case-timeout', type=float, default=150.0, help='seconds before a case is given up')
    ap.add_argument('--roundtrips', type=int, default=2000)
    ap.add_argument('--server-cpus', help="taskset CPU list for the server (e.g. 0-7); runs move less between cores")
    ap.add_argument('--client-cpus', help='taskset CPU list for the program, native and remote (e.g. 8-15)')
    ap.add_argument('--cached', action='store_true', help='HOST_CACHED memory (what readback heaps use)')
    ap.add_argument('--repeat', type=int, default=1, help='rounds of every case, interleaved; figures are medians')
    ap.add_argument('--places', default='same',
                    help="places each frame's offset goes round: a number, or 'same' (default): as many as the "
                         'smallest size has room for (at most 16), so every size touches the same pages')
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    bench = os.path.join(build, 'bench', 'anarchy_memory_bench')
    sizes = [int(s) for s in args.sizes_mib.split(',')]
    per_frame = [int(b) for b in args.bytes.split(',')]
    modes = args.modes.split(',')
    tmp = tempfile.mkdtemp(prefix='anarchy-memory-bench-')

    trips = round_trips(build, args.roundtrips, args.client_cpus)
    rtt = trips.get('sync')
    print(f'round trip (anarchy sync command p50): {rtt:.1f} us' if rtt else 'round trip: not measured')
    for key, what in (('mib_up', 'a MiB up, 24 B back'), ('mib_down', '24 B up, a MiB back')):
        if key in trips:
            print(f'raw loopback TCP, {what} (p50): {trips[key]:.1f} us')

    port = free_port()
    address = f'127.0.0.1:{port}'
    server_log = open(os.path.join(tmp, 'server.log'), 'w')
    server = subprocess.Popen(pinned(args.server_cpus, [os.path.join(build, 'anarchy'), 'serve', '--listen', address]),
                              env=native_env(), stdout=server_log, stderr=subprocess.STDOUT)
    deadline = time.time() + 20
    while True:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                print('anarchy serve did not start', file=sys.stderr)
                return 1
            time.sleep(0.05)

    runs = {}  # (mode, size, bytes) -> one (native, remote, stats, native_err, remote_err) per round
    try:
        for round_index in range(max(1, args.repeat)):
            if args.repeat > 1:
                print(f'round {round_index + 1} of {args.repeat}', flush=True)
            for mode in modes:
                for size in sizes:
                    for b in per_frame:
                        places = (min(16, max(1, min(sizes) * (1 << 20) // b)) if args.places == 'same'
                                  else int(args.places))
                        argv = [bench, '--mode', mode, '--size-mib', str(size), '--write-bytes', str(b),
                                '--seconds', str(args.seconds), '--places', str(places)]
                        if args.cached:
                            argv.append('--cached')
                        native, native_err = run_case(pinned(args.client_cpus, argv), native_env(), args.case_timeout)
                        stats_path = os.path.join(tmp, f'stats_{mode}_{size}_{b}_{round_index}.txt')
                        env = native_env()
                        env['ANARCHY_STATS_FILE'] = stats_path
                        remote, remote_err = run_case(pinned(args.client_cpus, [os.path.join(build, 'anarchy'), 'run',
                                                                                 '--server', address, '--'] + argv),
                                                      env, args.case_timeout)
                        runs.setdefault((mode, size, b), []).append(
                            (native, remote, parse_stats(stats_path), native_err, remote_err))
                        n = f'{float(native["fps"]):.0f} fps' if native else native_err
                        r = f'{float(remote["fps"]):.0f} fps ({remote["wall_s"]} s)' if remote else remote_err
                        print(f'  {mode} {size} MiB, {b} B/frame: native {n}; remote {r}', flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
    results = {key: combine(rounds) for key, rounds in runs.items()}

    def human(b):
        return f'{b // 1048576} MiB' if b >= 1048576 else f'{b // 1024} KiB'

    goals = []
    for mode in modes:
        moved = 'written' if mode == 'upload' else 'read'
        print(f'\n== {mode}: host {"writes" if mode == "upload" else "reads"} N bytes of a persistently mapped '
              f'buffer per frame, GPU copy, fence wait')
        print(f'{"mapped":>8} {moved + "/frame":>13} {"places":>6} {"native fps":>11} {"remote fps":>11} {"remote/native":>14} '
              f'{"p50 native ms":>14} {"p50 remote ms":>14} {"up B/B":>8} {"down B/B":>9}')
        for size in sizes:
            for b in per_frame:
                native, remote, stats, _, _ = results[(mode, size, b)]
                nf = float(native['fps']) if native else None
                rf = float(remote['fps']) if remote else None
                ratio = f'{rf / nf:.3f}' if nf and rf else '-'
                up = down = '-'
                if remote and stats:
                    total = int(remote['bytes_total']) or 1
                    up = f'{stats.get("bytes_sent", 0) / total:.2f}'
                    down = f'{stats.get("bytes_received", 0) / total:.2f}'
                places = (remote or native or {}).get('places', '-')
                print(f'{size:>6}Mi {human(b):>13} {places:>6} {nf or 0:>11.1f} {rf or 0:>11.1f} {ratio:>14} '
                      f'{float(native["p50_ms"]) if native else 0:>14.3f} '
                      f'{float(remote["p50_ms"]) if remote else 0:>14.3f} {up:>8} {down:>9}')
        for b in per_frame:
            small, large = results.get((mode, 1, b)), results.get((mode, 1024, b))
            if small and large and small[1] and large[1]:
                t1, t1024 = float(small[1]['p50_ms']), float(large[1]['p50_ms'])
                rounds = (f' (rounds: {large[1]["p50_rounds"]} vs {small[1]["p50_rounds"]})' if args.repeat > 1
                          else '')
                goals.append((f'{mode} {human(b)}/frame: remote frame time at 1 GiB within 10% of at 1 MiB',
                              f'{t1024:.3f} ms vs {t1:.3f} ms{rounds}', t1024 <= 1.1 * t1))
            elif small or large:
                goals.append((f'{mode} {human(b)}/frame: remote frame time at 1 GiB within 10% of at 1 MiB',
                              'not measured (1 MiB or 1 GiB not run, failed or timed out)', False))
            entry = results.get((mode, 1, b))
            if entry and entry[0] and entry[1] and rtt:
                native_ms, remote_ms = float(entry[0]['p50_ms']), float(entry[1]['p50_ms'])
                budget = native_ms + 2 * rtt / 1000
                floor = trips.get('mib_up' if mode == 'upload' else 'mib_down') if b == 1 << 20 else None
                floor_text = (f' (raw loopback TCP alone moves the MiB and answers in {floor / 1000:.3f} ms)'
                              if floor else '')
                goals.append((f'{mode} {human(b)}/frame: remote frame time at 1 MiB <= native + 2 round trips',
                              f'{remote_ms:.3f} ms vs {native_ms:.3f} + 2 x {rtt / 1000:.3f} = {budget:.3f} ms'
                              + floor_text, remote_ms <= budget))
        if mode == 'upload':
            for size in sizes:
                for b in per_frame:
                    _, remote, stats, _, _ = results[(mode, size, b)]
                    if remote and stats:
                        ratio = stats.get('bytes_sent', 0) / max(1, int(remote['bytes_total']))
                        goals.append((f'upload {size} MiB, {human(b)}/frame: bytes up <= 1.2x bytes written',
                                      f'{ratio:.2f}x', ratio <= 1.2))
    print('\n== goals (DESIGN.md decision 8)')
    for name, figure, ok in goals:
        print(f'  {"met " if ok else "MISS"}  {name}: {figure}')
    print(f'(logs and counters: {tmp})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
