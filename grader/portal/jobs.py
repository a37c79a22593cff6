"""Grading jobs: the database row is the job, the queue carries only its id.

The lifecycle (DESIGN.md, "Jobs"): a submission is committed as ``queued`` before its id is queued; a worker
*claims* it with one conditional update (``queued`` -> ``running``, with a fresh claim token and a lease), grades
it, and *records* it with another (``running`` and still its claim -> ``done``) in the same transaction as the
result row, whose (submission, round) key is unique. So delivery may be repeated (a duplicate id in the queue,
a sweeper re-queueing a job whose worker was slow) but a result is recorded exactly once.

A grader fault (the grader raised, or its report is not a real grade) puts the job back in the queue without a
result, refunds the student's token once, and after ``max_tries`` parks it as ``fault`` until the sweeper tries
it again later. The :class:`Sweeper` also re-queues jobs whose lease ran out (their worker died) and queued jobs
that no queue holds any more (the server was killed with them in its memory).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .._process import die_with_parent
from ..errors import GraderError
from ..grading import Grader
from ..results import Report
from ..spec import Exercise, load_exercise
from .db import Database
from .models import RateBucket, Result, Submission, utcnow
from .policy import Bucket, refund
from .uploads import to_submission, unpack

MAX_TRIES = 3
BATCH_MAX = 8  # jobs a worker grades in one session when several are waiting


class Dispatcher(Protocol):
    """Where job ids go to be graded: the local pool, or a broker (:class:`grader.portal.broker.CeleryDispatcher`)."""

    def enqueue(self, submission_id: int) -> None: ...


def grader_fault(report: Report) -> str | None:
    """Why ``report`` is not a grade the student can be given, or None when it is one: an ``incomplete``
    report (a grader fault or a check fault, typed by the runner) is never an attempt's score."""
    if report.is_grade:
        return None
    faults = report.grader_faults or report.check_faults
    if faults:
        return f"check {faults[0].id}: {faults[0].status.value}: {faults[0].message[:300]}"
    return report.message or f"the report is {report.status.value}"


def lease_for(ex: Exercise) -> dt.timedelta:
    """The longest a grading of ``ex`` may take, with room: past it, the worker is taken for dead."""
    limits = ex.limits
    return dt.timedelta(seconds=limits.load_timeout_s + len(ex.checks) * limits.check_timeout_s + 60)


# ----------------------------------------------------------------------------- the job's transitions


BROKER_CLAIM = "broker-"  # how a claim made for a task on a broker starts (it is also the task's id)


def claim(db: Database, submission_id: int, lease: dt.timedelta, *, on_broker: bool = False) -> str | None:
    """Take a queued job for grading; the claim token, or None if it is not queued (done, or taken).

    A local worker claims a job as it starts grading it ("loading"). A claim ``on_broker`` is taken before the
    job's task waits on a broker for a worker: the job stays in the "queued" phase, counted in the queue, with no
    start time, until :func:`advance` says a worker started it; ``enqueued_at`` stays empty until the task is
    sent (see :mod:`.broker`), so a server that restarts knows which claims have a task out."""
    token = (BROKER_CLAIM if on_broker else "") + uuid.uuid4().hex
    now = utcnow()
    started: dict[str, Any] = ({"phase": "queued", "started_at": None, "enqueued_at": None} if on_broker
                               else {"phase": "loading", "started_at": now})
    with db.session(write=True) as s:
        taken = s.execute(update(Submission)
                          .where(Submission.id == submission_id, Submission.state == "queued")
                          .values(state="running", claim=token, lease_until=now + lease, loaded_at=None,
                                  checked_at=None, tries=Submission.tries + 1, **started)
                          .returning(Submission.id)).first()
    return token if taken is not None else None


