"""Grading across machines: the job format on plain data, then real Redis and real `grader worker` processes.

The end-to-end tests start Debian's `redis-server` on a free loopback port (no persistence, its own folder) and
two `grader worker` subprocesses; no broker is faked. They check that a batch through Celery writes what a local
batch writes, that a worker killed with SIGKILL mid-batch loses nothing and records nothing twice, that hostile
submissions get the same statuses as locally and leave the workers alive, and the faults the CLI must explain.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXERCISES, ROOT
from test_batch import blank_run, fast_exercises, put, submission_for

from grader import __version__
from grader.distributed import Bundle, Task, bundle_exercise, make_app, task_time_limit_s, visibility_timeout_s
from grader.distributed.jobs import JobError, TaskSubmission, install_bundle, task_sizes
from grader.distributed.worker import WorkerContext, grade_task
from grader.errors import GraderError
from grader.grading import Grader
from grader.spec import load_exercise

GRADER = Path(sys.executable).parent / "grader"
MAX_TASK_S = 30  # the workers' longest task; their visibility timeout is just above (38 s), so redelivery is quick
PROBE = ROOT / "tests" / "fixtures" / "probe"


# ----------------------------------------------------------------------------- the job format (no broker)


def test_task_is_json_and_keeps_bytes_exactly() -> None:
    raw = bytes(range(256)) + "é\n".encode()
    task = Task("b1", "login-greeting", "v1", "h" * 64, (TaskSubmission("alice", "subs/alice.py", "s" * 64,
                                                                         (("app.py", raw),)),), queued_at=12.5)
    wire = json.dumps(task.to_json())  # the only encoding: nothing here could be pickled, or needs to be
    back = Task.from_json(json.loads(wire))
    assert back == task
    assert back.submissions[0].files == (("app.py", raw),)


def test_task_over_the_batch_size_limits_is_refused() -> None:
    from grader.sandbox import MAX_SUBMISSION_BYTES

    big = TaskSubmission("bob", "bob.py", "s", (("app.py", b"x" * (MAX_SUBMISSION_BYTES + 1)),))
    data = Task("b", "x", "v", "h", (big,)).to_json()
    with pytest.raises(JobError, match="over the size limits"):
        Task.from_json(data)
    with pytest.raises(JobError, match="malformed task"):
        Task.from_json({"schema": 1, "exercise": {}})


def test_celery_app_is_json_only_and_at_least_once() -> None:
    app = make_app("redis://127.0.0.1:1/0", visibility_timeout_s=visibility_timeout_s(30))
    conf = app.conf
    assert conf.task_serializer == conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"] and list(conf.result_accept_content) == ["json"]
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == visibility_timeout_s(30) > 30
    # A dead worker's message comes back within a sweep of its visibility timeout, not ten sweeps.
    assert conf.broker_transport_options["unacked_restore_throttle"] == 1


def test_time_limits_come_from_the_exercise_limits(tmp_path: Path) -> None:
    ex = load_exercise(fast_exercises(tmp_path) / "login-greeting")  # load 3 s, 4 checks of at most 1 s
    assert task_time_limit_s(ex, 1) == 5 + 3 + 4 * 1 + 1
    assert task_time_limit_s(ex, 3) == 5 + 3 * 8
    assert task_sizes(ex, 10, max_task_s=30, max_per_task=64) == 3  # 5 + 3 * 8 = 29 <= 30
    assert task_sizes(ex, 2, max_task_s=30, max_per_task=64) == 2
    slow = load_exercise(EXERCISES / "login-greeting")  # load 10 s, 4 checks of 15 s
    with pytest.raises(GraderError, match="more than the workers' longest task") as err:
        task_sizes(slow, 1, max_task_s=30, max_per_task=64)
    assert "--max-task-seconds 76" in str(err.value.tip)


def test_bundle_is_verified_by_hash_and_by_version(tmp_path: Path) -> None:
    ex = load_exercise(EXERCISES / "login-greeting")
    bundle = bundle_exercise(ex)
    names = {n for n, _ in bundle.files}
    assert "exercise.yaml" in names and any(n.startswith("checks/") for n in names)
    assert not any(n.startswith(("solution/", "starter/", "examples/")) for n in names)
    same = Bundle.from_json(json.loads(json.dumps(bundle.to_json())), bundle.sha256)
    installed = install_bundle(same, tmp_path / "cache")
    assert installed.version == ex.version and installed.slug == ex.slug
    assert install_bundle(same, tmp_path / "cache").root == installed.root  # installed once, then reused
    tampered = bundle.to_json()
    tampered["files"][0][1] = "eHl6"
    with pytest.raises(JobError, match="does not match its hash"):
        Bundle.from_json(tampered, bundle.sha256)
    # A bundle whose checks changed but that still claims the old version is never graded with.
    edited = Bundle(bundle.slug, bundle.version, tuple((n, d + b"\n# edited\n" if n.startswith("checks/") else d)
                                                       for n, d in bundle.files))
    with pytest.raises(JobError, match="not grading with another version"):
        install_bundle(edited, tmp_path / "cache")


def test_worker_of_another_version_refuses_naming_both(tmp_path: Path) -> None:
    ctx = WorkerContext("memory://", tmp_path)
    task = Task("b", "login-greeting", "v", "h", (), grader_version="9.9.9")
    answer = grade_task(ctx, task.to_json(), "w1@box")
    assert answer["refused"] == (f"worker w1@box runs grader {__version__} but the batch runs grader 9.9.9; "
                                 "a worker grades only for its own version")
    assert ctx.grader is None  # refused before any grading session was started


def test_worker_grades_an_inline_bundle_like_a_local_grader(grader_session: Grader, tmp_path: Path) -> None:
    ex = load_exercise(EXERCISES / "login-greeting")
    bundle = bundle_exercise(ex)
    solution = (ex.solution_dir / "app.py").read_bytes()
    subs = (TaskSubmission("ann", "/class/ann.py", "a" * 64, (("app.py", solution),)),
            TaskSubmission("ben", "/class/ben", "b" * 64, unreadable="Permission denied"))
    ctx = WorkerContext("memory://", tmp_path, grader=grader_session)
    answer = grade_task(ctx, Task("b", ex.slug, ex.version, bundle.sha256, subs,
                                  inline_bundle=bundle.to_json()).to_json(), "w1@box")
    json.dumps(answer)  # the whole answer is JSON
    ann, ben = answer["results"]
    assert answer["exercise_version"] == ex.version and answer["grader_version"] == __version__
    assert ann["report"]["score"] == ex.max_score and ann["report"]["submission"]["path"] == "/class/ann.py"
    assert ben["report"]["status"] == "error" and "Permission denied" in ben["report"]["message"]


# ----------------------------------------------------------------------------- real Redis, real workers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder, self.port = folder, port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is required: apt-get install -y redis-server (tests/system-packages.txt)"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Worker:
    def __init__(self, url: str, name: str, log: Path, *extra: str) -> None:
        self.name = name
        with log.open("ab") as sink:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen([str(GRADER), "worker", "--broker", url, "--concurrency", "1", "--name",
                                          name, "--max-task-seconds", str(MAX_TASK_S), "--loglevel", "INFO", *extra],
                                         stdout=sink, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_listening(url: str, names: set[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app = make_app(url, visibility_timeout_s=60)  # afresh: the broker may have restarted since the last try
        try:
            if names <= {name for reply in app.control.ping(timeout=0.5) or [] for name in reply}:
                return
        except Exception:  # not up yet: try again
            pass
        finally:
            app.close()
        time.sleep(0.2)
    raise AssertionError(f"workers {names} did not answer on {url}")


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.kill()


class Workers(dict[str, Worker]):
    """Two workers on the module's Redis; ``ensure`` replaces any that a test killed."""

    def __init__(self, url: str, logs: Path) -> None:
        super().__init__()
        self.url, self.logs = url, logs

    def ensure(self) -> Workers:
        for name in ("w1@test", "w2@test"):
            if name not in self or not self[name].alive():
                self[name] = Worker(self.url, name, self.logs / f"{name}.log")
        wait_listening(self.url, set(self))
        return self


