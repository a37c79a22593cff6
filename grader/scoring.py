"""Turn what the checks found into a :class:`Report`: points per check from the spec, one status each.

Pure: it reads the typed :class:`SubmissionRun` the runner produced and imports nothing that runs pytest or a
sandbox. A check whose cases hold a fault (the grader's, or a bug in the check's own code) is not graded,
and a report with any such check is ``incomplete``: its score is not the student's grade.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from . import __version__
from .results import CaseResult, CheckResult, Isolation, Report, ReportStatus, Status, SubmissionRun
from .spec import Check, Exercise

# When a parametrized check has several cases that did not pass, the most serious one speaks for the check.
# Faults come first: a check that could not be judged is not graded, whatever its other cases did.
_SEVERITY = {Status.GRADER_FAULT: 6, Status.CHECK_FAULT: 5, Status.TIMEOUT: 3, Status.ERROR: 2,
             Status.FAILED: 1, Status.PASSED: 0}


def _did_not_run(check: Check, cases: list[CaseResult], collection_errors: dict[str, str]) -> tuple[Status, str]:
    file = check.test.split("::", 1)[0]
    if file in collection_errors:
        return Status.CHECK_FAULT, f"the check file {file} could not be imported: {collection_errors[file]}"
    skips = [c.message for c in cases if c.skipped and c.message]
    if skips:
        return Status.CHECK_FAULT, f"the check skipped itself: {skips[0]}"
    return Status.GRADER_FAULT, "the grader did not run this check"


def score_check(check: Check, cases: list[CaseResult],
                collection_errors: dict[str, str] | None = None) -> CheckResult:
    """A check scores its points only if every case of it passed."""
    ran = [c for c in cases if c.status is not None]
    duration = sum(c.duration_s for c in cases)
    output = "".join(c.output for c in cases)
    if not ran:
        status, message = _did_not_run(check, cases, collection_errors or {})
    else:
        worst = max(ran, key=lambda c: _SEVERITY[c.status or Status.PASSED])
        status = worst.status or Status.PASSED
        message = worst.message
        label = f"case {worst.case}: " if worst.case else ""
        failing = [c for c in ran if c.status is not Status.PASSED]
        if status.is_fault:
            message = f"{label}{worst.message}"
        elif len(ran) > 1 and failing:
            first = f" ({worst.case})" if worst.case else ""
            message = f"{len(failing)} of {len(ran)} cases did not pass; first{first}: {worst.message}"
    score = check.points if status is Status.PASSED else 0.0
    return CheckResult(id=check.id, title=check.title, status=status, score=score, points=check.points,
                       message=message, visibility=check.visibility, duration_s=round(duration, 4),
                       output=output, topic=check.topic)


def incomplete_message(results: list[CheckResult]) -> str:
    """The report's top-level message when some checks could not be judged; it names them."""
    parts = []
    grader = [f"`{c.id}`" for c in results if c.status is Status.GRADER_FAULT]
    broken = [f"`{c.id}`" for c in results if c.status is Status.CHECK_FAULT]
    if grader:
        parts.append(f"the grader itself failed on {', '.join(grader)} (not your fault); the submission will be "
                     "graded again")
    if broken:
        parts.append(f"check {', '.join(broken)} has a bug in its own code: the exercise's bug, not yours; "
                     "its author has to fix it")
    return "not graded: " + "; ".join(parts)


def build_report(exercise: Exercise, run: SubmissionRun, isolation: Isolation, versions: dict[str, str],
                 *, checks: tuple[Check, ...] | None = None, created_at: str | None = None) -> Report:
    checks = exercise.checks if checks is None else checks
    by_test: dict[str, list[CaseResult]] = {}
    for case in run.cases:
        by_test.setdefault(case.test, []).append(case)
    message = ""
    if run.fault:
        # The grader could not even build a sandbox: nothing was judged, and nothing is the student's.
        status = ReportStatus.INCOMPLETE
        results = [CheckResult(id=c.id, title=c.title, status=Status.GRADER_FAULT, score=0.0, points=c.points,
                               message=f"not run: the grader could not build a sandbox: {run.fault}",
                               visibility=c.visibility, topic=c.topic) for c in checks]
        message = incomplete_message(results)
    elif run.load is not None and not run.load.ok:
        status = ReportStatus.ERROR
        message = run.load.message
        # A load that ran out of time is a timeout for every check; anything else kept them from running.
        check_status = Status.TIMEOUT if run.load.kind == "timeout" else Status.ERROR
        results = [CheckResult(id=c.id, title=c.title, status=check_status, score=0.0, points=c.points,
                               message=f"not run: {message}", visibility=c.visibility, topic=c.topic)
                   for c in checks]
    else:
        results = [score_check(c, by_test.get(c.test, []), run.collection_errors) for c in checks]
        if any(r.status.is_fault for r in results):
            status, message = ReportStatus.INCOMPLETE, incomplete_message(results)
        else:
            status = ReportStatus.GRADED
    output = run.load_output
    if run.load is not None and run.load.traceback:
        output = (output + "\n" if output else "") + run.load.traceback
    return Report(
        exercise={"slug": exercise.slug, "title": exercise.title, "version": exercise.version,
                  "statement": exercise.statement},
        submission={"path": str(run.submission.path), "sha256": run.submission.sha256,
                    "files": list(run.submission.files)},
        status=status,
        score=round(sum(r.score for r in results), 4),
        max_score=round(sum(c.points for c in checks), 4),
        checks=results,
        duration_s=round(run.duration_s, 4),
        grader={"version": __version__, "python": sys.version.split()[0], **versions},
        isolation=isolation,
        message=message,
        output=output,
        output_truncated=run.load_output_truncated,
        created_at=created_at or datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
