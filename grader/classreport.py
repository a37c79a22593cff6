"""The class-level outputs of a batch: summary.json, grades.csv and index.html, built from a typed
:class:`BatchSummary` (the batch's :class:`~grader.results.SummaryRow` per submission and what it found).

A stage below the batch: it imports nothing from it (the roster is anything shaped like :class:`RosterLike`).
Everything here is a pure function of the summary except its ``run`` block (timestamps, durations, how many
were graded this time), which is kept apart so a test can blank it: the same inputs give the same bytes.

A submission that is not a grade (a grader fault still failing after the batch's retries, or a bug in a
check) is listed as not graded everywhere: no score in summary.json, an empty cell in grades.csv with the
reason in its note, and never a 0 in the class statistics.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined

from .render import number, write_atomic
from .results import ReportStatus, Status, SummaryRow
from .spec import Exercise

SUMMARY_SCHEMA_VERSION = 2
_STUDENT_STATUSES = (Status.PASSED, Status.FAILED, Status.ERROR, Status.TIMEOUT)
_FAULT_WORDS = {Status.GRADER_FAULT: "grader fault", Status.CHECK_FAULT: "check fault"}


class RosterLike(Protocol):
    """What the class report reads of a roster (:class:`grader.batch.Roster` is one)."""

    @property
    def path(self) -> Path: ...
    @property
    def columns(self) -> tuple[str, ...]: ...
    @property
    def key(self) -> str: ...
    @property
    def rows(self) -> tuple[dict[str, str], ...]: ...
    def student(self, row: dict[str, str]) -> str: ...


@dataclass(frozen=True)
class BatchSummary:
    """Everything the class outputs are made from."""

    exercises: list[Exercise]
    rows: dict[tuple[str, str], SummaryRow]  # (student, slug) -> row
    students: list[str]  # everyone who handed something in, normalized
    layout_kind: str = "one-exercise"
    prefix: str = ""
    ignored: list[str] = field(default_factory=list)
    roster: RosterLike | None = None
    run: dict[str, Any] = field(default_factory=dict)


def not_graded_reason(row: SummaryRow) -> str:
    """``not graded: grader fault`` or ``not graded: check fault (`check-id`)``: the words every output uses."""
    fault = row.fault or Status.GRADER_FAULT
    broken = [cid for cid, s in sorted(row.checks.items()) if s is Status.CHECK_FAULT]
    which = f" ({', '.join(f'`{c}`' for c in broken)})" if fault is Status.CHECK_FAULT and broken else ""
    return f"not graded: {_FAULT_WORDS[fault]}{which}"


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _median(values: list[float]) -> float | None:
    return round(float(statistics.median(values)), 4) if values else None


def histogram(scores: Iterable[float], max_score: float) -> list[dict[str, Any]]:
    """One bin per whole point up to 20 points, otherwise ten equal bins; the top bin includes full marks."""
    scores = list(scores)
    whole = max_score <= 20 and float(max_score).is_integer()
    edges = [float(i) for i in range(int(max_score) + 1)] if whole else [max_score * i / 10 for i in range(11)]
    if whole:
        bins: list[dict[str, Any]] = [{"label": number(e), "from": e, "to": e, "count": 0} for e in edges]
        for s in scores:
            bins[min(len(bins) - 1, max(0, int(s)))]["count"] += 1
        return bins
    bins = [{"label": f"{number(a)}–{number(b)}", "from": a, "to": b, "count": 0}
            for a, b in zip(edges, edges[1:], strict=False)]
    for s in scores:
        i = int(10 * s / max_score) if max_score > 0 else 0
        bins[min(9, max(0, i))]["count"] += 1
    return bins


def _exercise_summary(ex: Exercise, rows: list[SummaryRow]) -> dict[str, Any]:
    graded = [r for r in rows if r.is_grade]
    scores = [float(r.score or 0.0) for r in graded]
    checks = []
    for c in ex.checks:
        counts = {s.value: 0 for s in _STUDENT_STATUSES}
        for r in graded:
            status = r.checks.get(c.id)
            if status is not None and status.value in counts:
                counts[status.value] += 1
        checks.append({"id": c.id, "title": c.title, "points": c.points, **counts,
                       "pass_rate": round(counts["passed"] / len(graded), 4) if graded else None})
    students = [{"student": r.student, "status": r.status.value, "score": r.score,
                 "fault": r.fault.value if r.fault else None,
                 "message": r.message, "checks": {k: v.value for k, v in sorted(r.checks.items())},
                 "report": f"{r.student}/{ex.slug}/report.html" if r.checks or r.is_grade else None}
                for r in sorted(rows, key=lambda r: r.student)]
    timeouts = [{"student": r.student, "checks": sorted(k for k, v in r.checks.items() if v is Status.TIMEOUT)}
                for r in graded if Status.TIMEOUT in r.checks.values()]
    crashed = [{"student": r.student, "checks": sorted(k for k, v in r.checks.items() if v is Status.ERROR)}
               for r in graded if r.status is ReportStatus.GRADED and Status.ERROR in r.checks.values()]
    not_graded = [r for r in rows if not r.is_grade]
    return {
        "slug": ex.slug, "title": ex.title, "version": ex.version, "max_score": ex.max_score,
        "counts": {"submissions": len(rows), "graded": sum(r.status is ReportStatus.GRADED for r in rows),
                   "error": sum(r.status is ReportStatus.ERROR for r in rows),
                   "not_graded": len(not_graded),
                   "full_marks": sum(s == ex.max_score for s in scores),
                   "with_timeouts": len(timeouts), "with_check_errors": len(crashed)},
        "score": {"mean": _mean(scores), "median": _median(scores),
                  "min": min(scores) if scores else None, "max": max(scores) if scores else None},
        "histogram": histogram(scores, ex.max_score),
        "checks": checks,
        "errors": [{"student": r.student, "message": r.message} for r in graded if r.status is ReportStatus.ERROR],
        "not_graded": [{"student": r.student, "fault": (r.fault or Status.GRADER_FAULT).value,
                        "reason": not_graded_reason(r), "message": r.message} for r in not_graded],
        "timeouts": timeouts,
        "check_errors": crashed,
        "students": students,
    }


def build_summary(batch: BatchSummary) -> dict[str, Any]:
    """summary.json as a dict (its schema: ``grader/schemas/summary.schema.json``)."""
    exercises, rows, roster = batch.exercises, batch.rows, batch.roster
    submitted = set(batch.students)
    on_roster = [roster.student(r) for r in roster.rows] if roster else []
    everyone = sorted(submitted | {s for s in on_roster if s})
    students = []
    for name in everyone:
        mine = {ex.slug: rows.get((name, ex.slug)) for ex in exercises}
        scores = {slug: (row.score if row is not None and row.is_grade else None) for slug, row in mine.items()}
        present = [s for s in scores.values() if s is not None]
        errors = [slug for slug, row in mine.items() if row is not None and row.status is ReportStatus.ERROR]
        not_graded = {slug: not_graded_reason(row) for slug, row in mine.items()
                      if row is not None and not row.is_grade}
        # A total that leaves out an exercise the grader failed on is not the student's total either.
        total = round(sum(present), 4) if present and not not_graded else None
        students.append({"student": name, "submitted": name in submitted, "errors": errors,
                         "not_graded": not_graded, "on_roster": (name in on_roster) if roster else None,
                         "scores": scores, "total": total})
    return {
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "exercises": [_exercise_summary(ex, [r for (_, slug), r in sorted(rows.items()) if slug == ex.slug])
                      for ex in exercises],
        "students": students,
        "roster": {"path": roster.path.name, "key": roster.key,
                   "missing": sorted(s for s in on_roster if s and s not in submitted),
                   "not_on_roster": sorted(submitted - set(on_roster))} if roster else None,
        "layout": {"kind": batch.layout_kind, "prefix": batch.prefix, "ignored": batch.ignored},
        # Everything that changes from run to run lives here and only here.
        "run": batch.run,
    }


def grades_csv(summary: dict[str, Any], roster: RosterLike | None) -> str:
    """One row per student: the roster's columns (if any), a column per exercise, total, and a note."""
    slugs = [e["slug"] for e in summary["exercises"]]
    by_name = {s["student"]: s for s in summary["students"]}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if roster is None:
        writer.writerow(["student", *slugs, "total", "note"])
        for s in summary["students"]:
            writer.writerow([s["student"], *_cells(s, slugs), _note(s, slugs, roster=False)])
        return out.getvalue()
    writer.writerow([*roster.columns, *slugs, "total", "note"])
    seen = set()
    for row in roster.rows:
        name = roster.student(row)
        seen.add(name)
        s = by_name.get(name) if name else None
        cells = _cells(s, slugs) if s else [""] * (len(slugs) + 1)
        note = _note(s, slugs, roster=True) if s else "no submission"
        writer.writerow([row.get(c, "") for c in roster.columns] + cells + [note])
    for s in summary["students"]:
        if s["student"] not in seen:
            first = [s["student"] if c == roster.key else "" for c in roster.columns]
            writer.writerow(first + _cells(s, slugs) + [_note(s, slugs, roster=True)])
    return out.getvalue()


