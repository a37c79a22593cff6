"""The portal end to end in one process: a student hands in, the job is graded by the same function the pool's
workers run (with the test session's grader), and the pages show what the rules say."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from portal_support import EXERCISES, Browser, make_app, submission_id
from sqlalchemy import func, select

from grader.errors import GraderError
from grader.grading import Grader
from grader.handout import handout_files
from grader.portal import jobs
from grader.portal.course import full_report
from grader.portal.db import Database, alembic_config
from grader.portal.models import Base, Publication, RateBucket, Result, Submission, utcnow
from grader.sandbox import SandboxError
from grader.spec import load_exercise

SLUG = "login-greeting"
STARTER = (EXERCISES / SLUG / "starter" / "app.py").read_text()
SOLUTION = (EXERCISES / SLUG / "solution" / "app.py").read_text()


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """Every test here runs on SQLite (the default) and on a real PostgreSQL."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    made = make_app(tmp_path, db_url=url)
    yield made
    db_of(made).dispose()


@pytest.fixture
def alice(app: Flask) -> Browser:
    b = Browser(app)
    assert b.login("alice").status_code == 302
    return b


def db_of(app: Flask) -> Database:
    db: Database = app.extensions["grader_portal"].db
    return db


def grade_all(app: Flask, grader: Grader) -> list[str]:
    db = db_of(app)
    with db.session() as s:
        ids = list(s.scalars(select(Submission.id).where(Submission.state == "queued").order_by(Submission.id)))
    return [jobs.grade_job(db, grader, EXERCISES, sid, lambda _: None) for sid in ids]


def test_migrations_create_exactly_the_models_schema(app: Flask) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with db_of(app).engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert MigrationContext.configure(conn).get_current_revision() == "0002"
    assert alembic_config(db_of(app).engine).get_main_option("script_location", "").endswith("migrations")


def test_wrong_password_is_refused_and_the_right_one_logs_in(app: Flask) -> None:
    b = Browser(app)
    assert b.get("/").status_code == 302  # to the login page
    resp = b.login("alice", "not-the-password")
    assert resp.status_code == 200 and "Wrong username or password." in resp.get_data(as_text=True)
    assert b.login("alice").headers["Location"] == "/"
    assert "Greet a user from a JSON body" in b.get("/").get_data(as_text=True)


def test_the_login_redirect_stays_on_this_site(app: Flask) -> None:
    b = Browser(app)
    resp = b.post("/login?next=//evil.example/x", {"username": "alice", "password": "demo-password"},
                  form_page="/login")
    assert resp.headers["Location"] == "/"


def test_exercise_page_statement_and_starter_download(alice: Browser) -> None:
    html = alice.get(f"/exercises/{SLUG}").get_data(as_text=True)
    assert "<strong>username</strong>" in html  # the statement's Markdown, rendered
    resp = alice.get(f"/exercises/{SLUG}/starter.zip")
    assert resp.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(resp.data)) as z:
        got = {n: z.read(n) for n in z.namelist()}
    ex = load_exercise(SLUG, EXERCISES)
    assert got == handout_files(ex)


