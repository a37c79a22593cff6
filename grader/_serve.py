"""Inside the sandbox, after loading: serve each check from a fresh fork of the loaded app.

pid 1 holds the loaded app and forks one process per check; every check starts from the app's memory and the
submission's files as they were after loading (:class:`FilesSnapshot`), so nothing one check does is seen by
the next. Everything here runs in processes that have run student code: whatever they send is believed by
nobody (see grader.protocol).
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import resource
import select
import signal
import socket
import stat
import sys
import time
from dataclasses import dataclass, field
from typing import Any, NoReturn

from . import _linux as lx
from ._confine import PR_SET_PDEATHSIG
from ._load import exc_line, student_traceback, where
from .protocol import MAX_SNAPSHOT_BYTES, MAX_SNAPSHOT_ENTRIES, over_limits, size_text
from .wire import FrameReader, WireClosed, WireError, send_frame


@dataclass
class _Entry:
    kind: str  # "dir", "file", "link"
    mode: int
    data: bytes = b""
    ino: int = 0
    size: int = 0
    mtime_ns: int = 0


class SnapshotTooLarge(Exception):
    pass


@dataclass
class FilesSnapshot:
    """The writable files of a sandbox as they were after loading, kept in pid 1's memory (bounded), put back
    before each check. Only one file system is walked: folders mounted on it (a read-only Python under /tmp)
    are left alone. A file rewritten in place keeps its inode, so a database the app opened while loading
    sees its data as it was."""

    root: str
    entries: dict[str, _Entry] = field(default_factory=dict)
    dev: int = 0

    @classmethod
    def take(cls, root: str) -> FilesSnapshot:
        snap = cls(root, dev=os.lstat(root).st_dev)
        total = 0
        for rel, st in snap._walk():
            if len(snap.entries) >= MAX_SNAPSHOT_ENTRIES:
                raise SnapshotTooLarge(f"more than {MAX_SNAPSHOT_ENTRIES} files")
            path = os.path.join(root, rel)
            if stat.S_ISDIR(st.st_mode):
                snap.entries[rel] = _Entry("dir", stat.S_IMODE(st.st_mode))
            elif stat.S_ISLNK(st.st_mode):
                snap.entries[rel] = _Entry("link", 0, os.readlink(path).encode())
            elif stat.S_ISREG(st.st_mode):
                total += st.st_size
                if total > MAX_SNAPSHOT_BYTES:
                    raise SnapshotTooLarge(f"more than {MAX_SNAPSHOT_BYTES // (1024 * 1024)} MB")
                with open(path, "rb") as f:
                    data = f.read()
                snap.entries[rel] = _Entry("file", stat.S_IMODE(st.st_mode), data, st.st_ino, st.st_size,
                                           st.st_mtime_ns)
        return snap

    def _walk(self) -> list[tuple[str, os.stat_result]]:
        out: list[tuple[str, os.stat_result]] = []
        stack = [""]
        while stack:
            rel = stack.pop()
            try:
                names = os.listdir(os.path.join(self.root, rel) if rel else self.root)
            except OSError:
                continue
            for name in names:
                child = f"{rel}/{name}" if rel else name
                try:
                    st = os.lstat(os.path.join(self.root, child))
                except OSError:
                    continue
                if st.st_dev != self.dev:
                    continue  # a mount point (a read-only bind): not ours to walk or restore
                out.append((child, st))
                if stat.S_ISDIR(st.st_mode):
                    stack.append(child)
        return out

    def restore(self) -> None:
        """Put every file back as it was after loading; remove what a check added."""
        now = dict(self._walk())
        for rel in sorted((r for r in now if r not in self.entries), reverse=True):
            _remove(os.path.join(self.root, rel), now[rel])
        for rel in sorted(self.entries):
            entry, path, st = self.entries[rel], os.path.join(self.root, rel), now.get(rel)
            with contextlib.suppress(OSError):
                self._put_back(entry, path, st)

    def _put_back(self, entry: _Entry, path: str, st: os.stat_result | None) -> None:
        if entry.kind == "dir":
            if st is not None and not stat.S_ISDIR(st.st_mode):
                _remove(path, st)
                st = None
            if st is None:
                os.mkdir(path, entry.mode)
            elif stat.S_IMODE(st.st_mode) != entry.mode:
                os.chmod(path, entry.mode)
        elif entry.kind == "link":
            if st is not None and stat.S_ISLNK(st.st_mode) and os.readlink(path).encode() == entry.data:
                return
            if st is not None:
                _remove(path, st)
            os.symlink(entry.data.decode(), path)
        else:
            if (st is not None and stat.S_ISREG(st.st_mode) and st.st_ino == entry.ino and st.st_size == entry.size
                    and st.st_mtime_ns == entry.mtime_ns and stat.S_IMODE(st.st_mode) == entry.mode):
                return  # untouched
            if st is not None and not (stat.S_ISREG(st.st_mode) and st.st_ino == entry.ino):
                _remove(path, st)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, entry.mode)
            try:
                os.write(fd, entry.data) if entry.data else None
                os.fchmod(fd, entry.mode)
                after = os.fstat(fd)
            finally:
                os.close(fd)
            entry.ino, entry.size, entry.mtime_ns = after.st_ino, after.st_size, after.st_mtime_ns


@dataclass
class SharedMemorySnapshot:
    """The contents of the anonymous shared mappings the app made while loading (``mmap.mmap(-1, n)``,
    ``multiprocessing.Value``): fork shares them, so pid 1 writes them back before each check. File-backed
    mappings are left to :class:`FilesSnapshot` (reading one past its file's end would fault)."""

    regions: list[tuple[int, bytes]] = field(default_factory=list)

    @classmethod
    def take(cls, maps_fd: int) -> SharedMemorySnapshot:
        """``maps_fd`` is this process's /proc/self/maps, opened before Landlock (which hides /proc)."""
        import ctypes

        snap, total = cls(), 0
        os.lseek(maps_fd, 0, os.SEEK_SET)
        with os.fdopen(maps_fd, closefd=True) as f:
            for line in f:
                parts = line.split(maxsplit=5)
                perms, name = parts[1], (parts[5].strip() if len(parts) > 5 else "")
                if perms[1] != "w" or perms[3] != "s" or not (name.startswith("/dev/zero") or name in ("",
                                                                                                 "[anon_shmem]")):
                    continue
                start, end = (int(x, 16) for x in parts[0].split("-"))
                total += end - start
                if total > MAX_SNAPSHOT_BYTES:
                    raise SnapshotTooLarge(f"more than {MAX_SNAPSHOT_BYTES // (1024 * 1024)} MB of shared memory")
                snap.regions.append((start, ctypes.string_at(start, end - start)))
        return snap

    def restore(self) -> None:
        import ctypes

        for start, data in self.regions:
            ctypes.memmove(start, data, len(data))


def _remove(path: str, st: os.stat_result) -> None:
    with contextlib.suppress(OSError):
        if stat.S_ISDIR(st.st_mode):
            import shutil

            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


@dataclass
class ServeContext:
    """What every check's process needs, set up once in pid 1."""

    app: Any
    workdir: str
    namespaced: bool
    seccomp: bool
    check_timeout_s: float
    max_request_bytes: int
    max_response_bytes: int
    files: FilesSnapshot | None
    memory: SharedMemorySnapshot | None = None
    caught: dict[str, BaseException | None] = field(default_factory=lambda: {"exc": None})


def prepare(app: Any, ctx: ServeContext) -> None:
    """Once, in pid 1, before the first fork: catch the view's exceptions, keep Flask's log to one line."""
    from flask import Flask, got_request_exception

    def on_exception(sender: Any, exception: BaseException, **extra: Any) -> None:
        ctx.caught["exc"] = exception

    got_request_exception.connect(on_exception, app, weak=False)
    if type(app).log_exception is Flask.log_exception:
        # Flask would print the whole traceback, host paths and all, into the check's output; the check's
        # message already holds the student's own lines of it.
        def log_exception(exc_info: Any) -> None:
            from flask import request

            exc = exc_info[1] if isinstance(exc_info, tuple) else None
            what = exc_line(exc) if isinstance(exc, BaseException) else "an exception"
            app.logger.error("Exception on %s [%s]: %s", request.path, request.method, what)

        app.log_exception = log_exception
    gc.freeze()  # checks' forks then never walk (and copy) the loaded app's objects when they collect


def serve(ctrl: socket.socket, ctx: ServeContext, pipelined: bool) -> NoReturn:
    if pipelined:
        _serve_pipelined(ctrl, ctx)
    _serve_sequential(ctrl, ctx)


def _next_check(reader: FrameReader, deadline: float | None, descriptors: int = 2
                ) -> tuple[dict[str, Any], list[int]] | None:
    """The next "check" frame and its descriptors (a check's socket and output pipe, twice for the first
    pipelined check); None for anything else. The trusted side closing the control socket ends the sandbox."""
    try:
        header, _ = reader.read(deadline=deadline)
    except (WireClosed, WireError, OSError):
        os._exit(0)
    fds = reader.take_fds()
    if header.get("op") != "check" or len(fds) != descriptors:
        for fd in fds:
            os.close(fd)
        return None
    return header, fds


def send_or_exit(sock: socket.socket, header: dict[str, Any]) -> None:
    """Send a control frame; a trusted side that is gone ends this sandbox."""
    try:
        send_frame(sock, header)
    except OSError:
        os._exit(0)


def _serve_sequential(ctrl: socket.socket, ctx: ServeContext) -> NoReturn:
    """One check at a time: fork it, wait for it, kill whatever it left, put the files back, acknowledge."""
    # As pid 1 of a namespace, this process kills whatever a check leaves behind: there, a check may start
    # processes. Elsewhere it may not, nor signal anything but itself.
    seccomp = lx.SeccompFilter(check=True) if ctx.seccomp and not ctx.namespaced else None
    reader = FrameReader(ctrl, max_body=1024, accept_fds=True)
    while True:
        check = _next_check(reader, deadline=None)
        if check is None:
            continue
        header, (sock_fd, out_fd) = check
        pid = _fork_retrying()
        if pid == 0:
            lx.set_name("frg-check")
            ctrl.close()
            _serve_check(ctx, sock_fd, out_fd, seccomp)
        os.close(sock_fd)
        os.close(out_fd)
        status = _wait(pid)
        kill_leftovers(pid, ctx.namespaced)
        _restore(ctx)
        send_or_exit(ctrl, {"op": "done", "id": header.get("id"), "exit": status})


def _serve_pipelined(ctrl: socket.socket, ctx: ServeContext) -> NoReturn:
    """Checks forked ahead of time: while one check runs, the process for the next is already waiting.

    A check's process may start no process of its own and may signal only itself (seccomp), so when it
    exits nothing it did is left running. When the next check is asked for, the trusted side is done with
    the previous one: it is killed (it has almost always exited already) and the files are put back before the
    next one may touch them. Only used with namespaces and seccomp both on.

    Each `check` frame carries the descriptors of the check *after* it (the first one also its own), so the
    process forked ahead inherits them: nothing in the sandbox ever passes a descriptor with SCM_RIGHTS, which
    the kernel counts per user and a submission running as the same user could otherwise exhaust for others.
    """
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    keep = (ctrl, wake_r, wake_w)
    seccomp = lx.SeccompFilter(check=True)  # assembled once; each check's process fills in its pid
    ahead: tuple[int, socket.socket | None] | None = None
    running: dict[int, Any] = {}
    reader = FrameReader(ctrl, max_body=1024, accept_fds=True)
    while True:
        ready, _, _ = select.select([ctrl.fileno(), wake_r], [], [])
        if wake_r in ready:
            with contextlib.suppress(OSError):
                os.read(wake_r, 4096)
            _report_finished(ctrl, running)
        if ctrl.fileno() not in ready:
            continue
        check = _next_check(reader, deadline=time.monotonic() + 5, descriptors=2 if ahead else 4)
        if check is None:
            continue
        header, fds = check
        for previous in list(running):
            with contextlib.suppress(OSError):
                os.kill(previous, signal.SIGKILL)
            send_or_exit(ctrl, {"op": "done", "id": running.pop(previous), "exit": _wait(previous)})
        _restore(ctx)
        if ahead is None:  # the first check: its own descriptors came with this frame, before the next one's
            current, fds = fds[:2], fds[2:]
            ahead = _fork_check(ctx, keep + tuple(fds), seccomp, current, wait_for_go=False)
            for fd in current:
                os.close(fd)
        pid, hand = ahead
        if hand is not None:
            with contextlib.suppress(OSError):  # if it died (a resource limit), its check's socket closes
                send_frame(hand, {"op": "go"})
            hand.close()
        running[pid] = header.get("id")
        ahead = _fork_check(ctx, keep, seccomp, fds, wait_for_go=True)
        for fd in fds:
            os.close(fd)
        _report_finished(ctrl, running)


def _restore(ctx: ServeContext) -> None:
    """Files and shared memory as the module left them; the previous check's process is gone by now."""
    if ctx.files is not None:
        ctx.files.restore()
    if ctx.memory is not None and ctx.memory.regions:
        ctx.memory.restore()


def _fork_retrying(patience_s: float = 3.0) -> int:
    """fork(), waiting while the process limit is full: after a fork bomb, the kernel is still killing the
    previous check's processes, and the next check must not pay for them."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            return os.fork()
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _report_finished(ctrl: socket.socket, running: dict[int, Any]) -> None:
    while True:
        try:
            pid, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in running:
            send_or_exit(ctrl, {"op": "done", "id": running.pop(pid), "exit": _exit_info(st)})


def _fork_check(ctx: ServeContext, close: tuple[Any, ...], seccomp: lx.SeccompFilter, fds: list[int], *,
                wait_for_go: bool) -> tuple[int, socket.socket | None]:
    """The process that serves one check from ``fds`` (its socket and output pipe, inherited), and the socket
    on which it waits for "go" while the check before it runs."""
    mine, theirs = socket.socketpair() if wait_for_go else (None, None)
    pid = _fork_retrying()
    if pid:
        if theirs is not None:
            theirs.close()
        return pid, mine
    try:
        lx.set_name("frg-check")
        # Nobody else's to read or write through /proc while it waits, not even the check running now.
        lx.prctl(lx.PR_SET_DUMPABLE, 0)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for item in (*close, *((mine,) if mine is not None else ())):
            with contextlib.suppress(OSError):
                item.close() if isinstance(item, socket.socket) else os.close(item)
        if theirs is not None:
            try:
                header, _ = FrameReader(theirs, max_body=0).read()
            except (WireError, OSError):
                os._exit(0)
            theirs.close()
            if header.get("op") != "go":
                os._exit(0)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.write(2, f"grader: could not start a check's process: {exc!r}\n".encode())
        os._exit(70)
    _serve_check(ctx, fds[0], fds[1], seccomp)


def _exit_info(status: int) -> dict[str, Any]:
    if os.WIFSIGNALED(status):
        return {"code": None, "signal": signal.Signals(os.WTERMSIG(status)).name}
    return {"code": os.WEXITSTATUS(status), "signal": None}


def _wait(pid: int) -> dict[str, Any]:
    while True:
        try:
            _, st = os.waitpid(pid, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            return {"code": None, "signal": None}
        return _exit_info(st)


def kill_leftovers(pid: int, namespaced: bool) -> None:
    """Nothing a check (or the module, while loading) started may outlive it: daemons, double forks."""
    try:
        if namespaced:
            os.kill(-1, signal.SIGKILL)  # as pid 1: every other process in this sandbox
        else:
            os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG if not namespaced else 0)[0] == 0:
                break
        except ChildProcessError:
            break
        except InterruptedError:
            continue


def _serve_check(ctx: ServeContext, sock_fd: int, out_fd: int, seccomp: lx.SeccompFilter | None) -> NoReturn:
    try:
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(out_fd)
        if not ctx.namespaced:
            os.setpgid(0, 0)
            lx.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # in a pid namespace, pid 1's end is everyone's
        cpu = int(ctx.check_timeout_s) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        if seccomp is not None:
            seccomp.install()
        sock = socket.socket(fileno=sock_fd)
        reader = FrameReader(sock, max_body=ctx.max_request_bytes, accept_fds=True)
        while True:
            try:
                header, body = reader.read()
            except WireClosed:
                break
            if header.get("op") != "request":
                break
            reply, payload = handle(ctx, header.get("environ", {}), body)
            sys.stdout.flush()
            sys.stderr.flush()
            send_frame(sock, reply, payload)
    except BaseException:
        pass
    os._exit(0)


def _too_large(message: str) -> dict[str, Any]:
    return {"op": "error", "kind": "too_large", "message": message}


def handle(ctx: ServeContext, env: dict[str, Any], body: bytes) -> tuple[dict[str, Any], bytes]:
    environ: dict[str, Any] = {k: v for k, v in env.items() if isinstance(k, str) and isinstance(v, str)}
    environ.update({
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "wsgi.url_scheme": env.get("wsgi.url_scheme", "http"), "wsgi.input_terminated": True,
    })
    started: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started["status"], started["headers"] = status, headers
        return lambda data: chunks.append(data)

    caught, max_body = ctx.caught, ctx.max_response_bytes
    caught["exc"] = None
    try:
        result = ctx.app(environ, start_response)
        try:
            size = sum(len(c) for c in chunks)
            for chunk in result:
                chunks.append(chunk)
                size += len(chunk)
                if size > max_body:
                    return _too_large(f"the response's body is {size_text(size)}; the limit is "
                                      f"{size_text(max_body)}"), b""
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except SystemExit as exc:
        return {"op": "error", "kind": "exit", "message": f"the route called sys.exit({exc.code!r})",
                "traceback": student_traceback(exc, ctx.workdir)}, b""
    except BaseException as exc:
        caught["exc"] = caught["exc"] or exc
        started.setdefault("status", "500 INTERNAL SERVER ERROR")
        started.setdefault("headers", [("Content-Type", "text/plain")])
    headers = [[str(k), str(v)] for k, v in started.get("headers", [])]
    over = over_limits(headers)
    if over:
        return _too_large(over), b""
    reply: dict[str, Any] = {"op": "response", "status": str(started.get("status", "")), "headers": headers}
    raised = caught["exc"]
    if raised is not None:
        reply["exception"] = {"type": type(raised).__name__, "message": exc_line(raised),
                              "where": where(raised, ctx.workdir),
                              "traceback": student_traceback(raised, ctx.workdir)}
    return reply, b"".join(chunks)
