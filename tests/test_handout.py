"""``grader handout``: starters/ holds what students may see and nothing else, matches a fresh generation
byte for byte, and works with ``grader check`` from inside a handout folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import EXERCISES, ROOT

from grader.cli import cli
from grader.handout import handout_files, write_handout, write_handouts
from grader.spec import KEY_NAME, Exercise, list_exercises, load_exercise

STARTERS = ROOT / "starters"


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_committed_starters_match_a_fresh_generation(tmp_path: Path) -> None:
    write_handouts([], EXERCISES, tmp_path)
    fresh, committed = _tree(tmp_path), _tree(STARTERS)
    stale = sorted(set(fresh) ^ set(committed)) + sorted(k for k in fresh.keys() & committed.keys()
                                                         if fresh[k] != committed[k])
    assert not stale, f"starters/ is out of date with exercises/ ({', '.join(stale)}): run `grader handout`"


def test_generation_is_deterministic() -> None:
    for ex in list_exercises(EXERCISES):
        assert handout_files(ex) == handout_files(load_exercise(ex.root))


def _public(ex: Exercise) -> str:
    return "\n".join([ex.statement, *(p.read_text() for p in ex.starter_dir.rglob("*") if p.is_file()),
                      *((ex.checks_dir / c.file).read_text() for c in ex.visible_checks() if c.test)])


def _secrets(ex: Exercise, public: str) -> list[str]:
    """What must never reach a student: hidden tests' names and titles, solution-only lines, the key.

    A solution line that any exercise hands out anyway (`return response`) is not a secret."""
    hidden = [c for c in ex.checks if c.visibility != "visible"]
    secrets = [c.title for c in hidden] + [c.test.rsplit("::", 1)[-1] for c in hidden if c.test]
    for p in ex.solution_dir.rglob("*"):
        if p.is_file():
            secrets += [line.strip() for line in p.read_text().splitlines()
                        if len(line.strip()) >= 8 and line.strip() not in public]
    if (ex.root / KEY_NAME).is_file():
        key = yaml.safe_load((ex.root / KEY_NAME).read_text())
        secrets += [f"{q}: {letter}" for q, letter in key.items()]
    return secrets


@pytest.mark.parametrize("folder", [STARTERS, None], ids=["committed", "fresh"])
def test_no_handout_file_holds_a_secret(folder: Path | None, tmp_path: Path) -> None:
    if folder is None:
        folder = tmp_path
        write_handouts([], EXERCISES, folder)
    exercises = list_exercises(EXERCISES)
    public = "\n".join(_public(ex) for ex in exercises)
    files = {path: text for path, text in ((p, p.read_text()) for p in sorted(folder.rglob("*")) if p.is_file())}
    assert files
    for ex in exercises:
        secrets = _secrets(ex, public)
        assert len(secrets) >= 3, ex.slug
        for path, text in files.items():
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{path.relative_to(folder)} holds hidden material of {ex.slug}: {leaked}"


def test_what_a_handout_holds() -> None:
    theme = handout_files(load_exercise(EXERCISES / "theme-cookie"))
    assert sorted(theme) == [".github/workflows/grade.yml", "README.md", "app.py", "checks/test_visible.py",
                             "exercise.yaml"]
    readme = theme["README.md"].decode()
    assert "| POST /prefs sets the theme cookie with Path=/, HttpOnly, SameSite=Lax, Max-Age=2592000 | 2 |" in readme
    assert "grader check . app.py" in readme and "7 more checks (7 points) are hidden" in readme
    quiz = handout_files(load_exercise(EXERCISES / "quiz-request-response"))
    assert sorted(quiz) == ["README.md", "answers.yaml"]
    assert "- **C**: `request.args`" in quiz["README.md"].decode()
    assert yaml.safe_load(quiz["answers.yaml"]) == {"q1": None, "q2": None, "q3": None}


def test_handout_spec_loads_with_only_the_visible_checks(tmp_path: Path) -> None:
    ex = load_exercise(EXERCISES / "login-greeting")
    handed = load_exercise(write_handout(ex, tmp_path))
    assert [c.id for c in handed.checks] == [c.id for c in ex.visible_checks()]
    assert (handed.title, handed.statement, handed.entry) == (ex.title, ex.statement, ex.entry)


def test_handout_workflow_runs_the_visible_checks_on_push() -> None:
    files = handout_files(load_exercise(EXERCISES / "login-greeting"), requirement="git+https://example.edu/frg.git")
    workflow = yaml.safe_load(files[".github/workflows/grade.yml"])
    assert workflow["on"] == ["push", "workflow_dispatch", "repository_dispatch"]
    steps = {step["name"]: step for step in workflow["jobs"]["run-autograding-tests"]["steps"]}
    assert steps["Install Flask Route Grader"]["run"] == "python -m pip install git+https://example.edu/frg.git"
    assert steps["Visible checks"]["run"].startswith("grader check . app.py")
    assert "test_hidden" not in files[".github/workflows/grade.yml"].decode()


@pytest.mark.slow
def test_grader_check_runs_inside_a_handout(tmp_path: Path) -> None:
    # Named as GitHub Classroom names a student's repository, not after the slug.
    folder = write_handout(load_exercise(EXERCISES / "auth-failed"), tmp_path)
    folder = folder.rename(tmp_path / "auth-failed-octocat")
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(cli, ["check", ".", "app.py"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert "GET /error: expected status 401, got 200" in result.output and "Score: 0/3" in result.output


def test_handout_replaces_its_own_output_and_prunes_gone_exercises(tmp_path: Path) -> None:
    out = tmp_path / "starters"
    write_handouts([], EXERCISES, out)
    (out / "auth-failed" / "leftover.txt").write_text("old")
    gone = out / "old-exercise"
    gone.mkdir()
    (gone / "README.md").write_text((out / "auth-failed" / "README.md").read_text())
    write_handouts([], EXERCISES, out)
    assert not (out / "auth-failed" / "leftover.txt").exists() and not gone.exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(ex.slug for ex in list_exercises(EXERCISES))


def test_handout_refuses_to_overwrite_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "auth-failed").mkdir()
    (tmp_path / "auth-failed" / "mine.py").write_text("precious")
    result = CliRunner().invoke(cli, ["handout", "auth-failed", "--exercises", str(EXERCISES), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "was not made by `grader handout`; not overwriting it" in result.output
    assert (tmp_path / "auth-failed" / "mine.py").read_text() == "precious"
