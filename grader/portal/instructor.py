"""What an instructor sees: every published exercise, every student's submissions with their scores (late
penalties applied, the counting attempt marked), and grades.csv in the batch's format."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from .app import state
from .course import AttemptView, attempts, counting
from .models import Publication, User, utcnow

bp = Blueprint("instructor", __name__, url_prefix="/instructor")
F = TypeVar("F", bound=Callable[..., Any])


def instructor_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_instructor:
            abort(403)
        return view(*args, **kwargs)
    return login_required(wrapped)


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
    return render_template("instructor.html.j2", pubs=pubs, students=students, table=table)


@bp.route("/exercises/<slug>")
@instructor_required
def exercise(slug: str) -> str:
    pubs, students, table = _class(slug)
    return render_template("instructor_exercise.html.j2", pub=pubs[0], students=students, table=table)


@bp.route("/grades.csv")
@instructor_required
def grades() -> Response:
    """One row per student, a column per exercise (the counting attempt, penalties applied), total, note: the
    columns of the batch's grades.csv."""
    pubs, students, table = _class()
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(["student", *[p.slug for p in pubs], "total", "note"])
    for user in students:
        cells, total, missing = [], 0.0, []
        for pub in pubs:
            chosen = table[(pub.id, user.id)][1]
            if chosen is None or chosen.score is None:
                cells.append("")
                missing.append(pub.slug)
            else:
                cells.append(f"{chosen.score:g}")
                total += chosen.score
        note = "no submission: " + ", ".join(missing) if missing else ""
        out.writerow([user.username, *cells, f"{total:g}", note])
    resp = Response(buf.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="grades.csv"'
    return resp
