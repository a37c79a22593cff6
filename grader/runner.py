"""Run an exercise's checks against one or more submissions in a single pytest session.

The checks are ordinary pytest tests taking a ``client`` fixture. This module's plugin parametrizes every
test over the submissions with a session-scoped fixture, so pytest runs all checks for one submission, then
the next, each submission loaded once in its own sandbox and each check given a fresh fork of it.

Outcomes are collected the way pytest's junitxml collects them: the verdict of each test (a typed
:class:`~grader.results.Status` and the student-facing message) is set once, by :func:`classify`, in
``pytest_runtest_makereport``, and kept on the item (``item.stash``) until the test's teardown, where it is
handed to the TestReport as a user property; ``pytest_runtest_logreport`` builds each
:class:`~grader.results.CaseResult` from that report. pytest-json-report is loaded only when a raw report
is asked for (``json_report``), through its command-line options; it then keeps our verdicts as each
test's ``user_properties``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import time
import types
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .client import SandboxClient
from .errors import GraderError
from .results import CaseResult, Load, Status, SubmissionInfo, SubmissionRun
from .sandbox import (
    GraderFault,
    LoadResult,
    Sandbox,
    SandboxError,
    StudentRouteError,
    Submission,
    SubmissionCrashed,
    SubmissionProblem,
    Zygote,
)
from .spec import Exercise, check_files

_MESSAGE_LIMIT = 4000
_PROPERTY = "grader"  # the user property that carries a test's CaseResult from its item to its TestReport


def new_run(submission: Submission) -> SubmissionRun:
    return SubmissionRun(SubmissionInfo(submission.path, submission.sha256, tuple(submission.names)))


def _load(result: LoadResult) -> Load:
    return Load(result.ok, result.kind, result.message, result.traceback)


@dataclass
class _Verdict:
    """One test's state across its phases, kept on ``item.stash``."""

    status: Status | None = None  # None until decided; stays None for a skipped test
    message: str = ""
    decided: bool = False
    duration_s: float = 0.0
    output: str = ""


_VERDICT = pytest.StashKey[_Verdict]()


class _SubmissionState:
    """One submission's sandbox across the session; respawned if a check had to kill it."""

    def __init__(self, run: SubmissionRun, submission: Submission, exercise: Exercise, zygote: Zygote) -> None:
        self.run = run
        self.submission = submission
        self.exercise = exercise
        self.zygote = zygote
        self.sandbox: Sandbox | None = None
        self.started = time.perf_counter()

    def load(self, sandbox: Sandbox | None = None) -> LoadResult:
        """Wait for ``sandbox`` (one spawned ahead of time for this submission) or a new one to load."""
        self.sandbox = sandbox or self.zygote.spawn(self.submission, self.exercise)
        return self.sandbox.wait_loaded()

    def sandbox_for_check(self) -> Sandbox:
        if self.sandbox is None or not self.sandbox.alive:
            # An earlier check timed out and took the sandbox down: load a fresh copy for this one.
            result = self.load()
            if not result.ok:
                raise SubmissionCrashed(f"the app could not be started again after the previous check: "
                                        f"{result.message}")
        assert self.sandbox is not None
        return self.sandbox

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.kill()
        self.run.duration_s = time.perf_counter() - self.started


# Exceptions that mean the code raising them is wrong, whatever it was given. Raised from a check's own
# frame, they are that check's bug. ``TypeError`` counts only for a call that does not fit the function's
# signature (Python's own wording, which is stable); a TypeError from indexing what the app sent is the
# app's failure.
_PROGRAMMING_ERRORS = (NameError, ImportError, SyntaxError)  # NameError includes UnboundLocalError
_BAD_CALL = re.compile(r"\(\) (?:missing \d+ required|got an unexpected keyword argument|takes \d+ positional|"
                       r"takes from \d+ to \d+ positional|got multiple values for|takes no arguments)")
_GRADER_DIR = Path(__file__).resolve().parent


def _is_programming_error(exc: BaseException) -> bool:
    if isinstance(exc, _PROGRAMMING_ERRORS):
        return True
    if isinstance(exc, AttributeError):  # `checks.expect_stauts`: a typo on a module, not on the response
        return isinstance(getattr(exc, "obj", None), types.ModuleType)
    return isinstance(exc, TypeError) and bool(_BAD_CALL.search(str(exc)))


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _our_frame(excinfo: pytest.ExceptionInfo[BaseException], checks_dir: Path | None) -> tuple[str, Path, int] | None:
    """The innermost frame of the traceback in the exercise's checks (``"checks"``) or in the grader's own code
    (``"grader"``), skipping library frames: a typo in ``client.get(..., jsonn=...)`` raises inside Werkzeug,
    but the line at fault is the check's."""
    found = None
    checks = checks_dir.resolve() if checks_dir is not None else None
    tb: types.TracebackType | None = excinfo.tb
    while tb is not None:
        path = Path(tb.tb_frame.f_code.co_filename)
        if path.is_absolute():  # not "<frozen importlib._bootstrap>"
            path = path.resolve()
            if checks is not None and _under(path, checks):
                found = ("checks", path, tb.tb_lineno)
            elif _under(path, _GRADER_DIR):
                found = ("grader", path, tb.tb_lineno)
        tb = tb.tb_next
    return found