def test_hand_in_queue_then_feedback_and_history(app: Flask, alice: Browser, grader_session: Grader) -> None:
    sid = submission_id(alice.submit(SLUG, STARTER))
    page = alice.get(f"/submissions/{sid}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page  # works with JavaScript off
    assert "status.js" in page and "Position in the queue: <strong id=\"position-n\">1</strong>" in page
    status = alice.get(f"/submissions/{sid}/status.json").json
    assert status is not None and status.pop("times")["started"] is None
    assert status == {"state": "queued", "phase": "queued", "position": 1, "wait_s": 2.0, "fault_message": "",
                      "next_poll_s": 1.0}
    assert grade_all(app, grader_session) == ["recorded"]
    times = alice.get(f"/submissions/{sid}/status.json").json["times"]  # type: ignore[index]
    # Every phase has its own timestamp, in order (the "checking" phase starts when the app has loaded).
    stamps = [dt.datetime.fromisoformat(times[k].rstrip("Z")) for k in ("queued", "started", "loaded", "checked",
                                                                         "recorded")]
    assert stamps == sorted(stamps) and stamps[2] > stamps[1]
    page = alice.get(f"/submissions/{sid}").get_data(as_text=True)
    assert '<dd id="t-loaded"><time datetime="' in page
    assert "Score: 3 / 10" in page and "refresh" not in page
    assert "expected the body &#39;Hello alice from web&#39;, got &#39;TODO: greet the user&#39;" in page
    report = alice.get(f"/submissions/{sid}/report").get_data(as_text=True)
    assert "Grading report" in report and "2 hidden checks scored 1 of 5 points" in report

    second = submission_id(alice.submit(SLUG, SOLUTION))
    assert grade_all(app, grader_session) == ["recorded"]
    assert "Score: 10 / 10" in alice.get(f"/submissions/{second}").get_data(as_text=True)
    history = alice.get(f"/exercises/{SLUG}").get_data(as_text=True)
    assert f'href="/submissions/{sid}">#{sid}</a></th>' in history
    assert f'href="/submissions/{second}">#{second}</a> <span class="tag">counts</span>' in history
    listing = alice.get("/").get_data(as_text=True)
    assert f"10 / 10 <span class=\"muted\">(#{second}, best)</span>" in listing


def test_counting_last_and_late_penalty(app: Flask, alice: Browser, grader_session: Grader) -> None:
    now = utcnow()
    with db_of(app).session(write=True) as s:
        pub = s.scalars(select(Publication).where(Publication.slug == SLUG)).one()
        pub.counting, pub.due_at, pub.grace_minutes, pub.penalty_per_day = "last", now - dt.timedelta(hours=30), 0, 0.25
    first = submission_id(alice.submit(SLUG, SOLUTION))
    second = submission_id(alice.submit(SLUG, STARTER))
    grade_all(app, grader_session)
    page = alice.get(f"/submissions/{first}").get_data(as_text=True)
    assert "2 days late, −50%" in page and "Score: 5 / 10" in page  # 10 before the penalty
    listing = alice.get("/").get_data(as_text=True)
    assert f"(#{second}, last)" in listing  # the last attempt counts, though it scored less


def test_rate_limit_refuses_then_refills(app: Flask, alice: Browser) -> None:
    with db_of(app).session(write=True) as s:
        pub = s.scalars(select(Publication).where(Publication.slug == SLUG)).one()
        pub.bucket_size, pub.refill_minutes = 2, 30
    submission_id(alice.submit(SLUG, STARTER))
    submission_id(alice.submit(SLUG, STARTER))
    resp = alice.submit(SLUG, STARTER)
    assert resp.headers["Location"] == f"/exercises/{SLUG}"
    assert "used your 2 submissions for now; one more in about 30 minutes" in alice.get(
        f"/exercises/{SLUG}").get_data(as_text=True)
    with db_of(app).session(write=True) as s:
        bucket = s.scalars(select(RateBucket)).one()
        bucket.updated_at -= dt.timedelta(minutes=31)
    submission_id(alice.submit(SLUG, STARTER))


def test_a_closed_or_unopened_exercise_refuses_hand_ins(app: Flask, alice: Browser) -> None:
    with db_of(app).session(write=True) as s:
        pub = s.scalars(select(Publication).where(Publication.slug == SLUG)).one()
        pub.due_at = utcnow() - dt.timedelta(days=3)
        pub.last_accepted_at = utcnow() - dt.timedelta(days=1)
    resp = alice.submit(SLUG, SOLUTION)
    assert resp.headers["Location"] == f"/exercises/{SLUG}"
    assert "stopped accepting work" in alice.get(f"/exercises/{SLUG}").get_data(as_text=True)
    with db_of(app).session(write=True) as s:
        pub = s.scalars(select(Publication).where(Publication.slug == SLUG)).one()
        pub.opens_at, pub.due_at, pub.last_accepted_at = utcnow() + dt.timedelta(days=1), utcnow() + dt.timedelta(
            days=2), None
    assert alice.get(f"/exercises/{SLUG}").status_code == 404  # not open yet: not there for students


class _Broken:
    """A grader whose sandbox fails: what a grader fault looks like to the job."""

    def __init__(self) -> None:
        self.closed = 0

    def grade_many(self, *args: object, **kwargs: object) -> object:
        raise SandboxError("the zygote did not answer")

    def close(self) -> None:
        self.closed += 1


def test_a_grader_fault_is_retried_refunded_and_never_a_score(app: Flask, alice: Browser,
                                                               grader_session: Grader) -> None:
    with db_of(app).session(write=True) as s:
        pub = s.scalars(select(Publication).where(Publication.slug == SLUG)).one()
        pub.bucket_size = 1
    sid = submission_id(alice.submit(SLUG, SOLUTION))
    db, broken, requeued = db_of(app), _Broken(), []
    assert jobs.grade_job(db, broken, EXERCISES, sid, requeued.append) == "fault"  # type: ignore[arg-type]
    assert requeued == [sid] and broken.closed == 1
    with db.session() as s:
        row = s.get(Submission, sid)
        assert row is not None and (row.state, row.tries, row.refunded) == ("queued", 1, True)
        assert s.scalars(select(RateBucket)).one().tokens == 1.0  # the token came back
        assert s.scalar(select(func.count()).select_from(Result)) == 0
    page = alice.get(f"/submissions/{sid}").get_data(as_text=True)
    assert "Not graded yet. This is not your fault" in page and "Score:" not in page
    for _ in range(jobs.MAX_TRIES - 1):
        jobs.grade_job(db, broken, EXERCISES, sid, requeued.append)  # type: ignore[arg-type]
    with db.session() as s:
        row = s.get(Submission, sid)
        assert row is not None and row.state == "fault"  # parked: the sweeper retries it later
        assert s.scalars(select(RateBucket)).one().tokens == 1.0  # refunded once, not once per try
    assert requeued == [sid, sid]
    assert "Not graded yet. This is not your fault" in alice.get(f"/submissions/{sid}").get_data(as_text=True)
    sweeper = jobs.Sweeper(db, jobs.LocalPool(db, EXERCISES, 0), fault_retry_s=0)
    assert sweeper.sweep() == [sid]
    assert jobs.grade_job(db, grader_session, EXERCISES, sid, requeued.append) == "recorded"
    assert "Score: 10 / 10" in alice.get(f"/submissions/{sid}").get_data(as_text=True)


def test_a_result_is_recorded_once_however_often_the_job_is_delivered(app: Flask, alice: Browser,
                                                                      grader_session: Grader) -> None:
    sid = submission_id(alice.submit(SLUG, SOLUTION))
    db = db_of(app)
    token = jobs.claim(db, sid, dt.timedelta(minutes=5))
    assert token is not None and jobs.claim(db, sid, dt.timedelta(minutes=5)) is None  # taken
    # The worker seems dead: its lease runs out and the sweeper re-queues the job.
    with db.session(write=True) as s:
        row = s.get(Submission, sid)
        assert row is not None
        row.lease_until = utcnow() - dt.timedelta(seconds=1)
    pool = jobs.LocalPool(db, EXERCISES, 0)
    assert jobs.Sweeper(db, pool).sweep() == [sid]
    assert pool.tasks.get(timeout=5) == sid
    assert jobs.grade_job(db, grader_session, EXERCISES, sid, lambda _: None) == "recorded"
    # The first worker was only slow: its late result is not recorded, nor is a duplicate delivery graded.
    with db.session() as s:
        row = s.get(Submission, sid)
        assert row is not None
        late = full_report(row)
    assert late is not None and jobs.record(db, sid, token, "v", late) is False
    assert jobs.grade_job(db, grader_session, EXERCISES, sid, lambda _: None) == "skipped"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Result)) == 1


