"""Batch grading: a class of submissions, one or more exercises, across worker processes, resumable.

The parent process finds the submissions, decides what still needs grading, and hands (exercise, chunk of
submissions) jobs to an :class:`Executor`. Workers grade a chunk in one pytest session (``grade_many``), write
each report themselves and send back only a small summary row, so the parent's memory does not grow with the
reports. The parent journals every row (append-only JSONL, fsync'd) as it arrives: a rerun skips what is
journaled and unchanged, and ``kill -9`` at any moment loses only the submissions still being graded.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import hashlib
import io
import json
import math
import multiprocessing as mp
import os
import queue
import re
import signal
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from .errors import GraderError, IsolationError
from .grading import Grader
from .render import write_atomic, write_reports
from .results import Report
from .runner import SubmissionRun
from .sandbox import LoadResult, Submission, read_submission
from .scoring import build_report
from .spec import Exercise

JOURNAL_NAME = "journal.jsonl"
OUTPUT_NAMES = ("summary.json", "grades.csv", "index.html", JOURNAL_NAME)
MAX_CHUNK = 64  # submissions per pytest session at most: bounds a worker's memory in a large class
MIN_CHUNK = 4
LAYOUT_TIP = ("lay out one exercise as SUBMISSIONS/<student>.py or SUBMISSIONS/<student>/ (GitHub Classroom "
              "clones `<assignment>-<username>/` work as is), and several as SUBMISSIONS/<student>/<slug>/")
ROSTER_KEYS = ("student", "github_username", "username")

Row = dict[str, Any]  # the small per-(student, exercise) summary the parent keeps instead of a Report


class BatchInterrupted(GraderError):
    """Ctrl-C: what finished is journaled; the message says how to resume."""

    exit_code = 130


# ----------------------------------------------------------------------------- finding the submissions


@dataclass(frozen=True)
class Job:
    """One submission of one exercise; ``sha256`` is fixed by the parent so the journal compares like with like."""

    student: str
    slug: str
    path: Path
    sha256: str


@dataclass
class Layout:
    kind: str  # "one-exercise", "several-exercises"
    students: dict[str, Path]  # normalized name -> the student's file or folder
    jobs: list[Job]
    prefix: str = ""  # the GitHub Classroom `<assignment>-` prefix that was stripped, if any
    ignored: list[str] = field(default_factory=list)


def normalize_student(name: str) -> str:
    """Case-folded, NFKC, and safe as one path segment: anything but letters, digits, `.`, `_`, `-` becomes `-`."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[^\w.-]+", "-", folded).strip(".-")


def _classroom_prefix(entries: list[Path]) -> str:
    """`hw1-alice/`, `hw1-bob/` (cloned repos) -> `hw1-`; only for git clones, so `ann-lee/`, `ann-ray/` stay."""
    if len(entries) < 2 or not all(p.is_dir() and (p / ".git").exists() for p in entries):
        return ""
    common = os.path.commonprefix([p.name for p in entries])
    prefix = common[: common.rfind("-") + 1]
    if not prefix or any(len(p.name) == len(prefix) for p in entries):
        return ""
    return prefix


def fingerprint(path: Path, entry: str) -> str:
    """The submission's sha256 as its report will record it; a stable marker when it cannot be read."""
    try:
        return read_submission(path, entry).sha256
    except (OSError, GraderError) as exc:
        return "unreadable:" + hashlib.sha256(str(exc).encode()).hexdigest()[:16]


