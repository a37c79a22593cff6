"""The typed, bounded wire between the trusted side and the sandbox.

A frame is a 4-byte big-endian header length, a JSON header (an object), then ``header["body_len"]`` raw
bytes. File descriptors ride along as SCM_RIGHTS on the first byte. Nothing is ever unpickled: what the child
sends is parsed as JSON with hard caps on every size, and a malformed frame is a :class:`WireError`.
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


class WireError(Exception):
    """The peer sent something that is not a valid frame, or went away mid-frame."""


class WireTimeout(WireError):
    """No complete frame arrived before the deadline."""


class WireClosed(WireError):
    """The peer closed the connection before a frame began."""


def send_frame(sock: socket.socket, header: dict[str, Any], body: bytes = b"", fds: Sequence[int] = ()) -> None:
    header = {**header, "body_len": len(body)}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    data = _LEN.pack(len(raw)) + raw
    if fds:
        sent = sock.sendmsg([data[:1]], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        data = data[sent:]
    sock.sendall(data)
    if body:
        sock.sendall(body)


class FrameReader:
    """Reads frames from one socket with a deadline, draining side pipes (captured output) meanwhile.

    ``drains`` maps a readable fd to a callback that receives the bytes read from it; while waiting for a
    frame the reader keeps those pipes flowing, so a child that prints a lot never blocks on a full pipe.
    """

    def __init__(self, sock: socket.socket, max_body: int) -> None:
        self.sock = sock
        self.max_body = max_body
        self._buf = bytearray()
        self._pos = 0  # stream offset of self._buf[0]
        self._arrived: list[tuple[int, list[int]]] = []  # (stream offset, descriptors received there)
        self._frame_fds: list[int] = []
        self.drains: dict[int, Callable[[bytes], None]] = {}

    def take_fds(self) -> list[int]:
        """The descriptors that came with the frame :meth:`read` returned last.

        They are matched by where they arrived in the stream, not when: with frames in flight back to back, one
        receive can hold the end of one frame and the start (and descriptors) of the next. On a SOCK_SEQPACKET
        socket each receive is one record, so a record's descriptors arrive at exactly its first byte.
        """
        fds, self._frame_fds = self._frame_fds, []
        return fds

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
            try:
                chunk, ancdata, _flags, _addr = self.sock.recvmsg(
                    max(65536, min(need - len(self._buf), 1 << 20)), socket.CMSG_SPACE(4 * 4)
                )
            except ConnectionResetError:
                chunk, ancdata = b"", []
            for level, kind, data in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds = array.array("i")
                    fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
                    self._arrived.append((self._pos + len(self._buf), list(fds)))
            if not chunk:
                if self._buf:
                    raise WireError("the connection closed in the middle of a message")
                raise WireClosed("the connection closed")
            self._buf += chunk

    def _drain(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        callback = self.drains.get(fd)
        if not data:
            self.drains.pop(fd, None)  # writer gone; stop watching
        elif callback is not None:
            callback(data)

    def drain_now(self) -> None:
        """Read whatever the side pipes hold right now, without waiting."""
        for fd in list(self.drains):
            while fd in self.drains and select.select([fd], [], [], 0)[0]:
                before = fd in self.drains
                self._drain(fd)
                if not before:
                    break

    def read(self, deadline: float | None = None) -> tuple[dict[str, Any], bytes]:
        self._fill(_LEN.size, deadline)
        (hlen,) = _LEN.unpack(self._buf[: _LEN.size])
        if hlen == 0 or hlen > MAX_HEADER:
            raise WireError(f"a message header of {hlen} bytes (the limit is {MAX_HEADER})")
        self._fill(_LEN.size + hlen, deadline)
        try:
            header = json.loads(bytes(self._buf[_LEN.size : _LEN.size + hlen]))
        except (UnicodeDecodeError, ValueError):
            raise WireError("a message header that is not JSON") from None
        if not isinstance(header, dict) or not isinstance(header.get("body_len"), int):
            raise WireError("a message header without a body length")
        blen = header["body_len"]
        if blen < 0 or blen > self.max_body:
            raise WireError(f"a message body of {blen} bytes (the limit is {self.max_body})", )
        total = _LEN.size + hlen + blen
        self._fill(total, deadline)
        body = bytes(self._buf[_LEN.size + hlen : total])
        del self._buf[:total]
        start, self._pos = self._pos, self._pos + total
        mine = [fds for offset, fds in self._arrived if start <= offset < self._pos]
        self._arrived = [(offset, fds) for offset, fds in self._arrived if offset >= self._pos]
        for fd in self._frame_fds:  # never taken: do not leak them
            os.close(fd)
        self._frame_fds = [fd for fds in mine for fd in fds]
        return header, body
