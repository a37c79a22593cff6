"""The course's rules as pure functions of plain values: when an exercise accepts hand-ins, what lateness
costs, the per-student token bucket, and which attempt counts. No database, no clock of their own (``now`` is
always passed), so each rule is tested on plain data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """When one student may hand in one exercise (their extension already applied)."""

    opens_at: dt.datetime
    due_at: dt.datetime
    grace: dt.timedelta
    penalty_per_day: float
    closes_at: dt.datetime | None  # the last accepted date; None: late work is accepted, with the penalty


def window(opens_at: dt.datetime, due_at: dt.datetime, grace_minutes: int, penalty_per_day: float,
           last_accepted_at: dt.datetime | None, extended_due: dt.datetime | None = None) -> Window:
    """An extension moves the due date and, by as much, the last accepted date."""
    closes = last_accepted_at
    if extended_due is not None and extended_due > due_at:
        if closes is not None:
            closes = max(closes + (extended_due - due_at), extended_due)
        due_at = extended_due
    return Window(opens_at, due_at, dt.timedelta(minutes=grace_minutes), penalty_per_day, closes)


def refusal(w: Window, now: dt.datetime) -> str | None:
    """Why a hand-in at ``now`` is refused, or None when it is accepted."""
    if now < w.opens_at:
        return f"this exercise opens at {w.opens_at:%Y-%m-%d %H:%M} UTC"
    if w.closes_at is not None and now > w.closes_at:
        return f"this exercise stopped accepting work at {w.closes_at:%Y-%m-%d %H:%M} UTC"
    return None


def lateness(w: Window, submitted_at: dt.datetime) -> tuple[int, float]:
    """(days late, the fraction of the score taken off). Within the grace period a hand-in is on time; past
    it, every started day after the due date costs ``penalty_per_day``, up to the whole score."""
    if submitted_at <= w.due_at + w.grace:
        return 0, 0.0
    days = math.ceil((submitted_at - w.due_at) / DAY)
    return days, min(1.0, days * w.penalty_per_day)


@dataclass(frozen=True)
class Bucket:
    tokens: float
    updated_at: dt.datetime


def refill(bucket: Bucket, now: dt.datetime, size: int, refill_minutes: float) -> Bucket:
    if refill_minutes <= 0:
        return Bucket(float(size), now)
    gained = (now - bucket.updated_at).total_seconds() / 60.0 / refill_minutes
    return Bucket(min(float(size), bucket.tokens + max(0.0, gained)), now)


def take(bucket: Bucket, now: dt.datetime, size: int, refill_minutes: float) -> tuple[Bucket, float | None]:
    """Spend one token: (the bucket after, None) or, when it is empty, (the bucket, seconds until a token)."""
    b = refill(bucket, now, size, refill_minutes)
    if b.tokens >= 1.0:
        return Bucket(b.tokens - 1.0, now), None
    return b, (1.0 - b.tokens) * refill_minutes * 60.0


def refund(bucket: Bucket, now: dt.datetime, size: int, refill_minutes: float) -> Bucket:
    b = refill(bucket, now, size, refill_minutes)
    return Bucket(min(float(size), b.tokens + 1.0), now)


@dataclass(frozen=True)
class Attempt:
    """One graded attempt as the rules see it: the score after the late penalty."""

    submission_id: int
    submitted_at: dt.datetime
    score: float
    max_score: float


def counting_attempt(attempts: Sequence[Attempt], counting: str) -> Attempt | None:
    """The attempt that counts: the best (earliest of equals) or the last graded one."""
    if not attempts:
        return None
    ordered = sorted(attempts, key=lambda a: (a.submitted_at, a.submission_id))
    if counting == "last":
        return ordered[-1]
    return max(ordered, key=lambda a: a.score)  # max keeps the first of equal scores: the earliest
