"""Gradescope results.json: golden files, the specification's schema, and the cases students must not be
blamed for (a submission that did not load is explained; a grader fault says it is not theirs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from goldens import golden_text
from jsonschema import Draft202012Validator, ValidationError
from reportdata import error_report, sample_report, with_fault

from grader.render.gradescope import render_gradescope
from grader.results import Report, Status

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "gradescope-results.schema.json").read_text("utf-8"))
FAULT = "the grader failed while running this check (not your fault): the sandbox vanished"


def validate(results: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(SCHEMA)
    Draft202012Validator(SCHEMA).validate(results)


def render(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render_gradescope(report))
    return data


@pytest.mark.parametrize(("name", "build"), [("results.json", sample_report), ("results-error.json", error_report)])
def test_golden(name: str, build: Callable[[], Report]) -> None:
    text = render_gradescope(build())
    assert text == golden_text(f"gradescope/{name}", text)


@pytest.mark.parametrize("build", [sample_report, error_report])
def test_results_follow_the_specification(build: Callable[[], Report]) -> None:
    validate(render(build()))


def test_tests_mirror_the_checks() -> None:
    report = sample_report()
    results = render(report)

    assert results["score"] == report.score == sum(t["score"] for t in results["tests"])
    assert [t["number"] for t in results["tests"]] == ["1", "2", "3", "4", "5", "6"]
    assert [(t["name"], t["max_score"], t["visibility"]) for t in results["tests"]] == [
        (c.title, c.points, c.visibility) for c in report.checks
    ]
    assert [t["status"] for t in results["tests"]] == ["passed", "failed", "passed", "failed", "failed", "passed"]
    # The finer outcome is kept for instructors and said in words to students.
    assert [t["extra_data"]["outcome"] for t in results["tests"]] == [c.status.value for c in report.checks]
    assert results["tests"][3]["output"].startswith("Error: your app crashed")
    assert results["tests"][4]["output"].startswith("Timed out:")
    assert "DEBUG greet called with Ada" in results["tests"][1]["output"]
    assert results["stdout_visibility"] == "hidden"


def test_submission_that_did_not_load_scores_zero_with_the_reason() -> None:
    # Even if a report carried points, a submission that did not load is worth 0.
    results = render(replace(error_report(), score=3.0))

    assert results["score"] == 0
    assert results["output"].startswith("Your submission could not be graded: SyntaxError at app.py line 7")
    assert "def create_todo()" in results["output"]  # the load output shows the line
    validate(results)


@pytest.mark.parametrize("status", [Status.GRADER_FAULT, Status.CHECK_FAULT])
def test_a_fault_is_not_charged_to_the_student(status: Status) -> None:
    results = render(with_fault(sample_report(), 1, status, FAULT))

    test = results["tests"][1]
    assert test["extra_data"]["outcome"] == status.value
    assert test["output"].startswith("Not graded, not your fault")
    assert "Error: your app" not in test["output"]
    # No score anywhere: Gradescope is told it could not be graded and will be regraded.
    assert "score" not in results and all("score" not in t for t in results["tests"])
    assert results["output"].startswith("Your submission could not be graded, and this is not your fault: it "
                                        "will be regraded.")
    assert results["extra_data"]["status"] == "incomplete"
    validate(results)


def test_a_student_error_is_not_called_a_grader_fault() -> None:
    results = render(sample_report())
    assert "grader itself failed" not in results["output"]
    assert all(t["extra_data"]["outcome"] != "grader_fault" for t in results["tests"])


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["tests"][0].update(status="pass"), "'pass' is not one of"),
        (lambda d: d["tests"][0].update(visibility="secret"), "'secret' is not one of"),
        (lambda d: d.update(stdout_visibility="always"), "'always' is not one of"),
        (lambda d: d["tests"][0].update(number=1), "1 is not of type 'string'"),
        (lambda d: d.update(scores=1), "Additional properties are not allowed"),
    ],
)
def test_schema_rejects_what_gradescope_would_not_read(mutate: Callable[[dict[str, Any]], None], where: str) -> None:
    data = render(sample_report())
    mutate(data)
    with pytest.raises(ValidationError) as excinfo:
        validate(data)
    assert where in excinfo.value.message
