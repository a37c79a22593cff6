"""Run an exercise's checks against one or more submissions in a single pytest session.

The checks are ordinary pytest tests taking a ``client`` fixture. This module's plugin parametrizes every
test over the submissions with a session-scoped fixture, so pytest runs all checks for one submission, then
the next, each submission loaded once in its own sandbox and each check given a fresh fork of it. Outcomes
are collected by pytest-json-report, with our classification (passed/failed/error/timeout and the
student-facing message) attached as per-test metadata.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_jsonreport.plugin import JSONReport

from .client import SandboxClient
from .errors import GraderError
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


@dataclass
class CaseResult:
    """One executed pytest test (a check, or one case of a parametrized check)."""

    test: str  # the spec's "file.py::test_name"
    status: str  # passed, failed, error, timeout, skipped
    message: str
    duration_s: float
    output: str = ""
    case: str = ""  # the parametrized case id, if any


@dataclass
class SubmissionRun:
    """Everything the checks learned about one submission."""

    submission: Submission
    load: LoadResult | None = None
    fault: str = ""  # the grader could not build a sandbox for it: a grader error, not a grade
    load_output: str = ""
    load_output_truncated: bool = False
    cases: list[CaseResult] = field(default_factory=list)
    duration_s: float = 0.0


class _SubmissionState:
    """One submission's sandbox across the session; respawned if a check had to kill it."""

    def __init__(self, run: SubmissionRun, exercise: Exercise, zygote: Zygote) -> None:
        self.run = run
        self.exercise = exercise
        self.zygote = zygote
        self.sandbox: Sandbox | None = None
        self.started = time.perf_counter()

    def load(self, sandbox: Sandbox | None = None) -> LoadResult:
        """Wait for ``sandbox`` (one spawned ahead of time for this submission) or a new one to load."""
        self.sandbox = sandbox or self.zygote.spawn(self.run.submission, self.exercise)
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


def classify(excinfo: pytest.ExceptionInfo[BaseException] | None) -> tuple[str, str]:
    """Map what a check raised to (status, student-facing message)."""
    if excinfo is None:
        return "passed", ""
    exc = excinfo.value
    if isinstance(exc, pytest.skip.Exception):
        return "skipped", str(exc)
    if isinstance(exc, StudentRouteError):
        status = "error" if exc.exc_type == "MemoryError" else "failed"
        return status, str(exc)
    if isinstance(exc, (GraderFault, GraderError)):
        return "error", f"the grader failed while running this check (not your fault): {exc}"
    if isinstance(exc, SubmissionProblem):
        return exc.status, str(exc)
    if isinstance(exc, AssertionError):
        text = str(exc).strip() or "an assertion in the check failed"
        return "failed", text
    # The check tripped over the response (e.g. KeyError on JSON it expected): the behaviour is wrong.
    return "failed", f"the check could not use the response: {type(exc).__name__}: {exc}"


