"""Load and validate an exercise folder into a typed :class:`Exercise`.

The spec YAML is the one place for points, titles, visibility and limits. Validation follows pypa/build:
``yaml.safe_load``, then checks that name the key, reject unknown keys and suggest the nearest valid one,
and give the line where the YAML itself is broken.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import SpecError

SPEC_NAMES = ("exercise.yaml", "exercise.yml")
KEY_NAME = "key.yaml"  # a quiz's answer key: beside the spec, never in it, so handouts cannot copy it
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class Limits:
    load_timeout_s: float = 10.0
    request_timeout_s: float = 5.0
    check_timeout_s: float = 15.0
    memory_mb: int = 256
    max_processes: int = 32
    output_kb: int = 64
    disk_mb: int = 64


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    points: float
    visibility: str
    test: str  # "file.py::test_name" or "file.py::TestClass::test_name", relative to the checks folder; "" in a quiz
    topic: str | None = None

    @property
    def file(self) -> str:
        return self.test.split("::", 1)[0]


@dataclass(frozen=True)
class Question:
    """One multiple-choice question of a quiz: public (the key is in key.yaml)."""

    id: str
    text: str
    choices: tuple[tuple[str, str], ...]  # (letter, text), in letter order
    topic: str


@dataclass(frozen=True)
class Exercise:
    slug: str
    title: str
    statement: str
    topics: tuple[str, ...]
    kind: str
    entry: str
    app: str | None
    limits: Limits
    checks: tuple[Check, ...]
    root: Path
    spec_path: Path
    starter_dir: Path
    solution_dir: Path
    checks_dir: Path
    version: str = field(default="")  # hash of every file the grade depends on
    questions: tuple[Question, ...] = ()  # kind quiz only

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))

    def check_by_test(self) -> dict[str, Check]:
        return {c.test: c for c in self.checks}

    def visible_checks(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.visibility == "visible")


@lru_cache(maxsize=1)
def spec_schema() -> dict[str, Any]:
    text = resources.files("grader").joinpath("schemas/exercise.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def find_spec(root: Path) -> Path:
    for name in SPEC_NAMES:
        if (root / name).is_file():
            return root / name
    raise SpecError(
        f"{root}: no exercise spec found",
        tip=f"an exercise folder holds {SPEC_NAMES[0]}; create one with `grader new SLUG`",
    )


def resolve_exercise(ref: str | Path, exercises_dir: Path = Path("exercises")) -> Path:
    """EXERCISE on the command line is a path, or a slug under ./exercises."""
    path = Path(ref)
    if path.is_dir():
        return path
    if path.is_file() and path.name in SPEC_NAMES:
        return path.parent
    candidate = exercises_dir / str(ref)
    if candidate.is_dir():
        return candidate
    known = sorted(p.name for p in exercises_dir.iterdir() if p.is_dir()) if exercises_dir.is_dir() else []
    close = difflib.get_close_matches(str(ref), known, n=1)
    tip = f"did you mean `{close[0]}`?" if close else "run `grader list` to see the exercises"
    raise SpecError(f"exercise `{ref}` not found (not a folder, nor a slug under {exercises_dir}/)", tip=tip)


def load_exercise(ref: str | Path, exercises_dir: Path = Path("exercises")) -> Exercise:
    root = resolve_exercise(ref, exercises_dir).resolve()
    spec_path = find_spec(root)
    data = _read_yaml(spec_path)
    _validate_against_schema(data, spec_path)
    exercise = _build(data, root, spec_path)
    _check_files(exercise)
    return replace(exercise, version=exercise_version(exercise))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not UTF-8 text", tip="save the spec as UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        message = f"{where}: invalid YAML: {exc.problem or exc.context}"
        if exc.context and exc.context_mark and mark and exc.context_mark.line != mark.line:
            # Where the unclosed bracket or quote began is usually where the mistake is.
            message += f" ({exc.context} on line {exc.context_mark.line + 1})"
        raise SpecError(message, tip="check the indentation and quoting on that line") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: the spec must be a mapping of keys (slug, title, statement, checks...)")
    return data


def _key_path(path: Any) -> str:
    parts: list[str] = []
    for p in path:
        parts.append(f"[{p}]" if isinstance(p, int) else (f".{p}" if parts else str(p)))
    return "".join(parts) or "(top level)"


def _validate_against_schema(data: dict[str, Any], spec_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(spec_schema())
    # Shallowest first; at one depth a `not` (a key that this kind of exercise may not have) explains best.
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), e.validator != "not",
                                                               list(map(str, e.absolute_path))))
    if not errors:
        return
    err = errors[0]
    where = _key_path(err.absolute_path)
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(set(err.instance) - set(allowed))
        key = extra[0]
        close = difflib.get_close_matches(key, allowed, n=1)
        tip = f"did you mean `{close[0]}`?" if close else f"valid keys here: {', '.join(allowed)}"
        place = f" in `{where}`" if err.absolute_path else ""
        raise SpecError(f"{spec_path}: unknown key `{key}`{place}", tip=tip)
    if err.validator == "required":
        missing = [k for k in err.validator_value if k not in err.instance][0]
        place = f"`{where}`" if err.absolute_path else "the spec"
        raise SpecError(f"{spec_path}: {place} is missing the required key `{missing}`")
    if err.validator == "enum":
        raise SpecError(
            f"{spec_path}: `{where}` is {err.instance!r}",
            tip=f"use one of: {', '.join(map(str, err.validator_value))}",
        )
    if err.validator == "not" and where == "questions":
        raise SpecError(f"{spec_path}: `questions` is only for quiz exercises",
                        tip="add `kind: quiz`, or remove `questions`")
    if err.validator == "not" and where.endswith(".test"):
        raise SpecError(f"{spec_path}: `{where}`: a quiz check has no `test`; it is graded from the answer key "
                        f"({KEY_NAME})", tip="remove the `test` key")
    if err.validator == "pattern" and where.endswith(".test"):
        raise SpecError(
            f"{spec_path}: `{where}` is {err.instance!r}",
            tip="name the pytest test as FILE.py::test_name, relative to the checks folder",
        )
    raise SpecError(f"{spec_path}: `{where}`: {err.message}")


def _build(data: dict[str, Any], root: Path, spec_path: Path) -> Exercise:
    if data["slug"] != root.name and not data.get("handout"):
        raise SpecError(
            f"{spec_path}: slug `{data['slug']}` does not match the folder name `{root.name}`",
            tip="rename the folder or the slug so they agree",
        )
    checks = tuple(
        Check(
            id=c["id"],
            title=c["title"],
            points=float(c["points"]),
            visibility=c.get("visibility", "hidden"),
            test=c.get("test", ""),
            topic=c.get("topic"),
        )
        for c in data["checks"]
    )
    questions = _questions(data, spec_path)
    if questions:
        checks = _match_questions(checks, questions, spec_path)
    seen: dict[str, int] = {}
    for i, c in enumerate(checks):
        if c.id in seen:
            raise SpecError(f"{spec_path}: `checks[{i}].id` {c.id!r} repeats `checks[{seen[c.id]}].id`")
        seen[c.id] = i
    tests: dict[str, str] = {}
    for c in checks:
        if c.test and c.test in tests:
            raise SpecError(f"{spec_path}: checks `{tests[c.test]}` and `{c.id}` map to the same test {c.test}")
        tests[c.test] = c.id
    limits = Limits(**data.get("limits", {}))
    return Exercise(
        slug=data["slug"],
        title=data["title"],
        statement=data["statement"],
        topics=tuple(data.get("topics", ())),
        kind=data.get("kind", "flask"),
        entry=data.get("entry", "app.py"),
        app=data.get("app"),
        limits=limits,
        checks=checks,
        root=root,
        spec_path=spec_path,
        starter_dir=root / data.get("starter", "starter"),
        solution_dir=root / data.get("solution", "solution"),
        checks_dir=root / data.get("checks_dir", "checks"),
        questions=questions,
    )


def _questions(data: dict[str, Any], spec_path: Path) -> tuple[Question, ...]:
    questions = tuple(Question(id=q["id"], text=q["text"], choices=tuple(sorted(q["choices"].items())),
                               topic=q["topic"]) for q in data.get("questions", ()))
    seen: set[str] = set()
    for i, q in enumerate(questions):
        if q.id in seen:
            raise SpecError(f"{spec_path}: `questions[{i}].id` {q.id!r} repeats an earlier question")
        seen.add(q.id)
    return questions


def _match_questions(checks: tuple[Check, ...], questions: tuple[Question, ...],
                     spec_path: Path) -> tuple[Check, ...]:
    """A quiz scores each question as the check with the same id; the question's topic is the check's."""
    by_id = {q.id: q for q in questions}
    for i, c in enumerate(checks):
        if c.id not in by_id:
            close = difflib.get_close_matches(c.id, sorted(by_id), n=1)
            raise SpecError(f"{spec_path}: `checks[{i}].id` {c.id!r} is not the id of a question",
                            tip=f"did you mean `{close[0]}`?" if close else
                            f"a quiz has one check per question: {', '.join(by_id)}")
    missing = [q.id for q in questions if q.id not in {c.id for c in checks}]
    if missing:
        raise SpecError(f"{spec_path}: question `{missing[0]}` has no entry under `checks`",
                        tip="give every question a check (id, title, points, visibility)")
    return tuple(replace(c, topic=c.topic or by_id[c.id].topic) for c in checks)


def collect_test_names(path: Path) -> set[str]:
    """Test ids (``file.py::test_x`` and ``file.py::TestY::test_x``) defined in one checks file, by AST."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as exc:
        raise SpecError(f"{path}:{exc.lineno}: the checks file has a syntax error: {exc.msg}") from None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            names.add(f"{path.name}::{node.name}")
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith("test"):
                    names.add(f"{path.name}::{node.name}::{sub.name}")
    return names


