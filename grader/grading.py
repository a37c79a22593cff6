"""Grading as a pure function of (exercise files, submission files) -> Report.

A :class:`Grader` holds one zygote for all the submissions graded through it, so Python and Flask start-up
is paid once per session, not once per submission.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .errors import IsolationError
from .quiz import grade_quiz, load_key
from .results import Isolation, Report, SubmissionRun
from .runner import run_checks
from .sandbox import Submission, Zygote, read_submission
from .scoring import build_report
from .spec import Exercise


class Grader:
    """A grading session. Use as a context manager so the zygote is always stopped."""

    def __init__(self, *, disabled_layers: set[str] | None = None, require_full_isolation: bool = False) -> None:
        self.disabled_layers = disabled_layers
        self.require_full_isolation = require_full_isolation
        self._zygote: Zygote | None = None

    @property
    def zygote(self) -> Zygote:
        if self._zygote is None:
            self._zygote = Zygote(disabled=self.disabled_layers)
        return self._zygote

    def isolation(self, exercise: Exercise) -> Isolation:
        iso = self.zygote.isolation([exercise.root])
        if self.require_full_isolation and iso.warnings:
            raise IsolationError("full isolation was required, but: " + "; ".join(iso.warnings),
                                 tip="run `grader doctor` to see what this machine allows")
        return iso

    def grade(self, exercise: Exercise, submission: Path | Submission, *, visible_only: bool = False,
              pytest_report: Path | None = None) -> Report:
        return self.grade_many(exercise, {"submission": submission}, visible_only=visible_only,
                               pytest_report=pytest_report)["submission"]

    def grade_many(self, exercise: Exercise, submissions: dict[str, Path | Submission], *,
                   visible_only: bool = False,
                   on_report: Callable[[str, Report], None] | None = None,
                   pytest_report: Path | None = None,
                   on_loaded: Callable[[str], None] | None = None) -> dict[str, Report]:
        """Grade several submissions of one exercise in one pytest session (keys are yours).

        ``on_report(key, report)`` is called as each submission finishes, before the session ends, so a batch
        can save every report the moment it exists. A submission the grader could not build a sandbox for gets
        an ``incomplete`` report (a grader fault), never one that blames the student. ``pytest_report``: where
        to keep pytest-json-report's raw report of the session (not for quizzes, which run no pytest).
        ``on_loaded(key)`` is called when a submission's app has loaded and its checks start (the portal's
        "checking" phase).
        """
        if exercise.kind == "quiz":  # answers are data: no sandbox, no pytest (see grader.quiz)
            answer_key = load_key(exercise)
            quizzes = {}
            for k, s in submissions.items():
                quizzes[k] = grade_quiz(exercise, s, visible_only=visible_only, key=answer_key)
                if on_report is not None:
                    on_report(k, quizzes[k])
            return quizzes
        subs = {k: s if isinstance(s, Submission) else read_submission(s, exercise.entry)
                for k, s in submissions.items()}
        isolation = self.isolation(exercise)
        checks = exercise.visible_checks() if visible_only else exercise.checks
        reports: dict[str, Report] = {}

        def done(key: str, run: SubmissionRun) -> None:
            reports[key] = build_report(exercise, run, isolation, self.zygote.versions, checks=checks)
            if on_report is not None:
                on_report(key, reports[key])

        runs = run_checks(exercise, subs, self.zygote, tests=[c.test for c in checks] if visible_only else None,
                          on_done=done, json_report=pytest_report, on_loaded=on_loaded)
        for key, run in runs.items():
            if key not in reports:  # no test ran for it (an exercise with no checks to run)
                done(key, run)
        return {k: reports[k] for k in runs}

    def abort(self) -> None:
        """Kill the zygote without waiting for anything (for signal handlers); each sandbox ends itself when
        this process, and with it the grader's end of the sandbox's control socket, is gone."""
        if self._zygote is not None:
            self._zygote.abort()

    def close(self) -> None:
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
