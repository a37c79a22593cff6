"""The CLI: exit codes, one clear message per bad input (never a traceback), and what `check` prints."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXERCISES, ROOT

from grader.cli import main

PROBE = ROOT / "tests" / "fixtures" / "probe"
SUBMISSIONS = ROOT / "tests" / "submissions"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_list(capsys) -> None:
    code, out, _ = run(["list", "--exercises", str(EXERCISES)], capsys)
    assert code == 0
    assert "login-greeting" in out and "topics: request.get_json" in out


@pytest.mark.slow
def test_grade_writes_reports_and_exits_0_whatever_the_score(tmp_path: Path, capsys) -> None:
    code, out, _ = run(["grade", str(PROBE), str(PROBE / "starter"), "--out", str(tmp_path)], capsys)
    assert code == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["score"] == 0 and report["status"] == "graded"
    assert (tmp_path / "report.html").read_text().lower().startswith("<!doctype html>")
    assert "probe: 0/10 (graded)" in out


@pytest.mark.slow
def test_min_score_gives_exit_3(tmp_path: Path, capsys) -> None:
    code, _, err = run(["grade", str(PROBE), str(PROBE / "starter"), "--out", str(tmp_path), "--min-score", "5"],
                       capsys)
    assert code == 3
    assert "below --min-score 5" in err
    assert (tmp_path / "report.json").exists()
    code, _, _ = run(["grade", str(PROBE), str(PROBE / "solution"), "--out", str(tmp_path), "--min-score", "10"],
                     capsys)
    assert code == 0


@pytest.mark.slow
def test_a_submission_that_does_not_load_is_a_report_not_a_grader_error(tmp_path: Path, capsys) -> None:
    code, out, err = run(["grade", str(PROBE), str(SUBMISSIONS / "syntax_error.py"), "--out", str(tmp_path)], capsys)
    assert code == 0
    assert "(error): SyntaxError at app.py line 7" in out
    assert "Traceback" not in out + err


def test_missing_submission(tmp_path: Path, capsys) -> None:
    code, out, err = run(["grade", str(PROBE), str(tmp_path / "nope.py"), "--out", str(tmp_path)], capsys)
    assert code == 1
    assert f"ERROR submission {tmp_path / 'nope.py'} does not exist" in err
    assert "Traceback" not in err


def test_unknown_exercise_suggests_the_nearest(tmp_path: Path, capsys) -> None:
    code, _, err = run(["grade", "login-greting", str(tmp_path), "--out", str(tmp_path), "--exercises",
                        str(EXERCISES)], capsys)
    assert code == 1
    assert "ERROR exercise `login-greting` not found" in err
    assert "TIP did you mean `login-greeting`?" in err


def test_broken_spec_names_file_and_line(tmp_path: Path, capsys) -> None:
    ex = tmp_path / "probe"
    shutil.copytree(PROBE, ex)
    spec = ex / "exercise.yaml"
    spec.write_text(spec.read_text().replace("title: Probe", "title: [Probe"))
    code, _, err = run(["grade", str(ex), str(PROBE / "solution"), "--out", str(tmp_path / "o")], capsys)
    assert code == 1
    assert f"ERROR {spec}:4:" in err and "invalid YAML" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [["grade"], ["nonsense"], ["grade", str(PROBE), "x.py", "--out", "o", "--bogus"],
                                  ["grade", str(PROBE), "x.py", "--out", "o", "--format", "pdf"]])
def test_usage_errors_exit_2(args: list[str], capsys) -> None:
    code, _, _ = run(args, capsys)
    assert code == 2


def test_help_documents_exit_codes(capsys) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for line in ["0  a report was written", "1  grader error", "2  usage error", "3  score below --min-score"]:
        assert line in out


@pytest.mark.slow
def test_check_prints_visible_checks_only(capsys) -> None:
    code, out, _ = run(["check", str(PROBE), str(PROBE / "solution")], capsys)
    assert code == 0
    assert "✓ passed 2/2  POST /echo echoes JSON and the query string" in out
    assert "cookies persist" not in out
    assert "Score: 2/2" in out
    assert "8 more checks are hidden" in out


@pytest.mark.slow
def test_check_shows_what_failed(capsys, tmp_path: Path) -> None:
    sub = tmp_path / "app.py"
    sub.write_text((PROBE / "solution" / "app.py").read_text().replace('request.args.get("source")', '"mobile"'))
    code, out, _ = run(["check", str(PROBE), str(sub)], capsys)
    assert code == 0
    assert "✗ failed 0/2" in out
    assert "unexpected JSON: source: expected 'web', got 'mobile'" in out and "curl -i -X POST" in out
