"""JUnit XML: golden files, validity against the Jenkins xunit plugin's junit-10.xsd, what two real parsers
(junitparser, xunitparser) read from it (counts, names, points, file and line), and student output XML cannot
hold (control characters, markup) still giving a valid file."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import junitparser
import pytest
import xmlschema
import xunitparser
from goldens import golden_text
from reportdata import error_report, sample_report, with_fault

from grader.render.junit import LOAD_CASE, LOAD_TITLE, case_name, render_junit, render_junit_annotated
from grader.results import CheckResult, Report, Status

# Jenkins xunit's junit-10.xsd, as pytest's sdist carries it; dev/test puts it there.
JENKINS_XSD = Path(__file__).parent / ".cache" / "junit-10.xsd"
REPORTS = pytest.mark.parametrize("build", [sample_report, error_report], ids=["graded", "error"])
RENDERERS = pytest.mark.parametrize("render", [render_junit, render_junit_annotated], ids=["junit", "xunit1"])


def xsd_text() -> str:
    if not JENKINS_XSD.is_file():
        pytest.fail(f"{JENKINS_XSD} is missing: run the tests with ./dev/test, which extracts it from pytest's sdist",
                    pytrace=False)
    return JENKINS_XSD.read_text("utf-8")


def jenkins_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(io.StringIO(xsd_text()))


def jenkins_schema_with_locations() -> xmlschema.XMLSchema:
    """junit-10.xsd plus exactly what pytest's xunit1 family adds to a testcase: ``file`` and ``line``."""
    anchor = '<xs:attribute name="group" type="xs:string"/>\n        </xs:complexType>\n    </xs:element>\n\n' \
             '    <xs:element name="testsuite">'
    text = xsd_text()
    assert text.count(anchor) == 1, "junit-10.xsd's testcase no longer ends where this test expects"
    extended = text.replace(anchor, '<xs:attribute name="file" type="xs:string"/>'
                                    '<xs:attribute name="line" type="xs:nonNegativeInteger"/>' + anchor)
    return xmlschema.XMLSchema(io.StringIO(extended))


def cases(xml: str) -> list[ET.Element]:
    return ET.fromstring(xml).findall("./testsuite/testcase")


def located_report() -> Report:
    """The sample report, with a failure whose traceback names app.py line 5 and one naming Flask's code only."""
    report = sample_report()
    traceback = 'Traceback (most recent call last):\n  File "app.py", line 5, in greet\nKeyError: \'user\'\n'
    located = replace(report.checks[1], message="your app raised KeyError: 'user'", output=traceback)
    elsewhere = replace(report.checks[3], message="your app raised TypeError",
                        output='  File "/usr/lib/python3/flask/app.py", line 900, in wsgi_app\n', title="Flask only")
    return replace(report, checks=[report.checks[0], located, report.checks[2], elsewhere, *report.checks[4:]])


# ----------------------------------------------------------------------------- golden files and the schema


@pytest.mark.parametrize(("name", "render", "build"), [
    ("junit.xml", render_junit, sample_report),
    ("junit-error.xml", render_junit, error_report),
    ("xunit1.xml", render_junit_annotated, located_report),
])
def test_golden(name: str, render: Callable[[Report], str], build: Callable[[], Report]) -> None:
    xml = render(build())
    assert xml == golden_text(f"junit/{name}", xml)


@pytest.mark.parametrize("build", [sample_report, error_report, located_report], ids=["graded", "error", "located"])
def test_valid_against_jenkins_junit_10_xsd(build: Callable[[], Report]) -> None:
    jenkins_schema().validate(render_junit(build()))


def test_the_annotated_file_differs_only_by_testcase_file_and_line() -> None:
    xml = render_junit_annotated(located_report())
    jenkins_schema_with_locations().validate(xml)
    assert not jenkins_schema().is_valid(xml)  # junit-10.xsd has no place for them: hence two formats
    stripped = ET.fromstring(xml)
    for case in stripped.iter("testcase"):
        case.attrib.pop("file", None)
        case.attrib.pop("line", None)
    assert ET.tostring(stripped) == ET.tostring(ET.fromstring(render_junit(located_report())))


