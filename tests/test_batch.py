"""Batch grading: layouts, roster, journal, and end to end runs of `grader batch` (a class of mixed submissions
across two exercises with two workers, kill -9 mid-run and resume, byte-identical reruns, the class report in
headless Chromium)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from browser import VIEWPORTS, OpenPage, Viewport, errors, horizontal_overflow, smallest_text_px, unresolved_links
from conftest import EXERCISES
from goldens import golden_text

from grader.batch import (
    Chunk,
    Journal,
    LocalPool,
    RetryPolicy,
    chunked,
    discover,
    grade_chunk,
    normalize_student,
    read_roster,
    run_batch,
)
from grader.batch import run as batch_run
from grader.classreport import histogram
from grader.cli import main
from grader.errors import GraderError
from grader.grading import Grader
from grader.results import ReportStatus, Status, SummaryRow, report_schema, summary_schema
from grader.sandbox import SandboxError, Submission, Zygote
from grader.spec import load_exercise

GRADER = Path(sys.executable).parent / "grader"
# Short limits so the timing-out submissions cost about a second, not the spec's 5-15 s.
FAST_LIMITS = "limits: {load_timeout_s: 3, request_timeout_s: 0.5, check_timeout_s: 1}\n"
LOOPS_IN_ROUTE = "from flask import Flask\napp = Flask(__name__)\n@app.route('/login', methods=['POST', 'GET'])\n" \
                 "def login():\n    while True:\n        pass\n"
EXITS_AT_IMPORT = "import os\nos._exit(3)\n"
FLOODS = "import sys\nsys.stdout.write('x' * 300_000)\n"  # prepended to a correct solution


def fast_exercises(tmp: Path) -> Path:
    """Copies of two bundled exercises with short time limits."""
    root = tmp / "exercises"
    for slug in ("login-greeting", "auth-failed"):
        shutil.copytree(EXERCISES / slug, root / slug)
        spec = root / slug / "exercise.yaml"
        spec.write_text(spec.read_text() + FAST_LIMITS)
    return root


def put(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)


def batch(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GRADER), "batch", *map(str, args)], capture_output=True, text=True, timeout=timeout)


def blank_run(text: str) -> str:
    """Timestamps and durations live only in summary.json's `run` and index.html's footer."""
    text = re.sub(r'<footer id="run">.*?</footer>', "<footer/>", text, flags=re.S)
    return re.sub(r'"run": \{.*?\}', '"run": {}', text, flags=re.S)


# ----------------------------------------------------------------------------- fast tests


@pytest.mark.parametrize(("raw", "expected"), [
    ("Alice", "alice"), ("ALICE.Smith", "alice.smith"), ("Zoë Ünal", "zoë-ünal"), ("../etc/passwd", "etc-passwd"),
    ("a/b\\c", "a-b-c"), ("ＡＢＣ", "abc"), ("  spaced  out ", "spaced-out"),
])
def test_normalize_student(raw: str, expected: str) -> None:
    assert normalize_student(raw) == expected


def test_one_exercise_layout_files_and_folders(tmp_path: Path) -> None:
    ex = load_exercise(EXERCISES / "login-greeting")
    put(tmp_path / "Alice.py", "x = 1\n")
    put(tmp_path / "bob" / "app.py", "x = 1\n")
    put(tmp_path / "carol" / "login-greeting" / "app.py", "x = 1\n")
    (tmp_path / "dave").mkdir()  # no app.py: graded, as an error report
    put(tmp_path / "notes.txt", "ignored\n")
    put(tmp_path / ".hidden" / "app.py", "ignored\n")
    layout = discover(tmp_path, [ex])
    assert sorted(layout.students) == ["alice", "bob", "carol", "dave"]
    assert {j.student: j.path.relative_to(tmp_path).as_posix() for j in layout.jobs} == {
        "alice": "Alice.py", "bob": "bob", "carol": "carol/login-greeting", "dave": "dave"}
    assert layout.ignored == ["notes.txt"]
    assert layout.prefix == ""


def test_several_exercises_layout(tmp_path: Path) -> None:
    exs = [load_exercise(EXERCISES / s) for s in ("login-greeting", "auth-failed")]
    put(tmp_path / "alice" / "login-greeting" / "app.py", "x = 1\n")
    put(tmp_path / "alice" / "auth-failed" / "app.py", "x = 1\n")
    put(tmp_path / "bob" / "auth-failed.py", "x = 1\n")
    put(tmp_path / "stray.py", "x = 1\n")  # cannot say which exercise it is
    layout = discover(tmp_path, exs)
    assert sorted((j.student, j.slug) for j in layout.jobs) == [
        ("alice", "auth-failed"), ("alice", "login-greeting"), ("bob", "auth-failed")]
    assert layout.ignored == ["stray.py"]


def test_github_classroom_clones_strip_the_assignment_prefix(tmp_path: Path) -> None:
    ex = load_exercise(EXERCISES / "login-greeting")
    for user in ("octocat", "Mona-Lisa", "hubot"):
        put(tmp_path / f"hw1-login-{user}" / "app.py", "x = 1\n")
        (tmp_path / f"hw1-login-{user}" / ".git").mkdir()
    layout = discover(tmp_path, [ex])
    assert layout.prefix == "hw1-login-"
    assert sorted(layout.students) == ["hubot", "mona-lisa", "octocat"]


def test_folders_that_are_not_clones_keep_their_names(tmp_path: Path) -> None:
    ex = load_exercise(EXERCISES / "login-greeting")
    put(tmp_path / "ann-lee" / "app.py", "x = 1\n")
    put(tmp_path / "ann-ray" / "app.py", "x = 1\n")
    assert sorted(discover(tmp_path, [ex]).students) == ["ann-lee", "ann-ray"]


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: None, "no submissions found in"),
    (lambda p: (put(p / "Alice.py", ""), put(p / "alice" / "app.py", "")), "`Alice.py` and `alice`"),
    (lambda p: put(p / "summary.json" / "app.py", ""), "cannot be used as a student name"),
])
def test_bad_submission_folders(tmp_path: Path, make: object, message: str) -> None:
    make(tmp_path)  # type: ignore[operator]
    with pytest.raises(GraderError, match=re.escape(message)) as info:
        discover(tmp_path, [load_exercise(EXERCISES / "login-greeting")])
    assert info.value.tip


def test_missing_submissions_folder(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match="does not exist"):
        discover(tmp_path / "nope", [load_exercise(EXERCISES / "login-greeting")])


def test_roster_with_bom_and_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("\ufeffname,github_username,email\nAlice A,Alice,a@x\nBob B,bob,\n".encode())
    roster = read_roster(path)
    assert roster.columns == ("name", "github_username", "email")
    assert roster.key == "github_username"
    assert [roster.student(r) for r in roster.rows] == ["alice", "bob"]


@pytest.mark.parametrize(("text", "message"), [
    ("name,email\nAlice,a@x\n", "has no `student` column (columns found: `name`, `email`)"),
    ("", "has no `student` column (columns found: none)"),
    ("student\nalice\nAlice\n", "line 3 repeats student `Alice` from line 2"),
])
def test_bad_rosters(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(GraderError, match=re.escape(message)):
        read_roster(path)


def row(student: str, score: float) -> SummaryRow:
    return SummaryRow(student, "x", "0" * 64, "v1", ReportStatus.GRADED, score, 2.0, "", {"c": Status.PASSED})


def test_journal_ignores_and_repairs_a_torn_last_line(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.open()
    journal.append(row("a", 1))
    journal.close()
    with journal.path.open("a") as f:
        f.write('{"student": "b", "sl')  # kill -9 in the middle of a write
    assert list(journal.load()) == [("a", "x")]
    journal.open()
    journal.append(row("c", 2))
    journal.close()
    assert journal.load()[("c", "x")] == row("c", 2)  # typed on the way in and out
    assert list(journal.load()) == [("a", "x"), ("c", "x")]
    assert journal.path.read_text().count("\n") == 2


def test_journal_reads_the_untyped_rows_of_earlier_versions(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.path.write_text(json.dumps({
        "student": "a", "slug": "x", "sha256": "0" * 64, "version": "v1", "status": "graded", "score": 1.5,
        "max_score": 2.0, "message": "", "checks": {"c": "passed", "d": "failed"}, "duration_s": 0.1}) + "\n")
    old = journal.load()[("a", "x")]
    assert old.status is ReportStatus.GRADED and old.score == 1.5 and old.is_grade
    assert old.checks == {"c": Status.PASSED, "d": Status.FAILED}
    assert old.fault is None and old.attempts == 1


def test_histogram_bins() -> None:
    assert [b["count"] for b in histogram([0, 3, 3.5, 10], 10)] == [1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1]
    assert [b["count"] for b in histogram([0, 12.5, 25], 25)] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 1]


def test_unknown_exercise_suggests_the_nearest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    put(tmp_path / "subs" / "alice.py", "x = 1\n")
    with pytest.raises(SystemExit) as info:
        main(["batch", str(tmp_path / "subs"), "--exercise", "login-greting", "--exercises", str(EXERCISES),
              "--out", str(tmp_path / "out")])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "exercise `login-greting` not found" in err and "did you mean `login-greeting`?" in err


def test_missing_roster_column_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    put(tmp_path / "subs" / "alice.py", "x = 1\n")
    put(tmp_path / "roster.csv", "name\nAlice\n")
    with pytest.raises(SystemExit) as info:
        main(["batch", str(tmp_path / "subs"), "--exercise", "login-greeting", "--exercises", str(EXERCISES),
              "--out", str(tmp_path / "out"), "--roster", str(tmp_path / "roster.csv")])
    assert info.value.code == 1
    assert "has no `student` column" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_finished_workers_leave_on_their_own(tmp_path: Path) -> None:
    """Workers that have graded everything exit by themselves: they are never sent SIGTERM while closing their
    zygote (which once deadlocked the handler until a 10 s timeout)."""
    ex = load_exercise("login-greeting", EXERCISES)
    for i in range(6):
        put(tmp_path / "subs" / f"s{i}.py", (EXERCISES / "login-greeting" / "solution" / "app.py").read_text())
    layout = discover(tmp_path / "subs", [ex])
    pool = LocalPool(2, tmp_path / "out")
    rows = list(pool.run(chunked(layout.jobs, {ex.slug: ex}, 2)))
    assert sorted(r.student for r in rows) == [f"s{i}" for i in range(6)]
    assert all(r.score == ex.max_score for r in rows), rows
    assert pool.exitcodes == [0, 0]


# ----------------------------------------------------------------------------- a class, end to end

# (kind, expected status of the report, expected score or None for "partial: below full, above 0")
KINDS = {
    "solution": ("graded", "full"), "starter": ("graded", "below"), "partial": ("graded", "partial"),
    "syntax": ("error", 0), "exits": ("error", 0), "empty": ("error", 0), "unreadable": ("error", 0),
    "loops": ("graded", 0), "floods": ("graded", "full"),
}


def submission_for(kind: str, slug: str, folder: Path) -> None:
    ex = EXERCISES / slug
    partial = {"login-greeting": "hardcoded.py", "auth-failed": "wrong-status.py"}[slug]
    solution = (ex / "solution" / "app.py").read_text()
    if kind == "solution":
        put(folder / "app.py", solution)
    elif kind == "starter":
        put(folder / "app.py", (ex / "starter" / "app.py").read_text())
    elif kind == "partial":
        put(folder / "app.py", (ex / "examples" / partial).read_text())
    elif kind == "syntax":
        put(folder / "app.py", "def broken(:\n")
    elif kind == "exits":
        put(folder / "app.py", EXITS_AT_IMPORT)
    elif kind == "empty":
        put(folder / "README.md", "I forgot app.py\n")
    elif kind == "unreadable":  # <student>/<slug>.py: a file, but reading it fails (EIO), even as root
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.with_name(folder.name + ".py").symlink_to("/proc/self/mem")
    elif kind == "loops":
        put(folder / "app.py", LOOPS_IN_ROUTE.replace("/login", "/login" if slug == "login-greeting" else "/error"))
    elif kind == "floods":
        put(folder / "app.py", FLOODS + solution)


CLASS = {f"s{i:02d}": kind for i, kind in enumerate(
    ["solution"] * 12 + ["starter"] * 5 + ["partial"] * 6 + ["syntax", "exits", "empty", "unreadable", "loops",
                                                              "floods", "solution"])}
CLASS["Mixed Case"] = "solution"  # normalized to mixed-case
SKIPS_AUTH = {"s05", "s06"}  # handed in only login-greeting


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("class")
    exercises = fast_exercises(tmp)
    subs = tmp / "subs"
    for student, kind in CLASS.items():
        for slug in ("login-greeting", "auth-failed"):
            if slug == "auth-failed" and student in SKIPS_AUTH:
                continue
            submission_for(kind, slug, subs / student / slug)
    roster = tmp / "roster.csv"
    names = [s for s in CLASS if s not in ("s03",)] + ["absent1", "Absent2"]
    roster.write_bytes(("\ufeffstudent,name\n" + "".join(f"{n},Name of {n}\n" for n in names)).encode())
    out = tmp / "out"
    args = (subs, "--exercise", "login-greeting", "--exercise", "auth-failed", "--exercises", exercises,
            "--out", out, "--workers", "2", "--roster", roster)
    first = batch(*args)
    assert first.returncode == 0, first.stderr
    snapshot = {name: (out / name).read_text() for name in ("summary.json", "grades.csv", "index.html")}
    second = batch(*args)
    assert second.returncode == 0, second.stderr
    return {"out": out, "tmp": tmp, "first_stderr": first.stderr, "second_stdout": second.stdout,  # type: ignore
            "snapshot": snapshot}


@pytest.mark.slow
def test_every_report_of_the_class(graded_class: dict[str, object]) -> None:
    out = graded_class["out"]
    assert isinstance(out, Path)
    summary = json.loads((out / "summary.json").read_text())
    jsonschema.Draft202012Validator.check_schema(summary_schema())
    jsonschema.Draft202012Validator(summary_schema()).validate(summary)
    validator = jsonschema.Draft202012Validator(report_schema())
    rows = {(s["student"], e["slug"]): s for e in summary["exercises"] for s in e["students"]}
    assert len(rows) == 2 * len(CLASS) - len(SKIPS_AUTH)
    for student, kind in CLASS.items():
        name = normalize_student(student)
        for slug in ("login-greeting", "auth-failed"):
            path = out / name / slug / "report.json"
            if slug == "auth-failed" and student in SKIPS_AUTH:
                assert not path.exists() and (name, slug) not in rows
                continue
            report = json.loads(path.read_text())
            validator.validate(report)
            assert (out / name / slug / "report.html").is_file()
            status, score = KINDS[kind]
            assert report["status"] == status, (student, slug, report["message"])
            if score == "full":
                assert report["score"] == report["max_score"], (student, slug)
            elif score == "partial":
                assert 0 < report["score"] < report["max_score"], (student, slug)
            elif score == "below":
                assert report["score"] < report["max_score"], (student, slug)
            else:
                assert report["score"] == score, (student, slug)
            if kind == "loops":
                assert {c["status"] for c in report["checks"]} <= {"timeout", "failed"}
                assert any(c["status"] == "timeout" for c in report["checks"])
            if kind == "unreadable":
                assert "could not be read" in report["message"]
            if kind == "floods":
                assert "more bytes of output not kept" in report["output"]
            assert rows[(name, slug)]["score"] == report["score"]
            assert rows[(name, slug)]["status"] == report["status"]
    assert not list(out.rglob("*.tmp"))


@pytest.mark.slow
def test_summary_counts_and_pass_rates(graded_class: dict[str, object]) -> None:
    out = graded_class["out"]
    assert isinstance(out, Path)
    summary = json.loads((out / "summary.json").read_text())
    lg = next(e for e in summary["exercises"] if e["slug"] == "login-greeting")
    assert lg["counts"]["submissions"] == len(CLASS)
    assert lg["counts"]["error"] == 4  # syntax, exits, empty, unreadable
    assert lg["counts"]["with_timeouts"] == 1
    assert lg["counts"]["full_marks"] == 12 + 1 + 1 + 1  # solutions, floods, Mixed Case
    assert [t["student"] for t in lg["timeouts"]] == ["s27"]
    assert sorted(e["student"] for e in lg["errors"]) == ["s23", "s24", "s25", "s26"]
    assert sum(b["count"] for b in lg["histogram"]) == len(CLASS)
    for check in lg["checks"]:
        assert check["passed"] + check["failed"] + check["error"] + check["timeout"] == len(CLASS)
        assert check["pass_rate"] == round(check["passed"] / len(CLASS), 4)
    scores = sorted(s["score"] for s in lg["students"])
    assert len(scores) == 31 and lg["score"]["median"] == scores[15]
    assert [s["student"] for s in lg["students"]] == sorted(s["student"] for s in lg["students"])


@pytest.mark.slow
def test_grades_csv_follows_the_roster(graded_class: dict[str, object]) -> None:
    out = graded_class["out"]
    assert isinstance(out, Path)
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert list(rows[0]) == ["student", "name", "login-greeting", "auth-failed", "total", "note"]
    by_name = {normalize_student(r["student"]): r for r in rows}
    assert len(rows) == len(CLASS) + 2  # the roster, its two absentees, and s03 who is not on it
    assert by_name["absent1"]["note"] == "no submission" and by_name["absent1"]["total"] == ""
    assert by_name["absent2"]["note"] == "no submission"
    assert by_name["s03"]["note"] == "not on roster" and rows[-1]["student"] == "s03"
    assert by_name["s00"]["login-greeting"] == "10" and by_name["s00"]["total"] == "20"
    assert by_name["s05"]["auth-failed"] == "" and "missing or not graded: auth-failed" in by_name["s05"]["note"]
    assert by_name["s23"]["note"] == "did not load: login-greeting auth-failed"
    assert by_name["mixed-case"]["name"] == "Name of Mixed Case"


@pytest.mark.slow
def test_rerun_skips_and_is_byte_identical(graded_class: dict[str, object]) -> None:
    out, snapshot = graded_class["out"], graded_class["snapshot"]
    assert isinstance(out, Path) and isinstance(snapshot, dict)
    assert f"0 graded now, {2 * len(CLASS) - len(SKIPS_AUTH)} unchanged" in str(graded_class["second_stdout"])
    assert (out / "grades.csv").read_text() == snapshot["grades.csv"]
    for name in ("summary.json", "index.html"):
        again = (out / name).read_text()
        assert again != snapshot[name]  # the run block did change...
        assert blank_run(again) == blank_run(snapshot[name])  # ...and nothing else did
    assert "graded " in str(graded_class["first_stderr"])  # plain progress lines when not on a terminal


@pytest.mark.slow
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: v.name)
def test_class_report_in_headless_chromium(graded_class: dict[str, object], open_page: OpenPage,
                                           viewport: Viewport, tmp_path: Path) -> None:
    out = graded_class["out"]
    assert isinstance(out, Path)
    summary = json.loads((out / "summary.json").read_text())
    lg = next(e for e in summary["exercises"] if e["slug"] == "login-greeting")
    page = open_page((out / "index.html").as_uri(), viewport)
    page.screenshot(path=str(tmp_path / f"class-{viewport.name}.png"), full_page=True)  # for a person to look at

    # It fits: nothing scrolls the page sideways, text is readable on a phone, and the script ran under the CSP.
    assert horizontal_overflow(page, viewport) == 0
    assert smallest_text_px(page, "main") >= 14
    assert errors(page) == []

    # Every link leads somewhere: the class files, each report, the section anchors.
    assert unresolved_links(page) == []
    hrefs = set(page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"))
    assert {"grades.csv", "summary.json", "#ex-login-greeting", "#ex-auth-failed", "#students"} <= hrefs
    for student in CLASS:
        name = normalize_student(student)
        assert f"{name}/login-greeting/report.html" in hrefs
        if student not in SKIPS_AUTH:
            assert f"{name}/auth-failed/report.html" in hrefs

    # The matrix: a row per student of the exercise, a column per check, what each student did not pass.
    matrix = page.locator("#ex-login-greeting table.matrix")
    assert matrix.locator("tbody tr").count() == len(CLASS)
    assert matrix.locator("thead th").all_inner_texts() == ["student", "score", "1", "2", "3", "4"]
    starter = matrix.locator("tbody tr", has=page.locator("th", has_text="s12"))
    statuses = lg["students"][[s["student"] for s in lg["students"]].index("s12")]["checks"]
    cells = starter.locator("td.cell").all_inner_texts()
    assert cells == [{"passed": "✓", "failed": "✗"}[statuses[c["id"]]] for c in lg["checks"]]
    assert "✗" in cells
    syntax = matrix.locator("tbody tr", has=page.locator("th", has_text="s23"))
    assert syntax.locator("td").last.inner_text().startswith("did not load: SyntaxError")
    assert page.locator("#ex-login-greeting ol.key li").count() == len(lg["checks"])

    # Charts: titled by check titles, the red bar explained, "did not load" zeros apart from real zeros.
    assert page.locator("#ex-login-greeting .rates .title").all_inner_texts() == [c["title"] for c in lg["checks"]]
    assert "fewer than 50%" in page.locator("#ex-login-greeting .legend").nth(1).inner_text()
    first_bin = page.locator("#ex-login-greeting ol.hist li").first
    assert first_bin.get_attribute("title") == "0: 1 graded, 4 did not load"  # s27 timed out everywhere: a real 0
    assert first_bin.locator(".dnl").count() == 1
    assert "did not load" in page.locator("#ex-login-greeting .legend").first.inner_text()

    # The students table: the notes grades.csv has.
    notes = dict(zip(page.locator("table.students tbody tr td:first-child").all_inner_texts(),
                     page.locator("table.students tbody tr td:last-child").all_inner_texts(), strict=True))
    assert notes["s23"] == "did not load: login-greeting auth-failed"
    assert notes["absent1"] == "no submission" and notes["s03"] == "not on roster"
    text = page.inner_text("body")
    assert "Timed out (1)" in text and "Did not load (4)" in text
    assert "Submissions not on the roster" in text

    # The script sorts: by check 1, ascending, what was not run comes first, then failures.
    matrix.locator("thead th button", has_text="1").click()
    first = matrix.locator("tbody tr").first.locator("td").last.inner_text()
    assert first.startswith("did not load")


# ----------------------------------------------------------------------------- kill -9 and resume


@pytest.mark.slow
def test_kill_9_mid_run_loses_nothing(tmp_path: Path) -> None:
    exercises = fast_exercises(tmp_path)
    subs = tmp_path / "subs"
    kinds = ["solution", "partial", "starter", "syntax"]
    for i in range(24):
        submission_for(kinds[i % 4], "login-greeting", subs / f"k{i:02d}")
    out = tmp_path / "out"
    args = [str(GRADER), "batch", str(subs), "--exercise", "login-greeting", "--exercises", str(exercises),
            "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 6:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the batch finished before it could be killed; make the class bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    first = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    assert 6 <= len(first) < 24
    for row in first:  # every journaled row has its complete report on disk
        json.loads((out / row["student"] / "login-greeting" / "report.json").read_text())
    resumed = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{24 - len(first)} graded now, {len(first)} unchanged" in resumed.stdout
    entries = [json.loads(line)["student"] for line in journal.read_text().splitlines()]
    assert sorted(entries) == [f"k{i:02d}" for i in range(24)]  # each graded exactly once, none lost
    resumed_outputs = {n: (out / n).read_text() for n in ("summary.json", "grades.csv", "index.html")}
    # Grading everything again from scratch gives the same class outputs, byte for byte, apart from `run`.
    forced = subprocess.run(args + ["--force"], capture_output=True, text=True, timeout=300)
    assert forced.returncode == 0, forced.stderr
    assert "24 graded now, 0 unchanged" in forced.stdout
    for name, text in resumed_outputs.items():
        assert blank_run((out / name).read_text()) == blank_run(text), name
    assert not list(out.rglob("*.tmp"))


# ----------------------------------------------------------------------------- grader faults: retried, never a 0


class InProcess:
    """An executor that grades in this process (so the test can break the grader from the trusted side)."""

    def __init__(self, grader: Grader, out_dir: Path) -> None:
        self.grader, self.out_dir, self.attempt = grader, out_dir, 0

    def run(self, chunks: list[Chunk]) -> Iterator[SummaryRow]:
        self.attempt += 1
        for chunk in chunks:
            yield from grade_chunk(self.grader, chunk, self.out_dir)


@pytest.fixture
def faulty_zygote(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Zygote.spawn fails (a SandboxError, on the trusted side) for `flaky` on its first `fail_for` attempts and
    for `doomed` always. Returns the counter the test sets."""
    state = {"fail_for": 1, "flaky_calls": 0}
    original = Zygote.spawn

    def spawn(self: Zygote, submission: Submission, exercise: object) -> object:
        name = submission.path.name
        if name == "doomed.py" or (name == "flaky.py" and state["executor"].attempt <= state["fail_for"]):
            state["flaky_calls"] += name == "flaky.py"
            raise SandboxError("could not build the sandbox: clone() failed (injected by the test)")
        return original(self, submission, exercise)  # type: ignore[arg-type]

    monkeypatch.setattr(Zygote, "spawn", spawn)
    return state


