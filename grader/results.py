"""Results as typed data: what a grading run produces, serialized in one place.

``schema_version`` is bumped on any change a consumer could notice; ``schemas/report.schema.json`` is the
published contract and the tests validate every report against it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from functools import lru_cache
from importlib import resources
from typing import Any

SCHEMA_VERSION = 1


class Status(str, Enum):
    """Outcome of one check. Never conflated: a grader fault is not charged to the student."""

    PASSED = "passed"
    FAILED = "failed"  # the submission's behaviour is wrong
    ERROR = "error"  # the submission crashed or could not load
    TIMEOUT = "timeout"  # the submission took longer than the limit


class ReportStatus(str, Enum):
    GRADED = "graded"
    ERROR = "error"  # the submission could not be graded at all (did not load); score 0


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


@dataclass
class Report:
    exercise: dict[str, Any]  # slug, title, version
    submission: dict[str, Any]  # path, sha256, files
    status: ReportStatus
    score: float
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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        for c in data["checks"]:
            c["status"] = Status(c["status"]).value
        # Keys in a stable, reader-friendly order.
        order = ["schema_version", "exercise", "submission", "status", "score", "max_score", "message",
                 "checks", "duration_s", "created_at", "grader", "isolation", "output", "output_truncated"]
        return {k: data[k] for k in order}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
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


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


@lru_cache(maxsize=1)
def report_schema() -> dict[str, Any]:
    text = resources.files("grader").joinpath("schemas/report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