def test_per_testcase_properties_are_what_junit_10_rejects() -> None:
    # The shape this renderer used to write: the schema really does refuse it.
    xml = render_junit(sample_report())
    root = ET.fromstring(xml)
    case = root.find("./testsuite/testcase")
    assert case is not None
    ET.SubElement(ET.SubElement(case, "properties"), "property", name="points", value="2")
    assert not jenkins_schema().is_valid(ET.tostring(root, encoding="unicode"))


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


def test_no_problem_carries_a_type_for_viewers_to_prefix() -> None:
    for case in cases(render_junit(sample_report())):
        for problem in [*case.iter("failure"), *case.iter("error")]:
            assert "type" not in problem.attrib


# ----------------------------------------------------------------------------- junitparser


class LocatedCase(junitparser.TestCase):
    """junitparser's documented way to read attributes it does not know (here, pytest's xunit1 ones)."""

    file = junitparser.Attr()
    line = junitparser.IntAttr()


def junit_suite(xml: str) -> junitparser.TestSuite:
    parsed = junitparser.JUnitXml.fromstring(xml)
    suites = list(parsed) if isinstance(parsed, junitparser.JUnitXml) else [parsed]
    assert len(suites) == 1
    suite: junitparser.TestSuite = suites[0]
    return suite


@RENDERERS
def test_junitparser_reads_counts_names_outcomes_and_points(render: Callable[[Report], str]) -> None:
    report = sample_report()
    suite = junit_suite(render(report))

    assert (suite.name, suite.tests, suite.failures, suite.errors, suite.skipped) == ("hello-routes", 6, 1, 2, 0)
    read = list(suite)
    assert [c.name for c in read] == [f"{c.title} [{c.id}]" for c in report.checks]
    assert read[1].name == "GET /greet/<name> returns JSON [greet_json]"
    assert [c.classname for c in read] == ["hello-routes"] * 6
    kinds = [type(r).__name__ for c in read for r in c.result]
    assert kinds == ["Failure", "Error", "Error"]
    failure = read[1].result[0]
    assert failure.message == "expected Content-Type application/json, got text/html; charset=utf-8"
    assert failure.text == report.checks[1].message
    assert failure.type is None
    assert read[4].result[0].message == "Timed out: no response within 2 s"
    props = {p.name: p.value for p in suite.properties()}
    assert (props["score"], props["max_score"]) == ("4.5", "10")
    assert {k: v for k, v in props.items() if k.startswith("post_rejected.")} == {
        "post_rejected.points": "1.5", "post_rejected.score": "0", "post_rejected.visibility": "after_due_date",
        "post_rejected.outcome": "error", "post_rejected.file": "app.py", "post_rejected.line": "18"}
    assert sum(float(props[f"{c.id}.points"]) for c in report.checks) == report.max_score


def test_junitparser_reads_file_and_line() -> None:
    report = located_report()
    strict = junit_suite(render_junit(report))
    props = {p.name: p.value for p in strict.properties()}
    assert (props["greet_json.file"], props["greet_json.line"]) == ("app.py", "5")
    assert "post_rejected.file" not in props  # a frame in Flask's own code is not the student's line
    assert all(LocatedCase.fromelem(c).file is None for c in strict)

    annotated = [LocatedCase.fromelem(c) for c in junit_suite(render_junit_annotated(report))]
    assert [(c.name, c.file, c.line) for c in annotated if c.file] == [
        (case_name("greet_json", report.checks[1].title), "app.py", 5)]


def test_junitparser_reads_a_submission_that_did_not_load() -> None:
    suite = junit_suite(render_junit_annotated(error_report()))
    (case,) = list(suite)
    assert case.name == f"{LOAD_TITLE} [{LOAD_CASE}]"
    assert (LocatedCase.fromelem(case).file, LocatedCase.fromelem(case).line) == ("app.py", 7)
    error = case.result[0]
    assert isinstance(error, junitparser.Error)
    assert error.message == "SyntaxError at app.py line 7: expected ':'"
    assert (suite.tests, suite.errors) == (1, 1)


# ----------------------------------------------------------------------------- xunitparser


