"""Faults are never grades, end to end: real grading runs whose faults are injected on the trusted side (never
by a submission), scored by the real scoring path, rendered in every format and compared with golden files.

- A parametrized check where one case hits a grader fault (the check channel raises GraderFault): the
  report is incomplete and every format says "not graded, not your fault" with no total shown as a score.
- A check whose own code has a NameError: a check fault naming the check, the exercise's bug, in every format.
- A check file that does not import: a check fault for each of its checks; the other files still run.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT
from goldens import golden_text

from grader.cli import main
from grader.grading import Grader
from grader.render import RENDERERS
from grader.results import Isolation, Report, ReportStatus, Status, report_schema, to_json
from grader.sandbox import CheckChannel, GraderFault
from grader.spec import Exercise, load_exercise

PROBE = ROOT / "tests" / "fixtures" / "probe"
FAULTY_CASE = "GET /status/404"  # one case of the parametrized `status-table` check
INJECTED = "the channel to the sandbox broke (injected on the trusted side by the test)"

pytestmark = pytest.mark.slow


def pin(report: Report) -> Report:
    """The real report with what varies between machines and runs pinned: times, versions, isolation, paths."""
    checks = [replace(c, duration_s=0.01) for c in report.checks]
    return replace(report, checks=checks, duration_s=0.5, created_at="2026-01-01T00:00:00+00:00",
                   grader={"version": "0.0.0", "python": "3.x", "flask": "3.x", "werkzeug": "3.x"},
                   isolation=Isolation("namespaces", {"network": True}, []),
                   submission={**report.submission, "path": "submissions/alice/app.py"},
                   exercise={**report.exercise, "version": "pinned"})


@pytest.fixture
def channel_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grader's channel fails for one request of one case, as a broken socket on the trusted side would."""
    original = CheckChannel.request

    def request(self: CheckChannel, environ: dict[str, str], body: bytes, what: str) -> object:
        if what == FAULTY_CASE:
            raise GraderFault(INJECTED)
        return original(self, environ, body, what)

    monkeypatch.setattr(CheckChannel, "request", request)


@pytest.fixture
def broken_check(tmp_path: Path) -> Iterator[Exercise]:
    """The probe exercise whose `binary` check calls a helper that does not exist."""
    root = tmp_path / "probe"
    shutil.copytree(PROBE, root)
    checks = root / "checks" / "test_probe.py"
    text = checks.read_text()
    old = '    expect_header(resp, "Content-Type", "application/octet-stream")\n'
    assert old in text
    checks.write_text(text.replace(old, old + "    expect_lenght(resp, 2000)\n", 1))
    yield load_exercise(root)


def rendered(report: Report) -> dict[str, str]:
    return {fmt: render(report) for fmt, (_, render) in RENDERERS.items()}


def check_goldens(prefix: str, report: Report) -> dict[str, str]:
    texts = rendered(pin(report))
    for fmt, text in texts.items():
        name = RENDERERS[fmt][0]
        assert text == golden_text(f"outcomes/{prefix}-{name}", text), fmt
    return texts


def assert_no_score_shown(texts: dict[str, str], report: Report) -> None:
    """The incomplete report's total (the points of the checks that were judged) is shown nowhere as a score."""
    total = f"{report.score:g}"
    gradescope = json.loads(texts["gradescope"])
    assert "score" not in gradescope and all("score" not in t for t in gradescope["tests"])
    classroom = json.loads(base64.b64decode(texts["classroom"]))
    assert classroom["status"] == "error" and sum(t["score"] for t in classroom["tests"]) == 0
    assert f'name="score" value="{total}"' not in texts["junit"]
    assert f"{total} / {report.max_score:g}" not in texts["markdown"]
    assert f'<span class="score-num">{total}</span>' not in texts["html"]
    assert "Not graded" in texts["html"] and "Not graded" in texts["markdown"]


def test_a_grader_fault_in_one_case_is_not_graded_in_every_format(grader_session: Grader, channel_fault: None) -> None:
    probe = load_exercise(PROBE)
    report = grader_session.grade(probe, PROBE / "solution")
    jsonschema.validate(json.loads(to_json(report)), report_schema())

    assert report.status is ReportStatus.INCOMPLETE and not report.is_grade
    status = {c.id: c for c in report.checks}["status-table"]
    assert status.status is Status.GRADER_FAULT
    assert status.message == ("case /status/404-404: the grader failed while running this check (not your "
                              f"fault): {INJECTED}")
    assert all(c.status is Status.PASSED for c in report.checks if c.id != "status-table")
    assert report.score == probe.max_score - 1  # what was judged; not a grade

    texts = check_goldens("grader-fault", report)
    for fmt, text in texts.items():
        readable = base64.b64decode(text).decode() if fmt == "classroom" else text
        assert re.search(r"not (?:graded|your fault)", readable, re.IGNORECASE), fmt
        assert "not your fault" in readable.lower(), fmt
    assert_no_score_shown(texts, report)


