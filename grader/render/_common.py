"""What every renderer shares: status labels, number formatting, faults, and where a message points.

Kept free of any one format so the terminal, HTML, Markdown, Gradescope, JUnit, Classroom and the GitHub
annotations agree on what each outcome is called and which line of the student's code a message names.
Renderers read a check's typed :class:`Status`, never its wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from types import MappingProxyType

from ..results import CheckResult, Report, ReportStatus, Status

# `File "app.py", line 7` (a traceback frame) and `app.py line 7` (the loader's one-line summary).
_FRAME = re.compile(r'File "(?P<file>[^"\n]+)", line (?P<line>\d+)')
_SUMMARY = re.compile(r"(?P<file>[\w./-]+\.py) line (?P<line>\d+)")


@dataclass(frozen=True)
class Label:
    """How a status is shown: a symbol and a word (colour alone fails in print and for colour-blind readers),
    and the terminal colour."""

    symbol: str
    word: str
    colour: str

    def __str__(self) -> str:
        return f"{self.symbol} {self.word}"


STATUS_LABELS: MappingProxyType[Status, Label] = MappingProxyType({
    Status.PASSED: Label("✓", "passed", "green"),
    Status.FAILED: Label("✗", "failed", "red"),
    Status.ERROR: Label("!", "error", "red"),
    Status.TIMEOUT: Label("◷", "timeout", "yellow"),  # a clock face most fonts have; ⌛ is often tofu
    Status.GRADER_FAULT: Label("?", "not graded: grader fault", "magenta"),
    Status.CHECK_FAULT: Label("?", "not graded: check fault", "magenta"),
})

GRADER_FAULT_NOTE = (
    "Not graded, not your fault: the grader itself failed while running this check. This is not a problem "
    "with your submission; it will be graded again."
)
CHECK_FAULT_NOTE = (
    "Not graded, not your fault: this check of the exercise has a bug in its own code. It is the exercise's "
    "bug, for its author to fix; your submission will be graded again once it is fixed."
)
INCOMPLETE_NOTE = (
    "Your submission could not be graded completely, and this is not your fault: no total is given for it, "
    "and it will be graded again."
)
FAULT_NOTES = MappingProxyType({Status.GRADER_FAULT: GRADER_FAULT_NOTE, Status.CHECK_FAULT: CHECK_FAULT_NOTE})


@dataclass(frozen=True)
class Location:
    """A line in one of the submission's files, named relative to the submission."""

    file: str
    line: int


def number(value: float) -> str:
    """Points as people write them: "2" and "1.5" rather than "2.0" and "1.5000". The one rule for every format."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def score_text(report: Report) -> str:
    """``7 / 10`` for a grade; ``not graded`` for an incomplete report, whose total is nobody's score."""
    if not report.is_grade:
        return f"not graded (out of {number(report.max_score)})"
    return f"{number(report.score)} / {number(report.max_score)}"


def faults(report: Report) -> list[CheckResult]:
    """Checks that could not be judged (grader or check faults)."""
    return [c for c in report.checks if c.status.is_fault]


def fault_summary(report: Report, lead: str = INCOMPLETE_NOTE) -> str:
    """One paragraph for the top of any format: ``lead``, then which checks could not be judged and whose
    fault it is (a check fault names the check, for the exercise's author)."""
    parts = [lead] if lead else []
    grader = [c.title for c in report.grader_faults]
    broken = [f"{c.title} (`{c.id}`)" for c in report.check_faults]
    if grader:
        parts.append(f"The grader itself failed while running: {', '.join(grader)}.")
    if broken:
        parts.append(f"A check of the exercise has a bug in its own code (the exercise's bug, for its author): "
                     f"{', '.join(broken)}.")
    return " ".join(parts)


def student_problems(report: Report) -> list[CheckResult]:
    """Checks that did not pass because of the submission (faults excluded)."""
    return [c for c in report.checks if c.status is not Status.PASSED and not c.status.is_fault]


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