def classify(excinfo: pytest.ExceptionInfo[BaseException] | None, checks_dir: Path | None = None,
             when: str = "call") -> tuple[Status | None, str]:
    """Map what a check raised to (status, student-facing message); status None means pytest.skip.

    The rule, in order:
    - ``pytest.skip`` is not an outcome (a check that skips itself entirely is a check fault, in scoring);
    - :class:`GraderFault` and :class:`GraderError` (so :class:`SandboxError`) are raised only by the trusted
      side about its own failures: ``grader_fault``;
    - any other :class:`SubmissionProblem` (a crash, a timeout, the student's route raising, a protocol
      violation) is the submission's, with the status it carries;
    - an ``AssertionError`` or ``pytest.fail`` is the submission's ``failed``;
    - a missing fixture, or a programming error (NameError, ImportError, SyntaxError, an AttributeError on a
      module, a TypeError from a call that does not fit the signature) raised in the check's own file, is a
      ``check_fault``: the exercise's bug, for its author; raised in the grader's own code it is a
      ``grader_fault``;
    - any other exception raised while setting up or tearing down a test (outside the checks: the grader's
      fixtures) is a ``grader_fault``, inside the checks a ``check_fault``;
    - anything else the check raised while running (a KeyError, IndexError, ValueError or JSONDecodeError on
      what the app sent) means the check could not use the response: the submission's ``failed``.
    """
    if excinfo is None:
        return Status.PASSED, ""
    exc = excinfo.value
    if isinstance(exc, pytest.skip.Exception):
        return None, str(exc)
    if isinstance(exc, (GraderFault, GraderError)):
        return Status.GRADER_FAULT, f"the grader failed while running this check (not your fault): {exc}"
    if isinstance(exc, StudentRouteError):
        return (Status.ERROR if exc.exc_type == "MemoryError" else Status.FAILED), str(exc)
    if isinstance(exc, SubmissionProblem):
        return Status(exc.status), str(exc)
    if isinstance(exc, AssertionError):
        return Status.FAILED, str(exc).strip() or "an assertion in the check failed"
    if isinstance(exc, pytest.fail.Exception):
        return Status.FAILED, str(exc).strip() or "the check failed"
    described = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, pytest.FixtureLookupError):
        return Status.CHECK_FAULT, f"the check's own code is broken: {exc}".strip()
    where = _our_frame(excinfo, checks_dir)
    owner = where[0] if where is not None else ""
    at = f" ({where[1].name} line {where[2]})" if where is not None else ""
    if _is_programming_error(exc) and owner:
        if owner == "checks":
            return Status.CHECK_FAULT, f"the check's own code is broken: {described}{at}"
        return Status.GRADER_FAULT, f"the grader failed while running this check (not your fault): {described}"
    if when != "call":
        if owner == "checks":
            return Status.CHECK_FAULT, f"the check's own code is broken (in its {when}): {described}{at}"
        return Status.GRADER_FAULT, f"the grader failed while running this check (not your fault): {described}"
    # The check tripped over the response (e.g. KeyError on JSON it expected): the behaviour is wrong.
    return Status.FAILED, f"the check could not use the response: {described}"


