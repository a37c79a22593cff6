"""GitHub Classroom runner result: golden files, the base64 JSON that autograding-grading-reporter decodes
(version, status, max_score, tests with their keys), and what the reporter computes from it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from goldens import golden_text
from reportdata import error_report, sample_report, with_fault

from grader.render.classroom import COMPLETE_TEST, LOAD_TEST, render_classroom
from grader.results import Report, Status

TEST_KEYS = {"name", "status", "message", "test_code", "filename", "line_no", "duration", "score"}


def decode(text: str) -> dict[str, Any]:
    """What the reporter does with ``<RUNNER>_RESULTS``: base64, then JSON."""
    data: dict[str, Any] = json.loads(base64.b64decode(text.strip(), validate=True).decode("utf-8"))
    return data


def validate(result: dict[str, Any]) -> None:
    assert set(result) == {"version", "status", "max_score", "tests"}
    assert result["version"] == 1
    assert result["status"] in {"pass", "fail", "error"}
    assert isinstance(result["max_score"], (int, float)) and result["max_score"] >= 0
    assert result["tests"], "the reporter divides by the number of tests"
    for test in result["tests"]:
        assert set(test) == TEST_KEYS
        assert test["status"] in {"pass", "fail", "error"}
        assert isinstance(test["name"], str) and isinstance(test["message"], str)
        assert isinstance(test["score"], (int, float)) and isinstance(test["line_no"], int)
        assert isinstance(test["duration"], int)


@pytest.mark.parametrize(("name", "build"), [("classroom.b64", sample_report), ("classroom-error.b64", error_report)])
def test_golden(name: str, build: Callable[[], Report]) -> None:
    text = render_classroom(build())
    golden = golden_text(f"classroom/{name}", text)
    assert decode(text) == decode(golden)  # a readable diff first
    assert text == golden


@pytest.mark.parametrize("build", [sample_report, error_report])
def test_one_base64_line_of_the_reporters_json(build: Callable[[], Report]) -> None:
    text = render_classroom(build())
    assert text.endswith("\n") and "\n" not in text.rstrip("\n")  # fits `result=<value>` in $GITHUB_OUTPUT
    validate(decode(text))


def test_scores_add_up_as_the_reporter_sums_them() -> None:
    report = sample_report()
    result = decode(render_classroom(report))

    assert result["max_score"] == report.max_score
    assert sum(t["score"] for t in result["tests"]) == report.score  # NotifyClassroom's "Points x/y"
    assert [t["status"] for t in result["tests"]] == ["pass", "fail", "pass", "error", "error", "pass"]
    assert result["status"] == "fail"
    # The line a message names is given as the reporter's filename/line_no.
    assert (result["tests"][3]["filename"], result["tests"][3]["line_no"]) == ("app.py", 18)
    assert result["tests"][2]["duration"] == 20


def test_all_passed_is_pass() -> None:
    report = sample_report()
    passed = [replace(c, status=Status.PASSED, score=c.points, message="") for c in report.checks]
    result = decode(render_classroom(replace(report, checks=passed, score=report.max_score)))
    assert result["status"] == "pass"


def test_did_not_load_is_an_error_with_where() -> None:
    result = decode(render_classroom(error_report()))
    assert result["status"] == "error"
    assert result["tests"][0]["name"] == LOAD_TEST
    assert (result["tests"][0]["filename"], result["tests"][0]["line_no"]) == ("app.py", 7)
    assert result["tests"][0]["message"] == "SyntaxError at app.py line 7: expected ':'"


@pytest.mark.parametrize("status", [Status.GRADER_FAULT, Status.CHECK_FAULT])
def test_a_fault_is_an_error_with_no_points_and_says_not_your_fault(status: Status) -> None:
    report = sample_report()
    checks = [replace(c, status=Status.PASSED, score=c.points, message="") for c in report.checks]
    report = with_fault(replace(report, checks=checks), 1, status, "boom")
    result = decode(render_classroom(report))

    assert result["status"] == "error"
    assert result["tests"][0]["name"] == COMPLETE_TEST and result["tests"][0]["status"] == "error"
    assert "not your fault" in result["tests"][0]["message"]
    assert result["tests"][2]["status"] == "error"
    assert result["tests"][2]["message"].startswith("Not graded, not your fault")
    # Classroom sums the tests' scores: an incomplete report must not add up to a score.
    assert sum(t["score"] for t in result["tests"]) == 0