def discover(root: Path, exercises: list[Exercise]) -> Layout:
    """Map a folder of submissions to jobs; see LAYOUT_TIP for the layouts."""
    if not root.is_dir():
        raise GraderError(f"submissions folder {root} does not exist or is not a folder", tip=LAYOUT_TIP)
    several = len(exercises) > 1
    try:
        listing = sorted(root.iterdir())
    except OSError as exc:
        raise GraderError(f"cannot list {root}: {exc.strerror}", tip="check the folder's permissions") from None
    visible = [p for p in listing if not p.name.startswith(".")]
    entries = [p for p in visible if p.is_dir() or (not several and p.suffix == ".py" and p.is_file())]
    ignored = [p.name for p in visible if p not in entries]
    if not entries:
        raise GraderError(f"no submissions found in {root}", tip=LAYOUT_TIP)
    prefix = _classroom_prefix(entries)
    students: dict[str, Path] = {}
    for p in entries:
        raw = p.stem if p.is_file() else p.name
        student = normalize_student(raw[len(prefix):])
        if not student or student in OUTPUT_NAMES:
            raise GraderError(f"{p}: `{raw}` cannot be used as a student name",
                              tip="rename it to the student's name or username")
        if student in students:
            raise GraderError(f"`{students[student].name}` and `{p.name}` in {root} are both student `{student}` "
                              "(names are compared case-insensitively, punctuation as `-`)",
                              tip="rename or remove one of them")
        students[student] = p
    jobs = []
    for student in sorted(students):
        for ex in exercises:
            path = _submission_path(students[student], ex, several)
            if path is not None:
                jobs.append(Job(student, ex.slug, path, fingerprint(path, ex.entry)))
    return Layout("several-exercises" if several else "one-exercise", students, jobs, prefix, ignored)


def _submission_path(p: Path, ex: Exercise, several: bool) -> Path | None:
    if p.is_file():
        return p
    if (p / ex.slug).is_dir():
        return p / ex.slug
    if several:
        single = p / f"{ex.slug}.py"
        return single if single.is_file() else None  # None: this student did not hand this exercise in
    return p  # the folder is the submission; a missing entry module becomes that student's error report


# ----------------------------------------------------------------------------- roster


@dataclass(frozen=True)
class Roster:
    path: Path
    columns: tuple[str, ...]
    key: str  # the column naming the student, matched against normalized submission names
    rows: tuple[dict[str, str], ...]

    def student(self, row: dict[str, str]) -> str:
        return normalize_student(row.get(self.key, ""))


