"""The HTML report: golden pages, escaping of hostile submission data, and atomic writing.

Golden files: after an intended change to the template, regenerate them with
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_render_html.py
and review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from reportdata import error_report, sample_report

from grader.render import write_reports
from grader.render.html import render_html
from grader.results import Report, to_json

GOLDEN = Path(__file__).parent / "golden"

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'


class _Tags(HTMLParser):
    """Collects the elements and attributes a browser would actually create."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(name for name, _ in attrs)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.parametrize(
    ("name", "build"), [("report.html", sample_report), ("report-error.html", error_report)]
)
def test_golden(name: str, build: Callable[[], Report]) -> None:
    html = render_html(build())
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(html, encoding="utf-8")
    assert path.exists(), f"{path} is missing; create it with UPDATE_GOLDEN=1"
    assert html == path.read_text(encoding="utf-8")


def test_render_is_pure() -> None:
    assert render_html(sample_report()) == render_html(sample_report())


def test_self_contained() -> None:
    tags = _parse(render_html(sample_report()))
    assert "script" not in tags.tags
    assert "link" not in tags.tags  # no external stylesheet or font
    assert "viewport" in render_html(sample_report())


def test_student_data_is_escaped() -> None:
    report = sample_report()
    hostile = XSS_SCRIPT + XSS_ATTR
    check = replace(report.checks[1], message=hostile, output=hostile, title=hostile)
    report = replace(
        report,
        checks=[check],
        output=hostile,
        message=hostile,
        submission={**report.submission, "path": hostile, "files": [hostile]},
    )
    html = render_html(report)

    assert XSS_SCRIPT not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    tags = _parse(html)
    assert "script" not in tags.tags and "img" not in tags.tags
    assert not [a for a in tags.attrs if a.startswith("on")]


def test_statement_markdown_cannot_carry_html() -> None:
    statement = (
        f"Intro with `code`.\n\n{XSS_SCRIPT}\n\ninline {XSS_ATTR} text\n\n"
        "[click](javascript:alert(1))\n"
    )
    report = replace(sample_report(), exercise={**sample_report().exercise, "statement": statement})
    html = render_html(report)

    assert "<code>code</code>" in html  # Markdown itself still renders
    assert XSS_SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    tags = _parse(html)
    assert "script" not in tags.tags and "img" not in tags.tags


def test_error_report_shows_reason_and_no_checks() -> None:
    report = error_report()
    html = render_html(report)

    assert 'role="alert"' in html
    assert "could not be graded" in html
    assert "SyntaxError at app.py line 7: expected &#39;:&#39;" in html
    assert "No checks were run" in html
    assert 'class="checks"' not in html
    assert '0</span><span class="score-max"> / 8 points' in html


def test_graded_report_shows_every_status_with_a_label() -> None:
    html = render_html(sample_report())

    for label in ("✓</span> passed", "✗</span> failed", "!</span> error", "◷</span> timeout"):
        assert label in html
    assert html.count('<li class="check ') == len(sample_report().checks)
    assert '<span class="tag">hidden</span>' in html
    assert '<span class="tag">after due date</span>' in html
    assert '<span class="tag">visible</span>' not in html
    assert '4.5</span><span class="score-max"> / 10 points' in html
    assert "45%" in html
    assert "cut off at the grader's limit" in html
    assert "<strong>Warning:</strong> user namespaces are unavailable" in html


def test_zero_max_score_has_no_percentage() -> None:
    report = replace(error_report(), max_score=0.0)
    html = render_html(report)
    assert 'class="percent"' not in html and 'class="bar"' not in html


def test_write_reports_is_atomic(tmp_path: Path) -> None:
    out = tmp_path / "out"  # does not exist yet: write_reports creates it
    report = sample_report()

    written = write_reports(report, out)

    assert sorted(p.name for p in written) == ["report.html", "report.json"]
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json"]
    assert json.loads((out / "report.json").read_text("utf-8")) == json.loads(to_json(report))
    assert (out / "report.html").read_text("utf-8") == render_html(report)


def test_write_reports_failure_keeps_old_file_and_no_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "report.json").write_text("old", encoding="utf-8")

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_reports(sample_report(), tmp_path, formats=("json",))

    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    assert (tmp_path / "report.json").read_text("utf-8") == "old"


def test_staff_details_are_folded_and_no_machine_path_is_shown() -> None:
    """Isolation and the grader's versions are noise to a student: they sit in a closed <details>; the
    submission is named as it was handed in, never by the grading machine's absolute path."""
    report = replace(sample_report(), submission={**sample_report().submission,
                                                  "path": "/srv/grading/run-7/alice/hello-routes"})
    html = render_html(report)
    staff = html[html.index('<details class="staff">'):]
    staff = staff[:staff.index("</details>")]
    assert "<summary>Grading details (for course staff)</summary>" in staff
    assert "<h3>Isolation</h3>" in staff and "user namespaces are unavailable" in staff
    assert "Python 3.12.3" in staff
    assert "<h2>Isolation</h2>" not in html and '<details class="staff" open' not in html
    assert "/srv/grading" not in html and "<dd><code>hello-routes</code></dd>" in html
