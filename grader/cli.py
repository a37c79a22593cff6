"""The ``grader`` command line: a thin click layer over the library.

Exit codes (the same in every mode):
  0  a report was written (whatever the score)
  1  grader error: a bad spec, a missing path, an isolation requirement not met
  2  usage error: unknown option or command
  3  the score is below --min-score
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import GraderError
from .grading import Grader
from .handout import write_handouts
from .render import DEFAULT_FORMATS, RENDERERS, write_reports
from .results import Report, Status
from .scaffold import new_exercise
from .spec import list_exercises, load_exercise
from .validate import discover, format_validation, validate_exercise

EXIT_OK, EXIT_GRADER_ERROR, EXIT_USAGE, EXIT_BELOW_MIN = 0, 1, 2, 3
EXIT_CODES_HELP = """\b
Exit codes:
  0  a report was written (whatever the score)
  1  grader error (bad spec, missing path, isolation requirement not met)
  2  usage error
  3  score below --min-score
"""

F = TypeVar("F", bound=Callable[..., Any])


def exercises_option(f: F) -> F:
    return click.option("--exercises", "exercises_dir", type=click.Path(path_type=Path), default=Path("exercises"),
                        show_default=True, help="Folder of exercises that slugs are looked up in.")(f)


def isolation_options(f: F) -> F:
    f = click.option("--require-isolation", type=click.Choice(["none", "full"]), default="none", show_default=True,
                     help="`full` refuses to grade when any isolation layer is missing.")(f)
    return f


@click.group(epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="grader")
def cli() -> None:
    """Flask Route Grader: grade Flask request/response exercises in a sandbox."""


@cli.command("list")
@exercises_option
def list_cmd(exercises_dir: Path) -> None:
    """List the exercises and the topics they cover."""
    for ex in list_exercises(exercises_dir):
        click.echo(f"{click.style(ex.slug, bold=True)}  {ex.title}  ({len(ex.checks)} checks, "
                   f"{ex.max_score:g} points)")
        if ex.topics:
            click.echo(f"    topics: {', '.join(ex.topics)}")


def _parse_formats(value: str) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in value.split(",") if f.strip())
    unknown = [f for f in formats if f not in RENDERERS]
    if unknown or not formats:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or '(none)'}; choose from "
                                 f"{', '.join(RENDERERS)}")
    return formats


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("exercise")
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder to write the reports into.")
@click.option("--format", "formats", default=",".join(DEFAULT_FORMATS), show_default=True,
              help=f"Comma-separated report formats: {', '.join(RENDERERS)}.")
@click.option("--min-score", type=float, default=None, help="Exit 3 when the score is below this (for CI).")
@exercises_option
@isolation_options
def grade(exercise: str, submission: Path, out_dir: Path, formats: str, min_score: float | None,
          exercises_dir: Path, require_isolation: str) -> None:
    """Grade SUBMISSION (a .py file or a folder) against EXERCISE (a folder, or a slug under ./exercises).

    Writes OUT/report.json and OUT/report.html.
    """
    fmts = _parse_formats(formats)
    ex = load_exercise(exercise, exercises_dir)
    with Grader(require_full_isolation=require_isolation == "full") as grader:
        report = grader.grade(ex, submission)
    paths = write_reports(report, out_dir, fmts)
    _warn_isolation(report)
    click.echo(f"{ex.slug}: {report.score:g}/{report.max_score:g} ({report.status.value})"
               + (f": {report.message}" if report.message else ""))
    for p in paths:
        click.echo(f"  wrote {p}")
    if min_score is not None and report.score < min_score:
        click.echo(f"score {report.score:g} is below --min-score {min_score:g}", err=True)
        sys.exit(EXIT_BELOW_MIN)


_SYMBOL = {Status.PASSED: ("✓", "green"), Status.FAILED: ("✗", "red"), Status.ERROR: ("!", "red"),
           Status.TIMEOUT: ("◷", "yellow")}


def print_summary(report: Report) -> None:
    click.echo(click.style(report.exercise["title"], bold=True) + f" ({report.exercise['slug']})")
    if report.message:
        click.echo(click.style(f"Your submission could not be graded: {report.message}", fg="red"))
        if report.output.strip():
            click.echo(_indent(report.output.strip()[-3000:]))
    else:
        for c in report.checks:
            sym, colour = _SYMBOL[c.status]
            click.echo(f"{click.style(sym + ' ' + c.status.value, fg=colour):<8} {c.score:g}/{c.points:g}  {c.title}")
            if c.message:
                click.echo(_indent(c.message))
    click.echo(click.style(f"Score: {report.score:g}/{report.max_score:g}", bold=True))


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.splitlines())


def _warn_isolation(report: Report) -> None:
    for w in report.isolation.warnings:
        click.echo(click.style(f"WARNING isolation: {w}", fg="yellow"), err=True)


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("exercise")
@click.argument("submission", type=click.Path(path_type=Path), default=Path("app.py"))
@exercises_option
def check(exercise: str, submission: Path, exercises_dir: Path) -> None:
    """Run the visible checks on your SUBMISSION (default: app.py) and print a summary. Writes no files."""
    ex = load_exercise(exercise, exercises_dir)
    with Grader() as grader:
        report = grader.grade(ex, submission, visible_only=True)
    print_summary(report)
    hidden = len(ex.checks) - len(ex.visible_checks())
    if hidden:
        click.echo(f"({hidden} more checks are hidden and run when your work is graded.)")


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("reports"),
              show_default=True)
@exercises_option
def demo(out_dir: Path, exercises_dir: Path) -> None:
    """Grade every bundled example submission (exercises/*/examples/*.py) into OUT/<slug>/<example>/."""
    exercises = list_exercises(exercises_dir)
    with Grader() as grader:
        for ex in exercises:
            examples = sorted((ex.root / "examples").glob("*.py"))
            if not examples:
                continue
            reports = grader.grade_many(ex, {p.stem: p for p in examples})
            for name, report in reports.items():
                write_reports(report, out_dir / ex.slug / name)
                mark = "" if report.status.value == "graded" else f" ({report.message})"
                click.echo(f"{ex.slug}/{name}: {report.score:g}/{report.max_score:g}{mark}")
    click.echo(f"reports written under {out_dir}/")


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("exercises", nargs=-1)
@click.option("--runs", type=click.IntRange(2, 50), default=2, show_default=True,
              help="Times the reference and the starter are graded to show the checks are deterministic.")
@exercises_option
def validate(exercises: tuple[str, ...], runs: int, exercises_dir: Path) -> None:
    """Check EXERCISES (default: every exercise under --exercises) are fit to grade with.

    The spec is valid, the reference scores full marks, the starter loads and does not, the checks are
    deterministic, and every hidden check fails on the starter or on some mutant of the reference.
    Exit 1 when any exercise has a problem.
    """
    refs = list(exercises) or discover(exercises_dir)
    started = time.perf_counter()
    problems: list[str] = []
    with Grader() as grader:
        for ref in refs:
            result = validate_exercise(ref, grader, exercises_dir, runs=runs)
            click.echo(format_validation(result))
            problems += result.problems()
    click.echo(f"validated {len(refs)} exercise(s) in {time.perf_counter() - started:.1f} s")
    if problems:
        raise GraderError(f"validate found {len(problems)} problem(s):\n  " + "\n  ".join(problems),
                          tip="fix the exercise (or its checks) and run `grader validate` again")


@cli.command()
@click.argument("slug")
@exercises_option
def new(slug: str, exercises_dir: Path) -> None:
    """Create the exercise SLUG under --exercises from a working template that passes `grader validate`."""
    root = new_exercise(slug, exercises_dir)
    click.echo(f"created {root}/: edit exercise.yaml, solution/, starter/, checks/ and examples/, then run "
               f"`grader validate {root}`")


@cli.command()
@click.argument("exercises", nargs=-1)
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("starters"),
              show_default=True, help="Folder the handouts are written into, one folder per exercise.")
@exercises_option
def handout(exercises: tuple[str, ...], out_dir: Path, exercises_dir: Path) -> None:
    """Write OUT/<slug>/ for students: the starter, a README, and only the visible checks.

    With no EXERCISES, writes every exercise's handout and removes handouts of exercises that are gone.
    """
    for path in write_handouts(list(exercises), exercises_dir, out_dir):
        click.echo(f"wrote {path}/")


def main(argv: list[str] | None = None) -> None:
    """Entry point: the only place that turns exceptions into exit codes."""
    try:
        cli.main(args=argv, prog_name="grader", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_GRADER_ERROR)
    except GraderError as exc:
        click.echo(click.style("ERROR ", fg="red", bold=True) + exc.message, err=True)
        if exc.tip:
            click.echo(click.style("TIP ", fg="cyan", bold=True) + exc.tip, err=True)
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception:
        click.echo("ERROR this is a bug in the grader; please report it with the traceback below:", err=True)
        traceback.print_exc()
        sys.exit(EXIT_GRADER_ERROR)
