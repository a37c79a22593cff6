"""The portal's settings, one typed value passed to :func:`grader.portal.create_app`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class PortalConfig:
    secret_key: str
    db_url: str = "sqlite:///grader-portal.db"
    exercises_dir: Path = Path("exercises")
    workers: int = 0  # local grading processes; 0: none in this process (jobs wait for a worker elsewhere)
    secure_cookies: bool = True  # False only for plain-http development on 127.0.0.1
    max_upload_bytes: int = 2 * 1024 * 1024
    login_limit: str = "10 per minute"  # login and sign-up attempts per client address
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-* headers are believed
    sweep_interval_s: float = 5.0
    disabled_layers: frozenset[str] = field(default_factory=frozenset)
    upgrade_db: bool = True  # run the Alembic migrations when the app is created
    broker_url: str | None = None  # grade on `grader worker` processes on this Celery broker, not a local pool
    broker_queue: str = "grader"
    long_polls: int = 4  # status requests that may wait for a change at once, each holding a web thread
