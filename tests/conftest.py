"""Shared fixtures: one grading session (one zygote) for the whole test run keeps the suite fast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import browser, open_page

from grader.grading import Grader

__all__ = ["browser", "open_page"]  # fixtures for every test module (tests/browser.py)

# Exercise checks under fixtures/ are run by the grader against submissions, never by this test run.
collect_ignore_glob = ["fixtures/*", "submissions/*"]

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"


@pytest.fixture(scope="session")
def grader_session() -> Iterator[Grader]:
    with Grader() as grader:
        yield grader
