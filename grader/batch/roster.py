"""The class roster: a CSV naming every student, whose other columns are kept in grades.csv."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..errors import GraderError
from .layout import normalize_student

ROSTER_KEYS = ("student", "github_username", "username")


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
