"""Shared fixtures: one grading session (one zygote) for the whole test run keeps the suite fast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.grading import Grader

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"


@pytest.fixture(scope="session")
def grader_session() -> Iterator[Grader]:
    with Grader() as grader:
        yield grader