def loaded(db: Database, submission_id: int, token: str) -> None:
    """The app loaded and its checks start: the "checking" phase, with its timestamp."""
    with db.session(write=True) as s:
        s.execute(update(Submission).where(Submission.id == submission_id, Submission.claim == token)
                  .values(phase="checking", loaded_at=utcnow()))


_EARLIER = {"loading": ("queued",), "checking": ("queued", "loading")}


def advance(db: Database, submission_id: int, token: str, phase: str) -> bool:
    """A broker's worker reported the job ``phase`` ("loading": started; "checking": its app loaded), with its
    timestamp (a start never seen gets the same one); only forwards, only under its claim. Whether it moved."""
    now = utcnow()
    values: dict[str, Any] = {"phase": phase, "started_at": func.coalesce(Submission.started_at, now)}
    if phase == "checking":
        values["loaded_at"] = now
    with db.session(write=True) as s:
        moved = s.execute(update(Submission)
                          .where(Submission.id == submission_id, Submission.claim == token,
                                 Submission.state == "running", Submission.phase.in_(_EARLIER[phase]))
                          .values(**values).returning(Submission.id)).first()
    return moved is not None


def record(db: Database, submission_id: int, token: str, version: str, report: Report,
           checked_at: dt.datetime | None = None, *, started_at: dt.datetime | None = None,
           loaded_at: dt.datetime | None = None) -> bool:
    """Record the result of a claimed job; False (and nothing written) when the claim is no longer ours.
    ``checked_at`` is when its last check ended (it is recorded with the result, to spare a write);
    ``started_at`` and ``loaded_at`` fill those phases' times where nobody saw them happen (a broker's task
    that finished between two looks)."""
    now = utcnow()
    with db.session(write=True) as s:
        row = s.get(Submission, submission_id)
        if row is None:
            return False
        done = s.execute(update(Submission)
                         .where(Submission.id == submission_id, Submission.claim == token,
                                Submission.state == "running")
                         .values(state="done", phase="done", checked_at=checked_at or now, finished_at=now,
                                 claim=None, lease_until=None, fault_message="",
                                 **({"started_at": func.coalesce(Submission.started_at, started_at)}
                                    if started_at is not None else {}),
                                 **({"loaded_at": func.coalesce(Submission.loaded_at, loaded_at)}
                                    if loaded_at is not None else {})).returning(Submission.id)).first()
        if done is None:
            return False
        s.add(Result(submission_id=submission_id, round=row.round, exercise_version=version,
                     status=report.status.value, score=report.score, max_score=report.max_score,
                     report_json=json.dumps(report.to_dict()), duration_s=report.duration_s, created_at=now))
    return True


def fault(db: Database, submission_id: int, token: str, message: str) -> bool:
    """Put a claimed job back after a grader fault; True when it is queued again (False: parked, or not ours)."""
    now = utcnow()
    with db.session(write=True) as s:
        row = s.get(Submission, submission_id)
        if row is None or row.claim != token or row.state != "running":
            return False
        again = row.tries < MAX_TRIES
        row.state, row.phase = ("queued", "queued") if again else ("fault", "queued")
        row.claim, row.lease_until, row.fault_message = None, None, message[:2000]
        row.enqueued_at = now
        if not row.refunded:  # a grader fault never costs the student a submission
            row.refunded = True
            pub = row.publication
            b = s.scalars(select(RateBucket).where(RateBucket.user_id == row.user_id,
                                                   RateBucket.publication_id == row.publication_id)).first()
            if b is not None:
                after = refund(Bucket(b.tokens, b.updated_at), now, pub.bucket_size, pub.refill_minutes)
                b.tokens, b.updated_at = after.tokens, after.updated_at
    return again


def mark_enqueued(db: Database, ids: list[int]) -> None:
    if ids:
        with db.session(write=True) as s:
            s.execute(update(Submission).where(Submission.id.in_(ids)).values(enqueued_at=utcnow()))


# ----------------------------------------------------------------------------- grading one job (in a worker)


