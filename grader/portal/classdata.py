"""The class as the batch's class report sees it, built from the portal's database: each student's counting
attempt becomes one summary row, so the histogram, per-check pass rates, the student-by-check matrix and
grades.csv (roster order, notes) come from :mod:`grader.classreport`, the code the batch uses, not a copy.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..batch import Roster, normalize_student
from ..classreport import BatchSummary, build_summary, grades_csv
from ..results import SummaryRow
from ..spec import Exercise
from .course import AttemptView, attempts, counting, student_window
from .models import Publication, RosterEntry, Submission, User

ROSTER_KEY = "student"
NEAR_DEADLINE = dt.timedelta(hours=2)  # a hand-in this close to a student's due date, either side, is "near"


def course_roster(s: Session) -> Roster:
    """The uploaded roster (its columns, its order); without one, every student account, by username."""
    entries = list(s.scalars(select(RosterEntry).order_by(RosterEntry.position)))
    if not entries:
        names = s.scalars(select(User.username).where(User.role == "student").order_by(User.username))
        return Roster(Path("accounts"), (ROSTER_KEY,), ROSTER_KEY, tuple({ROSTER_KEY: n} for n in names))
    columns: list[str] = []
    rows = []
    for e in entries:
        cells: dict[str, str] = json.loads(e.columns_json)
        columns += [c for c in cells if c not in columns]
        rows.append(cells)
    key = next((c for c in columns if c.lower() in ("student", "github_username", "username")), columns[0])
    # The stored cell may differ from the account name only by normalization; the key cell is what matches.
    rows = [{**r, key: e.username} if r.get(key, "") == "" else r for r, e in zip(rows, entries, strict=True)]
    return Roster(Path("roster.csv"), tuple(columns), key, tuple(rows))


def summary_row(username: str, pub: Publication, chosen: AttemptView) -> SummaryRow:
    """The batch's summary row for one student's counting attempt (its score after the late penalty)."""
    report = chosen.report
    assert report is not None and chosen.score is not None
    row = SummaryRow.of_report(username, pub.slug, chosen.row.sha256, "", report)
    return replace(row, score=round(chosen.score, 4))


@dataclass(frozen=True)
class ClassData:
    summary: dict[str, Any]  # the batch's summary.json shape
    roster: Roster
    chosen: dict[tuple[str, str], AttemptView]  # (student, slug) -> the counting attempt
    late: dict[tuple[str, str], float]  # (student, slug) -> the penalty taken off that attempt


def class_data(s: Session, exercises: list[tuple[Publication, Exercise]], now: dt.datetime) -> ClassData:
    students = list(s.scalars(select(User).where(User.role == "student").order_by(User.username)))
    rows: dict[tuple[str, str], SummaryRow] = {}
    chosen: dict[tuple[str, str], AttemptView] = {}
    handed_in: set[str] = set()
    for pub, _ in exercises:
        for user in students:
            views = attempts(s, pub, user, now, full=True)
            if views:
                handed_in.add(user.username)
            c = counting(pub, views)
            if c is not None and c.report is not None:
                chosen[(user.username, pub.slug)] = c
                rows[(user.username, pub.slug)] = summary_row(user.username, pub, c)
    roster = course_roster(s)
    summary = build_summary(BatchSummary(exercises=[ex for _, ex in exercises], rows=rows,
                                         students=sorted(handed_in), layout_kind="portal", roster=roster))
    late = {k: v.row.penalty for k, v in chosen.items() if v.row.penalty}
    return ClassData(summary, roster, chosen, late)


def grades(data: ClassData) -> str:
    """grades.csv exactly as the batch writes it, with a note for each late penalty taken off."""
    text = grades_csv(data.summary, data.roster)
    if not data.late:
        return text
    table = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table[0])
    key_at = table[0].index(data.roster.key)
    for line in table[1:]:
        name = normalize_student(line[key_at])
        penalties = sorted((slug, p) for (student, slug), p in data.late.items() if student == name)
        if penalties:
            said = "; ".join(f"late: {slug} −{p * 100:g}%" for slug, p in penalties)
            line[-1] = f"{line[-1]}; {said}" if line[-1] else said
        writer.writerow(line)
    return out.getvalue()


@dataclass(frozen=True)
class NearDeadline:
    row: Submission
    minutes: int  # minutes after the student's due date (negative: before it)


def near_deadline(s: Session, pub: Publication, now: dt.datetime) -> list[NearDeadline]:
    """Hand-ins within two hours either side of each student's own due date, newest first."""
    out = []
    rows = s.scalars(select(Submission).where(Submission.publication_id == pub.id).order_by(Submission.id.desc()))
    for row in rows:
        due = student_window(s, pub, row.user).due_at
        if abs(row.created_at - due) <= NEAR_DEADLINE:
            out.append(NearDeadline(row, round((row.created_at - due).total_seconds() / 60)))
    return out
