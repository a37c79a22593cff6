"""Markdown report: golden files, one table row per check as a Markdown parser sees it, and student text that
cannot break the table, open markup or smuggle HTML into a PR comment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from goldens import golden_text
from markdown_it import MarkdownIt
from markdown_it.token import Token
from reportdata import error_report, sample_report

from grader.render.markdown import md_code_block, md_inline, render_markdown
from grader.results import Report


def tokens(text: str) -> list[Token]:
    # GitHub and GitLab render GFM: CommonMark plus tables and strike-through (autolinks aside).
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).parse(text)


def body_rows(text: str) -> list[list[str]]:
    """The table's body rows as lists of cell texts, from the parser's token stream."""
    rows: list[list[str]] = []
    in_body = False
    for tok in tokens(text):
        if tok.type == "tbody_open":
            in_body = True
        elif tok.type == "tbody_close":
            in_body = False
        elif in_body and tok.type == "tr_open":
            rows.append([])
        elif in_body and tok.type == "inline":
            rows[-1].append(tok.content)
    return rows


def html_tokens(text: str) -> list[Token]:
    """Raw HTML the renderer would pass through, inline or as a block."""
    found = [t for t in tokens(text) if t.type == "html_block"]
    for t in tokens(text):
        found += [c for c in t.children or [] if c.type == "html_inline"]
    return found


@pytest.mark.parametrize(("name", "build"), [("report.md", sample_report), ("report-error.md", error_report)])
def test_golden(name: str, build: Callable[[], Report]) -> None:
    text = render_markdown(build())
    assert text == golden_text(f"markdown/{name}", text)


def test_one_row_per_check_with_four_cells() -> None:
    report = sample_report()
    rows = body_rows(render_markdown(report))

    assert len(rows) == len(report.checks)
    assert all(len(row) == 4 for row in rows)
    assert [row[2] for row in rows] == ["2 / 2", "0 / 3", "1 / 1", "0 / 1.5", "0 / 1", "1.5 / 1.5"]
    assert rows[4][0] == "◷ timeout" and rows[2][3] == "hidden"


def test_same_summary_as_the_html_report() -> None:
    text = render_markdown(sample_report())
    assert "**4.5 / 10 points** (45%)" in text
    assert "✓ passed × 3 · ✗ failed × 1 · ! error × 1 · ◷ timeout × 1" in text
    assert "cut off at the grader's limit" in text
    assert "> **Warning:** user namespaces are unavailable" in text
    assert len(html_tokens(text)) == 2  # only our own <details><summary>...</summary> and </details>


def test_error_report_has_the_reason_and_no_table() -> None:
    text = render_markdown(error_report())
    assert "### ✗ Your submission could not be graded" in text
    assert "```text\nSyntaxError at app.py line 7: expected ':'\n```" in text
    assert body_rows(text) == []
    assert "no checks were run" in text


def markup(text: str) -> list[str]:
    """The inline markup the parser made (emphasis, links, images, code, strike-through), in order."""
    kinds = ("strong_open", "em_open", "link_open", "image", "code_inline", "s_open")
    return [c.type for t in tokens(text) for c in t.children or [] if c.type in kinds]


def benign(report: Report) -> Report:
    """``report`` with plain words where the hostile text was: the markup the renderer itself adds."""
    checks = [replace(c, title="t", message="m" if c.message else "", output="o" if c.output else "")
              for c in report.checks]
    return replace(report, checks=checks, message="m", submission={**report.submission, "path": "p"})


HOSTILE_TITLE = "a | b `code` <img src=x onerror=alert(1)> **bold** [link](javascript:x) @octocat\nnext line ~~x~~"
HOSTILE_MESSAGE = "```\n</sub><script>alert(1)</script>\n| fake | row |\n````` still inside"


def test_student_text_cannot_break_the_table_or_inject_markup() -> None:
    report = sample_report()
    check = replace(report.checks[1], title=HOSTILE_TITLE, message=HOSTILE_MESSAGE, output=HOSTILE_MESSAGE)
    report = replace(report, checks=[report.checks[0], check], message=HOSTILE_TITLE,
                     submission={**report.submission, "path": HOSTILE_TITLE})
    text = render_markdown(report)

    rows = body_rows(text)
    assert len(rows) == 2 and all(len(row) == 4 for row in rows)
    assert len(html_tokens(text)) == 2  # still only our own <details> block's opening and closing
    # Inline text is escaped (the <script> in the message is inside a code block: shown, never run).
    assert "<img" not in text and "@octocat" not in text
    parsed = tokens(text)
    assert markup(text) == markup(render_markdown(benign(report))), "student text added markup"
    # The message is one code block each time it appears: its fences did not close ours.
    fences = [t for t in parsed if t.type == "fence"]
    assert sum(t.content.rstrip("\n") == HOSTILE_MESSAGE for t in fences) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a|b", "a\\|b"),
        ("`x`", "\\`x\\`"),
        ("<b>&", "&lt;b&gt;&amp;"),
        ("1\n2", "1 2"),
        ("me@example.com", "me&#64;example.com"),
        ("snake_case *x*", "snake\\_case \\*x\\*"),
    ],
)
def test_md_inline(text: str, expected: str) -> None:
    assert md_inline(text) == expected


def test_code_block_fence_outgrows_backticks_inside() -> None:
    assert md_code_block("a ```` b") == "`````text\na ```` b\n`````"
    assert md_code_block("plain\n") == "```text\nplain\n```"


def test_staff_details_are_folded_and_no_machine_path_is_shown() -> None:
    report = replace(sample_report(), submission={**sample_report().submission, "path": "/srv/grading/alice.py"})
    text = render_markdown(report)
    folded = text[text.index("<details><summary>Grading details (for course staff)</summary>"):]
    assert "user namespaces are unavailable" in folded and "Isolation: **process**" in folded
    assert "Python 3.12.3" in folded and folded.rstrip().endswith("</details>")
    assert "Warning" not in text[:text.index("<details>")]
    assert "/srv/grading" not in text and "submission alice.py" in text
