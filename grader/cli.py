"""The ``grader`` command line: a thin click layer over the library.

Exit codes (the same in every mode, on a terminal or in CI):
  0  a report was written (whatever the score)
  1  grader error: a bad spec, a missing path, an isolation requirement not met
  2  usage error: unknown option, command or --format
  3  the score is below --min-score
  4  not graded: a report is incomplete (a grader fault, or a bug in a check); its total is not a score
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__, ci
from .batch import read_roster, run_batch
from .bundle import build_bundle
from .errors import GraderError, IsolationError, NotGraded
from .grading import Grader
from .handout import write_handouts
from .progress import progress_for
from .render import DEFAULT_FORMATS, RENDERERS, STATUS_LABELS, number, write_reports
from .render._common import fault_summary
from .results import Report, ReportStatus
from .sandbox import PROTECTIONS
from .scaffold import new_exercise
from .spec import list_exercises, load_exercise
from .terminal import visible
from .validate import discover, format_validation, validate_exercise

EXIT_OK, EXIT_GRADER_ERROR, EXIT_USAGE, EXIT_BELOW_MIN, EXIT_NOT_GRADED = 0, 1, 2, 3, NotGraded.exit_code
EXIT_CODES_HELP = """\b
Exit codes (the same on a terminal and in CI):
  0  a report was written (whatever the score)
  1  grader error (bad spec, missing path, isolation requirement not met)
  2  usage error (unknown option, command or --format)
  3  score below --min-score
  4  not graded: a grader or check fault left a report incomplete

\b
In GitHub Actions (GITHUB_ACTIONS=true) `grade` and `check` also print a
points notice and an error annotation per failed check with a known line,
and append a Markdown summary to $GITHUB_STEP_SUMMARY; `check` and
`grade --format classroom` set the step output `result` for GitHub
Classroom's autograding reporter.
"""

F = TypeVar("F", bound=Callable[..., Any])


def exercises_option(f: F) -> F:
    return click.option("--exercises", "exercises_dir", type=click.Path(path_type=Path), default=Path("exercises"),
                        show_default=True, help="Folder of exercises that slugs are looked up in.")(f)


def min_score_option(f: F) -> F:
    return click.option("--min-score", type=float, default=None,
                        help="Exit 3 when the score is below this (for CI).")(f)


def isolation_options(f: F) -> F:
    f = click.option("--require-isolation", type=click.Choice(["none", "full"]), default="none", show_default=True,
                     help="`full` refuses to grade when any isolation layer is missing.")(f)
    return f


class GraderGroup(click.Group):
    """A click group whose ``main`` is the only place that turns exceptions into exit codes.

    Putting the mapping here (as click's own ``Command.main`` does) means ``CliRunner.invoke(cli, ...)`` in
    the tests sees exactly the exit codes a shell sees.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        kwargs.setdefault("prog_name", "grader")
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_GRADER_ERROR)
        except GraderError as exc:
            exc.show()
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
        # click's Exit (--help, --version, ctx.exit) comes back as a code under standalone_mode=False;
        # success returns normally, as main() always did, so callers of main() see no SystemExit(0).
        if isinstance(code, int) and code != EXIT_OK:
            sys.exit(code)
        return code


@click.group(cls=GraderGroup, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="grader")
def cli() -> None:
    """Flask Route Grader: grade Flask request/response exercises in a sandbox."""


@cli.command("list")
@exercises_option
def list_cmd(exercises_dir: Path) -> None:
    """List the exercises and the topics they cover."""
    for ex in list_exercises(exercises_dir):
        click.echo(f"{click.style(ex.slug, bold=True)}  {ex.title}  ({len(ex.checks)} checks, "
                   f"{number(ex.max_score)} points)")
        if ex.topics:
            click.echo(f"    topics: {', '.join(ex.topics)}")


