#!/usr/bin/env python3
"""Quality follows the link: vkcube streams through a proxy that passes the server's bytes freely, then at a
limited rate, then freely again. Phases are told apart by the stats file (one flushed row per frame) as it grows;
the codec and the bitrate each frame was encoded at are in its columns. Scenarios:
- bitrate: H.264; while the link is limited the client must ask for a lower bitrate within a few seconds and
  frames must keep arriving; once the limit is lifted the bitrate must go back up.
- lossless-to-video: `--codec auto` on a link measured fast enough for lossless (ANARCHY_LINK_PROBE=1 makes the
  client probe the proxied loopback link; ANARCHY_LOSSLESS_GBPS lowers the bar to what the proxy carries); when
  the limit makes lossless frames queue, the stream must move to H.264 and frames keep arriving; once the limit is
  lifted, a link probe between frames finds room for lossless frames again and the stream goes back to lz4-tiles.
- slow-link: `--codec auto` on a link limited from the start: the probe must pick H.264 for the first frame."""

import argparse
import os
import socket
import subprocess
import sys
import threading
import time

import harness


class ThrottlingProxy:
    """Forwards TCP connections to `target`; bytes from the server to the client go through a token bucket whose
    rate (bytes/s, None for unlimited) can change at any time."""

    def __init__(self, target):
        host, port = target.rsplit(':', 1)
        self.target = (host, int(port))
        self.rate = None
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(8)
        self.address = f'127.0.0.1:{self.listener.getsockname()[1]}'
        self.closing = False
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # A small receive buffer on the client side keeps the queue in the proxy, where the limit is.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
            threading.Thread(target=self.pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, True), daemon=True).start()

    def pump(self, src, dst, throttled):
        try:
            while True:
                data = src.recv(16384)
                if not data:
                    break
                if throttled and self.rate:
                    time.sleep(len(data) / self.rate)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.closing = True
        self.listener.close()


