"""What an instructor does: publish an exercise with its dates and policies, give extensions, import the roster
(one-time sign-up links), regrade after a check changes (with a before/after table), watch a live dashboard per
exercise, see every student's submissions, and export grades.csv in the batch's format."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from ..errors import GraderError
from .accounts import import_roster, open_signup
from .app import exercise_or_404 as _exercise
from .app import state
from .classdata import class_data, near_deadline
from .classdata import grades as grades_text
from .course import AttemptView, attempts, counting, extensions, publish, regrade, regrade_lines, set_extension
from .forms import EmptyForm, ExtensionForm, PublishForm, RegradeForm, RosterForm
from .models import Publication, Regrade, RosterEntry, Submission, User, utcnow

bp = Blueprint("instructor", __name__, url_prefix="/instructor")
F = TypeVar("F", bound=Callable[..., Any])
ROSTER_MAX_BYTES = 1024 * 1024


def instructor_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_instructor:
            abort(403)
        return view(*args, **kwargs)
    return login_required(wrapped)


def _publication(s: Session, slug: str) -> Publication:
    pub = s.scalars(select(Publication).where(Publication.slug == slug)).first()
    if pub is None:
        abort(404)
    return pub


def _me(s: Session) -> User:
    user = s.get(User, current_user.id)
    if user is None:
        abort(403)
    return user


def _class(slug: str | None = None) -> tuple[list[Publication], list[User], dict[tuple[int, int], tuple[
        list[AttemptView], AttemptView | None]]]:
    now = utcnow()
    with state().db.session() as s:
        q = select(Publication).order_by(Publication.due_at, Publication.slug)
        if slug is not None:
            q = q.where(Publication.slug == slug)
        pubs = list(s.scalars(q))
        if slug is not None and not pubs:
            abort(404)
        students = list(s.scalars(select(User).where(User.role == "student").order_by(User.username)))
        table = {}
        for pub in pubs:
            for user in students:
                views = attempts(s, pub, user, now, full=True)
                table[(pub.id, user.id)] = (views, counting(pub, views))
    return pubs, students, table


@bp.route("/")
@instructor_required
def index() -> str:
    pubs, students, table = _class()
    published = {p.slug for p in pubs}
    try:
        unpublished = [ex for ex in state().exercises.all() if ex.slug not in published]
    except GraderError as exc:
        flash(f"the exercises folder cannot be read: {exc.message}", "error")
        unpublished = []
    return render_template("instructor.html.j2", pubs=pubs, students=students, table=table, unpublished=unpublished)


# ----------------------------------------------------------------------------- publishing and extensions


def _minute(value: dt.datetime) -> dt.datetime:
    return value.replace(second=0, microsecond=0)


@bp.route("/publish/<slug>", methods=["GET", "POST"])
@instructor_required
def settings(slug: str) -> str | Response:
    ex = _exercise(slug)
    with state().db.session(write=True) as s:
        pub = s.scalars(select(Publication).where(Publication.slug == slug)).first()
        form = PublishForm(obj=None)
        if request.method == "GET":
            now = _minute(utcnow())
            if pub is None:
                form.opens_at.data, form.due_at.data = now, now + dt.timedelta(days=7)
            else:
                form.opens_at.data, form.due_at.data = pub.opens_at, pub.due_at
                form.last_accepted_at.data, form.grace_minutes.data = pub.last_accepted_at, pub.grace_minutes
                form.penalty_percent.data = Decimal(f"{pub.penalty_per_day * 100:g}")
                form.counting.data, form.bucket_size.data = pub.counting, pub.bucket_size
                form.refill_minutes.data = Decimal(f"{pub.refill_minutes:g}")
                form.grades_published.data = pub.grades_published
        elif form.validate_on_submit():
            assert form.opens_at.data and form.due_at.data and form.bucket_size.data is not None
            try:
                pub = publish(s, ex, opens_at=form.opens_at.data, due_at=form.due_at.data,
                              grace_minutes=form.grace_minutes.data or 0,
                              penalty_per_day=float(form.penalty_percent.data or 0) / 100,
                              last_accepted_at=form.last_accepted_at.data, counting=form.counting.data or "best",
                              bucket_size=form.bucket_size.data, refill_minutes=float(form.refill_minutes.data or 0))
            except GraderError as exc:
                s.rollback()
                flash(exc.message, "error")
            else:
                pub.grades_published = bool(form.grades_published.data)
                flash(f"Published {ex.slug}.", "status")
                return redirect(url_for("instructor.exercise", slug=slug))
        return render_template("publish.html.j2", ex=ex, pub=pub, form=form)


@bp.route("/exercises/<slug>")
@instructor_required
def exercise(slug: str) -> str:
    pubs, students, table = _class(slug)
    with state().db.session() as s:
        pub = _publication(s, slug)
        given = extensions(s, pub)
        regrades = list(s.scalars(select(Regrade).where(Regrade.publication_id == pub.id)
                                  .order_by(Regrade.id.desc())))
        return render_template("instructor_exercise.html.j2", pub=pubs[0], students=students, table=table,
                               extensions=given, regrades=regrades, extension_form=ExtensionForm(),
                               regrade_form=RegradeForm())


@bp.route("/exercises/<slug>/extensions", methods=["POST"])
@instructor_required
def extension(slug: str) -> Response:
    form = ExtensionForm()
    if not form.validate_on_submit():
        flash("Name a student and a date (or leave the date empty to remove their extension).", "error")
        return redirect(url_for("instructor.exercise", slug=slug))
    with state().db.session(write=True) as s:
        pub = _publication(s, slug)
        try:
            user = set_extension(s, pub, form.username.data or "", form.due_at.data)
        except GraderError as exc:
            s.rollback()
            flash(exc.message + (f" ({exc.tip})" if exc.tip else ""), "error")
        else:
            flash(f"{user.username} is due {form.due_at.data:%Y-%m-%d %H:%M} UTC." if form.due_at.data
                  else f"{user.username} has no extension now.", "status")
    return redirect(url_for("instructor.exercise", slug=slug))


# ----------------------------------------------------------------------------- regrades


@bp.route("/exercises/<slug>/regrade", methods=["POST"])
@instructor_required
def start_regrade(slug: str) -> Response:
    _exercise(slug)  # the exercise as it is now on disk is what the new round is graded with
    form = RegradeForm()
    if not form.validate_on_submit():
        abort(400)
    portal = state()
    with portal.db.session(write=True) as s:
        job = regrade(s, _publication(s, slug), form.scope.data or "latest", _me(s), utcnow())
        rid, ids = job.id, [item.submission_id for item in job.items]
    for sid in ids:  # committed first: a lost id is found by the sweeper
        portal.dispatcher.enqueue(sid)
    return redirect(url_for("instructor.regrade_page", regrade_id=rid))


@bp.route("/regrades/<int:regrade_id>")
@instructor_required
def regrade_page(regrade_id: int) -> str:
    with state().db.session() as s:
        job = s.get(Regrade, regrade_id)
        if job is None:
            abort(404)
        lines = regrade_lines(s, job)
        page = "_regrade_live.html.j2" if request.args.get("part") == "live" else "regrade.html.j2"
        return render_template(page, job=job, lines=lines, pending=sum(not x.done for x in lines),
                               changed=sum(x.changed for x in lines))


# ----------------------------------------------------------------------------- the live dashboard


@bp.route("/exercises/<slug>/dashboard")
@instructor_required
def dashboard(slug: str) -> str:
    """The class report's figures for one exercise, live: the page polls ``?part=live`` (or, with JavaScript
    off, reloads itself) and swaps in the new figures."""
    ex = _exercise(slug)
    now = utcnow()
    with state().db.session() as s:
        pub = _publication(s, slug)
        data = class_data(s, [(pub, ex)], now)
        summary = data.summary["exercises"][0]
        on_roster = {data.roster.student(r) for r in data.roster.rows}
        accounts = set(s.scalars(select(User.username).where(User.role == "student")))
        handed_in = set(s.scalars(select(User.username).join(Submission, Submission.user_id == User.id)
                                  .where(Submission.publication_id == pub.id)))
        missing = sorted((on_roster | accounts) - handed_in)
        queue = {str(st): int(n) for st, n in s.execute(
            select(Submission.state, func.count()).where(Submission.publication_id == pub.id)
            .group_by(Submission.state))}
        near = near_deadline(s, pub, now)
        page = "_dashboard_live.html.j2" if request.args.get("part") == "live" else "dashboard.html.j2"
        return render_template(page, pub=pub, ex=ex, summary=summary, missing=missing, queue=queue, near=near,
                               now=now, no_account=sorted(on_roster - accounts),
                               counted={student: v.row.id for (student, _), v in data.chosen.items()})


# ----------------------------------------------------------------------------- roster and sign-up links


@bp.route("/roster", methods=["GET", "POST"])
@instructor_required
def roster() -> str:
    form = RosterForm()
    links: list[tuple[str, str]] = []
    if form.validate_on_submit():
        upload = form.upload.data
        try:
            if isinstance(upload, FileStorage) and upload.filename:
                raw = upload.read(ROSTER_MAX_BYTES + 1)
                if len(raw) > ROSTER_MAX_BYTES:
                    raise GraderError("the roster is over 1 MB", tip="split it and upload each part")
                try:
                    text = raw.decode("utf-8-sig")
                except UnicodeDecodeError:
                    raise GraderError("the roster is not UTF-8 text", tip="export the roster as CSV UTF-8") from None
            else:
                text = form.text.data or ""
            if not text.strip():
                raise GraderError("choose a roster CSV to upload or paste one")
            with state().db.session(write=True) as s:
                links = import_roster(s, text)
        except GraderError as exc:
            flash(exc.message + (f" ({exc.tip})" if exc.tip else ""), "error")
        else:
            flash(f"Roster imported: {len(links)} new sign-up link{'s' if len(links) != 1 else ''}.", "status")
    with state().db.session() as s:
        entries = list(s.scalars(select(RosterEntry).order_by(RosterEntry.position)))
        accounts = set(s.scalars(select(User.username)))
    shown = [(name, url_for("auth.signup", token=token, _external=True), token) for name, token in links]
    return render_template("roster.html.j2", form=form, links=shown, entries=entries, accounts=accounts,
                           download=EmptyForm())


@bp.route("/roster/links.csv", methods=["POST"])
@instructor_required
def roster_links() -> Response:
    """The sign-up links just made, as CSV for a mail merge. Only the tokens' hashes are stored, so the page
    that showed them posts them back; each is checked to be a link still unused before it is written."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "name", "signup_link"])
    with state().db.session() as s:
        for token in request.form.getlist("token")[:10_000]:
            link = open_signup(s, token)
            if link is not None:
                writer.writerow([link.username, link.display_name, url_for("auth.signup", token=token,
                                                                           _external=True)])
    resp = Response(out.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="signup-links.csv"'
    return resp


# ----------------------------------------------------------------------------- grades.csv


@bp.route("/grades.csv")
@instructor_required
def grades() -> Response:
    """The batch's grades.csv: the roster's rows and columns in its order (every student account when no
    roster was imported), a column per exercise holding the counting attempt's score with late penalties
    applied, total, and the batch's notes plus one per late penalty."""
    now = utcnow()
    with state().db.session() as s:
        pubs = list(s.scalars(select(Publication).order_by(Publication.due_at, Publication.slug)))
        exercises = []
        for pub in pubs:
            try:
                exercises.append((pub, state().exercises.get(pub.slug)))
            except GraderError:
                continue  # an exercise removed from disk: its column cannot be described, so it is left out
        text = grades_text(class_data(s, exercises, now))
    resp = Response(text, mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="grades.csv"'
    return resp