def test_grade_exits_4_for_a_grader_fault_and_prints_no_score(tmp_path: Path, channel_fault: None,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["grade", str(PROBE), str(PROBE / "solution"), "--out", str(tmp_path), "--min-score", "1"])
    assert info.value.code == 4
    out, err = capsys.readouterr()
    assert "probe: not graded (incomplete)" in out and "9/10" not in out
    assert "ERROR the report is incomplete" in err and "not your fault" in err
    assert json.loads((tmp_path / "report.json").read_text())["status"] == "incomplete"


def test_check_prints_not_graded_instead_of_a_score(capsys: pytest.CaptureFixture[str]) -> None:
    # `grader check` runs only the visible check: make its request the faulty one.
    with pytest.MonkeyPatch.context() as mp:
        original = CheckChannel.request

        def request(self: CheckChannel, environ: dict[str, str], body: bytes, what: str) -> object:
            if what.startswith("POST /echo"):
                raise GraderFault(INJECTED)
            return original(self, environ, body, what)

        mp.setattr(CheckChannel, "request", request)
        with pytest.raises(SystemExit) as info:
            main(["check", str(PROBE), str(PROBE / "solution" / "app.py")])
    assert info.value.code == 4
    out, _ = capsys.readouterr()
    assert "? grader_fault not graded  POST /echo echoes JSON" in out
    assert "Not graded, not your fault" in out and "Score:" not in out


def test_a_name_error_in_a_check_is_a_check_fault_naming_it(grader_session: Grader, broken_check: Exercise,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    report = grader_session.grade(broken_check, PROBE / "solution")
    jsonschema.validate(json.loads(to_json(report)), report_schema())
    assert report.status is ReportStatus.INCOMPLETE
    binary = {c.id: c for c in report.checks}["binary"]
    assert binary.status is Status.CHECK_FAULT
    assert re.fullmatch(r"the check's own code is broken: NameError: name 'expect_lenght' is not defined "
                        r"\(test_probe\.py line \d+\)", binary.message), binary.message
    assert "check `binary` has a bug in its own code: the exercise's bug, not yours" in report.message

    texts = check_goldens("check-fault", report)
    for fmt, text in texts.items():
        readable = base64.b64decode(text).decode() if fmt == "classroom" else text
        assert "binary" in readable, fmt  # the check is named, for its author
        assert "bug" in readable and "exercise" in readable, fmt
    assert_no_score_shown(texts, report)


def test_a_check_file_that_does_not_import_costs_only_its_own_checks(grader_session: Grader,
                                                                     broken_check: Exercise) -> None:
    checks = broken_check.checks_dir / "test_probe.py"
    checks.write_text("import a_module_that_is_not_installed\n" + checks.read_text())
    report = grader_session.grade(load_exercise(broken_check.root), PROBE / "solution")
    statuses = {c.id: c.status for c in report.checks}
    assert statuses.pop("json-echo") is Status.PASSED  # test_visible.py still ran
    assert set(statuses.values()) == {Status.CHECK_FAULT}
    cookies = next(c for c in report.checks if c.id == "cookies")
    assert cookies.message.startswith("the check file test_probe.py could not be imported:")
    assert "a_module_that_is_not_installed" in cookies.message
    assert report.status is ReportStatus.INCOMPLETE


def test_a_sandbox_that_cannot_be_built_is_a_grader_fault(grader_session: Grader,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.sandbox import SandboxError, Zygote

    def spawn(self: Zygote, *args: object, **kwargs: object) -> object:
        raise SandboxError("could not build the sandbox: no more pids (injected by the test)")

    monkeypatch.setattr(Zygote, "spawn", spawn)
    report = grader_session.grade(load_exercise(PROBE), PROBE / "solution")
    assert report.status is ReportStatus.INCOMPLETE
    assert {c.status for c in report.checks} == {Status.GRADER_FAULT}
    assert "no more pids" in report.checks[0].message
    jsonschema.validate(json.loads(to_json(report)), report_schema())


def test_the_raw_pytest_report_keeps_our_verdicts(grader_session: Grader, tmp_path: Path) -> None:
    raw = tmp_path / "pytest-report.json"
    grader_session.grade(load_exercise(PROBE), PROBE / "starter", pytest_report=raw)
    data = json.loads(raw.read_text())
    assert data["summary"]["total"] == len(data["tests"]) > 0
    verdicts = [p["grader"] for t in data["tests"] for p in t.get("user_properties", []) if "grader" in p]
    assert len(verdicts) == len(data["tests"])
    assert {v["status"] for v in verdicts} <= {s.value for s in Status}
    assert any(v["status"] == "failed" for v in verdicts)
