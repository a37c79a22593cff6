"""Batch grading: a class of submissions, one or more exercises, across worker processes, resumable.

One module per concern:

- :mod:`.layout`: finding the submissions (which layout, each student's name, one :class:`Job` each);
- :mod:`.roster`: the class roster CSV;
- :mod:`.journal`: the append-only journal that makes a batch resumable;
- :mod:`.executor`: the seam between the batch and whatever runs the grading (:class:`Chunk`,
  :func:`grade_chunk`, the :class:`Executor` protocol);
- :mod:`.pool`: the local executor, a pool of worker processes each holding one sandbox zygote;
- :mod:`.run`: the orchestration, :func:`run_batch`.

The parent process finds the submissions, decides what still needs grading, and hands (exercise, chunk of
submissions) jobs to an :class:`Executor`. Workers grade a chunk in one pytest session (``grade_many``), write
each report themselves and send back only a small typed :class:`~grader.results.SummaryRow`, so the parent's
memory does not grow with the reports. The parent journals every grade (append-only JSONL, fsync'd) as it
arrives: a rerun skips what is journaled and unchanged, and ``kill -9`` at any moment loses only the
submissions still being graded. A submission the grader failed on is retried, then listed as not graded.
"""

from __future__ import annotations

from ..render import write_atomic
from .executor import MAX_CHUNK, MIN_CHUNK, Chunk, Executor, chunked, grade_chunk, pytest_report_path, report_dir
from .journal import Journal
from .layout import JOURNAL_NAME, LAYOUT_TIP, OUTPUT_NAMES, Job, Layout, discover, fingerprint, normalize_student
from .pool import LocalPool
from .roster import ROSTER_KEYS, Roster, read_roster
from .run import BatchInterrupted, BatchResult, Progress, RetryPolicy, run_batch

__all__ = [
    "JOURNAL_NAME", "LAYOUT_TIP", "MAX_CHUNK", "MIN_CHUNK", "OUTPUT_NAMES", "ROSTER_KEYS", "BatchInterrupted",
    "BatchResult", "Chunk", "Executor", "Job", "Journal", "Layout", "LocalPool", "Progress", "RetryPolicy", "Roster",
    "chunked", "discover", "fingerprint", "grade_chunk", "normalize_student", "pytest_report_path", "read_roster",
    "report_dir", "run_batch", "write_atomic",
]