def _parse_formats(value: str) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in value.split(",") if f.strip())
    unknown = [f for f in formats if f not in RENDERERS]
    if unknown or not formats:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or '(none)'}; choose from "
                                 f"{', '.join(RENDERERS)}", param_hint="'--format'")
    return formats


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("exercise")
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder to write the reports into.")
@click.option("--format", "formats", default=",".join(DEFAULT_FORMATS), show_default=True,
              help="Comma-separated report formats: "
              + ", ".join(f"{fmt} ({name})" for fmt, (name, _) in RENDERERS.items()) + ".")
@min_score_option
@exercises_option
@isolation_options
@click.option("--pytest-report", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write pytest-json-report's raw report of the checks' session here (to debug checks).")
def grade(exercise: str, submission: Path, out_dir: Path, formats: str, min_score: float | None,
          exercises_dir: Path, require_isolation: str, pytest_report: Path | None) -> None:
    """Grade SUBMISSION (a .py file or a folder) against EXERCISE (a folder, or a slug under ./exercises).

    Writes one file per --format into OUT (by default report.json and report.html).
    """
    fmts = _parse_formats(formats)
    ex = load_exercise(exercise, exercises_dir)
    with Grader(require_full_isolation=require_isolation == "full") as grader:
        report = grader.grade(ex, submission, pytest_report=pytest_report)
    paths = write_reports(report, out_dir, fmts)
    _warn_isolation(report)
    with _untrusted_output():
        score = f"{number(report.score)}/{number(report.max_score)}" if report.is_grade else "not graded"
        message = f": {visible(report.message)}" if report.message else ""
        click.echo(f"{ex.slug}: {score} ({report.status.value}){message}")
    for p in paths:
        click.echo(f"  wrote {p}")
    _publish_to_ci(report, submission, set_result="classroom" in fmts)
    _exit_not_graded(report)
    _exit_below(report, min_score)


def _untrusted_output() -> AbstractContextManager[None]:
    """Echo the submission's text with GitHub's workflow commands paused (no-op outside Actions)."""
    if ci.in_github_actions(os.environ):
        return ci.commands_paused(_echo_visible)
    return nullcontext()


def _echo_visible(text: str) -> None:
    """click.echo for lines that carry a submission's text: no control character reaches the terminal."""
    click.echo(visible(text))


def _publish_to_ci(report: Report, submission: Path, *, set_result: bool) -> None:
    if ci.in_github_actions(os.environ):
        ci.publish(report, submission, os.environ, _echo_visible, set_result=set_result)
    elif set_result and os.environ.get("GITHUB_OUTPUT"):
        ci.set_step_output(Path(os.environ["GITHUB_OUTPUT"]), "result", ci.classroom_output(report))


def _exit_not_graded(report: Report) -> None:
    if not report.is_grade:
        raise NotGraded("the report is incomplete: " + fault_summary(report),
                        tip="a grader fault may pass: grade again; a check fault is the exercise's bug: fix the "
                            "check (`grader validate` shows it) and grade again")


def _exit_below(report: Report, min_score: float | None) -> None:
    if min_score is not None and report.score < min_score:
        click.echo(f"score {report.score:g} is below --min-score {min_score:g}", err=True)
        sys.exit(EXIT_BELOW_MIN)


@cli.command(epilog=EXIT_CODES_HELP + "  130  interrupted (Ctrl-C); run the same command again to resume\n")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--exercise", "slugs", multiple=True, required=True,
              help="Exercise slug or folder; repeat for several (then SUBMISSIONS/<student>/<slug>/).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder for the reports, summary.json, grades.csv and index.html.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes, each with its own sandbox zygote.  [default: CPU count]")
@click.option("--roster", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="CSV with a `student` (or `github_username`) column; other columns are kept in grades.csv.")
@click.option("--force", is_flag=True, help="Grade everything again, even what is journaled and unchanged.")
@click.option("--pytest-reports", is_flag=True,
              help="Keep pytest-json-report's raw report of every session under OUT/pytest-reports/ (to debug "
                   "checks).")
@click.option("--broker", default=None, metavar="URL",
              help="Grade on the `grader worker` processes listening on this Celery broker (redis://HOST:6379/0) "
                   "instead of local worker processes.")
