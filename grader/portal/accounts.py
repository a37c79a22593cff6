"""Local accounts: passwords hashed with Argon2id (argon2-cffi), one-time sign-up links from a roster."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from ..batch import normalize_student
from ..errors import GraderError
from .models import RosterEntry, SignupLink, User, utcnow

# Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane): ~35 ms of CPU per login here. The
# portal first used Werkzeug's scrypt default (N = 2^15, r = 8), which is below OWASP's scrypt minimum (N = 2^17)
# and cost 160 ms per login: 200 students logging in within a minute took a quarter of a 2-core grading machine.
HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

# A hash to compare against when the username is unknown, so a login takes as long whether or not it exists.
_DUMMY_HASH = HASHER.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored``: an Argon2id hash, or a Werkzeug (scrypt) hash from before the
    portal used Argon2id (still accepted; :func:`needs_rehash` says to replace it on the next login)."""
    if stored.startswith("$argon2"):
        try:
            return HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    return check_password_hash(stored, password)


def needs_rehash(stored: str) -> bool:
    """An older scheme, or Argon2id with other parameters than :data:`HASHER`'s."""
    return not stored.startswith("$argon2") or HASHER.check_needs_rehash(stored)


def rehash(s: Session, user_id: int, password: str) -> None:
    """Store ``password`` (just checked) with the current scheme."""
    s.execute(update(User).where(User.id == user_id).values(password_hash=hash_password(password)))


def create_user(s: Session, username: str, password: str, *, role: str = "student", display_name: str = "") -> User:
    user = User(username=username, password_hash=hash_password(password), role=role,
                display_name=display_name or username)
    s.add(user)
    s.flush()
    return user


def authenticate(s: Session, username: str, password: str) -> User | None:
    user = s.scalars(select(User).where(User.username == username)).first()
    if user is None:
        check_password(_DUMMY_HASH, password)
        return None
    return user if check_password(user.password_hash, password) else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_signup_link(s: Session, username: str, *, display_name: str = "", role: str = "student") -> str:
    """A new one-time token for ``username`` (only its hash is stored: the database alone cannot sign up)."""
    token = secrets.token_urlsafe(24)
    s.add(SignupLink(token_hash=_token_hash(token), username=username, display_name=display_name or username,
                     role=role))
    s.flush()
    return token


def open_signup(s: Session, token: str) -> SignupLink | None:
    link = s.scalars(select(SignupLink).where(SignupLink.token_hash == _token_hash(token))).first()
    if link is None or link.used_at is not None:
        return None
    return link


def use_signup(s: Session, link: SignupLink, password: str) -> User:
    if s.scalars(select(User).where(User.username == link.username)).first() is not None:
        raise GraderError(f"the account {link.username} exists already", tip="log in instead")
    link.used_at = utcnow()
    return create_user(s, link.username, password, role=link.role, display_name=link.display_name)


def import_roster(s: Session, text: str) -> list[tuple[str, str]]:
    """(username, token) for each roster row without an account: a ``student`` or ``github_username`` column,
    optionally ``name``; names are normalized as the batch normalizes them.

    Every row is also kept, in the CSV's order, as the course's roster (grades.csv lists students in it, with
    its columns); a later upload updates the rows it repeats and appends the new ones.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    columns = [(f or "").strip() for f in reader.fieldnames or []]
    lowered = [c.lower() for c in columns]
    column = next((c for c in ("student", "github_username", "username") if c in lowered), None)
    if column is None:
        raise GraderError("the roster has no `student` (or `github_username`) column",
                          tip="the first line of the CSV names the columns, for example: student,name")
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    kept = {e.username: e for e in s.scalars(select(RosterEntry))}
    position = max((e.position for e in kept.values()), default=0)
    for raw in reader:
        cells = {c: (raw.get(orig) or "").strip() for orig, c in zip(reader.fieldnames or [], columns, strict=True)}
        row = {k.lower(): v for k, v in cells.items() if k}
        name = normalize_student(row.get(column, ""))
        if not name or name in seen:
            continue
        seen.add(name)
        if name in kept:
            kept[name].columns_json = json.dumps(cells)
        else:
            position += 1
            kept[name] = RosterEntry(position=position, username=name, columns_json=json.dumps(cells))
            s.add(kept[name])
        if s.scalars(select(User).where(User.username == name)).first() is not None:
            continue
        s.execute(update(SignupLink).where(SignupLink.username == name, SignupLink.used_at.is_(None))
                  .values(used_at=utcnow()))  # a new link replaces the one sent before
        out.append((name, make_signup_link(s, name, display_name=row.get("name", "") or name)))
    s.flush()
    return out
