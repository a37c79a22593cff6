"""Thin ctypes wrappers for the Linux calls Python 3.10/3.11 lacks (unshare, mount, pivot_root, capset).

Imported by the zygote before any sandbox is built; nothing here runs in the trusted grading process.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import struct
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24

_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41, "riscv64": 41}

@functools.lru_cache(maxsize=1)
def libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(libc().unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return s.encode() if s is not None else None

    _check(libc().mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def umount2(target: str, flags: int) -> None:
    _check(libc().umount2(target.encode(), flags), f"umount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(38, f"pivot_root: unknown syscall number on {platform.machine()}")
    _check(libc().syscall(number, new_root.encode(), put_old.encode()), "pivot_root")


def prctl(option: int, arg: int) -> None:
    _check(libc().prctl(option, arg, 0, 0, 0), f"prctl {option}")


def set_name(name: str) -> None:
    """The process name `ps` and `top` show (at most 15 bytes); best effort."""
    libc().prctl(15, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)  # PR_SET_NAME


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Empty the bounding set and every capability set of this process."""
    for cap in range(64):
        if libc().prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    _check(libc().capset(ctypes.byref(header), data), "capset")


def write_id_maps(uid_line: str, gid_line: str, pid: str = "self") -> None:
    with open(f"/proc/{pid}/setgroups", "w") as f:
        f.write("deny")
    with open(f"/proc/{pid}/uid_map", "w") as f:
        f.write(uid_line)
    with open(f"/proc/{pid}/gid_map", "w") as f:
        f.write(gid_line)