@pytest.fixture(scope="module")
def worker_pool(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    pool = Workers(redis_server.url, tmp_path_factory.mktemp("workers"))
    try:
        yield pool
    finally:
        for w in pool.values():
            w.stop()


@pytest.fixture
def workers(worker_pool: Workers) -> Workers:
    return worker_pool.ensure()


def run(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GRADER), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def build_class(subs: Path, kinds: list[str], n: int) -> None:
    for i in range(n):
        submission_for(kinds[i % len(kinds)], "login-greeting", subs / f"k{i:02d}")


def class_outputs(out: Path) -> dict[str, str]:
    return {name: blank_run((out / name).read_text()) for name in ("summary.json", "grades.csv", "index.html")}


@pytest.mark.slow
def test_celery_batch_writes_what_a_local_batch_writes(redis_server: RedisServer, workers: dict[str, Worker],
                                                       tmp_path: Path) -> None:
    exercises = fast_exercises(tmp_path)
    subs = tmp_path / "subs"
    build_class(subs, ["solution", "partial", "starter", "syntax", "exits", "empty", "loops", "floods"], 12)
    common = ("batch", subs, "--exercise", "login-greeting", "--exercises", exercises)
    local = run(*common, "--out", tmp_path / "local", "--workers", "1")
    assert local.returncode == 0, local.stderr
    celery = run(*common, "--out", tmp_path / "celery", "--broker", redis_server.url)
    assert celery.returncode == 0, celery.stderr
    assert "12 graded now" in celery.stdout
    assert class_outputs(tmp_path / "celery") == class_outputs(tmp_path / "local")
    for student in (f"k{i:02d}" for i in range(12)):
        a, b = (json.loads((tmp_path / side / student / "login-greeting" / "report.json").read_text())
                for side in ("local", "celery"))
        for r in (a, b):
            r.pop("created_at"), r.pop("duration_s")
            for c in r["checks"]:
                c.pop("duration_s")
        assert a == b, student
    again = run(*common, "--out", tmp_path / "celery", "--broker", redis_server.url)  # resume: nothing to do
    assert again.returncode == 0 and "0 graded now, 12 unchanged" in again.stdout
    assert all(w.alive() for w in workers.values())


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing(redis_server: RedisServer, workers: dict[str, Worker],
                                                 tmp_path: Path) -> None:
    exercises = fast_exercises(tmp_path)
    subs = tmp_path / "subs"
    build_class(subs, ["solution", "loops", "partial", "starter"], 16)  # loops: ~1 s each, so tasks overlap
    common = ("batch", subs, "--exercise", "login-greeting", "--exercises", exercises)
    local = run(*common, "--out", tmp_path / "local", "--workers", "2")
    assert local.returncode == 0, local.stderr
    out = tmp_path / "celery"
    proc = subprocess.Popen([str(GRADER), *map(str, common), "--out", str(out), "--broker", redis_server.url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    app = make_app(redis_server.url, visibility_timeout_s=60)
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline and proc.poll() is None:
        active = app.control.inspect(timeout=0.5).active() or {}
        busy = [name for name, tasks in active.items() if tasks and name in workers]
        if busy and (out / "journal.jsonl").exists():
            victim = workers[busy[0]]
        time.sleep(0.1)
    assert victim is not None, "no worker was seen grading; make the class bigger"
    os.kill(victim.proc.pid, signal.SIGKILL)
    victim.proc.wait()
    stdout, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr
    assert "16 graded now" in stdout
    entries = [json.loads(line)["student"] for line in (out / "journal.jsonl").read_text().splitlines()]
    assert sorted(entries) == [f"k{i:02d}" for i in range(16)]  # every submission recorded exactly once
    assert class_outputs(out) == class_outputs(tmp_path / "local")
    survivor = next(w for w in workers.values() if w is not victim)
    assert survivor.alive()


HOSTILE = {
    "fork-bomb": "while True:\n        try:\n            os.fork()\n        except OSError:\n            break",
    "hog": "x = bytearray(3 * 1024 ** 3)",
    "loop": "while True:\n        pass",
    "exit": "os._exit(7)",
    "kill-parent": "os.kill(os.getppid(), 9)",
}


@pytest.mark.slow
def test_hostile_submissions_same_statuses_and_workers_alive(redis_server: RedisServer, workers: dict[str, Worker],
                                                             tmp_path: Path) -> None:
    probe = tmp_path / "exercises" / "probe"
    shutil.copytree(PROBE, probe)
    spec = probe / "exercise.yaml"
    spec.write_text(spec.read_text().replace("check_timeout_s: 4", "check_timeout_s: 2"))
    solution = (PROBE / "solution" / "app.py").read_text()
    subs = tmp_path / "subs"
    for name, code in HOSTILE.items():
        put(subs / f"{name}.py", "import os\n" + solution.replace(
            '    return {"count": COUNT["n"]}', f'    {code}\n    return {{"count": COUNT["n"]}}'))
    for name in ("memory_at_import", "exit_at_import", "loop_at_import"):
        shutil.copy(ROOT / "tests" / "submissions" / f"{name}.py", subs / f"{name.replace('_', '-')}.py")
    put(subs / "honest.py", solution)
    common = ("batch", subs, "--exercise", "probe", "--exercises", tmp_path / "exercises")
    local = run(*common, "--out", tmp_path / "local", "--workers", "1")
    assert local.returncode == 0, local.stderr
    celery = run(*common, "--out", tmp_path / "celery", "--broker", redis_server.url)
    assert celery.returncode == 0, celery.stderr
    for side in ("local", "celery"):
        summary = json.loads((tmp_path / side / "summary.json").read_text())
        statuses = {s["student"]: (s["status"], s["score"], s["checks"]) for s in summary["exercises"][0]["students"]}
        if side == "local":
            expected = statuses
    assert statuses == expected
    assert expected["honest"][1] == 10 and expected["memory-at-import"][0] == "error"
    assert all(w.alive() for w in workers.values()), "a hostile submission took a worker down"
    wait_listening(redis_server.url, set(workers))


@pytest.mark.slow
def test_no_worker_listening_is_said_and_ctrl_c_revokes(redis_server: RedisServer, tmp_path: Path) -> None:
    exercises = fast_exercises(tmp_path)
    subs = tmp_path / "subs"
    build_class(subs, ["solution"], 3)
    proc = subprocess.Popen([str(GRADER), "batch", str(subs), "--exercise", "login-greeting", "--exercises",
                             str(exercises), "--out", str(tmp_path / "out"), "--broker", redis_server.url,
                             "--queue", "nobody-listens"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(9)
    shown = run("queue", "--broker", redis_server.url, "--queue", "nobody-listens")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert "no worker is listening on " + redis_server.url + " (queue nobody-listens)" in stderr, stderr
    assert proc.returncode == 130 and "run the same command again to resume" in stderr
    assert shown.returncode == 0, shown.stderr
    waiting = int(shown.stdout.split(": ")[1].split()[0])
    age = float(shown.stdout.split("the oldest queued ")[1].split()[0])
    assert waiting >= 1 and 4 <= age <= 30, shown.stdout
    # A worker that starts after Ctrl-C drops the interrupted batch's tasks instead of grading them.
    log = tmp_path / "late.log"
    late = Worker(redis_server.url, "late@test", log, "--queues", "nobody-listens")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "0 tasks waiting" in run("queue", "--broker", redis_server.url, "--queue", "nobody-listens").stdout:
                break
            time.sleep(0.5)
        else:
            raise AssertionError("the late worker did not take the revoked tasks off the queue")
    finally:
        late.stop()
    assert not (tmp_path / "out" / "k00").exists()
    assert "'cancelled': True" in log.read_text() or "revoked" in log.read_text()


def test_unreachable_broker_is_one_clear_error(tmp_path: Path) -> None:
    put(tmp_path / "subs" / "a.py", "x = 1\n")
    url = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    result = run("batch", tmp_path / "subs", "--exercise", "login-greeting", "--exercises", EXERCISES,
                 "--out", tmp_path / "out", "--broker", url, timeout=60)
    assert time.monotonic() - started < 15
    assert result.returncode == 1
    assert f"ERROR cannot reach the broker at {url}" in result.stderr
    assert result.stderr.count("ERROR") == 1 and "Traceback" not in result.stderr
    worker = run("worker", "--broker", url, timeout=60)
    assert worker.returncode == 1 and f"cannot reach the broker at {url}" in worker.stderr


@pytest.mark.slow
def test_broker_lost_mid_batch_stops_and_resumes(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis").start()
    worker = Worker(server.url, "solo@test", tmp_path / "solo.log")
    try:
        wait_listening(server.url, {"solo@test"})
        exercises = fast_exercises(tmp_path)
        subs = tmp_path / "subs"
        build_class(subs, ["loops", "solution"], 12)
        out = tmp_path / "out"
        args = [str(GRADER), "batch", str(subs), "--exercise", "login-greeting", "--exercises", str(exercises),
                "--out", str(out), "--broker", server.url]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONFAULTHANDLER": "1"})
        journal = out / "journal.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (journal.exists() and journal.read_text().count("\n") >= 1):
            time.sleep(0.05)
        server.kill()
        lost_at = time.monotonic()
        try:
            stdout, stderr = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)  # faulthandler: where it hangs
            raise AssertionError(proc.communicate()[1][-6000:]) from None
        assert time.monotonic() - lost_at < 30
        assert proc.returncode == 1, stderr
        assert f"lost the broker at {server.url}" in stderr and "run the same command again" in stderr, stderr
        assert "Traceback" not in stderr
        first = journal.read_text().splitlines()
        assert 1 <= len(first) < 12
        for line in first:  # what was journaled has its report on disk
            json.loads((out / json.loads(line)["student"] / "login-greeting" / "report.json").read_text())
        server.start()  # the broker is back (empty: --save ''), and the worker reconnects by itself
        wait_listening(server.url, {"solo@test"})
        resumed = subprocess.run(args, capture_output=True, text=True, timeout=240)
        assert resumed.returncode == 0, resumed.stderr
        assert f"{12 - len(first)} graded now, {len(first)} unchanged" in resumed.stdout
        assert worker.alive()
    finally:
        worker.stop()
        server.kill()
