"""The quiz kind: multiple-choice answers in a YAML or JSON file, scored against a hidden key.

A quiz submission is data, not code: it is parsed with ``yaml.safe_load`` (which builds only plain
dicts, lists, strings and numbers, never objects) or ``json.loads``, in the grading process, after a size
check. Nothing is executed, so no sandbox is needed; the report says so under ``isolation``.

The key lives in ``key.yaml`` beside the spec (the spec holds only the public questions), so the handout,
which copies from the spec, cannot leak it; and the feedback for a wrong answer names the question's topic to
revisit, never the right letter.
"""

from __future__ import annotations

import difflib
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from . import __version__
from .errors import GraderError
from .results import CheckResult, Isolation, Report, ReportStatus, Status
from .sandbox import Submission, read_submission
from .spec import KEY_NAME, Check, Exercise, Question

MAX_ANSWERS_BYTES = 64 * 1024
ANSWER_FILES = ("answers.yaml", "answers.yml", "answers.json")
_NO_SANDBOX_MODE = "none needed: a quiz's answers are data, parsed with yaml.safe_load; no code runs"


class MalformedAnswers(Exception):
    """The answers file cannot be read as answers: the message is shown to the student as is."""


# ----------------------------------------------------------------------------- reading the submission


def read_answers(submission: Path | Submission) -> Submission:
    """The submission as one in-memory file; a file over the size limit is not read (the check says so)."""
    if isinstance(submission, Submission):
        return submission
    if submission.is_file() and submission.stat().st_size > MAX_ANSWERS_BYTES:
        return Submission(path=submission, files=((submission.name, b""),), sha256="")
    if submission.is_file():
        return read_submission(submission, submission.name)
    return read_submission(submission, ANSWER_FILES[0])  # a folder: GraderError if it does not exist


def _answers_file(sub: Submission) -> tuple[str, bytes]:
    files = dict(sub.files)
    if len(files) == 1:
        return next(iter(files.items()))
    for name in ANSWER_FILES:
        if name in files:
            return name, files[name]
    raise MalformedAnswers(f"no answers file: put your answers in {ANSWER_FILES[0]} (or {ANSWER_FILES[2]})")


