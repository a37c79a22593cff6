"""The batch's side of distributed grading: an :class:`~grader.batch.Executor` that queues chunks on Celery.

``run`` stores each exercise's bundle on the broker's Redis under its hash, reads every submission (with the
same bounds as a local batch), queues one task per chunk (sized so its hard time limit, derived from the
exercise's limits, fits the longest task the listening workers accept), and yields a row per submission as
results arrive. The reports come back as JSON and are written here, under OUT: a worker may be on another
machine. A result is recorded once per (student, submission hash, exercise version); a duplicate (a task
delivered twice after its worker died) is ignored.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..batch import Chunk, Job, chunked, report_dir
from ..errors import GraderError
from ..render import write_reports
from ..results import Report, SummaryRow
from ..sandbox import read_submission
from ..spec import Exercise
from .app import DEFAULT_MAX_TASK_S, DEFAULT_QUEUE, TASK_NAME, check_broker, make_app, safe_url
from .jobs import (
    MAX_TASK_BYTES,
    Bundle,
    JobError,
    Task,
    TaskSubmission,
    bundle_exercise,
    parse_result,
    task_sizes,
    task_time_limit_s,
    visibility_timeout_s,
)
from .queue import queue_stats
from .worker import bundle_key, cancel_key, is_redis

MAX_PER_TASK = 64  # as a local batch's largest chunk: one pytest session amortized over many submissions
QUIET_S = 5.0  # no result for this long: look whether any worker is listening, and say so if none is
PING_S = 2.0  # how often the batch makes sure the broker is still there while it waits
BUNDLE_TTL_S = 7 * 24 * 3600


class BrokerLost(GraderError):
    """The broker went away mid-batch: what finished is journaled; the message says how to resume."""


@dataclass
class _Sent:
    task: Task
    exercise: Exercise
    jobs: dict[str, Job]  # student -> job
    result: Any  # celery AsyncResult


class CeleryExecutor:
    """Grade chunks on whatever ``grader worker`` processes listen on ``broker_url``."""

    def __init__(self, broker_url: str, out_dir: Path, *, queue: str = DEFAULT_QUEUE,
                 require_full_isolation: bool = False, say: Callable[[str], None] | None = None) -> None:
        self.broker_url = broker_url
        self.out_dir = out_dir
        self.queue = queue
        self.require_full_isolation = require_full_isolation
        self.say = say or (lambda _text: None)
        self.batch_id = uuid.uuid4().hex
        self.workers_seen: set[str] = set()  # the workers whose results this run recorded
        self.duplicates = 0

    # ------------------------------------------------------------------------- set-up

    def connect(self) -> Any:
        """The broker, reachable, within a few seconds, or one clear error naming it."""
        check_broker(self.broker_url, tip="start Redis there (or start nothing and drop --broker to grade on "
                                          "this machine), or pass the right URL: redis://HOST:6379/0")
        return make_app(self.broker_url, visibility_timeout_s=visibility_timeout_s(DEFAULT_MAX_TASK_S),
                        queue=self.queue)

    def listening(self, app: Any, timeout: float = 0.5) -> dict[str, dict[str, Any]]:
        """The workers answering on the broker, with their advertised configuration (Celery remote control)."""
        replies = app.control.inspect(timeout=timeout).conf() or {}
        return {name: conf for name, conf in replies.items()
                if isinstance(conf, dict) and self.queue in (conf.get("frg_queues") or ())}

    def _plan(self, app: Any, chunks: list[Chunk]) -> tuple[list[tuple[Exercise, tuple[Job, ...]]], float]:
        workers = self.listening(app)
        others = {n: c.get("frg_grader_version") for n, c in workers.items()
                  if c.get("frg_grader_version") != __version__}
        for name, version in sorted(others.items()):
            self.say(f"worker {name} runs grader {version}, this batch {__version__}: it will refuse our tasks")
        mine = {n: c for n, c in workers.items() if n not in others}
        max_task = min((float(c.get("frg_max_task_seconds", DEFAULT_MAX_TASK_S)) for c in mine.values()),
                       default=DEFAULT_MAX_TASK_S)
        processes = sum(int(c.get("frg_concurrency") or 1) for c in mine.values()) or 1
        exercises = {c.exercise.slug: c.exercise for c in chunks}
        jobs = [job for c in chunks for job in c.jobs]
        plan = []
        for chunk in chunked(jobs, exercises, processes):
            ex = chunk.exercise
            size = task_sizes(ex, len(chunk.jobs), max_task, MAX_PER_TASK)
            for start in range(0, len(chunk.jobs), size):
                plan.append((ex, chunk.jobs[start:start + size]))
        return plan, max_task

    def _store_bundles(self, exercises: list[Exercise]) -> dict[str, Bundle]:
        bundles = {ex.slug: bundle_exercise(ex) for ex in exercises}
        store_bundles(self.broker_url, list(bundles.values()))
        return bundles

    def _task(self, ex: Exercise, bundle: Bundle, jobs: tuple[Job, ...]) -> list[Task]:
        """One task for the jobs, or several where their files would exceed MAX_TASK_BYTES."""
        tasks: list[list[TaskSubmission]] = []
        subs: list[TaskSubmission] = []
        size = 0
        inline = None if is_redis(self.broker_url) else bundle.to_json()
        for job in jobs:
            try:
                sub = read_submission(job.path, ex.entry)
                item = TaskSubmission(job.student, str(job.path), sub.sha256, sub.files)
            except (OSError, GraderError) as exc:  # as a local batch: that student's report says why
                reason = getattr(exc, "strerror", None) or str(exc)
                item = TaskSubmission(job.student, str(job.path), job.sha256, unreadable=reason)
            n = sum(len(d) for _, d in item.files)
            if subs and size + n > MAX_TASK_BYTES:
                tasks.append(subs)
                subs, size = [], 0
            subs.append(item)
            size += n
        if subs:
            tasks.append(subs)
        return [Task(self.batch_id, ex.slug, ex.version, bundle.sha256, tuple(s), __version__,
                     self.require_full_isolation, time.time(), inline) for s in tasks]

    # ------------------------------------------------------------------------- the run

    def run(self, chunks: list[Chunk]) -> Iterator[SummaryRow]:
        if not chunks:
            return
        from celery.result import ResultSet

        app = self.connect()
        sent: dict[str, _Sent] = {}
        done: set[str] = set()
        try:
            plan, _ = self._plan(app, chunks)
            bundles = self._store_bundles(list({ex.slug: ex for ex, _ in plan}.values()))
            for ex, jobs in plan:
                for task in self._task(ex, bundles[ex.slug], jobs):
                    limit = task_time_limit_s(ex, len(task.submissions))
                    result = app.send_task(TASK_NAME, args=[task.to_json()], queue=self.queue,
                                           time_limit=limit, soft_time_limit=limit - 2,
                                           headers={"frg_queued_at": task.queued_at})
                    sent[result.id] = _Sent(task, ex, {s.key: j for s, j in zip(task.submissions, jobs_of(task, jobs),
                                                                               strict=True)}, result)
            watch = _Watch(self, app, sent, done)
            results = ResultSet([s.result for s in sent.values()], app=app)
            for task_id, meta in results.iter_native(interval=0.5, on_interval=watch.tick):
                watch.heard()
                item = sent.get(task_id)
                if item is None or task_id in done:
                    continue
                yield from self._record(item, meta)
                done.add(task_id)
                item.result.forget()  # its rows are journaled now; free the broker's memory
        except KeyboardInterrupt:
            self._revoke(app, [tid for tid in sent if tid not in done])
            raise
        except GraderError:
            raise
        except Exception as exc:
            if not _is_connection_error(exc):
                raise
            for item in sent.values():  # their finalizers would try to unsubscribe from the broker that is gone
                item.result.backend = None
            left = sum(len(s.task.submissions) for tid, s in sent.items() if tid not in done)
            raise BrokerLost(f"lost the broker at {safe_url(self.broker_url)} ({type(exc).__name__}: {exc}); "
                             f"{left} submissions were still queued or being graded. Everything graded so far is "
                             f"saved in {self.out_dir / 'journal.jsonl'}",
                             tip="run the same command again once the broker is back: what is finished and "
                                 "unchanged is not graded again") from None

    def _record(self, item: _Sent, meta: Any) -> Iterator[SummaryRow]:
        ex, task = item.exercise, item.task
        status = meta.get("status") if isinstance(meta, dict) else None
        if status != "SUCCESS":
            why = meta.get("result") if isinstance(meta, dict) else meta
            message = (f"the task failed on a worker ({type(why).__name__}: {why}); run the batch again to retry"
                       if why is not None else "the task failed on a worker; run the batch again to retry")
            yield from (_not_graded(job, ex, message) for job in item.jobs.values())
            return
        answer = meta["result"]
        if isinstance(answer, dict) and answer.get("error"):
            raise GraderError(f"worker {answer.get('worker')}: {answer['error']}", tip=answer.get("tip") or None)
        try:
            parsed = parse_result(answer, task)
        except JobError as exc:
            yield from (_not_graded(job, ex, f"a worker sent a malformed result: {exc.message}")
                        for job in item.jobs.values())
            return
        if "cancelled" in parsed:  # an earlier, interrupted run of a batch with our id: cannot happen twice
            return
        if "refused" in parsed:
            raise GraderError(parsed["refused"], tip=f"run `grader worker` from the same grader version "
                                                     f"({__version__}) as the batch")
        if parsed["grader_version"] != __version__:
            raise GraderError(f"worker {parsed['worker']} answered with grader {parsed['grader_version']}, the "
                              f"batch runs grader {__version__}", tip="run the same grader version on both sides")
        self.workers_seen.add(parsed["worker"])
        for res in parsed["results"]:
            job = item.jobs[res["key"]]
            if res["fault"] or res["report"] is None:
                yield _not_graded(job, ex, res["fault"] or "the worker sent no report")
                continue
            report = Report.from_dict(res["report"])
            folder = report_dir(self.out_dir, job)
            for stale in folder.glob(".*.tmp"):
                stale.unlink(missing_ok=True)
            write_reports(report, folder)
            yield SummaryRow.of_report(job.student, job.slug, job.sha256, ex.version, report)

    def _revoke(self, app: Any, task_ids: list[str]) -> None:
        """Ctrl-C: what is still queued is never graded (workers drop revoked ids as they receive them)."""
        if not task_ids:
            return
        try:
            if is_redis(self.broker_url):  # for workers that start later, which never hear the revoke; and a
                import redis  # broker that is gone fails here within seconds, not in revoke's retries

                client = redis.Redis.from_url(self.broker_url, socket_connect_timeout=3, socket_timeout=5)
                client.set(cancel_key(self.batch_id), "1", ex=BUNDLE_TTL_S)
                client.close()
            app.control.revoke(task_ids)
        except Exception as exc:
            if not _is_connection_error(exc):
                raise  # with the broker gone too, nothing is left to revoke


def store_bundles(broker_url: str, bundles: list[Bundle]) -> None:
    """Put the bundles on the broker's Redis, where workers fetch them by hash (another broker: tasks carry
    them inline, see :attr:`Task.inline_bundle`)."""
    if not bundles or not is_redis(broker_url):
        return
    import redis

    client = redis.Redis.from_url(broker_url, socket_connect_timeout=3, socket_timeout=10)
    try:
        for b in bundles:
            client.set(bundle_key(b.sha256), json.dumps(b.to_json()), ex=BUNDLE_TTL_S)
    finally:
        client.close()


def _not_graded(job: Job, ex: Exercise, message: str) -> SummaryRow:
    """A grader fault (the batch retries it): never a grade that blames the student."""
    return SummaryRow.not_graded(job.student, job.slug, job.sha256, ex.version, message)


def jobs_of(task: Task, jobs: tuple[Job, ...]) -> list[Job]:
    by_student = {j.student: j for j in jobs}
    return [by_student[s.key] for s in task.submissions]


def _is_connection_error(exc: BaseException | None) -> bool:
    """The broker's connection failed, here or underneath (Celery's result store wraps the last retry's error
    in a RuntimeError)."""
    import kombu.exceptions
    import redis.exceptions

    kinds = (ConnectionError, OSError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
             kombu.exceptions.OperationalError)
    while exc is not None:
        if isinstance(exc, kinds):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class _Watch:
    """Called between waits: when nothing has come back for a while, say whether anyone is listening."""

    def __init__(self, executor: CeleryExecutor, app: Any, sent: dict[str, _Sent], done: set[str]) -> None:
        self.executor, self.app, self.sent, self.done = executor, app, sent, done
        self.last = self.pinged = time.monotonic()
        self.warned = False
        self.client: Any = None
        if is_redis(executor.broker_url):
            import redis

            self.client = redis.Redis.from_url(executor.broker_url, socket_connect_timeout=3, socket_timeout=3)

    def heard(self) -> None:
        self.last = time.monotonic()
        if self.warned:
            self.warned = False
            self.executor.say("a worker is grading again")

    def tick(self) -> None:
        now = time.monotonic()
        if self.client is not None and now - self.pinged >= PING_S:
            # Celery's result consumer reconnects quietly for a long time; a batch should stop and say so.
            self.pinged = now
            self.client.ping()
        if now - self.last < QUIET_S:
            return
        self.last = now
        ex = self.executor
        if ex.listening(self.app):
            return
        stats = queue_stats(ex.broker_url, ex.queue)
        age = f", the oldest queued {stats.oldest_age_s:.0f} s ago" if stats.oldest_age_s is not None else ""
        left = sum(1 for tid in self.sent if tid not in self.done)
        ex.say(f"no worker is listening on {safe_url(ex.broker_url)} (queue {ex.queue}): {left} of our tasks are "
               f"waiting{age}; start one with `grader worker --broker URL`")
        self.warned = True
