"""The one test command: `dev/test` is what the README and `.ci/run` run, and it installs what
tests/system-packages.txt lists or stops at once naming it.

The script is run for real in a scratch copy whose PATH holds stand-ins for `id`, `sudo` and `apt-get`, so
each way of (not) being able to install is exercised without touching this machine's packages.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

SCRIPT = ROOT / "dev" / "test"


def scratch(tmp_path: Path, packages: str, tools: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """A copy of dev/test with its own package list, and an environment whose PATH has only ``tools``
    (name -> shell script body) besides the real dpkg-query, dirname and python3."""
    (tmp_path / "dev").mkdir()
    shutil.copy(SCRIPT, tmp_path / "dev" / "test")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "system-packages.txt").write_text(packages)
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for real in ("dpkg-query", "dirname"):
        found = shutil.which(real)
        assert found, f"{real} is missing: these tests run on Debian or Ubuntu, as dev/test does"
        (bin_ / real).symlink_to(found)
    (bin_ / "python3").symlink_to(sys.executable)
    for name, body in tools.items():
        (bin_ / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_ / name).chmod(0o755)
    return tmp_path, {"PATH": str(bin_), "HOME": str(tmp_path)}


def run(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/bash", str(root / "dev" / "test")], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)


LIST = "# comment line\nno-such-package-one   # an inline comment\n\n  no-such-package-two\n"


def test_readme_and_ci_run_the_same_one_command() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    quick_start = readme[readme.index("## Quick start"):readme.index("## Grading one submission")]
    commands = [line for line in re.findall(r"```sh\n(.*?)```", quick_start, re.S)[0].splitlines()
                if line and not line.startswith("#")]
    assert commands[1] == "./dev/test"
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert ci == ["./dev/test"]
    assert os.access(SCRIPT, os.X_OK)


def test_every_listed_package_is_installed_here() -> None:
    # What the suite needs from Debian is in the list, so a fresh machine gets it: this one must have it all.
    listed = [w for line in (ROOT / "tests" / "system-packages.txt").read_text().splitlines()
              for w in line.split("#")[0].split()]
    assert "chromium" in listed
    for pkg in listed:
        status = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", pkg], capture_output=True,
                                text=True).stdout
        assert status == "installed", pkg


def test_not_root_and_no_sudo_stops_naming_the_packages(tmp_path: Path) -> None:
    root, env = scratch(tmp_path, LIST, {"id": "echo 1000"})
    proc = run(root, env)
    assert proc.returncode == 1
    assert "neither root nor sudo" in proc.stderr
    assert "no-such-package-one no-such-package-two" in proc.stderr
    assert not (root / ".venv").exists()  # it stopped at once


def test_sudo_that_would_prompt_without_a_terminal_stops(tmp_path: Path) -> None:
    root, env = scratch(tmp_path, LIST, {"id": "echo 1000", "sudo": "exit 1"})
    proc = run(root, env)
    assert proc.returncode == 1 and "neither root nor sudo" in proc.stderr


@pytest.mark.parametrize(("uid", "prefix"), [("0", ""), ("1000", "sudo ")])
def test_missing_packages_go_to_apt_get_and_a_failure_stops(tmp_path: Path, uid: str, prefix: str) -> None:
    log = tmp_path / "apt.log"
    root, env = scratch(tmp_path, LIST, {
        "id": f"echo {uid}",
        "sudo": f'echo sudo >> {log}; [ "$1" = -n ] && exit 0; exec "$@"',
        "env": 'shift; exec "$@"',  # drops DEBIAN_FRONTEND=...: the stand-in apt-get does not need it
        "apt-get": f'echo "apt-get $*" >> {log}; case "$*" in *install*) exit 100;; esac',
    })
    proc = run(root, env)
    assert proc.returncode == 1
    assert "apt-get could not install no-such-package-one no-such-package-two" in proc.stderr
    calls = log.read_text().splitlines()
    installs = [c for c in calls if " install " in c]
    assert len(installs) == 1 and installs[0].endswith("install -y -qq --no-install-recommends "
                                                       "no-such-package-one no-such-package-two")
    assert any(" update" in c for c in calls)
    assert ("sudo" in calls) == bool(prefix)
    assert not (root / ".venv").exists()
