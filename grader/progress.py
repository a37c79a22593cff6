"""Batch progress on stderr: a rich bar with rate and ETA on a terminal, plain periodic lines in logs and CI."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text

from .results import ReportStatus, SummaryRow


def _eta(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text("" if task.speed is None else f"{task.speed:.1f}/s", style="progress.data.speed")


class RichProgress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.console = Console(file=stream or sys.stderr)
        self.bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
                            TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[problems]}"),
                            console=self.console, transient=False)
        self.task: Any = None
        self.problems = 0
        self.not_graded = 0

    def start(self, total: int, skipped: int) -> None:
        if skipped:
            self.console.print(f"{skipped} submissions unchanged since the last run: not graded again")
        self.bar.start()
        self.task = self.bar.add_task("grading", total=total, problems="")

    def advance(self, row: SummaryRow) -> None:
        self.problems += row.status is ReportStatus.ERROR
        self.not_graded += not row.is_grade
        notes = ([f"{self.problems} not loaded"] if self.problems else []) + \
                ([f"{self.not_graded} not graded"] if self.not_graded else [])
        self.bar.update(self.task, advance=1, problems=", ".join(notes))

    def note(self, text: str) -> None:
        """A status the bar cannot show (no worker listening, say), printed above it."""
        self.console.print(text, markup=False, highlight=False)

    def stop(self) -> None:
        self.bar.stop()


class LineProgress:
    """One line every ``interval`` seconds and one at the end: readable in a CI log, no control characters."""

    def __init__(self, stream: TextIO | None = None, interval: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self.total = self.done = 0
        self.started = self.last = 0.0

    def start(self, total: int, skipped: int) -> None:
        self.total, self.started = total, time.monotonic()
        self.last = self.started
        note = f" ({skipped} unchanged since the last run, not graded again)" if skipped else ""
        self._say(f"grading {total} submissions{note}")

    def advance(self, row: SummaryRow) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._say(self._line(now))

    def note(self, text: str) -> None:
        self._say(f"graded {self.done}/{self.total}: {text}")

    def stop(self) -> None:
        if self.total:
            self._say(self._line(time.monotonic()))

    def _line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        eta = f", ETA {_eta((self.total - self.done) / rate)}" if rate > 0 and self.done < self.total else ""
        return f"graded {self.done}/{self.total} ({rate:.1f}/s{eta})"

    def _say(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


def progress_for(stream: TextIO | None = None) -> RichProgress | LineProgress:
    stream = stream or sys.stderr
    return RichProgress(stream) if stream.isatty() else LineProgress(stream)