class GraderPlugin:
    """The pytest plugin that joins hidden checks to sandboxed submissions."""

    def __init__(self, exercise: Exercise, submissions: dict[str, Submission], zygote: Zygote,
                 on_done: Callable[[str, SubmissionRun], None] | None = None,
                 on_loaded: Callable[[str], None] | None = None) -> None:
        self.exercise = exercise
        self.zygote = zygote
        self.on_done = on_done
        self.on_loaded = on_loaded
        self.runs = {key: new_run(sub) for key, sub in submissions.items()}
        self._submissions = submissions
        self._next = dict(zip(self.runs, list(self.runs)[1:], strict=False))
        # The next submission's sandbox, spawned (by a thread: the zygote takes ~10 ms to answer) and loading
        # while this one is checked.
        self._ahead: dict[str, Future[Sandbox]] = {}
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frg-spawn-ahead")
        self._remaining: dict[str, int] = {}  # tests not yet finished, per submission
        self.collection_errors: dict[str, str] = {}  # check file -> why pytest could not import it
        self.callback_error: Exception | None = None

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and report.nodeid:
            # A check file that does not import is the exercise's bug: its checks become check faults.
            why = str(report.longrepr).strip().splitlines()
            self.collection_errors[Path(report.nodeid.split("::", 1)[0]).name] = (why[-1] if why else "")[:500]

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            key = _submission_of(item)
            if key is not None:
                self._remaining[key] = self._remaining.get(key, 0) + 1

    # -- one verdict per test, set once while it runs and carried on item.stash

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        verdict = item.stash.setdefault(_VERDICT, _Verdict())
        verdict.duration_s += call.duration
        # The first phase that decides wins: a setup error, else the call; a teardown error only when
        # nothing else was decided.
        if not verdict.decided and (call.when == "call" or call.excinfo is not None):
            verdict.status, verdict.message = classify(call.excinfo, self.exercise.checks_dir, call.when)
            verdict.decided = True
        if call.when == "teardown":
            key = _submission_of(item)
            if key is None:
                return
            if not verdict.decided:
                verdict.status, verdict.message = Status.GRADER_FAULT, "the grader did not run this check"
            case = CaseResult(test=_test_id(item), status=verdict.status, message=verdict.message[:_MESSAGE_LIMIT],
                              duration_s=verdict.duration_s, output=verdict.output,
                              case=_case_id(getattr(item, "callspec", None), key))
            # Handed over on the TestReport pytest builds next, as junitxml's record_property does.
            item.user_properties.append((_PROPERTY, {"submission": key, **case.to_dict()}))

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Each test's result from its teardown report; and each submission's run the moment its last test
        ends, so a batch can save it before the session is over."""
        if report.when != "teardown":
            return
        data = dict(report.user_properties).get(_PROPERTY)
        if not isinstance(data, dict) or data.get("submission") not in self.runs:
            return
        key = data["submission"]
        self.runs[key].cases.append(CaseResult.from_dict(data))
        self._remaining[key] -= 1
        if self._remaining[key] == 0:
            self._notify(key)

    def _notify(self, key: str) -> None:
        self.runs[key].collection_errors = dict(self.collection_errors)
        if self.on_done is not None:
            self._call(self.on_done, key, self.runs[key])

    def _call(self, callback: Callable[..., None], *args: Any) -> None:
        try:
            callback(*args)
        except Exception as exc:  # raised again after the session: pytest would call it an internal error
            self.callback_error = self.callback_error or exc

    # -- parametrize every check over the submissions, grouped by submission (session scope)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "_frg_submission" in metafunc.fixturenames:
            keys = list(self.runs)
            metafunc.parametrize("_frg_submission", keys, indirect=True, scope="session", ids=keys)

    @pytest.fixture(scope="session", autouse=True)
    def _frg_submission(self, request: pytest.FixtureRequest) -> Iterator[_SubmissionState]:
        run = self.runs[request.param]
        state = _SubmissionState(run, self._submissions[request.param], self.exercise, self.zygote)
        try:
            try:
                ahead = _sandbox_of(self._ahead.pop(request.param, None))
                self._spawn_ahead(self._next.get(request.param))
                run.load = _load(state.load(ahead))
            except SandboxError as exc:
                run.fault = exc.message
                pytest.skip("the grader could not build a sandbox")
            if state.sandbox is not None:
                run.load_output = state.sandbox.output.text()
                run.load_output_truncated = state.sandbox.output.dropped > 0
            if not run.load.ok:
                pytest.skip("the submission did not load")
            if self.on_loaded is not None:
                self._call(self.on_loaded, request.param)
            yield state
        finally:
            state.close()

    def _spawn_ahead(self, key: str | None) -> None:
        """Start loading the next submission now: its start-up then overlaps this one's checks."""
        for stale in [k for k in self._ahead if k != key]:  # pytest ran submissions out of order: never hoard
            _kill(self._ahead.pop(stale))
        if key is not None and key not in self._ahead:
            self._ahead[key] = self._spawner.submit(self.zygote.spawn, self._submissions[key], self.exercise)

    def close(self) -> None:
        """Kill sandboxes spawned ahead for submissions that never ran (the session was interrupted)."""
        for future in self._ahead.values():
            _kill(future)
        self._ahead.clear()
        self._spawner.shutdown(wait=True)

    @pytest.fixture
    def client(self, request: pytest.FixtureRequest, _frg_submission: _SubmissionState) -> Iterator[SandboxClient]:
        sandbox = _frg_submission.sandbox_for_check()
        channel = sandbox.start_check()
        try:
            yield SandboxClient(channel)
        finally:
            request.node.stash.setdefault(_VERDICT, _Verdict()).output = channel.finish()


