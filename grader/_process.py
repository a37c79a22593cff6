"""Lifetime of the grader's own worker processes (batch pool, Celery pool, portal pool): they die with their
parent, so a killed batch, worker or server takes its zygotes (and with them every sandbox) down too."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int, parent_pid: int | None = None) -> None:
    """Have the kernel send ``signum`` to this process when its parent dies (Linux; elsewhere nothing). With
    ``parent_pid``, exit at once if that parent is already gone (it died before we asked)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)
