"""Small helpers the CI renderers share: number formatting, grader faults, and where a message points.

Kept free of any one format so Gradescope, JUnit, Markdown, Classroom and the GitHub annotations agree on
what a grader fault is and which line of the student's code a message names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from ..results import CheckResult, Report, ReportStatus, Status

# The runner words a grader fault as "the grader failed while running this check (not your fault): ...";
# a parametrized check prefixes its worst case with "N of M cases did not pass; first: ".
_GRADER_FAULT = re.compile(r"^(?:\d+ of \d+ cases did not pass; first: )?the grader failed", re.IGNORECASE)

# `File "app.py", line 7` (a traceback frame) and `app.py line 7` (the loader's one-line summary).
_FRAME = re.compile(r'File "(?P<file>[^"\n]+)", line (?P<line>\d+)')
_SUMMARY = re.compile(r"(?P<file>[\w./-]+\.py) line (?P<line>\d+)")

GRADER_FAULT_NOTE = (
    "The grader itself failed while running this check. This is not a problem with your submission: "
    "your course staff will look into it and grade it again."
)


@dataclass(frozen=True)
class Location:
    """A line in one of the submission's files, named relative to the submission."""

    file: str
    line: int


def number(value: float) -> str:
    """"2" and "1.5" rather than "2.0" and "1.5000": the same rule as the HTML report."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def is_grader_fault(check: CheckResult) -> bool:
    return check.status is Status.ERROR and bool(_GRADER_FAULT.match(check.message))


def grader_faults(report: Report) -> list[CheckResult]:
    return [c for c in report.checks if is_grader_fault(c)]


def student_problems(report: Report) -> list[CheckResult]:
    """Checks that did not pass because of the submission (grader faults excluded)."""
    return [c for c in report.checks if c.status is not Status.PASSED and not is_grader_fault(c)]


def did_not_load(report: Report) -> bool:
    return report.status is ReportStatus.ERROR


def find_location(text: str, files: list[str]) -> Location | None:
    """The last place in ``text`` that names a line of one of ``files``.

    The last frame of a traceback is where the exception was raised, which is the line to fix. Only the
    submission's own files count: a frame in Flask's code, or a path the student's message made up, is
    not something an annotation should point at.
    """
    known = set(files)
    found: Location | None = None
    for pattern in (_SUMMARY, _FRAME):  # frames win over the summary when a message has both
        for m in pattern.finditer(text):
            if m.group("file") in known:
                found = Location(m.group("file"), int(m.group("line")))
    return found


def submission_name(report: Report) -> str:
    """The submission by the name it was handed in under (``alice.py``, ``alice/``'s ``alice``), never the
    grading machine's absolute path: a student report shows what the student submitted."""
    path = str(report.submission.get("path", ""))
    return PurePath(path).name or path
