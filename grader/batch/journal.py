"""The batch journal: an append-only, fsync'd JSONL of finished rows, so a rerun (or a resume after kill -9)
skips what is done and unchanged."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from ..results import SummaryRow


class Journal:
    """Append-only JSONL of finished rows; the last entry for a (student, slug) wins.

    Only grades are journaled: a row that is not a grade (a grader or check fault) is left out, so the next
    run grades it again. Rows of earlier journals (untyped dicts) are read as :class:`SummaryRow` too.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: io.TextIOWrapper | None = None

    def load(self) -> dict[tuple[str, str], SummaryRow]:
        done: dict[tuple[str, str], SummaryRow] = {}
        if not self.path.exists():
            return done
        with self.path.open("rb") as f:
            for line in f:
                try:
                    row = SummaryRow.from_dict(json.loads(line))
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue  # a line torn by kill -9 mid-write: that submission is simply graded again
                done[(row.student, row.slug)] = row
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

    def append(self, row: SummaryRow) -> None:
        assert self._file is not None, "open() the journal first"
        self._file.write(json.dumps(row.to_dict(), sort_keys=True, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