def grade_job(db: Database, grader: Grader, exercises_dir: Path, submission_id: int,
              requeue: Callable[[int], None]) -> str:
    """Claim, grade and record one job; what happened ("skipped", "recorded", "fault", "lost")."""
    return grade_jobs(db, grader, exercises_dir, [submission_id], requeue)[submission_id]


def grade_jobs(db: Database, grader: Grader, exercises_dir: Path, submission_ids: list[int],
               requeue: Callable[[int], None]) -> dict[int, str]:
    """Claim, grade and record several jobs, those of one exercise in one grading session (as the batch
    grades a chunk: pytest starts once for all of them); what happened to each, as :func:`grade_job` says.

    Each is recorded the moment its report exists, so a fault later in the session costs only the jobs not
    recorded yet: those are put back (and retried one by one, as any fault is).
    """
    outcome: dict[int, str] = {}
    claimed: dict[str, list[tuple[int, str, bytes]]] = {}
    exercises: dict[str, Exercise | None] = {}
    for sid in submission_ids:
        with db.session() as s:
            row = s.get(Submission, sid)
            if row is None or row.state != "queued":
                outcome[sid] = "skipped"
                continue
            slug, blob = row.publication.slug, row.files
        if slug not in exercises:
            try:
                exercises[slug] = load_exercise(slug, exercises_dir)
            except GraderError:
                exercises[slug] = None
        ex = exercises[slug]
        # The lease covers the whole session: the jobs before this one in it may each take their longest.
        lease = lease_for(ex) * len(submission_ids) if ex is not None else dt.timedelta(minutes=5)
        token = claim(db, sid, lease)
        if token is None:
            outcome[sid] = "skipped"
            continue
        claimed.setdefault(slug, []).append((sid, token, blob))
    for slug, jobs in claimed.items():
        ex = exercises[slug]
        why: dict[int, str] = {}
        if ex is None:
            why = {sid: f"the exercise {slug} cannot be loaded from {exercises_dir}" for sid, _, _ in jobs}
        else:
            why = _grade_group(db, grader, ex, jobs, outcome)
        for sid, token, _ in jobs:
            if sid in outcome:
                continue
            outcome[sid] = "fault"
            reason = why.get(sid, "the grading session ended without a report for it")
            if fault(db, sid, token, f"the grader failed (not your fault): {reason}"):
                requeue(sid)
    return outcome


def _grade_group(db: Database, grader: Grader, ex: Exercise, jobs: list[tuple[int, str, bytes]],
                 outcome: dict[int, str]) -> dict[int, str]:
    """Grade one exercise's claimed jobs in one session, recording each as it finishes; why each job that got
    no grade got none (a job missing from both is a fault too)."""
    tokens = {str(sid): (sid, token) for sid, token, _ in jobs}
    why: dict[int, str] = {}

    def on_loaded(key: str) -> None:
        loaded(db, *tokens[key])

    def on_report(key: str, report: Report) -> None:
        sid, token = tokens[key]
        problem = grader_fault(report)
        if problem is not None:
            why[sid] = problem
            return
        outcome[sid] = "recorded" if record(db, sid, token, ex.version, report, utcnow()) else "lost"

    try:
        subs = {str(sid): to_submission(unpack(blob), f"submission-{sid}") for sid, _, blob in jobs}
        grader.grade_many(ex, dict(subs), on_loaded=on_loaded, on_report=on_report)
    except Exception as exc:  # any failure here is the grader's, never the student's
        grader.close()  # the zygote may be gone; the next job starts a fresh one
        for sid, _, _ in jobs:
            why.setdefault(sid, f"{type(exc).__name__}: {exc}")
    return why


# ----------------------------------------------------------------------------- the local pool


@dataclass(frozen=True)
class _WorkerOptions:
    db_url: str
    exercises_dir: Path
    parent_pid: int
    disabled_layers: frozenset[str] | None


