"""Meta-test over exercises/*: every spec loads, the reference scores full marks, the starter loads but does
not, every bundled example scores as its first line says (`# expect: full`, `# expect: partial (fails:
a, b)`, `# expect: error`), and every message a wrong example gets names the request it sent and holds a
`curl` line that sends it again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import EXERCISES

from grader.grading import Grader
from grader.results import Report, ReportStatus, Status
from grader.spec import Exercise, load_exercise

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


@pytest.fixture(scope="module", params=SLUGS)
def graded(request: pytest.FixtureRequest, grader_session: Grader) -> tuple[Exercise, dict[str, Report]]:
    """Each exercise with the reports of its solution (`@solution`), starter (`@starter`) and every example."""
    ex = load_exercise(EXERCISES / request.param)
    subs: dict[str, Path] = {"@solution": ex.solution_dir, "@starter": ex.starter_dir}
    subs.update({p.stem: p for p in sorted((ex.root / "examples").glob("*.py"))})
    return ex, grader_session.grade_many(ex, subs)


@pytest.mark.slow
def test_exercise_grades_as_declared(graded: tuple[Exercise, dict[str, Report]]) -> None:
    ex, reports = graded
    examples = sorted((ex.root / "examples").glob("*.py"))

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


# "POST /login?source=web: ..." and, further down, "Request: POST /login?source=web".
_REQUEST = re.compile(r"^Request: (GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) /\S*", re.MULTILINE)
_CURL = re.compile(r"^  (?:printf .* \| |head -c \d+ /dev/urandom \| )?curl -i .*http://127\.0\.0\.1:5000/",
                   re.MULTILINE)


@pytest.mark.slow
def test_every_failure_names_its_request_and_a_curl_line(graded: tuple[Exercise, dict[str, Report]]) -> None:
    """A student can see each failure on their own machine: every failed check of every wrong example says what
    request it sent and how to send it again with curl (all these checks send requests)."""
    ex, reports = graded
    checked = 0
    for path in sorted((ex.root / "examples").glob("*.py")):
        if expectation(path)[0] != "partial":
            continue
        for check in reports[path.stem].checks:
            if check.status is Status.PASSED:
                continue
            checked += 1
            where = f"{path.name}: check {check.id}: {check.message}"
            assert _REQUEST.search(check.message), where
            assert _CURL.search(check.message), where
            assert "flask --app app run" in check.message, where
    assert checked >= 2
