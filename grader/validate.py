"""``grader validate``: is an exercise fit to grade students with?

For each exercise: the spec loads; the reference solution scores full marks; the starter loads and does not;
every check gives the same status when the same code is graded again; every hidden check can fail, i.e. the
starter, a mutant of the reference (see :mod:`grader.mutants`) or a bundled wrong example makes it fail (a
check that nothing can fail may be testing nothing); the bundled wrong examples fail the checks their
``# expect:`` line names; and no two checks always fail together.

Each mutant and each wrong example is one mistake. The overlap table counts how many checks each one fails:
one mistake should cost one check, under the title that names it. Two checks that every mistake fails
together (or not at all) cannot be told apart by any of them: they test the same thing, or nothing tells
them apart yet. The reference, the starter (each graded ``runs`` times), the mutants and the wrong examples
go through one ``grade_many`` call: one pytest session, one zygote.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import GraderError
from .grading import Grader
from .mutants import mutants
from .quiz import load_key
from .results import Report, ReportStatus, Status
from .sandbox import Submission, read_submission
from .spec import Exercise, exercise_folders, load_exercise

_SHOW_KILLERS = 3  # mutant names listed per check in the summary
_EXPECT = re.compile(r"^#\s*expect:\s*(full|error|partial\s*\(fails:\s*([a-z0-9,\s-]+)\))\s*$")


def example_expectation(path: Path) -> tuple[str, frozenset[str]] | None:
    """An example's first line, ``# expect: full | error | partial (fails: id, ...)``, as (kind, check ids)."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    m = _EXPECT.match(lines[0]) if lines else None
    if m is None:
        return None
    kind = m.group(1).split("(")[0].strip()
    return kind, frozenset(s.strip() for s in (m.group(2) or "").split(",") if s.strip())


@dataclass
class Finding:
    """One property of one exercise, held or not, with what the author needs to fix it."""

    name: str
    ok: bool
    detail: str = ""  # one line per problem


@dataclass
class ExerciseValidation:
    ref: str
    slug: str = ""
    kind: str = "flask"
    findings: list[Finding] = field(default_factory=list)
    kills: dict[str, list[str]] = field(default_factory=dict)  # check id -> what made it fail
    # One mistake (a mutant or a bundled wrong example) -> the checks it failed, in spec order.
    mistakes: dict[str, list[str]] = field(default_factory=dict)
    visibility: dict[str, str] = field(default_factory=dict)  # check id -> visibility
    mutants: int = 0
    unloadable_mutants: int = 0
    submissions: int = 0
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def problems(self) -> list[str]:
        return [f"{self.slug or self.ref}: {f.name}: {line}" for f in self.findings if not f.ok
                for line in f.detail.splitlines()]


def discover(exercises_dir: Path) -> list[str]:
    """Every folder under ``exercises_dir`` holding a spec, by path (broken specs included: they are findings)."""
    return [str(p) for p in exercise_folders(exercises_dir)]


def validate_exercise(ref: str, grader: Grader, exercises_dir: Path = Path("exercises"), *,
                      runs: int = 2) -> ExerciseValidation:
    started = time.perf_counter()
    result = ExerciseValidation(ref=ref)
    try:
        ex = load_exercise(ref, exercises_dir)
    except GraderError as exc:
        result.findings.append(Finding("spec valid", False, exc.one_line()))
        return result
    result.slug, result.kind = ex.slug, ex.kind
    result.visibility = {c.id: c.visibility for c in ex.checks}
    result.findings.append(Finding("spec valid", True))
    try:
        if ex.kind == "quiz":
            result.findings += _validate_quiz(ex, grader, result)
        else:
            _validate_flask(ex, grader, result, runs)
    except GraderError as exc:
        result.findings.append(Finding("grading runs", False, exc.one_line()))
    result.duration_s = time.perf_counter() - started
    return result


def _mutant_submissions(ex: Exercise, reference: Submission) -> tuple[dict[str, Submission], dict[str, str]]:
    """Mutants of the entry module as in-memory submissions (other solution files kept), and their names."""
    files = dict(reference.files)
    source = files.get(ex.entry)
    if source is None:
        return {}, {}
    subs: dict[str, Submission] = {}
    names: dict[str, str] = {}
    for i, mutant in enumerate(mutants(source.decode("utf-8"))):
        key = f"mutant-{i + 1:03d}"  # pytest parameter ids: keep them plain
        data = mutant.source.encode("utf-8")
        new_files = tuple((n, data if n == ex.entry else d) for n, d in reference.files)
        subs[key] = replace(reference, path=reference.path / f"{ex.entry} ({key}: {mutant.name})",
                            files=new_files, sha256=hashlib.sha256(data).hexdigest())
        names[key] = mutant.name
    return subs, names


def _statuses(report: Report) -> dict[str, Status]:
    return {c.id: c.status for c in report.checks}


def _failing(report: Report) -> str:
    bad = [f"`{c.id}` {c.status.value}: {c.message.splitlines()[0] if c.message else ''}".rstrip(": ")
           for c in report.checks if c.status is not Status.PASSED]
    return "; ".join(bad)