# --------------------------------------------------------------------------- seccomp (classic BPF, by hand)

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# Syscalls no Flask route needs and that an attacker would: debugging other processes, changing mounts or
# namespaces, kernel keyrings and modules, io_uring (which bypasses seccomp for its operations), bpf.
_DENY = {
    "x86_64": {"ptrace": 101, "mount": 165, "umount2": 166, "pivot_root": 155, "unshare": 272, "setns": 308,
               "chroot": 161, "kexec_load": 246, "kexec_file_load": 320, "init_module": 175,
               "finit_module": 313, "delete_module": 176, "bpf": 321, "perf_event_open": 298, "keyctl": 250,
               "add_key": 248, "request_key": 249, "userfaultfd": 323, "process_vm_readv": 310,
               "process_vm_writev": 311, "reboot": 169, "swapon": 167, "swapoff": 168, "acct": 163,
               "open_by_handle_at": 304, "name_to_handle_at": 303, "io_uring_setup": 425, "io_uring_enter": 426,
               "io_uring_register": 427, "fanotify_init": 300, "move_mount": 429, "fsopen": 430,
               "fsmount": 432, "open_tree": 428,
               # Memory no rlimit counts (RLIMIT_AS sees only what is mapped), which could outlive the sandbox.
               "memfd_create": 319, "memfd_secret": 447, "shmget": 29, "shmat": 30, "shmctl": 31, "msgget": 68,
               "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "semget": 64, "mq_open": 240},
    "aarch64": {"ptrace": 117, "mount": 40, "umount2": 39, "pivot_root": 41, "unshare": 97, "setns": 268,
                "chroot": 51, "kexec_load": 104, "kexec_file_load": 294, "init_module": 105,
                "finit_module": 273, "delete_module": 106, "bpf": 280, "perf_event_open": 241, "keyctl": 219,
                "add_key": 217, "request_key": 218, "userfaultfd": 282, "process_vm_readv": 270,
                "process_vm_writev": 271, "reboot": 142, "swapon": 224, "swapoff": 225, "acct": 89,
                "open_by_handle_at": 265, "name_to_handle_at": 264, "io_uring_setup": 425,
                "io_uring_enter": 426, "io_uring_register": 427, "fanotify_init": 262, "move_mount": 429,
                "fsopen": 430, "fsmount": 432, "open_tree": 428,
                "memfd_create": 279, "memfd_secret": 447, "shmget": 194, "shmat": 196, "shmctl": 195,
                "msgget": 186, "msgsnd": 189, "msgrcv": 188, "msgctl": 187, "semget": 190, "mq_open": 180},
}
# Calls allowed only with some arguments: fcntl may not grow a pipe (F_SETPIPE_SZ: pipes would pin up to 1 MB
# each), and prctl may not change the parent-death signal except to SIGKILL (it ties the sandbox's life to the
# grader's; the grader sets it before this filter, and a check's process sets it to SIGKILL).
_FCNTL = {"x86_64": 72, "aarch64": 25}
_PRCTL = {"x86_64": 157, "aarch64": 167}
_F_SETPIPE_SZ, _PR_SET_PDEATHSIG, _SIGKILL = 1031, 1, 9
_NR = {"x86_64": {"socket": 41, "socketpair": 53, "clone": 56, "clone3": 435, "fork": 57, "vfork": 58},
       "aarch64": {"socket": 198, "socketpair": 199, "clone": 220, "clone3": 435}}
# What a check's process may aim only at itself: signals (arg 0 is the pid or thread group), and resource limits
# (prlimit64's arg 0 is a pid, 0 meaning itself). Aimed anywhere else they could stop or starve the process
# that is waiting to serve the next check, which shares this pid namespace and uid.
_SELF_ONLY = {"x86_64": {"kill": 62, "tkill": 200, "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297},
              "aarch64": {"kill": 129, "tkill": 130, "tgkill": 131, "rt_sigqueueinfo": 138,
                          "rt_tgsigqueueinfo": 240}}
_PRLIMIT = {"x86_64": 302, "aarch64": 261}
# ...and what it may not use at all: signals and handles by pidfd, other processes' scheduling.
_CHECK_DENY = {"x86_64": {"pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438, "setpriority": 141,
                          "sched_setaffinity": 203, "sched_setscheduler": 144, "sched_setparam": 142,
                          "sched_setattr": 314, "ioprio_set": 251, "process_madvise": 440},
               "aarch64": {"pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438, "setpriority": 140,
                           "sched_setaffinity": 122, "sched_setscheduler": 119, "sched_setparam": 118,
                           "sched_setattr": 274, "ioprio_set": 30, "process_madvise": 440}}
_CLONE_THREAD = 0x00010000
_AF_UNIX = 1
_EPERM, _ENOSYS, _EAFNOSUPPORT = 1, 38, 97
_RET_ALLOW, _RET_KILL = 0x7FFF0000, 0x80000000
_LD_W_ABS, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def seccomp_supported() -> bool:
    return platform.machine() in _AUDIT_ARCH and os.path.exists("/proc/self/status") and _has_seccomp_field()


def _has_seccomp_field() -> bool:
    try:
        with open("/proc/self/status") as f:
            return any(line.startswith("Seccomp:") for line in f)
    except OSError:
        return False


_SELF = -1  # in a program, stands for the pid of the process installing it


def seccomp_program(arch: str, *, check: bool = False) -> list[tuple[int, int, int, int]]:
    """A filter: deny the listed syscalls and sockets other than AF_UNIX. With ``check``, the filter of a
    check's process: also no new processes (threads are fine), and signals and limits for itself only (an
    instruction whose k is ``_SELF`` compares with its own pid, filled in by :class:`SeccompFilter`)."""
    errno = lambda e: 0x00050000 | e  # noqa: E731 - SECCOMP_RET_ERRNO | e, a tiny constructor
    deny = dict(_DENY[arch], **(_CHECK_DENY[arch] if check else {}))
    nr = _NR[arch]
    prog: list[tuple[int, int, int, int]] = [
        (_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (_JEQ_K, 1, 0, _AUDIT_ARCH[arch]),
        (_RET_K, 0, 0, _RET_KILL),  # a foreign ABI (e.g. 32-bit syscalls on x86_64): no way around the filter
        (_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
    ]
    if arch == "x86_64":
        prog += [(_JGE_K, 0, 1, 0x40000000), (_RET_K, 0, 0, errno(_EPERM))]  # x32 numbers
    for number in sorted(deny.values()):
        prog += [(_JEQ_K, 0, 1, number), (_RET_K, 0, 0, errno(_EPERM))]
    # socket(domain, ...): only AF_UNIX. socketpair is AF_UNIX by definition.
    prog += [(_JEQ_K, 0, 4, nr["socket"]), (_LD_W_ABS, 0, 0, 16), (_JEQ_K, 0, 1, _AF_UNIX),
             (_RET_K, 0, 0, _RET_ALLOW), (_RET_K, 0, 0, errno(_EAFNOSUPPORT))]
    # fcntl(fd, cmd): arg 1 is at offset 24. prctl(option, arg2): option at 16, arg2 at 24.
    prog += [(_JEQ_K, 0, 4, _FCNTL[arch]), (_LD_W_ABS, 0, 0, 24), (_JEQ_K, 0, 1, _F_SETPIPE_SZ),
             (_RET_K, 0, 0, errno(_EPERM)), (_RET_K, 0, 0, _RET_ALLOW)]
    prog += [(_JEQ_K, 0, 6, _PRCTL[arch]), (_LD_W_ABS, 0, 0, 16), (_JEQ_K, 0, 3, _PR_SET_PDEATHSIG),
             (_LD_W_ABS, 0, 0, 24), (_JEQ_K, 1, 0, _SIGKILL), (_RET_K, 0, 0, errno(_EPERM)),
             (_RET_K, 0, 0, _RET_ALLOW)]
    if check:
        # clone3 passes its flags in memory the filter cannot read: refuse it so libc falls back to clone.
        prog += [(_JEQ_K, 0, 1, nr["clone3"]), (_RET_K, 0, 0, errno(_ENOSYS))]
        prog += [(_JEQ_K, 0, 4, nr["clone"]), (_LD_W_ABS, 0, 0, 16), (_JSET_K, 0, 1, _CLONE_THREAD),
                 (_RET_K, 0, 0, _RET_ALLOW), (_RET_K, 0, 0, errno(_EPERM))]
        for name in ("fork", "vfork"):
            if name in nr:
                prog += [(_JEQ_K, 0, 1, nr[name]), (_RET_K, 0, 0, errno(_EPERM))]
        # The low 32 bits of arg 0 are the pid the kernel acts on (pid_t is 32 bits wide).
        for number in sorted(_SELF_ONLY[arch].values()):
            prog += [(_JEQ_K, 0, 4, number), (_LD_W_ABS, 0, 0, 16), (_JEQ_K, 0, 1, _SELF),
                     (_RET_K, 0, 0, _RET_ALLOW), (_RET_K, 0, 0, errno(_EPERM))]
        prog += [(_JEQ_K, 0, 5, _PRLIMIT[arch]), (_LD_W_ABS, 0, 0, 16), (_JEQ_K, 2, 0, 0),
                 (_JEQ_K, 1, 0, _SELF), (_RET_K, 0, 0, errno(_EPERM)), (_RET_K, 0, 0, _RET_ALLOW)]
    prog.append((_RET_K, 0, 0, _RET_ALLOW))
    return prog


class SeccompFilter:
    """A filter assembled once (in pid 1 of the sandbox), installed cheaply by each check's process."""

    def __init__(self, *, check: bool = False) -> None:
        arch = platform.machine()
        if arch not in _AUDIT_ARCH:
            raise OSError(95, f"seccomp: no filter for {arch}")
        prog = seccomp_program(arch, check=check)
        self._raw = b"".join(struct.pack("=HBBI", c, jt, jf, 0 if k == _SELF else k) for c, jt, jf, k in prog)
        self._self_at = [i for i, ins in enumerate(prog) if ins[3] == _SELF]

    def install(self) -> None:
        raw = bytearray(self._raw)
        for i in self._self_at:
            struct.pack_into("=I", raw, i * 8 + 4, os.getpid())
        buf = (ctypes.c_char * len(raw)).from_buffer(raw)
        fprog = _SockFprog(len(raw) // 8, ctypes.cast(buf, ctypes.POINTER(_SockFilter)))
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        _check(libc().prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "seccomp")


# --------------------------------------------------------------------------- Landlock

_LL_CREATE, _LL_ADD_RULE, _LL_RESTRICT = 444, 445, 446
_LL_VERSION = 1
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_ALL_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1, 2


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers, 0 when none."""
    if not sys.platform.startswith("linux"):
        return 0
    version = libc().syscall(_LL_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(_LL_VERSION))
    return max(0, int(version))


def install_landlock(read_only: list[str], read_write: list[str]) -> int:
    """Confine this process: read (and execute) ``read_only``, everything in ``read_write``, nothing else;
    no TCP (ABI >= 4), no signals or abstract sockets outside the sandbox (ABI >= 6). Returns the ABI used."""
    abi = landlock_abi()
    if abi < 1:
        raise OSError(95, "Landlock is not available")
    fs_all = _FS_ALL_BY_ABI.get(abi, _FS_ALL_BY_ABI[5])
    attr = _RulesetAttr(fs_all, _NET_BIND_TCP | _NET_CONNECT_TCP if abi >= 4 else 0,
                        _SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    fd = libc().syscall(_LL_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        for paths, access in ((read_only, _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR), (read_write, fs_all)):
            for path in paths:
                try:
                    pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue
                try:
                    rule_access = access if os.path.isdir(path) else access & (_FS_EXECUTE | _FS_READ_FILE |
                                                                               _FS_WRITE_FILE | (1 << 14))
                    rule = _PathBeneath(rule_access, pfd)
                    _check(libc().syscall(_LL_ADD_RULE, fd, 1, ctypes.byref(rule), ctypes.c_uint32(0)),
                           f"landlock_add_rule {path}")
                finally:
                    os.close(pfd)
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        _check(libc().syscall(_LL_RESTRICT, fd, ctypes.c_uint32(0)), "landlock_restrict_self")
    finally:
        os.close(fd)
    return abi
