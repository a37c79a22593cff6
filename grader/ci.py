"""CI autograding: GitHub Actions workflow commands and step files, and the student repo's workflow.

Everything here that reaches a workflow log goes through GitHub's escaping for workflow commands, and
anything the submission wrote is printed with workflow commands paused, so a student's ``print("::...")``
cannot set outputs, masks or annotations in the grading job.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from . import __version__
from .render._common import Location, did_not_load, find_location, number, student_problems
from .render.classroom import render_classroom
from .render.markdown import render_markdown
from .results import Report
from .spec import Exercise

# GitHub caps an annotation's message; a long traceback is cut rather than dropped.
_ANNOTATION_LIMIT = 4000

Echo = Callable[[str], None]


def in_github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


# ----------------------------------------------------------------------------- workflow commands


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF would otherwise end or forge the command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: also ``:`` and ``,``, which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


@contextmanager
def commands_paused(echo: Echo) -> Iterator[None]:
    """Stop GitHub from reading workflow commands in what is echoed inside (the submission's text)."""
    token = secrets.token_hex(16)  # unguessable, so the submission cannot print the resume line itself
    echo(f"::stop-commands::{token}")
    try:
        yield
    finally:
        echo(f"::{token}::")


def annotation_path(location: Location, submission: Path, workspace: str | None) -> str:
    """The annotated file as a path in the repository (GitHub resolves it against the workspace).

    A ``.py`` submission is graded as the entry module whatever it is called, so the report's one file is
    that file; a folder's files are under it.
    """
    path = submission if submission.is_file() else submission / location.file
    if workspace and path.is_absolute():
        try:
            path = path.relative_to(workspace)
        except ValueError:
            pass
    return PurePosixPath(*Path(os.path.normpath(path)).parts).as_posix()


def annotation_commands(report: Report, submission: Path, workspace: str | None = None) -> list[str]:
    """One ``::error`` per problem whose message names a line of the submission's own files."""
    files = [str(f) for f in report.submission.get("files", [])]
    found: list[tuple[str, str, Location]] = []
    if did_not_load(report):
        where = find_location(report.message, files) or find_location(report.output, files)
        if where:
            found.append(("Your submission could not be graded", report.message, where))
    else:
        for check in student_problems(report):
            where = find_location(check.message, files)
            if where:
                found.append((check.title, check.message, where))
    return [command("error", message[:_ANNOTATION_LIMIT], file=annotation_path(where, submission, workspace),
                    line=where.line, title=title) for title, message, where in found]


def points_notice(report: Report) -> str:
    if not report.is_grade:  # an incomplete report's total is nobody's score
        return command("notice", f"not graded (grader or check fault, not your fault)/{number(report.max_score)}",
                       title="Points")
    return command("notice", f"{number(report.score)}/{number(report.max_score)}", title="Points")


# ----------------------------------------------------------------------------- step files


def append_step_summary(path: Path, report: Report) -> None:
    """Add the Markdown report to the job's summary page (other steps' summaries are kept)."""
    with path.open("a", encoding="utf-8") as f:
        f.write(render_markdown(report) + "\n")


def set_step_output(path: Path, name: str, value: str) -> None:
    """``name=value`` in ``$GITHUB_OUTPUT``; a single line, so no heredoc delimiter is needed."""
    if "\n" in value or "\r" in value:
        raise ValueError(f"step output {name} must be one line")
    with path.open("a", encoding="utf-8") as f:
        f.write(f"{name}={value}\n")


def classroom_output(report: Report) -> str:
    return render_classroom(report).strip()


def publish(report: Report, submission: Path, environ: Mapping[str, str], echo: Echo, *,
            set_result: bool) -> None:
    """Everything a GitHub Actions step shows for one report: annotations, the points, the summary page,
    and (``set_result``) the Classroom result as the step output ``result``."""
    for line in annotation_commands(report, submission, environ.get("GITHUB_WORKSPACE")):
        echo(line)
    echo(points_notice(report))
    if environ.get("GITHUB_STEP_SUMMARY"):
        append_step_summary(Path(environ["GITHUB_STEP_SUMMARY"]), report)
    if set_result and environ.get("GITHUB_OUTPUT"):
        set_step_output(Path(environ["GITHUB_OUTPUT"]), "result", classroom_output(report))


# ----------------------------------------------------------------------------- student repo workflow

RUNNER_ID = "grader"

_WORKFLOW = """\
# Runs the VISIBLE checks of @SLUG@ on every push and reports the points to GitHub Classroom.
# Hidden checks are not in this repository: your instructor runs them when grading.
# Written by Flask Route Grader @VERSION@; regenerate it rather than editing by hand.
name: Autograding Tests
"on":
  - push
  - workflow_dispatch
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    # Classroom's bot makes the first commit of every student repository; there is nothing to grade yet.
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: @PYTHON@
      - name: Install Flask Route Grader
        run: @INSTALL@
      - name: Allow user namespaces (full sandbox isolation on ubuntu-24.04 runners)
        run: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 || true
      - name: Visible checks
        id: @RUNNER@
        # Exit 0 whatever the score (a non-zero exit would skip the reporter); the reporter fails the job.
        run: @CHECK@
      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
          @ENV@: "${{ steps.@RUNNER@.outputs.result }}"
        with:
          runners: @RUNNER@
"""


def _shell_word(value: str) -> str:
    """One word for bash, which runs the ``run:`` lines (quoted only where it needs to be)."""
    return shlex.quote(value)


def _yaml_string(value: str) -> str:
    """A double-quoted YAML scalar: JSON's string escapes are a subset of YAML's, so this is exact."""
    return json.dumps(value, ensure_ascii=False)


def github_workflow(exercise: Exercise, *, submission: str = "app.py", exercises_dir: str = "exercises",
                    exercise_path: str | None = None, requirement: str | None = None,
                    python_version: str = "3.12") -> str:
    """``.github/workflows/grade.yml`` for a student repository of ``exercise``.

    It installs the grader (``requirement``: a pip requirement, by default this version by name; pass a
    git URL or a wheel URL where the course publishes it) and runs ``grader check`` on the visible checks,
    which the handout puts under ``exercises_dir/<slug>/``. ``grader check`` sets the step output
    ``result`` that Classroom's ``autograding-grading-reporter`` reads, beside any of Classroom's own graders.
    """
    requirement = requirement or f"flask-route-grader=={__version__}"
    values = {
        "@SLUG@": exercise.slug,
        "@VERSION@": __version__,
        "@PYTHON@": _yaml_string(python_version),  # quoted: a bare 3.10 would be read as the number 3.1
        "@INSTALL@": _yaml_string(f"python -m pip install {_shell_word(requirement)}"),
        "@CHECK@": _yaml_string(
            f"grader check {_shell_word(exercise_path)} {_shell_word(submission)}" if exercise_path else
            f"grader check {_shell_word(exercise.slug)} {_shell_word(submission)} "
            f"--exercises {_shell_word(exercises_dir)}"),
        # The reporter reads the env var <RUNNER>_RESULTS for each runner id, upper-cased.
        "@ENV@": f"{RUNNER_ID.upper()}_RESULTS",
        "@RUNNER@": RUNNER_ID,
    }
    text = _WORKFLOW
    for key, value in values.items():
        text = text.replace(key, value)
    return text