def test_waiting_jobs_are_graded_together_and_each_recorded_once(app: Flask, alice: Browser,
                                                                  grader_session: Grader) -> None:
    ids = [submission_id(alice.submit(SLUG, code)) for code in (STARTER, SOLUTION, "def broken(:\n")]
    db = db_of(app)
    assert jobs.grade_jobs(db, grader_session, EXERCISES, [*ids, ids[0]], lambda _: None) == {
        ids[0]: "recorded", ids[1]: "recorded", ids[2]: "recorded"}  # the repeated id was skipped, not graded
    with db.session() as s:
        rows = [s.get(Submission, sid) for sid in ids]
        assert [(r.result.score, r.result.status) for r in rows if r and r.result] == [
            (3.0, "graded"), (10.0, "graded"), (0.0, "error")]
        assert all(r is not None and r.loaded_at is not None for r in rows[:2])  # each had its own phases
        assert rows[2] is not None and rows[2].loaded_at is None  # it never loaded
        assert s.scalar(select(func.count()).select_from(Result)) == 3


def test_recover_requeues_what_a_dead_server_left_running(app: Flask, alice: Browser) -> None:
    a = submission_id(alice.submit(SLUG, STARTER))
    b = submission_id(alice.submit(SLUG, STARTER))
    db = db_of(app)
    assert jobs.claim(db, a, dt.timedelta(hours=1)) is not None
    pool = jobs.LocalPool(db, EXERCISES, 0)
    assert jobs.Sweeper(db, pool).recover() == [a, b]
    assert [pool.tasks.get(timeout=5), pool.tasks.get(timeout=5)] == [a, b]


