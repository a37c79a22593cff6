"""What travels on the queue: bounded JSON for tasks, exercise bundles and results (never pickle).

A task is one chunk of submissions of one exercise: each submission's files as base64 (read on the batch side
with the same bounds as a local batch, ``MAX_SUBMISSION_BYTES``/``MAX_SUBMISSION_FILES``) and the exercise by
the hash of its bundle. A bundle is the exercise folder minus what grading never reads (starter, solution,
examples), content-addressed so a worker can verify what it fetched and cache it under that hash. Everything
here is pure: no broker, no sandbox, so it is tested on plain data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import GraderError
from ..sandbox import MAX_SUBMISSION_BYTES, MAX_SUBMISSION_FILES, Submission
from ..spec import Exercise, Limits, load_exercise

JOB_SCHEMA = 1
MAX_BUNDLE_BYTES = 16 * 1024 * 1024  # an exercise folder (spec + checks) is kilobytes; this bounds a mistake
MAX_TASK_BYTES = 32 * 1024 * 1024  # the files of one task, before base64: a chunk is split to stay under it
SESSION_S = 5.0  # a pytest session and, the first time, the zygote: the fixed part of a task's worst case
PER_SUBMISSION_SLACK_S = 1.0  # spawning a sandbox, scoring, and the report, beyond the exercise's own limits
_SKIP = {"__pycache__", ".git", ".pytest_cache", ".mypy_cache"}


class JobError(GraderError):
    """A task or result that does not have the shape this grader version sends."""


# ----------------------------------------------------------------------------- time limits


def submission_worst_s(exercise: Exercise) -> float:
    """The longest one submission may take under the exercise's limits: loading, then every check to its
    limit (each check's requests are bounded by the check's own limit)."""
    if exercise.kind == "quiz":
        return PER_SUBMISSION_SLACK_S
    lim: Limits = exercise.limits
    return lim.load_timeout_s + len(exercise.checks) * lim.check_timeout_s + PER_SUBMISSION_SLACK_S


def task_time_limit_s(exercise: Exercise, n: int) -> float:
    """The hard time limit of a task of ``n`` submissions: its worst case under the limits, rounded up."""
    return float(math.ceil(SESSION_S + n * submission_worst_s(exercise)))


def visibility_timeout_s(max_task_s: float) -> float:
    """Just above the longest task: a task unacknowledged longer than this was lost with its worker."""
    return float(math.ceil(max_task_s * 1.1 + 5))


def task_sizes(exercise: Exercise, n: int, max_task_s: float, max_per_task: int) -> int:
    """How many submissions of ``exercise`` one task may carry so that its hard limit fits ``max_task_s``."""
    fit = int((max_task_s - SESSION_S) // submission_worst_s(exercise))
    if fit < 1:
        raise GraderError(
            f"one submission of {exercise.slug} may take up to {task_time_limit_s(exercise, 1):.0f} s under its "
            f"limits, more than the workers' longest task ({max_task_s:.0f} s)",
            tip=f"start the workers with `grader worker --max-task-seconds {task_time_limit_s(exercise, 1):.0f}` "
                "or more, or lower the exercise's limits")
    return max(1, min(n, fit, max_per_task))


# ----------------------------------------------------------------------------- exercise bundles


@dataclass(frozen=True)
class Bundle:
    """An exercise's grading files, addressed by the hash of their content."""

    slug: str
    version: str  # the exercise's own version (spec + checks), what reports and the journal record
    files: tuple[tuple[str, bytes], ...]

    @property
    def sha256(self) -> str:
        h = hashlib.sha256(f"{self.slug}\0{self.version}\0".encode())
        for name, data in self.files:
            h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return h.hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {"schema": JOB_SCHEMA, "slug": self.slug, "version": self.version, "sha256": self.sha256,
                "files": [[n, _b64(d)] for n, d in self.files]}

    @classmethod
    def from_json(cls, data: Any, want: str) -> Bundle:
        """Parse and verify a bundle: its content must hash to ``want``, whoever stored it."""
        try:
            files = tuple((str(n), _unb64(d)) for n, d in data["files"])
            bundle = cls(str(data["slug"]), str(data["version"]), files)
        except (KeyError, TypeError, ValueError) as exc:
            raise JobError(f"exercise bundle {want[:12]} is malformed ({exc})") from None
        if bundle.sha256 != want:
            raise JobError(f"exercise bundle {want[:12]} does not match its hash (got {bundle.sha256[:12]})",
                           tip="the batch stores each exercise under the hash of its content; run it again")
        for name, _ in files:
            if name.startswith("/") or ".." in Path(name).parts or not name:
                raise JobError(f"exercise bundle {want[:12]} holds a file outside its folder: {name!r}")
        return bundle


def bundle_exercise(exercise: Exercise) -> Bundle:
    """Everything under the exercise folder that grading may read (not the starter, solution or examples)."""
    skip_dirs = {exercise.starter_dir.resolve(), exercise.solution_dir.resolve(), (exercise.root / "examples")}
    files: list[tuple[str, bytes]] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(exercise.root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP and not d.startswith(".")
                             and (here / d).resolve() not in skip_dirs)
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith(".pyc"):
                continue
            data = (here / name).read_bytes()
            total += len(data)
            if total > MAX_BUNDLE_BYTES:
                raise GraderError(f"exercise {exercise.root} holds more than {MAX_BUNDLE_BYTES // 2**20} MB "
                                  "of files besides its starter and solution",
                                  tip="keep large data out of the exercise folder")
            files.append(((here / name).relative_to(exercise.root).as_posix(), data))
    return Bundle(exercise.slug, exercise.version, tuple(files))


