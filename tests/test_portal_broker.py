"""The portal's Celery dispatcher on plain data: a worker's real answer (``grade_task``, the code a `grader worker`
runs) recorded once however often it arrives, and a worker's fault put back as the portal's local pool does.
The end-to-end run with Redis and a real worker is in tests/test_portal_server.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

from portal_support import EXERCISES, Browser, make_app, submission_id
from sqlalchemy import func, select

from grader.distributed.app import LOADED_STATE
from grader.distributed.worker import WorkerContext, grade_task
from grader.grading import Grader
from grader.portal import jobs
from grader.portal.broker import CeleryDispatcher, Out
from grader.portal.models import Result, Submission

SOLUTION = (EXERCISES / "login-greeting" / "solution" / "app.py").read_text()


def _claimed(dispatcher: CeleryDispatcher, sid: int) -> Out:
    with dispatcher.db.session() as s:
        row = s.get(Submission, sid)
        assert row is not None
        blob = row.files
    ex = dispatcher.exercises.get("login-greeting")
    token = jobs.claim(dispatcher.db, sid, dt.timedelta(minutes=5))
    assert token is not None
    return Out(sid, token, ex.version, dispatcher.task_for(ex, sid, blob), None, jobs.utcnow())


def test_a_workers_answer_is_recorded_once_and_a_fault_is_retried(tmp_path: Path, grader_session: Grader) -> None:
    app = make_app(tmp_path)
    portal = app.extensions["grader_portal"]
    alice = Browser(app)
    alice.login("alice")
    first = submission_id(alice.submit("login-greeting", SOLUTION))
    second = submission_id(alice.submit("login-greeting", SOLUTION))
    dispatcher = CeleryDispatcher(portal.db, portal.exercises, "memory://")
    try:
        out = _claimed(dispatcher, first)
        assert out.task.submissions[0].key == str(first) and out.task.inline_bundle is not None
        answer = grade_task(WorkerContext("memory://", tmp_path / "cache", grader=grader_session),
                            out.task.to_json(), "w1@test")
        meta = {"status": "SUCCESS", "result": answer}
        assert dispatcher.finish(out, meta) == "recorded"
        assert dispatcher.finish(out, meta) == "lost"  # redelivered: the claim is spent, nothing written twice
        with portal.db.session() as s:
            assert s.scalar(select(func.count()).select_from(Result).where(Result.submission_id == first)) == 1
            result = s.scalars(select(Result).where(Result.submission_id == first)).one()
            assert (result.score, result.max_score) == (10, 10)

        bad = _claimed(dispatcher, second)
        failed = {"status": "SUCCESS", "result": {**answer, "results": [
            {"key": str(second), "sha256": "x", "fault": "the grader failed on this submission"}]}}
        assert dispatcher.finish(bad, failed) == "fault"
        assert dispatcher._ids.get_nowait() == second  # queued again for another try
        with portal.db.session() as s:
            row = s.get(Submission, second)
            assert row is not None
            assert (row.state, row.refunded) == ("queued", True) and "not your fault" in row.fault_message
            assert s.scalar(select(func.count()).select_from(Result).where(Result.submission_id == second)) == 0
        lost = _claimed(dispatcher, second)
        assert dispatcher.finish(lost, {"status": "FAILURE", "result": "TimeLimitExceeded(76)"}) == "fault"
    finally:
        dispatcher.stop()


def _dispatcher(portal: Any) -> CeleryDispatcher:
    dispatcher = CeleryDispatcher(portal.db, portal.exercises, "memory://")
    # Celery's in-process result backend, in place of the broker's Redis: the same states a worker writes there.
    dispatcher.app.conf.result_backend = "cache+memory://"
    return dispatcher


def _row(portal: Any, sid: int) -> tuple[Submission, dict[str, object]]:
    with portal.db.session() as s:
        row = s.get(Submission, sid)
        assert row is not None
        s.expunge(row)
        return row, asdict(jobs.queue_status(s, row, 1, jobs.JobTimes(ttl_s=0)))


def test_a_sent_task_is_queued_with_its_position_until_a_worker_starts_it(tmp_path: Path,
                                                                        grader_session: Grader) -> None:
    """Broker mode's phases from the result backend's states, as a `grader worker` writes them: queued (with
    its position, counted with the jobs still waiting here) until STARTED, loading, checking once the worker's
    session loaded the app (FRG_LOADED), then done; each phase with its time, in order."""
    app = make_app(tmp_path)
    portal = app.extensions["grader_portal"]
    alice = Browser(app)
    alice.login("alice")
    first, second = (submission_id(alice.submit("login-greeting", SOLUTION)) for _ in range(2))
    dispatcher = _dispatcher(portal)
    backend = dispatcher.app.backend
    ctx = WorkerContext("memory://", tmp_path / "cache", grader=grader_session)
    try:
        assert dispatcher.send(first)
        row, status = _row(portal, first)
        assert row.claim is not None and row.claim.startswith(jobs.BROKER_CLAIM)
        token = row.claim
        assert (row.state, row.phase, row.started_at) == ("running", "queued", None) and row.enqueued_at
        assert status["position"] == 1 and isinstance(status["wait_s"], float)
        assert _row(portal, second)[1]["position"] == 2  # behind the one waiting on the broker

        dispatcher._collect()  # PENDING: nothing changes
        assert _row(portal, first)[0].phase == "queued"
        backend.store_result(token, {"pid": 1, "hostname": "w1@test"}, "STARTED")  # task_track_started
        dispatcher._collect()
        row, status = _row(portal, first)
        assert (row.phase, status["position"]) == ("loading", None) and row.started_at is not None
        assert _row(portal, second)[1]["position"] == 1

        task = dispatcher._out[token].task
        answer = grade_task(ctx, task.to_json(), "w1@test",
                            lambda meta: backend.store_result(token, meta, LOADED_STATE))  # as update_state
        assert backend.get_task_meta(token)["status"] == LOADED_STATE  # written by the session's on_loaded
        dispatcher._collect()
        row, _ = _row(portal, first)
        assert row.phase == "checking" and row.loaded_at is not None and row.loaded_at >= row.started_at
        backend.store_result(token, answer, "SUCCESS")
        dispatcher._collect()
        row, status = _row(portal, first)
        assert (row.state, row.phase) == ("done", "done") and token not in dispatcher._out
        times = [row.queued_at, row.started_at, row.loaded_at, row.checked_at, row.finished_at]
        assert None not in times and times == sorted(times)  # type: ignore[type-var]
        assert all(status["times"].values())  # type: ignore[union-attr]

        # A task that started, loaded and finished between two looks: the worker's durations, counted back.
        assert dispatcher.send(second)
        token2 = _row(portal, second)[0].claim
        assert token2 is not None
        answer = grade_task(ctx, dispatcher._out[token2].task.to_json(), "w1@test")
        assert answer["results"][0]["loaded_at"] >= answer["started_at"]
        backend.store_result(token2, answer, "SUCCESS")
        dispatcher._collect()
        row, _ = _row(portal, second)
        assert row.state == "done" and row.started_at is not None and row.loaded_at is not None
        assert row.enqueued_at <= row.started_at <= row.loaded_at <= row.finished_at  # type: ignore[operator]
        with portal.db.session() as s:
            assert s.scalar(select(func.count()).select_from(Result)) == 2
    finally:
        dispatcher.stop()


def test_a_restarted_server_adopts_the_tasks_that_left_and_resends_the_rest(tmp_path: Path,
                                                                           grader_session: Grader) -> None:
    """After a kill -9 of the server: a job whose task was sent is collected under its claim (not graded twice);
    one claimed but never sent is queued again."""
    app = make_app(tmp_path)
    portal = app.extensions["grader_portal"]
    alice = Browser(app)
    alice.login("alice")
    sent, unsent = (submission_id(alice.submit("login-greeting", SOLUTION)) for _ in range(2))
    old = _dispatcher(portal)
    try:
        assert old.send(sent)
        jobs.claim(portal.db, unsent, dt.timedelta(minutes=30), on_broker=True)  # killed before send_task
        task = old._out[_row(portal, sent)[0].claim or ""].task
    finally:
        old.stop()
    new = _dispatcher(portal)
    try:
        assert new.adopt() == [sent]
        assert jobs.Sweeper(portal.db, new).recover(keep=[sent]) == [unsent]
        assert new._ids.get_nowait() == unsent
        row, status = _row(portal, sent)
        assert (row.state, row.phase, row.tries, status["position"]) == ("running", "queued", 1, 1)
        answer = grade_task(WorkerContext("memory://", tmp_path / "cache", grader=grader_session),
                            task.to_json(), "w1@test")
        new.app.backend.store_result(row.claim, answer, "SUCCESS")
        new._collect()
        row, _ = _row(portal, sent)
        assert (row.state, row.tries) == ("done", 1)
        with portal.db.session() as s:
            assert s.scalar(select(func.count()).select_from(Result).where(Result.submission_id == sent)) == 1
    finally:
        new.stop()