def _cells(s: dict[str, Any], slugs: list[str]) -> list[str]:
    vals = [s["scores"][slug] for slug in slugs]
    total = s["total"]
    return [("" if v is None else number(v)) for v in vals] + ["" if total is None else number(total)]


def _note(s: dict[str, Any], slugs: list[str], *, roster: bool) -> str:
    notes = []
    if roster and s["on_roster"] is False:
        notes.append("not on roster")
    if not s["submitted"]:
        notes.append("no submission")
    else:
        missing = [slug for slug in slugs if s["scores"][slug] is None and slug not in s["not_graded"]]
        for slug, reason in s["not_graded"].items():
            notes.append(f"{slug} {reason}")
        if missing:
            notes.append("missing or not graded: " + " ".join(missing))
        if s["errors"]:
            notes.append("did not load: " + " ".join(s["errors"]))
    return "; ".join(notes)


# ----------------------------------------------------------------------------- index.html

_SORT_JS = """\
document.querySelectorAll("table.sortable th button").forEach(function (b) {
  b.addEventListener("click", function () {
    var th = b.parentNode, table = th.closest("table"), body = table.tBodies[0];
    var i = Array.prototype.indexOf.call(th.parentNode.children, th);
    var asc = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    // A row whose last cell spans the remaining columns (a submission that did not load) sorts by that cell.
    function at(row) { return row.cells[Math.min(i, row.cells.length - 1)].dataset.sort; }
    rows.sort(function (x, y) {
      var a = at(x), c = at(y);
      var na = parseFloat(a), nc = parseFloat(c);
      var r = (!isNaN(na) && !isNaN(nc)) ? na - nc : a.localeCompare(c);
      return asc ? r : -r;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("grader", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["number"] = number
    return env


# A check that fewer than this share of the class passes is drawn red: where the class needs help first.
LOW_PASS_RATE = 0.5
# What a matrix cell shows for each check status: a symbol a reader tells apart without colour.
_CELL = {"passed": "✓", "failed": "✗", "error": "crash", "timeout": "timeout",
         "grader_fault": "grader fault", "check_fault": "check fault"}
_WORDS = {"passed": "passed", "failed": "failed", "error": "crashed", "timeout": "timed out",
          "grader_fault": "not graded: grader fault", "check_fault": "not graded: check fault"}
# Sorting the matrix by a check puts what went wrong first: not run, timeout, crash, failed, passed.
_CELL_ORDER = {None: 0, "timeout": 1, "error": 2, "failed": 3, "passed": 4}


def _histogram_bars(bins: list[dict[str, Any]], did_not_load: int) -> list[dict[str, Any]]:
    """Bars as heights in per cent of the tallest, each split into real scores and "did not load" zeros.

    A submission that did not load scores 0, so those zeros are all in the first bin; they are drawn apart
    because "could not run it" and "ran it and every check failed" call for different help.
    """
    top = max([b["count"] for b in bins] + [1])
    bars = []
    for i, b in enumerate(bins):
        dnl = min(did_not_load, b["count"]) if i == 0 else 0
        bars.append({**b, "did_not_load": dnl, "graded": b["count"] - dnl,
                     "pct": round(100 * b["count"] / top, 1), "dnl_pct": round(100 * dnl / top, 1)})
    return bars


def _rates(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**c, "pct": round(100 * (c["pass_rate"] or 0), 1),
             "low": c["pass_rate"] is not None and c["pass_rate"] < LOW_PASS_RATE} for c in checks]


def _matrix(ex: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per student of this exercise: a cell per check (in the spec's order) with its status."""
    rows = []
    for s in ex["students"]:
        # A submission that did not load ran no check: its checks' "error" is not a crash of the check.
        ran = s["status"] != "error"
        statuses = [s["checks"].get(c["id"]) if ran else None for c in ex["checks"]]
        cells = [{"status": st, "text": _CELL.get(st, "—") if st else "—", "sort": _CELL_ORDER.get(st, 0),
                  "words": _WORDS.get(st, st) if st else "not run"} for st in statuses]
        rows.append({**s, "cells": cells, "failed": sum(c["status"] not in ("passed", None) for c in cells)})
    return rows


def _exercise_view(ex: dict[str, Any]) -> dict[str, Any]:
    titles = {c["id"]: c["title"] for c in ex["checks"]}

    def titled(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**e, "titles": [titles.get(c, c) for c in e["checks"]]} for e in entries]

    return {**ex, "bars": _histogram_bars(ex["histogram"], ex["counts"]["error"]), "rates": _rates(ex["checks"]),
            "matrix": _matrix(ex), "timeouts": titled(ex["timeouts"]), "check_errors": titled(ex["check_errors"])}


def render_class_html(summary: dict[str, Any]) -> str:
    """The class report: per exercise a histogram, check pass rates and a student-by-check matrix, then a
    student table with the same notes as grades.csv."""
    script_hash = base64.b64encode(hashlib.sha256(_SORT_JS.encode()).digest()).decode()
    slugs = [e["slug"] for e in summary["exercises"]]
    context = {
        "summary": summary,
        "exercises": [_exercise_view(e) for e in summary["exercises"]],
        "by_student": {e["slug"]: {r["student"]: r for r in e["students"]} for e in summary["exercises"]},
        "notes": {s["student"]: _note(s, slugs, roster=summary["roster"] is not None) for s in summary["students"]},
        "low_pass_rate": LOW_PASS_RATE,
        "script": _SORT_JS,
        "script_hash": f"sha256-{script_hash}",
    }
    return _environment().get_template("class.html.j2").render(context)


def write_class_outputs(out_dir: Path, batch: BatchSummary) -> list[Path]:
    summary = build_summary(batch)
    outputs = {
        out_dir / "summary.json": json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
        out_dir / "grades.csv": grades_csv(summary, batch.roster),
        out_dir / "index.html": render_class_html(summary),
    }
    for path, text in outputs.items():
        write_atomic(path, text)
    return list(outputs)
