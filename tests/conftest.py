"""Shared fixtures: one grading session (one zygote) for the whole test run keeps the suite fast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.grading import Grader

# Exercise checks under fixtures/ are run by the grader against submissions, never by this test run.
collect_ignore_glob = ["fixtures/*", "submissions/*"]

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"


@pytest.fixture(scope="session")
def grader_session() -> Iterator[Grader]:
    with Grader() as grader:
        yield grader


# Browser fixtures (tests/browser.py). Imported inside: the grader's own pytest sessions for the exercises under
# tests/fixtures load this file in importlib mode, where tests/ is not importable and Playwright is not needed.
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    import browser as base

    yield from base.launch()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    import browser as base

    yield from base.page_opener(browser)


# A real PostgreSQL for the portal's database tests (tests/pg_support.py), imported inside for the same reason.
@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    import pg_support

    yield from pg_support.start_server()


@pytest.fixture
def postgres_url(postgres_server: Any) -> str:
    url: str = postgres_server.create_database()
    return url
