"""HTML report: one self-contained page (inline CSS, no scripts, no network).

Everything in a report that came from the submission (messages, output, paths) is hostile: the
template relies on autoescaping for all of it. The one value marked safe is the instructor's
Markdown statement, rendered with raw HTML disabled so markdown-it escapes any tag in it.
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..results import Report
from ._common import FAULT_NOTES, STATUS_LABELS, fault_summary, number, submission_name

# Symbol and word for each status value, for the template (one table for every format: _common).
_STATUS_LABELS: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {status.value: (label.symbol, label.word) for status, label in STATUS_LABELS.items()}
)


def _seconds(value: float) -> str:
    return f"{value:.2f} s"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("grader", "templates"),
        autoescape=True,
        # A typo in the template then fails the golden test instead of rendering "".
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["number"] = number
    env.filters["seconds"] = _seconds
    return env


@lru_cache(maxsize=64)  # a batch renders the same statement for every student: ~6 ms each time
def _statement_html(source: str) -> Markup:
    # "commonmark" enables raw HTML by default; turning it off makes markdown-it escape every tag,
    # and its link validation drops javascript: URLs, so the result can be marked safe.
    md = MarkdownIt("commonmark", {"html": False})
    return Markup(md.render(source))


def render_statement(source: str) -> Markup:
    """An exercise statement rendered as the report renders it (raw HTML off), for other pages that show it."""
    return _statement_html(source)


def render_html(report: Report) -> str:
    """Render ``report`` as a standalone HTML page. Pure: the same report gives the same bytes."""
    percent: float | None = None
    if report.max_score > 0 and report.is_grade:
        percent = min(100.0, max(0.0, 100.0 * report.score / report.max_score))
    context: dict[str, Any] = {
        "report": report,
        "exercise": report.exercise,
        "submission": report.submission,
        "submission_name": submission_name(report),
        "percent": percent,
        "statement_html": _statement_html(report.exercise.get("statement") or ""),
        "labels": _STATUS_LABELS,
        "fault_notes": {status.value: note for status, note in FAULT_NOTES.items()},
        "fault_summary": fault_summary(report) if not report.is_grade else "",
    }
    return _environment().get_template("report.html.j2").render(context)
