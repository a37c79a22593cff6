"""The zygote and the process tree of every sandbox (the sandbox side of grader.protocol).

Process tree (see DESIGN.md)::

    trusted grader --socket--> zygote (fresh ``python -I``, Flask imported, no student code, no checks)
                                 `-- keeper (per submission: new session, namespaces unshared; no student code)
                                       `-- init (pid 1 of the sandbox: private root, unprivileged, limits;
                                             |   reports its setup on the setup pipe and closes it, then
                                             |   loads the student's module once)
                                             `-- check (a fork per check, made while the previous check runs;
                                                 serves requests from one socket; may start no process)

Lifetime is the kernel's business, not the sandbox's: the zygote exits when the grader's socket closes (and
is killed with the grader's thread when that is the main thread), each keeper and each pid 1 get SIGKILL when
their parent dies (PR_SET_PDEATHSIG, which the seccomp filter forbids undoing), and pid 1's death ends its
whole pid namespace. No step relies on code that has run student code noticing anything.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys
import tempfile
import time
from typing import Any, NoReturn

from . import _confine as confine
from . import _linux as lx
from . import _load, _serve
from .protocol import SetupResult, SpawnRequest
from .wire import FrameReader, WireClosed, WireError, send_frame

MAX_FILES_BYTES = 32 * 1024 * 1024


def main() -> NoReturn:
    sock = socket.socket(fileno=int(sys.argv[1]))
    if len(sys.argv) > 2:
        # Started from the grader's main thread: die with it, even while busy in a spawn.
        lx.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != int(sys.argv[2]):
            os._exit(0)
    lx.set_name("frg-zygote")
    _preimport()
    root_dir = confine.root_dir()
    binds = confine.bind_plan()
    probe = _probe(root_dir)
    send_frame(sock, {
        "op": "hello", "probe": probe, "pid": os.getpid(), "binds": binds["dirs"],
        "python": sys.version.split()[0], "flask": _dist_version("flask"), "werkzeug": _dist_version("werkzeug"),
    })
    # Keepers are reaped by the kernel: the trusted side tracks sandboxes by pid, never by exit status.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    reader = FrameReader(sock, max_body=MAX_FILES_BYTES + 1024 * 1024, accept_fds=True)
    while True:
        try:
            header, body = reader.read()
        except (WireClosed, WireError, OSError):
            os._exit(0)  # the grader is gone: every keeper dies with this process
        fds = reader.take_fds()
        if header.get("op") == "spawn":
            send_frame(sock, _spawn(sock, header, body, fds, root_dir, binds))
        else:
            for fd in fds:
                os.close(fd)


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return ""


def _preimport() -> None:
    """Import what student apps and the loader need while the whole filesystem is still visible."""
    import mimetypes

    mimetypes.init()
    import base64  # noqa: F401
    import collections  # noqa: F401
    import dataclasses  # noqa: F401
    import datetime  # noqa: F401
    import email.utils  # noqa: F401
    import encodings.ascii  # noqa: F401  # codecs Werkzeug loads lazily; a sandbox may not reach the stdlib
    import encodings.idna  # noqa: F401
    import encodings.latin_1  # noqa: F401
    import encodings.punycode  # noqa: F401
    import encodings.utf_8  # noqa: F401
    import functools  # noqa: F401
    import hashlib  # noqa: F401
    import http.cookies  # noqa: F401
    import importlib.util  # noqa: F401
    import itertools  # noqa: F401
    import linecache  # noqa: F401
    import logging  # noqa: F401
    import mmap  # noqa: F401
    import re  # noqa: F401
    import secrets  # noqa: F401
    import shutil  # noqa: F401
    import sqlite3  # noqa: F401  # data on disk is good practice; its package may not be readable later
    import string  # noqa: F401
    import typing  # noqa: F401
    import urllib.parse  # noqa: F401
    import uuid  # noqa: F401

    import flask  # noqa: F401
    import flask.cli  # noqa: F401  # the loader uses Flask's own app discovery
    import flask.json.provider  # noqa: F401
    import flask.sansio.scaffold  # noqa: F401
    import werkzeug.exceptions  # noqa: F401
    import werkzeug.formparser  # noqa: F401
    import werkzeug.utils  # noqa: F401


def _probe(root_dir: str) -> dict[str, Any]:
    """Try, once, in a throwaway child, what the sandbox will do: unshare and mount a tmpfs."""
    if not sys.platform.startswith("linux"):
        return {"namespaces": False, "reason": f"{sys.platform} has no Linux namespaces", "root": False,
                "landlock": 0, "seccomp": False}
    extra = {"landlock": lx.landlock_abi(), "seccomp": lx.seccomp_supported()}
    r, w = os.pipe()
    is_root = confine.real_root()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        msg = "ok"
        try:
            confine.unshare_namespaces()
            lx.mount(None, "/", None, lx.MS_REC | lx.MS_PRIVATE)
            lx.mount("tmpfs", root_dir, "tmpfs", lx.MS_NOSUID | lx.MS_NODEV, "size=64k")
        except OSError as exc:
            msg = str(exc)
        os.write(w, msg.encode()[:500])
        os._exit(0)
    os.close(w)
    msg = os.read(r, 1000).decode()
    os.close(r)
    os.waitpid(pid, 0)
    return {"namespaces": msg == "ok", "reason": "" if msg == "ok" else msg, "root": is_root, **extra}


def _spawn(sock: socket.socket, header: dict[str, Any], body: bytes, fds: list[int], root_dir: str,
           binds: dict[str, list[str]]) -> dict[str, Any]:
    if len(fds) != 3:
        for fd in fds:
            os.close(fd)
        return {"op": "spawned", "ok": False, "error": "spawn needs three descriptors"}
    try:
        request = SpawnRequest.from_header(header)
    except (KeyError, TypeError, ValueError) as exc:
        for fd in fds:
            os.close(fd)
        return {"op": "spawned", "ok": False, "error": f"a malformed spawn request ({exc!r})"}
    files: list[tuple[str, bytes]] = []
    offset = 0
    for name, size in request.files:
        files.append((name, body[offset : offset + size]))
        offset += size
    r, w = os.pipe()
    zygote_pid = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            _keeper(request, files, fds, w, root_dir, binds, zygote_pid)
        finally:
            os._exit(70)
    os.close(w)
    for fd in fds:
        os.close(fd)
    raw = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and select.select([r], [], [], max(0, deadline - time.monotonic()))[0]:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        raw += chunk
    os.close(r)
    try:
        info = json.loads(raw)
    except ValueError:
        return {"op": "spawned", "ok": False, "keeper": pid, "error": "the sandbox keeper did not report"}
    return {"op": "spawned", "keeper": pid, **info}


def _keeper(request: SpawnRequest, files: list[tuple[str, bytes]], fds: list[int], report_w: int,
            root_dir: str, binds: dict[str, list[str]], zygote_pid: int) -> NoReturn:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    lx.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != zygote_pid:
        os._exit(0)  # the zygote died before we asked to die with it
    lx.set_name("frg-keeper")
    ctrl_fd, out_fd, setup_fd = fds
    # Nothing of the zygote's (least of all its socket to the grader) may reach student code.
    confine.close_fds_except({ctrl_fd, out_fd, setup_fd, report_w})
    os.setsid()
    if request.mode == "namespaces":
        try:
            confine.unshare_namespaces()
        except OSError as exc:
            os.write(report_w, json.dumps({"ok": False, "error": f"could not unshare: {exc}"}).encode())
            os._exit(71)
    workdir = confine.WORKDIR_NS if request.mode == "namespaces" else tempfile.mkdtemp(prefix="frg-submission-")
    keeper_pid = os.getpid()
    alive_r, alive_w = os.pipe()  # pid 1 checks, after asking to die with this process, that it still lives
    pid = os.fork()
    if pid == 0:
        os.close(report_w)
        os.close(alive_w)
        _init(request, files, ctrl_fd, out_fd, setup_fd, alive_r, workdir, root_dir, binds, keeper_pid)
    os.close(alive_r)
    for fd in (ctrl_fd, out_fd, setup_fd):
        os.close(fd)
    os.write(report_w, json.dumps({"ok": True, "pid": pid, "workdir": workdir}).encode())
    os.close(report_w)
    while True:
        try:
            os.waitpid(pid, 0)
            break
        except ChildProcessError:
            break
        except InterruptedError:
            continue
    if request.mode != "namespaces":
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    os._exit(0)


def _report_setup(setup_fd: int, result: SetupResult) -> None:
    """Write the setup result and close the pipe: after this, no process of the sandbox can write to it."""
    payload = {"ok": result.ok, "fault": result.fault, "message": result.message[:2000]}
    try:
        os.write(setup_fd, json.dumps(payload).encode()[:4000])
    finally:
        os.close(setup_fd)


def _init(request: SpawnRequest, files: list[tuple[str, bytes]], ctrl_fd: int, out_fd: int, setup_fd: int,
          alive_r: int, workdir: str, root_dir: str, binds: dict[str, list[str]], keeper_pid: int) -> NoReturn:
    lx.set_name("frg-init")
    try:
        maps_fd = _confine(request, files, out_fd, alive_r, workdir, root_dir, binds, keeper_pid)
    except confine.FilesRefused as exc:
        _report_setup(setup_fd, SetupResult(False, "submission", f"the submission's files could not be laid "
                                            f"out: {exc}"))
        os._exit(0)
    except Exception as exc:  # the grader's own setup failed: the one sandbox-side report that is a grader fault
        _report_setup(setup_fd, SetupResult(False, "grader", f"{type(exc).__name__}: {exc}"))
        os._exit(72)
    _report_setup(setup_fd, SetupResult(True))
    # From here on, this process may run student code at any moment: nothing it sends is believed.
    ctrl = socket.socket(fileno=ctrl_fd)
    app, error = _load.load(request.entry, request.app, workdir)
    if error is not None:
        _serve.send_or_exit(ctrl, error.to_header())
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    namespaced = request.mode == "namespaces"
    _warm_up(app)
    if namespaced:
        # Whatever the module started while loading must not hold process slots (or anything else) that
        # the checks need: each check starts from the loaded app alone.
        _serve.kill_leftovers(0, namespaced=True)
    try:
        files_after = _serve.FilesSnapshot.take("/tmp" if namespaced else workdir)
        memory_after = _serve.SharedMemorySnapshot.take(maps_fd)
    except _serve.SnapshotTooLarge as exc:
        _serve.send_or_exit(ctrl, _load.LoadError("files", f"the app's files after loading hold {exc}: each check "
                                          "starts from a copy of them, so keep what it writes at import small"
                                          ).to_header())
        os._exit(0)
    ctx = _serve.ServeContext(app=app, workdir=workdir, namespaced=namespaced,
                              seccomp=bool(request.layers.get("seccomp")),
                              check_timeout_s=float(request.limits["check_timeout_s"]),
                              max_request_bytes=request.max_request_bytes,
                              max_response_bytes=request.max_response_bytes, files=files_after,
                              memory=memory_after)
    _serve.prepare(app, ctx)
    sys.stdout.flush()  # or buffered load-time output would be printed again by every check's fork
    sys.stderr.flush()
    _serve.send_or_exit(ctrl, {"op": "ready"})
    _serve.serve(ctrl, ctx, pipelined=request.pipelined)


def _confine(request: SpawnRequest, files: list[tuple[str, bytes]], out_fd: int, alive_r: int, workdir: str,
             root_dir: str, binds: dict[str, list[str]], keeper_pid: int) -> int:
    """Confine this process (pid 1); return its /proc/self/maps, opened while /proc is still reachable."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)
    limits, layers = request.limits, request.layers
    sandbox_uid = 200000 + keeper_pid  # unique among live sandboxes, so rlimits and kill() stay per sandbox
    if request.mode == "namespaces":
        confine.make_private_root(files, root_dir, binds, limits, sandbox_uid)
        confine.drop_privileges_ns(sandbox_uid)
    else:
        confine.write_files(workdir, files, confine.real_root() and sandbox_uid)
        if confine.real_root():
            confine.setuid(sandbox_uid)
        lx.prctl(lx.PR_SET_NO_NEW_PRIVS, 1)
    confine.set_limits(limits, shared_uid=request.mode != "namespaces" and not confine.real_root())
    maps_fd = os.open("/proc/self/maps", os.O_RDONLY | os.O_CLOEXEC)
    if request.mode != "namespaces" and layers.get("landlock"):
        lx.install_landlock(binds["dirs"] + ["/dev/null", "/dev/urandom", "/dev/zero"], [workdir])
    confine.die_with_parent(alive_r)
    os.close(alive_r)
    if layers.get("seccomp"):
        lx.SeccompFilter().install()
    confine.scrub_environment()
    os.chdir(workdir)
    return maps_fd


def _warm_up(app: Any) -> None:
    """Do Flask's lazy first-request work once, before forking, so no check pays it (~10 ms each).

    Only Flask's and Werkzeug's own code runs here: no view, hook or context of the student's.
    """
    from werkzeug.exceptions import HTTPException
    from werkzeug.test import EnvironBuilder

    try:
        environ = EnvironBuilder("/__grader_warm_up__", json={"a": 1}).get_environ()
        req = app.request_class(environ)
        adapter = app.create_url_adapter(req)
        if adapter is not None:
            try:
                adapter.match()
            except HTTPException:
                pass
        req.get_json(silent=True)
        req.args.get("x")
        req.headers.get("User-Agent")
        _ = req.cookies, req.form
        app.response_class("x")
        app.json.response({"a": 1})
    except Exception:
        pass  # warming is an optimisation; the checks will show any real problem


if __name__ == "__main__":
    main()
