"""Markdown report (``report.md``): the HTML report's summary for PR comments and CI step summaries.

Everything that came from the submission is hostile. Inline text (table cells, the submission path) is
escaped so it can neither end a table cell nor open markup; multi-line text goes in a fenced code block
whose fence is longer than any backtick run inside it, so nothing in it is ever parsed.
"""

from __future__ import annotations

import re

from ..results import CheckResult, Report, Status
from ._common import FAULT_NOTES, STATUS_LABELS, did_not_load, fault_summary, number, submission_name

# Punctuation that can open emphasis, code, links, a table cell, strike-through or (in a heading) close it.
# Characters that only matter at the start of a line (-, +, >) are safe: this text never starts one.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
_HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;",
                 # A mention in a PR comment would notify a stranger; an entity still reads as "@".
                 "@": "&#64;"}


def md_inline(text: str) -> str:
    """Escape ``text`` for a table cell or a line of prose: one line, no markup, no HTML."""
    text = " ".join(text.split())  # a newline would end the table row
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # Entities last: their own "&#" must not be escaped again.
    return "".join(_HTML_SPECIAL.get(ch, ch) for ch in text)


def md_code_block(text: str, info: str = "text") -> str:
    """A fenced code block that ``text`` cannot close: the fence is longer than its longest backtick run."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip(chr(10))}\n{fence}"


def _code(text: str) -> str:
    """An identifier as inline code when it is plainly safe there (a code span cannot hold escapes)."""
    return f"`{text}`" if re.fullmatch(r"[\w./-]+", text) else md_inline(text)


def _label(check: CheckResult) -> str:
    # Symbol and word, as in the HTML report: colour alone is lost in a plain-text comment.
    return str(STATUS_LABELS[check.status])


def _score_line(report: Report) -> str:
    line = f"**{number(report.score)} / {number(report.max_score)} points**"
    if not report.is_grade:
        line = f"**Not graded** (out of {number(report.max_score)} points)"
    elif report.max_score > 0:
        percent = min(100.0, max(0.0, 100.0 * report.score / report.max_score))
        line += f" ({percent:.0f}%)"
    counts = " · ".join(f"{STATUS_LABELS[Status(s)]} × {n}" for s, n in report.counts.items() if n)
    return f"{line} — {counts}" if counts else f"{line} — no checks were run"


def _table(report: Report) -> list[str]:
    rows = ["| Status | Check | Points | Visibility |", "|---|---|---:|---|"]
    for check in report.checks:
        visibility = check.visibility.replace("_", " ")
        rows.append(f"| {_label(check)} | {md_inline(check.title)} ({_code(check.id)}) | "
                    f"{'not graded' if check.status.is_fault else number(check.score)} / {number(check.points)} | "
                    f"{visibility} |")
    return rows


def _details(check: CheckResult) -> list[str]:
    lines = [f"#### {_label(check)}: {md_inline(check.title)}", ""]
    if check.status in FAULT_NOTES:
        lines += [FAULT_NOTES[check.status], ""]
    if check.message:
        lines += [md_code_block(check.message), ""]
    if check.output:
        lines += ["Printed by your app during this check:", "", md_code_block(check.output.rstrip()), ""]
    return lines


def render_markdown(report: Report) -> str:
    """Render ``report`` as GitHub/GitLab-flavoured Markdown. Pure: the same report gives the same text."""
    exercise = report.exercise
    lines = [f"## {md_inline(str(exercise.get('title', '')))}", ""]
    facts = [f"Exercise {_code(str(exercise.get('slug', '')))}"]
    if exercise.get("version"):
        facts[0] += f" (version {md_inline(str(exercise['version']))})"
    facts.append(f"submission {md_inline(submission_name(report))}")
    facts.append({"graded": "graded", "error": "**not graded (error)**",
                  "incomplete": "**not graded: not your fault**"}[report.status.value])
    lines += [" · ".join(facts), "", _score_line(report), ""]

    if did_not_load(report):
        lines += ["### ✗ Your submission could not be graded", "",
                  md_code_block(report.message or "The grader gave no reason."), "",
                  "Fix the problem above and submit again.", ""]
    elif not report.is_grade:
        lines += ["### ? Not graded, not your fault", "", md_inline(fault_summary(report)), ""]
    elif report.message:
        lines += [f"> **Note:** {md_inline(report.message)}", ""]

    if report.checks:
        lines += ["### Checks", "", *_table(report), ""]
        problems = [c for c in report.checks if c.status is not Status.PASSED or c.output]
        if problems and not did_not_load(report):
            lines += ["### Details", ""]
            for check in problems:
                lines += _details(check)

    if report.output:
        lines += ["### Output while loading", "", md_code_block(report.output.rstrip()), ""]
    if report.output_truncated:
        lines += ["_Output was cut off at the grader's limit; the rest was not kept._", ""]
    lines += _staff_details(report)
    return "\n".join(lines) + "\n"


def _staff_details(report: Report) -> list[str]:
    """Isolation and the grader's versions, folded: course staff need them, to a student they are noise.

    ``<details>`` and ``<summary>`` are the only HTML this renderer writes; everything inside is escaped text.
    """
    isolation = report.isolation
    layers = ", ".join(f"{md_inline(name)} {'on' if on else 'off'}" for name, on in sorted(isolation.layers.items()))
    lines = ["<details><summary>Grading details (for course staff)</summary>", ""]
    lines += [f"Isolation: **{md_inline(isolation.mode)}**" + (f" ({layers})" if layers else ""), ""]
    for warning in isolation.warnings:
        lines += [f"> **Warning:** {md_inline(warning)}", ""]
    grader = report.grader
    versions = [f"Flask Route Grader {md_inline(str(grader.get('version', '')))}"]
    versions += [f"{label} {md_inline(str(grader[key]))}" for key, label in
                 (("python", "Python"), ("flask", "Flask"), ("werkzeug", "Werkzeug")) if grader.get(key)]
    versions += [f"graded in {report.duration_s:.2f} s", f"report schema v{report.schema_version}"]
    lines += [" · ".join(versions), "", "</details>"]
    return lines
