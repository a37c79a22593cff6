"""The Gradescope autograder zip, end to end: built by the CLI, unpacked into a fake /autograder tree, and
run_autograder run on real submissions with the grader of this venv (setup.sh is checked, not run: it
installs system packages)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXERCISES
from jsonschema import Draft202012Validator

from grader.cli import cli

LOGIN = EXERCISES / "login-greeting"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "gradescope-results.schema.json").read_text("utf-8"))
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    result = CliRunner().invoke(cli, ["gradescope-bundle", "login-greeting", "--exercises", str(EXERCISES),
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    yield out


def unpack(bundle: Path, root: Path, submission: Path) -> Path:
    """A fake /autograder: source/ is the unzipped bundle, submission/ what the student uploaded."""
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    (root / "submission").mkdir()
    shutil.copy(submission, root / "submission" / "app.py")
    return root


def run_autograder(root: Path) -> dict[str, Any]:
    # No venv under root, so run_autograder uses the `grader` on PATH: this test run's own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(AUTOGRADER_ROOT=str(root), PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, cwd=root,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    results: dict[str, Any] = json.loads((root / "results" / "results.json").read_text("utf-8"))
    Draft202012Validator(SCHEMA).validate(results)
    return results


def test_zip_holds_scripts_wheel_and_only_what_grading_needs(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    wheels = [n for n in names if n.startswith("wheels/")]
    assert len(wheels) == 1 and wheels[0].startswith("wheels/flask_route_grader-") and wheels[0].endswith(".whl")
    assert sorted(set(names) - set(wheels)) == [
        "exercises/login-greeting/checks/test_hidden.py",  # the hidden checks travel only in this zip
        "exercises/login-greeting/checks/test_visible.py",
        "exercises/login-greeting/exercise.yaml",
        "run_autograder",
        "setup.sh",
    ]
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert not modes["exercises/login-greeting/exercise.yaml"] & 0o111


def test_wheel_is_the_grader_with_its_package_data(bundle: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        wheel = next(n for n in zf.namelist() if n.endswith(".whl"))
        zf.extract(wheel, tmp_path)
    with zipfile.ZipFile(tmp_path / wheel) as whl:
        inside = set(whl.namelist())
        entry_points = next(whl.read(n).decode() for n in inside if n.endswith(".dist-info/entry_points.txt"))
    assert {"grader/cli.py", "grader/bundle.py", "grader/templates/report.html.j2",
            "grader/schemas/report.schema.json"} <= inside
    assert "grader = grader.cli:main" in entry_points
    assert not [n for n in inside if "__pycache__" in n]


def test_scripts_are_valid_bash_and_setup_needs_no_repo(bundle: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(tmp_path / script)], check=False).returncode == 0, script
    setup = (tmp_path / "setup.sh").read_text()
    assert setup.startswith("#!/usr/bin/env bash\n")
    assert 'python3 -m venv "$ROOT/venv"' in setup
    assert '"$ROOT/venv/bin/python" -m pip install --quiet "$SOURCE"/wheels/*.whl' in setup
    assert "git " not in setup and "github" not in setup.lower()  # everything comes from the zip or PyPI
    run = (tmp_path / "run_autograder").read_text()
    assert 'ROOT="${AUTOGRADER_ROOT:-/autograder}"' in run
    assert '--out "$RESULTS" --format gradescope' in run


def test_correct_submission_scores_full(bundle: Path, tmp_path: Path) -> None:
    results = run_autograder(unpack(bundle, tmp_path, LOGIN / "solution" / "app.py"))
    assert results["score"] == 10
    assert [t["status"] for t in results["tests"]] == ["passed"] * 4
    # Two of the four checks are hidden: Gradescope hides the total, and so does the output students see.
    assert results["output"].startswith("Visible checks: 5 / 5 points (2 passed).")


def test_wrong_submission_fails_the_hidden_checks(bundle: Path, tmp_path: Path) -> None:
    results = run_autograder(unpack(bundle, tmp_path, LOGIN / "examples" / "hardcoded.py"))
    assert results["score"] == 6  # hardcoded.py fails only greets-any-user-and-source (4 points)
    by_id = {t["extra_data"]["id"]: t for t in results["tests"]}
    hidden = [by_id["greets-any-user-and-source"], by_id["works-without-user-agent"]]
    assert [(t["status"], t["visibility"], t["score"]) for t in hidden] == [("failed", "hidden", 0.0),
                                                                           ("passed", "hidden", 1.0)]
    assert "expected the body 'Hello Bob from mobile', got 'Hello alice from web'" in hidden[0]["output"]
    assert by_id["greets-user"]["status"] == "passed"


def test_submission_that_does_not_load_scores_zero_with_the_reason(bundle: Path, tmp_path: Path) -> None:
    results = run_autograder(unpack(bundle, tmp_path, LOGIN / "examples" / "syntax-error.py"))
    assert results["score"] == 0
    assert results["output"].startswith("Your submission could not be graded: SyntaxError at app.py line 9")


def test_grader_error_is_reported_as_ours_not_the_students(bundle: Path, tmp_path: Path) -> None:
    root = unpack(bundle, tmp_path, LOGIN / "solution" / "app.py")
    spec = root / "source" / "exercises" / "login-greeting" / "exercise.yaml"
    spec.write_text(spec.read_text() + "\nnot: [valid\n")
    results = run_autograder(root)
    assert results["score"] == 0
    assert "This is not a problem with your submission" in results["output"]
    assert results["extra_data"] == {"grader_exit_code": 1}


def test_same_inputs_same_zip(bundle: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        wheel = next(n for n in zf.namelist() if n.endswith(".whl"))
        zf.extract(wheel, tmp_path)
    again = tmp_path / "again.zip"
    result = CliRunner().invoke(cli, ["gradescope-bundle", str(LOGIN), "-o", str(again),
                                      "--wheel", str(tmp_path / wheel)])
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == bundle.read_bytes()
