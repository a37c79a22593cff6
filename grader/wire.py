"""The typed, bounded wire between the trusted side and the sandbox.

A frame is a 4-byte big-endian header length, a JSON header (an object), then ``header["body_len"]`` raw
bytes. File descriptors ride along as SCM_RIGHTS on the first byte, and only ever *into* the sandbox: the
trusted side reads with no ancillary buffer at all, so the kernel discards (closes) any descriptor a sandbox
sends, and the frame that carried it is a violation (MSG_CTRUNC).

Nothing is ever unpickled. Every read has a byte cap (header and body), callers bound the count of frames
they accept, and every trusted-side read and send has a deadline. Parsing is linear in what was read: one
``json.loads`` of a capped header, whose nesting depth cannot crash the reader (a RecursionError is a
malformed frame like any other).
"""

from __future__ import annotations

import array
import json
import os
import select
import socket
import struct
import time
from collections.abc import Callable, Sequence
from typing import Any

MAX_HEADER = 256 * 1024
_LEN = struct.Struct(">I")
_CHUNK = 65536
# What one drain_now() call reads at most from each side pipe: enough to empty a full pipe a few times over,
# never an unbounded loop against a writer that keeps it full.
DRAIN_BUDGET = 1024 * 1024


class WireError(Exception):
    """The peer sent something that is not a valid frame, or went away mid-frame."""


class WireTimeout(WireError):
    """No complete frame arrived (or could be sent) before the deadline."""


class WireClosed(WireError):
    """The peer closed the connection before a frame began."""


class WireDescriptors(WireError):
    """The peer tried to pass file descriptors to a side that accepts none."""


def encode_frame(header: dict[str, Any], body: bytes = b"") -> bytes:
    raw = json.dumps({**header, "body_len": len(body)}, separators=(",", ":")).encode("utf-8")
    return _LEN.pack(len(raw)) + raw + body