PROBE = Path(__file__).parent / "fixtures" / "probe"  # the tests' own exercise: its goldens change only with it


def small_class(root: Path) -> Path:
    subs = root / "subs"
    solution = (PROBE / "solution" / "app.py").read_text()
    put(subs / "good.py", solution)
    put(subs / "flaky.py", solution)
    put(subs / "doomed.py", solution)
    put(subs / "partial.py", solution.replace('return "", code', 'return "", 200', 1))
    put(subs / "broken.py", "def broken(:\n")
    return subs


def normalized(out: Path, name: str) -> str:
    """Times live in the run block and the footer; the exercise version is a hash of the probe's files."""
    text = blank_run((out / name).read_text())
    return re.sub(r'"version": "[0-9a-f]{16}"', '"version": "<version>"', text)


@pytest.mark.slow
def test_a_grader_fault_is_retried_and_one_that_persists_is_not_graded(
        tmp_path: Path, grader_session: Grader, faulty_zygote: dict[str, object]) -> None:
    ex = load_exercise(PROBE)
    out = tmp_path / "out"
    executor = InProcess(grader_session, out)
    faulty_zygote["executor"] = executor
    waits: list[float] = []
    result = run_batch(small_class(tmp_path), [ex], out, workers=1, executor=executor,
                       retry=RetryPolicy(attempts=3, backoff_s=0.25), sleep=waits.append)

    assert executor.attempt == 3 and waits == [0.25, 0.5]  # bounded, with backoff
    rows = {student: row for (student, _), row in result.rows.items()}
    # A fault on the first try that succeeds on the retry ends graded, like any other.
    assert rows["flaky"].status is ReportStatus.GRADED and rows["flaky"].score == ex.max_score
    assert rows["flaky"].attempts == 2
    # One that keeps failing is listed as not graded: no score, the grader's fault, never a 0.
    assert rows["doomed"].status is ReportStatus.INCOMPLETE and rows["doomed"].score is None
    assert rows["doomed"].fault is Status.GRADER_FAULT and rows["doomed"].attempts == 3
    assert [r.student for r in result.not_graded] == ["doomed"]
    assert json.loads((out / "doomed" / "probe" / "report.json").read_text())["status"] == "incomplete"

    summary = json.loads((out / "summary.json").read_text())
    jsonschema.Draft202012Validator(summary_schema()).validate(summary)
    lg = summary["exercises"][0]
    assert lg["counts"]["not_graded"] == 1 and lg["counts"]["submissions"] == 5
    assert sum(b["count"] for b in lg["histogram"]) == 4  # the not-graded one is in no bin, not in the 0 bin
    assert lg["not_graded"][0]["reason"] == "not graded: grader fault"
    doomed = next(s for s in summary["students"] if s["student"] == "doomed")
    assert doomed["scores"] == {"probe": None} and doomed["total"] is None

    grades = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    assert grades["doomed"]["probe"] == "" and grades["doomed"]["total"] == ""
    assert grades["doomed"]["note"] == "probe not graded: grader fault"
    assert grades["flaky"]["probe"] == "10" and grades["partial"]["probe"] == "9"
    # Not journaled: the next run grades it again; the rest is journaled once.
    assert sorted(Journal(out / "journal.jsonl").load()) == [
        (s, "probe") for s in ("broken", "flaky", "good", "partial")]
    for name in ("summary.json", "grades.csv", "index.html"):
        text = normalized(out, name)
        assert text == golden_text(f"batch/{name}", text), name


