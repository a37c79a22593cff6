"""Results as typed data: what a grading run produces, serialized in one place.

Every stage above the runner speaks these types: the runner's plugin sets one :class:`Status` per case
(:class:`CaseResult`), scoring turns a :class:`SubmissionRun` into a :class:`Report`, the renderers read the
report's statuses (never its wording), and a batch keeps one :class:`SummaryRow` per submission. Nothing here
imports pytest, the sandbox or the runner, so all of it can be built and tested from plain data.

``schema_version`` is bumped on any change a consumer could notice; ``schemas/report.schema.json`` is the
published contract and the tests validate every report against it. Version 1 reports (and journal rows)
are still read: :meth:`Report.from_dict` upgrades them.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from enum import Enum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2


class Status(str, Enum):
    """Outcome of one check (or one case of it), set once by the runner's plugin.

    The first four are grades of the submission. The two faults are not: a report holding one is
    ``incomplete``, and no format presents its total as the student's score.
    """

    PASSED = "passed"
    FAILED = "failed"  # the submission's behaviour is wrong
    ERROR = "error"  # the submission crashed, could not load, or broke the grader's protocol
    TIMEOUT = "timeout"  # the submission took longer than the limit
    GRADER_FAULT = "grader_fault"  # the grader itself failed (only the trusted side's own observations)
    CHECK_FAULT = "check_fault"  # the exercise's check code is broken (a bug for the exercise's author)

    @property
    def is_fault(self) -> bool:
        """Not a grade: neither the student's success nor their failure."""
        return self in (Status.GRADER_FAULT, Status.CHECK_FAULT)


class ReportStatus(str, Enum):
    GRADED = "graded"
    ERROR = "error"  # the submission could not be graded at all (did not load); score 0
    INCOMPLETE = "incomplete"  # a grader or check fault: not a grade; the score is not the student's


@dataclass
class CheckResult:
    id: str
    title: str
    status: Status
    score: float
    points: float
    message: str
    visibility: str
    duration_s: float = 0.0
    output: str = ""  # what the submission printed during this check, capped
    topic: str | None = None


@dataclass
class Isolation:
    """The protections that were in force for this run, and what each missing one leaves open."""

    mode: str  # "namespaces", "process"
    layers: dict[str, bool] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


_REPORT_KEYS = ["schema_version", "exercise", "submission", "status", "score", "max_score", "message",
                "checks", "duration_s", "created_at", "grader", "isolation", "output", "output_truncated"]

# Version 1 had no fault statuses: the runner worded a grader fault as an `error` whose message began
# "the grader failed", and scoring put "N of M cases did not pass; first (case): " before it. This is the one
# place that wording is read, and only to upgrade old reports.
_V1_GRADER_FAULT = re.compile(r"^(?:\d+ of \d+ cases did not pass; first(?: \([^)]*\))?: )?the grader failed",
                              re.IGNORECASE)


