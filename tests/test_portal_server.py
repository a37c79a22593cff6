"""``grader serve`` as a real process: hand-ins over HTTP, then ``kill -9`` of the server while jobs are queued
and running; after a restart every submission ends graded exactly once."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from portal_support import EXERCISES
from test_batch import LOOPS_IN_ROUTE, fast_exercises
from test_distributed import RedisServer, Worker, wait_listening

from grader.distributed.app import make_app

pytestmark = pytest.mark.slow
SOLUTION = (EXERCISES / "login-greeting" / "solution" / "app.py").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp: Path, port: int, *grading: str, exercises: Path = EXERCISES) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-c", "from grader.cli import main; main()", "serve", "--db",
           f"sqlite:///{tmp / 'portal.db'}", "--port", str(port), *(grading or ("--workers", "1")), "--demo",
           "--insecure-cookies", "--secret-file", str(tmp / "secret"), "--exercises", str(exercises)]
    with open(tmp / "server.log", "ab") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            assert proc.poll() is None, (tmp / "server.log").read_text()
            time.sleep(0.2)
    raise AssertionError("the server did not start")


class _Student:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def page(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as resp:
            return str(resp.read().decode())

    def post(self, path: str, form_page: str, data: dict[str, str]) -> str:
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', self.page(form_page))
        assert token
        body = urllib.parse.urlencode({**data, "csrf_token": token.group(1)}).encode()
        with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=30) as resp:
            return str(resp.geturl())


def _states(db: Path) -> tuple[dict[int, str], dict[int, int]]:
    with sqlite3.connect(db) as conn:
        states = dict(conn.execute("SELECT id, state FROM submissions").fetchall())
        results = dict(conn.execute("SELECT submission_id, count(*) FROM results GROUP BY submission_id").fetchall())
    return states, results


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_kill_9_of_the_server_loses_no_job_and_grades_each_once(tmp_path: Path) -> None:
    port = _free_port()
    server = _serve(tmp_path, port)
    try:
        alice = _Student(port)
        alice.post("/login", "/login", {"username": "alice", "password": "demo-password"})
        urls = [alice.post("/exercises/login-greeting/submit", "/exercises/login-greeting", {"code": SOLUTION})
                for _ in range(10)]  # more than a worker takes into one session (8): some stay queued
        assert all(re.search(r"/submissions/\d+$", u) for u in urls)
        db = tmp_path / "portal.db"
        deadline = time.monotonic() + 60
        while "running" not in _states(db)[0].values() and time.monotonic() < deadline:
            time.sleep(0.05)
        states, _ = _states(db)
        assert "running" in states.values() and "queued" in states.values(), states
        workers = _children(server.pid)
        server.send_signal(signal.SIGKILL)
        server.wait()
        deadline = time.monotonic() + 20  # the workers follow their server (PR_SET_PDEATHSIG)
        while any(os.path.exists(f"/proc/{w}") and _alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)]

        server = _serve(tmp_path, port)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            states, results = _states(db)
            if set(states.values()) == {"done"}:
                break
            time.sleep(0.3)
        assert set(states.values()) == {"done"} and len(states) == 10, states
        assert results == {sid: 1 for sid in states}
        page = _Student(port)
        page.post("/login", "/login", {"username": "alice", "password": "demo-password"})
        assert "Score: 10 / 10" in page.page(urllib.parse.urlsplit(urls[0]).path)
    finally:
        _stop(server)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_serve_with_a_broker_grades_on_a_celery_worker_once(tmp_path: Path) -> None:
    """`grader serve --broker`: no local pool; the hand-in goes as a task to a real `grader worker` on a real
    Redis, and its report comes back to the feedback page, recorded once."""
    redis = RedisServer(tmp_path / "redis").start()
    worker = Worker(redis.url, "portal-w@test", tmp_path / "worker.log")
    server = None
    try:
        wait_listening(redis.url, {"portal-w@test"})
        port = _free_port()
        server = _serve(tmp_path, port, "--broker", redis.url)
        assert not _children(server.pid)  # no local grading process: the worker grades
        alice = _Student(port)
        alice.post("/login", "/login", {"username": "alice", "password": "demo-password"})
        wrong = SOLUTION.replace("Hello", "Bye")
        assert wrong != SOLUTION
        urls = [alice.post("/exercises/login-greeting/submit", "/exercises/login-greeting", {"code": code})
                for code in (wrong, SOLUTION)]
        db = tmp_path / "portal.db"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            states, results = _states(db)
            if len(states) == 2 and set(states.values()) == {"done"}:
                break
            time.sleep(0.3)
        assert set(states.values()) == {"done"} and len(states) == 2, (states, (tmp_path / "server.log").read_text())
        assert results == {sid: 1 for sid in states}  # each recorded exactly once
        pages = [alice.page(urllib.parse.urlsplit(u).path) for u in urls]
        assert "Score: 10 / 10" in pages[1]
        assert "Score: 10 / 10" not in pages[0] and "Score: " in pages[0]
        log = (tmp_path / "worker.log").read_text()
        assert log.count("grader.grade_chunk") >= 2 and "succeeded" in log  # graded there, not here
        with sqlite3.connect(db) as conn:
            workers_rows = conn.execute("SELECT count(*) FROM submissions WHERE tries = 1").fetchone()[0]
        assert workers_rows == 2  # one try each: sent once, graded once
    finally:
        _stop(server)
        worker.stop()
        redis.kill()


# ----------------------------------------------------------------------------- kill -9 with --broker

BROKER_TASK_S = "15"  # the workers' longest task: their visibility timeout is 22 s, so a dead one's task is back soon


def _hand_in(port: int, codes: list[str]) -> tuple[_Student, list[str]]:
    alice = _Student(port)
    alice.post("/login", "/login", {"username": "alice", "password": "demo-password"})
    paths = [urllib.parse.urlsplit(alice.post("/exercises/login-greeting/submit", "/exercises/login-greeting",
                                              {"code": code})).path for code in codes]
    assert all(re.fullmatch(r"/submissions/\d+", p) for p in paths), paths
    return alice, paths


def _all_done(db: Path, n: int, timeout: float, log: Path) -> dict[int, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states, results = _states(db)
        if len(states) == n and set(states.values()) == {"done"}:
            return results
        time.sleep(0.3)
    raise AssertionError(f"not all done: {states}\n{log.read_text()[-3000:]}")


def _tries(db: Path) -> dict[int, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT id, tries FROM submissions").fetchall())


def test_a_worker_killed_with_portal_jobs_on_it_loses_none(tmp_path: Path) -> None:
    """SIGKILL of a `grader worker` while it grades portal jobs, a second worker alive: Celery gives the task
    back, the other worker grades it, and every submission ends done with one result. On the way the status
    page shows what the broker knows: queued (with a position) while the task waits there, then checking."""
    exercises = fast_exercises(tmp_path)
    redis = RedisServer(tmp_path / "redis").start()
    workers = {n: Worker(redis.url, n, tmp_path / f"{n}.log", "--max-task-seconds", BROKER_TASK_S)
               for n in ("pw1@test", "pw2@test")}
    server = None
    control = make_app(redis.url, visibility_timeout_s=60)
    try:
        wait_listening(redis.url, set(workers))
        port = _free_port()
        server = _serve(tmp_path, port, "--broker", redis.url, exercises=exercises)
        codes = [LOOPS_IN_ROUTE] * 4 + [SOLUTION] * 2  # each loop: its checks to their time limit, seconds
        alice, paths = _hand_in(port, codes)
        seen: set[tuple[str, str, bool]] = set()  # (state, phase, has a position), from status.json
        victim = None
        deadline = time.monotonic() + 40
        while victim is None and time.monotonic() < deadline:
            for p in paths:
                st = json.loads(alice.page(p + "/status.json"))
                seen.add((st["state"], st["phase"], st["position"] is not None))
            active = control.control.inspect(timeout=0.5).active() or {}
            busy = [name for name, tasks in active.items() if tasks and name in workers]
            if busy and ("running", "checking", False) in seen:
                victim = workers[busy[0]]
        assert victim is not None, seen
        # Sent to the broker, no worker on it yet: the truth is "queued", with a place in the queue.
        assert ("running", "queued", True) in seen, seen
        os.kill(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait()
        db = tmp_path / "portal.db"
        results = _all_done(db, len(codes), 75, tmp_path / "server.log")
        assert results == {sid: 1 for sid in _states(db)[0]}  # exactly one result row each
        assert set(_tries(db).values()) == {1}  # redelivered by the broker, never sent twice by the portal
        survivor = next(w for w in workers.values() if w is not victim)
        assert survivor.alive()
        with sqlite3.connect(db) as conn:
            stamps = conn.execute("SELECT queued_at, started_at, loaded_at, checked_at, finished_at "
                                  "FROM submissions").fetchall()
        assert all(None not in row and list(row) == sorted(row) for row in stamps), stamps
        pages = [alice.page(p) for p in paths]
        assert all("Score: " in page for page in pages) and "Score: 10 / 10" in pages[-1]
    finally:
        control.close()
        _stop(server)
        for w in workers.values():
            w.stop()
        redis.kill()


def test_kill_9_of_a_broker_server_with_tasks_out_grades_each_once(tmp_path: Path) -> None:
    """SIGKILL of `grader serve --broker` while its tasks are on the broker and on a worker; started again, it
    adopts the tasks that left (their claims are their ids) instead of sending them again: every submission ends
    done with one result, each graded once by the worker."""
    exercises = fast_exercises(tmp_path)
    redis = RedisServer(tmp_path / "redis").start()
    worker = Worker(redis.url, "pk@test", tmp_path / "worker.log", "--max-task-seconds", BROKER_TASK_S)
    server = None
    try:
        wait_listening(redis.url, {"pk@test"})
        port = _free_port()
        server = _serve(tmp_path, port, "--broker", redis.url, exercises=exercises)
        codes = [LOOPS_IN_ROUTE] * 3 + [SOLUTION] * 2
        alice, paths = _hand_in(port, codes)
        db = tmp_path / "portal.db"
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            with sqlite3.connect(db) as conn:
                phases = [p for (p,) in conn.execute("SELECT phase FROM submissions WHERE state = 'running'")]
            if "queued" in phases and {"loading", "checking"} & set(phases):
                break
            time.sleep(0.1)
        assert "queued" in phases and {"loading", "checking"} & set(phases), phases  # on the broker and a worker
        server.send_signal(signal.SIGKILL)
        server.wait()
        time.sleep(2)  # the worker goes on grading what it has; its answers wait in the result backend
        server = _serve(tmp_path, port, "--broker", redis.url, exercises=exercises)
        results = _all_done(db, len(codes), 75, tmp_path / "server.log")
        assert results == {sid: 1 for sid in _states(db)[0]}
        # Adopted, not sent again; only a claim killed between its send and the mark of it is sent again (and
        # its first task revoked), so the worker still grades each submission once.
        assert sum(_tries(db).values()) <= len(codes) + 1
        log = (tmp_path / "worker.log").read_text()
        assert log.count("succeeded in") == len(codes), log[-3000:]
        page = _Student(port)
        page.post("/login", "/login", {"username": "alice", "password": "demo-password"})
        assert "Score: 10 / 10" in page.page(paths[-1])
    finally:
        _stop(server)
        worker.stop()
        redis.kill()