@pytest.mark.slow
def test_batch_exits_4_when_a_submission_stays_not_graded(tmp_path: Path, grader_session: Grader,
                                                          faulty_zygote: dict[str, object],
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    executor = InProcess(grader_session, out)
    faulty_zygote["executor"] = executor
    monkeypatch.setattr(batch_run, "LocalPool", lambda *args, **kwargs: executor)
    monkeypatch.setattr(batch_run, "RetryPolicy", lambda: RetryPolicy(attempts=2, backoff_s=0.0))
    subs = small_class(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["batch", str(subs), "--exercise", str(PROBE), "--out", str(out)])
    assert info.value.code == 4
    err = capsys.readouterr().err
    assert "1 submission(s) could not be graded" in err and "1 grader fault(s), still failing after retries" in err
    # Once the grader works again, a rerun grades exactly what was not graded.
    monkeypatch.undo()
    monkeypatch.setattr(batch_run, "LocalPool", lambda *args, **kwargs: InProcess(grader_session, out))
    code = 0
    try:
        main(["batch", str(subs), "--exercise", str(PROBE), "--out", str(out)])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 0
    assert "1 graded now, 4 unchanged" in capsys.readouterr().out


@pytest.mark.slow
def test_a_check_fault_is_not_retried_and_names_the_check(tmp_path: Path, grader_session: Grader) -> None:
    root = tmp_path / "probe"
    shutil.copytree(PROBE, root)
    checks = root / "checks" / "test_probe.py"
    checks.write_text(checks.read_text().replace("def test_binary(client):\n",
                                                 "def test_binary(client):\n    undefined_helper()\n", 1))
    subs = tmp_path / "subs"
    put(subs / "alice.py", (PROBE / "solution" / "app.py").read_text())
    out = tmp_path / "out"
    executor = InProcess(grader_session, out)
    result = run_batch(subs, [load_exercise(root)], out, workers=1, executor=executor, sleep=lambda s: None)
    assert executor.attempt == 1  # the check's code is the same on every attempt
    row = result.rows[("alice", "probe")]
    assert row.fault is Status.CHECK_FAULT and row.score is None and row.checks["binary"] is Status.CHECK_FAULT
    grades = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    note = "probe not graded: check fault (`binary`)"
    assert grades == [{"student": "alice", "probe": "", "total": "", "note": note}]
    assert "check `binary` has a bug in its own code" in (out / "index.html").read_text()
