#!/usr/bin/env python3
"""One worker process per session (decision 14): what a driver does to one session's worker ends that session
alone, and the server stops cleanly whatever its workers do.

crash_and_hang  The server runs with ANARCHY_FAULT_SERVER_CRASH=vkCreateQueryPool (its worker raises SIGSEGV, as a
                crashing driver would) and ANARCHY_FAULT_SERVER_HANG=vkSignalSemaphore (its worker never returns, as
                a driver call stuck on the GPU would) and --driver-timeout 2. `queries` and `timeline` each fail with
                a Vulkan error within seconds, while `graphics`, running meanwhile, matches its native output byte
                for byte; the log says how each worker ended (SIGSEGV; the watchdog naming vkSignalSemaphore); a
                later client is served; the server's own process never loaded a Vulkan driver; SIGTERM stops it
                with exit status 0 and no worker left behind.
limits          A frame header claiming 1 GiB before the handshake (two connections left open) is refused and the
                server's memory stays small; with --worker-memory 400 a session that maps a 256 MiB ring (mapped_ring,
                about 870 MiB resident on lavapipe) loses its worker, the log says why, and a later client is served.
stop_while_hung The watchdog off (--driver-timeout 0) and a worker hung in vkSignalSemaphore: SIGTERM still stops
                the server within its grace period (--stop-grace 1) plus a little, exit status 0, no worker left,
                and the client gets an error instead of hanging.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

import harness

failures = []


def fail(msg):
    print('FAIL', msg, flush=True)
    failures.append(msg)


def children_of(pid):
    """The pids of a process's children (its session workers)."""
    found = set()
    try:
        for tid in os.listdir(f'/proc/{pid}/task'):
            with open(f'/proc/{pid}/task/{tid}/children') as f:
                found.update(int(p) for p in f.read().split())
    except OSError:
        pass
    return found


def alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().split(') ')[-1].split()[0] != 'Z'
    except OSError:
        return False


def driver_libraries(pid):
    """Vulkan drivers (and LLVM, which lavapipe loads) mapped into a process."""
    with open(f'/proc/{pid}/maps') as f:
        return sorted({line.split()[-1] for line in f
                       if any(k in line for k in ('libvulkan_', 'libLLVM', 'libnvidia', 'lvp'))})


def expect_session_lost(name, r, took, limit):
    """The program failed on its own terms (exit 1, no signal) because its session was lost: the driver reports
    the lost connection, and the program the error it got (VK_ERROR_DEVICE_LOST, or whatever it made of the
    answers a lost device gives)."""
    if r.returncode != 1:
        fail(f'{name}: exit status {r.returncode}, expected the program\'s own failure (1):\n{r.stderr[-2000:]}')
    elif 'VK_ERROR' not in r.stderr and 'lost' not in r.stderr:
        fail(f'{name}: stderr reports neither a Vulkan error nor a lost connection:\n{r.stderr[-2000:]}')
    elif took > limit:
        fail(f'{name}: took {took:.1f} s to fail (limit {limit} s)')
    else:
        line = next((l for l in r.stderr.splitlines() if 'VK_ERROR' in l),
                    next((l for l in r.stderr.splitlines() if 'lost' in l), '?'))
        print(f'{name}: failed in {took:.1f} s: {line.strip()}', flush=True)


def stop_cleanly(server, workers_seen, limit):
    """SIGTERM; the server must exit 0 within limit seconds and leave none of its workers running."""
    workers = workers_seen | children_of(server.proc.pid)
    start = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    try:
        rc = server.proc.wait(timeout=limit + 10)
    except subprocess.TimeoutExpired:
        fail(f'the server did not stop within {limit + 10} s of SIGTERM')
        server.proc.kill()
        return
    took = time.monotonic() - start
    if rc != 0:
        fail(f'the server exited with status {rc} on SIGTERM:\n{server.log_tail()}')
    if took > limit:
        fail(f'the server took {took:.1f} s to stop (limit {limit} s)')
    time.sleep(0.2)
    left = [p for p in workers if alive(p)]
    if left:
        fail(f'workers left running after the server stopped: {left}')
    if rc == 0 and took <= limit and not left:
        print(f'SIGTERM: the server stopped in {took:.1f} s (exit 0), none of its {len(workers)} workers left',
              flush=True)


def run_timed(build, address, argv, results, name, extra_env=None):
    start = time.monotonic()
    r = harness.run_remote(build, address, argv, timeout=120, extra_env=extra_env)
    results[name] = (r, time.monotonic() - start)


