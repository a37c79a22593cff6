"""``grader validate``: is an exercise fit to grade students with?

For each exercise: the spec loads; the reference solution scores full marks; the starter loads and does not;
every check gives the same status when the same code is graded again; and every hidden check can fail,
i.e. the starter or at least one mutant of the reference (see :mod:`grader.mutants`) makes it fail. A check
that nothing can fail may be testing nothing. The reference, the starter (each graded ``runs`` times) and all
the mutants go through one ``grade_many`` call: one pytest session, one zygote.
"""

from __future__ import annotations

import hashlib
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


def _validate_flask(ex: Exercise, grader: Grader, result: ExerciseValidation, runs: int) -> None:
    reference = read_submission(ex.solution_dir, ex.entry)
    starter = read_submission(ex.starter_dir, ex.entry)
    mutant_subs, names = _mutant_submissions(ex, reference)
    subs: dict[str, Path | Submission] = {}
    for i in range(runs):
        subs[f"reference-{i + 1}"] = reference
        subs[f"starter-{i + 1}"] = starter
    subs.update(mutant_subs)
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
    ref_passed = {cid for cid in _statuses(ref0) if all(_statuses(r)[cid] is Status.PASSED for r in refs)}
    never: list[str] = []
    for check in ex.checks:
        killers = ["starter"] if any(_statuses(r)[check.id] is not Status.PASSED for r in starts) else []
        killers += [names[k] for k, r in loaded.items() if _statuses(r)[check.id] is not Status.PASSED]
        result.kills[check.id] = killers
        if check.visibility != "visible" and check.id in ref_passed and not killers:
            never.append(f"check `{check.id}` never fails: no mutant of the reference and not the starter trips "
                         "it; it may be testing nothing")
    result.findings.append(Finding(
        "every hidden check can fail", not never,
        "\n".join(never) if never else f"{len(loaded)} mutants graded"))


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
        for cid, killers in result.kills.items():
            mutant_kills = [k for k in killers if k != "starter"]
            who = (["starter"] if "starter" in killers else []) + (
                [f"{len(mutant_kills)}/{result.mutants - result.unloadable_mutants} mutants"] if mutant_kills else [])
            shown = ", ".join(mutant_kills[:_SHOW_KILLERS]) + (", ..." if len(mutant_kills) > _SHOW_KILLERS else "")
            lines.append(f"      {cid:<{width}}  {result.visibility.get(cid, ''):<7}  failed by "
                         f"{' + '.join(who) or 'nothing'}" + (f"  [{shown}]" if shown else ""))
    extra = f", {result.unloadable_mutants} did not load (ignored)" if result.unloadable_mutants else ""
    mutated = f"{result.mutants} mutants{extra}; " if result.kind == "flask" else ""
    lines.append(f"  {mutated}{result.submissions} submissions graded in {result.duration_s:.1f} s")
    return "\n".join(lines)
