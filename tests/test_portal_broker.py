"""The portal's Celery dispatcher on plain data: a worker's real answer (``grade_task``, the code a `grader worker`
runs) recorded once however often it arrives, and a worker's fault put back as the portal's local pool does.
The end-to-end run with Redis and a real worker is in tests/test_portal_server.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from portal_support import EXERCISES, Browser, make_app, submission_id
from sqlalchemy import func, select

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
