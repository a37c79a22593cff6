"""The CLI in CI: every --format written, the documented exit codes (through CliRunner, so exactly what a
shell sees), and GitHub Actions mode (annotations, points notice, step summary and step output)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import EXERCISES

from grader.cli import cli
from grader.render import RENDERERS

LOGIN = EXERCISES / "login-greeting"
SOLUTION = LOGIN / "solution" / "app.py"
HARDCODED = LOGIN / "examples" / "hardcoded.py"  # 6/10: the visible checks pass, one hidden one fails
SYNTAX_ERROR = LOGIN / "examples" / "syntax-error.py"
NOT_IN_ACTIONS: dict[str, str | None] = {"GITHUB_ACTIONS": None, "GITHUB_OUTPUT": None, "GITHUB_STEP_SUMMARY": None}

CRASHES_ON_LINE_8 = '''\
from flask import Flask, request

app = Flask(__name__)


@app.post("/login")
def login():
    name = request.get_json()["user"]
    return f"Hello {name}"
'''

FORGES_COMMANDS = '''\
raise RuntimeError("no\\n::error file=app.py,line=1::forged\\n::set-output name=result::e30=")
'''


def invoke(*args: str | Path, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env={**NOT_IN_ACTIONS, **(env or {})})


def actions_env(tmp_path: Path) -> dict[str, str | None]:
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_WORKSPACE": str(tmp_path)}


def step_output(tmp_path: Path) -> dict[str, Any]:
    name, value = (tmp_path / "output").read_text().strip().split("=", 1)
    assert name == "result"
    data: dict[str, Any] = json.loads(base64.b64decode(value))
    return data


def write_app(tmp_path: Path, source: str) -> Path:
    app = tmp_path / "app.py"
    app.write_text(source)
    return app


# ----------------------------------------------------------------------------- exit codes


@pytest.mark.slow
def test_exit_0_writes_every_format(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("grade", "login-greeting", SOLUTION, "--exercises", EXERCISES, "--out", out,
                    "--format", ",".join(RENDERERS), "--min-score", "10")

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(name for name, _ in RENDERERS.values())
    assert json.loads((out / "results.json").read_text())["score"] == 10
    assert "::notice" not in result.output  # not in GitHub Actions: no workflow commands


@pytest.mark.slow
def test_exit_3_below_min_score_still_writes_the_report(tmp_path: Path) -> None:
    result = invoke("grade", "login-greeting", HARDCODED, "--exercises", EXERCISES, "--out", tmp_path,
                    "--format", "junit", "--min-score", "7")

    assert result.exit_code == 3
    assert "score 6 is below --min-score 7" in result.output
    assert (tmp_path / "junit.xml").is_file()


@pytest.mark.slow
def test_check_honours_min_score(tmp_path: Path) -> None:
    app = write_app(tmp_path, CRASHES_ON_LINE_8)
    assert invoke("check", "login-greeting", app, "--exercises", EXERCISES, "--min-score", "3").exit_code == 3
    assert invoke("check", "login-greeting", app, "--exercises", EXERCISES, "--min-score", "2").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grade", "login-greeting", "missing.py", "--out", "out"], "submission missing.py does not exist"),
        (["grade", "login-greting", str(SOLUTION), "--out", "out"], "did you mean `login-greeting`?"),
        (["check", "login-greeting", "missing.py"], "submission missing.py does not exist"),
        (["gradescope-bundle", "login-greeting", "--wheel", "missing.whl"], "wheel missing.whl does not exist"),
    ],
)
def test_exit_1_grader_error(args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*args, "--exercises", EXERCISES)
    assert result.exit_code == 1
    assert message in result.output


def test_exit_1_bad_spec(tmp_path: Path) -> None:
    bad = tmp_path / "broken"
    bad.mkdir()
    (bad / "exercise.yaml").write_text("slug: broken\ntitle: [unclosed\n")
    result = invoke("grade", bad, SOLUTION, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "invalid YAML" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf"], "unknown format pdf"),
        (["--format", ","], "unknown format (none)"),
        (["--format", "json,junit,yaml"], "unknown format yaml"),
        (["--min-score", "lots"], "'lots' is not a valid float"),
        (["--no-such-option"], "No such option"),
    ],
)
def test_exit_2_usage_error(args: list[str], message: str, tmp_path: Path) -> None:
    result = invoke("grade", "login-greeting", SOLUTION, "--out", tmp_path, "--exercises", EXERCISES, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert list(tmp_path.iterdir()) == []  # rejected before grading: nothing written


def test_exit_2_unknown_command() -> None:
    assert invoke("grdae").exit_code == 2


@pytest.mark.parametrize("command", [[], ["grade"], ["check"], ["gradescope-bundle"]])
def test_help_documents_exit_codes(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    for line in ("0  a report was written", "1  grader error", "2  usage error", "3  score below --min-score"):
        assert line in result.output


def test_grade_help_lists_formats_with_their_files() -> None:
    text = " ".join(invoke("grade", "--help").output.split())
    for fmt, (name, _) in RENDERERS.items():
        assert f"{fmt} ({name})" in text


# ----------------------------------------------------------------------------- GitHub Actions mode


@pytest.mark.slow
def test_actions_syntax_error_gives_file_and_line(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_bytes(SYNTAX_ERROR.read_bytes())
    result = invoke("grade", "login-greeting", app, "--exercises", EXERCISES, "--out", tmp_path / "out",
                    env=actions_env(tmp_path))

    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "::error file=app.py,line=9,title=Your submission could not be graded" \
           "::SyntaxError at app.py line 9: expected ':'" in lines
    assert "::notice title=Points::0/10" in lines
    summary = (tmp_path / "summary.md").read_text()
    assert "### ✗ Your submission could not be graded" in summary
    assert not (tmp_path / "output").exists()  # `grade` sets the result only with --format classroom


@pytest.mark.slow
def test_actions_grade_classroom_sets_result_and_min_score_exit(tmp_path: Path) -> None:
    result = invoke("grade", "login-greeting", HARDCODED, "--exercises", EXERCISES, "--out", tmp_path / "out",
                    "--format", "classroom,markdown", "--min-score", "7", env=actions_env(tmp_path))

    assert result.exit_code == 3
    assert "::notice title=Points::6/10" in result.output.splitlines()
    output = step_output(tmp_path)
    assert output == json.loads(base64.b64decode((tmp_path / "out" / "classroom.b64").read_text()))
    assert output["status"] == "fail" and output["max_score"] == 10
    assert (tmp_path / "summary.md").read_text() == (tmp_path / "out" / "report.md").read_text() + "\n"


@pytest.mark.slow
def test_actions_check_annotates_the_students_traceback(tmp_path: Path) -> None:
    app = write_app(tmp_path, CRASHES_ON_LINE_8)
    result = invoke("check", "login-greeting", app, "--exercises", EXERCISES, env=actions_env(tmp_path))

    assert result.exit_code == 0
    errors = [line for line in result.output.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1
    assert errors[0].startswith("::error file=app.py,line=8,title=POST /login?source=web with {\"username\"%3A")
    assert "your route raised KeyError: 'user'%0A" in errors[0]
    assert "::notice title=Points::2/5" in result.output.splitlines()
    # Visible checks only: what Classroom's reporter gets and what the summary shows.
    output = step_output(tmp_path)
    assert output["max_score"] == 5
    assert [t["name"] for t in output["tests"]] == [
        'POST /login?source=web with {"username": "alice"} answers 200 "Hello alice from web"',
        "GET /login answers 405 Method Not Allowed",
    ]
    summary = (tmp_path / "summary.md").read_text()
    assert summary.count("\n| ✗ failed |") == 1 and "greets-any-user" not in summary


@pytest.mark.slow
def test_actions_students_text_cannot_issue_workflow_commands(tmp_path: Path) -> None:
    app = write_app(tmp_path, FORGES_COMMANDS)
    result = invoke("grade", "login-greeting", app, "--exercises", EXERCISES, "--out", tmp_path / "out",
                    env=actions_env(tmp_path))

    lines = result.output.splitlines()
    forged = lines.index("::error file=app.py,line=1::forged")
    stop = max(i for i, line in enumerate(lines[:forged]) if line.startswith("::stop-commands::"))
    token = lines[stop].removeprefix("::stop-commands::")
    assert lines.index(f"::{token}::") > forged  # the forged lines sit between stop and resume
    # Our own annotation of the same message is escaped onto one line.
    assert [line for line in lines if line.startswith("::error file=app.py,line=1,")] == [
        "::error file=app.py,line=1,title=Your submission could not be graded::RuntimeError at app.py line 1: "
        "no%0A::error file=app.py,line=1::forged%0A::set-output name=result::e30="]
