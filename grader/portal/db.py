"""The portal's database: one engine, sessions, and schema upgrades through Alembic.

The schema exists only through the migrations in ``migrations/versions`` (``grader serve`` runs
:func:`upgrade` on start), so a course that upgrades the grader keeps its data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool


def make_engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool  # one shared in-memory database for every thread (tests only)
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            # WAL lets the web threads read while a worker process records a result; the busy timeout makes
            # writers wait for each other instead of failing.
            conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below), not pysqlite
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # A transaction that will write takes the lock at its start (BEGIN IMMEDIATE), so one that read
            # first never fails to upgrade to a writer after another committed; readers do not wait for it.
            write = conn.get_execution_options().get("frg_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("grader.portal").joinpath("migrations")))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (every migration not yet applied, in order)."""
    command.upgrade(alembic_config(engine), revision)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.readers = sessionmaker(self.engine, expire_on_commit=False)
        self.writers = sessionmaker(self.engine.execution_options(frg_write=True), expire_on_commit=False)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session that commits at the end of the block, or rolls back if it raised. Pass ``write=True``
        for one that writes (on SQLite it then holds the write lock from its start; keep it short)."""
        with (self.writers if write else self.readers)() as s, s.begin():
            yield s

    def upgrade(self) -> None:
        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
