"""Turn what the checks found into a :class:`Report`: points per check from the spec, one status each."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from . import __version__
from .results import CheckResult, Isolation, Report, ReportStatus, Status
from .runner import CaseResult, SubmissionRun
from .spec import Check, Exercise

# When a parametrized check has several failing cases, the most serious one speaks for the check.
_SEVERITY = {"timeout": 3, "error": 2, "failed": 1, "passed": 0}


def score_check(check: Check, cases: list[CaseResult]) -> CheckResult:
    """A check scores its points only if every case of it passed."""
    ran = [c for c in cases if c.status != "skipped"]
    duration = sum(c.duration_s for c in cases)
    output = "".join(c.output for c in cases)
    if not ran:
        status, message = Status.ERROR, "this check did not run"
    else:
        worst = max(ran, key=lambda c: _SEVERITY.get(c.status, 2))
        status = Status(worst.status) if worst.status in _SEVERITY else Status.ERROR
        message = worst.message
        failing = [c for c in ran if c.status != "passed"]
        if len(ran) > 1 and failing:
            label = f" ({worst.case})" if worst.case else ""
            message = f"{len(failing)} of {len(ran)} cases did not pass; first{label}: {worst.message}"
    score = check.points if status is Status.PASSED else 0.0
    return CheckResult(id=check.id, title=check.title, status=status, score=score, points=check.points,
                       message=message, visibility=check.visibility, duration_s=round(duration, 4),
                       output=output, topic=check.topic)


def build_report(exercise: Exercise, run: SubmissionRun, isolation: Isolation, versions: dict[str, str],
                 *, checks: tuple[Check, ...] | None = None, created_at: str | None = None) -> Report:
    checks = exercise.checks if checks is None else checks
    by_test: dict[str, list[CaseResult]] = {}
    for case in run.cases:
        by_test.setdefault(case.test, []).append(case)
    message = ""
    if run.load is not None and not run.load.ok:
        status = ReportStatus.ERROR
        message = run.load.message
        # A load that ran out of time is a timeout for every check; anything else kept them from running.
        check_status = Status.TIMEOUT if run.load.kind == "timeout" else Status.ERROR
        results = [CheckResult(id=c.id, title=c.title, status=check_status, score=0.0, points=c.points,
                               message=f"not run: {message}", visibility=c.visibility, topic=c.topic)
                   for c in checks]
    else:
        status = ReportStatus.GRADED
        results = [score_check(c, by_test.get(c.test, [])) for c in checks]
    output = run.load_output
    if run.load is not None and run.load.traceback:
        output = (output + "\n" if output else "") + run.load.traceback
    return Report(
        exercise={"slug": exercise.slug, "title": exercise.title, "version": exercise.version,
                  "statement": exercise.statement},
        submission={"path": str(run.submission.path), "sha256": run.submission.sha256,
                    "files": run.submission.names},
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