def read_roster(path: Path) -> Roster:
    """A CSV with a `student` column (or GitHub Classroom's `github_username`); other columns are kept."""
    try:
        text = path.read_bytes().decode("utf-8-sig")  # -sig: Excel and Classroom exports start with a BOM
    except OSError as exc:
        raise GraderError(f"cannot read roster {path}: {exc.strerror}", tip="pass a CSV file to --roster") from None
    except UnicodeDecodeError:
        raise GraderError(f"roster {path} is not UTF-8 text", tip="export the roster as CSV UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    raw_columns = list(reader.fieldnames or ())
    columns = tuple(c.strip() for c in raw_columns)
    key = next((k for k in ROSTER_KEYS if k in columns), None)
    if key is None:
        found = ", ".join(f"`{c}`" for c in columns) or "none"
        raise GraderError(f"roster {path} has no `student` column (columns found: {found})",
                          tip="add a `student` column holding each student's submission name "
                              "(GitHub Classroom's `github_username` works too)")
    rows = tuple({c: (raw.get(orig) or "").strip() for orig, c in zip(raw_columns, columns, strict=True)}
                 for raw in reader)
    seen: dict[str, int] = {}
    for i, row in enumerate(rows, start=2):
        name = normalize_student(row[key])
        if name and name in seen:
            raise GraderError(f"roster {path}: line {i} repeats student `{row[key]}` from line {seen[name]}",
                              tip="list each student once")
        seen[name] = i
    return Roster(path, columns, key, rows)


# ----------------------------------------------------------------------------- journal


class Journal:
    """Append-only JSONL of finished rows; the last entry for a (student, slug) wins."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: io.TextIOWrapper | None = None

    def load(self) -> dict[tuple[str, str], Row]:
        done: dict[tuple[str, str], Row] = {}
        if not self.path.exists():
            return done
        with self.path.open("rb") as f:
            for line in f:
                try:
                    row = json.loads(line)
                    done[(row["student"], row["slug"])] = row
                except (ValueError, KeyError, TypeError):
                    continue  # a line torn by kill -9 mid-write: that submission is simply graded again
        return done

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._drop_torn_tail()
        self._file = self.path.open("a", encoding="utf-8")

    def _drop_torn_tail(self) -> None:
        # Appending after a torn line would glue the next entry onto it and lose both.
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as f:
                f.truncate(data.rfind(b"\n") + 1)

    def append(self, row: Row) -> None:
        assert self._file is not None, "open() the journal first"
        self._file.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


# ----------------------------------------------------------------------------- grading a chunk (in a worker)


@dataclass(frozen=True)
class Chunk:
    exercise: Exercise
    jobs: tuple[Job, ...]


def summary_row(job: Job, version: str, report: Report) -> Row:
    checks = {c.id: c.status.value for c in report.checks}
    return {"student": job.student, "slug": job.slug, "sha256": job.sha256, "version": version,
            "status": report.status.value, "score": report.score, "max_score": report.max_score,
            "message": report.message[:300], "checks": checks, "duration_s": report.duration_s}


def fault_row(job: Job, version: str, message: str) -> Row:
    """The grader itself failed on this job: not journaled, so the next run tries it again."""
    return {"student": job.student, "slug": job.slug, "sha256": job.sha256, "version": version, "status": "fault",
            "score": 0.0, "max_score": 0.0, "message": message[:300], "checks": {}, "duration_s": 0.0}


def _unreadable_report(grader: Grader, ex: Exercise, job: Job, reason: str) -> Report:
    run = SubmissionRun(Submission(job.path, (), hashlib.sha256(b"").hexdigest()),
                        load=LoadResult(False, "unreadable", f"the submission could not be read: {reason}"))
    return build_report(ex, run, grader.isolation(ex), grader.zygote.versions)


def grade_chunk(grader: Grader, chunk: Chunk, out_dir: Path, emit: Callable[[Row], None] | None = None) -> list[Row]:
    """Grade a chunk in one pytest session, writing each report the moment its submission is done.

    Each row goes to ``emit`` as soon as its report is written (so the parent can journal it before the chunk
    ends); rows are returned instead when there is no ``emit``. Never raises for one student.
    """
    ex = chunk.exercise
    rows: list[Row] = []
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
        send(summary_row(job, ex.version, report))

    subs: dict[str, Path | Submission] = {}  # read here, so one unreadable folder costs only its own report
    for job in chunk.jobs:
        try:
            subs[job.student] = read_submission(job.path, ex.entry)
        except (OSError, GraderError) as exc:
            save(job.student, _unreadable_report(grader, ex, job, getattr(exc, "strerror", None) or str(exc)))
    try:
        if subs:
            grader.grade_many(ex, subs, on_report=save)
    except IsolationError:
        raise  # the whole batch was asked for isolation this machine lacks: stop, do not blame anyone
    except Exception as exc:  # a grader fault must not cost the rest of the class their grades
        grader.close()  # the zygote may be gone; the next call starts a fresh one
        left = [job for job in chunk.jobs if job.student not in sent]
        if len(left) > 1:  # find the one submission behind it by grading each on its own
            for job in left:
                rows += grade_chunk(grader, Chunk(ex, (job,)), out_dir, emit)
            return rows
        why = f"the grader failed on this submission (not the student's fault): {type(exc).__name__}: {exc}"
        rows += [fault_row(job, ex.version, why) for job in left]
        return rows
    rows += [fault_row(job, ex.version, "the grader returned no report for this submission")
             for job in chunk.jobs if job.student not in sent]
    return rows


def report_dir(out_dir: Path, job: Job | Row) -> Path:
    student, slug = (job.student, job.slug) if isinstance(job, Job) else (job["student"], job["slug"])
    return out_dir / student / slug


# ----------------------------------------------------------------------------- executors


class Executor(Protocol):
    """Where chunks are graded. The local process pool is one; a distributed engine would be another."""

    def run(self, chunks: list[Chunk]) -> Iterator[Row]:
        """Grade every chunk, yielding each job's row as soon as that job is graded (any order)."""
        ...


@dataclass(frozen=True)
class _WorkerOptions:
    out_dir: Path
    require_full_isolation: bool
    parent_pid: int


def _die_with_parent(parent_pid: int) -> None:
    # If the batch is killed (even kill -9), each worker gets SIGTERM and takes its zygote down with it.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:
        os._exit(1)


def _worker_main(tasks: Any, results: Any, options: _WorkerOptions) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    grader = Grader(require_full_isolation=options.require_full_isolation)

    def stop(*_: object) -> None:
        grader.abort()  # not close(): this handler may interrupt close() itself, inside Popen.wait's lock
        os._exit(143)

    signal.signal(signal.SIGTERM, stop)
    _die_with_parent(options.parent_pid)
    try:
        while (item := tasks.get()) is not None:
            chunk_id, chunk = item
            results.put(("start", chunk_id, os.getpid()))

            def emit(row: Row, chunk_id: int = chunk_id) -> None:
                results.put(("row", chunk_id, row))

            try:
                rows = grade_chunk(grader, chunk, options.out_dir, emit=emit)
            except GraderError as exc:
                results.put(("error", chunk_id, (exc.message, exc.tip)))
                continue
            results.put(("rows", chunk_id, rows))
    finally:
        grader.close()


class LocalPool:
    """N worker processes, each with its own Grader (one zygote), fed chunks through a queue."""

    def __init__(self, workers: int, out_dir: Path, *, require_full_isolation: bool = False) -> None:
        self.workers = max(1, workers)
        self.options = _WorkerOptions(out_dir, require_full_isolation, os.getpid())
        # spawn, not fork: the parent may run a progress thread, and workers need none of its state.
        self.ctx = mp.get_context("spawn")
        self.exitcodes: list[int | None] = []  # how the last run's workers ended (0: they finished and left)

    def _start(self, tasks: Any, results: Any) -> Any:
        proc = self.ctx.Process(target=_worker_main, args=(tasks, results, self.options), daemon=True)
        proc.start()
        return proc

    def run(self, chunks: list[Chunk]) -> Iterator[Row]:
        if not chunks:
            return
        tasks, results = self.ctx.Queue(), self.ctx.Queue()
        for item in enumerate(chunks):
            tasks.put(item)
        procs = [self._start(tasks, results) for _ in range(min(self.workers, len(chunks)))]
        for _ in procs:
            tasks.put(None)
        running: dict[int, int] = {}  # worker pid -> chunk id
        pending = set(range(len(chunks)))
        streamed: dict[int, set[str]] = {}  # chunk id -> students whose rows already arrived
        try:
            while pending:
                try:
                    kind, chunk_id, payload = results.get(timeout=0.5)
                except queue.Empty:
                    yield from self._reap(procs, running, pending, chunks, tasks, results, streamed)
                    continue
                if kind == "start":
                    running[payload] = chunk_id
                elif kind == "row":
                    streamed.setdefault(chunk_id, set()).add(payload["student"])
                    yield payload
                elif kind == "error":
                    message, tip = payload
                    raise GraderError(message, tip=tip)
                else:
                    pending.discard(chunk_id)
                    running = {pid: c for pid, c in running.items() if c != chunk_id}
                    yield from payload
        finally:
            # Finished workers exit by themselves (each got a None): wait for them, so that SIGTERM never lands
            # in a worker that is already closing its zygote. Interrupted, stop them at once.
            for p in procs:
                if pending:
                    p.terminate()
                p.join(timeout=10)
                if p.is_alive():
                    p.kill()
                    p.join()
            self.exitcodes = [p.exitcode for p in procs]

    def _reap(self, procs: list[Any], running: dict[int, int], pending: set[int], chunks: list[Chunk],
              tasks: Any, results: Any, streamed: dict[int, set[str]]) -> Iterator[Row]:
        """A worker that died (a grader crash) costs only its chunk, reported as faults; a new worker replaces it."""
        for i, p in enumerate(procs):
            if p.is_alive() or p.exitcode == 0:
                continue
            chunk_id = running.pop(p.pid, None)
            if chunk_id is not None and chunk_id in pending:
                pending.discard(chunk_id)
                ex = chunks[chunk_id].exercise
                why = f"a grading worker crashed (exit code {p.exitcode}); run the batch again to retry"
                done = streamed.get(chunk_id, set())
                yield from (fault_row(job, ex.version, why) for job in chunks[chunk_id].jobs
                            if job.student not in done)
            if pending:
                procs[i] = self._start(tasks, results)
                tasks.put(None)


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


# ----------------------------------------------------------------------------- the batch


class Progress(Protocol):
    def start(self, total: int, skipped: int) -> None: ...
    def advance(self, row: Row) -> None: ...
    def stop(self) -> None: ...


class _NoProgress:
    def start(self, total: int, skipped: int) -> None:
        pass

    def advance(self, row: Row) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass
class BatchResult:
    out_dir: Path
    layout: Layout
    rows: dict[tuple[str, str], Row]
    graded: int  # graded in this run
    skipped: int  # journaled and unchanged
    faults: int
    outputs: list[Path]


def run_batch(submissions: Path, exercises: list[Exercise], out_dir: Path, *, workers: int,
              roster: Roster | None = None, force: bool = False, executor: Executor | None = None,
              progress: Progress | None = None, require_full_isolation: bool = False) -> BatchResult:
    """Grade a class; see the module docstring. Writes reports, summary.json, grades.csv and index.html."""
    from .classreport import write_class_outputs  # the report stage; imported here to keep workers light

    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    by_slug = {ex.slug: ex for ex in exercises}
    layout = discover(submissions, exercises)
    journal = Journal(out_dir / JOURNAL_NAME)
    done = {} if force else journal.load()
    rows: dict[tuple[str, str], Row] = {}
    todo: list[Job] = []
    for job in layout.jobs:
        prev = done.get((job.student, job.slug))
        if (prev and prev.get("sha256") == job.sha256 and prev.get("version") == by_slug[job.slug].version
                and (report_dir(out_dir, job) / "report.json").is_file()):
            rows[(job.student, job.slug)] = prev
        else:
            todo.append(job)
    skipped = len(rows)
    progress = progress or _NoProgress()
    executor = executor or LocalPool(workers, out_dir, require_full_isolation=require_full_isolation)
    graded = faults = 0
    journal.open()
    progress.start(len(todo), skipped)
    try:
        for row in executor.run(chunked(todo, by_slug, workers)):
            rows[(row["student"], row["slug"])] = row
            if row["status"] == "fault":
                faults += 1
            else:
                journal.append(row)
                graded += 1
            progress.advance(row)
    except KeyboardInterrupt:
        raise BatchInterrupted(
            f"stopped after grading {graded} of the {len(todo)} submissions left; {graded + skipped} of "
            f"{len(layout.jobs)} are done and saved in {journal.path}",
            tip="run the same command again to resume; what is finished and unchanged is not graded again",
        ) from None
    finally:
        progress.stop()
        journal.close()
    run_info = {"started_at": started_at, "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "duration_s": round(time.perf_counter() - started, 3), "graded_now": graded, "skipped": skipped,
                "faults": faults, "workers": workers}
    outputs = write_class_outputs(out_dir, exercises, layout, rows, roster, run_info)
    return BatchResult(out_dir, layout, rows, graded, skipped, faults, outputs)


__all__ = [
    "BatchInterrupted", "BatchResult", "Chunk", "Executor", "Job", "Journal", "Layout", "LocalPool", "Roster",
    "chunked", "discover", "grade_chunk", "normalize_student", "read_roster", "run_batch", "write_atomic",
]