def _sandbox_of(future: Future[Sandbox] | None) -> Sandbox | None:
    """The sandbox spawned ahead, or None when there is none or spawning it failed (its fixture then spawns
    again, and reports the failure if it happens twice)."""
    try:
        return future.result() if future is not None else None
    except SandboxError:
        return None


def _kill(future: Future[Sandbox]) -> None:
    sandbox = _sandbox_of(future)
    if sandbox is not None:
        sandbox.kill()


def _case_id(callspec: Any, key: str | None) -> str:
    """The id of a parametrized case without our submission parameter (``limit-zero``)."""
    if callspec is None or callspec.id == key:
        return ""
    case: str = callspec.id
    if case.endswith(f"-{key}"):
        return case[: -len(key or "") - 1]
    if case.startswith(f"{key}-"):
        return case[len(key or "") + 1 :]
    return case


def _submission_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    key = callspec.params.get("_frg_submission") if callspec is not None else None
    return key if isinstance(key, str) else None


def _test_id(item: pytest.Item) -> str:
    parts = [item.path.name]
    if getattr(item, "cls", None) is not None:
        parts.append(item.cls.__name__)  # type: ignore[attr-defined]
    parts.append(getattr(item, "originalname", item.name))
    return "::".join(parts)


@contextlib.contextmanager
def _quiet_pytest_environment() -> Iterator[None]:
    """Keep the user's pytest plugins and settings out of grading, and pytest's chatter off our output."""
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        # Checks' own prints and warnings are nobody's business: pytest's capture and warnings plugins (which
        # cost about a millisecond a check) are off, so silence them here instead.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved


@contextlib.contextmanager
def _forget_modules_under(folder: Path) -> Iterator[None]:
    """Every exercise names its checks test_visible/test_hidden; pytest would reuse the first one imported."""

    def forget() -> None:
        prefix = str(folder.resolve()) + os.sep
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", None) or "").startswith(prefix):
                del sys.modules[name]

    forget()
    try:
        yield
    finally:
        forget()


def run_checks(exercise: Exercise, submissions: dict[str, Submission], zygote: Zygote, *,
               tests: list[str] | None = None,
               on_done: Callable[[str, SubmissionRun], None] | None = None,
               json_report: Path | None = None,
               on_loaded: Callable[[str], None] | None = None) -> dict[str, SubmissionRun]:
    """Run the exercise's checks (or only ``tests``) against each submission; one pytest session.

    ``on_loaded(key)`` is called when a submission's app has loaded, before its first check;
    ``on_done(key, run)`` as soon as its last check has ended. ``json_report``: also
    write pytest-json-report's raw report of the session there (for instructors debugging their checks).
    """
    files = check_files(exercise)
    if tests is not None:
        wanted = {t.split("::", 1)[0] for t in tests}
        files = [f for f in files if f.name in wanted]
    plugin = GraderPlugin(exercise, submissions, zygote, on_done, on_loaded)
    args = [
        *[str(f) for f in files],
        "-c", os.devnull, "--rootdir", str(exercise.checks_dir), "--import-mode=importlib",
        "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:doctest", "-p", "no:pastebin",
        "-p", "no:logging", "-p", "no:warnings", "--capture=no",
        # Its full gc.collect() at the end of every session costs ~70 ms here (a big heap) and can report nothing
        # of interest: the checks are ours, and the submission's objects live in another process.
        "-p", "no:unraisableexception",
        # A check file that does not import costs its own checks (check faults), not the other files'.
        "--continue-on-collection-errors",
        "-q", "--no-header",
    ]
    if json_report is not None:
        json_report.parent.mkdir(parents=True, exist_ok=True)
        args += ["-p", "pytest_jsonreport.plugin", "--json-report", f"--json-report-file={json_report}",
                 "--json-report-omit", "collectors", "keywords", "--tb=short"]
    else:
        args += ["--tb=no"]
    if tests is not None:
        args += ["-k", " or ".join(t.rsplit("::", 1)[-1] for t in tests)]
    with _quiet_pytest_environment(), _forget_modules_under(exercise.checks_dir):
        try:
            code = pytest.main(args, plugins=[plugin])
        finally:
            plugin.close()
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise GraderError(f"pytest could not run the checks of {exercise.slug} (exit code {int(code)})",
                          tip=f"run `pytest {exercise.checks_dir}` to see why, or `grader validate {exercise.slug}`")
    if plugin.callback_error is not None:
        raise plugin.callback_error
    for run in plugin.runs.values():
        run.collection_errors = dict(plugin.collection_errors)
    return plugin.runs
