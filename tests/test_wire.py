"""The wire: bounded frames, and descriptors that stay with the frame they were sent with."""

from __future__ import annotations

import os
import re
import socket
import struct

import pytest
from conftest import EXERCISES

from grader.client import SandboxClient
from grader.sandbox import Zygote, read_submission
from grader.spec import load_exercise
from grader.wire import FrameReader, WireDescriptors, WireError, send_frame


def inode(fd: int) -> int:
    return os.fstat(fd).st_ino


def test_descriptors_stay_with_their_frame_when_frames_arrive_back_to_back() -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pipes = [os.pipe() for _ in range(3)]
    try:
        # Three frames in flight at once, as when checks are pipelined; the middle one carries nothing.
        send_frame(a, {"n": 0}, fds=[pipes[0][0]])
        send_frame(a, {"n": 1}, b"body")
        send_frame(a, {"n": 2}, fds=[pipes[1][0], pipes[2][0]])
        reader = FrameReader(b, max_body=1024, accept_fds=True)
        got = []
        for _ in range(3):
            header, body = reader.read(deadline=None)
            got.append((header["n"], body, [inode(fd) for fd in reader.take_fds()]))
        assert got == [(0, b"", [inode(pipes[0][0])]), (1, b"body", []),
                       (2, b"", [inode(pipes[1][0]), inode(pipes[2][0])])]
    finally:
        a.close()
        b.close()
        for r, w in pipes:
            os.close(r)
            os.close(w)


@pytest.mark.parametrize("raw, message", [
    (struct.pack(">I", 0), "a message header of 0 bytes"),
    (struct.pack(">I", 10 ** 8), "the limit is"),
    (struct.pack(">I", 4) + b"nope", "not JSON"),
    (struct.pack(">I", 2) + b"[]", "without a body length"),
    (struct.pack(">I", 16) + b'{"body_len": 99}', "a message body of 99 bytes (the limit is 10)"),
])
def test_malformed_frames_are_wire_errors(raw: bytes, message: str) -> None:
    a, b = socket.socketpair()
    try:
        a.sendall(raw)
        with pytest.raises(WireError, match=re.escape(message)):
            FrameReader(b, max_body=10).read(deadline=None)
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("kind", [socket.SOCK_STREAM, socket.SOCK_SEQPACKET])
def test_the_trusted_side_accepts_no_descriptors_and_keeps_none(kind: int) -> None:
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    r, w = os.pipe()
    try:
        before = len(os.listdir("/proc/self/fd"))
        send_frame(a, {"n": 0}, fds=[r] * 200)
        with pytest.raises(WireDescriptors):
            FrameReader(b, max_body=1024).read(deadline=None)
        assert len(os.listdir("/proc/self/fd")) == before  # the kernel closed what it did not deliver
    finally:
        for fd in (r, w):
            os.close(fd)
        a.close()
        b.close()


def test_a_deeply_nested_header_is_a_wire_error_not_a_crash() -> None:
    import threading

    a, b = socket.socketpair()
    raw = b"[" * 200000 + b"]" * 200000
    sender = threading.Thread(target=a.sendall, args=(struct.pack(">I", len(raw)) + raw,), daemon=True)
    sender.start()  # more than a socket buffer holds: the reader must read while it is sent
    try:
        with pytest.raises(WireError, match="not JSON"):
            FrameReader(b, max_body=10, max_header=len(raw)).read(deadline=None)
    finally:
        sender.join(timeout=5)
        a.close()
        b.close()


def test_drain_now_stops_at_its_budget_against_a_pipe_kept_full() -> None:
    import threading

    r, w = os.pipe()
    a, b = socket.socketpair()
    stop = threading.Event()

    def shout() -> None:
        while not stop.is_set():
            try:
                os.write(w, b"y" * 65536)
            except OSError:
                return

    got: list[int] = []
    reader = FrameReader(b, max_body=10)
    reader.drains[r] = lambda data: got.append(len(data))
    writer = threading.Thread(target=shout, daemon=True)
    writer.start()
    try:
        reader.drain_now(budget=1 << 20)
        assert sum(got) <= (1 << 20) + 65536
    finally:
        stop.set()
        os.close(r)
        writer.join(timeout=5)
        os.close(w)
        a.close()
        b.close()


@pytest.mark.slow
def test_checks_without_requests_do_not_disturb_the_next() -> None:
    """A check that only looks (no request) ends at once, so its end and the next check's start cross."""
    ex = load_exercise(EXERCISES / "login-greeting")
    with Zygote() as zygote:
        sandbox = zygote.spawn(read_submission(ex.solution_dir, "app.py"), ex)
        try:
            assert sandbox.wait_loaded().ok
            for kind in ["request", "none", "request", "none", "none", "request"] * 3:
                channel = sandbox.start_check()
                if kind == "request":
                    resp = SandboxClient(channel).post("/login?source=web", json={"username": "ada"})
                    assert resp.get_data(as_text=True) == "Hello ada from web"
                channel.finish()
        finally:
            sandbox.kill()
