"""The instructor's pages, end to end in one process: publishing with dates and policies, extensions, the
roster and its one-time links, a regrade after a check changed (with its before/after table), the live
dashboard and grades.csv. Jobs are graded by the function the pool's workers run, with the session's grader."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from portal_support import EXERCISES, Browser, make_app, submission_id
from sqlalchemy import select

from grader.grading import Grader
from grader.portal import jobs
from grader.portal.db import Database
from grader.portal.models import Publication, RateBucket, Submission, utcnow

SLUG = "login-greeting"
STARTER = (EXERCISES / SLUG / "starter" / "app.py").read_text()
SOLUTION = (EXERCISES / SLUG / "solution" / "app.py").read_text()


def db_of(app: Flask) -> Database:
    db: Database = app.extensions["grader_portal"].db
    return db


def grade_all(app: Flask, grader: Grader) -> list[str]:
    db, where = db_of(app), app.extensions["grader_portal"].config.exercises_dir
    with db.session() as s:
        ids = list(s.scalars(select(Submission.id).where(Submission.state == "queued").order_by(Submission.id)))
    return [jobs.grade_job(db, grader, where, sid, lambda _: None) for sid in ids]


def login(app: Flask, user: str) -> Browser:
    b = Browser(app)
    assert b.login(user).status_code == 302
    return b


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """On SQLite (the default) and on a real PostgreSQL."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    made = make_app(tmp_path, db_url=url)
    yield made
    db_of(made).dispose()


def _settings(**changes: str) -> dict[str, str]:
    now = utcnow().replace(second=0, microsecond=0)
    form = {"opens_at": f"{now - dt.timedelta(hours=1):%Y-%m-%dT%H:%M}",
            "due_at": f"{now + dt.timedelta(days=2):%Y-%m-%dT%H:%M}", "grace_minutes": "5", "penalty_percent": "20",
            "last_accepted_at": "", "counting": "last", "bucket_size": "2", "refill_minutes": "60"}
    return {**form, **changes}


def test_publishing_sets_the_dates_late_policy_counting_and_rate_limit(app: Flask) -> None:
    with db_of(app).session(write=True) as s:  # not published yet: the demo publishes everything
        s.delete(s.scalars(select(Publication).where(Publication.slug == SLUG)).one())
    teacher, alice = login(app, "teacher"), login(app, "alice")
    index = teacher.get("/instructor/").get_data(as_text=True)
    assert f'href="/instructor/publish/{SLUG}">publish' in index
    assert alice.get(f"/exercises/{SLUG}").status_code == 404
    form = teacher.get(f"/instructor/publish/{SLUG}").get_data(as_text=True)
    assert 'type="datetime-local"' in form and 'name="bucket_size"' in form
    bad = teacher.post(f"/instructor/publish/{SLUG}", _settings(due_at="2000-01-01T00:00"))
    assert bad.status_code == 200 and "the due date is before the opening date" in bad.get_data(as_text=True)
    resp = teacher.post(f"/instructor/publish/{SLUG}", _settings())
    assert resp.headers["Location"] == f"/instructor/exercises/{SLUG}"
    with db_of(app).session() as s:
        pub = s.scalars(select(Publication).where(Publication.slug == SLUG)).one()
        assert (pub.grace_minutes, pub.penalty_per_day, pub.counting, pub.bucket_size, pub.refill_minutes) == (
            5, 0.2, "last", 2, 60.0)
    page = alice.get(f"/exercises/{SLUG}").get_data(as_text=True)
    assert "20% off per day late" in page and "2 at a time, one more every 60 minutes" in page
    assert "your last attempt" in page
    # The rate limit the form set is the one hand-ins meet: two, then a wait of about an hour.
    submission_id(alice.submit(SLUG, STARTER))
    submission_id(alice.submit(SLUG, STARTER))
    assert alice.submit(SLUG, STARTER).headers["Location"] == f"/exercises/{SLUG}"
    assert "used your 2 submissions for now; one more in about 60 minutes" in alice.get(
        f"/exercises/{SLUG}").get_data(as_text=True)
    # The settings page shows what is saved, and saving it again changes nothing.
    again = teacher.get(f"/instructor/publish/{SLUG}").get_data(as_text=True)
    assert 'name="penalty_percent" required step="any" type="number" value="20"' in again
    assert '<option selected value="last">' in again


