#!/usr/bin/env python3
"""When the server dies, a client program must end promptly with a Vulkan error, not hang or crash; and a
client pointed at an address where nothing listens must fail fast, saying which address.

1. Starts `anarchy serve`, runs `anarchy_demo_scene --frames 100000` through `anarchy run`, SIGKILLs the server
   after about 2 s, and checks that the program exits within 15 s, by an exit status rather than a signal, and
   reports a Vulkan error (VK_ERROR_...).
2. Runs `anarchy run --server 127.0.0.1:<closed port> -- anarchy_testprog compute` and checks that it fails
   within a few seconds with a stderr line naming the address.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time

import harness

failures = []


def fail(msg):
    print("FAIL: " + msg, flush=True)
    failures.append(msg)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, server, log_path, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("server did not start; log:\n" + open(log_path, errors="replace").read())
            time.sleep(0.1)


def signal_name(rc):
    try:
        return signal.Signals(-rc).name
    except ValueError:
        return str(-rc)


def server_killed(anarchy, demo, tmp):
    port = free_port()
    addr = "127.0.0.1:%d" % port
    log_path = os.path.join(tmp, "server.log")
    with open(log_path, "wb") as log:
        server = subprocess.Popen([anarchy, "serve", "--listen", addr], stdout=log, stderr=subprocess.STDOUT)
    client = None
    try:
        wait_listening(port, server, log_path)
        client_log = os.path.join(tmp, "client.log")
        with open(client_log, "wb") as clog:
            client = subprocess.Popen([anarchy, "run", "--server", addr, "--", demo, "--frames", "100000",
                                       "--width", "64", "--height", "64"], stdout=clog, stderr=subprocess.STDOUT)
        # Let it get going: the session must exist and be rendering when the server dies.
        time.sleep(2.0)
        if client.poll() is not None:
            fail("the demo ended before the server was killed (exit %s):\n%s" %
                 (client.returncode, open(client_log, errors="replace").read()[-4000:]))
            return
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        killed_at = time.monotonic()
        try:
            rc = client.wait(timeout=15)
        except subprocess.TimeoutExpired:
            client.kill()
            client.wait()
            fail("the client did not exit within 15 s of the server's death:\n%s" %
                 open(client_log, errors="replace").read()[-4000:])
            return
        took = time.monotonic() - killed_at
        out = open(client_log, errors="replace").read()
        if rc < 0:
            fail("the client was killed by signal %s after the server died:\n%s" % (signal_name(rc), out[-4000:]))
        elif rc == 0:
            fail("the client exited 0 although its server died mid-run:\n%s" % out[-4000:])
        elif "VK_ERROR" not in out and "DEVICE_LOST" not in out.upper():
            fail("the client (exit %d) did not report a Vulkan error:\n%s" % (rc, out[-4000:]))
        else:
            line = next((l for l in out.splitlines() if "VK_ERROR" in l or "DEVICE_LOST" in l.upper()), "")
            print("ok: client exited %d %.1f s after the server was killed: %s" % (rc, took, line.strip()), flush=True)
    finally:
        if client and client.poll() is None:
            client.kill()
            client.wait()
        if server.poll() is None:
            server.kill()
            server.wait()


def unreachable(anarchy, testprog, tmp):
    port = free_port()  # nothing listens there
    addr = "127.0.0.1:%d" % port
    start = time.monotonic()
    try:
        r = subprocess.run([anarchy, "run", "--server", addr, "--", testprog, "compute", "--out",
                            os.path.join(tmp, "compute.out")], capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        fail("`anarchy run` against a closed port did not finish within 30 s")
        return
    took = time.monotonic() - start
    err = r.stderr.decode(errors="replace")
    if r.returncode == 0:
        fail("`anarchy run` against a closed port succeeded")
        return
    if r.returncode < 0:
        fail("`anarchy run` against a closed port died of signal %s:\n%s" % (signal_name(r.returncode), err))
        return
    naming = [l for l in err.splitlines() if addr in l]
    if not naming:
        fail("no stderr line names %s:\n%s" % (addr, err))
        return
    if not any("cannot reach" in l for l in naming):
        fail("the stderr line naming %s does not say it cannot reach the server:\n%s" % (addr, err))
        return
    if took > 10:
        fail("failing against a closed port took %.1f s (should be fast)" % took)
        return
    if len(naming) != 1:
        fail("expected one stderr line naming %s, got %d:\n%s" % (addr, len(naming), err))
        return
    print("ok: closed port fails in %.1f s (exit %d): %s" % (took, r.returncode, naming[0].strip()), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, help="the CMake build directory")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    anarchy = os.path.join(build, "anarchy")
    demo = os.path.join(build, "src", "demo", "anarchy_demo_scene")
    testprog = os.path.join(build, "tests", "programs", "anarchy_testprog")
    for p in (anarchy, demo, testprog):
        if not os.path.exists(p):
            raise SystemExit("missing " + p)
    tmp = harness.work_dir("anarchy_killed_")
    server_killed(anarchy, demo, tmp)
    unreachable(anarchy, testprog, tmp)
    if failures:
        print("%d failure(s); files in %s" % (len(failures), tmp))
        return 1
    print("all server-failure checks passed")
    return 0


if __name__ == "__main__":
    harness.run_main(main)
