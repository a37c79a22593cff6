"""The status page's long poll: ``status.json?wait=S`` answers when the job moves on, after S seconds when it
does not, and at once (with a later ``next_poll_s``) when every slot for a waiting request is taken."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from portal_support import EXERCISES, Browser, make_app, submission_id

from grader.portal import jobs
from grader.portal.db import Database
from grader.spec import load_exercise

SLUG = "login-greeting"
STARTER = (EXERCISES / SLUG / "starter" / "app.py").read_text()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    made = make_app(tmp_path, long_polls=1)
    yield made
    made.extensions["grader_portal"].watch.stop()
    made.extensions["grader_portal"].db.dispose()


def _alice(app: Flask) -> Browser:
    b = Browser(app)
    assert b.login("alice").status_code == 302
    return b


def _status(b: Browser, sid: int, query: str = "") -> tuple[dict[str, Any], float]:
    t = time.monotonic()
    resp = b.get(f"/submissions/{sid}/status.json{query}")
    assert resp.status_code == 200
    body = resp.json
    assert isinstance(body, dict)
    return body, time.monotonic() - t


def _db(app: Flask) -> Database:
    db: Database = app.extensions["grader_portal"].db
    return db


def test_a_long_poll_answers_when_the_job_is_claimed(app: Flask) -> None:
    alice = _alice(app)
    sid = submission_id(alice.submit(SLUG, STARTER))
    lease = jobs.lease_for(load_exercise(SLUG, EXERCISES))
    # A worker claims the job 0.4 s into the wait: the answer comes then, not at the end of the 8 s.
    timer = threading.Timer(0.4, jobs.claim, args=(_db(app), sid, lease))
    timer.start()
    body, took = _status(alice, sid, "?wait=8&state=queued&phase=queued")
    timer.join()
    assert (body["state"], body["phase"], body["position"]) == ("running", "loading", None)
    assert 0.4 <= took < 3.0
    assert body["next_poll_s"] == 0.0  # it waited: the page may ask again at once
    # The next long poll (the watching thread has been idle in between) wakes at the next phase just the same.
    time.sleep(0.3)
    token = _db(app).engine.connect().exec_driver_sql(f"SELECT claim FROM submissions WHERE id = {sid}").scalar()
    timer = threading.Timer(0.4, jobs.loaded, args=(_db(app), sid, token))
    timer.start()
    body, took = _status(alice, sid, "?wait=8&state=running&phase=loading")
    timer.join()
    assert body["phase"] == "checking" and 0.4 <= took < 3.0


def test_a_job_that_starts_and_moves_on_quickly_is_answered_once(app: Flask) -> None:
    alice = _alice(app)
    sid = submission_id(alice.submit(SLUG, STARTER))
    db = _db(app)
    claimed: list[str | None] = []
    lease = jobs.lease_for(load_exercise(SLUG, EXERCISES))
    first = threading.Timer(0.2, lambda: claimed.append(jobs.claim(db, sid, lease)))
    then = threading.Timer(0.45, lambda: jobs.loaded(db, sid, claimed[0] or ""))
    first.start()
    then.start()
    body, took = _status(alice, sid, "?wait=8&state=queued&phase=queued")
    first.join()
    then.join()
    # Loading lasted a quarter of a second: the one answer already says checking, and came within the settle time.
    assert body["phase"] == "checking" and 0.45 <= took < 0.2 + 0.5 + 1.0


def test_a_long_poll_with_nothing_new_ends_after_its_wait(app: Flask) -> None:
    alice = _alice(app)
    sid = submission_id(alice.submit(SLUG, STARTER))
    body, took = _status(alice, sid, "?wait=0.6&state=queued&phase=queued")
    assert (body["state"], body["position"], body["next_poll_s"]) == ("queued", 1, 0.0)
    assert 0.6 <= took < 3.0


def test_a_page_behind_the_job_is_answered_at_once(app: Flask) -> None:
    alice = _alice(app)
    sid = submission_id(alice.submit(SLUG, STARTER))
    jobs.claim(_db(app), sid, jobs.lease_for(load_exercise(SLUG, EXERCISES)))
    body, took = _status(alice, sid, "?wait=8&state=queued&phase=queued")  # it still shows "queued"
    assert body["phase"] == "loading" and took < 2.0


def test_with_every_slot_taken_a_status_request_does_not_wait(app: Flask) -> None:
    alice, again = _alice(app), _alice(app)
    first = submission_id(alice.submit(SLUG, STARTER))
    second = submission_id(alice.submit(SLUG, STARTER))
    held: list[float] = []
    waiter = threading.Thread(target=lambda: held.append(_status(alice, first, "?wait=2&state=queued&phase=queued")[1]))
    waiter.start()
    time.sleep(0.3)  # the one slot (long_polls=1) is taken
    body, took = _status(again, second, "?wait=8&state=queued&phase=queued")
    waiter.join()
    assert took < 1.5 and held and held[0] >= 2.0
    assert body["state"] == "queued" and body["position"] == 2
    assert body["next_poll_s"] >= 1.0  # ask again later, not at once


def test_the_wait_is_capped(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.portal import student

    monkeypatch.setattr(student, "MAX_WAIT_S", 0.5)
    alice = _alice(app)
    sid = submission_id(alice.submit(SLUG, STARTER))
    body, took = _status(alice, sid, "?wait=1e9&state=queued&phase=queued")  # no thread is held for ever
    assert body["state"] == "queued" and 0.5 <= took < 3.0