def _load(name: str, data: bytes, size: int) -> Any:
    if size > MAX_ANSWERS_BYTES:
        raise MalformedAnswers(f"{name} is {size} bytes; an answers file may be at most "
                               f"{MAX_ANSWERS_BYTES // 1024} KB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedAnswers(f"{name} is not UTF-8 text; save it as plain UTF-8") from None
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as yaml_exc:
        # JSON is YAML, except for a few things YAML refuses (tabs as indentation): try JSON before giving up.
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            pass
        where = ""
        mark = getattr(yaml_exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(yaml_exc, "problem", None) or "it is nested too deeply"
        raise MalformedAnswers(f"{name} is not valid YAML or JSON{where}: {problem}") from None


def parse_answers(name: str, data: bytes, questions: tuple[Question, ...], *, size: int | None = None
                  ) -> dict[str, str | None]:
    """Question id -> the letter chosen (upper case), or None when left blank. Raises MalformedAnswers."""
    value = _load(name, data, len(data) if size is None else size)
    ids = [q.id for q in questions]
    example = f"{ids[0]}: A" if ids else "q1: A"
    if value is None:
        raise MalformedAnswers(f"{name} is empty: write one line per question, like `{example}`")
    if not isinstance(value, dict):
        raise MalformedAnswers(f"{name} must map each question to a letter, like `{example}`; it holds a "
                               f"{_kind(value)}")
    choices = {q.id: [letter for letter, _ in q.choices] for q in questions}
    answers: dict[str, str | None] = {}
    for raw_key, raw in value.items():
        key = raw_key.strip().lower() if isinstance(raw_key, str) else raw_key
        if key not in choices:
            close = difflib.get_close_matches(str(key), ids, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else f" (the questions are {', '.join(ids)})"
            raise MalformedAnswers(f"{name}: unknown question `{raw_key}`{hint}")
        if key in answers:
            raise MalformedAnswers(f"{name}: question `{key}` is answered twice")
        answers[key] = _letter(name, key, raw, choices[key])
    return answers


def _kind(value: Any) -> str:
    return {list: "list", str: "piece of text", int: "number", float: "number", bool: "true/false value"}.get(
        type(value), type(value).__name__)


def _either(letters: list[str]) -> str:
    return ", ".join(letters[:-1]) + f" or {letters[-1]}" if len(letters) > 1 else letters[0]


def _letter(name: str, qid: str, raw: Any, allowed: list[str]) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    letter = raw.strip().upper() if isinstance(raw, str) else None
    if letter not in allowed:
        # Containers are named, not shown: YAML can build a list that holds itself.
        shown = repr(raw)[:60] if isinstance(raw, (str, int, float, bool)) else f"a {_kind(raw)}"
        raise MalformedAnswers(f"{name}: the answer to `{qid}` must be one letter, {_either(allowed)}; "
                               f"got {shown}")
    return letter


# ----------------------------------------------------------------------------- the key and the score


def load_key(ex: Exercise) -> dict[str, str]:
    """The answer key, checked against the questions: a broken key is the author's error, never the student's."""
    path = ex.root / KEY_NAME
    if not path.is_file():
        raise GraderError(f"{path}: the quiz {ex.slug} has no answer key",
                          tip=f"write {KEY_NAME} mapping each question id to its letter, e.g. `q1: A`")
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise GraderError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise GraderError(f"{path}: the key must map each question id to a letter, e.g. `q1: A`")
    questions = {q.id: q for q in ex.questions}
    extra = sorted(str(k) for k in data if k not in questions)
    if extra:
        raise GraderError(f"{path}: `{extra[0]}` is not a question of {ex.slug}",
                          tip=f"the questions are {', '.join(questions)}")
    key: dict[str, str] = {}
    for qid, q in questions.items():
        letter = data.get(qid)
        allowed = [c for c, _ in q.choices]
        if not isinstance(letter, str) or letter.strip().upper() not in allowed:
            raise GraderError(f"{path}: `{qid}` must be {_either(allowed)}; got {letter!r}",
                              tip="give every question exactly one right letter")
        key[qid] = letter.strip().upper()
    return key


def _score(check: Check, answer: str | None, right: str) -> CheckResult:
    if answer is None:
        status, message = Status.FAILED, "no answer"
    elif answer == right:
        status, message = Status.PASSED, ""
    else:
        # Name the topic, never the right letter or its text: the student revisits, then tries again.
        status, message = Status.FAILED, f"you answered {answer}, which is not right; revisit: {check.topic}"
    return CheckResult(id=check.id, title=check.title, status=status,
                       score=check.points if status is Status.PASSED else 0.0, points=check.points,
                       message=message, visibility=check.visibility, topic=check.topic)


def grade_quiz(ex: Exercise, submission: Path | Submission, *, visible_only: bool = False,
               key: dict[str, str] | None = None) -> Report:
    started = time.perf_counter()
    key = load_key(ex) if key is None else key
    sub = read_answers(submission)
    checks = ex.visible_checks() if visible_only else ex.checks
    status, message = ReportStatus.GRADED, ""
    try:
        name, data = _answers_file(sub)
        size = submission.stat().st_size if isinstance(submission, Path) and submission.is_file() else len(data)
        answers = parse_answers(name, data, ex.questions, size=size)
        results = [_score(c, answers.get(c.id), key[c.id]) for c in checks]
    except MalformedAnswers as exc:
        status, message = ReportStatus.ERROR, str(exc)
        results = [CheckResult(id=c.id, title=c.title, status=Status.ERROR, score=0.0, points=c.points,
                               message="not graded: the answers file could not be read", visibility=c.visibility,
                               topic=c.topic) for c in checks]
    return Report(
        exercise={"slug": ex.slug, "title": ex.title, "version": ex.version, "statement": ex.statement},
        submission={"path": str(sub.path), "sha256": sub.sha256, "files": sub.names},
        status=status,
        score=round(sum(r.score for r in results), 4),
        max_score=round(sum(c.points for c in checks), 4),
        checks=results,
        duration_s=round(time.perf_counter() - started, 4),
        grader={"version": __version__, "python": sys.version.split()[0]},
        isolation=Isolation(mode=_NO_SANDBOX_MODE),
        message=message,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )

