#!/usr/bin/env python3
"""Malformed input must end only the offending session: the server logs why, stays up, and keeps serving others.

Starts `anarchy serve` (--server: another build's, e.g. the AddressSanitizer one), runs a well-behaved
`anarchy_testprog ring` through it in parallel, and meanwhile opens raw TCP connections that each send one kind of
bad input. Each bad session must be closed by the server (EOF or an Error frame) with a reason in the server log;
afterwards the ring program must have succeeded and a fresh compute program must still run. Two more checks watch
the server's resident memory: a frame header claiming 1 GiB before any handshake, and a query result of 256 MiB.
With --record DIR every bad session's bytes are written there in the session fuzzer's input form.
"""
import argparse
import os
import re
import socket
import struct
import subprocess
import sys
import time

import harness

FRAME_HELLO, FRAME_HELLO_ACK, FRAME_REFUSE, FRAME_COMMANDS, FRAME_REPLY, FRAME_PING, FRAME_ERROR, FRAME_BYE = 1, 2, 3, 4, 5, 6, 7, 8
HELLO_MAGIC = 0x52414E41
PROTOCOL_VERSION = 1
WANTS_REPLY = 0x80000000

CMD_CREATE_INSTANCE = 1
CMD_GET_PHYSICAL_DEVICE_FORMAT_PROPERTIES = 5
CMD_GET_PHYSICAL_DEVICE_PROPERTIES = 7
CMD_ENUMERATE_PHYSICAL_DEVICES = 0x10004
STYPE_INSTANCE_CREATE_INFO = 1

failures = []


def fail(msg):
    print("FAIL: " + msg, flush=True)
    failures.append(msg)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_command_ids(build):
    """Command ids of the generated schema, by name."""
    path = os.path.join(build, "generated", "vk_schema_autogen.h")
    with open(path) as f:
        return {m.group(1): int(m.group(2)) for m in re.finditer(r"^\s+(vk\w+) = (\d+),", f.read(), re.M)}


