"""The course's operations on the database, with the rules of :mod:`.policy` applied: publishing an exercise,
a student's window and hand-in, their attempts and the one that counts. The views only call these."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import GraderError
from ..results import Report
from ..spec import Exercise
from .models import Extension, Publication, RateBucket, Regrade, RegradeItem, Submission, User
from .policy import Attempt, Bucket, Window, counting_attempt, lateness, refusal, take, window
from .uploads import fingerprint, pack
from .visibility import student_report


class Refused(GraderError):
    """A hand-in the rules do not accept now; the message says why and, for the rate limit, when to retry."""


def publish(s: Session, ex: Exercise, *, opens_at: dt.datetime, due_at: dt.datetime, grace_minutes: int = 0,
            penalty_per_day: float = 0.0, last_accepted_at: dt.datetime | None = None, counting: str = "best",
            bucket_size: int = 5, refill_minutes: float = 10.0) -> Publication:
    """Publish ``ex`` (or change the settings of its publication)."""
    if due_at < opens_at:
        raise GraderError("the due date is before the opening date")
    if last_accepted_at is not None and last_accepted_at < due_at:
        raise GraderError("the last accepted date is before the due date")
    pub = s.scalars(select(Publication).where(Publication.slug == ex.slug)).first()
    if pub is None:
        pub = Publication(slug=ex.slug, title=ex.title, opens_at=opens_at, due_at=due_at)
        s.add(pub)
    pub.title, pub.opens_at, pub.due_at = ex.title, opens_at, due_at
    pub.grace_minutes, pub.penalty_per_day, pub.last_accepted_at = grace_minutes, penalty_per_day, last_accepted_at
    pub.counting, pub.bucket_size, pub.refill_minutes = counting, bucket_size, refill_minutes
    s.flush()
    return pub


def student_window(s: Session, pub: Publication, user: User) -> Window:
    ext = s.scalars(select(Extension).where(Extension.publication_id == pub.id,
                                            Extension.user_id == user.id)).first()
    return window(pub.opens_at, pub.due_at, pub.grace_minutes, pub.penalty_per_day, pub.last_accepted_at,
                  ext.due_at if ext else None)


def submit(s: Session, pub: Publication, user: User, files: dict[str, bytes], now: dt.datetime) -> Submission:
    """Commit-ready row of a hand-in (the job exists once the caller commits), or :class:`Refused`."""
    w = student_window(s, pub, user)
    why = refusal(w, now)
    if why:
        raise Refused(why)
    bucket = s.scalars(select(RateBucket).where(RateBucket.publication_id == pub.id,
                                                RateBucket.user_id == user.id)).first()
    if bucket is None:
        bucket = RateBucket(publication_id=pub.id, user_id=user.id, tokens=float(pub.bucket_size), updated_at=now)
        s.add(bucket)
    after, wait_s = take(Bucket(bucket.tokens, bucket.updated_at), now, pub.bucket_size, pub.refill_minutes)
    if wait_s is not None:
        minutes = max(1, round(wait_s / 60))
        raise Refused(f"you have used your {pub.bucket_size} submissions for now; one more in about "
                      f"{minutes} minute{'s' if minutes != 1 else ''}",
                      tip=f"one more every {pub.refill_minutes:g} minutes, up to {pub.bucket_size} saved")
    bucket.tokens, bucket.updated_at = after.tokens, after.updated_at
    days, penalty = lateness(w, now)
    row = Submission(user_id=user.id, publication_id=pub.id, files=pack(files), sha256=fingerprint(files),
                     created_at=now, queued_at=now, enqueued_at=now, late_days=days, penalty=penalty)
    s.add(row)
    s.flush()
    return row


def full_report(row: Submission) -> Report | None:
    result = row.result
    return Report.from_dict(json.loads(result.report_json)) if result is not None else None


def due_passed(s: Session, row: Submission, now: dt.datetime) -> bool:
    w = student_window(s, row.publication, row.user)
    return now > w.due_at + w.grace


def shown_report(s: Session, row: Submission, now: dt.datetime) -> Report | None:
    """The report as its student may see it now (see :mod:`.visibility`)."""
    report = full_report(row)
    if report is None:
        return None
    return student_report(report, due_passed=due_passed(s, row, now), published=row.publication.grades_published)


@dataclass(frozen=True)
class AttemptView:
    row: Submission
    report: Report | None  # filtered for the student (full for the instructor's views)
    score: float | None  # after the late penalty; None while not graded
    max_score: float | None


def attempts(s: Session, pub: Publication, user: User, now: dt.datetime, *, full: bool = False) -> list[AttemptView]:
    rows = s.scalars(select(Submission).where(Submission.publication_id == pub.id, Submission.user_id == user.id)
                     .order_by(Submission.id)).all()
    out = []
    for row in rows:
        report = full_report(row) if full else shown_report(s, row, now)
        if report is None:
            out.append(AttemptView(row, None, None, None))
        else:
            out.append(AttemptView(row, report, report.score * (1.0 - row.penalty), report.max_score))
    return out


def counting(pub: Publication, views: list[AttemptView]) -> AttemptView | None:
    graded = [Attempt(v.row.id, v.row.created_at, v.score, v.max_score or 0.0) for v in views if v.score is not None]
    chosen = counting_attempt(graded, pub.counting)
    return next((v for v in views if chosen is not None and v.row.id == chosen.submission_id), None)


def set_extension(s: Session, pub: Publication, username: str, due_at: dt.datetime | None) -> User:
    """Give ``username`` their own due date for ``pub`` (None removes it). It moves the last accepted date by
    as much (see :func:`.policy.window`)."""
    user = s.scalars(select(User).where(User.username == username.strip())).first()
    if user is None or user.role != "student":
        raise GraderError(f"there is no student `{username.strip()}`",
                          tip="use the username shown in the class table")
    ext = s.scalars(select(Extension).where(Extension.publication_id == pub.id,
                                            Extension.user_id == user.id)).first()
    if due_at is None:
        if ext is not None:
            s.delete(ext)
    elif due_at <= pub.due_at:
        raise GraderError(f"an extension must be after the due date ({pub.due_at:%Y-%m-%d %H:%M} UTC)")
    elif ext is None:
        s.add(Extension(publication_id=pub.id, user_id=user.id, due_at=due_at))
    else:
        ext.due_at = due_at
    s.flush()
    return user


def extensions(s: Session, pub: Publication) -> list[tuple[User, dt.datetime]]:
    rows = s.execute(select(User, Extension.due_at).join(Extension, Extension.user_id == User.id)
                     .where(Extension.publication_id == pub.id).order_by(User.username))
    return [(u, d) for u, d in rows]


def regrade(s: Session, pub: Publication, scope: str, by: User, now: dt.datetime) -> Regrade:
    """Queue graded submissions of ``pub`` again in a new round: ``all`` of them, or each student's ``latest``.

    Each keeps its score before (the counted score of the round being replaced) for the before/after table;
    the new round's result, recorded exactly once like any other, is the after. Submissions still queued or
    being graded are left alone: they will be graded with the exercise as it is now anyway.
    """
    if scope not in ("all", "latest"):
        raise GraderError(f"unknown regrade scope `{scope}`", tip="all or latest")
    rows = list(s.scalars(select(Submission).where(Submission.publication_id == pub.id,
                                                   Submission.state.in_(("done", "fault")))
                          .order_by(Submission.id)))
    if scope == "latest":
        latest: dict[int, Submission] = {}
        for row in rows:
            latest[row.user_id] = row
        rows = sorted(latest.values(), key=lambda r: r.id)
    job = Regrade(publication_id=pub.id, scope=scope, created_at=now, created_by=by.id)
    s.add(job)
    s.flush()
    for row in rows:
        res = row.result
        before = res.score * (1.0 - row.penalty) if res is not None else None
        row.round += 1
        row.state, row.phase, row.tries, row.fault_message = "queued", "queued", 0, ""
        row.claim = row.lease_until = row.started_at = row.loaded_at = row.checked_at = row.finished_at = None
        row.queued_at = row.enqueued_at = now
        s.add(RegradeItem(regrade_id=job.id, submission_id=row.id, round=row.round, before_score=before,
                          before_max=res.max_score if res is not None else None))
    s.flush()
    return job


@dataclass(frozen=True)
class RegradeLine:
    student: str
    submission_id: int
    before: float | None
    after: float | None  # None while the new round is not graded yet
    max_score: float | None
    done: bool

    @property
    def changed(self) -> bool:
        return self.done and (None if self.before is None else round(self.before, 6)) != (
            None if self.after is None else round(self.after, 6))


def regrade_lines(s: Session, job: Regrade) -> list[RegradeLine]:
    """The before/after table of a regrade, changed scores first, then by student."""
    out = []
    for item in job.items:
        row = item.submission
        res = next((r for r in row.results if r.round == item.round), None)
        after = res.score * (1.0 - row.penalty) if res is not None else None
        out.append(RegradeLine(row.user.username, row.id, item.before_score, after,
                               res.max_score if res is not None else item.before_max, res is not None))
    return sorted(out, key=lambda line: (not line.changed, line.student, line.submission_id))
