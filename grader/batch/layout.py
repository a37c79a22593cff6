"""Finding a class's submissions: which layout SUBMISSIONS uses, each student's name, one job per submission."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GraderError
from ..sandbox import read_submission
from ..spec import Exercise

JOURNAL_NAME = "journal.jsonl"
PYTEST_REPORTS = "pytest-reports"
OUTPUT_NAMES = ("summary.json", "grades.csv", "index.html", JOURNAL_NAME, PYTEST_REPORTS)
LAYOUT_TIP = ("lay out one exercise as SUBMISSIONS/<student>.py or SUBMISSIONS/<student>/ (GitHub Classroom "
              "clones `<assignment>-<username>/` work as is), and several as SUBMISSIONS/<student>/<slug>/")


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
