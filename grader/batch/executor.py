"""The executor seam: what one unit of batch work is (a :class:`Chunk`), how a worker grades it
(:func:`grade_chunk`), and what an engine that runs chunks must do (:class:`Executor`).

The local process pool (:mod:`grader.batch.pool`) is one executor; a distributed one plugs in the same way:
take chunks, run :func:`grade_chunk` for each wherever it likes (with one long-lived :class:`Grader` per
worker process), and yield each :class:`SummaryRow` as it comes. Rows are small and JSON-able
(:meth:`SummaryRow.to_dict` / ``from_dict``), so they can cross any queue; reports are written by the worker
under ``out_dir`` and never travel.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import GraderError, IsolationError
from ..grading import Grader
from ..render import write_reports
from ..results import Load, Report, SubmissionInfo, SubmissionRun, SummaryRow
from ..sandbox import Submission, read_submission
from ..scoring import build_report
from ..spec import Exercise
from .layout import PYTEST_REPORTS, Job

MAX_CHUNK = 64  # submissions per pytest session at most: bounds a worker's memory in a large class
MIN_CHUNK = 4


@dataclass(frozen=True)
class Chunk:
    """Submissions of one exercise graded in one pytest session."""

    exercise: Exercise
    jobs: tuple[Job, ...]


class Executor(Protocol):
    """Where chunks are graded. The local process pool is one; a distributed engine would be another.

    ``run`` must yield exactly one row per job of every chunk (a :meth:`SummaryRow.not_graded` row for a job
    the worker could not finish: a crash is a grader fault, never the student's), in any order. The batch
    retries rows that are grader faults by calling ``run`` again with those jobs only.
    """

    def run(self, chunks: list[Chunk]) -> Iterator[SummaryRow]:
        """Grade every chunk, yielding each job's row as soon as that job is graded (any order)."""
        ...


def report_dir(out_dir: Path, job: Job | SummaryRow) -> Path:
    return out_dir / job.student / job.slug


def pytest_report_path(out_dir: Path, chunk: Chunk) -> Path:
    """Where a chunk's raw pytest-json-report goes: named after the students it holds."""
    first, last = chunk.jobs[0].student, chunk.jobs[-1].student
    name = first if first == last else f"{first}..{last}"
    return out_dir / PYTEST_REPORTS / chunk.exercise.slug / f"{name}.json"


def _unreadable_report(grader: Grader, ex: Exercise, job: Job, reason: str) -> Report:
    run = SubmissionRun(SubmissionInfo(job.path, hashlib.sha256(b"").hexdigest()),
                        load=Load(False, "unreadable", f"the submission could not be read: {reason}"))
    return build_report(ex, run, grader.isolation(ex), grader.zygote.versions)


def grade_chunk(grader: Grader, chunk: Chunk, out_dir: Path, emit: Callable[[SummaryRow], None] | None = None, *,
                pytest_reports: bool = False) -> list[SummaryRow]:
    """Grade a chunk in one pytest session, writing each report the moment its submission is done.

    Each row goes to ``emit`` as soon as its report is written (so the parent can journal it before the chunk
    ends); rows are returned instead when there is no ``emit``. Never raises for one student: a grader crash
    costs only the submission behind it (found by grading the rest one by one), as a not-graded row.
    ``pytest_reports``: keep pytest-json-report's raw report of the session under ``out_dir/pytest-reports/``.
    """
    ex = chunk.exercise
    rows: list[SummaryRow] = []
    send = emit if emit is not None else rows.append
    jobs = {job.student: job for job in chunk.jobs}
    sent: set[str] = set()

    def save(student: str, report: Report) -> None:
        job = jobs[student]
        folder = report_dir(out_dir, job)
        for stale in folder.glob(".*.tmp"):  # left by a worker killed mid-write
            stale.unlink(missing_ok=True)
        write_reports(report, folder)
        sent.add(student)
        send(SummaryRow.of_report(job.student, job.slug, job.sha256, ex.version, report))

    subs: dict[str, Path | Submission] = {}  # read here, so one unreadable folder costs only its own report
    for job in chunk.jobs:
        try:
            subs[job.student] = read_submission(job.path, ex.entry)
        except (OSError, GraderError) as exc:
            save(job.student, _unreadable_report(grader, ex, job, getattr(exc, "strerror", None) or str(exc)))
    try:
        if subs:
            grader.grade_many(ex, subs, on_report=save,
                              pytest_report=pytest_report_path(out_dir, chunk) if pytest_reports else None)
    except IsolationError:
        raise  # the whole batch was asked for isolation this machine lacks: stop, do not blame anyone
    except Exception as exc:  # a grader fault must not cost the rest of the class their grades
        grader.close()  # the zygote may be gone; the next call starts a fresh one
        left = [job for job in chunk.jobs if job.student not in sent]
        if len(left) > 1:  # find the one submission behind it by grading each on its own
            for job in left:
                rows += grade_chunk(grader, Chunk(ex, (job,)), out_dir, emit, pytest_reports=pytest_reports)
            return rows
        why = f"the grader failed on this submission (not the student's fault): {type(exc).__name__}: {exc}"
        rows += [SummaryRow.not_graded(job.student, job.slug, job.sha256, ex.version, why) for job in left]
        return rows
    rows += [SummaryRow.not_graded(job.student, job.slug, job.sha256, ex.version,
                                   "the grader returned no report for this submission")
             for job in chunk.jobs if job.student not in sent]
    return rows


def chunked(jobs: list[Job], exercises: dict[str, Exercise], workers: int) -> list[Chunk]:
    """Chunks per exercise, largest first (guided scheduling): each takes a share of what is left, so early
    chunks amortize a pytest session (~0.15 s) over many submissions and the last, small ones even out the
    workers' finishing times. Reports are saved as each submission finishes, whatever the chunk size."""
    chunks = []
    for slug, ex in exercises.items():
        mine = [j for j in jobs if j.slug == slug]
        start = 0
        while start < len(mine):
            left = len(mine) - start
            size = min(left, MAX_CHUNK, max(MIN_CHUNK, math.ceil(left / (2 * max(1, workers)))))
            chunks.append(Chunk(ex, tuple(mine[start:start + size])))
            start += size
    return chunks
