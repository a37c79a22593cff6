"""What a student does: the exercise list, an exercise (statement, starter, hand-in, history), the status of
a submission while it is graded, and its feedback. Every page is rendered from the student's filtered report
(see :mod:`.visibility`); a student reaches only their own submissions, an instructor reaches all of them."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from ..handout import handout_files
from ..render.html import render_html, render_statement
from .app import exercise_or_404 as _exercise
from .app import state
from .course import Refused, attempts, counting, full_report, shown_report, student_window, submit
from .forms import SubmitForm
from .jobs import queue_status
from .models import Publication, Submission, User, utcnow
from .uploads import UploadError, from_paste, from_upload, pack, unpack

bp = Blueprint("student", __name__)


def _publication(s: Session, slug: str) -> Publication:
    pub = s.scalars(select(Publication).where(Publication.slug == slug)).first()
    if pub is None or (not current_user.is_instructor and utcnow() < pub.opens_at):
        abort(404)
    return pub


def _user(s: Session) -> User:
    user = s.get(User, current_user.id)
    if user is None:
        abort(403)
    return user


def _own_submission(s: Session, submission_id: int) -> Submission:
    row = s.get(Submission, submission_id)
    # 404, not 403, for another student's id: whether it exists is not theirs to know either.
    if row is None or (row.user_id != current_user.id and not current_user.is_instructor):
        abort(404)
    return row


@bp.route("/")
@login_required
def index() -> str:
    now = utcnow()
    rows = []
    with state().db.session() as s:
        user = _user(s)
        pubs = s.scalars(select(Publication).order_by(Publication.due_at, Publication.slug)).all()
        for pub in pubs:
            if now < pub.opens_at and not user.is_instructor:
                continue
            views = attempts(s, pub, user, now)
            graded = [v for v in views if v.score is not None]
            rows.append({"pub": pub, "window": student_window(s, pub, user), "n": len(views),
                         "latest": graded[-1] if graded else None, "counting": counting(pub, views)})
    return render_template("index.html.j2", rows=rows, now=now)


@bp.route("/exercises/<slug>")
@login_required
def exercise(slug: str) -> str:
    now = utcnow()
    ex = _exercise(slug)
    with state().db.session() as s:
        pub = _publication(s, slug)
        user = _user(s)
        views = attempts(s, pub, user, now)
        return render_template("exercise.html.j2", pub=pub, ex=ex, statement=render_statement(ex.statement),
                               window=student_window(s, pub, user), views=views, counting=counting(pub, views),
                               form=SubmitForm(), now=now)


@bp.route("/exercises/<slug>/starter.zip")
@login_required
def starter(slug: str) -> Response:
    ex = _exercise(slug)
    with state().db.session() as s:
        _publication(s, slug)
    resp = Response(pack(handout_files(ex)), mimetype="application/zip")
    resp.headers["Content-Disposition"] = f'attachment; filename="{ex.slug}-starter.zip"'
    return resp


@bp.route("/exercises/<slug>/submit", methods=["POST"])
@login_required
def hand_in(slug: str) -> Response:
    ex = _exercise(slug)
    form = SubmitForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        upload = form.upload.data
        if isinstance(upload, FileStorage) and upload.filename:
            files = from_upload(upload.filename, upload.read(), ex.entry)
        elif form.code.data and form.code.data.strip():
            files = from_paste(form.code.data, ex.entry)
        else:
            raise UploadError(f"choose a file to upload or paste your {ex.entry}")
    except UploadError as exc:
        flash(exc.message, "error")
        return redirect(url_for("student.exercise", slug=slug))
    portal = state()
    with portal.db.session(write=True) as s:
        pub = _publication(s, slug)
        try:
            row = submit(s, pub, _user(s), files, utcnow())
        except Refused as exc:
            flash(exc.message + (f" ({exc.tip})" if exc.tip else ""), "error")
            return redirect(url_for("student.exercise", slug=slug))
        sid = row.id
    # The row is committed: only now does its id go to the queue (if this line never runs, the sweeper sends it).
    portal.dispatcher.enqueue(sid)
    return redirect(url_for("student.submission", submission_id=sid))


def _status(s: Session, row: Submission) -> dict[str, object]:
    portal = state()  # with a broker, the worker processes its dispatcher last counted listening
    workers = portal.celery.processes if portal.celery is not None else portal.config.workers
    return asdict(queue_status(s, row, max(1, workers), portal.job_times))


@bp.route("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int) -> str:
    now = utcnow()
    with state().db.session() as s:
        row = _own_submission(s, submission_id)
        mine = row.user_id == current_user.id
        report = shown_report(s, row, now) if mine else full_report(row)
        status = _status(s, row)
        points = report.score * (1.0 - row.penalty) if report is not None else None
        return render_template("submission.html.j2", row=row, report=report, status=status, points=points,
                               mine=mine)


MAX_WAIT_S = 10.0  # the longest one status request is held open (a queued job's position is refreshed as often)


def _poll_hint(status: dict[str, object]) -> float:
    """When a client that could not wait should ask again: a job far down the queue need not ask every second."""
    wait = status.get("wait_s")
    return min(10.0, max(1.0, wait / 4)) if isinstance(wait, (int, float)) else 1.0


@bp.route("/submissions/<int:submission_id>/status.json")
@login_required
def submission_status(submission_id: int) -> dict[str, object]:
    """The job's status. With ``?wait=S&state=…&phase=…`` (what the page last showed) it is a long poll: the
    answer comes when the job has moved on from that, or after S seconds (at most :data:`MAX_WAIT_S`).
    ``next_poll_s`` says when to ask again: 0 after a request that waited, more when the server was too busy
    to hold one open."""
    portal = state()
    wait_s = min(max(request.args.get("wait", 0.0, type=float) or 0.0, 0.0), MAX_WAIT_S)
    known = (request.args.get("state", ""), request.args.get("phase", ""))
    with portal.db.session() as s:
        status = _status(s, _own_submission(s, submission_id))
    waited = False
    if wait_s > 0 and status["state"] != "done" and known == (status["state"], status["phase"]):
        waited = portal.watch.wait(submission_id, known, wait_s)
        if waited:
            with portal.db.session() as s:
                status = _status(s, _own_submission(s, submission_id))
    status["next_poll_s"] = 0.0 if waited or status["state"] == "done" else _poll_hint(status)
    return status


@bp.route("/submissions/<int:submission_id>/report")
@login_required
def report(submission_id: int) -> Response:
    now = utcnow()
    with state().db.session() as s:
        row = _own_submission(s, submission_id)
        rep = shown_report(s, row, now) if row.user_id == current_user.id else full_report(row)
    if rep is None:
        abort(404)
    return Response(render_html(rep), mimetype="text/html")


@bp.route("/submissions/<int:submission_id>/code")
@login_required
def code(submission_id: int) -> str:
    with state().db.session() as s:
        row = _own_submission(s, submission_id)
        files = {name: data.decode("utf-8", errors="replace") for name, data in unpack(row.files).items()}
        return render_template("code.html.j2", row=row, files=files)