def install_bundle(bundle: Bundle, cache_dir: Path) -> Exercise:
    """Write the bundle under ``cache_dir/<sha256>/<slug>`` (once: atomically, shared by a worker's processes),
    load it, and refuse it unless it is the exercise version the task asked for."""
    final = cache_dir / bundle.sha256 / bundle.slug
    if not final.is_dir():
        cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".incoming-"))
        try:
            for name, data in bundle.files:
                path = staging / bundle.slug / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            try:
                os.rename(staging, cache_dir / bundle.sha256)
            except OSError:
                if not final.is_dir():  # not another process of this worker winning the race: a real failure
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    exercise = load_exercise(final)
    if exercise.version != bundle.version:
        raise JobError(f"exercise {bundle.slug}: the bundle loads as version {exercise.version}, the task asked "
                       f"for {bundle.version}; not grading with another version than the one asked")
    return exercise


# ----------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class TaskSubmission:
    key: str  # the student
    path: str  # as the batch sees it: recorded in the report, never opened by the worker
    sha256: str
    files: tuple[tuple[str, bytes], ...] = ()
    unreadable: str = ""  # why the batch could not read it; the worker writes the error report

    def submission(self) -> Submission:
        return Submission(Path(self.path), self.files, self.sha256)


@dataclass(frozen=True)
class Task:
    batch: str  # the batch's id, so a duplicate from another batch is told apart
    slug: str
    version: str
    bundle: str  # sha256 of the exercise bundle
    submissions: tuple[TaskSubmission, ...]
    grader_version: str = __version__
    require_full_isolation: bool = False
    queued_at: float = 0.0
    inline_bundle: dict[str, Any] | None = None  # for brokers with no Redis to fetch the bundle from

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": JOB_SCHEMA, "batch": self.batch, "grader_version": self.grader_version,
            "exercise": {"slug": self.slug, "version": self.version, "bundle": self.bundle},
            "require_full_isolation": self.require_full_isolation, "queued_at": self.queued_at,
            "submissions": [{"key": s.key, "path": s.path, "sha256": s.sha256, "unreadable": s.unreadable,
                             "files": [[n, _b64(d)] for n, d in s.files]} for s in self.submissions],
            **({"inline_bundle": self.inline_bundle} if self.inline_bundle is not None else {}),
        }

    @classmethod
    def from_json(cls, data: Any) -> Task:
        try:
            if data["schema"] != JOB_SCHEMA:
                raise JobError(f"task schema {data['schema']!r}, this worker reads schema {JOB_SCHEMA}")
            ex = data["exercise"]
            subs = []
            for s in data["submissions"]:
                files = tuple((str(n), _unb64(d)) for n, d in s["files"])
                if len(files) > MAX_SUBMISSION_FILES or sum(len(d) for _, d in files) > MAX_SUBMISSION_BYTES:
                    raise JobError(f"submission {s['key']!r} is over the size limits of a batch")
                subs.append(TaskSubmission(str(s["key"]), str(s["path"]), str(s["sha256"]), files,
                                           str(s.get("unreadable", ""))))
            return cls(str(data["batch"]), str(ex["slug"]), str(ex["version"]), str(ex["bundle"]), tuple(subs),
                       str(data["grader_version"]), bool(data.get("require_full_isolation", False)),
                       float(data.get("queued_at", 0.0)), data.get("inline_bundle"))
        except (KeyError, TypeError, ValueError) as exc:
            raise JobError(f"malformed task ({type(exc).__name__}: {exc})") from None


# ----------------------------------------------------------------------------- results


def version_mismatch(worker: str, worker_version: str, batch_version: str) -> str:
    return (f"worker {worker} runs grader {worker_version} but the batch runs grader {batch_version}; "
            "a worker grades only for its own version")


def parse_result(data: Any, task: Task) -> dict[str, Any]:
    """A worker's answer, checked against the task it answers: the same exercise version, only its students."""
    try:
        if data.get("cancelled"):
            return {"cancelled": True}
        if data.get("refused"):
            return {"refused": str(data["refused"]), "worker": str(data.get("worker", "?"))}
        keys = {s.key for s in task.submissions}
        items = []
        for item in data["results"]:
            if item["key"] not in keys:
                raise JobError(f"a result for {item['key']!r}, who is not in this task")
            items.append({"key": str(item["key"]), "sha256": str(item["sha256"]),
                          "report": item.get("report"), "fault": str(item.get("fault", "")),
                          "loaded_at": _seconds(item.get("loaded_at"))})
        if data["exercise_version"] != task.version:
            raise JobError(f"graded with exercise version {data['exercise_version']}, asked {task.version}")
        return {"worker": str(data["worker"]), "grader_version": str(data["grader_version"]), "results": items,
                "started_at": _seconds(data.get("started_at")), "finished_at": _seconds(data.get("finished_at"))}
    except (KeyError, TypeError, AttributeError) as exc:
        raise JobError(f"malformed result ({type(exc).__name__}: {exc})") from None


def _seconds(value: Any) -> float | None:
    """A time a worker sent (seconds on its clock), or None for anything that is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"bad base64: {exc}") from None