def crash_and_hang(build, prog, tmp):
    log = os.path.join(tmp, 'server.log')
    env = {'ANARCHY_FAULT_SERVER_CRASH': 'vkCreateQueryPool', 'ANARCHY_FAULT_SERVER_HANG': 'vkSignalSemaphore'}
    native = os.path.join(tmp, 'native_graphics.bin')
    rn = harness.run_native([prog, 'graphics', '--out', native])
    if rn.returncode != 0:
        fail(f'graphics: native run failed: {rn.stderr[-2000:]}')
        return
    with harness.Server(build, log, extra_env=env, serve_args=['--driver-timeout', '2']) as server:
        results = {}
        workers = set()
        jobs = [('queries', [prog, 'queries', '--out', os.path.join(tmp, 'queries.bin')]),
                ('timeline', [prog, 'timeline', '--out', os.path.join(tmp, 'timeline.bin')]),
                ('graphics', [prog, 'graphics', '--out', os.path.join(tmp, 'remote_graphics.bin')])]
        threads = [threading.Thread(target=run_timed, args=(build, server.address, argv, results, name))
                   for name, argv in jobs]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            workers |= children_of(server.proc.pid)
            time.sleep(0.05)
        for t in threads:
            t.join()
        expect_session_lost('queries (worker crashes)', *results['queries'], limit=20)
        expect_session_lost('timeline (worker hangs)', *results['timeline'], limit=20)
        r, _ = results['graphics']
        if r.returncode != 0:
            fail(f'graphics (meanwhile): remote run failed ({r.returncode}): {r.stderr[-2000:]}')
        elif open(native, 'rb').read() != open(os.path.join(tmp, 'remote_graphics.bin'), 'rb').read():
            fail('graphics (meanwhile): remote output differs from native')
        else:
            print('graphics (meanwhile): remote output identical to native', flush=True)
        if not server.alive():
            fail(f'the server died:\n{server.log_tail()}')
            return
        later = server.serves_another_client(build)
        if later:
            fail(later)
        else:
            print('a later client (compute) was served', flush=True)
        drivers = driver_libraries(server.proc.pid)
        if drivers:
            fail(f'the server process itself loaded a Vulkan driver: {drivers}')
        else:
            print(f'the server process (pid {server.proc.pid}) never loaded a Vulkan driver; '
                  f'its {len(workers)} workers did', flush=True)
        stop_cleanly(server, workers, limit=8)
    text = open(log, errors='replace').read()
    for want in ('killed by SIGSEGV', 'killed by SIGKILL (the watchdog: the command vkSignalSemaphore'):
        if want not in text:
            fail(f'the server log does not say "{want}":\n{text[-3000:]}')


def resident_kib(pid):
    """VmRSS of a process and its children (the server and its workers), in KiB."""
    total = 0
    for p in {pid} | children_of(pid):
        try:
            with open(f'/proc/{p}/status') as f:
                total += next(int(l.split()[1]) for l in f if l.startswith('VmRSS:'))
        except (OSError, StopIteration):
            pass
    return total


def limits(build, prog, tmp):
    import socket
    import struct
    log = os.path.join(tmp, 'server_limits.log')
    with harness.Server(build, log, serve_args=['--worker-memory', '400']) as server:
        time.sleep(1)
        before = resident_kib(server.proc.pid)
        rogues = []
        for _ in range(2):
            s = socket.create_connection(('127.0.0.1', server.port))
            s.sendall(struct.pack('<IHH', (1 << 30) - 1, 1, 0) + b'\0' * 4096)
            rogues.append(s)
        time.sleep(1.5)
        after = resident_kib(server.proc.pid)
        for s in rogues:
            s.close()
        if after > before + 64 * 1024:
            fail(f'two 1 GiB headers before the handshake grew the server from {before // 1024} to {after // 1024} MiB')
        else:
            print(f'1 GiB headers before the handshake: refused, server and workers {before // 1024} -> '
                  f'{after // 1024} MiB resident', flush=True)
        results = {}
        run_timed(build, server.address, [prog, 'mapped_ring', '--out', os.path.join(tmp, 'ring.bin')], results,
                  'mapped_ring')
        expect_session_lost('mapped_ring (past --worker-memory)', *results['mapped_ring'], limit=60)
        later = server.serves_another_client(build)
        if later:
            fail(later)
        else:
            print('a later client (compute) was served', flush=True)
    text = open(log, errors='replace').read()
    for want in ('exceeds the limit', 'over --worker-memory'):
        if want not in text:
            fail(f'the server log does not say "{want}":\n{text[-3000:]}')


def stop_while_hung(build, prog, tmp):
    log = os.path.join(tmp, 'server_hung.log')
    env = {'ANARCHY_FAULT_SERVER_HANG': 'vkSignalSemaphore'}
    server = harness.Server(build, log, extra_env=env,
                            serve_args=['--driver-timeout', '0', '--stop-grace', '1'])
    results = {}
    workers = set()
    t = threading.Thread(target=run_timed, args=(build, server.address,
                                                 [prog, 'timeline', '--out', os.path.join(tmp, 'timeline.bin')],
                                                 results, 'timeline'))
    t.start()
    # Until the session's worker is stuck in the hook.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and t.is_alive():
        workers |= children_of(server.proc.pid)
        server.log.flush()
        if 'ANARCHY_FAULT_SERVER_HANG in vkSignalSemaphore' in open(log, errors='replace').read():
            break
        time.sleep(0.1)
    workers |= children_of(server.proc.pid)
    stop_cleanly(server, workers, limit=1 + 6)
    t.join(timeout=60)
    if t.is_alive():
        fail('the client still hangs 60 s after the server stopped')
    else:
        expect_session_lost('timeline (worker hung at SIGTERM)', *results['timeline'], limit=30)
    server.log.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('case', choices=['crash_and_hang', 'limits', 'stop_while_hung'])
    args = ap.parse_args()
    prog = os.path.join(args.build, 'tests', 'programs', 'anarchy_testprog')
    tmp = harness.work_dir(f'anarchy-{args.case}-')
    globals()[args.case](args.build, prog, tmp)
    print(f'{args.case}: ' + ('FAILED' if failures else 'passed'))
    return 1 if failures else 0


if __name__ == '__main__':
    harness.run_main(main)
