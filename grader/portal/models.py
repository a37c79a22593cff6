"""The portal's tables (SQLAlchemy 2.x declarative models).

A submission is a row before it is a job: the queue carries its id only, and the row's ``state`` is the truth
about where it is (queued, running, done, fault). Each grading of a submission records one :class:`Result`,
keyed by (submission, round), so a duplicate delivery can never record twice. The schema is created and
upgraded only by the Alembic migrations in ``migrations/``; ``Base.metadata`` is what they are checked against.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("student", "instructor")
COUNTING = ("best", "last")
STATES = ("queued", "running", "done", "fault")
PHASES = ("queued", "loading", "checking", "done")


def utcnow() -> dt.datetime:
    # Naive UTC everywhere: SQLite keeps no zone, and mixing aware and naive values fails at compare time.
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="student")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    # Flask-Login's user protocol, written out rather than inherited so the model stays plain.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_instructor(self) -> bool:
        return self.role == "instructor"


class SignupLink(Base):
    """A one-time sign-up link made from a roster row; only the token's hash is stored."""

    __tablename__ = "signup_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="student")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Publication(Base):
    """An exercise from the course's exercises folder, published with its dates and policies."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    opens_at: Mapped[dt.datetime] = mapped_column(DateTime)
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)
    grace_minutes: Mapped[int] = mapped_column(Integer, default=0)
    penalty_per_day: Mapped[float] = mapped_column(Float, default=0.0)  # a fraction of the score, per day late
    last_accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    counting: Mapped[str] = mapped_column(String(10), default="best")
    bucket_size: Mapped[int] = mapped_column(Integer, default=5)  # submissions a student may make at once
    refill_minutes: Mapped[float] = mapped_column(Float, default=10.0)  # one more every this many minutes
    grades_published: Mapped[bool] = mapped_column(Boolean, default=False)


class Extension(Base):
    __tablename__ = "extensions"
    __table_args__ = (UniqueConstraint("publication_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)


class RateBucket(Base):
    """The token bucket of one student for one exercise."""

    __tablename__ = "rate_buckets"
    __table_args__ = (UniqueConstraint("publication_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"), index=True)
    files: Mapped[bytes] = mapped_column(LargeBinary)  # a zip of the submitted files (see portal.uploads)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    late_days: Mapped[int] = mapped_column(Integer, default=0)
    penalty: Mapped[float] = mapped_column(Float, default=0.0)  # the fraction taken off for lateness
    # The job: state is the truth; the queue only carries the id.
    state: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    phase: Mapped[str] = mapped_column(String(10), default="queued")
    round: Mapped[int] = mapped_column(Integer, default=1)  # bumped by a regrade
    tries: Mapped[int] = mapped_column(Integer, default=0)  # graded attempts in this round (faults included)
    claim: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    queued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    enqueued_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # The phases' timestamps (DESIGN.md, "Jobs"): queued_at, started_at (claimed: loading), loaded_at (the app
    # loaded: checking), checked_at (the last check ended), finished_at (recorded).
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    loaded_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    fault_message: Mapped[str] = mapped_column(Text, default="")
    refunded: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()
    publication: Mapped[Publication] = relationship()
    results: Mapped[list[Result]] = relationship(back_populates="submission", order_by="Result.round")

    @property
    def result(self) -> Result | None:
        """The result of the current round, if it is recorded."""
        return next((r for r in self.results if r.round == self.round), None)


class Result(Base):
    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("submission_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    exercise_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    report_json: Mapped[str] = mapped_column(Text)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="results")


class RosterEntry(Base):
    """A row of the course's roster CSV, in its order: grades.csv lists students in it, with its columns."""

    __tablename__ = "roster_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # normalized as the batch normalizes names
    columns_json: Mapped[str] = mapped_column(Text)  # the row's cells, {column: value}, in the CSV's order


class Regrade(Base):
    """An instructor's regrade of one exercise: every submission, or each student's latest one."""

    __tablename__ = "regrades"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    scope: Mapped[str] = mapped_column(String(10))  # "all" or "latest"
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))

    publication: Mapped[Publication] = relationship()
    items: Mapped[list[RegradeItem]] = relationship(back_populates="regrade", order_by="RegradeItem.id")


class RegradeItem(Base):
    """One submission in a regrade: its score before (the previous round's) and the round whose result is after."""

    __tablename__ = "regrade_items"
    __table_args__ = (UniqueConstraint("regrade_id", "submission_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    regrade_id: Mapped[int] = mapped_column(ForeignKey("regrades.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    round: Mapped[int] = mapped_column(Integer)
    before_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    before_max: Mapped[float | None] = mapped_column(Float, nullable=True)

    regrade: Mapped[Regrade] = relationship(back_populates="items")
    submission: Mapped[Submission] = relationship()
