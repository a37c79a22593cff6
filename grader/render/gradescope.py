"""Gradescope's ``results.json`` (the autograder specification's output format).

Gradescope shows students the top-level ``output`` and each test's ``output``; ``stdout`` of
``run_autograder`` stays with the instructors. A test's ``status`` can only be ``passed`` or ``failed``,
so the finer outcome (error, timeout, grader or check fault) is said in words at the top of its output and
kept in ``extra_data`` for instructors. An incomplete report (a grader or check fault) carries no score at
all, neither at the top nor on any test: Gradescope is told the submission could not be graded and will be
regraded, and no total of it is posted as the student's.
"""

from __future__ import annotations

import json
from typing import Any

from ..results import CheckResult, Report, Status
from ._common import FAULT_NOTES, did_not_load, fault_summary, number

# Grader logs on stdout may name paths and hidden checks: students never see them.
STDOUT_VISIBILITY = "hidden"
VISIBILITY = "visible"

_LEADS = {
    Status.FAILED: "Failed",
    Status.ERROR: "Error: your app crashed or could not run this check",
    Status.TIMEOUT: "Timed out: your app took longer than the time limit",
}


def _test_output(check: CheckResult) -> str:
    if check.status is Status.PASSED:
        parts: list[str] = []
    elif check.status in FAULT_NOTES:
        parts = [FAULT_NOTES[check.status], check.message]
    else:
        parts = [f"{_LEADS[check.status]}:\n{check.message}" if check.message else _LEADS[check.status]]
    if check.output:
        parts.append(f"Printed by your app during this check:\n{check.output.rstrip()}")
    return "\n\n".join(parts)


def _test(number_: int, check: CheckResult, graded: bool) -> dict[str, Any]:
    test: dict[str, Any] = {
        "name": check.title,
        "number": str(number_),
        **({"score": check.score} if graded else {}),
        "max_score": check.points,
        "status": "passed" if check.status is Status.PASSED else "failed",
        "output": _test_output(check),
        "visibility": check.visibility,
    }
    if check.topic:
        test["tags"] = [check.topic]
    test["extra_data"] = {"id": check.id, "outcome": check.status.value}
    return test


def _top_output(report: Report) -> str:
    if did_not_load(report):
        parts = [f"Your submission could not be graded: {report.message or 'the grader gave no reason.'}",
                 "Fix the problem above and submit again."]
    elif not report.is_grade:
        parts = [fault_summary(report, "Your submission could not be graded, and this is not your fault: it will "
                                       "be regraded. No score has been given for this run.")]
    else:
        counts = ", ".join(f"{n} {status}" for status, n in report.counts.items() if n)
        parts = [f"Score: {number(report.score)} / {number(report.max_score)} points ({counts or 'no checks'})."]
        if report.message:
            parts.append(f"Note: {report.message}")
    if report.output:
        parts.append(f"Printed by your app while it was loading:\n{report.output.rstrip()}")
    if report.output_truncated:
        parts.append("(The output was cut off at the grader's limit; the rest was not kept.)")
    return "\n\n".join(parts)


def gradescope_results(report: Report) -> dict[str, Any]:
    """The results as Gradescope's dict; :func:`render_gradescope` serializes it."""
    graded = report.is_grade
    return {
        # A submission that did not load scores 0, whatever partial data the report holds; an incomplete one
        # has no score at all.
        **({"score": 0.0 if did_not_load(report) else report.score} if graded else {}),
        "execution_time": round(report.duration_s, 2),
        "output": _top_output(report),
        "visibility": VISIBILITY,
        "stdout_visibility": STDOUT_VISIBILITY,
        "extra_data": {
            "exercise": report.exercise.get("slug", ""),
            "exercise_version": report.exercise.get("version", ""),
            "status": report.status.value,
            "max_score": report.max_score,
            "grader_version": report.grader.get("version", ""),
        },
        "tests": [_test(i, c, graded) for i, c in enumerate(report.checks, start=1)],
    }


def render_gradescope(report: Report) -> str:
    return json.dumps(gradescope_results(report), indent=2, ensure_ascii=False) + "\n"