@click.option("--queue", "queue_name", default="grader", show_default=True, help="The broker queue (with --broker).")
@exercises_option
@isolation_options
def batch(submissions: Path, slugs: tuple[str, ...], out_dir: Path, workers: int | None, roster: Path | None,
          force: bool, pytest_reports: bool, broker: str | None, queue_name: str, exercises_dir: Path,
          require_isolation: str) -> None:
    """Grade a class: every submission in SUBMISSIONS against each --exercise, in parallel and resumably.

    \b
    Layouts:
      one exercise:   SUBMISSIONS/<student>.py  or  SUBMISSIONS/<student>/
                      (cloned GitHub Classroom repos <assignment>-<username>/ work as is)
      several:        SUBMISSIONS/<student>/<slug>/
    Writes OUT/<student>/<slug>/report.json|html, OUT/summary.json, OUT/grades.csv, OUT/index.html.
    """
    exercises = list({ex.slug: ex for ex in (load_exercise(s, exercises_dir) for s in slugs)}.values())
    class_roster = read_roster(roster) if roster is not None else None
    n = workers or os.cpu_count() or 1
    progress = progress_for()
    executor = None
    if broker is not None:
        if pytest_reports:
            raise click.UsageError("--pytest-reports keeps each session's raw report where it runs: not with "
                                   "--broker, whose sessions run on the workers' machines")
        from .distributed import CeleryExecutor  # imports Celery: only for a distributed batch

        executor = CeleryExecutor(broker, out_dir, queue=queue_name, say=progress.note,
                                  require_full_isolation=require_isolation == "full")
        executor.connect()  # an unreachable broker is one clear error before anything starts
    result = run_batch(submissions, exercises, out_dir, workers=n, roster=class_roster, force=force,
                       progress=progress, executor=executor, require_full_isolation=require_isolation == "full",
                       pytest_reports=pytest_reports)
    for name in result.layout.ignored:
        click.echo(visible(f"note: ignored {submissions / name} (not a submission in this layout)"), err=True)
    click.echo(f"{len(result.layout.students)} students, {result.graded} graded now, {result.skipped} unchanged")
    for path in result.outputs:
        click.echo(f"  wrote {path}")
    if result.not_graded:
        raise NotGraded(f"{len(result.not_graded)} submission(s) could not be graded (listed as not graded in the "
                        f"class report, summary.json and grades.csv): {result.not_graded_summary()}",
                        tip="run the same command again to retry grader faults; a check fault is the exercise's "
                            "bug: fix the check, then run again")


@cli.command()
@click.option("--broker", required=True, metavar="URL", help="The Celery broker to take tasks from "
              "(redis://HOST:6379/0; amqp:// works the same).")
@click.option("--concurrency", type=click.IntRange(min=1), default=None,
              help="Pool processes, each with its own grading session and zygote.  [default: CPU count]")
@click.option("--queues", default="grader", show_default=True, help="Comma-separated queues to take tasks from.")
@click.option("--max-task-seconds", type=click.FloatRange(min=10), default=600, show_default=True,
              help="The longest task this worker accepts (batches size their tasks to fit); the broker's "
                   "visibility timeout is set just above it.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where fetched exercises are kept.  [default: a temporary folder, removed on exit]")
@click.option("--name", default=None, help="The worker's node name.  [default: grader@HOSTNAME]")
@click.option("--loglevel", default="WARNING", show_default=True, help="Celery's log level.")
@isolation_options
def worker(broker: str, concurrency: int | None, queues: str, max_task_seconds: float, cache_dir: Path | None,
           name: str | None, loglevel: str, require_isolation: str) -> None:
    """Grade tasks from `grader batch --broker URL` on this machine, with the same sandbox and limits.

    A Celery worker (prefork pool): each pool process holds one grading session for its life. Runs until it
    is stopped (SIGTERM or Ctrl-C finishes the tasks in progress first).
    """
    from .distributed import run_worker

    run_worker(broker, concurrency=concurrency or os.cpu_count() or 1,
               queues=[q.strip() for q in queues.split(",") if q.strip()],
               require_full_isolation=require_isolation == "full", max_task_s=max_task_seconds,
               cache_dir=cache_dir, name=name, loglevel=loglevel)


