"""The trusted side of the sandbox: start the zygote, spawn one sandbox per submission, one channel per check.

The grading process never imports student code. It holds sockets to the sandbox and enforces every time
limit itself: when the submission overruns, the grader kills the sandbox's whole process tree (pid 1 of its
pid namespace, and its session) and the next check gets a freshly loaded copy.

**No byte, descriptor or timing that comes from a process that has run student code is trusted** (see
grader.protocol for every message and its bounds). Every read here from a sandbox is capped in bytes, in count
and in time; descriptors are never accepted from one; anything out of protocol ends that sandbox and is that
submission's own error (:class:`ProtocolViolation`). Only the trusted side's own observations raise a
:class:`SandboxError` or :class:`GraderFault`: the zygote's replies, and the setup pipe that pid 1 closes
before it imports any student code.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import protocol as proto
from .errors import GraderError
from .isolation import DISABLE_ENV, LAYERS, PROTECTIONS, choose_layers, describe_isolation
from .protocol import MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, SpawnRequest
from .results import Isolation
from .spec import Exercise, Limits
from .submission import MAX_SUBMISSION_BYTES, MAX_SUBMISSION_FILES, Submission, read_submission
from .wire import FrameReader, WireClosed, WireDescriptors, WireError, WireTimeout, send_frame

__all__ = [
    # this module: the trusted side of the sandbox
    "CheckChannel", "GraderFault", "LoadResult", "Output", "ProtocolViolation", "Sandbox", "SandboxError",
    "StudentRouteError", "SubmissionCrashed", "SubmissionProblem", "SubmissionTimeout", "Zygote",
    # re-exported from the modules they moved to, where callers have long found them
    "DISABLE_ENV", "LAYERS", "MAX_REQUEST_BYTES", "MAX_RESPONSE_BYTES", "MAX_SUBMISSION_BYTES", "MAX_SUBMISSION_FILES",
    "PROTECTIONS", "Submission", "choose_layers", "describe_isolation", "read_submission",
]


class SandboxError(GraderError):
    """The sandbox itself could not be built or driven: a grader fault, never the student's."""


# ----------------------------------------------------------------------------- what the checks see


class SubmissionProblem(Exception):
    """Raised into a check when the submission misbehaves; ``status`` is the check's outcome."""

    status = "error"


class StudentRouteError(SubmissionProblem):
    """The student's view raised an exception (Flask turned it into a 500)."""

    status = "failed"

    def __init__(self, message: str, exc_type: str) -> None:
        super().__init__(message)
        self.exc_type = exc_type


class SubmissionTimeout(SubmissionProblem):
    status = "timeout"


class SubmissionCrashed(SubmissionProblem):
    status = "error"