@pytest.fixture
def instructor(app: Flask) -> Iterator[Browser]:
    b = Browser(app)
    b.login("teacher")
    yield b


def test_instructor_sees_every_submission_and_exports_grades(app: Flask, alice: Browser, instructor: Browser,
                                                             grader_session: Grader) -> None:
    sid = submission_id(alice.submit(SLUG, SOLUTION))
    grade_all(app, grader_session)
    page = instructor.get(f"/instructor/exercises/{SLUG}").get_data(as_text=True)
    assert f'href="/submissions/{sid}">#{sid}</a> (10 / 10)' in page
    full = instructor.get(f"/submissions/{sid}/report").get_data(as_text=True)
    assert "hidden" in full and "scored" not in full  # the instructor's report is the whole report
    csv_text = instructor.get("/instructor/grades.csv").get_data(as_text=True)
    lines = csv_text.splitlines()
    assert lines[0].startswith("student,auth-failed,") and lines[0].endswith(",total,note")
    alice_row = next(line for line in lines if line.startswith("alice,"))
    # The batch's notes: what is missing for one who handed in something, "no submission" for one who did not.
    assert ",10," in alice_row and alice_row.endswith(",10,missing or not graded: auth-failed avatar-upload "
                                                      "contact-form create-item not-found-json notes-methods "
                                                      "quiz-request-response return-types search-query "
                                                      "theme-cookie whoami-headers")
    assert next(line for line in lines if line.startswith("bob,")).endswith(",no submission")


def test_roster_import_makes_one_time_signup_links(app: Flask) -> None:
    from grader.portal.accounts import import_roster

    with db_of(app).session(write=True) as s:
        links = dict(import_roster(s, "\ufeffstudent,name\nCarol Smith,Carol\nalice,Alice again\ncarol smith,dup\n"))
    assert list(links) == ["carol-smith"]  # alice has an account; the duplicate row is one student
    b = Browser(app)
    page = f"/signup/{links['carol-smith']}"
    assert "Sign up as carol-smith" in b.get(page).get_data(as_text=True)
    short = b.post(page, {"password": "short", "confirm": "short"})
    assert short.status_code == 200 and "at least 10" in short.get_data(as_text=True)
    done = b.post(page, {"password": "a long passphrase", "confirm": "a long passphrase"})
    assert done.headers["Location"] == "/" and "Carol" in b.get("/").get_data(as_text=True)
    assert Browser(app).get(page).status_code == 404  # used: the link works once
    assert Browser(app).login("carol-smith", "a long passphrase").status_code == 302
    with db_of(app).session(write=True) as s, pytest.raises(GraderError, match="no `student`"):
        import_roster(s, "email\nx@example.org\n")
