"""GitHub Actions pieces without grading: workflow-command escaping, where annotations point, the step files,
and the student repository's workflow template."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from conftest import EXERCISES
from reportdata import error_report, sample_report, with_fault

from grader import ci
from grader.render._common import Location, find_location
from grader.results import Report, Status
from grader.spec import load_exercise


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("50% done", "50%25 done", "50%25 done"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("key: a, b", "key: a, b", "key%3A a%2C b"),
        ("%0A", "%250A", "%250A"),  # an already-escaped sequence stays literal text
    ],
)
def test_escaping(text: str, data: str, prop: str) -> None:
    assert ci.escape_data(text) == data
    assert ci.escape_property(text) == prop


def test_command_cannot_be_forged_by_a_message() -> None:
    line = ci.command("error", "boom\n::add-mask::secret", file="a,b.py", line=3, title="t: x")
    assert line == "::error file=a%2Cb.py,line=3,title=t%3A x::boom%0A::add-mask::secret"
    assert "\n" not in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SyntaxError at app.py line 7: expected ':'", Location("app.py", 7)),
        ('boom\n  File "app.py", line 3, in x\n  File "helpers/db.py", line 9, in y\nKeyError',
         Location("helpers/db.py", 9)),
        ('  File "/usr/lib/python3/flask/app.py", line 900, in wsgi\n  File "app.py", line 4, in v',
         Location("app.py", 4)),
        ('  File "app.py", line 4, in v\n  File "/usr/lib/python3/flask/app.py", line 900', Location("app.py", 4)),
        ("your app raised ZeroDivisionError (app.py line 18)", Location("app.py", 18)),
        ('File "../../etc/passwd", line 1', None),  # only the submission's own files
        ("expected status 201, got 200", None),
    ],
)
def test_find_location(text: str, expected: Location | None) -> None:
    assert find_location(text, ["app.py", "helpers/db.py"]) == expected


def test_annotations_for_a_graded_report(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("pass\n")
    lines = ci.annotation_commands(sample_report(), tmp_path)
    # Only the check whose message names a line; the failed and timed-out checks name none.
    assert lines == [f"::error file={tmp_path.as_posix()}/app.py,line=18,title=POST / is rejected with 405"
                     "::your app raised ZeroDivisionError: division by zero (app.py line 18)"]


def test_annotation_paths_are_relative_to_the_workspace(tmp_path: Path) -> None:
    sub = tmp_path / "repo" / "app.py"
    sub.parent.mkdir()
    sub.write_text("pass\n")
    lines = ci.annotation_commands(error_report(), sub, workspace=str(tmp_path / "repo"))
    assert lines == ["::error file=app.py,line=7,title=Your submission could not be graded"
                     "::SyntaxError at app.py line 7: expected ':'"]


def test_a_single_file_submission_is_annotated_under_its_own_name(tmp_path: Path) -> None:
    sub = tmp_path / "solution_v2.py"  # graded as app.py
    sub.write_text("pass\n")
    lines = ci.annotation_commands(error_report(), sub, workspace=str(tmp_path))
    assert lines[0].startswith("::error file=solution_v2.py,line=7,")


@pytest.mark.parametrize("status", [Status.GRADER_FAULT, Status.CHECK_FAULT])
def test_faults_get_no_annotation(tmp_path: Path, status: Status) -> None:
    # The message names a line of the student's file, yet a fault is not the student's to fix.
    report = with_fault(sample_report(), 3, status, "the grader failed: app.py line 18")
    report = replace(report, checks=[report.checks[3]])
    assert ci.annotation_commands(report, tmp_path) == []


def test_points_notice() -> None:
    assert ci.points_notice(sample_report()) == "::notice title=Points::4.5/10"


def test_points_notice_of_an_incomplete_report_gives_no_points() -> None:
    notice = ci.points_notice(with_fault(sample_report(), 0, Status.GRADER_FAULT, "boom"))
    assert "not graded" in notice and "4.5" not in notice and "2.5" not in notice


def test_commands_paused_brackets_the_text_with_one_token() -> None:
    lines: list[str] = []
    with ci.commands_paused(lines.append):
        lines.append("::error::forged by the student")
    assert lines[0].startswith("::stop-commands::")
    token = lines[0].removeprefix("::stop-commands::")
    assert len(token) == 32 and lines[-1] == f"::{token}::"


def _publish(report: Report, tmp_path: Path, *, set_result: bool) -> tuple[list[str], dict[str, str]]:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_WORKSPACE": str(tmp_path)}
    (tmp_path / "summary.md").write_text("earlier step\n")
    echoed: list[str] = []
    ci.publish(report, tmp_path / "app.py", env, echoed.append, set_result=set_result)
    return echoed, env


def test_publish_appends_summary_and_sets_result(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("pass\n")
    echoed, _ = _publish(error_report(), tmp_path, set_result=True)

    assert echoed == ["::error file=app.py,line=7,title=Your submission could not be graded"
                      "::SyntaxError at app.py line 7: expected ':'", "::notice title=Points::0/8"]
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("earlier step\n## JSON to-do API")  # appended, not replaced
    name, value = (tmp_path / "output").read_text().rstrip("\n").split("=", 1)
    assert name == "result"
    assert json.loads(base64.b64decode(value))["status"] == "error"


def test_publish_without_result_leaves_output_alone(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("pass\n")
    _publish(sample_report(), tmp_path, set_result=False)
    assert not (tmp_path / "output").exists()


def test_step_output_must_be_one_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one line"):
        ci.set_step_output(tmp_path / "out", "result", "a\nb")


# ----------------------------------------------------------------------------- the student repo's workflow


def workflow(**kwargs: str) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load(ci.github_workflow(load_exercise(EXERCISES / "login-greeting"),
                                                                **kwargs))
    return data


def steps(data: dict[str, object]) -> list[dict[str, object]]:
    jobs = data["jobs"]
    assert isinstance(jobs, dict)
    found: list[dict[str, object]] = jobs["run-autograding-tests"]["steps"]
    return found


def test_workflow_runs_visible_checks_on_push_and_feeds_the_reporter() -> None:
    data = workflow()
    assert data["on"] == ["push", "workflow_dispatch", "repository_dispatch"]
    by_name = {s["name"]: s for s in steps(data)}
    check = by_name["Visible checks"]
    assert check["run"] == "grader check login-greeting app.py --exercises exercises"
    reporter = by_name["Autograding Reporter"]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    # The reporter reads <RUNNER>_RESULTS for each runner id it is given.
    assert reporter["with"] == {"runners": check["id"]}
    assert reporter["env"] == {f"{str(check['id']).upper()}_RESULTS": f"${{{{ steps.{check['id']}.outputs.result }}}}"}
    assert by_name["Set up Python"]["with"] == {"python-version": "3.12"}
    assert by_name["Install Flask Route Grader"]["run"].startswith("python -m pip install flask-route-grader==")


def test_workflow_never_mentions_hidden_checks() -> None:
    text = ci.github_workflow(load_exercise(EXERCISES / "login-greeting"))
    assert "test_hidden" not in text and "greets-any-user-and-source" not in text
    assert "grader grade" not in text


def test_workflow_quotes_what_it_is_given() -> None:
    data = workflow(submission="src/my app.py", exercises_dir=".grader", python_version="3.10",
                    requirement="git+https://example.org/frg.git@v1#egg=flask-route-grader: x")
    by_name = {s["name"]: s for s in steps(data)}
    assert by_name["Visible checks"]["run"] == "grader check login-greeting 'src/my app.py' --exercises .grader"
    assert by_name["Set up Python"]["with"] == {"python-version": "3.10"}  # a string, not 3.1
    assert by_name["Install Flask Route Grader"]["run"] == (
        "python -m pip install 'git+https://example.org/frg.git@v1#egg=flask-route-grader: x'")


def test_readme_shows_the_workflow_the_function_writes() -> None:
    """The README's Classroom snippet is shortened by hand; its steps must still be the generated ones."""
    readme = (EXERCISES.parent / "README.md").read_text("utf-8")
    section = readme.split("### GitHub Classroom and GitHub Actions", 1)[1]
    snippet = yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])

    def essentials(data: dict[str, object]) -> list[tuple[object, ...]]:
        return [(s.get("uses"), s.get("run"), s.get("id"), s.get("env"), s.get("with")) for s in steps(data)]

    generated = workflow(requirement="flask-route-grader==0.1.0")  # the README's example pin, not a version bump
    assert essentials(snippet) == essentials(generated)
    assert snippet["on"] == generated["on"] and snippet["permissions"] == generated["permissions"]
