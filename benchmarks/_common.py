"""Shared by the benchmark scripts: the two baselines, run on the same checks as the grader."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.spec import Exercise, check_files

HERE = Path(__file__).resolve().parent


def _pytest_args(ex: Exercise) -> list[str]:
    return [*map(str, check_files(ex)), "-c", os.devnull, "--rootdir", str(ex.checks_dir),
            "--import-mode=importlib", "-p", "no:cacheprovider", "-q", "--tb=no", "--no-header",
            "-W", "ignore::DeprecationWarning", "-p", "_inprocess"]


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _limits(ex: Exercise) -> str:
    return f"{ex.limits.load_timeout_s},{ex.limits.request_timeout_s}"


def floor_seconds(ex: Exercise, paths: list[Path]) -> float:
    """(b) One in-process pytest session over all submissions: Flask's test client, a fresh app per check, the
    exercise's load and request time limits (SIGALRM)."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    with _env(FRG_BENCH_SUBMISSIONS=os.pathsep.join(map(str, paths)), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
              FRG_BENCH_LIMITS=_limits(ex)), contextlib.redirect_stdout(io.StringIO()):
        start = time.perf_counter()
        pytest.main(_pytest_args(ex))
        return time.perf_counter() - start


def subprocess_each_seconds(ex: Exercise, paths: list[Path], timeout: float = 60) -> float:
    """(c) One `pytest --json-report` subprocess per submission, app imported into that pytest process, the
    exercise's time limits applied as in (b); ``timeout`` ends a pytest that hangs anyway (os._exit aside)."""
    env = {**os.environ, "PYTHONPATH": str(HERE), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           "FRG_BENCH_LIMITS": _limits(ex)}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for i, path in enumerate(paths):
            env["FRG_BENCH_SUBMISSIONS"] = str(path)
            args = [sys.executable, "-m", "pytest", *_pytest_args(ex), "-p", "pytest_jsonreport.plugin",
                    "--json-report", f"--json-report-file={tmp}/{i}.json"]
            with contextlib.suppress(subprocess.TimeoutExpired):  # a looping app hangs its pytest: cut it off
                subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
        return time.perf_counter() - start