def send_frame(sock: socket.socket, header: dict[str, Any], body: bytes = b"", fds: Sequence[int] = ()) -> None:
    """Blocking send, for the sandbox side (where blocking costs only the sandbox) and the zygote."""
    data = encode_frame(header, body)
    if fds:
        sent = sock.sendmsg([data[:1]], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        data = data[sent:]
    sock.sendall(data)


class FrameReader:
    """Reads frames from one socket with a deadline, draining side pipes (captured output) meanwhile.

    ``drains`` maps a readable fd to a callback that receives the bytes read from it; while waiting for a
    frame the reader keeps those pipes flowing, so a child that prints a lot never blocks on a full pipe.

    ``accept_fds`` is for the sandbox side only (descriptors flow into the sandbox). The trusted side keeps
    the default: no ancillary buffer, and a frame that carried descriptors raises :class:`WireDescriptors`.
    """

    def __init__(self, sock: socket.socket, max_body: int, *, accept_fds: bool = False,
                 max_header: int = MAX_HEADER) -> None:
        self.sock = sock
        self.max_body = max_body
        self.max_header = max_header
        self.accept_fds = accept_fds
        self._buf = bytearray()
        self._pos = 0  # stream offset of self._buf[0]
        self._arrived: list[tuple[int, list[int]]] = []  # (stream offset, descriptors received there)
        self._frame_fds: list[int] = []
        self.drains: dict[int, Callable[[bytes], None]] = {}

    def take_fds(self) -> list[int]:
        """The descriptors that came with the frame :meth:`read` returned last (``accept_fds`` only).

        They are matched by where they arrived in the stream, not when: with frames in flight back to back, one
        receive can hold the end of one frame and the start (and descriptors) of the next. On a SOCK_SEQPACKET
        socket each receive is one record, so a record's descriptors arrive at exactly its first byte.
        """
        fds, self._frame_fds = self._frame_fds, []
        return fds

    def _recv(self, size: int) -> bytes:
        try:
            if not self.accept_fds:
                chunk, _anc, flags, _addr = self.sock.recvmsg(size)
                if flags & socket.MSG_CTRUNC:
                    raise WireDescriptors("the peer sent file descriptors, which this side never accepts")
                if flags & socket.MSG_TRUNC:
                    raise WireError(f"a record larger than {size} bytes")
                return chunk
            chunk, ancdata, _flags, _addr = self.sock.recvmsg(size, socket.CMSG_SPACE(4 * 4))
        except ConnectionResetError:
            return b""
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
                self._arrived.append((self._pos + len(self._buf), list(fds)))
        return chunk

    def _fill(self, need: int, deadline: float | None) -> None:
        while len(self._buf) < need:
            # A deadline already past still polls once, so a caller can drain what has arrived.
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            watch = [self.sock.fileno(), *self.drains]
            ready, _, _ = select.select(watch, [], [], timeout)
            if not ready:
                raise WireTimeout("no answer before the deadline")
            for fd in ready:
                if fd != self.sock.fileno():
                    self._drain(fd)
            if self.sock.fileno() not in ready:
                continue
            chunk = self._recv(max(_CHUNK, min(need - len(self._buf), 1 << 20)))
            if not chunk:
                if self._buf:
                    raise WireError("the connection closed in the middle of a message")
                raise WireClosed("the connection closed")
            self._buf += chunk

    def _drain(self, fd: int) -> int:
        try:
            data = os.read(fd, _CHUNK)
        except BlockingIOError:
            return 0
        except OSError:
            data = b""
        callback = self.drains.get(fd)
        if not data:
            self.drains.pop(fd, None)  # writer gone; stop watching
        elif callback is not None:
            callback(data)
        return len(data)

    def drain_now(self, budget: int = DRAIN_BUDGET) -> None:
        """Read what the side pipes hold right now, without waiting, and at most ``budget`` bytes of each."""
        for fd in list(self.drains):
            taken = 0
            while fd in self.drains and taken < budget and select.select([fd], [], [], 0)[0]:
                got = self._drain(fd)
                if got == 0:
                    break
                taken += got

    def read(self, deadline: float | None = None) -> tuple[dict[str, Any], bytes]:
        self._fill(_LEN.size, deadline)
        (hlen,) = _LEN.unpack(self._buf[: _LEN.size])
        if hlen == 0 or hlen > self.max_header:
            raise WireError(f"a message header of {hlen} bytes (the limit is {self.max_header})")
        self._fill(_LEN.size + hlen, deadline)
        try:
            header = json.loads(bytes(self._buf[_LEN.size : _LEN.size + hlen]))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise WireError("a message header that is not JSON") from None
        if not isinstance(header, dict) or type(header.get("body_len")) is not int:
            raise WireError("a message header without a body length")
        blen = header["body_len"]
        if blen < 0 or blen > self.max_body:
            raise WireError(f"a message body of {blen} bytes (the limit is {self.max_body})")
        total = _LEN.size + hlen + blen
        self._fill(total, deadline)
        body = bytes(self._buf[_LEN.size + hlen : total])
        del self._buf[:total]
        start, self._pos = self._pos, self._pos + total
        for fd in self._frame_fds:  # never taken: do not leak them
            os.close(fd)
        self._frame_fds = []
        if self._arrived:
            mine = [fds for offset, fds in self._arrived if start <= offset < self._pos]
            self._arrived = [(offset, fds) for offset, fds in self._arrived if offset >= self._pos]
            self._frame_fds = [fd for fds in mine for fd in fds]
        return header, body

    def send(self, header: dict[str, Any], body: bytes = b"", fds: Sequence[int] = (), *,
             deadline: float) -> None:
        """Send a frame on this reader's socket by ``deadline``, draining the side pipes while the peer's buffer
        is full (a sandbox that is blocked printing would otherwise never read what we send). For the trusted
        side: a peer that stops reading costs a deadline, never a hang."""
        data = memoryview(encode_frame(header, body))
        first = True
        while data:
            timeout = max(0.0, deadline - time.monotonic())
            readable, writable, _ = select.select(list(self.drains), [self.sock.fileno()], [], timeout)
            for fd in readable:
                self._drain(fd)
            if not writable:
                if not readable:
                    raise WireTimeout("the peer stopped reading")
                continue
            try:
                if first and fds:
                    sent = self.sock.sendmsg([data[:1]], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                                           array.array("i", fds))], socket.MSG_DONTWAIT)
                else:
                    sent = self.sock.send(data[:1 << 20], socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            first = False
            data = data[sent:]