def test_a_grader_fault_gives_the_token_back_under_the_published_limit(app: Flask) -> None:
    teacher, alice = login(app, "teacher"), login(app, "alice")
    teacher.post(f"/instructor/publish/{SLUG}", _settings(bucket_size="1"))
    sid = submission_id(alice.submit(SLUG, SOLUTION))
    assert alice.submit(SLUG, SOLUTION).headers["Location"] == f"/exercises/{SLUG}"  # the one token is spent

    class Broken:
        def grade_many(self, *args: object, **kwargs: object) -> object:
            raise OSError("the zygote is gone")

        def close(self) -> None:
            pass

    assert jobs.grade_job(db_of(app), Broken(), EXERCISES, sid, lambda _: None) == "fault"  # type: ignore[arg-type]
    with db_of(app).session() as s:
        assert s.scalars(select(RateBucket)).one().tokens == 1.0
    submission_id(alice.submit(SLUG, SOLUTION))  # the refunded token lets her hand in again


def test_an_extension_moves_a_students_due_date_and_spares_the_penalty(app: Flask, grader_session: Grader) -> None:
    teacher, alice, bob = login(app, "teacher"), login(app, "alice"), login(app, "bob")
    now = utcnow().replace(second=0, microsecond=0)
    teacher.post(f"/instructor/publish/{SLUG}", _settings(due_at=f"{now - dt.timedelta(hours=3):%Y-%m-%dT%H:%M}",
                                                          opens_at=f"{now - dt.timedelta(days=1):%Y-%m-%dT%H:%M}",
                                                          bucket_size="5"))
    later = f"{now + dt.timedelta(days=1):%Y-%m-%dT%H:%M}"
    resp = teacher.post(f"/instructor/exercises/{SLUG}/extensions", {"username": "alice", "due_at": later},
                        form_page=f"/instructor/exercises/{SLUG}")
    assert resp.headers["Location"] == f"/instructor/exercises/{SLUG}"
    page = teacher.get(f"/instructor/exercises/{SLUG}").get_data(as_text=True)
    assert "alice is due" in page and "alice: due" in page
    unknown = teacher.post(f"/instructor/exercises/{SLUG}/extensions", {"username": "nobody", "due_at": later},
                           form_page=f"/instructor/exercises/{SLUG}", follow_redirects=True)
    assert "there is no student `nobody`" in unknown.get_data(as_text=True)
    a = submission_id(alice.submit(SLUG, SOLUTION))
    b = submission_id(bob.submit(SLUG, SOLUTION))
    grade_all(app, grader_session)
    assert "Score: 10 / 10" in alice.get(f"/submissions/{a}").get_data(as_text=True)
    assert "1 day late, −20%" in bob.get(f"/submissions/{b}").get_data(as_text=True)
    assert "Score: 8 / 10" in bob.get(f"/submissions/{b}").get_data(as_text=True)
    # Removing it (an empty date) puts her back on the class's due date for what she hands in next.
    teacher.post(f"/instructor/exercises/{SLUG}/extensions", {"username": "alice", "due_at": ""},
                 form_page=f"/instructor/exercises/{SLUG}")
    assert "alice: due" not in teacher.get(f"/instructor/exercises/{SLUG}").get_data(as_text=True)
    a2 = submission_id(alice.submit(SLUG, SOLUTION))
    assert "1 day late" in alice.get(f"/submissions/{a2}").get_data(as_text=True)


