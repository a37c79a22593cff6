"""The application factory: ``create_app(config)`` wires the database, accounts, CSRF, rate limits, security
headers and the views. Grading is started separately (:func:`start_grading`), so that a web process can run
without workers and the tests can build an app without starting any process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, abort, current_app, render_template
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from ..errors import GraderError
from ..spec import Exercise, list_exercises, load_exercise
from .config import PortalConfig
from .db import Database
from .jobs import Dispatcher, JobTimes, LocalPool, Sweeper
from .models import User
from .watch import StatusWatch

if TYPE_CHECKING:
    from .broker import CeleryDispatcher

# No inline script, nothing from another origin, no framing; inline styles only because the report page (the
# same page as report.html) carries its CSS inline.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class _Waiting:
    """No grading in this process: jobs stay queued for the workers (or the next ``grader serve``)."""

    def enqueue(self, submission_id: int) -> None:
        return None


class Exercises:
    """The course's exercises as the web threads read them, loaded once and again only when a file of the
    exercise changed (a check edited before a regrade, say).

    Loading parses the check files with :func:`ast.parse`, which CPython 3.11 (before 3.11.8) cannot run in
    two threads at once ("AST constructor recursion depth mismatch", gh-106905): the web server's threads take
    turns through one lock, and mostly hit the cache.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[tuple[int, int], Exercise]] = {}

    def _stamp(self, slug: str) -> tuple[int, int]:
        files = [p.stat() for p in (self.root / slug).rglob("*") if p.is_file()]
        return len(files), max((f.st_mtime_ns for f in files), default=0)

    def get(self, slug: str) -> Exercise:
        """The exercise ``slug``, or :class:`GraderError` as :func:`grader.spec.load_exercise` raises it."""
        with self._lock:
            stamp = self._stamp(slug) if (self.root / slug).is_dir() else (0, 0)
            hit = self._cache.get(slug)
            if hit is not None and hit[0] == stamp:
                return hit[1]
            ex = load_exercise(slug, self.root)
            self._cache[slug] = (stamp, ex)
            return ex

    def all(self) -> list[Exercise]:
        with self._lock:
            return list_exercises(self.root)


@dataclass
class PortalState:
    config: PortalConfig
    db: Database
    exercises: Exercises
    watch: StatusWatch
    job_times: JobTimes = field(default_factory=JobTimes)
    dispatcher: Dispatcher = field(default_factory=_Waiting)
    pool: LocalPool | None = None
    celery: CeleryDispatcher | None = None
    sweeper: Sweeper | None = None


def state() -> PortalState:
    portal: PortalState = current_app.extensions["grader_portal"]
    return portal


def exercise_or_404(slug: str) -> Exercise:
    """The published exercise ``slug`` as the web process has it loaded; 404 for one it cannot load."""
    try:
        return state().exercises.get(slug)
    except GraderError:
        abort(404)


def create_app(config: PortalConfig) -> Flask:
    app = Flask(__name__)
    # Flask autoescapes only templates named *.html; ours are *.html.j2, and every page shows student text.
    app.jinja_env.autoescape = True
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_SECURE=config.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=config.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        # Werkzeug refuses a larger body from its Content-Length before reading any of it (413).
        MAX_CONTENT_LENGTH=config.max_upload_bytes,
        MAX_FORM_MEMORY_SIZE=config.max_upload_bytes,
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead: a page left open over lunch still submits
    )
    if config.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies,  # type: ignore[method-assign]
                                x_proto=config.trusted_proxies, x_host=config.trusted_proxies)
    db = Database(config.db_url)
    if config.upgrade_db:
        db.upgrade()
    app.extensions["grader_portal"] = PortalState(config, db, Exercises(config.exercises_dir),
                                                  StatusWatch(db, slots=config.long_polls))

    CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = "Log in to see this page."
    login.session_protection = "strong"

    @login.user_loader
    def load_user(user_id: str) -> User | None:
        with db.session() as s:
            return s.get(User, int(user_id)) if user_id.isdigit() else None

    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", default_limits=[])

    from . import auth, instructor, student

    limiter.limit(config.login_limit, methods=["POST"])(auth.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(student.bp)
    app.register_blueprint(instructor.bp)

    @app.after_request
    def security_headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "same-origin"  # CSRF's referrer check on https needs same-origin ones
        resp.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        resp.headers.setdefault("Cache-Control", "no-store")  # pages hold one student's code and scores
        if config.secure_cookies:
            resp.headers["Strict-Transport-Security"] = "max-age=31536000"
        return resp

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        return render_template("error.html.j2", code=400, message="The form expired or was not sent from this "
                               "site. Go back, reload the page and try again."), 400

    @app.errorhandler(413)
    def too_large(exc: Any) -> tuple[str, int]:
        size = config.max_upload_bytes // 1024
        return render_template("error.html.j2", code=413,
                               message=f"That upload is too large: the limit is {size} KB."), 413

    @app.errorhandler(429)
    def too_many(exc: Any) -> tuple[str, int]:
        return render_template("error.html.j2", code=429, message="Too many attempts. Wait a minute and "
                               "try again."), 429

    for code, message in ((403, "You may not see this page."), (404, "There is no such page.")):
        def handler(exc: Any, code: int = code, message: str = message) -> tuple[str, int]:
            return render_template("error.html.j2", code=code, message=message), code
        app.register_error_handler(code, handler)
    return app


def start_grading(app: Flask) -> PortalState:
    """Start the local pool (``config.workers`` processes), or the Celery dispatcher when ``config.broker_url``
    is set, and the sweeper, after recovering what the last server left queued or running."""
    portal: PortalState = app.extensions["grader_portal"]
    cfg = portal.config
    if cfg.broker_url is not None:
        from .broker import CeleryDispatcher  # imports Celery: only a portal with a broker pays for it

        celery = CeleryDispatcher(portal.db, portal.exercises, cfg.broker_url, queue_name=cfg.broker_queue)
        celery.connect()
        celery.start()
        portal.dispatcher = portal.celery = celery
    elif cfg.workers > 0:
        portal.pool = LocalPool(portal.db, cfg.exercises_dir, cfg.workers, set(cfg.disabled_layers) or None)
        portal.pool.start()
        portal.dispatcher = portal.pool
    portal.sweeper = Sweeper(portal.db, portal.dispatcher, interval_s=cfg.sweep_interval_s,
                             on_sweep=portal.pool.replace_dead if portal.pool else None)
    if portal.pool is not None or portal.celery is not None:
        # The tasks a previous server had out are answered to claims nobody collects any more: send them again
        # (a late answer to an old claim is ignored, so nothing is recorded twice).
        portal.sweeper.recover(keep=portal.celery.adopted if portal.celery is not None else ())
    portal.sweeper.start()
    return portal


def stop_grading(app: Flask) -> None:
    portal: PortalState = app.extensions["grader_portal"]
    portal.watch.stop()
    if portal.sweeper is not None:
        portal.sweeper.stop()
    if portal.pool is not None:
        portal.pool.stop()
    if portal.celery is not None:
        portal.celery.stop()
    portal.db.dispose()
