"""Grading as a pure function of (exercise files, submission files) -> Report.

A :class:`Grader` holds one zygote for all the submissions graded through it, so Python and Flask start-up
is paid once per session, not once per submission.
"""

from __future__ import annotations

from pathlib import Path

from .errors import IsolationError
from .quiz import grade_quiz, load_key
from .results import Isolation, Report
from .runner import run_checks
from .sandbox import Submission, Zygote, read_submission
from .scoring import build_report
from .spec import Exercise


class Grader:
    """A grading session. Use as a context manager so the zygote is always stopped."""

    def __init__(self, *, allow_namespaces: bool = True, require_full_isolation: bool = False) -> None:
        self.allow_namespaces = allow_namespaces
        self.require_full_isolation = require_full_isolation
        self._zygote: Zygote | None = None

    @property
    def zygote(self) -> Zygote:
        if self._zygote is None:
            self._zygote = Zygote(allow_namespaces=self.allow_namespaces)
        return self._zygote

    def isolation(self, exercise: Exercise) -> Isolation:
        iso = self.zygote.isolation([exercise.root])
        if self.require_full_isolation and iso.warnings:
            raise IsolationError("full isolation was required, but: " + "; ".join(iso.warnings),
                                 tip="run `grader doctor` to see what this machine allows")
        return iso

    def grade(self, exercise: Exercise, submission: Path | Submission, *, visible_only: bool = False) -> Report:
        return self.grade_many(exercise, {"submission": submission}, visible_only=visible_only)["submission"]

    def grade_many(self, exercise: Exercise, submissions: dict[str, Path | Submission], *,
                   visible_only: bool = False) -> dict[str, Report]:
        """Grade several submissions of one exercise in one pytest session (keys are yours)."""
        if exercise.kind == "quiz":  # answers are data: no sandbox, no pytest (see grader.quiz)
            key = load_key(exercise)
            return {k: grade_quiz(exercise, s, visible_only=visible_only, key=key) for k, s in submissions.items()}
        subs = {k: s if isinstance(s, Submission) else read_submission(s, exercise.entry)
                for k, s in submissions.items()}
        isolation = self.isolation(exercise)
        checks = exercise.visible_checks() if visible_only else exercise.checks
        runs = run_checks(exercise, subs, self.zygote, tests=[c.test for c in checks] if visible_only else None)
        return {k: build_report(exercise, run, isolation, self.zygote.versions, checks=checks)
                for k, run in runs.items()}

    def close(self) -> None:
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