def test_roster_upload_makes_one_time_links_to_show_and_download(app: Flask) -> None:
    teacher = login(app, "teacher")
    roster = "student,name,section\nCarol Smith,Carol,A\nalice,Alice,B\ndave,Dave,A\n"
    page = teacher.post("/instructor/roster", {"upload": (io.BytesIO(roster.encode()), "roster.csv")},
                        content_type="multipart/form-data").get_data(as_text=True)
    assert "2 new sign-up links" in page  # alice has an account already
    links = re.findall(r'<code class="link">(https://localhost/signup/[^<]+)</code>', page)
    assert [u.rsplit("/", 1)[0] for u in links] == ["https://localhost/signup"] * 2
    tokens = re.findall(r'name="token" value="([^"]+)"', page)
    assert len(tokens) == 2
    got = teacher.post("/instructor/roster/links.csv", {"token": [*tokens, "forged"]}, form_page="/instructor/")
    assert got.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(got.get_data(as_text=True))))
    assert [(r["student"], r["name"]) for r in rows] == [("carol-smith", "Carol"), ("dave", "Dave")]
    assert [r["signup_link"] for r in rows] == links  # the forged token is not in it
    carol = Browser(app)
    signup = links[0].removeprefix("https://localhost")
    assert carol.post(signup, {"password": "a long passphrase", "confirm": "a long passphrase"}).status_code == 302
    again = teacher.post("/instructor/roster/links.csv", {"token": tokens}, form_page="/instructor/")
    assert [r["student"] for r in csv.DictReader(io.StringIO(again.get_data(as_text=True)))] == ["dave"]
    listing = teacher.get("/instructor/roster").get_data(as_text=True)
    assert "3 students" in listing and "dave <span class=\"muted\">(not signed up yet)" in listing
    bad = teacher.post("/instructor/roster", {"text": "email\nx@example.org\n"}, form_page="/instructor/roster")
    assert "the roster has no `student`" in bad.get_data(as_text=True)


def test_grades_csv_follows_the_roster_with_its_columns_notes_and_penalties(app: Flask,
                                                                           grader_session: Grader) -> None:
    teacher = login(app, "teacher")
    teacher.post("/instructor/roster", {"text": "student,section\nbob,A\nzoe,B\nalice,A\n"},
                 form_page="/instructor/roster")
    with db_of(app).session(write=True) as s:
        pub = s.scalars(select(Publication).where(Publication.slug == SLUG)).one()
        pub.due_at, pub.grace_minutes, pub.penalty_per_day = utcnow() - dt.timedelta(hours=2), 0, 0.5
    alice = login(app, "alice")
    submission_id(alice.submit(SLUG, SOLUTION))
    grade_all(app, grader_session)
    table = list(csv.reader(io.StringIO(teacher.get("/instructor/grades.csv").get_data(as_text=True))))
    assert table[0][:2] == ["student", "section"] and table[0][-2:] == ["total", "note"]
    assert [r[0] for r in table[1:]] == ["bob", "zoe", "alice"]  # the roster's order
    at = table[0].index(SLUG)
    alice_row = table[3]
    assert alice_row[1] == "A" and alice_row[at] == "5" and alice_row[-2] == "5"
    assert alice_row[-1].startswith("missing or not graded: ") and alice_row[-1].endswith(f"late: {SLUG} −50%")
    assert table[1][-1] == "no submission" and table[2][-1] == "no submission"


@pytest.fixture
def changing(tmp_path: Path) -> tuple[Flask, Path]:
    """An app on a copy of the exercises, so a test can change a check the way an instructor would."""
    root = tmp_path / "exercises"
    shutil.copytree(EXERCISES / SLUG, root / SLUG)
    return make_app(tmp_path, exercises=root), root / SLUG / "checks" / "test_visible.py"