def _wrong_examples(ex: Exercise) -> tuple[dict[str, Path], dict[str, frozenset[str]], list[str]]:
    """The bundled examples that declare a partial score: each is one mistake a student made."""
    paths: dict[str, Path] = {}
    declared: dict[str, frozenset[str]] = {}
    unreadable: list[str] = []
    for path in sorted((ex.root / "examples").glob("*.py")):
        expectation = example_expectation(path)
        if expectation is None:
            unreadable.append(f"examples/{path.name}: the first line must be `# expect: full`, `# expect: error` or "
                              "`# expect: partial (fails: id, ...)`")
        elif expectation[0] == "partial":
            key = f"example-{path.stem}"
            paths[key], declared[key] = path, expectation[1]
    return paths, declared, unreadable


def _validate_flask(ex: Exercise, grader: Grader, result: ExerciseValidation, runs: int) -> None:
    reference = read_submission(ex.solution_dir, ex.entry)
    starter = read_submission(ex.starter_dir, ex.entry)
    mutant_subs, names = _mutant_submissions(ex, reference)
    examples, declared, unreadable = _wrong_examples(ex)
    names.update({key: f"example {path.stem}" for key, path in examples.items()})
    subs: dict[str, Path | Submission] = {}
    for i in range(runs):
        subs[f"reference-{i + 1}"] = reference
        subs[f"starter-{i + 1}"] = starter
    subs.update(mutant_subs)
    subs.update(examples)
    result.mutants = len(mutant_subs)
    result.submissions = len(subs)
    reports = grader.grade_many(ex, subs)
    refs = [reports[f"reference-{i + 1}"] for i in range(runs)]
    starts = [reports[f"starter-{i + 1}"] for i in range(runs)]

    ref0 = refs[0]
    full = all(r.status is ReportStatus.GRADED and r.score == ex.max_score for r in refs)
    worst = min(refs, key=lambda r: r.score)
    result.findings.append(Finding(
        "reference scores full marks", full,
        f"{worst.score:g}/{ex.max_score:g} ({worst.message or _failing(worst)})" if not full
        else f"{ex.max_score:g}/{ex.max_score:g}"))

    loads = all(r.status is ReportStatus.GRADED for r in starts)
    partial = all(r.score < ex.max_score for r in starts)
    detail = (f"the starter does not load: {next(r.message for r in starts if r.message)}" if not loads
              else "the starter scores full marks: students would start with every point" if not partial
              else f"{starts[0].score:g}/{ex.max_score:g}")
    result.findings.append(Finding("starter loads and does not score full", loads and partial, detail))

    unstable = [f"check `{cid}` is not deterministic: {who} got "
                f"{', '.join(sorted({_statuses(r)[cid].value for r in reps}))} across {runs} runs"
                for who, reps in (("the reference", refs), ("the starter", starts))
                for cid in _statuses(reps[0]) if len({_statuses(r)[cid] for r in reps}) > 1]
    result.findings.append(Finding(
        "checks are deterministic", not unstable,
        "\n".join(unstable) if unstable else f"reference and starter graded {runs} times each"))

    # A mutant that does not load says nothing about any check: leave it out of the kill counts.
    loaded = {k: reports[k] for k in mutant_subs if reports[k].status is ReportStatus.GRADED}
    result.unloadable_mutants = len(mutant_subs) - len(loaded)
    loaded.update({k: reports[k] for k in examples if reports[k].status is ReportStatus.GRADED})
    ref_passed = {cid for cid in _statuses(ref0) if all(_statuses(r)[cid] is Status.PASSED for r in refs)}
    never: list[str] = []
    for check in ex.checks:
        killers = ["starter"] if any(_statuses(r)[check.id] is not Status.PASSED for r in starts) else []
        killers += [names[k] for k, r in loaded.items() if _statuses(r)[check.id] is not Status.PASSED]
        result.kills[check.id] = killers
        if check.visibility != "visible" and check.id in ref_passed and not killers:
            never.append(f"check `{check.id}` never fails: no mutant of the reference, no wrong example and not "
                         "the starter trips it; it may be testing nothing")
    result.findings.append(Finding(
        "every hidden check can fail", not never,
        "\n".join(never) if never else f"{len(loaded) - len(examples)} mutants and {len(examples)} wrong "
                                         "examples graded"))

    result.mistakes = {names[k]: [c.id for c in ex.checks if _statuses(r)[c.id] is not Status.PASSED]
                       for k, r in loaded.items()}
    wrong = list(unreadable)
    for key, fails in declared.items():
        report = reports[key]
        got = {c.id for c in report.checks if c.status is not Status.PASSED}
        if report.status is not ReportStatus.GRADED:
            wrong.append(f"examples/{examples[key].name} does not load: {report.message}")
        elif got != fails:
            wrong.append(f"examples/{examples[key].name} declares it fails {', '.join(sorted(fails)) or 'nothing'} "
                         f"but fails {', '.join(sorted(got)) or 'nothing'}")
    result.findings.append(Finding(
        "wrong examples fail as declared", not wrong,
        "\n".join(wrong) if wrong else f"{len(examples)} example(s)"))
    together = fail_together(result)
    result.findings.append(Finding(
        "no two checks always fail together", not together,
        "\n".join(f"checks {' and '.join(f'`{c}`' for c in group)} always fail together: each of the "
                  f"{len(result.kills[group[0]]) - ('starter' in result.kills[group[0]])} mistake(s) that fails "
                  "one fails all; they may test the same thing (or add a wrong example that tells them apart)"
                  for group in together)))