@cli.command("queue")
@click.option("--broker", required=True, metavar="URL", help="The Celery broker (redis://HOST:6379/0).")
@click.option("--queue", "queue_name", default="grader", show_default=True)
def queue_cmd(broker: str, queue_name: str) -> None:
    """Show how many grading tasks wait on the broker, the age of the oldest, and what is being graded."""
    from .distributed import queue_stats

    stats = queue_stats(broker, queue_name)
    age = "" if stats.oldest_age_s is None else f", the oldest queued {stats.oldest_age_s:.0f} s ago"
    click.echo(f"queue {stats.queue}: {stats.waiting} tasks waiting{age}")
    if stats.being_graded is not None:
        click.echo(f"being graded (delivered, not yet acknowledged): {stats.being_graded}")


def print_summary(report: Report) -> None:
    click.echo(click.style(report.exercise["title"], bold=True) + f" ({report.exercise['slug']})")
    if report.status is ReportStatus.ERROR:
        click.echo(click.style(f"Your submission could not be graded: {visible(report.message)}", fg="red"))
        if report.output.strip():
            click.echo(_indent(visible(report.output.strip()[-3000:])))
    else:
        for c in report.checks:
            label = STATUS_LABELS[c.status]
            points = "not graded" if c.status.is_fault else f"{number(c.score)}/{number(c.points)}"
            click.echo(f"{click.style(label.symbol + ' ' + c.status.value, fg=label.colour):<8} {points}  {c.title}")
            if c.message:
                click.echo(_indent(visible(c.message)))
    if report.is_grade:
        click.echo(click.style(f"Score: {number(report.score)}/{number(report.max_score)}", bold=True))
    else:
        summary = "Not graded, not your fault: " + visible(fault_summary(report))
        click.echo(click.style(summary, fg="magenta", bold=True))


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.splitlines())


def _warn_isolation(report: Report) -> None:
    for w in report.isolation.warnings:
        click.echo(click.style(f"WARNING isolation: {w}", fg="yellow"), err=True)


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("exercise")
@click.argument("submission", type=click.Path(path_type=Path), default=Path("app.py"))
@min_score_option
@exercises_option
@isolation_options
def check(exercise: str, submission: Path, min_score: float | None, exercises_dir: Path,
          require_isolation: str) -> None:
    """Run the visible checks on your SUBMISSION (default: app.py) and print a summary. Writes no files
    (in GitHub Actions: the step summary and the step output `result`)."""
    ex = load_exercise(exercise, exercises_dir)
    with Grader(require_full_isolation=require_isolation == "full") as grader:
        report = grader.grade(ex, submission, visible_only=True)
    with _untrusted_output():
        print_summary(report)
    hidden = len(ex.checks) - len(ex.visible_checks())
    if hidden:
        click.echo(f"({hidden} more checks are hidden and run when your work is graded.)")
    _publish_to_ci(report, submission, set_result=True)
    _exit_not_graded(report)
    _exit_below(report, min_score)


@cli.command("gradescope-bundle", epilog=EXIT_CODES_HELP)
@click.argument("exercise")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=Path("autograder.zip"),
              show_default=True, help="The zip to write.")
