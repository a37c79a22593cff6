"""``grader serve --demo``: a course to try the portal with: every bundled exercise published (open since
yesterday, due in a week) and three example accounts. For a demonstration on your own machine only: the
passwords are printed and the same for everyone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from ..spec import list_exercises
from .accounts import create_user
from .course import publish
from .db import Database
from .models import Publication, User, utcnow

DEMO_PASSWORD = "demo-password"
DEMO_USERS = (("teacher", "instructor", "Terry Teacher"), ("alice", "student", "Alice Example"),
              ("bob", "student", "Bob Example"))


def seed_demo(db: Database, exercises_dir: Path) -> list[str]:
    """Publish what is not published yet and create the missing demo accounts; the usernames created."""
    now = utcnow().replace(second=0, microsecond=0)
    created = []
    with db.session(write=True) as s:
        for ex in list_exercises(exercises_dir):
            if s.scalars(select(Publication).where(Publication.slug == ex.slug)).first() is None:
                publish(s, ex, opens_at=now - dt.timedelta(days=1), due_at=now + dt.timedelta(days=7),
                        grace_minutes=15, penalty_per_day=0.1, counting="best", bucket_size=10, refill_minutes=1)
        for username, role, name in DEMO_USERS:
            if s.scalars(select(User).where(User.username == username)).first() is None:
                create_user(s, username, DEMO_PASSWORD, role=role, display_name=name)
                created.append(username)
    return created