class ProtocolViolation(SubmissionCrashed):
    """The sandbox sent the grader something outside the protocol (descriptors, a flood, a malformed or
    unexpected message): the submission's own error, since only code in the sandbox could have."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"{what}: your app interfered with the grader's channel ({detail}); nothing it "
                         "sent was used")


class GraderFault(SubmissionProblem):
    """The grader failed while running this check, by its own observation; never raised for anything a
    sandbox sent. The message says so, so nobody blames the student."""

    status = "error"


# ----------------------------------------------------------------------------- output capture


@dataclass
class Output:
    """What the submission printed, capped; the rest is counted, not kept."""

    limit: int
    data: bytearray = field(default_factory=bytearray)
    dropped: int = 0

    def feed(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n[... {self.dropped} more bytes of output not kept: the limit is {self.limit // 1024} KB]"
        return text


# ----------------------------------------------------------------------------- zygote


def _raise_descriptor_limit() -> None:
    """The kernel counts descriptors in flight (sent, not yet received) per user, against the *sender's*
    RLIMIT_NOFILE. A grader running as a normal user shares its user with the sandboxes, whose limit is 256: a
    submission can fill that count, but not past a few hundred, so with a higher limit of its own the grader's
    sends still go through."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Zygote:
    """A fresh interpreter that has imported Flask once and forks a sandbox per submission.

    The zygote never runs student code, so what it answers is believed: its replies are the grader's own
    observations (a spawn it could not make is a :class:`SandboxError`, a grader fault)."""

    def __init__(self, *, disabled: set[str] | None = None, python: str | None = None) -> None:
        if disabled is None:
            disabled = {x.strip() for x in os.environ.get(DISABLE_ENV, "").split(",") if x.strip()}
        _raise_descriptor_limit()
        parent, child = socket.socketpair()
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
        debug = os.environ.get("FRG_DEBUG_ZYGOTE") == "1"
        argv = [python or sys.executable, "-I", "-m", "grader._zygote", str(child.fileno())]
        if threading.current_thread() is threading.main_thread():
            # The kernel kills a process whose parent-death signal is set when the *thread* that started it
            # ends; only the main thread lives as long as this process.
            argv.append(str(os.getpid()))
        try:
            self.proc = subprocess.Popen(
                argv, pass_fds=[child.fileno()], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=None if debug else subprocess.DEVNULL, start_new_session=True, close_fds=True,
            )
        finally:
            child.close()
        self.sock = parent
        self.reader = FrameReader(parent, max_body=proto.HELLO_MAX, max_header=proto.HELLO_MAX)
        self._lock = threading.Lock()  # one spawn at a time: the runner spawns the next submission from a thread
        try:
            hello, _ = self.reader.read(deadline=time.monotonic() + 60)
        except WireError as exc:
            self.close()
            raise SandboxError(f"the sandbox zygote did not start ({exc})",
                               tip="run with FRG_DEBUG_ZYGOTE=1 to see its error output") from None
        self.probe: dict[str, Any] = hello["probe"]
        self.binds: list[str] = hello.get("binds", [])
        self.versions = {"python": hello.get("python", ""), "flask": hello.get("flask", ""),
                         "werkzeug": hello.get("werkzeug", "")}
        try:
            self.layers = choose_layers(self.probe, disabled)
        except GraderError:
            self.close()
            raise
        self.mode = "namespaces" if self.layers["namespaces"] else "process"
        # A check that can start no process and signal only itself leaves nothing to clean up after it, so
        # the sandbox can fork each check's process ahead of time (see _serve._serve_pipelined).
        self.pipelined = self.mode == "namespaces" and self.layers["seccomp"]

    def isolation(self, exercise_roots: list[Path]) -> Isolation:
        return describe_isolation(self.layers, self.probe, exercise_roots, self.binds)

    def spawn(self, submission: Submission, exercise: Exercise) -> Sandbox:
        # Records, not a byte stream: the checks' descriptors travel on this socket back to back (see wire).
        ctrl_t, ctrl_s = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        out_r, out_w = os.pipe()
        setup_r, setup_w = os.pipe()
        request = SpawnRequest(mode=self.mode, layers=self.layers, entry=exercise.entry, app=exercise.app,
                               pipelined=self.pipelined, limits=asdict(exercise.limits),
                               files=[(n, len(d)) for n, d in submission.files])
        try:
            with self._lock:
                send_frame(self.sock, request.to_header(), b"".join(d for _, d in submission.files),
                           fds=[ctrl_s.fileno(), out_w, setup_w])
                reply, _ = self.reader.read(deadline=time.monotonic() + proto.SPAWN_DEADLINE_S)
        except (OSError, WireError) as exc:
            for fd in (out_r, setup_r):
                os.close(fd)
            ctrl_t.close()
            raise SandboxError(f"the sandbox zygote stopped answering ({exc})") from None
        finally:
            ctrl_s.close()
            os.close(out_w)
            os.close(setup_w)
        if not reply.get("ok"):
            for fd in (out_r, setup_r):
                os.close(fd)
            ctrl_t.close()
            raise SandboxError(f"could not build the sandbox: {reply.get('error', 'no reason given')}")
        return Sandbox(self, exercise.limits, ctrl_t, out_r, setup_r, int(reply["pid"]), int(reply["keeper"]),
                       str(reply.get("workdir", "")), pipelined=self.pipelined)

    def abort(self) -> None:
        """Kill the zygote as close() does, but without reaping it (safe in a signal handler). Every sandbox
        dies with it: each keeper and each pid 1 has the kernel's parent-death signal set."""
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class LoadResult:
    ok: bool
    kind: str = ""  # syntax, import, exception, no_app, factory, missing_entry, exit, timeout, crash, memory,
    #                  files, protocol
    message: str = ""
    traceback: str = ""