@click.option("--wheel", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="A wheel of the grader to ship (default: build one from this grader's source tree).")
@exercises_option
def gradescope_bundle(exercise: str, out: Path, wheel: Path | None, exercises_dir: Path) -> None:
    """Build the Gradescope autograder zip for EXERCISE (setup.sh, run_autograder, the grader, the checks).

    Upload it as a programming assignment's autograder. It holds the hidden checks: never give it to students.
    """
    ex = load_exercise(exercise, exercises_dir)
    path = build_bundle(ex, out, wheel=wheel)
    click.echo(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment")


@cli.command(epilog=EXIT_CODES_HELP)
@isolation_options
def doctor(require_isolation: str) -> None:
    """Print the isolation this machine allows, layer by layer, and what each missing one leaves open."""
    import platform

    with Grader() as grader:
        zygote = grader.zygote
        probe, layers = zygote.probe, zygote.layers
        iso = zygote.isolation([])
    who = "root" if probe.get("root") else f"uid {os.getuid()}"
    click.echo(f"{platform.system()} {platform.release()}, Python {zygote.versions['python']}, "
               f"Flask {zygote.versions['flask']}, running as {who}")
    click.echo(click.style("Layers", bold=True))
    ns_note = "user, mount, pid, net, ipc, uts" if not probe.get("root") else "mount, pid, net, ipc, uts"
    rows = [
        ("namespaces", layers["namespaces"], ns_note if probe.get("namespaces") else probe.get("reason", "")),
        ("landlock", bool(probe.get("landlock")),
         f"ABI {probe.get('landlock')}" + ("" if not layers["namespaces"] else ", not needed: namespaces in use")
         if probe.get("landlock") else "not in this kernel"),
        ("seccomp", layers["seccomp"], "syscall filter" if probe.get("seccomp") else "not available"),
    ]
    for name, ok, note in rows:
        click.echo(f"  {click.style('yes' if ok else 'no ', fg='green' if ok else 'yellow')}  {name:<11} {note}")
    click.echo(click.style(f"Protections in force (mode: {iso.mode})", bold=True))
    for name, ok in iso.layers.items():
        mark = click.style("✓", fg="green") if ok else click.style("✗", fg="red")
        gap = "" if ok else f": {PROTECTIONS[name]}"
        click.echo(f"  {mark} {name.replace('_', ' ')}{gap}")
    if not layers["namespaces"] and sys.platform.startswith("linux"):
        click.echo("TIP unprivileged user namespaces restore full isolation; on Ubuntu >= 23.10 and GitHub's "
                   "ubuntu-24.04 runners: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0")
    if require_isolation == "full" and iso.warnings:
        raise IsolationError("full isolation was required, but: " + "; ".join(iso.warnings))


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("reports"),
              show_default=True)
@exercises_option
def demo(out_dir: Path, exercises_dir: Path) -> None:
    """Grade every bundled example submission (exercises/*/examples/) into OUT/<slug>/<example>/."""
    exercises = list_exercises(exercises_dir)
    with Grader() as grader:
        for ex in exercises:
            patterns = ("*.py",) if ex.kind == "flask" else ("*.yaml", "*.yml", "*.json")
            examples = sorted(p for pattern in patterns for p in (ex.root / "examples").glob(pattern))
            if not examples:
                continue
            reports = grader.grade_many(ex, {p.stem: p for p in examples})
            for name, report in reports.items():
                write_reports(report, out_dir / ex.slug / name)
                mark = "" if report.status.value == "graded" else f" ({report.message})"
                score = f"{number(report.score)}/{number(report.max_score)}" if report.is_grade else "not graded"
                click.echo(f"{ex.slug}/{name}: {score}{mark}")
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
@click.option("--requirement", default=None, metavar="PIP-REQUIREMENT",
              help="What the handout's GitHub workflow installs the grader from (a git or wheel URL where your "
                   "course publishes it); default: flask-route-grader==<this version>.")
def handout(exercises: tuple[str, ...], out_dir: Path, exercises_dir: Path, requirement: str | None) -> None:
    """Write OUT/<slug>/ for students: the starter, a README, only the visible checks, and a GitHub workflow
    that runs them on every push.

    With no EXERCISES, writes every exercise's handout and removes handouts of exercises that are gone.
    """
    for path in write_handouts(list(exercises), exercises_dir, out_dir, requirement):
        click.echo(f"wrote {path}/")


def _secret(path: Path) -> str:
    """The session-signing key: $FLASK_ROUTE_GRADER_SECRET, else kept in ``path`` (made once, mode 0600)."""
    if os.environ.get("FLASK_ROUTE_GRADER_SECRET"):
        return os.environ["FLASK_ROUTE_GRADER_SECRET"]
    if path.is_file():
        return path.read_text("utf-8").strip()
    import secrets

    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


