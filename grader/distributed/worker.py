"""`grader worker`: a Celery worker whose every pool process holds one grading session for its life.

Each prefork pool process starts its :class:`~grader.grading.Grader` (one zygote) when it starts
(``worker_process_init``), not per task, and grades every chunk it receives in that session, with the same
sandbox and limits as a local batch. Exercises arrive by the hash of their bundle and are fetched once (from the
broker's Redis, where the batch stored them, or from the task), verified, installed under the worker's cache
folder and kept. The worker writes no report: it sends each back as JSON, and the batch writes them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from .._process import die_with_parent
from ..errors import IsolationError
from ..grading import Grader
from ..results import Load, Report, SubmissionInfo, SubmissionRun
from ..sandbox import Submission
from ..scoring import build_report
from ..spec import Exercise
from .app import (
    BROKER_KEY_PREFIX,
    DEFAULT_MAX_TASK_S,
    DEFAULT_QUEUE,
    LOADED_STATE,
    TASK_NAME,
    check_broker,
    make_app,
)
from .jobs import Bundle, JobError, Task, install_bundle, version_mismatch, visibility_timeout_s


def bundle_key(sha256: str) -> str:
    return f"{BROKER_KEY_PREFIX}bundle:{sha256}"


def cancel_key(batch: str) -> str:
    return f"{BROKER_KEY_PREFIX}cancelled:{batch}"


def is_redis(url: str) -> bool:
    return url.split("://", 1)[0] in ("redis", "rediss", "redis+socket")


@dataclass
class WorkerContext:
    """What one worker (and, after the fork, each of its pool processes) holds; no module-level state."""

    broker_url: str
    cache_dir: Path
    require_full_isolation: bool = False
    max_task_s: float = DEFAULT_MAX_TASK_S
    grader: Grader | None = None  # this pool process's session, made by start_process()
    exercises: dict[str, Exercise] = field(default_factory=dict)  # bundle sha256 -> the installed exercise
    _store: Any = None

    def start_process(self) -> None:
        """Run in each pool process as it starts: die with the worker, and start the grading session now."""
        die_with_parent(signal.SIGKILL)  # a worker killed with SIGKILL takes its pool processes along
        self._store = None  # a Redis connection is never shared across a fork
        self.grader = Grader(require_full_isolation=self.require_full_isolation)
        _ = self.grader.zygote  # start the zygote before the first task, not during it

    def stop_process(self) -> None:
        if self.grader is not None:
            self.grader.close()
            self.grader = None

    def store(self) -> Any:
        if self._store is None:
            import redis

            self._store = redis.Redis.from_url(self.broker_url, socket_connect_timeout=3, socket_timeout=30)
        return self._store

    def exercise(self, task: Task) -> Exercise:
        """The exercise the task asks for, by bundle hash: cached in this process, on disk, or fetched once."""
        known = self.exercises.get(task.bundle)
        if known is not None:
            return known
        installed = self.cache_dir / task.bundle / task.slug
        if installed.is_dir():
            data: Any = None
        elif task.inline_bundle is not None:
            data = task.inline_bundle
        elif is_redis(self.broker_url):
            raw = self.store().get(bundle_key(task.bundle))
            if raw is None:
                raise JobError(f"exercise {task.slug} (bundle {task.bundle[:12]}) is not on the broker any more",
                               tip="run the batch again: it stores the exercise before queueing its tasks")
            data = json.loads(raw)
        else:
            raise JobError(f"exercise {task.slug} was not sent with the task and the broker is not Redis")
        bundle = Bundle.from_json(data, task.bundle) if data is not None else None
        exercise = install_bundle(bundle, self.cache_dir) if bundle is not None else _load_installed(installed, task)
        self.exercises[task.bundle] = exercise
        return exercise


def _load_installed(path: Path, task: Task) -> Exercise:
    from ..spec import load_exercise

    exercise = load_exercise(path)
    if exercise.version != task.version:
        raise JobError(f"exercise {task.slug}: the cached bundle is version {exercise.version}, the task asked for "
                       f"{task.version}; not grading with another version than the one asked")
    return exercise


def _unreadable_report(grader: Grader, exercise: Exercise, sub: Submission, reason: str) -> Report:
    # As a local batch writes it (grader.batch.executor): the same report for the same unreadable submission.
    run = SubmissionRun(SubmissionInfo(sub.path, hashlib.sha256(b"").hexdigest()),
                        load=Load(False, "unreadable", f"the submission could not be read: {reason}"))
    return build_report(exercise, run, grader.isolation(exercise), grader.zygote.versions)


Progress = Callable[[dict[str, Any]], None]


def grade_task(ctx: WorkerContext, payload: Any, worker: str, progress: Progress | None = None) -> dict[str, Any]:
    """Grade one task's chunk in this process's session; the answer is JSON. Never raises for one student.

    ``progress(meta)`` is told each time a submission's app has loaded (what the portal shows as "checking"):
    ``{"started_at": t, "loaded": {key: t}}``; each result carries its ``loaded_at`` too, on this clock."""
    started = time.time()
    task = Task.from_json(payload)
    if task.grader_version != __version__:
        return {"refused": version_mismatch(worker, __version__, task.grader_version), "worker": worker,
                "grader_version": __version__}
    if is_redis(ctx.broker_url) and ctx.store().exists(cancel_key(task.batch)):
        # The batch was interrupted: Celery's revoke reaches only the workers listening at that moment.
        return {"cancelled": True, "worker": worker, "grader_version": __version__}
    if ctx.grader is None:  # a pool that did not run worker_process_init (the solo pool, or a direct call)
        ctx.start_process()
    assert ctx.grader is not None
    grader = ctx.grader
    grader.require_full_isolation = ctx.require_full_isolation or task.require_full_isolation
    exercise = ctx.exercise(task)
    results: dict[str, dict[str, Any]] = {}
    by_key = {s.key: s for s in task.submissions}
    loaded: dict[str, float] = {}

    def on_loaded(key: str) -> None:
        loaded[key] = time.time()
        if progress is not None:
            with contextlib.suppress(Exception):  # what a status page shows must never fail the grading
                progress({"started_at": started, "loaded": dict(loaded)})

    def done(key: str, report: Report) -> None:
        results[key] = {"key": key, "sha256": by_key[key].sha256, "report": report.to_dict(),
                        "loaded_at": loaded.get(key)}

    try:
        for s in task.submissions:
            if s.unreadable:
                done(s.key, _unreadable_report(grader, exercise, s.submission(), s.unreadable))
        _grade_isolating_faults(grader, exercise, [s for s in task.submissions if not s.unreadable], done, results,
                                on_loaded)
    except IsolationError as exc:
        return {"error": exc.message, "tip": exc.tip or "", "worker": worker, "grader_version": __version__}
    for s in task.submissions:
        results.setdefault(s.key, {"key": s.key, "sha256": s.sha256,
                                   "fault": "the grader returned no report for this submission"})
    return {"worker": worker, "pid": os.getpid(), "grader_version": __version__, "exercise_version": exercise.version,
            "started_at": started, "finished_at": time.time(), "results": [results[s.key] for s in task.submissions]}


def _grade_isolating_faults(grader: Grader, exercise: Exercise, subs: list[Any], done: Any,
                            results: dict[str, dict[str, Any]], on_loaded: Callable[[str], None]) -> None:
    """As a local batch does: a grader fault costs only the submission behind it, found by grading each alone."""
    if not subs:
        return
    try:
        grader.grade_many(exercise, {s.key: s.submission() for s in subs}, on_report=done, on_loaded=on_loaded)
    except IsolationError:
        raise
    except Exception as exc:
        grader.close()  # the zygote may be gone; the next call starts a fresh one
        left = [s for s in subs if s.key not in results]
        if len(left) > 1:
            for s in left:
                _grade_isolating_faults(grader, exercise, [s], done, results, on_loaded)
            return
        why = f"the grader failed on this submission (not the student's fault): {type(exc).__name__}: {exc}"
        for s in left:
            results[s.key] = {"key": s.key, "sha256": s.sha256, "fault": why[:300]}


def check_isolation(require_full: bool) -> None:
    """`--require-isolation full`: refuse to start a worker on a machine that cannot give it."""
    if not require_full:
        return
    with Grader() as grader:
        iso = grader.zygote.isolation([])
    if iso.warnings:
        raise IsolationError("full isolation was required, but: " + "; ".join(iso.warnings),
                             tip="run `grader doctor` to see what this machine allows")


def build_worker_app(ctx: WorkerContext, queues: list[str], concurrency: int = 1) -> Any:
    from celery.signals import worker_process_init, worker_process_shutdown

    app = make_app(ctx.broker_url, visibility_timeout_s=visibility_timeout_s(ctx.max_task_s), queue=queues[0],
                   fail_fast=False)
    # Read back by a batch through Celery's remote control (inspect conf) to size its tasks, count the processes
    # listening on its queue and check versions before it queues anything.
    app.conf.update(frg_grader_version=__version__, frg_max_task_seconds=ctx.max_task_s, frg_queues=queues,
                    frg_concurrency=concurrency)

    @app.task(name=TASK_NAME, bind=True)
    def grade_chunk(self: Any, payload: Any) -> dict[str, Any]:
        def progress(meta: dict[str, Any]) -> None:
            self.update_state(state=LOADED_STATE, meta=meta)

        return grade_task(ctx, payload, str(self.request.hostname), progress)

    def on_start(**_: Any) -> None:
        ctx.start_process()

    def on_stop(**_: Any) -> None:
        ctx.stop_process()

    worker_process_init.connect(on_start, weak=False)
    worker_process_shutdown.connect(on_stop, weak=False)
    return app


def run_worker(broker_url: str, *, concurrency: int, queues: list[str], require_full_isolation: bool,
               max_task_s: float, cache_dir: Path | None, name: str | None, loglevel: str) -> None:
    """Start the worker in this process (blocks until it is stopped)."""
    check_isolation(require_full_isolation)
    _check_broker(broker_url)
    own_cache = cache_dir is None
    cache = cache_dir or Path(tempfile.mkdtemp(prefix="frg-exercises-"))
    ctx = WorkerContext(broker_url, cache, require_full_isolation, max_task_s)
    queues = queues or [DEFAULT_QUEUE]
    app = build_worker_app(ctx, queues, concurrency)
    argv = ["worker", "--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", loglevel,
            "--queues", ",".join(queues), "--hostname", name or f"grader@{socket.gethostname()}"]
    try:
        app.worker_main(argv=argv)
    finally:
        if own_cache:
            shutil.rmtree(cache, ignore_errors=True)


def _check_broker(url: str) -> None:
    check_broker(url, tip="start Redis there, or pass the right --broker URL (redis://HOST:6379/0)")