class Sandbox:
    """One submission, loaded once in its own isolated process tree."""

    def __init__(self, zygote: Zygote, limits: Limits, ctrl: socket.socket, out_r: int, setup_r: int, pid: int,
                 keeper: int, workdir: str, *, pipelined: bool = False) -> None:
        self.pipelined = pipelined
        self.exits: dict[int, dict[str, Any]] = {}  # check id -> how its process ended (the sandbox's word)
        self.checks_started = 0
        self.zygote = zygote
        self.limits = limits
        self.ctrl = ctrl
        self.pid = pid
        self.keeper = keeper
        self.workdir = workdir
        self.output = Output(limits.output_kb * 1024)
        self._out_r = out_r
        self._setup_r = setup_r
        # One record for the load result; after that only small `done` records (see _collect_exits).
        self.reader = FrameReader(ctrl, max_body=0, max_header=proto.LOAD_REPLY_MAX)
        self.reader.drains[out_r] = self.output.feed
        self.alive = True
        self.violation = ""  # what the sandbox did out of protocol, if it did
        self._prepared: _ChannelEnds | None = None  # pipelined: the next check's ends, already in the sandbox

    def _read_setup(self, deadline: float) -> proto.SetupResult:
        """The setup pipe's one report (written and closed before any student code ran): trusted."""
        raw = bytearray()
        fd = self._setup_r
        try:
            while len(raw) <= proto.SETUP_MAX:
                timeout = max(0.0, deadline - time.monotonic())
                ready, _, _ = select.select([fd, *self.reader.drains], [], [], timeout)
                if not ready:
                    raise SandboxError(f"the sandbox did not finish its setup within {self.limits.load_timeout_s:g} s")
                for other in ready:
                    if other != fd:
                        self.reader.drain_now()
                if fd not in ready:
                    continue
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                raw += chunk
        finally:
            os.close(fd)
            self._setup_r = -1
        if not raw:
            raise SandboxError("the sandbox ended while it was being set up (before any student code ran)")
        try:
            data = json.loads(bytes(raw[: proto.SETUP_MAX]))
            return proto.SetupResult(bool(data["ok"]), str(data.get("fault", "")), str(data.get("message", "")))
        except (ValueError, KeyError, TypeError):
            raise SandboxError("the sandbox's setup report was unreadable") from None

    def wait_loaded(self) -> LoadResult:
        timeout = self.limits.load_timeout_s
        deadline = time.monotonic() + timeout
        try:
            setup = self._read_setup(deadline)
        except SandboxError:
            self.kill()
            raise
        if not setup.ok:
            self.kill()
            if setup.fault == "submission":
                return LoadResult(False, "files", setup.message)
            raise SandboxError(f"could not build the sandbox: {setup.message}")
        try:
            header, _ = self.reader.read(deadline=deadline)
        except WireTimeout:
            self.kill()
            return LoadResult(False, "timeout", f"loading the app took longer than {timeout:g} s (the time "
                              "limit); look for a loop or a slow call that runs at import time")
        except WireClosed:
            self.kill()
            return LoadResult(False, "crash", "the app's process ended while loading (os._exit, a crash, "
                              "or a resource limit); nothing was graded")
        except WireError as exc:
            self.kill()
            return self._violated("loading", str(exc))
        finally:
            self.reader.drain_now()
        op = header.get("op")
        if op == "ready":
            self.reader.max_header = proto.DONE_MAX
            return LoadResult(True)
        self.kill()
        if op != "load_error":
            return self._violated("loading", f"an unexpected message {_text(op, 40)!r}")
        kind, message = _text(header.get("kind"), 40), _text(header.get("message"))
        if "MemoryError" in message:
            kind, message = "memory", (f"the app ran out of memory while loading (the limit is "
                                       f"{self.limits.memory_mb} MB): {message}")
        return LoadResult(False, kind or "exception", message or "the app could not be loaded",
                          _text(header.get("traceback")))

    def _violated(self, what: str, detail: str) -> LoadResult:
        self.violation = detail
        return LoadResult(False, "protocol", str(ProtocolViolation(what, detail)))

    def start_check(self) -> CheckChannel:
        if self.alive:
            if self.pipelined:
                self._collect_exits(block_for=None)  # whatever has been reported; never wait
            else:
                # One check at a time: the previous one's clean-up must be over before the next forks.
                self._collect_exits(block_for=self.checks_started - 1 if self.checks_started else None)
        if not self.alive:
            raise self._gone("starting the check")
        check_id = self.checks_started
        # Pipelined, a check's descriptors travel one check early (see _serve._serve_pipelined): the frame for
        # check N carries check N+1's, and the first frame check 0's as well.
        nxt: _ChannelEnds | None = None
        if not self.pipelined:
            ends = _ChannelEnds()
            sent = list(ends.theirs())
        elif check_id == 0 or self._prepared is None:
            ends, nxt = _ChannelEnds(), _ChannelEnds()
            sent = [*ends.theirs(), *nxt.theirs()]
        else:
            ends, nxt = self._prepared, _ChannelEnds()
            sent = list(nxt.theirs())
        try:
            self.reader.send({"op": "check", "id": check_id}, fds=sent,
                             deadline=time.monotonic() + proto.CONTROL_SEND_DEADLINE_S)
        except (OSError, WireError) as exc:
            for e in (ends, nxt):
                if e is not None:
                    e.close()
            self._prepared = None
            self.kill()
            raise SubmissionCrashed(f"the app's sandbox stopped taking checks ({exc})") from None
        finally:
            for e in (ends, nxt):
                if e is not None:
                    e.close_theirs()
        self._prepared = nxt
        self.checks_started += 1
        return CheckChannel(self, check_id, ends.mine, ends.out_r)

    def _gone(self, what: str) -> SubmissionCrashed:
        if self.violation:
            return ProtocolViolation(what, self.violation)
        return SubmissionCrashed(f"{what}: the app's sandbox had ended (an earlier check stopped it)")

    def exit_of(self, check_id: int, timeout: float) -> dict[str, Any] | None:
        """How check ``check_id``'s process ended, waiting up to ``timeout`` for the sandbox to say."""
        if check_id not in self.exits and self.alive:
            self._collect_exits(block_for=check_id, timeout=timeout)
        return self.exits.get(check_id)

    def _collect_exits(self, block_for: int | None, timeout: float = proto.DONE_DEADLINE_S) -> None:
        """Read `done` records: at most one per check started and not yet reported, each at most DONE_MAX
        bytes, by a deadline. Anything else ends the sandbox as a violation."""
        deadline = time.monotonic() + timeout
        while self.alive and len(self.exits) < self.checks_started:
            waiting = block_for is not None and block_for not in self.exits
            header = self._record(deadline if waiting else time.monotonic(), waiting=waiting)
            if header is None:
                return
            check_id = header.get("id")
            if header.get("op") != "done" or type(check_id) is not int or not 0 <= check_id < self.checks_started \
                    or check_id in self.exits:
                self._violation("an unexpected control message")
                return
            exit_info = header.get("exit")
            self.exits[check_id] = exit_info if isinstance(exit_info, dict) else {}
        # Every check is accounted for: a record waiting now is out of protocol.
        if self.alive and select.select([self.ctrl.fileno()], [], [], 0)[0]:
            if self._record(time.monotonic(), waiting=False) is not None:
                self._violation("a control message for no check")

    def _record(self, deadline: float, *, waiting: bool) -> dict[str, Any] | None:
        """One control record by ``deadline``, or None: nothing came (the sandbox ended if it was awaited), it
        closed (ended), or it broke the protocol (ended, as a violation)."""
        try:
            header, _ = self.reader.read(deadline=deadline)
            return header
        except WireTimeout:
            if waiting:
                self.kill()  # the sandbox stopped answering: a fresh one serves the next check
        except WireClosed:
            self.kill()
        except WireError as exc:
            self._violation(str(exc))
        return None

    def _violation(self, detail: str) -> None:
        self.violation = self.violation or detail
        self.kill()

    def kill(self) -> None:
        """End every process of this submission. Safe to call twice."""
        if not self.alive:
            return
        self.alive = False
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.killpg(self.keeper, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.ctrl.close()
        with contextlib.suppress(OSError):
            os.close(self._out_r)
        if self._setup_r >= 0:
            with contextlib.suppress(OSError):
                os.close(self._setup_r)
            self._setup_r = -1
        if self._prepared is not None:
            self._prepared.close()
            self._prepared = None
        self.reader.drains.clear()

    close = kill


class _ChannelEnds:
    """A check's socket and output pipe, made on the trusted side; "theirs" go to the sandbox."""

    def __init__(self) -> None:
        self.mine, self._theirs = socket.socketpair()
        self.out_r, self._out_w = os.pipe()

    def theirs(self) -> tuple[int, int]:
        return self._theirs.fileno(), self._out_w

    def close_theirs(self) -> None:
        if self._out_w >= 0:
            self._theirs.close()
            os.close(self._out_w)
            self._out_w = -1

    def close(self) -> None:
        self.close_theirs()
        self.mine.close()
        with contextlib.suppress(OSError):
            os.close(self.out_r)


def _text(value: Any, limit: int = 4000) -> str:
    return value[:limit] if isinstance(value, str) else ""


_STATUS = re.compile(r"^[1-5][0-9][0-9](?: [^\r\n]{0,200})?$")


class CheckChannel:
    """The requests of one check, served by a fresh fork of the loaded app."""

    def __init__(self, sandbox: Sandbox, check_id: int, mine: socket.socket, out_r: int) -> None:
        self.sandbox = sandbox
        self.id = check_id
        limits = sandbox.limits
        self.limits = limits
        self.sock = mine
        self.output = Output(limits.output_kb * 1024)
        self._out_r = out_r
        self.reader = FrameReader(mine, max_body=MAX_RESPONSE_BYTES, max_header=proto.RESPONSE_HEADER_MAX)
        self.reader.drains[out_r] = self.output.feed
        self.deadline = time.monotonic() + limits.check_timeout_s
        self.closed = False

    def request(self, environ: dict[str, str], body: bytes, what: str) -> tuple[dict[str, Any], bytes]:
        """Send one request; return the validated reply header and the body."""
        if self.closed or not self.sandbox.alive:
            if self.sandbox.violation:
                raise ProtocolViolation(what, self.sandbox.violation)
            raise SubmissionCrashed(f"{what}: the app is no longer running (an earlier request ended it)")
        request_limit = self.limits.request_timeout_s
        deadline = min(time.monotonic() + request_limit, self.deadline)
        try:
            self.reader.send({"op": "request", "environ": environ}, body, deadline=deadline)
            header, payload = self.reader.read(deadline=deadline)
        except WireTimeout:
            # A sandbox that broke the protocol is often also too busy to answer: say what it really did.
            self.sandbox._collect_exits(block_for=None)
            self.closed = True
            if self.sandbox.violation:
                raise ProtocolViolation(what, self.sandbox.violation) from None
            self.sandbox.kill()
            if deadline >= self.deadline:
                raise SubmissionTimeout(f"{what}: the check's time limit ({self.limits.check_timeout_s:g} s) "
                                        "ran out while the app was answering") from None
            raise SubmissionTimeout(f"{what}: no answer within {request_limit:g} s (the time limit per "
                                    "request); look for a loop or a slow call in this route") from None
        except (WireClosed, BrokenPipeError, ConnectionResetError):
            raise self._crashed(what) from None
        except WireDescriptors:
            raise self._violated(what, "it sent file descriptors to the grader") from None
        except WireError as exc:
            raise self._violated(what, str(exc)) from None
        return _validate_reply(header, payload, what), payload

    def _violated(self, what: str, detail: str) -> ProtocolViolation:
        self.closed = True
        self.sandbox._violation(detail)
        return ProtocolViolation(what, detail)

    def _crashed(self, what: str) -> SubmissionCrashed:
        self.closed = True
        self.sock.close()
        reason = "it exited or crashed"
        exit_info = self.sandbox.exit_of(self.id, timeout=2.0)
        if self.sandbox.violation:
            return ProtocolViolation(what, self.sandbox.violation)
        if exit_info:
            sig, code = exit_info.get("signal"), exit_info.get("code")
            if sig == "SIGKILL":
                reason = (f"it was killed ({sig}), most likely for using more than {self.limits.memory_mb} MB "
                          "of memory")
            elif sig == "SIGXCPU":
                reason = "it used more CPU time than the check's limit"
            elif isinstance(sig, str) and sig:
                reason = f"it was killed by {sig[:20]}"
            elif type(code) is int:
                reason = f"it exited with code {code} (os._exit?)"
        return SubmissionCrashed(f"{what}: the app's process ended before answering: {reason}")

    def finish(self) -> str:
        """End the check: its process exits, leftovers are killed, and its output is returned."""
        self.closed = True
        if self._out_r >= 0:  # once only: a second os.close could hit a descriptor that reused the number
            with contextlib.suppress(OSError):
                self.reader.drain_now()
            with contextlib.suppress(OSError):
                os.close(self._out_r)
            self._out_r = -1
        with contextlib.suppress(OSError):
            self.sock.close()
        return self.output.text()


def _validate_reply(header: dict[str, Any], payload: bytes, what: str) -> dict[str, Any]:
    """The reply checked against the protocol and the documented limits. The sandbox's own word about a limit
    (a `too_large` error) is only ever a message about the submission itself."""
    op = header.get("op")
    if op == "error":
        message = _text(header.get("message"), 500) or "the app failed"
        tb = _text(header.get("traceback"))
        if header.get("kind") == "too_large":
            raise SubmissionCrashed(f"{what}: {message}")
        raise SubmissionCrashed(f"{what}: {message}" + (f"\n{tb}" if tb else ""))
    if op != "response":
        raise ProtocolViolation(what, f"an unexpected message {_text(op, 40)!r}")
    status = header.get("status")
    headers = header.get("headers")
    if not isinstance(status, str) or not _STATUS.match(status):
        raise SubmissionCrashed(f"{what}: the app answered with an invalid HTTP status line {str(status)[:80]!r}")
    if not isinstance(headers, list) or not all(
            isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], str) for p in headers):
        raise ProtocolViolation(what, "response headers that are not a list of name/value pairs")
    too_large = proto.over_limits(headers)
    if too_large:
        raise SubmissionCrashed(f"{what}: {too_large}")
    exc = header.get("exception")
    if exc is not None and not isinstance(exc, dict):
        raise ProtocolViolation(what, "an exception report that is not an object")
    return header
