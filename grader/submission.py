"""A submission as the grader holds it: its files read into memory once, bounded, and hashed.

The lowest layer above files.py: the sandbox sends these bytes to the zygote, the batch journals the hash,
quizzes parse them. Nothing here runs a submission.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import GraderError
from .files import skipped

MAX_SUBMISSION_FILES = 200
MAX_SUBMISSION_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Submission:
    path: Path
    files: tuple[tuple[str, bytes], ...]
    sha256: str

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.files]


def read_submission(path: Path, entry: str) -> Submission:
    """A ``.py`` file (graded as the exercise's entry module) or a folder, read into memory, bounded."""
    if not path.exists():
        raise GraderError(f"submission {path} does not exist", tip="pass a .py file or a folder holding " + entry)
    files: list[tuple[str, bytes]] = []
    total = 0
    if path.is_file():
        files.append((entry, path.read_bytes()))
        total = len(files[0][1])
    else:
        for p in sorted(path.rglob("*")):
            rel = p.relative_to(path)
            # A link is never followed: in a cloned repository it could point at the hidden checks, a
            # solution or another student's work, and the grader would carry it into the sandbox.
            if skipped(rel) or any((path / part).is_symlink() for part in (rel, *rel.parents) if str(part) != ".") \
                    or not p.is_file():
                continue
            if len(files) >= MAX_SUBMISSION_FILES:
                break
            try:
                data = p.read_bytes()
            except OSError:
                continue  # an unreadable file is left out; if it was the entry module, loading says so
            total += len(data)
            if total > MAX_SUBMISSION_BYTES:
                break
            files.append((rel.as_posix(), data))
    return Submission(path=path, files=tuple(files), sha256=files_hash(files))


def files_hash(files: Iterable[tuple[str, bytes]]) -> str:
    """The submission's hash: each file's name and content hash, in the order given (the journal and the
    portal compare submissions by it)."""
    h = hashlib.sha256()
    for name, data in files:
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()
