"""The zygote and everything that runs on the sandbox side of the boundary.

Process tree (see DESIGN.md)::

    trusted grader --socket--> zygote (fresh ``python -I``, Flask imported, no student code, no checks)
                                 `-- keeper (per submission: new session, namespaces unshared)
                                       `-- init (pid 1 of the sandbox: private root, unprivileged, limits;
                                             |   loads the student's module once)
                                             `-- check (a fork per check, made while the previous check runs;
                                                 serves requests from one socket; may start no process)

The zygote is started with a scrubbed environment and imports only the standard library, Flask and this
package, so a fork of it carries nothing secret. Everything the sandbox sends back is a bounded JSON frame.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import resource
import select
import shutil
import signal
import socket
import sys
import sysconfig
import tempfile
import time
import traceback
from typing import Any, NoReturn

from . import _linux as lx
from .wire import FrameReader, WireClosed, WireError, send_frame

WORKDIR_NS = "/tmp/submission"
SANDBOX_UID = 1000  # the submission's uid inside its user namespace (non-root mode)
MAX_FILES_BYTES = 32 * 1024 * 1024


# --------------------------------------------------------------------------- zygote


def main() -> NoReturn:
    sock = socket.socket(fileno=int(sys.argv[1]))
    lx.set_name("frg-zygote")
    _preimport()
    root_dir = _root_dir()
    binds = _bind_plan()
    probe = _probe(root_dir)
    send_frame(sock, {
        "op": "hello", "probe": probe, "pid": os.getpid(), "binds": binds["dirs"],
        "python": sys.version.split()[0], "flask": _dist_version("flask"), "werkzeug": _dist_version("werkzeug"),
    })
    # Keepers are reaped by the kernel: the trusted side tracks sandboxes by pid, never by exit status.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    reader = FrameReader(sock, max_body=MAX_FILES_BYTES + 1024 * 1024)
    while True:
        try:
            header, body = reader.read()
        except (WireClosed, WireError, OSError):
            os._exit(0)
        fds = reader.take_fds()
        if header.get("op") == "spawn":
            reply = _spawn(sock, header, body, fds, root_dir, binds)
            send_frame(sock, reply)
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
    import re  # noqa: F401
    import secrets  # noqa: F401
    import string  # noqa: F401
    import typing  # noqa: F401
    import urllib.parse  # noqa: F401
    import uuid  # noqa: F401

    import flask  # noqa: F401
    import flask.json.provider  # noqa: F401
    import flask.sansio.scaffold  # noqa: F401
    import werkzeug.exceptions  # noqa: F401
    import werkzeug.formparser  # noqa: F401
    import werkzeug.utils  # noqa: F401


def _root_dir() -> str:
    """An empty host folder to mount each sandbox's private root on (in the sandbox's own mount namespace)."""
    path = os.path.join(tempfile.gettempdir(), f".flask-route-grader-root-{os.getuid()}")
    os.makedirs(path, mode=0o755, exist_ok=True)
    return path


def _bind_plan() -> dict[str, list[str]]:
    """Read-only folders the sandbox needs: the system's shared libraries and this Python's."""
    paths = sysconfig.get_paths()
    wanted = ["/usr", paths["stdlib"], paths["platstdlib"], paths["purelib"], paths["platlib"],
              os.path.join(paths["platstdlib"], "lib-dynload")]
    links: list[str] = []
    for top in ("/bin", "/lib", "/lib64", "/lib32", "/libx32", "/sbin"):
        if os.path.islink(top):
            links.append(top)
        elif os.path.isdir(top):
            wanted.append(top)
    dirs: list[str] = []
    for p in sorted({os.path.realpath(w) for w in wanted if os.path.isdir(w)}):
        if not any(p == d or p.startswith(d + "/") for d in dirs):
            dirs.append(p)
    return {"dirs": dirs, "links": links}


def _real_root() -> bool:
    """Root of the whole machine, not of a user namespace (where only a few uids may be mapped)."""
    return os.geteuid() == 0 and _mapped_to_host_root()


def _namespace_flags() -> int:
    flags = lx.CLONE_NEWNS | lx.CLONE_NEWNET | lx.CLONE_NEWPID | lx.CLONE_NEWIPC | lx.CLONE_NEWUTS
    if not _real_root():
        flags |= lx.CLONE_NEWUSER
    return flags


def _probe(root_dir: str) -> dict[str, Any]:
    """Try, once, in a throwaway child, what the sandbox will do: unshare and mount a tmpfs."""
    if not sys.platform.startswith("linux"):
        return {"namespaces": False, "reason": f"{sys.platform} has no Linux namespaces", "root": False,
                "landlock": 0, "seccomp": False}
    extra = {"landlock": lx.landlock_abi(), "seccomp": lx.seccomp_supported()}
    r, w = os.pipe()
    _real_root_before = _real_root()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        msg = "ok"
        try:
            uid, gid = os.getuid(), os.getgid()
            lx.unshare(_namespace_flags())
            if not _real_root_before:
                lx.write_id_maps(f"0 {uid} 1", f"0 {gid} 1")
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
    return {"namespaces": msg == "ok", "reason": "" if msg == "ok" else msg, "root": _real_root_before, **extra}


def _spawn(sock: socket.socket, header: dict[str, Any], body: bytes, fds: list[int], root_dir: str,
           binds: dict[str, list[str]]) -> dict[str, Any]:
    if len(fds) != 2:
        for fd in fds:
            os.close(fd)
        return {"op": "spawned", "ok": False, "error": "spawn needs two descriptors"}
    ctrl_fd, out_fd = fds
    files: list[tuple[str, bytes]] = []
    offset = 0
    for name, size in header["files"]:
        files.append((name, body[offset : offset + size]))
        offset += size
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            _keeper(header, files, ctrl_fd, out_fd, w, sock.fileno(), root_dir, binds)
        finally:
            os._exit(70)
    os.close(w)
    os.close(ctrl_fd)
    os.close(out_fd)
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


# --------------------------------------------------------------------------- keeper


def _close_fds_except(keep: set[int]) -> None:
    try:
        open_fds = [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        open_fds = list(range(3, 1024))
    for fd in open_fds:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _keeper(spec: dict[str, Any], files: list[tuple[str, bytes]], ctrl_fd: int, out_fd: int, report_w: int,
            zygote_fd: int, root_dir: str, binds: dict[str, list[str]]) -> NoReturn:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    lx.set_name("frg-keeper")
    # Nothing of the zygote's (least of all its socket to the grader) may reach student code.
    _close_fds_except({ctrl_fd, out_fd, report_w})
    os.setsid()
    mode = spec["mode"]
    uid, gid = os.getuid(), os.getgid()
    if mode == "namespaces":
        try:
            real_root = _real_root()
            lx.unshare(_namespace_flags())
            if not real_root:
                lx.write_id_maps(f"0 {uid} 1", f"0 {gid} 1")
        except OSError as exc:
            os.write(report_w, json.dumps({"ok": False, "error": f"could not unshare: {exc}"}).encode())
            os._exit(71)
    workdir = WORKDIR_NS if mode == "namespaces" else tempfile.mkdtemp(prefix="frg-submission-")
    keeper_pid = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(report_w)
        _init(spec, files, ctrl_fd, out_fd, workdir, root_dir, binds, keeper_pid)
    os.close(ctrl_fd)
    os.close(out_fd)
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
    if mode != "namespaces":
        shutil.rmtree(workdir, ignore_errors=True)
    os._exit(0)


# --------------------------------------------------------------------------- init (pid 1 of the sandbox)


def _init(spec: dict[str, Any], files: list[tuple[str, bytes]], ctrl_fd: int, out_fd: int, workdir: str,
          root_dir: str, binds: dict[str, list[str]], keeper_pid: int) -> NoReturn:
    ctrl = socket.socket(fileno=ctrl_fd)
    lx.set_name("frg-init")
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(out_fd)
        limits = spec["limits"]
        sandbox_uid = 200000 + keeper_pid  # unique among live sandboxes, so rlimits and kill() stay per sandbox
        layers = spec["layers"]
        if spec["mode"] == "namespaces":
            _make_private_root(files, root_dir, binds, limits, sandbox_uid)
            _drop_privileges_ns(sandbox_uid)
        else:
            _write_files(workdir, files, _real_root() and sandbox_uid)
            if _real_root():
                _setuid(sandbox_uid)
            lx.prctl(lx.PR_SET_NO_NEW_PRIVS, 1)
        _set_limits(limits, shared_uid=spec["mode"] != "namespaces" and not _real_root())
        if spec["mode"] != "namespaces" and layers.get("landlock"):
            lx.install_landlock(binds["dirs"] + ["/dev/null", "/dev/urandom", "/dev/zero"], [workdir])
        if layers.get("seccomp"):
            lx.SeccompFilter().install()
        _scrub_environment()
        os.chdir(workdir)
    except Exception as exc:  # a grader-side failure: say so, never blame the submission
        _send(ctrl, {"op": "setup_error", "message": f"{type(exc).__name__}: {exc}"})
        os._exit(72)
    app, error = _load(spec, workdir)
    if error is not None:
        _send(ctrl, {"op": "load_error", **error})
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    _warm_up(app)
    if spec["mode"] == "namespaces":
        # Whatever the module started while loading must not hold process slots (or anything else) that
        # the checks need: each check starts from the loaded app alone.
        _kill_leftovers(0, namespaced=True)
    sys.stdout.flush()  # or buffered load-time output would be printed again by every check's fork
    sys.stderr.flush()
    _send(ctrl, {"op": "ready"})
    _serve_control(ctrl, app, spec, workdir)


def _send(sock: socket.socket, header: dict[str, Any], body: bytes = b"") -> None:
    try:
        send_frame(sock, header, body)
    except OSError:
        os._exit(0)


def _make_private_root(files: list[tuple[str, bytes]], base: str, binds: dict[str, list[str]],
                       limits: dict[str, Any], sandbox_uid: int) -> None:
    lx.mount(None, "/", None, lx.MS_REC | lx.MS_PRIVATE)
    lx.mount("tmpfs", base, "tmpfs", lx.MS_NOSUID | lx.MS_NODEV, "size=1m,mode=755")
    for d in ("proc", "dev", "tmp", ".old"):
        os.makedirs(os.path.join(base, d), exist_ok=True)
    # /tmp first: a Python installed under /tmp (a CI checkout's virtualenv) is bound on top of it, not hidden.
    lx.mount("tmpfs", base + "/tmp", "tmpfs", lx.MS_NOSUID | lx.MS_NODEV,
             f"size={int(limits['disk_mb'])}m,mode=1777")
    for link in binds["links"]:
        os.symlink(os.readlink(link), base + link)
    ro = lx.MS_BIND | lx.MS_REMOUNT | lx.MS_RDONLY | lx.MS_NOSUID | lx.MS_NODEV
    for path in binds["dirs"]:
        target = base + path
        os.makedirs(target, exist_ok=True)
        lx.mount(path, target, None, lx.MS_BIND | lx.MS_REC)
        lx.mount(None, target, None, ro)
    lx.mount("proc", base + "/proc", "proc", lx.MS_NOSUID | lx.MS_NODEV | lx.MS_NOEXEC)
    for dev in ("null", "zero", "full", "random", "urandom"):
        node = f"{base}/dev/{dev}"
        open(node, "w").close()
        lx.mount(f"/dev/{dev}", node, None, lx.MS_BIND)
    _write_files(base + WORKDIR_NS, files, _real_root() and sandbox_uid)
    os.chdir(base)
    lx.pivot_root(".", ".old")
    lx.umount2("/.old", lx.MNT_DETACH)
    os.rmdir("/.old")
    lx.mount(None, "/", None, lx.MS_BIND | lx.MS_REMOUNT | lx.MS_RDONLY | lx.MS_NOSUID | lx.MS_NODEV)


def _write_files(workdir: str, files: list[tuple[str, bytes]], owner: int | bool) -> None:
    os.makedirs(workdir, exist_ok=True)
    for name, data in files:
        path = os.path.join(workdir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    if owner:
        for dirpath, _dirnames, filenames in os.walk(workdir):
            os.chown(dirpath, int(owner), int(owner))
            for n in filenames:
                os.chown(os.path.join(dirpath, n), int(owner), int(owner))


def _setuid(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to non-root: the kernel clears every capability


def _drop_privileges_ns(sandbox_uid: int) -> None:
    if _real_root():
        _setuid(sandbox_uid)  # which also makes the process non-dumpable: its memory is nobody else's to read
    else:
        # Root of a user namespace still owns the mounts; a nested namespace makes it a plain user, so
        # the mounts that hide the host are locked and cannot be undone.
        lx.unshare(lx.CLONE_NEWUSER)
        lx.write_id_maps(f"{SANDBOX_UID} 0 1", f"{SANDBOX_UID} 0 1")
        lx.drop_capabilities()
    lx.prctl(lx.PR_SET_NO_NEW_PRIVS, 1)


def _mapped_to_host_root() -> bool:
    """True when this process is real root (no user namespace), as when the grader runs as root."""
    try:
        with open("/proc/self/uid_map") as f:
            first = f.read().split()
        return first[:3] == ["0", "0", "4294967295"]
    except OSError:
        return False


def _set_limits(limits: dict[str, Any], *, shared_uid: bool) -> None:
    mb = 1024 * 1024
    vm = _vm_size()
    resource.setrlimit(resource.RLIMIT_AS, (vm + int(limits["memory_mb"]) * mb,) * 2)
    nproc = int(limits["max_processes"])
    if shared_uid:
        # Without namespaces the submission shares the grader's uid, whose processes all count: allow as
        # many new ones as the limit says on top of what the user runs now.
        nproc += _processes_of(os.getuid())
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(limits["disk_mb"]) * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _processes_of(uid: int) -> int:
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def _vm_size() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _scrub_environment() -> None:
    os.environ.clear()
    os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
                       "TMPDIR": "/tmp"})
    sys.dont_write_bytecode = True


# --------------------------------------------------------------------------- loading the student's app


def _where(exc: BaseException, workdir: str) -> str:
    """`app.py line 7` for the innermost frame of the submission."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{_rel(exc.filename, workdir)} line {exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(workdir + "/")]
    if frames:
        return f"{_rel(frames[-1].filename, workdir)} line {frames[-1].lineno}"
    return ""


