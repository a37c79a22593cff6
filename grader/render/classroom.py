"""GitHub Classroom's runner result (``classroom.b64``): what ``autograding-grading-reporter`` reads.

Classroom's graders (``autograding-command-grader``, ``autograding-io-grader``, ...) each set a step output
``result``: base64 of a JSON object ``{version: 1, status, max_score, tests: [{name, status, message,
test_code, filename, line_no, duration, score}]}`` with statuses ``pass``/``fail``/``error``. The reporter
decodes the env var ``<STEP_ID>_RESULTS`` of every runner, sums ``tests[].score`` against ``max_score``, and
fails the job on ``fail`` or ``error``. The file holds exactly that base64 line, so a workflow can copy it
into ``$GITHUB_OUTPUT`` (``grader`` does so itself when that variable is set).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..results import CheckResult, Report, Status
from ._common import FAULT_NOTES, did_not_load, fault_summary, find_location, student_problems

RESULT_VERSION = 1
LOAD_TEST = "Submission loads"
COMPLETE_TEST = "Submission graded completely"


def _status(check: CheckResult) -> str:
    if check.status is Status.PASSED:
        return "pass"
    # Their reporter's words: "fail" is a wrong answer, "error" that the test could not judge one.
    return "fail" if check.status is Status.FAILED else "error"


def _message(check: CheckResult) -> str:
    if check.status in FAULT_NOTES:
        return f"{FAULT_NOTES[check.status]} {check.message}"
    return check.message


def _test(report: Report, check: CheckResult) -> dict[str, Any]:
    where = find_location(check.message, list(report.submission.get("files", [])))
    return {
        "name": check.title,
        "status": _status(check),
        "message": _message(check),
        "test_code": f"{report.exercise.get('slug', '')}::{check.id}",
        "filename": where.file if where else "",
        "line_no": where.line if where else 0,
        "duration": round(check.duration_s * 1000),  # milliseconds, as their graders report it
        # Classroom has no "not graded": an incomplete report gives no points at all, rather than a total
        # that is not the student's.
        "score": check.score if report.is_grade else 0,
    }


def _load_test(report: Report) -> dict[str, Any]:
    message = report.message or "the submission did not load"
    where = find_location(message, list(report.submission.get("files", [])))
    return {"name": LOAD_TEST, "status": "error", "message": message,
            "test_code": f"{report.exercise.get('slug', '')}::load",
            "filename": where.file if where else "", "line_no": where.line if where else 0,
            "duration": 0, "score": 0}


def overall_status(report: Report) -> str:
    """``error`` when the report is not a grade (no load, or a grader or check fault), else pass/fail."""
    if did_not_load(report) or not report.is_grade:
        return "error"
    return "fail" if student_problems(report) else "pass"


def classroom_result(report: Report) -> dict[str, Any]:
    """The runner result as a dict; :func:`render_classroom` encodes it."""
    tests = [_test(report, c) for c in report.checks]
    if did_not_load(report):
        # Without it a report with no checks would give the reporter zero tests (it divides by that).
        tests.insert(0, _load_test(report))
    elif not report.is_grade:
        tests.insert(0, {"name": COMPLETE_TEST, "status": "error", "message": fault_summary(report),
                         "test_code": f"{report.exercise.get('slug', '')}::complete", "filename": "", "line_no": 0,
                         "duration": 0, "score": 0})
    return {"version": RESULT_VERSION, "status": overall_status(report), "max_score": report.max_score,
            "tests": tests}


def encode_result(result: dict[str, Any]) -> str:
    text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def render_classroom(report: Report) -> str:
    return encode_result(classroom_result(report)) + "\n"