def check_files(ex: Exercise) -> list[Path]:
    return sorted(ex.checks_dir.glob("test_*.py")) + sorted(ex.checks_dir.glob("*_test.py"))


def _check_files(ex: Exercise) -> None:
    spec = ex.spec_path
    if ex.kind == "quiz":
        return
    if not ex.checks_dir.is_dir():
        raise SpecError(f"{spec}: the checks folder {ex.checks_dir} does not exist")
    defined: set[str] = set()
    for f in check_files(ex):
        defined |= collect_test_names(f)
    mapped = {c.test for c in ex.checks}
    for c in ex.checks:
        if c.test not in defined:
            close = difflib.get_close_matches(c.test, sorted(defined), n=1)
            raise SpecError(
                f"{spec}: check `{c.id}` maps to {c.test}, which is not a test in {ex.checks_dir.name}/",
                tip=f"did you mean `{close[0]}`?" if close else "add the test or fix the `test` key",
            )
    unmapped = sorted(defined - mapped)
    if unmapped:
        raise SpecError(
            f"{spec}: test {unmapped[0]} has no entry under `checks`",
            tip="give every test a check entry (id, title, points, visibility), or delete the test",
        )
    # Handouts copy whole files, so a file that holds a visible check must hold nothing else.
    by_file: dict[str, set[str]] = {}
    for c in ex.checks:
        by_file.setdefault(c.file, set()).add(c.visibility)
    for fname, vis in sorted(by_file.items()):
        if "visible" in vis and len(vis) > 1:
            raise SpecError(
                f"{spec}: {fname} mixes visible and non-visible checks",
                tip="put the visible checks in a file of their own (e.g. test_visible.py): "
                "handouts copy whole files",
            )


def exercise_version(ex: Exercise) -> str:
    """A hash of what a grade depends on: the spec and the checks (not starter or solution)."""
    h = hashlib.sha256()
    files = [ex.spec_path, *sorted(ex.checks_dir.rglob("*.py"))] if ex.checks_dir.is_dir() else [ex.spec_path]
    if ex.kind == "quiz" and (ex.root / KEY_NAME).is_file():
        files.append(ex.root / KEY_NAME)
    for f in files:
        h.update(str(f.relative_to(ex.root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def exercise_folders(exercises_dir: Path = Path("exercises")) -> list[Path]:
    """Every folder under ``exercises_dir`` holding a spec, sorted (broken specs included): the one listing of
    exercises that ``list``, ``demo``, ``validate`` and ``handout`` all use."""
    if not exercises_dir.is_dir():
        raise SpecError(f"{exercises_dir}: no such folder", tip="run from the course folder, or pass --exercises DIR")
    return [p for p in sorted(exercises_dir.iterdir()) if any((p / n).is_file() for n in SPEC_NAMES)]


def list_exercises(exercises_dir: Path = Path("exercises")) -> list[Exercise]:
    return [load_exercise(p, exercises_dir) for p in exercise_folders(exercises_dir)]
