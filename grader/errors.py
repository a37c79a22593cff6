"""The one user-facing exception family, and the one place it is formatted.

Only the CLI turns these into exit codes; library code raises them with a message that names the file or
key at fault and says how to fix it. :meth:`GraderError.show` prints one the way every command does (as
click's ``ClickException.show``); :meth:`GraderError.one_line` is the same for a list of problems.
"""

from __future__ import annotations

from typing import IO

import click


class GraderError(Exception):
    """A problem with the grader's own input (spec, paths, options): never the student's fault."""

    exit_code = 1

    def __init__(self, message: str, *, tip: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tip = tip

    def format_message(self) -> str:
        if self.tip:
            return f"{self.message}\nTIP {self.tip}"
        return self.message

    def one_line(self) -> str:
        """The message and its tip on one line, for a list of problems (``grader validate``)."""
        return self.message + (f" (tip: {self.tip})" if self.tip else "")

    def show(self, file: IO[str] | None = None) -> None:
        """Print ``ERROR message`` and ``TIP tip`` to stderr (or ``file``), coloured on a terminal."""
        from .terminal import visible  # a message can name a student's file or folder

        click.echo(click.style("ERROR ", fg="red", bold=True) + visible(self.message), file=file, err=file is None)
        if self.tip:
            click.echo(click.style("TIP ", fg="cyan", bold=True) + visible(self.tip), file=file, err=file is None)


class SpecError(GraderError):
    """An exercise spec that cannot be used as written."""


class IsolationError(GraderError):
    """The isolation that was required is not available on this machine."""


class NotGraded(GraderError):
    """Reports were written, but at least one is incomplete (a grader or check fault): it is not a grade."""

    exit_code = 4
