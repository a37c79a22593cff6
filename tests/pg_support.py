"""A real PostgreSQL for the portal's database tests: Debian's server (tests/system-packages.txt), started once
per test run with initdb + pg_ctl in a temporary folder, listening on a free 127.0.0.1 port only, trusting
local connections (nothing else can reach it). PostgreSQL refuses to run as root, so when the tests run as
root it runs as a dedicated system user through runuser, as tests/test_unprivileged.py runs its user.

The fixtures (``postgres_server``, and ``postgres_url``: a fresh, empty database on it for each test) are in
conftest.py.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "frg-postgres"


@dataclass(frozen=True)
class PostgresServer:
    port: int
    root: Path
    names: Iterator[int]

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://grader@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = f"t{next(self.names)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=grader dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        pytest.fail("PostgreSQL is not installed: run the tests with ./dev/test, which installs "
                    "tests/system-packages.txt (or apt-get install -y postgresql)", pytrace=False)
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return [shutil.which("runuser", path="/usr/sbin:/usr/bin:/sbin:/bin") or "runuser", "-u", USER, "--", *cmd]


def _ensure_user() -> None:
    try:
        pwd.getpwnam(USER)
    except KeyError:
        made = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
                              capture_output=True, text=True)
        assert made.returncode == 0, made.stderr


def start_server() -> Iterator[PostgresServer]:
    """Start the server; stopped (and its folder removed) when the generator is closed."""
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="frg-pg-"))
    if os.geteuid() == 0:
        _ensure_user()
        user = pwd.getpwnam(USER)
        os.chown(root, user.pw_uid, user.pw_gid)
    data, log = root / "data", root / "server.log"
    run = dict(capture_output=True, text=True, timeout=120, cwd=root)
    made = subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust",
                                     "-E", "UTF8", "--locale=C", "--no-sync"]), **run)  # type: ignore[call-overload]
    assert made.returncode == 0, made.stdout + made.stderr
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    started = subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                                        "-w", "-t", "60", "start"]), **run)  # type: ignore[call-overload]
    assert started.returncode == 0, started.stdout + started.stderr + (log.read_text() if log.exists() else "")
    try:
        yield PostgresServer(port, root, itertools.count(1))
    finally:
        subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       **run)  # type: ignore[call-overload]
        shutil.rmtree(root, ignore_errors=True)