@dataclass
class Report:
    exercise: dict[str, Any]  # slug, title, version
    submission: dict[str, Any]  # path, sha256, files
    status: ReportStatus
    score: float  # when incomplete: the points of the checks that were judged, which is not a grade
    max_score: float
    checks: list[CheckResult]
    duration_s: float
    grader: dict[str, Any]  # version, python, flask
    isolation: Isolation
    message: str = ""  # top-level, student-facing: why the submission could not be graded
    output: str = ""  # what the submission printed while loading, capped
    output_truncated: bool = False
    created_at: str = ""
    schema_version: int = SCHEMA_VERSION

    @property
    def is_grade(self) -> bool:
        """Whether ``score`` is the student's grade (a report that did not load is a grade: 0)."""
        return self.status is not ReportStatus.INCOMPLETE

    @property
    def grader_faults(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status is Status.GRADER_FAULT]

    @property
    def check_faults(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status is Status.CHECK_FAULT]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        for c in data["checks"]:
            c["status"] = Status(c["status"]).value
        # Keys in a stable, reader-friendly order.
        return {k: data[k] for k in _REPORT_KEYS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """A report as :meth:`to_dict` wrote it, in this schema version or version 1 (upgraded)."""
        if data.get("schema_version", 1) == 1:
            data = _upgrade_v1(data)
        checks = [CheckResult(**{**c, "status": Status(c["status"])}) for c in data["checks"]]
        fields = {k: v for k, v in data.items() if k not in ("checks", "status", "isolation")}
        return cls(checks=checks, status=ReportStatus(data["status"]), isolation=Isolation(**data["isolation"]),
                   **fields)

    @property
    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for c in self.checks:
            out[c.status.value] += 1
        return out


def _upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    checks = [{**c, "status": Status.GRADER_FAULT.value}
              if c["status"] == Status.ERROR.value and _V1_GRADER_FAULT.match(c.get("message", "")) else dict(c)
              for c in data["checks"]]
    faulty = any(c["status"] == Status.GRADER_FAULT.value for c in checks)
    status = ReportStatus.INCOMPLETE.value if faulty and data["status"] == ReportStatus.GRADED.value \
        else data["status"]
    return {**data, "checks": checks, "status": status, "schema_version": SCHEMA_VERSION}


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


@lru_cache(maxsize=4)
def _schema(name: str) -> dict[str, Any]:
    text = resources.files("grader").joinpath(f"schemas/{name}").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def report_schema() -> dict[str, Any]:
    return _schema("report.schema.json")


def summary_schema() -> dict[str, Any]:
    """The published contract of a batch's ``summary.json``."""
    return _schema("summary.schema.json")


# ----------------------------------------------------------------------------- what the runner observed


@dataclass(frozen=True)
class CaseResult:
    """One executed pytest test: a check, or one case of a parametrized check. ``status`` is set once, by the
    runner's plugin; ``skipped`` cases (pytest.skip) carry no status and are left out of scoring."""

    test: str  # the spec's "file.py::test_name"
    status: Status | None  # None when skipped
    message: str
    duration_s: float
    output: str = ""
    case: str = ""  # the parametrized case id, if any

    @property
    def skipped(self) -> bool:
        return self.status is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, so the plugin can hand it over on the TestReport (and pytest-json-report can keep it)."""
        return {"test": self.test, "status": self.status.value if self.status else "skipped",
                "message": self.message, "duration_s": self.duration_s, "output": self.output, "case": self.case}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        status = None if data["status"] == "skipped" else Status(data["status"])
        return cls(test=data["test"], status=status, message=data["message"], duration_s=data["duration_s"],
                   output=data.get("output", ""), case=data.get("case", ""))


@dataclass(frozen=True)
class SubmissionInfo:
    """What a report says about the submission it graded."""

    path: Path
    sha256: str
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Load:
    """How loading the submission ended (the sandbox's ``LoadResult``, as scoring needs it)."""

    ok: bool
    kind: str = ""  # syntax, import, exception, no_app, factory, missing_entry, exit, timeout, crash, memory, ...
    message: str = ""
    traceback: str = ""


@dataclass
class SubmissionRun:
    """Everything the checks learned about one submission."""

    submission: SubmissionInfo
    load: Load | None = None
    fault: str = ""  # the grader could not build a sandbox for it: a grader fault, not a grade
    load_output: str = ""
    load_output_truncated: bool = False
    cases: list[CaseResult] = field(default_factory=list)
    # Check files pytest could not import (file name -> why): every check in them is a check fault.
    collection_errors: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0


# ----------------------------------------------------------------------------- one row per batch submission


@dataclass(frozen=True)
class SummaryRow:
    """The small per-(student, exercise) summary a batch keeps (and journals) instead of the whole report.

    ``score`` is None whenever the row is not a grade (``status`` incomplete); ``fault`` then says whose
    fault: the grader's (retried) or a check's (the exercise's author must fix it).
    """

    student: str
    slug: str
    sha256: str
    version: str  # the exercise version graded against
    status: ReportStatus
    score: float | None
    max_score: float
    message: str
    checks: dict[str, Status] = field(default_factory=dict)
    duration_s: float = 0.0
    fault: Status | None = None  # GRADER_FAULT or CHECK_FAULT when incomplete
    attempts: int = 1

    @property
    def is_grade(self) -> bool:
        return self.status is not ReportStatus.INCOMPLETE

    @property
    def retryable(self) -> bool:
        """A grader fault may be transient; a check fault repeats until the check is fixed."""
        return self.fault is Status.GRADER_FAULT

    @classmethod
    def of_report(cls, student: str, slug: str, sha256: str, version: str, report: Report) -> SummaryRow:
        fault = None
        if not report.is_grade:
            fault = Status.GRADER_FAULT if report.grader_faults or not report.check_faults else Status.CHECK_FAULT
        return cls(student, slug, sha256, version, report.status, report.score if report.is_grade else None,
                   report.max_score, report.message[:300], {c.id: c.status for c in report.checks},
                   report.duration_s, fault)

    @classmethod
    def not_graded(cls, student: str, slug: str, sha256: str, version: str, message: str) -> SummaryRow:
        """The grader failed on this submission before any report existed."""
        return cls(student, slug, sha256, version, ReportStatus.INCOMPLETE, None, 0.0, message[:300],
                   fault=Status.GRADER_FAULT)

    def to_dict(self) -> dict[str, Any]:
        return {"student": self.student, "slug": self.slug, "sha256": self.sha256, "version": self.version,
                "status": self.status.value, "score": self.score, "max_score": self.max_score,
                "message": self.message, "checks": {k: v.value for k, v in self.checks.items()},
                "duration_s": self.duration_s, "fault": self.fault.value if self.fault else None,
                "attempts": self.attempts}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SummaryRow:
        """A row as :meth:`to_dict` wrote it; also the untyped rows of earlier journals."""
        status, fault = data["status"], data.get("fault")
        if status == "fault":  # before outcomes were typed: the grader failed on it
            status, fault = ReportStatus.INCOMPLETE.value, Status.GRADER_FAULT.value
        row_status = ReportStatus(status)
        score = data.get("score")
        return cls(student=data["student"], slug=data["slug"], sha256=data["sha256"], version=data["version"],
                   status=row_status,
                   score=None if row_status is ReportStatus.INCOMPLETE or score is None else float(score),
                   max_score=float(data.get("max_score", 0.0)), message=data.get("message", ""),
                   checks={k: Status(v) for k, v in data.get("checks", {}).items()},
                   duration_s=float(data.get("duration_s", 0.0)), fault=Status(fault) if fault else None,
                   attempts=int(data.get("attempts", 1)))
