"""JUnit XML (``junit.xml``) for GitLab, Jenkins and Azure Pipelines test reports.

One ``testcase`` per check, ``classname`` the exercise slug. A failed check carries ``<failure>``, an
error, timeout or fault ``<error>`` (with ``type`` saying which: ``grader-fault`` when the grader failed,
``check-fault`` when the check's own code is broken), each with the student-facing message. An incomplete
report has no ``score`` property, on the suite or on a check that was not judged: it is not a grade.
Points, score and visibility go in the testcase's ``properties``, as pytest's ``record_property`` writes
them. A submission that did not load gets one extra testcase, ``submission-loads``, in error: a suite with
no failing testcase would otherwise look green in CI.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..results import CheckResult, Report, Status
from ._common import FAULT_NOTES, did_not_load, number

LOAD_CASE = "submission-loads"

# Characters XML 1.0 cannot hold at all (not even escaped); student output may contain any of them.
_ILLEGAL_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """Make ``text`` storable in XML: illegal characters become a visible ``\\xNN``, as pytest does."""
    return _ILLEGAL_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _problem_type(check: CheckResult) -> str:
    return check.status.value.replace("_", "-")  # grader-fault, check-fault, as XML attribute values go


def _properties(parent: ET.Element, values: dict[str, str]) -> None:
    props = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(props, "property", name=name, value=_xml_text(value))


def _testcase(suite: ET.Element, slug: str, check: CheckResult) -> None:
    case = ET.SubElement(suite, "testcase", classname=slug, name=check.id, time=_seconds(check.duration_s))
    values = {"title": check.title, "points": number(check.points),
              **({} if check.status.is_fault else {"score": number(check.score)}),
              "visibility": check.visibility, "status": _problem_type(check)}
    if check.topic:
        values["topic"] = check.topic
    _properties(case, values)
    if check.status is not Status.PASSED:
        tag = "failure" if check.status is Status.FAILED else "error"
        note = FAULT_NOTES.get(check.status)
        first = note or _first_line(check.message)
        problem = ET.SubElement(case, tag, type=_problem_type(check), message=_xml_text(first))
        problem.text = _xml_text(f"{note}\n{check.message}" if note else check.message)
    if check.output:
        ET.SubElement(case, "system-out").text = _xml_text(check.output)


def _load_case(suite: ET.Element, slug: str, report: Report) -> None:
    case = ET.SubElement(suite, "testcase", classname=slug, name=LOAD_CASE, time=_seconds(0.0))
    message = report.message or "the submission did not load"
    problem = ET.SubElement(case, "error", type="load", message=_xml_text(_first_line(message)))
    problem.text = _xml_text(message)
    if report.output:
        ET.SubElement(case, "system-out").text = _xml_text(report.output)


def render_junit(report: Report) -> str:
    """Render ``report`` as a JUnit XML document. Pure: the same report gives the same bytes."""
    slug = str(report.exercise.get("slug", "exercise"))
    counts = report.counts
    loads = did_not_load(report)
    tests = len(report.checks) + (1 if loads else 0)
    errors = (counts[Status.ERROR.value] + counts[Status.TIMEOUT.value] + counts[Status.GRADER_FAULT.value]
              + counts[Status.CHECK_FAULT.value] + (1 if loads else 0))
    totals = {"tests": str(tests), "failures": str(counts[Status.FAILED.value]), "errors": str(errors)}

    time = _seconds(report.duration_s)
    root = ET.Element("testsuites", {"name": "Flask Route Grader", **totals, "time": time})
    suite = ET.SubElement(root, "testsuite", {"name": slug, **totals, "skipped": "0", "time": time})
    if report.created_at:
        suite.set("timestamp", report.created_at)
    _properties(suite, {
        **({"score": number(report.score)} if report.is_grade else {}),
        "max_score": number(report.max_score),
        "status": report.status.value,
        "submission": str(report.submission.get("path", "")),
        "submission_sha256": str(report.submission.get("sha256", "")),
        "exercise_version": str(report.exercise.get("version", "")),
        "grader_version": str(report.grader.get("version", "")),
    })
    if loads:
        _load_case(suite, slug, report)
    for check in report.checks:
        _testcase(suite, slug, check)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
