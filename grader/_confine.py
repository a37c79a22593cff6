"""Inside the sandbox, before any student code: namespaces, a private root, no privileges, limits, filters.

Every function here runs in the keeper or in pid 1 of the sandbox *before* the student's module is imported,
so an error raised here is the grader's own (or, for :class:`FilesRefused`, caused by the submission's files)
and is reported on the setup pipe, the one channel student code never holds.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import sysconfig
import tempfile
from typing import Any

from . import _linux as lx

WORKDIR_NS = "/tmp/submission"
SANDBOX_UID = 1000  # the submission's uid inside its user namespace (non-root mode)
PR_SET_PDEATHSIG = 1


class FilesRefused(Exception):
    """The submission's own files could not be laid out (a name the file system refuses, no room left)."""


def root_dir() -> str:
    """An empty host folder to mount each sandbox's private root on (in the sandbox's own mount namespace)."""
    path = os.path.join(tempfile.gettempdir(), f".flask-route-grader-root-{os.getuid()}")
    os.makedirs(path, mode=0o755, exist_ok=True)
    return path


def bind_plan() -> dict[str, list[str]]:
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


def mapped_to_host_root() -> bool:
    """True when this process is real root (no user namespace), as when the grader runs as root."""
    try:
        with open("/proc/self/uid_map") as f:
            first = f.read().split()
        return first[:3] == ["0", "0", "4294967295"]
    except OSError:
        return False


def real_root() -> bool:
    """Root of the whole machine, not of a user namespace (where only a few uids may be mapped)."""
    return os.geteuid() == 0 and mapped_to_host_root()


def namespace_flags() -> int:
    flags = lx.CLONE_NEWNS | lx.CLONE_NEWNET | lx.CLONE_NEWPID | lx.CLONE_NEWIPC | lx.CLONE_NEWUTS
    if not real_root():
        flags |= lx.CLONE_NEWUSER
    return flags


def unshare_namespaces() -> None:
    """In the keeper: new namespaces, the next fork becoming pid 1 of the new pid namespace."""
    is_root = real_root()
    uid, gid = os.getuid(), os.getgid()
    lx.unshare(namespace_flags())
    if not is_root:
        lx.write_id_maps(f"0 {uid} 1", f"0 {gid} 1")


def die_with_parent(parent_alive_fd: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies, and make sure the parent is not already gone
    (``parent_alive_fd`` is a pipe whose only writer is the parent: at EOF, it died before we asked).

    Set after the last change of credentials (the kernel clears it on one), before the seccomp filter that
    forbids changing it again."""
    lx.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    import select

    if select.select([parent_alive_fd], [], [], 0)[0]:
        os._exit(0)


def make_private_root(files: list[tuple[str, bytes]], base: str, binds: dict[str, list[str]],
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
    write_files(base + WORKDIR_NS, files, real_root() and sandbox_uid)
    os.chdir(base)
    lx.pivot_root(".", ".old")
    lx.umount2("/.old", lx.MNT_DETACH)
    os.rmdir("/.old")
    lx.mount(None, "/", None, lx.MS_BIND | lx.MS_REMOUNT | lx.MS_RDONLY | lx.MS_NOSUID | lx.MS_NODEV)


def write_files(workdir: str, files: list[tuple[str, bytes]], owner: int | bool) -> None:
    os.makedirs(workdir, exist_ok=True)
    for name, data in files:
        path = os.path.normpath(os.path.join(workdir, name))
        if not path.startswith(workdir + "/"):
            raise FilesRefused(f"the file name {name!r} points outside the submission")
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise FilesRefused(f"{name}: {exc.strerror}") from None
    if owner:
        for dirpath, _dirnames, filenames in os.walk(workdir):
            os.chown(dirpath, int(owner), int(owner))
            for n in filenames:
                os.chown(os.path.join(dirpath, n), int(owner), int(owner))


def setuid(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to non-root: the kernel clears every capability


def drop_privileges_ns(sandbox_uid: int) -> None:
    if real_root():
        setuid(sandbox_uid)  # which also makes the process non-dumpable: its memory is nobody else's to read
    else:
        # Root of a user namespace still owns the mounts; a nested namespace makes it a plain user, so
        # the mounts that hide the host are locked and cannot be undone.
        lx.unshare(lx.CLONE_NEWUSER)
        lx.write_id_maps(f"{SANDBOX_UID} 0 1", f"{SANDBOX_UID} 0 1")
        lx.drop_capabilities()
    lx.prctl(lx.PR_SET_NO_NEW_PRIVS, 1)


def set_limits(limits: dict[str, Any], *, shared_uid: bool) -> None:
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
    # Descriptors bound what pipes and socket buffers can pin (memory files and F_SETPIPE_SZ are refused by
    # the seccomp filter): 256 descriptors hold at most 128 pipes of 64 KB.
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))


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


def scrub_environment() -> None:
    os.environ.clear()
    os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
                       "TMPDIR": "/tmp"})
    sys.dont_write_bytecode = True


def close_fds_except(keep: set[int]) -> None:
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
