"""Which protections a sandbox gets on this machine, and what each missing one leaves open.

Pure data and decisions from the zygote's probe: ``grader doctor`` prints them and every report records
them (:class:`grader.results.Isolation`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .errors import GraderError
from .results import Isolation

# Each protection, and what its absence leaves open (printed by `grader doctor`, recorded in every report).
PROTECTIONS = {
    "separate_process": "the submission would run inside the grader",
    "time_limits": "a loop or a sleep would hang grading",
    "resource_limits": "a memory hog, fork flood or disk fill could exhaust the machine",
    "scrubbed_environment": "the submission could read secrets from the grader's environment",
    "filesystem_confined": "the submission can read any file this user can read, hidden checks and other "
                           "submissions included, and write where this user can",
    "network_off": "the submission can open network connections",
    "processes_contained": "the submission can see other processes and may leave processes behind",
    "signals_contained": "the submission can signal the grader and other submissions",
    "unprivileged": "the submission runs as the grader's own user",
    "syscall_filter": "the submission can use ptrace, mount, bpf, io_uring and other kernel interfaces",
}
LAYERS = ("namespaces", "landlock", "seccomp")
DISABLE_ENV = "FLASK_ROUTE_GRADER_DISABLE"  # e.g. "namespaces,seccomp": simulate a machine without them


def choose_layers(probe: dict[str, Any], disabled: set[str]) -> dict[str, bool]:
    unknown = disabled - set(LAYERS)
    if unknown:
        raise GraderError(f"{DISABLE_ENV} names unknown layers: {', '.join(sorted(unknown))}",
                          tip=f"use any of: {', '.join(LAYERS)}")
    ns = bool(probe.get("namespaces")) and "namespaces" not in disabled
    return {
        "namespaces": ns,
        # Landlock stands in for the private root and the pid/net namespaces when those are missing.
        "landlock": not ns and int(probe.get("landlock", 0)) >= 1 and "landlock" not in disabled,
        "seccomp": bool(probe.get("seccomp")) and "seccomp" not in disabled,
    }


def describe_isolation(layers: dict[str, bool], probe: dict[str, Any], exercise_roots: list[Path],
                       binds: list[str]) -> Isolation:
    ns, ll, sc = layers["namespaces"], layers["landlock"], layers["seccomp"]
    abi = int(probe.get("landlock", 0))
    linux = sys.platform.startswith("linux")
    on = {
        "separate_process": True,
        "time_limits": True,
        "resource_limits": linux,
        "scrubbed_environment": True,
        "filesystem_confined": ns or ll,
        "network_off": ns or sc,
        "processes_contained": ns,
        "signals_contained": ns or (ll and abi >= 6),
        "unprivileged": ns or bool(probe.get("root")),
        "syscall_filter": sc,
    }
    warnings = [f"no {name.replace('_', ' ')}: {PROTECTIONS[name]}" for name, ok in on.items() if not ok]
    if not ns and probe.get("reason"):
        warnings.insert(0, f"namespaces unavailable ({probe['reason']})")
    for root in exercise_roots:
        for b in binds:
            if (ns or ll) and str(root).startswith(b.rstrip("/") + "/"):
                on["filesystem_confined"] = False
                warnings.append(f"the exercise folder {root} lies inside {b}, which the sandbox can read")
    mode = "namespaces" if ns else ("landlock" if ll else "process")
    return Isolation(mode=mode, layers=on, warnings=warnings)
