"""The isolation and trust-boundary tests again, as an unprivileged user (CI runs as root; the threat model
must hold for both).

The test creates a user, builds a virtual environment that user can run (Debian's /usr/bin/python3: the
grader's own interpreter may live under /root, which other users cannot enter), installs this checkout into
it, copies the tests and exercises somewhere that user can read, and runs tests/test_isolation.py there with
runuser. The user-side run uses user namespaces (nested, so the mounts stay locked) instead of a fresh uid.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

USER = "frg-unprivileged"
VENV = Path("/var/tmp/frg-unprivileged-venv")
SYSTEM_PYTHON = Path("/usr/bin/python3")


def _tool(name: str) -> str:
    found = shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    assert found, f"{name} is needed to run as another user (Debian: util-linux, passwd)"
    return found


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def _ensure_user() -> None:
    if _run(["id", USER]).returncode != 0:
        made = _run([_tool("useradd"), "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER])
        assert made.returncode == 0, made.stderr


def _ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        made = _run([str(SYSTEM_PYTHON), "-m", "venv", str(VENV)])
        assert made.returncode == 0, made.stderr
    # Reinstall this checkout every time (fast: dependencies stay), non-editable so the user needs no access
    # to the checkout itself.
    pip = _run([str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(ROOT)],
               timeout=600)
    assert pip.returncode == 0, pip.stderr[-2000:]
    deps = _run([str(python), "-m", "pip", "install", "-q", f"{ROOT}[test]"], timeout=900)
    assert deps.returncode == 0, deps.stderr[-2000:]
    return python


@pytest.mark.skipif(os.geteuid() != 0, reason="creates a user: runs when the suite runs as root, as in CI")
def test_isolation_holds_for_an_unprivileged_user() -> None:
    assert SYSTEM_PYTHON.exists(), "Debian's python3 is needed to run as another user"
    _ensure_user()
    python = _ensure_venv()
    # Not under pytest's temp root: pytest keeps that 0700, and the user must be able to enter this one.
    work = Path(tempfile.mkdtemp(prefix="frg-unprivileged-", dir="/var/tmp"))
    try:
        _run_as_user(python, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_as_user(python: Path, work: Path) -> None:
    for part in ("tests", "exercises"):
        shutil.copytree(ROOT / part, work / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
    for path in [work, *work.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    user = pwd.getpwnam(USER)
    os.chown(work, user.pw_uid, user.pw_gid)  # its pytest (re)creates --basetemp here; the files stay root's
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8"}
    proc = subprocess.run(
        [_tool("runuser"), "-u", USER, "--", str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--basetemp", str(work / "tmp"), "tests/test_isolation.py", "tests/test_trust_boundary.py"],
        cwd=work, env=env, capture_output=True, text=True, timeout=900,
    )
    sys.stdout.write(proc.stdout[-4000:])
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout.splitlines()[-1]
