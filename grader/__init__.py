"""Flask Route Grader: grade Flask request/response exercises in a sandbox."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flask-route-grader")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

from .errors import GraderError, IsolationError, SpecError
from .results import CheckResult, Report, ReportStatus, Status, SummaryRow
from .spec import Check, Exercise, Limits, load_exercise

__all__ = [
    "Check", "CheckResult", "Exercise", "GraderError", "IsolationError", "Limits", "Report", "ReportStatus",
    "SpecError", "Status", "SummaryRow", "__version__", "load_exercise",
]