def fail_together(result: ExerciseValidation) -> list[list[str]]:
    """Groups of two or more checks that exactly the same mistakes fail (the starter aside); at least one does."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for cid, killers in result.kills.items():
        mistakes = tuple(sorted(k for k in killers if k != "starter"))
        if mistakes:
            groups.setdefault(mistakes, []).append(cid)
    return [cids for cids in groups.values() if len(cids) > 1]


def overlap_table(result: ExerciseValidation) -> list[str]:
    """How many checks each single mistake fails, and the mistakes that fail more than one."""
    if not result.mistakes:
        return []
    by_count: dict[int, int] = {}
    for fails in result.mistakes.values():
        by_count[len(fails)] = by_count.get(len(fails), 0) + 1
    examples = sum(name.startswith("example ") for name in result.mistakes)
    lines = [f"  checks failed per single mistake ({len(result.mistakes) - examples} mutants, "
             f"{examples} wrong examples):"]
    for n in sorted(by_count):
        what = "none (the mistake survived)" if n == 0 else f"{n} check{'s' if n > 1 else ''}"
        lines.append(f"      {what:<28} {by_count[n]:>3} mistake{'s' if by_count[n] != 1 else ''}")
    several = [(name, fails) for name, fails in result.mistakes.items() if len(fails) > 1]
    if several:
        width = max(len(name) for name, _ in several)
        lines.append("    mistakes that fail more than one check:")
        lines += [f"      {name:<{width}}  {len(fails)}: {', '.join(fails)}" for name, fails in several]
    return lines


def _validate_quiz(ex: Exercise, grader: Grader, result: ExerciseValidation) -> list[Finding]:
    """A quiz has no checks to mutate: its key must be complete, the solution full and the starter not."""
    try:
        load_key(ex)
    except GraderError as exc:
        return [Finding("answer key complete", False, exc.one_line())]
    findings = [Finding("answer key complete", True, f"{len(ex.questions)} questions")]
    reports = grader.grade_many(ex, {"solution": ex.solution_dir, "starter": ex.starter_dir})
    result.submissions = len(reports)
    sol, start = reports["solution"], reports["starter"]
    full = sol.status is ReportStatus.GRADED and sol.score == ex.max_score
    findings.append(Finding("solution scores full marks", full,
                            f"{sol.score:g}/{ex.max_score:g}" + ("" if full else f" ({sol.message or _failing(sol)})")))
    ok = start.status is ReportStatus.GRADED and start.score < ex.max_score
    findings.append(Finding("starter loads and does not score full", ok,
                            f"{start.score:g}/{ex.max_score:g}" if ok else start.message or
                            "the starter scores full marks: it holds the answers"))
    return findings


def format_validation(result: ExerciseValidation) -> str:
    """The per-exercise summary ``grader validate`` prints (plain text; the CLI adds no colour)."""
    lines = [f"{result.slug or result.ref}"]
    for f in result.findings:
        mark = "✓" if f.ok else "✗"
        lines.append(f"  {mark} {f.name}" + (f" ({f.detail})" if f.ok and f.detail else ""))
        if not f.ok:
            lines += [f"      {line}" for line in f.detail.splitlines()]
    if result.kills:
        width = max(len(c) for c in result.kills)
        examples = sum(name.startswith("example ") for name in result.mistakes)
        for cid, killers in result.kills.items():
            mutant_kills = [k for k in killers if k != "starter" and not k.startswith("example ")]
            example_kills = [k for k in killers if k.startswith("example ")]
            who = (["starter"] if "starter" in killers else []) + (
                [f"{len(mutant_kills)}/{result.mutants - result.unloadable_mutants} mutants"] if mutant_kills else []
            ) + ([f"{len(example_kills)}/{examples} wrong examples"] if example_kills else [])
            shown = ", ".join(mutant_kills[:_SHOW_KILLERS]) + (", ..." if len(mutant_kills) > _SHOW_KILLERS else "")
            lines.append(f"      {cid:<{width}}  {result.visibility.get(cid, ''):<7}  failed by "
                         f"{' + '.join(who) or 'nothing'}" + (f"  [{shown}]" if shown else ""))
    lines += overlap_table(result)
    extra = f", {result.unloadable_mutants} did not load (ignored)" if result.unloadable_mutants else ""
    mutated = f"{result.mutants} mutants{extra}; " if result.kind == "flask" else ""
    lines.append(f"  {mutated}{result.submissions} submissions graded in {result.duration_s:.1f} s")
    return "\n".join(lines)