class GraderPlugin:
    """The pytest plugin that joins hidden checks to sandboxed submissions."""

    def __init__(self, exercise: Exercise, submissions: dict[str, Submission], zygote: Zygote, reporter: JSONReport,
                 on_done: Callable[[str, SubmissionRun], None] | None = None) -> None:
        self.exercise = exercise
        self.zygote = zygote
        self.reporter = reporter
        self.on_done = on_done
        self.runs = {key: SubmissionRun(sub) for key, sub in submissions.items()}
        self._next = dict(zip(self.runs, list(self.runs)[1:], strict=False))
        # The next submission's sandbox, spawned (by a thread: the zygote takes ~10 ms to answer) and loading
        # while this one is checked.
        self._ahead: dict[str, Future[Sandbox]] = {}
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frg-spawn-ahead")
        self._outputs: dict[str, str] = {}
        self._verdicts: dict[str, tuple[str, str]] = {}
        self._remaining: dict[str, int] = {}  # tests not yet finished, per submission
        self.callback_error: Exception | None = None

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            key = _submission_of(item)
            if key is not None:
                self._remaining[key] = self._remaining.get(key, 0) + 1

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Each test's outcome, as pytest-json-report recorded it, the moment the test ends; and each
        submission's run the moment its last test ends, so a batch can save it before the session is over."""
        if report.when != "teardown":
            return
        test = self.reporter._json_tests.get(report.nodeid)  # the entry pytest-json-report just completed
        meta = ((test or {}).get("metadata") or {}).get("grader")
        if not meta or meta.get("submission") not in self.runs:
            return
        key = meta["submission"]
        duration = sum(float(test.get(phase, {}).get("duration", 0.0)) for phase in ("setup", "call", "teardown"))
        self.runs[key].cases.append(CaseResult(test=meta["test"], status=meta["status"], message=meta["message"],
                                               duration_s=duration, output=meta.get("output", ""),
                                               case=meta.get("case", "")))
        self._remaining[key] -= 1
        if self._remaining[key] == 0:
            self._notify(key)

    def _notify(self, key: str) -> None:
        if self.on_done is None:
            return
        try:
            self.on_done(key, self.runs[key])
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
        state = _SubmissionState(run, self.exercise, self.zygote)
        try:
            try:
                ahead = _sandbox_of(self._ahead.pop(request.param, None))
                self._spawn_ahead(self._next.get(request.param))
                run.load = state.load(ahead)
            except SandboxError as exc:
                run.fault = exc.message
                pytest.skip("the grader could not build a sandbox")
            if state.sandbox is not None:
                run.load_output = state.sandbox.output.text()
                run.load_output_truncated = state.sandbox.output.dropped > 0
            if not run.load.ok:
                pytest.skip("the submission did not load")
            yield state
        finally:
            state.close()

    def _spawn_ahead(self, key: str | None) -> None:
        """Start loading the next submission now: its start-up then overlaps this one's checks."""
        for stale in [k for k in self._ahead if k != key]:  # pytest ran submissions out of order: never hoard
            _kill(self._ahead.pop(stale))
        if key is not None and key not in self._ahead:
            self._ahead[key] = self._spawner.submit(self.zygote.spawn, self.runs[key].submission, self.exercise)

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
            self._outputs[request.node.nodeid] = channel.finish()

    # -- classify each test as it ends, and hand the verdict to pytest-json-report as metadata

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
            self._verdicts[item.nodeid] = classify(call.excinfo)
        elif call.when == "teardown" and call.excinfo is not None and item.nodeid not in self._verdicts:
            self._verdicts[item.nodeid] = classify(call.excinfo)

    def pytest_json_runtest_metadata(self, item: pytest.Item, call: pytest.CallInfo[None]) -> dict[str, Any]:
        if call.when != "teardown":
            return {}
        status, message = self._verdicts.pop(item.nodeid, ("error", "the check did not run"))
        callspec = getattr(item, "callspec", None)
        key = _submission_of(item)
        return {"grader": {"submission": key, "test": _test_id(item), "case": _case_id(callspec, key),
                           "status": status, "message": message[:_MESSAGE_LIMIT],
                           "output": self._outputs.pop(item.nodeid, "")}}


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
               on_done: Callable[[str, SubmissionRun], None] | None = None) -> dict[str, SubmissionRun]:
    """Run the exercise's checks (or only ``tests``) against each submission; one pytest session.

    ``on_done(key, run)`` is called as soon as each submission's last check has ended.
    """
    files = check_files(exercise)
    if tests is not None:
        wanted = {t.split("::", 1)[0] for t in tests}
        files = [f for f in files if f.name in wanted]
    reporter = JSONReport()
    plugin = GraderPlugin(exercise, submissions, zygote, reporter, on_done)
    args = [
        *[str(f) for f in files],
        "-c", os.devnull, "--rootdir", str(exercise.checks_dir), "--import-mode=importlib",
        "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:doctest", "-p", "no:pastebin",
        "-p", "no:logging", "-p", "no:warnings", "--capture=no", "-p", "pytest_jsonreport.plugin",
        # Its full gc.collect() at the end of every session costs ~70 ms here (a big heap) and can report nothing
        # of interest: the checks are ours, and the submission's objects live in another process.
        "-p", "no:unraisableexception",
        "--json-report-file=none", "--json-report-omit", "collectors", "log", "traceback", "streams",
        "keywords", "warnings", "-q", "--tb=no", "--no-header",
    ]
    if tests is not None:
        args += ["-k", " or ".join(t.rsplit("::", 1)[-1] for t in tests)]
    with _quiet_pytest_environment(), _forget_modules_under(exercise.checks_dir):
        try:
            code = pytest.main(args, plugins=[plugin, reporter])
        finally:
            plugin.close()
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise GraderError(f"pytest could not run the checks of {exercise.slug} (exit code {int(code)})",
                          tip=f"run `pytest {exercise.checks_dir}` to see why, or `grader validate {exercise.slug}`")
    if plugin.callback_error is not None:
        raise plugin.callback_error
    return plugin.runs
