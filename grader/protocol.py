"""The protocol between the trusted grader and its sandboxes: every message, who may send it, and its bounds.

The rule it is built on: **no byte, descriptor or timing that comes from a process that has run student code
is trusted.** The zygote and each sandbox's keeper never run student code; pid 1 of a sandbox runs it from
the moment it imports the student's module (threads, signal handlers, audit hooks, finalizers), and so does
every check's process. So:

- descriptors only flow into the sandbox (the trusted side reads with no ancillary buffer);
- every read from a sandbox has a byte cap, a count cap and a deadline (below), and a violation of any of
  them ends that sandbox and is that submission's own ``error``;
- the only sandbox-side report that can make a *grader fault* is the setup pipe, which pid 1 writes and
  closes before it loads any student code; everything after that is the submission's.

======================  =========  ======================================  ==================================
channel                 direction  messages (sender)                       bounds on the trusted side
======================  =========  ======================================  ==================================
zygote socket (stream)  to zygote  ``spawn`` + files + 3 fds (grader)      (trusted peer)
                        from       ``hello``, ``spawned`` (zygote)          1 MB a frame, 60 s / 30 s
setup pipe              from       one JSON setup result (pid 1, before    4 KB, the load deadline
                                   any student code; then closed)
control (seqpacket)     to         ``check`` {id} + 2 fds (grader)          send deadline 5 s
                        from       ``ready`` | ``load_error`` (pid 1)       1 frame, 64 KB, load deadline
                        from       ``done`` {id, exit} (pid 1)              1 per check started, 1 KB each,
                                                                           ids in order, 5 s
check socket (stream)   to         ``request`` {environ} + body (grader)    send by the request deadline
                        from       ``response`` | ``error`` (check)         1 per request, header 2 MB, body
                                                                           8 MB, the request deadline
output pipes            from       raw bytes (pid 1, checks)               ``output_kb`` kept, the rest
                                                                           counted; drained with a budget
======================  =========  ======================================  ==================================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Frame caps, in bytes, on what the trusted side reads.
HELLO_MAX = 1024 * 1024
SETUP_MAX = 4096
LOAD_REPLY_MAX = 64 * 1024
DONE_MAX = 1024
RESPONSE_HEADER_MAX = 2 * 1024 * 1024

# What a response may hold (documented in the README). The sandbox measures its own response against these
# and says which limit it passed; the trusted side checks them again, since nothing the sandbox says is
# believed.
MAX_REQUEST_BYTES = 16 * 1024 * 1024
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
MAX_RESPONSE_HEADERS = 500
MAX_HEADER_NAME = 1024
MAX_HEADER_VALUE = 256 * 1024
MAX_HEADERS_TOTAL = 1024 * 1024

# Deadlines the trusted side applies where the exercise's limits say nothing.
SPAWN_DEADLINE_S = 30.0
CONTROL_SEND_DEADLINE_S = 5.0
DONE_DEADLINE_S = 5.0

# What a submission's files may be after loading, for each check to start from a copy of them.
MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024
MAX_SNAPSHOT_ENTRIES = 2000


@dataclass(frozen=True)
class SpawnRequest:
    """What the zygote needs to build one sandbox: typed here, JSON on the wire (never pickle)."""

    mode: str  # "namespaces" or "process"
    layers: dict[str, bool]
    entry: str
    app: str | None
    pipelined: bool
    limits: dict[str, Any]
    files: list[tuple[str, int]]  # (name, size) in the order the body holds them
    max_request_bytes: int = MAX_REQUEST_BYTES
    max_response_bytes: int = MAX_RESPONSE_BYTES

    def to_header(self) -> dict[str, Any]:
        return {"op": "spawn", **asdict(self), "files": [list(f) for f in self.files]}

    @classmethod
    def from_header(cls, header: dict[str, Any]) -> SpawnRequest:
        fields = {k: header[k] for k in cls.__dataclass_fields__}
        fields["files"] = [(str(n), int(s)) for n, s in header["files"]]
        return cls(**fields)


@dataclass(frozen=True)
class SetupResult:
    """What pid 1 says on the setup pipe, before any student code runs: the only sandbox-side words that
    can decide a grader fault. ``fault`` is "grader" for the grader's own setup (mounts, namespaces, limits)
    and "submission" for what the submission's files caused (a name the file system refuses, too much data)."""

    ok: bool
    fault: str = ""
    message: str = ""


def size_text(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MB"


def over_limits(headers: list[list[str]]) -> str:
    """The first documented header limit a response passes, said for a student; "" when it keeps them all.
    The sandbox measures its own response with it, and the trusted side measures again."""
    if len(headers) > MAX_RESPONSE_HEADERS:
        return f"the response has {len(headers)} headers; the limit is {MAX_RESPONSE_HEADERS}"
    total = 0
    for name, value in headers:
        if len(name) > MAX_HEADER_NAME:
            return f"a response header name is {size_text(len(name))}; the limit is {size_text(MAX_HEADER_NAME)}"
        if len(value) > MAX_HEADER_VALUE:
            return (f"the response's {name[:60]} header is {size_text(len(value))}; the limit is "
                    f"{size_text(MAX_HEADER_VALUE)}")
        total += len(name) + len(value)
    if total > MAX_HEADERS_TOTAL:
        return f"the response's headers are {size_text(total)}; the limit is {size_text(MAX_HEADERS_TOTAL)}"
    return ""