def rows(path):
    try:
        with open(path) as f:
            return [line.split(',') for line in f.read().splitlines()[1:] if line.count(',') >= 18]
    except FileNotFoundError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--scenario', choices=['bitrate', 'lossless-to-video', 'slow-link'], default='bitrate')
    ap.add_argument('--limit-kbps', type=int, default=1500)
    ap.add_argument('--free-seconds', type=float, default=4)
    ap.add_argument('--limited-seconds', type=float, default=10)
    ap.add_argument('--recovery-seconds', type=float, default=16)
    args = ap.parse_args()
    tmp = harness.work_dir('anarchy-bitrate-')
    stats = os.path.join(tmp, 'stats.csv')
    client_log = os.path.join(tmp, 'client.log')
    with harness.Xvfb() as x, harness.Server(args.build, os.path.join(tmp, 'server.log')) as server:
        proxy = ThrottlingProxy(server.address)
        env = x.env(harness.native_env())
        env['ANARCHY_LOG'] = 'info'
        codec = ['--codec', 'h264']
        if args.scenario != 'bitrate':
            codec = ['--codec', 'auto']
            env['ANARCHY_LINK_PROBE'] = '1'
        if args.scenario == 'lossless-to-video':
            env['ANARCHY_LOSSLESS_GBPS'] = '0.05'
        if args.scenario == 'slow-link':
            proxy.rate = 20e6 / 8
            args.free_seconds = args.limited_seconds = args.recovery_seconds = 0
        cube = ['vkcube', '--c', '10000000']
        with open(client_log, 'w') as log:
            proc = subprocess.Popen([os.path.join(args.build, 'anarchy'), 'run', '--server', proxy.address]
                                    + codec + ['--stats', stats, '--'] + cube,
                                    env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 60
            while len(rows(stats)) < 10:
                if proc.poll() is not None or time.time() > deadline:
                    sys.exit(f'vkcube did not start streaming:\n{open(client_log).read()[-3000:]}')
                time.sleep(0.1)
            time.sleep(args.free_seconds)
            free = len(rows(stats))
            if args.scenario != 'slow-link':
                proxy.rate = args.limit_kbps * 1000 / 8
            limited_from = time.time()
            time.sleep(args.limited_seconds)
            limited = len(rows(stats))
            proxy.rate = None
            time.sleep(args.recovery_seconds)
            recovered = len(rows(stats))
            if proc.poll() is not None:
                sys.exit(f'vkcube ended early ({proc.returncode}):\n{open(client_log).read()[-3000:]}')
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            proxy.close()
        if not server.alive():
            sys.exit(f'the server died:\n{server.log_tail(30)}')
        server_log = server.log_tail(400)

    table = rows(stats)
    with open(client_log) as f:
        said = f.read()
    if args.scenario == 'slow-link':
        chose = [line for line in said.splitlines() if 'codec auto' in line]
        print('\n'.join(chose))
        print(f'first frame: {table[0][4]}')
        if table[0][4] != 'h264':
            sys.exit(f'on a 20 Mbit/s link the first frame came as {table[0][4]}, not h264')
        print('ok')
        return
    if args.scenario == 'lossless-to-video':
        codecs = [r[4] for r in table]
        switched = codecs.index('h264') if 'h264' in codecs else None
        print(f'frames: {free} free (first {codecs[0]}), {limited - free} limited to {args.limit_kbps} kbit/s, '
              f'{recovered - limited} after; first h264 frame: {switched}')
        print('\n'.join(line for line in said.splitlines() if 'codec auto' in line))
        shown_h264 = [r for r in table[free:limited] if r[4] == 'h264' and r[7] == '0']
        if codecs[0] != 'lz4-tiles':
            sys.exit(f'the stream started as {codecs[0]}, not lz4-tiles')
        if switched is None or switched < free:
            sys.exit('the stream did not move to h264 while lossless frames did not fit the link')
        if len(shown_h264) < 10:
            sys.exit(f'only {len(shown_h264)} h264 frames were shown while the link was limited')
        back = next((i for i in range(switched, len(codecs)) if codecs[i] == 'lz4-tiles'), None)
        print(f'first lz4-tiles frame after the switch: {back}')
        if back is None or back < limited:
            sys.exit('the stream did not go back to lz4-tiles after the limit was lifted'
                     if back is None else 'the stream went back to lz4-tiles while the link was still limited')
        if 'back to lz4-tiles' not in said:
            sys.exit('the client did not say why it went back to lz4-tiles')
        shown_back = [r for r in table[back:recovered] if r[4] == 'lz4-tiles' and r[7] == '0']
        if len(shown_back) < 10:
            sys.exit(f'only {len(shown_back)} lz4-tiles frames were shown after going back')
        print('ok')
        return
    rate = lambda r: int(r[18])
    shown = lambda part: [r for r in part if r[7] == '0']
    start_rate = rate(table[0])
    phase_free, phase_limited, phase_after = table[:free], table[free:limited], table[limited:recovered]
    print(f'frames: {len(phase_free)} free, {len(phase_limited)} limited to {args.limit_kbps} kbit/s '
          f'({len(shown(phase_limited))} shown), {len(phase_after)} after')
    limited_rates = [rate(r) for r in phase_limited]
    after_rates = [rate(r) for r in phase_after]
    lowest = min(limited_rates) if limited_rates else start_rate
    highest_after = max(after_rates) if after_rates else 0
    print(f'bitrate: started at {start_rate} kbit/s, lowest while limited {lowest}, '
          f'at the end of the limit {limited_rates[-1] if limited_rates else "-"}, highest after {highest_after}, '
          f'last {after_rates[-1] if after_rates else "-"}')
    changes = [line.strip() for line in said.splitlines() if 'video: bitrate' in line]
    print(f'{len(changes)} bitrate changes logged by the client, e.g.:')
    for line in changes[:3] + changes[-2:]:
        print('  ' + line[-200:])
    print(f'server: {server_log.count("kbit/s (was")} changes applied')
    failures = []
    if len(shown(phase_limited)) < 10:
        failures.append('frames stopped arriving while the link was limited')
    if lowest > start_rate // 2:
        failures.append(f'the bitrate did not come down while the link was limited ({lowest} of {start_rate})')
    if highest_after < 2 * lowest:
        failures.append(f'the bitrate did not go back up after the limit ({highest_after} after, {lowest} before)')
    if not changes:
        failures.append('the client logged no bitrate change')
    if failures:
        sys.exit('; '.join(failures))
    print('ok')


if __name__ == '__main__':
    harness.run_main(main)
