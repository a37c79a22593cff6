"""Meta-test over exercises/*: every spec loads, the reference scores full marks, the starter loads but does
not, and every bundled example scores as its first line says (`# expect: full`, `# expect: partial (fails:
a, b)`, `# expect: error`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import EXERCISES

from grader.grading import Grader
from grader.results import Report, ReportStatus, Status
from grader.spec import load_exercise

# Route exercises; the quiz kind has its own tests (tests/test_quiz.py).
SLUGS = sorted(p.name for p in EXERCISES.iterdir()
               if (p / "exercise.yaml").is_file() and load_exercise(p).kind == "flask")
_EXPECT = re.compile(r"^#\s*expect:\s*(full|error|partial\s*\(fails:\s*([a-z0-9,\s-]+)\))\s*$")


def expectation(path: Path) -> tuple[str, set[str]]:
    first = path.read_text().splitlines()[0]
    m = _EXPECT.match(first)
    assert m, f"{path}: the first line must be `# expect: full|error|partial (fails: id, ...)`, got {first!r}"
    kind = m.group(1).split("(")[0].strip()
    fails = {s.strip() for s in (m.group(2) or "").split(",") if s.strip()}
    return kind, fails


def failing(report: Report) -> set[str]:
    return {c.id for c in report.checks if c.status is not Status.PASSED}


@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_exercise_grades_as_declared(slug: str, grader_session: Grader) -> None:
    ex = load_exercise(EXERCISES / slug)
    examples = sorted((ex.root / "examples").glob("*.py"))
    subs: dict[str, Path] = {"@solution": ex.solution_dir, "@starter": ex.starter_dir}
    subs.update({p.stem: p for p in examples})
    reports = grader_session.grade_many(ex, subs)

    solution = reports["@solution"]
    assert solution.status is ReportStatus.GRADED, solution.message
    assert solution.score == ex.max_score, [(c.id, c.message) for c in solution.checks if c.status != "passed"]

    starter = reports["@starter"]
    assert starter.status is ReportStatus.GRADED, f"the starter must load: {starter.message}"
    assert starter.score < ex.max_score

    assert len(examples) >= 4, "each exercise bundles at least two correct and two wrong example submissions"
    kinds = {p.stem: expectation(p) for p in examples}
    assert sum(k == "full" for k, _ in kinds.values()) >= 2
    assert sum(k == "partial" for k, _ in kinds.values()) >= 2
    for name, (kind, fails) in kinds.items():
        report = reports[name]
        if kind == "error":
            assert report.status is ReportStatus.ERROR and report.score == 0, name
            assert report.message, name
        elif kind == "full":
            assert report.score == ex.max_score, (name, [(c.id, c.message) for c in report.checks
                                                         if c.status != "passed"])
        else:
            assert report.status is ReportStatus.GRADED, (name, report.message)
            assert failing(report) == fails, (name, [(c.id, c.message) for c in report.checks])
            assert report.score < ex.max_score
            for c in report.checks:
                if c.id in fails:
                    assert c.message, f"{name}: check {c.id} failed without a message"