def _worker_main(tasks: Any, options: _WorkerOptions) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    grader = Grader(disabled_layers=set(options.disabled_layers) if options.disabled_layers else None)

    def stop(*_: object) -> None:
        grader.abort()
        os._exit(143)

    signal.signal(signal.SIGTERM, stop)
    # The server killed, even by kill -9: the sweeper re-queues this worker's jobs on restart.
    die_with_parent(signal.SIGTERM, options.parent_pid)
    db = Database(options.db_url)
    try:
        while True:
            try:
                sid = tasks.get(timeout=2.0)
            except queue.Empty:
                if os.getppid() != options.parent_pid:
                    break
                continue
            if sid is None:
                break
            batch, stop_after = [sid], False
            # What else is waiting goes into the same session (pytest starts once for all of them), up to a
            # few, so that one worker never holds many jobs another idle worker could take.
            while len(batch) < BATCH_MAX:
                try:
                    more = tasks.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop_after = True
                    break
                batch.append(more)
            grade_jobs(db, grader, options.exercises_dir, batch, tasks.put)
            if stop_after:
                break
    finally:
        grader.close()
        db.dispose()


class LocalPool:
    """N worker processes on this machine, each with one Grader (one zygote) for its life, fed ids."""

    def __init__(self, db: Database, exercises_dir: Path, workers: int,
                 disabled_layers: set[str] | None = None) -> None:
        self.db = db
        self.ctx = mp.get_context("spawn")  # the server runs threads; a worker needs none of their state
        self.tasks: Any = self.ctx.Queue()
        self.options = _WorkerOptions(db.url, exercises_dir.resolve(), os.getpid(),
                                      frozenset(disabled_layers) if disabled_layers else None)
        self.workers = workers
        self.procs: list[Any] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        for _ in range(self.workers):
            self.procs.append(self._spawn())

    def _spawn(self) -> Any:
        proc = self.ctx.Process(target=_worker_main, args=(self.tasks, self.options), daemon=True,
                                name="frg-portal-worker")
        proc.start()
        return proc

    def enqueue(self, submission_id: int) -> None:
        self.tasks.put(submission_id)

    def replace_dead(self) -> int:
        """Start a new worker for each one that died (its job's lease runs out and the sweeper re-queues it)."""
        replaced = 0
        with self._lock:
            for i, p in enumerate(self.procs):
                if not p.is_alive():
                    self.procs[i] = self._spawn()
                    replaced += 1
        return replaced

    def stop(self) -> None:
        for _ in self.procs:
            self.tasks.put(None)
        for p in self.procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
                p.join()


