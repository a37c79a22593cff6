"""JUnit XML: golden files, validity against a JUnit XSD, counts that match the testcases, and student output
that XML cannot hold (control characters, markup) still giving a well-formed file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema
from goldens import golden_text
from reportdata import error_report, sample_report, with_fault

from grader.render.junit import LOAD_CASE, render_junit
from grader.results import CheckResult, Report, Status

XSD = Path(__file__).parent / "schemas" / "junit.xsd"
REPORTS = pytest.mark.parametrize("build", [sample_report, error_report], ids=["graded", "error"])


def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(XSD)


def cases(xml: str) -> list[ET.Element]:
    return ET.fromstring(xml).findall("./testsuite/testcase")


@pytest.mark.parametrize(("name", "build"), [("junit.xml", sample_report), ("junit-error.xml", error_report)])
def test_golden(name: str, build: Callable[[], Report]) -> None:
    xml = render_junit(build())
    assert xml == golden_text(f"junit/{name}", xml)


@REPORTS
def test_valid_against_the_junit_schema(build: Callable[[], Report]) -> None:
    schema().validate(render_junit(build()))


@REPORTS
def test_counts_match_the_testcases(build: Callable[[], Report]) -> None:
    root = ET.fromstring(render_junit(build()))
    suite = root.find("testsuite")
    assert suite is not None
    testcases = suite.findall("testcase")
    failures = sum(1 for c in testcases if c.find("failure") is not None)
    errors = sum(1 for c in testcases if c.find("error") is not None)
    for element in (root, suite):
        assert element.get("tests") == str(len(testcases))
        assert element.get("failures") == str(failures)
        assert element.get("errors") == str(errors)


def test_one_testcase_per_check_with_points_and_visibility() -> None:
    report = sample_report()
    testcases = cases(render_junit(report))

    assert [(c.get("classname"), c.get("name")) for c in testcases] == [("hello-routes", c.id) for c in report.checks]
    props = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")} for c in testcases}
    assert props["post_rejected"] == {"title": "POST / is rejected with 405", "points": "1.5", "score": "0",
                                      "visibility": "after_due_date", "status": "error"}
    failure = testcases[1].find("failure")
    assert failure is not None and failure.get("type") == "failed"
    assert failure.text == report.checks[1].message
    timeout = testcases[4].find("error")
    assert timeout is not None and timeout.get("type") == "timeout"
    assert testcases[0].find("failure") is None and testcases[0].find("error") is None


def test_a_submission_that_did_not_load_is_an_error_not_an_empty_green_suite() -> None:
    not_run = CheckResult(id="a", title="A", status=Status.ERROR, score=0.0, points=8.0,
                          message="not run: the submission did not load", visibility="visible")
    report = replace(error_report(), checks=[not_run])
    testcases = cases(render_junit(report))

    assert [c.get("name") for c in testcases] == [LOAD_CASE, "a"]
    error = testcases[0].find("error")
    assert error is not None and error.get("message") == "SyntaxError at app.py line 7: expected ':'"
    schema().validate(render_junit(report))


@pytest.mark.parametrize(("status", "kind"), [(Status.GRADER_FAULT, "grader-fault"),
                                              (Status.CHECK_FAULT, "check-fault")])
def test_a_fault_has_its_own_error_type_and_no_score(status: Status, kind: str) -> None:
    report = with_fault(sample_report(), 3, status, "EOF on the channel")
    xml = render_junit(report)
    error = cases(xml)[3].find("error")
    assert error is not None and error.get("type") == kind
    assert "not your fault" in (error.get("message") or "")
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property") if p in list(suite.find("properties"))}
    assert "score" not in props and props["status"] == "incomplete"


def test_hostile_student_text_stays_well_formed() -> None:
    hostile = "<script>x</script> ]]> &amp; \x00\x1b[31mred\x07 \ud800 ok"
    check = replace(sample_report().checks[1], message=hostile, output=hostile, title=hostile)
    report = replace(sample_report(), checks=[check], output=hostile, submission={
        **sample_report().submission, "path": hostile})
    xml = render_junit(report)

    schema().validate(xml)  # parses: no raw control characters, the markup is escaped
    failure = cases(xml)[0].find("failure")
    assert failure is not None and failure.text is not None
    assert failure.text.startswith("<script>x</script> ]]> &amp; \\x00\\x1b[31mred\\x07 \\xd800 ok")
    assert "<script>" not in xml
