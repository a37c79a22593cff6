"""Orchestrating a batch: decide what still needs grading, hand it to an executor, journal every grade as
it arrives, retry grader faults, and write the class outputs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from ..classreport import BatchSummary, write_class_outputs
from ..errors import GraderError
from ..results import Status, SummaryRow
from ..spec import Exercise
from .executor import Executor, chunked, report_dir
from .journal import Journal
from .layout import JOURNAL_NAME, Job, Layout, discover
from .pool import LocalPool
from .roster import Roster


class BatchInterrupted(GraderError):
    """Ctrl-C: what finished is journaled; the message says how to resume."""

    exit_code = 130


@dataclass(frozen=True)
class RetryPolicy:
    """How often a submission the grader failed on is graded again within one run, and how long to wait.

    A grader fault may be transient (a zygote that died, a machine short of memory for a moment): each retry
    waits ``backoff_s * 2**(attempt - 1)`` seconds first. A check fault is not retried: the check's code is
    the same on every attempt.
    """

    attempts: int = 3  # in all, the first included
    backoff_s: float = 1.0

    def delay(self, attempt: int) -> float:
        """The wait before ``attempt`` (2, 3, ...)."""
        return self.backoff_s * 2 ** (attempt - 2)


class Progress(Protocol):
    def start(self, total: int, skipped: int) -> None: ...
    def advance(self, row: SummaryRow) -> None: ...
    def stop(self) -> None: ...


class _NoProgress:
    def start(self, total: int, skipped: int) -> None:
        pass

    def advance(self, row: SummaryRow) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass
class BatchResult:
    out_dir: Path
    layout: Layout
    rows: dict[tuple[str, str], SummaryRow]
    graded: int  # graded in this run
    skipped: int  # journaled and unchanged
    retried: int  # submissions graded again after a grader fault
    outputs: list[Path]
    not_graded: list[SummaryRow] = field(default_factory=list)  # left incomplete after every attempt

    @property
    def faults(self) -> int:
        return len(self.not_graded)

    def not_graded_summary(self) -> str:
        grader = sum(r.fault is Status.GRADER_FAULT for r in self.not_graded)
        broken = len(self.not_graded) - grader
        parts = ([f"{grader} grader fault(s), still failing after retries"] if grader else []) + \
                ([f"{broken} check fault(s)"] if broken else [])
        return ", ".join(parts)


def run_batch(submissions: Path, exercises: list[Exercise], out_dir: Path, *, workers: int,
              roster: Roster | None = None, force: bool = False, executor: Executor | None = None,
              progress: Progress | None = None, require_full_isolation: bool = False,
              retry: RetryPolicy | None = None, pytest_reports: bool = False,
              sleep: Callable[[float], None] = time.sleep) -> BatchResult:
    """Grade a class. Writes reports, summary.json, grades.csv and index.html under ``out_dir``.

    Grades (graded, or did not load) are journaled as they arrive; a rerun skips what is journaled and
    unchanged. A submission the grader failed on is graded again (``retry``), and if it still fails it is
    listed as not graded, never as 0.
    """
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    retry = retry or RetryPolicy()
    by_slug = {ex.slug: ex for ex in exercises}
    layout = discover(submissions, exercises)
    journal = Journal(out_dir / JOURNAL_NAME)
    done = {} if force else journal.load()
    rows: dict[tuple[str, str], SummaryRow] = {}
    todo: list[Job] = []
    for job in layout.jobs:
        prev = done.get((job.student, job.slug))
        if (prev and prev.is_grade and prev.sha256 == job.sha256 and prev.version == by_slug[job.slug].version
                and (report_dir(out_dir, job) / "report.json").is_file()):
            rows[(job.student, job.slug)] = prev
        else:
            todo.append(job)
    skipped = len(rows)
    progress = progress or _NoProgress()
    executor = executor or LocalPool(workers, out_dir, require_full_isolation=require_full_isolation,
                                     pytest_reports=pytest_reports)
    graded = retried = 0
    journal.open()
    progress.start(len(todo), skipped)
    by_key = {(job.student, job.slug): job for job in todo}
    pending = todo
    try:
        for attempt in range(1, retry.attempts + 1):
            if attempt > 1:
                sleep(retry.delay(attempt))
                retried += len(pending)
            again: list[Job] = []
            for row in executor.run(chunked(pending, by_slug, workers)):
                key = (row.student, row.slug)
                row = SummaryRow.from_dict({**row.to_dict(), "attempts": attempt})
                rows[key] = row
                if row.is_grade:
                    journal.append(row)
                    graded += 1
                elif row.retryable and attempt < retry.attempts:
                    again.append(by_key[key])
                    continue  # not counted yet: it is graded again below
                progress.advance(row)
            pending = again
            if not pending:
                break
    except KeyboardInterrupt:
        raise BatchInterrupted(
            f"stopped after grading {graded} of the {len(todo)} submissions left; {graded + skipped} of "
            f"{len(layout.jobs)} are done and saved in {journal.path}",
            tip="run the same command again to resume; what is finished and unchanged is not graded again",
        ) from None
    finally:
        progress.stop()
        journal.close()
    not_graded = [row for _, row in sorted(rows.items()) if not row.is_grade]
    run_info = {"started_at": started_at, "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "duration_s": round(time.perf_counter() - started, 3), "graded_now": graded, "skipped": skipped,
                "retried": retried, "not_graded": len(not_graded), "workers": workers}
    summary = BatchSummary(exercises=exercises, rows=rows, students=sorted(layout.students), layout_kind=layout.kind,
                           prefix=layout.prefix, ignored=list(layout.ignored), roster=roster, run=run_info)
    outputs = write_class_outputs(out_dir, summary)
    return BatchResult(out_dir, layout, rows, graded, skipped, retried, outputs, not_graded)