def xunit(xml: str) -> tuple[xunitparser.TestSuite, xunitparser.TestResult]:
    # parse() also checks the root's tests/failures/errors against the testcases it read.
    suite, result = xunitparser.parse(io.StringIO(xml))
    return suite, result


@RENDERERS
def test_xunitparser_reads_counts_names_and_outcomes(render: Callable[[Report], str]) -> None:
    report = sample_report()
    suite, result = xunit(render(report))

    read = list(suite)
    assert result.testsRun == 6 and len(result.failures) == 1 and len(result.errors) == 2
    assert [c.methodname for c in read] == [f"{c.title} [{c.id}]" for c in report.checks]
    assert [c.classname for c in read] == ["hello-routes"] * 6
    assert [c.result for c in read] == ["success", "failure", "success", "error", "error", "success"]
    assert read[3].message == "your app raised ZeroDivisionError: division by zero (app.py line 18)"
    assert read[3].typename is None
    assert read[1].stdout == "DEBUG greet called with Ada"
    assert suite.properties["greet_json.points"] == "3" and suite.properties["max_score"] == "10"


def test_xunitparser_reads_file_and_line_from_the_suite_properties() -> None:
    suite, _ = xunit(render_junit(located_report()))
    assert (suite.properties["greet_json.file"], suite.properties["greet_json.line"]) == ("app.py", "5")
    assert not any(k.startswith("post_rejected.") and k.endswith((".file", ".line")) for k in suite.properties)


def test_xunitparser_counts_a_submission_that_did_not_load_as_an_error() -> None:
    suite, result = xunit(render_junit(error_report()))
    assert result.testsRun == 1 and len(result.errors) == 1
    assert suite.properties[f"{LOAD_CASE}.file"] == "app.py" and suite.properties[f"{LOAD_CASE}.line"] == "7"


# ----------------------------------------------------------------------------- the hard cases


def test_a_submission_that_did_not_load_is_an_error_not_an_empty_green_suite() -> None:
    not_run = CheckResult(id="a", title="A", status=Status.ERROR, score=0.0, points=8.0,
                          message="not run: the submission did not load", visibility="visible")
    report = replace(error_report(), checks=[not_run])
    testcases = cases(render_junit(report))

    assert [c.get("name") for c in testcases] == [f"{LOAD_TITLE} [{LOAD_CASE}]", "A [a]"]
    error = testcases[0].find("error")
    assert error is not None and error.get("message") == "SyntaxError at app.py line 7: expected ':'"
    jenkins_schema().validate(render_junit(report))


@pytest.mark.parametrize(("status", "kind"), [(Status.GRADER_FAULT, "grader-fault"),
                                              (Status.CHECK_FAULT, "check-fault")])
def test_a_fault_is_said_in_its_outcome_and_has_no_score(status: Status, kind: str) -> None:
    report = with_fault(sample_report(), 3, status, "EOF on the channel")
    xml = render_junit(report)
    jenkins_schema().validate(xml)
    suite = junit_suite(xml)
    error = list(suite)[3].result[0]
    assert isinstance(error, junitparser.Error) and error.type is None
    assert "not your fault" in error.message
    props = {p.name: p.value for p in suite.properties()}
    assert props["post_rejected.outcome"] == kind and "post_rejected.score" not in props
    assert "score" not in props and props["status"] == "incomplete"


@RENDERERS
def test_hostile_student_text_stays_valid(render: Callable[[Report], str]) -> None:
    hostile = "<script>x</script> ]]> &amp; \x00\x1b[31mred\x07 \ud800 ok"
    check = replace(sample_report().checks[1], message=hostile, output=hostile, title=hostile)
    report = replace(sample_report(), checks=[check], output=hostile, submission={
        **sample_report().submission, "path": hostile})
    xml = render(report)

    # parses: no raw control characters, the markup is escaped
    (jenkins_schema() if render is render_junit else jenkins_schema_with_locations()).validate(xml)
    failure = cases(xml)[0].find("failure")
    assert failure is not None and failure.text is not None
    assert failure.text.startswith("<script>x</script> ]]> &amp; \\x00\\x1b[31mred\\x07 \\xd800 ok")
    assert "<script>" not in xml
