"""Grading the portal's jobs on the Celery workers of ``grader batch --broker`` (``grader serve --broker URL``).

The portal keeps the job lifecycle of :mod:`grader.portal.jobs`: the row is committed before anything is queued,
the portal itself *claims* the job (the workers have no database, only the broker), sends it as the batch's task
format (one submission's files as base64 and its exercise by the hash of its bundle: bounded JSON, never pickle),
and *records* the worker's report with the same :func:`~grader.portal.jobs.record` as the local pool, keyed by
(submission, round) and guarded by the claim token, so a task delivered twice (Celery redelivers the task of a
worker that died) or sent again by the sweeper is recorded once. A grader fault (a worker's fault, a report that
is not a grade, a failed task) goes through :func:`~grader.portal.jobs.fault`: retried, never a score.

The status page stays truthful though the portal claims a job before any worker has it: a sent task is in the
"queued" phase, counted in the queue position with the jobs still waiting here, until the result backend says a
worker STARTED it ("loading", Celery's ``task_track_started``) and then that its app loaded ("checking", the
worker's :data:`~grader.distributed.app.LOADED_STATE`, bounded JSON). Each phase gets its timestamp when the
dispatcher sees it; a phase that came and went between two looks gets the time the worker measured, anchored to
this clock when the answer arrives (a worker's clock is never compared with this one).

The claim's lease covers the broker's own redelivery (its visibility timeout) and the task's hard limit, so the
sweeper re-sends only what the portal lost. A server killed with tasks out finds them again when it restarts
(:meth:`CeleryDispatcher.adopt`: their claims are the tasks' ids) and collects their answers instead of grading
them twice; a claim whose task never left is queued again and sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from .. import __version__
from ..distributed.app import DEFAULT_MAX_TASK_S, DEFAULT_QUEUE, LOADED_STATE, TASK_NAME, check_broker, make_app
from ..distributed.executor import store_bundles
from ..distributed.jobs import (
    Bundle,
    JobError,
    Task,
    TaskSubmission,
    bundle_exercise,
    parse_result,
    task_time_limit_s,
    visibility_timeout_s,
)
from ..distributed.worker import is_redis
from ..errors import GraderError
from ..results import Report
from ..spec import Exercise
from .db import Database
from .jobs import BROKER_CLAIM, advance, claim, fault, grader_fault, record
from .models import Publication, Submission, utcnow
from .uploads import to_submission, unpack

POLL_S = 0.3  # how often the dispatcher looks at the tasks it has out
WORKERS_EVERY_S = 30.0  # how often it counts the worker processes listening (for the wait estimates)
READY = frozenset({"SUCCESS", "FAILURE", "REVOKED"})  # celery.states.READY_STATES, without importing Celery here


@dataclass(frozen=True)
class Out:
    """A claimed job whose task is on the broker."""

    submission_id: int
    token: str
    version: str  # the exercise version the task asked for (what the result row records)
    task: Task
    result: Any  # celery AsyncResult
    sent_at: dt.datetime  # when it went to the broker (no phase of it can be earlier)


class CeleryDispatcher:
    """Claims queued jobs, sends each as a task to ``grader worker`` processes, and records what comes back.

    :meth:`enqueue` only hands the id to this dispatcher's thread (the web request or the sweeper never waits
    on the broker); an id it had not sent when the server died is still ``queued`` in the database, and the
    next server's start-up sends it.
    """

    def __init__(self, db: Database, exercises: Any, broker_url: str, *, queue_name: str = DEFAULT_QUEUE) -> None:
        self.db, self.exercises, self.broker_url, self.queue_name = db, exercises, broker_url, queue_name
        self.app = make_app(broker_url, visibility_timeout_s=visibility_timeout_s(DEFAULT_MAX_TASK_S),
                            queue=queue_name)
        self.batch_id = f"portal-{uuid.uuid4().hex}"
        self._ids: queue.Queue[int] = queue.Queue()
        self._out: dict[str, Out] = {}
        self._seen: dict[str, str] = {}  # task id -> the phase last written for it
        self._bundles: dict[tuple[str, str], Bundle] = {}  # (slug, version) -> its bundle, made once
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.adopted: frozenset[int] = frozenset()  # the jobs whose tasks a previous server left out
        self.processes = 1  # the worker processes listening on the queue, last time they were counted
        self._counted = 0.0

    def connect(self) -> None:
        """The broker, reachable within a few seconds, or one error naming it (before the server starts)."""
        check_broker(self.broker_url, tip="start Redis there, or pass the right --broker URL (redis://HOST:6379/0), "
                                          "or drop --broker to grade on this machine")

    def enqueue(self, submission_id: int) -> None:
        self._ids.put(submission_id)

    # ------------------------------------------------------------------------- the dispatcher's thread

    def start(self) -> None:
        """Adopt the tasks a previous server left out (before the sweeper's recovery re-queues the rest), then
        start sending and collecting."""
        self.adopted = frozenset(self.adopt())
        self._thread = threading.Thread(target=self._run, name="frg-portal-celery", daemon=True)
        self._thread.start()

    def adopt(self) -> list[int]:
        """The jobs claimed for a task by this server or one killed before it: collect their answers again,
        under the same claims (they are the task ids), instead of grading them twice. A task is known to have
        left once ``enqueued_at`` is set after its send, or once the result backend knows it; a claim killed
        between the send and that mark with its task still PENDING is queued again by the sweeper's recovery,
        and its old task revoked, so the workers listening drop it rather than grade it twice. A job whose
        exercise no longer loads is left to the recovery too."""
        from celery.result import AsyncResult

        with self.db.session() as s:
            rows = s.execute(select(Submission.id, Submission.claim, Submission.files, Submission.enqueued_at,
                                    Submission.queued_at, Submission.phase, Publication.slug)
                             .join(Publication, Submission.publication_id == Publication.id)
                             .where(Submission.state == "running", Submission.claim.startswith(BROKER_CLAIM))
                             .order_by(Submission.id)).all()
        adopted, unsure = [], []
        for sid, token, blob, sent_at, queued_at, phase, slug in rows:
            assert token is not None  # as selected
            if sent_at is None:
                try:
                    known = self.app.backend.get_task_meta(token).get("status") != "PENDING"
                except Exception:
                    known = False
                if not known:
                    unsure.append(token)
                    continue
            try:
                ex = self.exercises.get(slug)
                task = self.task_for(ex, sid, blob)
            except Exception:
                continue
            self._out[token] = Out(sid, token, ex.version, task, AsyncResult(token, app=self.app),
                                   sent_at or queued_at)
            self._seen[token] = phase
            adopted.append(sid)
        if unsure:
            with contextlib.suppress(Exception):
                self.app.control.revoke(unsure)
        return adopted

    def stop(self) -> None:
        """Stop sending and collecting; tasks still out stay claimed, and the next server adopts them."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.app.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(queue.Empty):
                sid = self._ids.get(timeout=POLL_S)
                self._send_safely(sid)
                while True:  # everything else already waiting, before looking at results
                    self._send_safely(self._ids.get_nowait())
            self._collect()
            if time.monotonic() - self._counted >= WORKERS_EVERY_S:
                self._counted = time.monotonic()
                self.count_workers()

    def count_workers(self) -> int:
        """The worker processes listening on our queue, as they advertise it (Celery's remote control); the
        status page divides the queue ahead of a job by it. Unchanged when none answers in time."""
        with contextlib.suppress(Exception):
            replies = self.app.control.inspect(timeout=0.5).conf() or {}
            n = sum(int(c.get("frg_concurrency") or 1) for c in replies.values()
                    if isinstance(c, dict) and self.queue_name in (c.get("frg_queues") or ()))
            if n > 0:
                self.processes = n
        return self.processes

    def _send_safely(self, sid: int) -> None:
        try:
            self.send(sid)
        except Exception:  # the broker or the database is away: the sweeper sends it again later
            time.sleep(POLL_S)

    def send(self, submission_id: int) -> bool:
        """Claim one queued job and put its task on the broker; False when it was not queued (done, taken)."""
        with self.db.session() as s:
            row = s.get(Submission, submission_id)
            if row is None or row.state != "queued":
                return False
            slug, blob = row.publication.slug, row.files
        try:
            ex = self.exercises.get(slug)
        except GraderError as exc:  # as the local pool: the grader's fault, retried, never the student's
            token = claim(self.db, submission_id, dt.timedelta(minutes=5))
            if token is not None and fault(self.db, submission_id, token,
                                           f"the grader failed (not your fault): {exc.message}"):
                self.enqueue(submission_id)
            return False
        limit = task_time_limit_s(ex, 1)
        # Celery hands the task of a worker that died to another once its visibility timeout has passed; the
        # portal takes the job back only after that, so it never races the broker's own redelivery.
        lease = dt.timedelta(seconds=visibility_timeout_s(max(DEFAULT_MAX_TASK_S, limit)) + limit + 60)
        token = claim(self.db, submission_id, lease, on_broker=True)
        if token is None:
            return False
        try:
            task = self.task_for(ex, submission_id, blob)
            result = self.app.send_task(TASK_NAME, args=[task.to_json()], queue=self.queue_name, task_id=token,
                                        time_limit=limit, soft_time_limit=limit - 2,
                                        headers={"frg_queued_at": task.queued_at})
        except Exception:
            self._release(submission_id, token)
            raise
        sent_at = utcnow()
        self._out[token] = Out(submission_id, token, ex.version, task, result, sent_at)
        self._seen[token] = "queued"
        # Killed before this line, the next server cannot know the task left: it sends it again (graded twice,
        # recorded once). After it, the next server adopts the task instead.
        with contextlib.suppress(Exception):
            with self.db.session(write=True) as s:
                s.execute(update(Submission).where(Submission.id == submission_id, Submission.claim == token)
                          .values(enqueued_at=sent_at))
        return True

    def task_for(self, ex: Exercise, submission_id: int, blob: bytes) -> Task:
        """The task that grades one submission: the batch's format, the student key being the id."""
        bundle = self._bundles.get((ex.slug, ex.version))
        if bundle is None:
            bundle = self._bundles[(ex.slug, ex.version)] = bundle_exercise(ex)
        store_bundles(self.broker_url, [bundle])  # again each time: the broker's copy expires
        sub = to_submission(unpack(blob), f"submission-{submission_id}")
        item = TaskSubmission(str(submission_id), str(sub.path), sub.sha256, sub.files)
        inline = None if is_redis(self.broker_url) else bundle.to_json()
        return Task(self.batch_id, ex.slug, ex.version, bundle.sha256, (item,), __version__, False, time.time(),
                    inline)

    def _release(self, submission_id: int, token: str) -> None:
        """Undo a claim whose task never left (the broker is away): queued again, no try spent."""
        with contextlib.suppress(Exception), self.db.session(write=True) as s:
            s.execute(update(Submission).where(Submission.id == submission_id, Submission.claim == token)
                      .values(state="queued", phase="queued", claim=None, lease_until=None, started_at=None,
                              enqueued_at=None, tries=Submission.tries - 1))

    def _collect(self) -> None:
        for token, out in list(self._out.items()):
            try:
                meta = self.app.backend.get_task_meta(token)
                status = meta.get("status")
                if status in READY and status != "SUCCESS":
                    meta = {"status": status, "result": out.result.result}  # the exception, rebuilt
            except Exception:  # the broker is away this round: ask again the next
                return
            if status not in READY:
                with contextlib.suppress(Exception):  # a busy database: the next look writes it
                    self.progress(out, str(status), meta.get("result"))
                continue
            self._out.pop(token)
            self._seen.pop(token, None)
            with contextlib.suppress(Exception):
                out.result.forget()
            with contextlib.suppress(Exception):  # a database error: the lease runs out and the sweeper re-sends
                self.finish(out, meta)

    def progress(self, out: Out, status: str, info: Any) -> str | None:
        """Write the phase a pending task's state in the result backend shows, once; the phase written, if any.
        Celery's STARTED is "loading"; the worker's LOADED state naming this job is "checking"."""
        if status == "STARTED":
            phase = "loading"
        elif status == LOADED_STATE:
            loaded = info.get("loaded") if isinstance(info, dict) else None
            phase = "checking" if isinstance(loaded, dict) and out.task.submissions[0].key in loaded else "loading"
        else:  # PENDING (on the broker, or unknown), RETRY, or a state this grader does not send
            return None
        order = ("queued", "loading", "checking")
        if order.index(phase) <= order.index(self._seen.get(out.token, "queued")):
            return None
        self._seen[out.token] = phase
        return phase if advance(self.db, out.submission_id, out.token, phase) else None

    def finish(self, out: Out, meta: dict[str, Any]) -> str:
        """Record a finished task's answer once, or put the job back as a grader fault; what happened."""
        problem: str | None = None
        report: Report | None = None
        started_at = loaded_at = None
        if meta.get("status") != "SUCCESS":
            problem = f"the task failed on a worker ({meta.get('status')}: {meta.get('result')})"
        else:
            answer = meta.get("result")
            try:
                if isinstance(answer, dict) and answer.get("error"):
                    raise JobError(f"worker {answer.get('worker')}: {answer['error']}")
                parsed = parse_result(answer, out.task)
                if "refused" in parsed or "cancelled" in parsed:
                    raise JobError(parsed.get("refused") or "the task was cancelled")
                res = parsed["results"][0]
                if res["fault"] or res["report"] is None:
                    raise JobError(res["fault"] or "the worker sent no report")
                report = Report.from_dict(res["report"])
                problem = grader_fault(report)
                started_at, loaded_at = self._worker_times(out, parsed, res)
            except (JobError, KeyError, IndexError, TypeError, ValueError) as exc:
                problem = exc.message if isinstance(exc, GraderError) else f"a malformed result ({exc})"
        if problem is None and report is not None:
            done = record(self.db, out.submission_id, out.token, out.version, report,
                          started_at=started_at, loaded_at=loaded_at)
            return "recorded" if done else "lost"
        if fault(self.db, out.submission_id, out.token, f"the grader failed (not your fault): {problem}"):
            self.enqueue(out.submission_id)
        return "fault"

    @staticmethod
    def _worker_times(out: Out, parsed: dict[str, Any],
                      res: dict[str, Any]) -> tuple[dt.datetime | None, dt.datetime | None]:
        """When the task started and its app loaded, on this clock: the worker's own durations (start and load
        to finish, on its clock) counted back from now, kept between the send and now. Used only for a phase
        nobody saw (:func:`~grader.portal.jobs.record` keeps a time already written)."""
        now = utcnow()
        finished = parsed.get("finished_at")

        def back(t: float | None) -> dt.datetime | None:
            if t is None or finished is None:
                return None
            return min(now, max(out.sent_at, now - dt.timedelta(seconds=max(0.0, finished - t))))

        started = back(parsed.get("started_at"))
        return started, back(res.get("loaded_at"))