@cli.command()
@click.option("--db", "db_url", default="sqlite:///grader-portal.db", show_default=True,
              help="SQLAlchemy database URL (postgresql+psycopg://user@host/db for PostgreSQL).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Local grading processes (one zygote each) [default: the number of CPUs]; 0 grades nothing here.")
@click.option("--demo", is_flag=True, help="Publish the bundled exercises and create example accounts.")
@click.option("--insecure-cookies", is_flag=True,
              help="Send the session cookie over plain http too (development on 127.0.0.1 only).")
@click.option("--trusted-proxies", type=click.IntRange(min=0), default=0, show_default=True,
              help="Reverse proxies in front of the portal whose X-Forwarded-For/-Proto/-Host to believe.")
@click.option("--secret-file", type=click.Path(path_type=Path, dir_okay=False), default=Path(".grader-portal-secret"),
              show_default=True, help="Where the session key is kept (made on first start); "
              "$FLASK_ROUTE_GRADER_SECRET overrides it.")
@click.option("--threads", type=click.IntRange(min=1), default=8, show_default=True, help="Web server threads.")
@click.option("--login-limit", default="10 per minute", show_default=True,
              help="Log-in and sign-up attempts allowed per client address (a lab behind one NAT address needs "
                   "more), in Flask-Limiter's notation.")
@click.option("--broker", default=None, metavar="URL",
              help="Grade on the `grader worker` processes listening on this Celery broker (redis://HOST:6379/0) "
                   "instead of a local pool.")
@click.option("--queue", "queue_name", default="grader", show_default=True, help="The broker queue (with --broker).")
@exercises_option
def serve(db_url: str, host: str, port: int, workers: int | None, demo: bool, insecure_cookies: bool,
          trusted_proxies: int, secret_file: Path, threads: int, login_limit: str, broker: str | None,
          queue_name: str, exercises_dir: Path) -> None:
    """Run the submission portal: students hand in through the browser, graded by a local pool (or by the
    Celery workers on --broker).

    The database is upgraded (Alembic migrations) before the server starts; jobs left queued or running by
    a previous server (even one killed with kill -9) are graded first.
    """
    import signal

    import waitress

    from .distributed.app import safe_url
    from .portal import PortalConfig, create_app, start_grading, stop_grading
    from .portal.demo import DEMO_PASSWORD, seed_demo

    if not exercises_dir.is_dir():
        raise GraderError(f"{exercises_dir}: no such folder", tip="run from the course folder, or pass --exercises")
    if broker is not None and workers:
        raise GraderError("--workers and --broker do not go together: with --broker the `grader worker` "
                          "processes on the broker grade", tip="drop --workers, or drop --broker to grade here")
    config = PortalConfig(secret_key=_secret(secret_file), db_url=db_url, exercises_dir=exercises_dir,
                          workers=0 if broker else workers if workers is not None else os.cpu_count() or 1,
                          secure_cookies=not insecure_cookies, trusted_proxies=trusted_proxies,
                          login_limit=login_limit, broker_url=broker, broker_queue=queue_name,
                          # half the web threads may hold a status request open; the rest serve pages
                          long_polls=max(1, threads // 2))
    app = create_app(config)
    portal = app.extensions["grader_portal"]
    if demo:
        seed_demo(portal.db, exercises_dir)
        click.echo(f"demo course: log in as teacher, alice or bob with the password {DEMO_PASSWORD}")
    start_grading(app)

    def terminate(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    grading = (f"grading on the workers of {safe_url(broker)} (queue {queue_name})" if broker
               else f"with {config.workers} grading worker(s)")
    click.echo(f"serving on http://{host}:{port}/ {grading}", err=True)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="grader")
    except KeyboardInterrupt:
        pass
    finally:
        stop_grading(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point; :class:`GraderGroup` maps exceptions to exit codes."""
    cli.main(args=argv)
