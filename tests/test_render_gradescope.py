"""Gradescope results.json: golden files, the specification's schema, the cases students must not be
blamed for (a submission that did not load is explained; a grader fault says it is not theirs), every string
safe in the format it declares, and nothing of a check students may not see in what they always see."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from goldens import golden_text
from jsonschema import Draft202012Validator, ValidationError
from reportdata import error_report, sample_report, with_fault

from grader.render._common import number
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


# ----------------------------------------------------------------------------- formats (Output String Formatting)

# What a student's app can print while loading: a traceback through `<module>`, markup, and a SyntaxError
# whose caret must stay under the character it points at.
HOSTILE = (
    "<img src=x onerror=alert(document.cookie)>\n"
    "Traceback (most recent call last):\n"
    '  File "app.py", line 3, in <module>\n'
    "    import helpers\n"
    '  File "helpers.py", line 2\n'
    "    def greet(name)\n"
    "                   ^\n"
    "SyntaxError: expected ':' <b>bold</b> &amp; <script>alert(1)</script>"
)
# The specification's defaults when a string does not say its format.
DEFAULT_FORMAT = {"output": "simple_format", "test_output": "text", "test_name": "text"}


def hostile_report() -> Report:
    report = sample_report()
    first = replace(report.checks[1], message=f"expected 200, got 500\n{HOSTILE}", output=HOSTILE)
    return replace(report, checks=[first, *report.checks[2:]], output=HOSTILE)


def strings(results: dict[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """Every string Gradescope displays: (where, text, the format it declares or None)."""
    yield "output", results["output"], results.get("output_format")
    for i, test in enumerate(results["tests"]):
        yield f"tests[{i}].output", test["output"], test.get("output_format", results.get("test_output_format"))
        yield f"tests[{i}].name", test["name"], test.get("name_format", results.get("test_name_format"))


def as_gradescope_shows(text: str, fmt: str) -> str:
    """The HTML a format makes of ``text``, as the specification describes each one.

    ``text``: "basic text formatting ... No HTML, Markdown, or ANSI will be rendered", test output "placed in a
    <pre> tag": the text escaped in a ``<pre>``. ``simple_format``: Rails' ``simple_format``, which renders the
    HTML in the string and turns ``\\n\\n+`` into paragraphs and ``\\n`` into ``<br />``. (Rails' sanitizer would
    then drop ``onerror`` and unknown tags such as ``<module>``, but keep ``<img src=x>``: markup, still.)
    """
    if fmt == "text":
        return f"<pre>{html.escape(text)}</pre>"
    if fmt == "simple_format":
        paragraphs = re.split(r"\n\n+", text.replace("\r\n", "\n"))
        return "".join(f"<p>{p.replace(chr(10), '<br />' + chr(10))}</p>" for p in paragraphs)
    raise AssertionError(f"this test does not know how Gradescope renders {fmt!r}: teach it before using it")


class Shown(HTMLParser):
    """The elements and the text a browser would make of an HTML fragment."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def test_every_string_says_its_format() -> None:
    results = render(hostile_report())
    assert (results["output_format"], results["test_output_format"], results["test_name_format"]) == ("text",) * 3
    for test in results["tests"]:
        assert (test["output_format"], test["name_format"]) == ("text", "text")
    validate(results)


@pytest.mark.parametrize("build", [hostile_report, sample_report, error_report])
def test_every_string_is_shown_as_written_in_its_format(build: Callable[[], Report]) -> None:
    results = render(replace(build(), output=HOSTILE))
    for where, text, fmt in strings(results):
        assert fmt is not None, f"{where} does not say its format"
        shown = Shown(as_gradescope_shows(text, fmt))
        assert shown.tags == ["pre"], where  # no element of the student's making
        assert shown.text == text, where  # every character, indentation included, as written
    assert "in <module>" in results["output"]
    assert "    def greet(name)\n                   ^\n" in results["output"]


def test_without_its_format_the_load_output_would_be_live_markup() -> None:
    # What Gradescope did with our output before it said `text`: its default for the top level.
    results = render(hostile_report())
    shown = Shown(as_gradescope_shows(results["output"], DEFAULT_FORMAT["output"]))
    assert "img" in shown.tags and "script" in shown.tags and "module" in shown.tags
    assert "in <module>" not in shown.text


# ----------------------------------------------------------------------------- visibility


def test_top_level_output_shows_only_the_visible_checks() -> None:
    report = sample_report()  # visible: 2 + 3 points; hidden, after_due_date, after_published: the rest
    output = render(report)["output"]

    assert output.startswith("Visible checks: 2 / 5 points (1 passed, 1 failed).")
    assert "4 more check(s), worth 5 points, are not shown yet: 1 shown after the due date, 1 shown when " \
           "grades are published, 2 hidden. Your total score is shown once grades are published." in output
    assert number(report.score) not in output.split("\n")[0]  # the total Gradescope hides is not given away
    for check in report.checks:
        if check.visibility != "visible":
            assert check.title not in output


def test_after_due_date_checks_reveal_the_total_with_them() -> None:
    report = sample_report()
    checks = [c if c.visibility == "visible" else replace(c, visibility="after_due_date") for c in report.checks]
    output = render(replace(report, checks=checks))["output"]
    assert "4 shown after the due date. Your total score is shown after the due date, with them." in output


def test_all_visible_checks_give_the_total() -> None:
    report = sample_report()
    results = render(replace(report, checks=[replace(c, visibility="visible") for c in report.checks]))
    assert results["output"].startswith("Score: 4.5 / 10 points (3 passed, 1 failed, 1 error, 1 timeout).")
    assert {t["visibility"] for t in results["tests"]} == {"visible"}


def test_visibility_is_gradescopes_and_stdout_stays_hidden() -> None:
    report = sample_report()
    results = render(report)
    assert [t["visibility"] for t in results["tests"]] == [c.visibility for c in report.checks]
    assert results["visibility"] == "visible"  # every test overrides it; it governs the top-level output only
    assert results["stdout_visibility"] == "hidden"


@pytest.mark.parametrize("status", [Status.GRADER_FAULT, Status.CHECK_FAULT])
def test_a_fault_in_a_check_students_cannot_see_is_not_named(status: Status) -> None:
    report = sample_report()
    hidden = next(i for i, c in enumerate(report.checks) if c.visibility == "hidden")
    results = render(with_fault(report, hidden, status, FAULT))
    assert "could not be graded, and this is not your fault" in results["output"]
    assert results["output"].split("\n\n")[0].endswith("1 check(s) not shown to you could not be judged.")
    assert report.checks[hidden].title not in results["output"]
    assert report.checks[hidden].id not in results["output"]
    # Its own test still has its title: Gradescope never shows a hidden test to students.
    assert results["tests"][hidden]["name"] == report.checks[hidden].title
