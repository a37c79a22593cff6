"""``grader new``: the scaffold is a working exercise (it validates, its examples grade as declared), and bad
slugs or existing folders are refused with a message that says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_exercises import expectation, failing

from grader.cli import cli
from grader.errors import GraderError
from grader.grading import Grader
from grader.scaffold import FILES, new_exercise
from grader.spec import load_exercise
from grader.validate import validate_exercise


def test_new_writes_every_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["new", "json-echo", "--exercises", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "grader validate" in result.output
    root = tmp_path / "json-echo"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == sorted(FILES)
    ex = load_exercise(root)
    assert ex.slug == "json-echo" and "json-echo" in (root / "starter" / "app.py").read_text()
    assert {c.visibility for c in ex.checks} == {"visible", "hidden"}


@pytest.mark.slow
def test_new_exercise_validates_and_its_examples_grade_as_declared(tmp_path: Path, grader_session: Grader) -> None:
    root = new_exercise("json-echo", tmp_path)
    result = validate_exercise(str(root), grader_session, tmp_path)
    assert result.ok, result.problems()
    ex = load_exercise(root)
    examples = sorted((root / "examples").glob("*.py"))
    declared = {p.stem: expectation(p) for p in examples}
    assert sorted(kind for kind, _ in declared.values()) == ["full", "partial", "partial"]
    reports = grader_session.grade_many(ex, {p.stem: p for p in examples})
    for name, (kind, fails) in declared.items():
        assert failing(reports[name]) == fails, (name, kind)


@pytest.mark.parametrize(("slug", "message"), [
    ("My_Exercise", "`My_Exercise` is not a valid exercise slug"),
    ("trailing-", "`trailing-` is not a valid exercise slug"),
    ("../escape", "`../escape` is not a valid exercise slug"),
    ("", "`` is not a valid exercise slug"),
])
def test_new_refuses_a_bad_slug(tmp_path: Path, slug: str, message: str) -> None:
    with pytest.raises(GraderError) as err:
        new_exercise(slug, tmp_path)
    assert err.value.message == message
    assert err.value.tip and "lower-case letters" in err.value.tip
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_an_existing_folder(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with pytest.raises(GraderError, match="already exists"):
        new_exercise("taken", tmp_path)
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]
