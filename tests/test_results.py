"""The JSON report is the published contract: reports validate against the schema and round-trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError
from reportdata import error_report, sample_report

from grader.results import Report, ReportStatus, Status, report_schema, to_json

REPORTS = pytest.mark.parametrize("build", [sample_report, error_report], ids=["graded", "error"])


def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(report_schema())
    return Draft202012Validator(report_schema())


@REPORTS
def test_report_validates(build: Callable[[], Report]) -> None:
    _validator().validate(json.loads(to_json(build())))


@REPORTS
def test_report_round_trips(build: Callable[[], Report]) -> None:
    report = build()
    data = json.loads(to_json(report))
    assert Report.from_dict(data) == report
    assert to_json(Report.from_dict(data)) == to_json(report)


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.pop(key)


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.update({key: value})


def _set_check(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["checks"][0].update({key: value})


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (_drop("status"), "'status' is a required property"),
        (_drop("output_truncated"), "'output_truncated' is a required property"),
        (lambda d: d["checks"][0].pop("message"), "'message' is a required property"),
        (lambda d: d["exercise"].pop("slug"), "'slug' is a required property"),
        (_set("status", "pending"), "'pending' is not one of"),
        (_set_check("status", "passing"), "'passing' is not one of"),
        (_set_check("visibility", "secret"), "'secret' is not one of"),
        (_set("score", -1), "-1 is less than the minimum"),
        (_set("schema_version", 1), "2 was expected"),
        (_set("status", "incomplete"), "does not contain items matching"),
        (_set_check("status", "grader_fault"), "should not be valid"),
        (_set("surprise", True), "Additional properties are not allowed"),
        (lambda d: d["submission"].update(sha256="not-a-hash"), "does not match"),
        (
            lambda d: d["isolation"]["layers"].update(network="yes"),
            "'yes' is not of type 'boolean'",
        ),
    ],
)
def test_schema_rejects_bad_reports(mutate: Callable[[dict[str, Any]], None], where: str) -> None:
    data = json.loads(to_json(sample_report()))
    mutate(data)
    with pytest.raises(ValidationError) as excinfo:
        _validator().validate(data)
    assert where in str(excinfo.value.message)


def test_version_1_reports_are_read_and_upgraded() -> None:
    """v1 had no fault statuses: a grader fault was an `error` worded "the grader failed ..."."""
    data = json.loads(to_json(sample_report()))
    data["schema_version"] = 1
    data["checks"][3]["message"] = ("2 of 3 cases did not pass; first (x-1): the grader failed while running this "
                                    "check (not your fault): EOF")
    report = Report.from_dict(data)
    assert report.schema_version == 2
    assert report.checks[3].status is Status.GRADER_FAULT
    assert report.checks[4].status is Status.TIMEOUT  # a student's outcome stays as it was
    assert report.status is ReportStatus.INCOMPLETE and not report.is_grade
    _validator().validate(json.loads(to_json(report)))
    plain = json.loads(to_json(error_report()))
    plain["schema_version"] = 1
    assert Report.from_dict(plain) == error_report()