def _rel(path: str, workdir: str) -> str:
    return path[len(workdir) + 1 :] if path.startswith(workdir + "/") else os.path.basename(path)


def student_traceback(exc: BaseException, workdir: str) -> str:
    """The traceback lines that are the student's own code, plus the exception line."""
    lines: list[str] = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(workdir + "/"):
            lines.append(f'  File "{_rel(frame.filename, workdir)}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
    if isinstance(exc, SyntaxError) and exc.text:
        lines.append(f'  File "{_rel(exc.filename or "", workdir)}", line {exc.lineno}')
        lines.append(f"    {exc.text.rstrip()}")
        if exc.offset:
            lines.append("    " + " " * (len(exc.text.rstrip()) - len(exc.text.strip()) + exc.offset - 1) + "^")
    lines.append(_exc_line(exc))
    return "\n".join(lines)


def _exc_line(exc: BaseException) -> str:
    msg = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    return f"{type(exc).__name__}: {msg}"[:2000] if msg else type(exc).__name__


def _load(spec: dict[str, Any], workdir: str) -> tuple[Any, dict[str, Any] | None]:
    import importlib.util

    entry = spec["entry"]
    path = os.path.join(workdir, entry)
    if not os.path.isfile(path):
        present = sorted(n for n, _ in spec_files(workdir))[:10]
        return None, {"kind": "missing_entry",
                      "message": f"the submission has no {entry} (it has: {', '.join(present) or 'no files'})"}
    sys.path.insert(0, workdir)
    modname = entry[:-3]
    try:
        mspec = importlib.util.spec_from_file_location(modname, path)
        assert mspec is not None and mspec.loader is not None
        module = importlib.util.module_from_spec(mspec)
        sys.modules[modname] = module
        mspec.loader.exec_module(module)
    except SystemExit as exc:
        return None, {"kind": "exit", "message": f"{entry} called sys.exit({exc.code!r}) while loading",
                      "traceback": student_traceback(exc, workdir)}
    except BaseException as exc:
        where = _where(exc, workdir)
        kind = {"SyntaxError": "syntax", "IndentationError": "syntax", "TabError": "syntax"}.get(
            type(exc).__name__, "import" if isinstance(exc, ImportError) else "exception")
        head = f"{type(exc).__name__} at {where}" if where else f"{type(exc).__name__} while loading {entry}"
        detail = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        return None, {"kind": kind, "message": (f"{head}: {detail}" if detail else head)[:2000],
                      "traceback": student_traceback(exc, workdir)}
    return _find_app(module, spec.get("app"), entry, workdir)


def _warm_up(app: Any) -> None:
    """Do Flask's lazy first-request work once, before forking, so no check pays it (~10 ms each).

    Only Flask's and Werkzeug's own code runs here: no view, hook or context of the student's.
    """
    from werkzeug.exceptions import HTTPException
    from werkzeug.test import EnvironBuilder

    try:
        environ = EnvironBuilder("/__grader_warm_up__", json={"a": 1}).get_environ()
        request = app.request_class(environ)
        adapter = app.create_url_adapter(request)
        if adapter is not None:
            try:
                adapter.match()
            except HTTPException:
                pass
        request.get_json(silent=True)
        request.args.get("x")
        request.headers.get("User-Agent")
        _ = request.cookies, request.form
        app.response_class("x")
        app.json.response({"a": 1})
    except Exception:
        pass  # warming is an optimisation; the checks will show any real problem


def spec_files(workdir: str) -> list[tuple[str, int]]:
    out = []
    for dirpath, _dirs, names in os.walk(workdir):
        for n in names:
            full = os.path.join(dirpath, n)
            out.append((os.path.relpath(full, workdir), os.path.getsize(full)))
    return out


def _find_app(module: Any, name: str | None, entry: str, workdir: str) -> tuple[Any, dict[str, Any] | None]:
    """Find the app as ``flask --app`` does: a named attribute, ``app``/``application``, the only Flask
    instance, or a ``create_app()``/``make_app()`` factory."""
    from flask import Flask

    def call_factory(attr: str) -> tuple[Any, dict[str, Any] | None]:
        factory = getattr(module, attr)
        try:
            app = factory()
        except TypeError as exc:
            if not _raised_here(exc):
                return _factory_error(attr, exc)
            return None, {"kind": "no_app",
                          "message": f"{entry}: {attr}() needs arguments; the grader calls it with none"}
        except BaseException as exc:
            return _factory_error(attr, exc)
        if not isinstance(app, Flask):
            return None, {"kind": "no_app",
                          "message": f"{entry}: {attr}() returned {type(app).__name__}, not a Flask app"}
        return app, None

    def _factory_error(attr: str, exc: BaseException) -> tuple[Any, dict[str, Any] | None]:
        where = _where(exc, workdir)
        return None, {"kind": "factory", "message": f"{attr}() raised {type(exc).__name__}"
                      f"{' at ' + where if where else ''}: {exc}"[:2000],
                      "traceback": student_traceback(exc, workdir)}

    if name:
        attr = name[:-2] if name.endswith("()") else name
        if not hasattr(module, attr):
            return None, {"kind": "no_app", "message": f"{entry} defines no `{attr}`"}
        if name.endswith("()"):
            return call_factory(attr)
        obj = getattr(module, attr)
        if isinstance(obj, Flask):
            return obj, None
        return None, {"kind": "no_app", "message": f"{entry}: `{attr}` is a {type(obj).__name__}, not a Flask app"}
    for attr in ("app", "application"):
        if isinstance(getattr(module, attr, None), Flask):
            return getattr(module, attr), None
    apps = [(k, v) for k, v in vars(module).items() if isinstance(v, Flask)]
    if len(apps) == 1:
        return apps[0][1], None
    if len(apps) > 1:
        names = ", ".join(k for k, _ in apps)
        return None, {"kind": "no_app", "message": f"{entry} defines several Flask apps ({names}); "
                      "name the one to grade `app`"}
    for attr in ("create_app", "make_app"):
        if callable(getattr(module, attr, None)):
            return call_factory(attr)
    return None, {"kind": "no_app", "message": f"no Flask app found in {entry}: define `app = Flask(__name__)` "
                  "or a `create_app()` factory that returns one"}


def _raised_here(exc: BaseException) -> bool:
    """A TypeError from calling the factory itself (wrong arguments), not from inside it."""
    tb = exc.__traceback__
    return tb is not None and tb.tb_next is None


# --------------------------------------------------------------------------- serving checks


def _serve_control(ctrl: socket.socket, app: Any, spec: dict[str, Any], workdir: str) -> NoReturn:
    from flask import got_request_exception

    caught: dict[str, BaseException | None] = {"exc": None}

    def on_exception(sender: Any, exception: BaseException, **extra: Any) -> None:
        caught["exc"] = exception

    got_request_exception.connect(on_exception, app, weak=False)
    gc.freeze()  # checks' forks then never walk (and copy) the loaded app's objects when they collect
    if spec.get("pipelined"):
        _serve_pipelined(ctrl, app, spec, workdir, caught)
    _serve_sequential(ctrl, app, spec, workdir, caught)


def _next_check(reader: FrameReader, deadline: float | None) -> tuple[dict[str, Any], list[int]] | None:
    """The next "check" frame and its two descriptors (the check's socket and output pipe); None for anything
    else. The trusted side closing the control socket ends the sandbox."""
    try:
        header, _ = reader.read(deadline=deadline)
    except (WireClosed, WireError, OSError):
        os._exit(0)
    fds = reader.take_fds()
    if header.get("op") != "check" or len(fds) != 2:
        for fd in fds:
            os.close(fd)
        return None
    return header, fds


def _serve_sequential(ctrl: socket.socket, app: Any, spec: dict[str, Any], workdir: str,
                      caught: dict[str, BaseException | None]) -> NoReturn:
    """One check at a time: fork it, wait for it, kill whatever it left, acknowledge."""
    namespaced = spec["mode"] == "namespaces"
    # As pid 1 of a namespace, this process kills whatever a check leaves behind: there, a check may start
    # processes. Elsewhere it may not, nor signal anything but itself.
    seccomp = lx.SeccompFilter(check=True) if spec["layers"].get("seccomp") and not namespaced else None
    reader = FrameReader(ctrl, max_body=1024)
    while True:
        check = _next_check(reader, deadline=None)
        if check is None:
            continue
        header, (sock_fd, out_fd) = check
        pid = _fork_retrying()
        if pid == 0:
            ctrl.close()
            _serve_check(app, sock_fd, out_fd, spec, workdir, caught, namespaced=namespaced, seccomp=seccomp)
        os.close(sock_fd)
        os.close(out_fd)
        status = _wait(pid)
        _kill_leftovers(pid, namespaced)
        _send(ctrl, {"op": "done", "id": header.get("id"), "exit": status})


def _serve_pipelined(ctrl: socket.socket, app: Any, spec: dict[str, Any], workdir: str,
                     caught: dict[str, BaseException | None]) -> NoReturn:
    """Checks forked ahead of time: while one check runs, the process for the next is already waiting.

    A check's process may start no process of its own and may signal only itself (seccomp), so when it
    exits nothing it did is left running, no clean-up has to happen between two checks, and the trusted
    side never waits for a check's process to exit. Only used with namespaces and seccomp both on.
    """
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    keep = (ctrl, wake_r, wake_w)
    seccomp = lx.SeccompFilter(check=True)  # assembled once; each check's process fills in its pid
    ahead = _fork_ahead(app, spec, workdir, caught, keep, seccomp)
    running: dict[int, Any] = {}
    reader = FrameReader(ctrl, max_body=1024)
    while True:
        ready, _, _ = select.select([ctrl.fileno(), wake_r], [], [])
        if wake_r in ready:
            with contextlib.suppress(OSError):
                os.read(wake_r, 4096)
            _report_finished(ctrl, running)
        if ctrl.fileno() not in ready:
            continue
        check = _next_check(reader, deadline=time.monotonic() + 5)
        if check is None:
            continue
        header, fds = check
        pid, hand = ahead
        try:
            send_frame(hand, {"op": "go"}, fds=fds)
        except OSError:
            pass  # it died (a resource limit): the trusted side sees the check's socket close
        hand.close()
        for fd in fds:
            os.close(fd)
        running[pid] = header.get("id")
        ahead = _fork_ahead(app, spec, workdir, caught, keep, seccomp)
        _report_finished(ctrl, running)


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
            _send(ctrl, {"op": "done", "id": running.pop(pid), "exit": _exit_info(st)})


def _fork_ahead(app: Any, spec: dict[str, Any], workdir: str, caught: dict[str, BaseException | None],
                keep: tuple[Any, ...], seccomp: lx.SeccompFilter) -> tuple[int, socket.socket]:
    """The process that will serve the next check, waiting for its descriptors."""
    mine, theirs = socket.socketpair()
    pid = _fork_retrying()
    if pid:
        theirs.close()
        return pid, mine
    try:
        lx.set_name("frg-check")
        # Nobody else's to read or write through /proc while it waits, not even the check running now.
        lx.prctl(lx.PR_SET_DUMPABLE, 0)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        mine.close()
        for item in keep:
            with contextlib.suppress(OSError):
                item.close() if isinstance(item, socket.socket) else os.close(item)
        reader = FrameReader(theirs, max_body=1024)
        try:
            reader.read()
        except (WireError, OSError):
            os._exit(0)
        fds = reader.take_fds()
        theirs.close()
        if len(fds) != 2:
            os._exit(0)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.write(2, f"grader: could not start a check's process: {exc!r}\n".encode())
        os._exit(70)
    _serve_check(app, fds[0], fds[1], spec, workdir, caught, namespaced=True, seccomp=seccomp)


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


def _kill_leftovers(pid: int, namespaced: bool) -> None:
    """Nothing a check started may outlive it: daemons, background children, double forks."""
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


def _serve_check(app: Any, sock_fd: int, out_fd: int, spec: dict[str, Any], workdir: str,
                 caught: dict[str, BaseException | None], *, namespaced: bool,
                 seccomp: lx.SeccompFilter | None) -> NoReturn:
    try:
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(out_fd)
        if not namespaced:
            os.setpgid(0, 0)
        cpu = int(spec["limits"]["check_timeout_s"]) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        if seccomp is not None:
            seccomp.install()
        sock = socket.socket(fileno=sock_fd)
        reader = FrameReader(sock, max_body=int(spec["max_request_bytes"]))
        max_body = int(spec["max_response_bytes"])
        while True:
            try:
                header, body = reader.read()
            except WireClosed:
                break
            if header.get("op") != "request":
                break
            reply, payload = _handle(app, header.get("environ", {}), body, max_body, workdir, caught)
            sys.stdout.flush()
            sys.stderr.flush()
            send_frame(sock, reply, payload)
    except BaseException:
        pass
    os._exit(0)


def _handle(app: Any, env: dict[str, Any], body: bytes, max_body: int, workdir: str,
            caught: dict[str, BaseException | None]) -> tuple[dict[str, Any], bytes]:
    environ: dict[str, Any] = {k: v for k, v in env.items() if isinstance(k, str) and isinstance(v, str)}
    environ.update({
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "wsgi.url_scheme": env.get("wsgi.url_scheme", "http"), "wsgi.input_terminated": True,
    })
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started["status"], started["headers"] = status, headers
        return lambda data: chunks.append(data)

    chunks: list[bytes] = []
    caught["exc"] = None
    try:
        result = app(environ, start_response)
        try:
            size = sum(len(c) for c in chunks)
            for chunk in result:
                chunks.append(chunk)
                size += len(chunk)
                if size > max_body:
                    return {"op": "error", "kind": "too_large",
                            "message": f"the response body is larger than {max_body // 1024} KB"}, b""
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except SystemExit as exc:
        return {"op": "error", "kind": "exit", "message": f"the route called sys.exit({exc.code!r})",
                "traceback": student_traceback(exc, workdir)}, b""
    except BaseException as exc:
        caught["exc"] = caught["exc"] or exc
        started.setdefault("status", "500 INTERNAL SERVER ERROR")
        started.setdefault("headers", [("Content-Type", "text/plain")])
    reply: dict[str, Any] = {
        "op": "response", "status": str(started.get("status", "")),
        "headers": [[str(k), str(v)] for k, v in started.get("headers", [])],
    }
    raised = caught["exc"]
    if raised is not None:
        reply["exception"] = {"type": type(raised).__name__, "message": _exc_line(raised),
                              "where": _where(raised, workdir), "traceback": student_traceback(raised, workdir)}
    return reply, b"".join(chunks)


if __name__ == "__main__":
    main()