@pytest.mark.parametrize(("scope", "expected"), [
    ("latest", {"alice": [(10, 8)], "bob": [(10, 8)]}),
    ("all", {"alice": [(3, 1), (10, 8)], "bob": [(10, 8)]}),
])
def test_regrade_after_a_check_changes_shows_whose_score_changed(changing: tuple[Flask, Path], scope: str,
                                                                 expected: dict[str, list[tuple[int, int]]],
                                                                 grader_session: Grader) -> None:
    app, check_file = changing
    alice, bob, teacher = login(app, "alice"), login(app, "bob"), login(app, "teacher")
    first = submission_id(alice.submit(SLUG, STARTER))
    submission_id(alice.submit(SLUG, SOLUTION))
    submission_id(bob.submit(SLUG, SOLUTION))
    assert grade_all(app, grader_session) == ["recorded"] * 3
    # The instructor decides GET /login should be 404: the 2 points of rejects-get now fail for everyone.
    check_file.write_text(check_file.read_text().replace("expect_status(resp, 405)", "expect_status(resp, 404)"))
    resp = teacher.post(f"/instructor/exercises/{SLUG}/regrade", {"scope": scope},
                        form_page=f"/instructor/exercises/{SLUG}")
    page_url = resp.headers["Location"]
    pending = teacher.get(page_url).get_data(as_text=True)
    n = sum(len(v) for v in expected.values())
    assert f"0 of {n} regraded" in pending and "live.js" in pending and 'http-equiv="refresh"' in pending
    if scope == "all":  # a regraded submission is waiting again, and its student sees that
        assert "Status: <span id=\"phase\">queued</span>" in alice.get(f"/submissions/{first}").get_data(as_text=True)
    assert grade_all(app, grader_session) == ["recorded"] * n
    live = teacher.get(page_url + "?part=live").get_data(as_text=True)
    assert "<html" not in live and f"{n} of {n} regraded; <strong>{n}</strong> scores changed" in live
    got: dict[str, list[tuple[int, int]]] = {}
    for student, before, after in re.findall(
            r'<th scope="row">(\w+)</th>\s*<td><a [^>]+>#\d+</a></td>\s*<td>(\d+) / 10</td>\s*<td>(\d+) / 10</td>',
            live):
        got.setdefault(student, []).append((int(before), int(after)))
    assert {k: sorted(v) for k, v in got.items()} == expected
    assert "8 / 10" in bob.get("/").get_data(as_text=True)  # the new round is what the student now sees
    listed = teacher.get(f"/instructor/exercises/{SLUG}").get_data(as_text=True)
    assert f'href="{page_url}">Regrade #' in listed


def test_dashboard_shows_the_class_live(app: Flask, grader_session: Grader) -> None:
    teacher, alice, bob = login(app, "teacher"), login(app, "alice"), login(app, "bob")
    with db_of(app).session(write=True) as s:
        pub = s.scalars(select(Publication).where(Publication.slug == SLUG)).one()
        pub.due_at = utcnow() + dt.timedelta(minutes=30)
    url = f"/instructor/exercises/{SLUG}/dashboard"
    empty = teacher.get(url).get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in empty and "live.js" in empty
    assert "No graded attempt yet." in empty and "<li>alice</li>" in empty and "<li>bob</li>" in empty
    submission_id(alice.submit(SLUG, STARTER))
    queued = teacher.get(url + "?part=live").get_data(as_text=True)
    assert "<html" not in queued and "1 queued, 0 being graded, 0 graded" in queued
    assert "<li>alice</li>" not in queued and "min before the due date" in queued
    submission_id(bob.submit(SLUG, SOLUTION))
    grade_all(app, grader_session)
    live = teacher.get(url + "?part=live").get_data(as_text=True)
    assert '<dd id="graded-n">2</dd>' in live and "Everyone has handed in." in live
    # The class report's figures: the histogram (one bin per point), pass rates and the matrix.
    hist = dict(re.findall(r'<tr><th scope="row">(\d+)</th><td>(\d+)</td>', live))
    assert hist["3"] == "1" and hist["10"] == "1" and sum(map(int, hist.values())) == 2
    assert re.search(r"rejects-get\)</span></th><td>2</td><td>2</td><td>0</td><td>0</td><td>0</td>\s*<td>100%", live)
    assert re.search(r"greets-user\)</span></th><td>3</td><td>1</td><td>1</td><td>0</td><td>0</td>\s*<td>50%", live)
    assert re.search(r'>alice</a></th>\s*<td>3</td>\s*<td class="cell failed">failed</td>', live)
    assert re.search(r'>bob</a></th>\s*<td>10</td>\s*<td class="cell passed">passed</td>', live)


def test_the_web_side_loads_each_exercise_once_until_a_file_of_it_changes(tmp_path: Path) -> None:
    import os
    import threading

    from grader.portal.app import Exercises

    shutil.copytree(EXERCISES / SLUG, tmp_path / SLUG)
    exercises = Exercises(tmp_path)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(exercises.get(SLUG))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 16 and all(g is got[0] for g in got)  # loaded once, whichever thread came first
    spec = tmp_path / SLUG / "exercise.yaml"
    spec.write_text(spec.read_text().replace("points: 3", "points: 4", 1))
    os.utime(spec, ns=(spec.stat().st_atime_ns, spec.stat().st_mtime_ns + 10**9))
    assert exercises.get(SLUG) is not got[0] and exercises.get(SLUG).max_score == 11