def resident_kib(pid):
    """VmRSS of a process and all its descendants (a server may serve sessions in worker processes)."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/status" % p) as f:
                m = re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M)
            total += int(m.group(1)) if m else 0
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return total


def read_schema_hash(build):
    path = os.path.join(build, "generated", "vk_schema_autogen.h")
    with open(path) as f:
        m = re.search(r"kSchemaHash\s*=\s*(0x[0-9a-fA-F]+)", f.read())
    if not m:
        raise SystemExit("no kSchemaHash in " + path)
    return int(m.group(1), 16)


def wire_string(s):
    b = s.encode()
    return struct.pack("<I", len(b) + 1) + b


def frame(ftype, payload):
    return struct.pack("<IHH", len(payload), ftype, 0) + payload


def command(cmd_id, body, seq=None):
    if seq is not None:
        body = struct.pack("<I", seq) + body
        cmd_id |= WANTS_REPLY
    return struct.pack("<II", cmd_id, len(body)) + body


def instance_create_body(instance_id, ext_count=0, ext_present=False, ext_bytes=b""):
    ci = struct.pack("<I", STYPE_INSTANCE_CREATE_INFO)  # sType
    ci += b"\x00"                                     # pNext chain: end
    ci += struct.pack("<I", 0)                        # flags
    ci += b"\x00"                                     # pApplicationInfo absent
    ci += struct.pack("<I", 0) + b"\x00"              # no layers
    ci += struct.pack("<I", ext_count) + (b"\x01" if ext_present else b"\x00") + ext_bytes
    return b"\x01" + ci + struct.pack("<Q", instance_id)  # pCreateInfo present, then the new instance id


class Peer:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.local = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.buf = b""
        self.record = None  # a list when the session is recorded

    def send(self, data):
        if self.record is not None:
            self.record.append(data)
        try:
            self.sock.sendall(data)
        except OSError:
            pass  # the server may already have closed us

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return "timeout"
            except ConnectionResetError:
                return "eof"
            if not chunk:
                return "eof"
            self.buf += chunk
        return None

    def next_frame(self, timeout):
        """(type, payload) of the next non-heartbeat frame, or 'eof' / 'timeout'."""
        deadline = time.monotonic() + timeout
        while True:
            r = self._fill(8, deadline)
            if r:
                return r
            length, ftype, flags = struct.unpack_from("<IHH", self.buf)
            r = self._fill(8 + length, deadline)
            if r:
                return r
            payload = self.buf[8:8 + length]
            self.buf = self.buf[8 + length:]
            if ftype == FRAME_PING:
                continue
            return (ftype, payload)

    def handshake(self, schema_hash):
        hello = struct.pack("<IIQ", HELLO_MAGIC, PROTOCOL_VERSION, schema_hash)
        hello += wire_string("malformed_input.py") + wire_string("vulkan") + struct.pack("<Q", 0)
        self.send(frame(FRAME_HELLO, hello))
        f = self.next_frame(10)
        if f in ("eof", "timeout") or f[0] != FRAME_HELLO_ACK:
            raise RuntimeError("handshake failed: %r" % (f,))

    def expect_closed(self, timeout=15):
        """Waits until the server ends the session: EOF or an Error frame. Returns a description or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            f = self.next_frame(deadline - time.monotonic())
            if f == "eof":
                return "closed the connection"
            if f == "timeout":
                break
            if f[0] == FRAME_ERROR:
                return "sent Error: " + f[1].decode(errors="replace")
            if f[0] == FRAME_REFUSE:
                return "sent Refuse: " + f[1].decode(errors="replace")
            # Replies to earlier valid commands are fine; keep reading.
        return None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, help="the CMake build directory")
    ap.add_argument("--server", help="the anarchy program that serves (default: the build's)")
    ap.add_argument("--record", help="write each bad session's bytes to this folder (session fuzzer inputs)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    anarchy = os.path.join(build, "anarchy")
    server_program = os.path.abspath(args.server) if args.server else anarchy
    testprog = os.path.join(build, "tests", "programs", "anarchy_testprog")
    for p in (anarchy, testprog):
        if not os.path.exists(p):
            raise SystemExit("missing " + p)
    schema_hash = read_schema_hash(build)
    ids = read_command_ids(build)
    port = free_port()
    addr = "127.0.0.1:%d" % port
    tmp = harness.work_dir("anarchy_malformed_")
    log_path = os.path.join(tmp, "server.log")
    log = open(log_path, "wb")
    env = dict(os.environ)
    env.setdefault("ANARCHY_LOG", "info")
    # Under AddressSanitizer freed memory waits in a quarantine (256 MiB by default) before it goes back: keep it
    # small so that resident memory says what the server holds. Leaks are not this test's question.
    env.setdefault("ASAN_OPTIONS", "quarantine_size_mb=8:detect_leaks=0")
    server = subprocess.Popen([server_program, "serve", "--listen", addr], stdout=log, stderr=subprocess.STDOUT,
                              env=env)
    ring = None
    try:
        # Wait for the server to listen.
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("server did not start; log:\n" + open(log_path, errors="replace").read())
                time.sleep(0.1)

        ring_out = os.path.join(tmp, "ring.out")
        ring_log = open(os.path.join(tmp, "ring.log"), "wb")
        ring = subprocess.Popen([anarchy, "run", "--server", addr, "--", testprog, "ring", "--out", ring_out],
                                stdout=ring_log, stderr=subprocess.STDOUT)

        def with_handshake(payload_fn):
            def run(p):
                p.handshake(schema_hash)
                payload_fn(p)
            return run

        def send_commands(data):
            return with_handshake(lambda p: p.send(frame(FRAME_COMMANDS, data)))

        def after_instance(data_fn):
            def run(p):
                p.handshake(schema_hash)
                p.send(frame(FRAME_COMMANDS, command(CMD_CREATE_INSTANCE, instance_create_body(1), seq=1)))
                f = p.next_frame(20)
                if f in ("eof", "timeout") or f[0] != FRAME_REPLY:
                    raise RuntimeError("no reply to vkCreateInstance: %r" % (f,))
                seq, flags, result = struct.unpack_from("<IIi", f[1])
                if result != 0:
                    raise RuntimeError("vkCreateInstance failed on the server: %d" % result)
                p.send(frame(FRAME_COMMANDS, data_fn(p)))
            return run

        def first_physical_device(p):
            p.send(frame(FRAME_COMMANDS, command(CMD_ENUMERATE_PHYSICAL_DEVICES, struct.pack("<Q", 1), seq=2)))
            f = p.next_frame(20)
            if f in ("eof", "timeout") or f[0] != FRAME_REPLY:
                raise RuntimeError("no reply to EnumeratePhysicalDevices: %r" % (f,))
            seq, flags = struct.unpack_from("<II", f[1])
            off = 8
            if flags & 1:
                raise RuntimeError("unexpected memory updates")
            (count,) = struct.unpack_from("<I", f[1], off)
            if count == 0:
                raise RuntimeError("server has no physical device")
            return struct.unpack_from("<Q", f[1], off + 4)[0]

        def bad_enum(p):
            pd = first_physical_device(p)
            return command(CMD_GET_PHYSICAL_DEVICE_FORMAT_PROPERTIES, struct.pack("<Qi", pd, 0x7ABCDEF0), seq=3)

        def cmd(name, body, seq=None):
            return command(ids[name], body, seq)

        def result_of(p, what):
            f = p.next_frame(30)
            if f in ("eof", "timeout") or f[0] != FRAME_REPLY:
                raise RuntimeError("no reply to %s: %r" % (what, f))
            seq, flags, result = struct.unpack_from("<IIi", f[1])
            return result

        def make_devices(p, device_ids):
            """Creates devices (one queue each) from the first physical device; the instance exists."""
            pd = first_physical_device(p)
            queue_ci = struct.pack("<IBIIIB", 2, 0, 0, 0, 1, 1) + struct.pack("<f", 1.0)  # family 0, 1 queue
            ci = struct.pack("<IBIIB", 3, 0, 0, 1, 1) + queue_ci + struct.pack("<IBIBB", 0, 0, 0, 0, 0)
            for i, dev in enumerate(device_ids):
                p.send(frame(FRAME_COMMANDS, cmd("vkCreateDevice", struct.pack("<Q", pd) + b"\x01" + ci +
                                                 struct.pack("<Q", dev), seq=10 + i)))
                r = result_of(p, "vkCreateDevice")
                if r != 0:
                    raise RuntimeError("vkCreateDevice failed on the server: %d" % r)

        DEV, DEV2, QUEUE, FENCE, POOL = 0x100, 0x101, 0x200, 0x300, 0x400

        def create_fence(device, fence):
            return cmd("vkCreateFence", struct.pack("<Q", device) + b"\x01" + struct.pack("<IBI", 8, 0, 0) +
                       struct.pack("<Q", fence))

        def wait_fences(device, count, fences, extra=b""):
            present = b"\x01" + b"".join(struct.pack("<Q", f) for f in fences) if fences is not None else b"\x00"
            return cmd("vkWaitForFences", struct.pack("<QI", device, count) + present + struct.pack("<IQ", 1, 0) + extra,
                       seq=20)

        def with_device(data_fn, devices=(DEV,)):
            def run(p):
                make_devices(p, devices)
                return data_fn(p)
            return after_instance(run)

        def absent_submits(p):
            queue = cmd("vkGetDeviceQueue", struct.pack("<QIIQ", DEV, 0, 0, QUEUE))
            return queue + cmd("vkQueueSubmit", struct.pack("<QI", QUEUE, 2) + b"\x00" + struct.pack("<Q", 0), seq=21)

        cases = [
            ("garbage before the handshake", lambda p: p.send(b"\xff" * 64 + os.urandom(256))),
            ("HTTP request instead of a handshake", lambda p: p.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")),
            ("commands before the handshake", lambda p: p.send(frame(FRAME_COMMANDS, command(CMD_CREATE_INSTANCE, instance_create_body(1))))),
            ("truncated command header", send_commands(b"\x01\x00\x00\x00\x10")),
            ("command length past the frame", send_commands(struct.pack("<II", CMD_CREATE_INSTANCE, 4096) + b"\x00" * 16)),
            ("unknown command id", send_commands(command(0x7ABC, b"\x00" * 8))),
            ("unknown custom command id", send_commands(command(0x1FFFF, b""))),
            ("truncated vkCreateInstance payload", send_commands(command(CMD_CREATE_INSTANCE, instance_create_body(1)[:7]))),
            ("oversized array count", send_commands(command(CMD_CREATE_INSTANCE,
                                                           instance_create_body(1, ext_count=0xFFFFFFF0, ext_present=True,
                                                                                ext_bytes=wire_string("VK_KHR_x"))))),
            ("bad presence byte", send_commands(command(CMD_CREATE_INSTANCE, b"\x07" + instance_create_body(1)[1:]))),
            ("unexpected frame type after the handshake", with_handshake(lambda p: p.send(frame(FRAME_HELLO_ACK, b"")))),
            ("unknown object id", after_instance(lambda p: command(CMD_GET_PHYSICAL_DEVICE_PROPERTIES, struct.pack("<Q", 0x4242), seq=2))),
            ("wrong-type object id", after_instance(lambda p: command(CMD_GET_PHYSICAL_DEVICE_PROPERTIES, struct.pack("<Q", 1), seq=2))),
            ("reused object id", after_instance(lambda p: command(CMD_CREATE_INSTANCE, instance_create_body(1), seq=2))),
            # Arrays the registry requires, declared absent while their count is not zero: the driver (or our own
            # extension filter) would read count elements through NULL.
            ("absent extension names with a count", send_commands(command(CMD_CREATE_INSTANCE,
                                                                          instance_create_body(1, ext_count=2), seq=1))),
            ("absent pFences with a count", with_device(lambda p: wait_fences(DEV, 3, None))),
            ("absent pSubmits with a count", with_device(absent_submits)),
            ("fence count larger than the fences sent",
             with_device(lambda p: create_fence(DEV, FENCE) + wait_fences(DEV, 1000, [FENCE]))),
            ("fence of another device", with_device(lambda p: create_fence(DEV, FENCE) + wait_fences(DEV2, 1, [FENCE]),
                                                    devices=(DEV, DEV2))),
            ("device id where a fence belongs", with_device(lambda p: wait_fences(DEV, 1, [DEV]))),
            ("bytes left after the last parameter",
             with_device(lambda p: create_fence(DEV, FENCE) + wait_fences(DEV, 1, [FENCE], extra=b"\x00" * 4))),
        ]

        for name, action in cases:
            log.flush()
            before = os.path.getsize(log_path)
            p = Peer(port)
            if args.record:
                p.record = []
            try:
                action(p)
                how = p.expect_closed()
            except Exception as e:  # noqa: BLE001
                fail("%s: %s" % (name, e))
                p.close()
                continue
            p.close()
            if args.record:
                os.makedirs(args.record, exist_ok=True)
                with open(os.path.join(args.record, re.sub(r"\W+", "_", name) + ".frames"), "wb") as f:
                    f.write(b"".join(p.record))
            if how is None:
                fail("%s: the server kept the session open" % name)
                continue
            # The server must say why in its log, naming this connection.
            deadline = time.monotonic() + 10
            logged = ""
            while time.monotonic() < deadline:
                with open(log_path, "rb") as f:
                    f.seek(before)
                    logged = f.read().decode(errors="replace")
                if p.local in logged and re.search(r"refused|ending|ended|not an Anarchy|failed|error", logged, re.I):
                    break
                time.sleep(0.1)
            else:
                fail("%s: no reason naming %s in the server log; new log text:\n%s" % (name, p.local, logged))
                continue
            if server.poll() is not None:
                fail("%s: the server died (exit %s)" % (name, server.returncode))
                break
            reason = [l for l in logged.splitlines() if p.local in l]
            print("ok: %s: server %s; log: %s" % (name, how, reason[-1].strip() if reason else ""), flush=True)

        # The video channel's messages (client -> server, FrameType Control): each bad one ends the video channel
        # with an Error that says why, and the session whose token it carries goes on (its command connection
        # still answers), as does the server.
        FRAME_CONTROL = 10
        video_cases = [
            ("video: bitrate 0", struct.pack("<II", 7, 0)),
            ("video: bitrate past 1 Gbit/s", struct.pack("<II", 7, 5_000_000)),
            ("video: switch to an unknown codec", struct.pack("<I", 10) + wire_string("mpeg2")),
            ("video: link probe of 1 GiB", struct.pack("<II", 8, 1 << 30)),
            ("video: unknown message kind", struct.pack("<I", 99)),
            ("video: truncated stream settings", struct.pack("<I", 1) + b"\x05\x00"),
        ]
        for name, message in video_cases:
            session = Peer(port)
            video = Peer(port)
            try:
                hello = struct.pack("<IIQ", HELLO_MAGIC, PROTOCOL_VERSION, schema_hash)
                session.send(frame(FRAME_HELLO, hello + wire_string("malformed_input.py") + wire_string("vulkan") +
                                   struct.pack("<Q", 0)))
                ack = session.next_frame(10)
                if ack in ("eof", "timeout") or ack[0] != FRAME_HELLO_ACK:
                    raise RuntimeError("session handshake failed: %r" % (ack,))
                token = struct.unpack_from("<Q", ack[1], len(ack[1]) - 8)[0]
                # The session is running once it has answered a command; its video channel may come then.
                session.send(frame(FRAME_COMMANDS, command(CMD_CREATE_INSTANCE, instance_create_body(1), seq=1)))
                reply = session.next_frame(20)
                if reply in ("eof", "timeout") or reply[0] != FRAME_REPLY:
                    raise RuntimeError("no reply to vkCreateInstance: %r" % (reply,))
                video.send(frame(FRAME_HELLO, hello + wire_string("malformed_input.py") + wire_string("video") +
                                 struct.pack("<Q", token)))
                ack = video.next_frame(10)
                if ack in ("eof", "timeout") or ack[0] != FRAME_HELLO_ACK:
                    raise RuntimeError("video handshake failed: %r" % (ack,))
                video.send(frame(FRAME_CONTROL, message))
                how = video.expect_closed()
                if how is None or not how.startswith("sent Error") or "no session" in how:
                    raise RuntimeError("the server did not end the video channel over the message (%s)" % how)
                # The session itself goes on: a second instance still gets its reply.
                session.send(frame(FRAME_COMMANDS, command(CMD_CREATE_INSTANCE, instance_create_body(2), seq=2)))
                reply = session.next_frame(20)
                if reply in ("eof", "timeout") or reply[0] != FRAME_REPLY:
                    raise RuntimeError("the session ended with its video channel: %r" % (reply,))
                print("ok: %s: video channel %s; the session goes on" % (name, how), flush=True)
            except Exception as e:  # noqa: BLE001
                fail("%s: %s" % (name, e))
            finally:
                video.close()
                session.close()
            if server.poll() is not None:
                fail("%s: the server died (exit %s)" % (name, server.returncode))
                break

        # A frame header that claims 1 GiB before any handshake, from two connections at once: the server must
        # refuse it without reserving the memory (it once allocated and zeroed 1 GiB per connection).
        base = resident_kib(server.pid)
        peers = [Peer(port) for _ in range(2)]
        for p in peers:
            p.send(struct.pack("<IHH", (1 << 30) - 1, FRAME_HELLO, 0) + b"\x00" * 10)
        time.sleep(1.0)
        grew = resident_kib(server.pid) - base
        closed = [p.expect_closed(10) for p in peers]
        for p in peers:
            p.close()
        if grew > 32 * 1024:
            fail("1 GiB frame headers before the handshake: server resident memory grew by %d KiB" % grew)
        elif None in closed:
            fail("1 GiB frame headers before the handshake: the server kept a connection open")
        else:
            print("ok: 1 GiB frame headers before the handshake: refused, resident memory grew by %d KiB" % grew,
                  flush=True)

        # A query result of 256 MiB is answered, and the memory goes back once it is (the decode arena once kept
        # its largest block for the rest of the session).
        p = Peer(port)
        try:
            def query(p):
                make_devices(p, (DEV,))
                p.send(frame(FRAME_COMMANDS, cmd("vkCreateQueryPool", struct.pack("<Q", DEV) + b"\x01" +
                                                 struct.pack("<IBIiII", 11, 0, 0, 0, 1, 0) + struct.pack("<Q", POOL))))
                time.sleep(0.5)
                query.base = resident_kib(server.pid)
                return cmd("vkGetQueryPoolResults", struct.pack("<QQIIQQI", DEV, POOL, 0, 1, 256 << 20, 8, 0), seq=30)
            after_instance(query)(p)
            result_of(p, "vkGetQueryPoolResults")
            time.sleep(1.0)
            grew = resident_kib(server.pid) - query.base
            if grew > 64 * 1024:
                fail("a 256 MiB query result: server resident memory stayed %d KiB higher after the reply" % grew)
            else:
                print("ok: a 256 MiB query result: answered; resident memory afterwards %+d KiB" % grew, flush=True)
        except Exception as e:  # noqa: BLE001
            fail("a 256 MiB query result: %s" % e)
        finally:
            p.close()

        # Objects destroyed while a wait on them is pending (natively undefined; a client that does not wait for
        # replies can do it): the wait answers VK_ERROR_DEVICE_LOST at once, the destroy waits for the waiter to let
        # go, and the session goes on. Waiter threads once kept waiting on the freed fence.
        p = Peer(port)
        try:
            def destroy_during_waits(p):
                make_devices(p, (DEV,))
                forever = (1 << 64) - 1
                return (create_fence(DEV, FENCE) +
                        cmd("vkCreateQueryPool", struct.pack("<Q", DEV) + b"\x01" +
                            struct.pack("<IBIiII", 11, 0, 0, 0, 1, 0) + struct.pack("<Q", POOL)) +
                        cmd("vkWaitForFences", struct.pack("<QI", DEV, 1) + b"\x01" + struct.pack("<QIQ", FENCE, 1, forever),
                            seq=40) +
                        # A query never issued, waited for: never available.
                        cmd("vkGetQueryPoolResults", struct.pack("<QQIIQQI", DEV, POOL, 0, 1, 8, 8, 2), seq=41))
            after_instance(destroy_during_waits)(p)
            time.sleep(0.5)
            early = p.next_frame(0.2)
            if early not in ("timeout",):
                raise RuntimeError("the waits answered before anything was destroyed: %r" % (early,))
            p.send(frame(FRAME_COMMANDS, cmd("vkDestroyFence", struct.pack("<QQ", DEV, FENCE)) +
                         cmd("vkDestroyQueryPool", struct.pack("<QQ", DEV, POOL)) +
                         cmd("vkDeviceWaitIdle", struct.pack("<Q", DEV), seq=42)))
            answers = {}
            deadline = time.monotonic() + 10
            while len(answers) < 3 and time.monotonic() < deadline:
                f = p.next_frame(deadline - time.monotonic())
                if f in ("eof", "timeout") or f[0] != FRAME_REPLY:
                    raise RuntimeError("after the destroys: %r (answers so far %r)" % (f, answers))
                seq, flags, result = struct.unpack_from("<IIi", f[1])
                answers[seq] = result
            want = {40: -4, 41: -4, 42: 0}
            if answers != want:
                fail("destroy during a wait: answers %r, expected %r (VK_ERROR_DEVICE_LOST for both waits)" % (answers, want))
            elif server.poll() is not None:
                fail("destroy during a wait: the server died (exit %s)" % server.returncode)
            else:
                print("ok: destroy during a wait: both waits answered VK_ERROR_DEVICE_LOST, the session goes on",
                      flush=True)
        except Exception as e:  # noqa: BLE001
            fail("destroy during a wait: %s" % e)
        finally:
            p.close()

        # Queue requests a driver trusts without checking: a protected queue without protectedMemory (the NVIDIA
        # driver crashed on it in the session fuzzer), a family that does not exist, unknown flags. Each is
        # refused with VK_ERROR_INITIALIZATION_FAILED; the session goes on.
        for what, flags, family in (("a protected queue without protectedMemory", 1, 0),
                                    ("a queue family that does not exist", 0, 4096),
                                    ("unknown queue flags", 0xf0, 0)):
            p = Peer(port)
            try:
                def bad_queue(p):
                    pd = first_physical_device(p)
                    queue_ci = struct.pack("<IBIIIB", 2, 0, flags, family, 1, 1) + struct.pack("<f", 1.0)
                    ci = struct.pack("<IBIIB", 3, 0, 0, 1, 1) + queue_ci + struct.pack("<IBIBB", 0, 0, 0, 0, 0)
                    return cmd("vkCreateDevice", struct.pack("<Q", pd) + b"\x01" + ci + struct.pack("<Q", DEV), seq=50)
                after_instance(bad_queue)(p)
                r = result_of(p, "vkCreateDevice")
                if r != -3:
                    fail("%s: vkCreateDevice answered %d, expected VK_ERROR_INITIALIZATION_FAILED" % (what, r))
                elif server.poll() is not None:
                    fail("%s: the server died" % what)
                else:
                    print("ok: %s: refused with VK_ERROR_INITIALIZATION_FAILED" % what, flush=True)
            except Exception as e:  # noqa: BLE001
                fail("%s: %s" % (what, e))
            finally:
                p.close()

        # An enum value no registry defines is not malformed input: it goes to the driver, which answers as it
        # would natively (a program built against newer headers than the server's asks about newer formats).
        p = Peer(port)
        try:
            after_instance(bad_enum)(p)
            f = p.next_frame(20)
            if f in ("eof", "timeout") or f[0] != FRAME_REPLY or struct.unpack_from("<I", f[1])[0] != 3:
                fail("unknown enum value: no answer from the driver (%r)" % (f,))
            else:
                print("ok: unknown enum value: answered, session kept", flush=True)
        except Exception as e:  # noqa: BLE001
            fail("unknown enum value: %s" % e)
        finally:
            p.close()

        try:
            rc = ring.wait(timeout=90)
        except subprocess.TimeoutExpired:
            ring.kill()
            rc = "timeout"
        if rc != 0:
            fail("the parallel ring program failed (%s); its output:\n%s" %
                 (rc, open(os.path.join(tmp, "ring.log"), errors="replace").read()))
        else:
            print("ok: the parallel ring program succeeded", flush=True)

        if server.poll() is not None:
            fail("the server is no longer running (exit %s)" % server.returncode)
        else:
            r = subprocess.run([anarchy, "run", "--server", addr, "--", testprog, "compute", "--out",
                                os.path.join(tmp, "compute.out")], capture_output=True, timeout=90)
            if r.returncode != 0:
                fail("a fresh compute program failed after the malformed sessions (%d):\n%s%s" %
                     (r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")))
            else:
                print("ok: a fresh compute program succeeded", flush=True)
    finally:
        if ring and ring.poll() is None:
            ring.kill()
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()

    if failures:
        print("\nserver log (%s):\n%s" % (log_path, open(log_path, errors="replace").read()[-20000:]))
        print("%d failure(s)" % len(failures))
        return 1
    print("all malformed-input checks passed")
    return 0


if __name__ == "__main__":
    harness.run_main(main)
