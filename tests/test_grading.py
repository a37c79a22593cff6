"""Grading outcomes end to end: load failures, and a check that passes, fails, errors and times out."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT

from grader.grading import Grader
from grader.render.html import render_html
from grader.results import Report, ReportStatus, Status, report_schema, to_json
from grader.spec import load_exercise

PROBE = ROOT / "tests" / "fixtures" / "probe"
SUBMISSIONS = ROOT / "tests" / "submissions"
SOLUTION = (PROBE / "solution" / "app.py").read_text()

pytestmark = pytest.mark.slow


def assert_valid(report: Report) -> None:
    jsonschema.validate(json.loads(to_json(report)), report_schema())


def by_id(report: Report) -> dict[str, tuple[Status, str]]:
    return {c.id: (c.status, c.message) for c in report.checks}


@pytest.fixture(scope="module")
def probe():
    return load_exercise(PROBE)


LOAD_FAILURES = [
    ("syntax_error.py", Status.ERROR, r"^SyntaxError at app\.py line 7: expected ':'$"),
    ("import_error.py", Status.ERROR, r"^ModuleNotFoundError at app\.py line 2: No module named "
                                      r"'requests_that_do_not_exist'$"),
    ("no_app.py", Status.ERROR, r"^no Flask app found in app\.py: define `app = Flask\(__name__\)`"),
    ("factory_raises.py", Status.ERROR, r"^create_app\(\) raised ValueError at app\.py line 6: database URL missing$"),
    ("factory_needs_args.py", Status.ERROR, r"create_app\(\) needs arguments"),
    ("two_apps.py", Status.ERROR, r"several Flask apps \(admin, public\)"),
    ("exit_at_import.py", Status.ERROR, r"called sys\.exit\(3\) while loading"),
    ("loop_at_import.py", Status.TIMEOUT, r"^loading the app took longer than 3 s"),
    ("memory_at_import.py", Status.ERROR, r"ran out of memory while loading \(the limit is 128 MB\)"),
]


def test_load_failures_give_error_reports(probe, grader_session: Grader) -> None:
    started = time.monotonic()
    reports = grader_session.grade_many(probe, {name: SUBMISSIONS / name for name, _, _ in LOAD_FAILURES})
    # The import loop is the slowest case: it must end at the load limit, not hang the batch.
    assert time.monotonic() - started < probe.limits.load_timeout_s + 10
    for name, check_status, pattern in LOAD_FAILURES:
        report = reports[name]
        assert report.status is ReportStatus.ERROR, name
        assert report.score == 0, name
        assert re.search(pattern, report.message), (name, report.message)
        assert {c.status for c in report.checks} == {check_status}, name
        assert_valid(report)


def test_syntax_error_report_shows_the_line(probe, grader_session: Grader) -> None:
    report = grader_session.grade(probe, SUBMISSIONS / "syntax_error.py")
    assert 'File "app.py", line 7' in report.output
    assert "def echo()" in report.output


def test_folder_without_entry_module(probe, grader_session: Grader, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("print('hi')\n")
    report = grader_session.grade(probe, tmp_path)
    assert report.status is ReportStatus.ERROR
    assert report.message == "the submission has no app.py (it has: main.py)"


def variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    assert old in SOLUTION, old
    path = tmp_path / f"{name}.py"
    path.write_text(SOLUTION.replace(old, new, 1))
    return path


BROKEN = {
    # name: (text replaced in the solution, replacement, check id, status, message pattern)
    "fails": ('return "", code', 'return "", 200', "status-table", Status.FAILED,
              r"GET /status/201: expected status 201, got 200"),
    "raises": ('return jsonify(ua=request.headers.get("User-Agent"))', 'return jsonify(ua=request.headers["X-Nope"])',
               "user-agent", Status.FAILED,
               r"(?s)GET /ua: your route raised KeyError: .*File \"app\.py\", line \d+, in ua"),
    "returns-none": ('return "new place"', 'pass', "redirect", Status.FAILED,
                     r"your route raised TypeError: The view function for 'new' did not return a valid response"),
    "loops": ('return b"\\x00\\xff" * 1000, 200', 'while True:\n        pass\n    return b"", 200',
              "binary", Status.TIMEOUT,
              r"GET /binary: no answer within 1\.5 s \(the time limit per request\)"),
    "os-exit": ('COUNT["n"] += 1', 'import os; os._exit(4)', "fresh-state", Status.ERROR,
                r"POST /count: the app's process ended before answering: it exited with code 4"),
    "sys-exit": ('return {"json"', 'import sys; sys.exit(2)\n    return {"json"', "json-echo", Status.ERROR,
                 r"POST /echo\?source=web: the route called sys\.exit\(2\)"),
    "memory": ('data = f.read()', 'data = bytearray(1 << 30)', "upload", Status.ERROR,
               r"POST /upload: the app ran out of memory \(the limit is 128 MB\)"),
}


def test_each_outcome_is_charged_to_exactly_one_check(probe, grader_session: Grader, tmp_path: Path) -> None:
    subs = {name: variant(tmp_path, name, old, new) for name, (old, new, *_rest) in BROKEN.items()}
    subs["ok"] = PROBE / "solution"
    reports = grader_session.grade_many(probe, subs)
    assert reports["ok"].score == probe.max_score
    for name, (_old, _new, check_id, status, pattern) in BROKEN.items():
        report = reports[name]
        assert_valid(report)
        results = by_id(report)
        assert results[check_id][0] is status, (name, results[check_id])
        assert re.search(pattern, results[check_id][1]), (name, results[check_id][1])
        # Whatever one check did (loop, crash, exit, hog memory), every other check passed on a fresh app.
        others = {cid: r for cid, r in results.items() if cid != check_id and r[0] is not Status.PASSED}
        assert not others, (name, others)
        assert report.score == probe.max_score - next(c.points for c in probe.checks if c.id == check_id)


def test_timeout_ends_within_the_limit(probe, grader_session: Grader, tmp_path: Path) -> None:
    sub = variant(tmp_path, "sleeps", 'return {"field"', 'import time; time.sleep(3600)\n    return {"field"')
    started = time.monotonic()
    report = grader_session.grade(probe, sub)
    elapsed = time.monotonic() - started
    form = next(c for c in report.checks if c.id == "form")
    assert form.status is Status.TIMEOUT
    # Three parametrized cases, each cut at the per-request limit, plus the other checks.
    assert elapsed < 3 * probe.limits.request_timeout_s + 5


def test_output_is_captured_capped_and_escaped(probe, grader_session: Grader) -> None:
    report = grader_session.grade(probe, SUBMISSIONS / "noisy_import.py")
    assert report.status is ReportStatus.GRADED
    assert report.output.startswith("<script>alert('x')</script>\nflood line 0\n")
    assert report.output_truncated
    assert "more bytes of output not kept: the limit is 64 KB" in report.output
    assert len(report.output.encode()) < 64 * 1024 + 200
    html = render_html(report)
    assert "<script>alert('x')</script>" not in html
    assert "&lt;script&gt;alert(" in html
    assert_valid(report)


def test_check_output_is_kept_per_check(probe, grader_session: Grader, tmp_path: Path) -> None:
    sub = variant(tmp_path, "prints", "COUNT[\"n\"] += 1", "print('counting', flush=True)\n    COUNT[\"n\"] += 1")
    report = grader_session.grade(probe, sub)
    outputs = {c.id: c.output for c in report.checks}
    assert outputs["fresh-state"] == "counting\ncounting\n"
    assert outputs["json-echo"] == ""


def test_visible_only_runs_visible_checks(probe, grader_session: Grader) -> None:
    report = grader_session.grade(probe, PROBE / "solution", visible_only=True)
    assert [c.id for c in report.checks] == ["json-echo"]
    assert report.score == report.max_score == 2


def test_each_report_arrives_as_its_submission_finishes(probe, grader_session: Grader, tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    started = {"at": 0.0}

    def on_report(key: str, report: Report) -> None:
        seen.append((key, time.monotonic()))

    slow = variant(tmp_path, "slow", 'return {"field"', 'import time; time.sleep(0.7)\n    return {"field"')
    started["at"] = time.monotonic()
    reports = grader_session.grade_many(probe, {"first": PROBE / "solution", "slow": slow}, on_report=on_report)
    ended = time.monotonic()
    assert [k for k, _ in seen] == ["first", "slow"]
    # The first report existed while the second submission was still being graded (its checks take > 2 s).
    assert ended - seen[0][1] > 1.5
    assert reports["first"].score == probe.max_score


def test_a_failing_report_callback_surfaces_after_the_session(probe, grader_session: Grader) -> None:
    def on_report(key: str, report: Report) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        grader_session.grade_many(probe, {"a": PROBE / "solution"}, on_report=on_report)


def test_a_route_that_raises_is_logged_once_with_no_host_paths(probe, grader_session: Grader,
                                                               tmp_path: Path) -> None:
    """The check's message holds the student's own traceback lines; Flask's log of it is one line, not a second
    traceback full of the grading machine's paths."""
    path = variant(tmp_path, "raises", 'return "new place"', 'return {"a": 1}["b"]')
    check = next(c for c in grader_session.grade(probe, path).checks if c.id == "redirect")
    assert check.status is Status.FAILED
    assert "your route raised KeyError: 'b'" in check.message and 'File "app.py", line' in check.message
    logged = [line for line in check.output.splitlines() if "Exception on /new [GET]" in line]
    assert len(logged) == 1 and logged[0].endswith("KeyError: 'b'"), check.output
    assert "Traceback" not in check.output and "site-packages" not in check.output + check.message
