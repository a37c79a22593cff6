"""A pytest plugin for the baselines: the same checks, the app imported into the pytest process itself.

No isolation at all: each check gets Flask's own test client on a freshly imported copy of the submission.
Submissions come from FRG_BENCH_SUBMISSIONS (paths joined by os.pathsep); every check is parametrized over
them, grouped per submission like the grader's runner. Used in-process (one session, the floor) and as
`pytest -p _inprocess --json-report` in a subprocess per submission (the naive baseline).

The exercise's time limits apply as the grader applies them, with SIGALRM (as pytest-timeout's signal method
does): FRG_BENCH_LIMITS is "load_s,request_s". A submission that failed to load once (a loop at import, an
exception) is not imported again for its other checks, as the grader loads it once.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

_counter = itertools.count()


_failed_to_load: dict[Path, str] = {}


def _limits() -> tuple[float, float]:
    load, request = (os.environ.get("FRG_BENCH_LIMITS") or "0,0").split(",")
    return float(load), float(request)


class TimeLimit(Exception):
    pass


def _expire(*_: Any) -> None:
    raise TimeLimit("time limit")


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    if seconds <= 0:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Client(FlaskClient):
    """Flask's client plus the grader client's `user_agent=None` (send no User-Agent), under the request
    time limit."""

    def open(self, *args: Any, user_agent: Any = ..., **kwargs: Any) -> Any:  # type: ignore[override]
        with _time_limit(_limits()[1]):
            if user_agent is None:
                saved = dict(self.environ_base)
                self.environ_base.pop("HTTP_USER_AGENT", None)
                try:
                    return super().open(*args, **kwargs)
                finally:
                    self.environ_base.clear()
                    self.environ_base.update(saved)
            return super().open(*args, **kwargs)


def fresh_app(path: Path) -> Flask:
    """Import the submission under a new module name every time, as `flask --app` would find the app."""
    entry = path / "app.py" if path.is_dir() else path
    name = f"_frg_bench_app_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, entry)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    for attr in ("app", "application"):
        if isinstance(getattr(module, attr, None), Flask):
            return getattr(module, attr)  # type: ignore[no-any-return]
    factory = getattr(module, "create_app", None) or getattr(module, "make_app", None)
    if factory is not None:
        return factory()  # type: ignore[no-any-return]
    raise LookupError(f"no Flask app in {entry}")


def pytest_sessionstart(session: pytest.Session) -> None:
    _failed_to_load.clear()  # the floor runs several sessions in one process: each starts knowing nothing


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "client" in metafunc.fixturenames:
        subs = [p for p in os.environ.get("FRG_BENCH_SUBMISSIONS", "").split(os.pathsep) if p]
        metafunc.parametrize("_bench_submission", subs, indirect=True, scope="session",
                             ids=[str(i) for i in range(len(subs))])


@pytest.fixture(scope="session")
def _bench_submission(request: pytest.FixtureRequest) -> Path:
    return Path(request.param)


@pytest.fixture
def client(_bench_submission: Path) -> Iterator[FlaskClient]:
    if _bench_submission in _failed_to_load:
        pytest.fail(_failed_to_load[_bench_submission])
    try:
        with _time_limit(_limits()[0]):
            app = fresh_app(_bench_submission)
    except BaseException as exc:  # a syntax error, a loop at import cut by the limit, sys.exit, no app
        _failed_to_load[_bench_submission] = f"did not load: {type(exc).__name__}"
        raise
    app.test_client_class = _Client
    app.config["TESTING"] = True
    with app.test_client() as c:
        yield c