class Sweeper:
    """Re-queues what is stuck: expired leases, queued jobs no queue holds, parked faults after a while."""

    def __init__(self, db: Database, dispatcher: Dispatcher, *, interval_s: float = 5.0,
                 requeue_after_s: float = 300.0, fault_retry_s: float = 600.0,
                 on_sweep: Callable[[], object] | None = None) -> None:
        self.db, self.dispatcher = db, dispatcher
        self.interval_s, self.requeue_after_s, self.fault_retry_s = interval_s, requeue_after_s, fault_retry_s
        self.on_sweep = on_sweep
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def recover(self, keep: Collection[int] = ()) -> list[int]:
        """At start-up with the local pool or a broker: every running job's worker died with the last server
        (or answers a claim this server does not collect), so it is queued again, except those in ``keep`` (the
        tasks a broker still holds, which this server collects); then every queued job goes to the queue, oldest
        first."""
        with self.db.session(write=True) as s:
            s.execute(update(Submission).where(Submission.state == "running", Submission.id.not_in(list(keep)))
                      .values(state="queued", phase="queued", claim=None, lease_until=None))
            ids = list(s.scalars(select(Submission.id).where(Submission.state == "queued").order_by(Submission.id)))
        self._send(ids)
        return ids

    def sweep(self) -> list[int]:
        now = utcnow()
        with self.db.session(write=True) as s:
            expired = list(s.scalars(select(Submission.id).where(Submission.state == "running",
                                                                 Submission.lease_until < now)))
            if expired:
                s.execute(update(Submission).where(Submission.id.in_(expired), Submission.state == "running",
                                                   Submission.lease_until < now)
                          .values(state="queued", phase="queued", claim=None, lease_until=None))
            stale = now - dt.timedelta(seconds=self.requeue_after_s)
            lost = list(s.scalars(select(Submission.id).where(
                Submission.state == "queued",
                (Submission.enqueued_at.is_(None)) | (Submission.enqueued_at < stale))))
            retry_before = now - dt.timedelta(seconds=self.fault_retry_s)
            parked = list(s.scalars(select(Submission.id).where(Submission.state == "fault",
                                                                Submission.enqueued_at < retry_before)))
            if parked:
                s.execute(update(Submission).where(Submission.id.in_(parked), Submission.state == "fault")
                          .values(state="queued", tries=0))
        ids = sorted(set(expired) | set(lost) | set(parked))
        self._send(ids)
        return ids

    def _send(self, ids: list[int]) -> None:
        mark_enqueued(self.db, ids)
        for sid in ids:
            self.dispatcher.enqueue(sid)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="frg-sweeper", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            with contextlib.suppress(Exception):  # a busy database this round is retried the next
                if self.on_sweep is not None:
                    self.on_sweep()
                self.sweep()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval_s + 5)


# ----------------------------------------------------------------------------- what the status page shows


@dataclass(frozen=True)
class QueueStatus:
    state: str
    phase: str
    position: int | None  # 1 = next to be graded; None once it is being graded or done
    wait_s: float | None
    fault_message: str
    times: dict[str, str | None]  # each phase's timestamp (ISO 8601, UTC) once it is reached


def phase_times(row: Submission) -> dict[str, str | None]:
    stamps = {"queued": row.queued_at, "started": row.started_at, "loaded": row.loaded_at,
              "checked": row.checked_at, "recorded": row.finished_at}
    return {k: (v.isoformat(timespec="milliseconds") + "Z" if v is not None else None) for k, v in stamps.items()}


class JobTimes:
    """How long a job takes to grade: the mean of the last 50, read from the database at most every ``ttl_s``
    (every queued student's status asks for it, and it moves slowly)."""

    def __init__(self, ttl_s: float = 2.0) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._value: tuple[float, float] | None = None  # (monotonic time read, seconds per job)

    def per_job_s(self, s: Session) -> float:
        with self._lock:
            if self._value is not None and time.monotonic() - self._value[0] < self.ttl_s:
                return self._value[1]
        recent = list(s.execute(select(Submission.started_at, Submission.finished_at)
                                .where(Submission.state == "done", Submission.started_at.is_not(None))
                                .order_by(Submission.finished_at.desc()).limit(50)))
        durations = [(f - st).total_seconds() for st, f in recent if f is not None and st is not None]
        per_job = sum(durations) / len(durations) if durations else 2.0
        with self._lock:
            self._value = (time.monotonic(), per_job)
        return per_job


# Waiting for a worker: queued here, or sent to a broker that no worker has taken it from yet.
_WAITING = (Submission.state == "queued") | ((Submission.state == "running") & (Submission.phase == "queued"))


def queue_status(s: Session, row: Submission, workers: int, times: JobTimes) -> QueueStatus:
    if not (row.state == "queued" or (row.state == "running" and row.phase == "queued")):
        return QueueStatus(row.state, row.phase, None, None, row.fault_message, phase_times(row))
    ahead = s.scalar(select(func.count()).select_from(Submission).where(_WAITING, Submission.id < row.id)) or 0
    wait = (ahead // max(1, workers) + 1) * times.per_job_s(s)
    return QueueStatus(row.state, row.phase, ahead + 1, wait, row.fault_message, phase_times(row))
