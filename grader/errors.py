"""The one user-facing exception family.

Only the CLI turns these into exit codes and messages; library code raises them with a message that names
the file or key at fault and says how to fix it.
"""

from __future__ import annotations


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


class SpecError(GraderError):
    """An exercise spec that cannot be used as written."""


class IsolationError(GraderError):
    """The isolation that was required is not available on this machine."""
