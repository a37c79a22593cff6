"""JUnit XML (``junit.xml``) for GitLab, Jenkins and Azure Pipelines test reports.

The file validates against the Jenkins xunit plugin's ``junit-10.xsd`` (the schema pytest's junitxml writes
to), which allows ``properties`` on the suite only and no location on a testcase. So:

- each check is one ``testcase`` named ``<title> [<id>]``, so a test view that shows only the name says what was
  checked, with ``classname`` the exercise slug;
- a failed check carries ``<failure>``, an error, timeout or fault ``<error>``, each with the student-facing
  message (a fault's says whose fault it is) and no ``type`` (dorny/test-reporter shows ``type: message``; the
  message already says what happened);
- points, score, visibility, the finer outcome (``grader-fault`` when the grader failed, ``check-fault`` when
  the check's own code is broken) and, where the message names a line of the submission, its ``file`` and
  ``line`` are suite properties named ``<id>.<key>``, where junitparser and xunitparser read them. An
  incomplete report has no ``score`` property, on the suite or on a check that was not judged: it is not a
  grade.

:func:`render_junit_annotated` (format ``xunit1``) writes the same file with ``file`` and ``line``
attributes on the testcases as well, as pytest's ``xunit1`` family does: what publish-unit-test-result-action
and action-junit-report place their annotations by, and what ``junit-10.xsd`` has no place for.

A submission that did not load gets one extra testcase, ``submission-loads``, in error: a suite with no
failing testcase would otherwise look green in CI.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..results import CheckResult, Report, Status
from ._common import FAULT_NOTES, did_not_load, find_location, number

LOAD_CASE = "submission-loads"
LOAD_TITLE = "The submission loads"

# Characters XML 1.0 cannot hold at all (not even escaped); student output may contain any of them.
_ILLEGAL_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """Make ``text`` storable in XML: illegal characters become a visible ``\\xNN``, as pytest does."""
    return _ILLEGAL_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _outcome(check: CheckResult) -> str:
    return check.status.value.replace("_", "-")  # grader-fault, check-fault, as XML attribute values go


def case_name(check_id: str, title: str) -> str:
    """What a test view shows: the title a person reads, then the id that names the check in the spec."""
    return f"{title} [{check_id}]"


def _summary(check: CheckResult) -> str:
    """The one-line ``message``: whose fault it is for a fault, else the message's first line, with a timeout
    said as one."""
    note = FAULT_NOTES.get(check.status)
    if note:
        return note
    first = _first_line(check.message)
    if check.status is Status.TIMEOUT:
        return f"Timed out: {first}" if first else "Timed out"
    return first


class _Suite:
    """One testsuite being built: its testcases, and the properties that describe them."""

    def __init__(self, report: Report, *, annotate: bool) -> None:
        self.slug = str(report.exercise.get("slug", "exercise"))
        self.files = [str(f) for f in report.submission.get("files", [])]
        self.annotate = annotate
        self.cases: list[ET.Element] = []
        self.properties: dict[str, str] = {
            **({"score": number(report.score)} if report.is_grade else {}),
            "max_score": number(report.max_score),
            "status": report.status.value,
            "submission": str(report.submission.get("path", "")),
            "submission_sha256": str(report.submission.get("sha256", "")),
            "exercise_version": str(report.exercise.get("version", "")),
            "grader_version": str(report.grader.get("version", "")),
        }

    def case(self, check_id: str, title: str, duration_s: float) -> ET.Element:
        case = ET.Element("testcase", classname=self.slug, name=_xml_text(case_name(check_id, title)),
                          time=_seconds(duration_s))
        self.cases.append(case)
        return case

    def locate(self, case: ET.Element, check_id: str, text: str) -> None:
        """Record the line of the submission that ``text`` names, if it names one."""
        where = find_location(text, self.files)
        if where is None:
            return
        self.properties[f"{check_id}.file"] = where.file
        self.properties[f"{check_id}.line"] = str(where.line)
        if self.annotate:
            case.set("file", where.file)
            case.set("line", str(where.line))


def _problem(case: ET.Element, tag: str, summary: str, text: str) -> None:
    problem = ET.SubElement(case, tag, message=_xml_text(summary))
    problem.text = _xml_text(text)


def _check(suite: _Suite, check: CheckResult) -> None:
    case = suite.case(check.id, check.title, check.duration_s)
    suite.properties.update({
        f"{check.id}.points": number(check.points),
        **({} if check.status.is_fault else {f"{check.id}.score": number(check.score)}),
        f"{check.id}.visibility": check.visibility,
        f"{check.id}.outcome": _outcome(check),
    })
    if check.topic:
        suite.properties[f"{check.id}.topic"] = check.topic
    suite.locate(case, check.id, f"{check.message}\n{check.output}")
    if check.status is not Status.PASSED:
        note = FAULT_NOTES.get(check.status)
        _problem(case, "failure" if check.status is Status.FAILED else "error", _summary(check),
                 f"{note}\n{check.message}" if note else check.message)
    if check.output:
        ET.SubElement(case, "system-out").text = _xml_text(check.output)


def _load(suite: _Suite, report: Report) -> None:
    message = report.message or "the submission did not load"
    case = suite.case(LOAD_CASE, LOAD_TITLE, 0.0)
    suite.properties[f"{LOAD_CASE}.outcome"] = "error"
    suite.locate(case, LOAD_CASE, f"{message}\n{report.output}")
    _problem(case, "error", _first_line(message), message)
    if report.output:
        ET.SubElement(case, "system-out").text = _xml_text(report.output)


def _render(report: Report, *, annotate: bool) -> str:
    suite = _Suite(report, annotate=annotate)
    loads = did_not_load(report)
    if loads:
        _load(suite, report)
    for check in report.checks:
        _check(suite, check)

    counts = report.counts
    errors = (counts[Status.ERROR.value] + counts[Status.TIMEOUT.value] + counts[Status.GRADER_FAULT.value]
              + counts[Status.CHECK_FAULT.value] + (1 if loads else 0))
    totals = {"tests": str(len(suite.cases)), "failures": str(counts[Status.FAILED.value]), "errors": str(errors)}
    time = _seconds(report.duration_s)
    root = ET.Element("testsuites", {"name": "Flask Route Grader", **totals, "time": time})
    element = ET.SubElement(root, "testsuite", {"name": suite.slug, **totals, "skipped": "0", "time": time})
    if report.created_at:
        element.set("timestamp", report.created_at)
    props = ET.SubElement(element, "properties")
    for name, value in suite.properties.items():
        ET.SubElement(props, "property", name=name, value=_xml_text(value))
    element.extend(suite.cases)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_junit(report: Report) -> str:
    """Render ``report`` as JUnit XML valid against ``junit-10.xsd``. Pure: the same report gives the same bytes."""
    return _render(report, annotate=False)


def render_junit_annotated(report: Report) -> str:
    """The same, with ``file`` and ``line`` on each testcase whose message names a line of the submission."""
    return _render(report, annotate=True)
