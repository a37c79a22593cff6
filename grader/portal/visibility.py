"""What of a report a student may see, as the exercise's spec says, before and after the due date.

| visibility | the student sees |
|---|---|
| ``visible`` | the check in full |
| ``hidden`` | never the check (title, message, output); its points count in the score shown |
| ``after_due_date`` | nothing of it, points included, until their due date (extension applied) has passed |
| ``after_published`` | nothing of it, points included, until the instructor publishes the grades |

A pure function from a full report to the student's report, so that every page a student reaches is rendered
from the filtered report only and no page can leak what the filter removed.
"""

from __future__ import annotations

from dataclasses import replace

from ..results import Report


def revealed(visibility: str, *, due_passed: bool, published: bool) -> tuple[bool, bool]:
    """(the check is shown, its points are shown)."""
    if visibility == "visible":
        return True, True
    if visibility == "hidden":
        return False, True
    if visibility == "after_due_date":
        return due_passed, due_passed
    return published, published  # after_published


def student_report(report: Report, *, due_passed: bool, published: bool) -> Report:
    shown = []
    score, max_score = report.score, report.max_score
    hidden_n, hidden_score, hidden_points = 0, 0.0, 0.0
    withheld = 0
    for check in report.checks:
        show, points = revealed(check.visibility, due_passed=due_passed, published=published)
        if show:
            shown.append(check)
        elif points:
            hidden_n += 1
            hidden_score += check.score
            hidden_points += check.points
        else:
            withheld += 1
            score -= check.score
            max_score -= check.points
    notes = [report.message] if report.message else []
    if hidden_n:
        notes.append(f"{hidden_n} hidden check{'s' if hidden_n != 1 else ''} scored {hidden_score:g} of "
                     f"{hidden_points:g} points (included in your score; their details are not shown).")
    if withheld:
        notes.append(f"{withheld} more check{'s' if withheld != 1 else ''} will be shown, with their points, "
                     "after the due date or when grades are published.")
    return replace(report, checks=shown, score=max(0.0, score), max_score=max(0.0, max_score),
                   message=" ".join(notes))
