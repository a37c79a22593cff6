"""Gradescope's ``results.json`` (the autograder specification's output format).

Gradescope shows students the top-level ``output`` and each test's ``output``; ``stdout`` of
``run_autograder`` stays with the instructors. A test's ``status`` can only be ``passed`` or ``failed``,
so the finer outcome (error, timeout, grader or check fault) is said in words at the top of its output and
kept in ``extra_data`` for instructors. An incomplete report (a grader or check fault) carries no score at
all, neither at the top nor on any test: Gradescope is told the submission could not be graded and will be
regraded, and no total of it is posted as the student's.

Every string Gradescope displays says its format, ``text``, explicitly: the specification's default for the
top-level output is ``simple_format``, which renders HTML, and that output holds what the student's app
printed (tracebacks with ``<module>``, a SyntaxError caret whose indentation matters, whatever markup the
student printed). Under ``text`` Gradescope renders nothing (no HTML, Markdown or ANSI), so our strings
need no escaping of their own.

Our check visibilities are Gradescope's four, with its meaning: ``hidden`` never shown to students,
``after_due_date`` after the (late) due date, ``after_published`` once grades are published, ``visible``
always. While any test is hidden from a student, Gradescope hides the total score, so the top-level
output (always visible) speaks only of the visible checks and never names or scores the others.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from ..results import CheckResult, Report, Status
from ._common import FAULT_NOTES, did_not_load, fault_summary, number

# Grader logs on stdout may name paths and hidden checks: students never see them.
STDOUT_VISIBILITY = "hidden"
# The default for tests that set none; every test sets its own, so this governs only the top-level output.
VISIBILITY = "visible"
# Plain text: shown as written (in a <pre> for test output), nothing in it interpreted as markup.
FORMAT = "text"

_LATER = {"after_due_date": "shown after the due date", "after_published": "shown when grades are published",
          "hidden": "hidden"}

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
        "name_format": FORMAT,
        "output": _test_output(check),
        "output_format": FORMAT,
        "visibility": check.visibility,
    }
    if check.topic:
        test["tags"] = [check.topic]
    test["extra_data"] = {"id": check.id, "outcome": check.status.value}
    return test


def _shown_later(report: Report) -> str:
    """What the top-level output says of the checks it may not show: how many, their points, and when."""
    later = [c for c in report.checks if c.visibility != "visible"]
    when = ", ".join(f"{sum(c.visibility == v for c in later)} {words}" for v, words in _LATER.items()
                     if any(c.visibility == v for c in later))
    points = number(sum(c.points for c in later))
    total = ("after the due date, with them" if all(c.visibility == "after_due_date" for c in later)
             else "once grades are published")
    return (f"{len(later)} more check(s), worth {points} points, are not shown yet: {when}. "
            f"Your total score is shown {total}.")


def _fault_output(report: Report) -> str:
    """:func:`fault_summary` for text students always see: the faulty checks they may not see are counted,
    never named."""
    lead = ("Your submission could not be graded, and this is not your fault: it will be regraded. No score has "
            "been given for this run.")
    shown = replace(report, checks=[c for c in report.checks if c.visibility == "visible"])
    unseen = sum(c.visibility != "visible" for c in [*report.grader_faults, *report.check_faults])
    text = fault_summary(shown, lead)
    return text + (f" {unseen} check(s) not shown to you could not be judged." if unseen else "")


def _top_output(report: Report) -> str:
    if did_not_load(report):
        parts = [f"Your submission could not be graded: {report.message or 'the grader gave no reason.'}",
                 "Fix the problem above and submit again."]
    elif not report.is_grade:
        parts = [_fault_output(report)]
    else:
        shown = [c for c in report.checks if c.visibility == "visible"]
        counts = ", ".join(f"{n} {status.value}" for status in Status
                           if (n := sum(c.status is status for c in shown)))
        if len(shown) == len(report.checks):
            parts = [f"Score: {number(report.score)} / {number(report.max_score)} points "
                     f"({counts or 'no checks'})."]
        else:
            parts = [f"Visible checks: {number(sum(c.score for c in shown))} / {number(sum(c.points for c in shown))}"
                     f" points ({counts or 'none'}).", _shown_later(report)]
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
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "test_name_format": FORMAT,
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
