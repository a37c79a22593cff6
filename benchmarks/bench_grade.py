"""Issue 2: seconds per submission for the grader against two baselines, from one run.

    .venv/bin/python benchmarks/bench_grade.py [--exercise login-greeting] [--n 50] [--subprocess-sample 20]
                                               [--rounds 3] [--against REV]

(a) the grader: Grader.grade_many over N copies in one pytest session, full isolation (zygote start excluded);
(b) the same checks in-process, no isolation: one pytest session, Flask's test client on a fresh app per check;
(c) one `pytest --json-report` subprocess per submission, app in the same process (on a sample of the N).

With ``--against REV``, (a) is also measured for the grader as it was at REV, interleaved with this tree's in
every round, each in a child process of its own virtual environment (REV's own zygote runs, not this tree's),
both on REV's copy of the exercise, and the ratio of the medians is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import floor_seconds, subprocess_each_seconds  # noqa: E402

from grader.grading import Grader  # noqa: E402
from grader.spec import load_exercise  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exercise", default="login-greeting")
    parser.add_argument("--exercises", type=Path, default=Path("exercises"))
    parser.add_argument("--submission", type=Path, help="default: the exercise's solution")
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--subprocess-sample", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="measure each this many times, interleaved; "
                        "print the median and the range (this VM's speed drifts by 10-20%%)")
    parser.add_argument("--against", metavar="REV", help="also measure (a) for the grader at this git revision")
    opts = parser.parse_args()
    if opts.against:
        compare(opts)
        return
    ex = load_exercise(opts.exercise, opts.exercises)
    source = opts.submission or ex.solution_dir / ex.entry
    runs: dict[str, list[float]] = {"a": [], "b": [], "c": []}
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(opts.n):  # distinct files, so nothing can be cached by path
            paths.append(Path(tmp) / f"s{i:04d}.py")
            shutil.copy(source, paths[-1])
        sample = paths[: opts.subprocess_sample]
        floor_seconds(ex, paths[:2])  # warm up, as (a) is below
        for _ in range(opts.rounds):
            with Grader() as grader:
                grader.grade(ex, paths[0])  # start the zygote and warm up; not timed
                start = time.perf_counter()
                reports = grader.grade_many(ex, {str(i): p for i, p in enumerate(paths)})
                runs["a"].append((time.perf_counter() - start) / opts.n)
                mode = next(iter(reports.values())).isolation.mode
            runs["b"].append(floor_seconds(ex, paths) / opts.n)
            runs["c"].append(subprocess_each_seconds(ex, sample) / len(sample))
    a, b, c = (statistics.median(runs[k]) for k in "abc")
    print(f"exercise {ex.slug}, {len(ex.checks)} checks, N={opts.n} copies of {source}, {opts.rounds} round(s)")
    print(f"(a) grader, one session, isolation={mode:<10}  {a * 1000:8.1f} ms/submission  {_spread(runs['a'])}")
    print(f"(b) in-process, Flask test client, fresh app   {b * 1000:8.1f} ms/submission  {_spread(runs['b'])}")
    print(f"(c) pytest --json-report subprocess each (n={len(sample)}) {c * 1000:8.1f} ms/submission  "
          f"{_spread(runs['c'])}")
    print(f"c/a = {c / a:.1f}   a/b = {a / b:.2f}")


# Run in a child: (a) for whichever grader this interpreter imports, on N copies; prints ms per submission.
_MEASURE_A = """
import json, shutil, sys, tempfile, time
from pathlib import Path
from grader.grading import Grader
from grader.spec import load_exercise
ex = load_exercise(Path(sys.argv[1]))
n = int(sys.argv[2])
with tempfile.TemporaryDirectory() as tmp:
    paths = [Path(tmp) / f"s{i:04d}.py" for i in range(n)]
    for p in paths:
        shutil.copy(ex.solution_dir / ex.entry, p)
    with Grader() as grader:
        grader.grade(ex, paths[0])
        start = time.perf_counter()
        reports = grader.grade_many(ex, {str(i): p for i, p in enumerate(paths)})
        took = (time.perf_counter() - start) / n
    assert all(r.score == ex.max_score for r in reports.values()), "not full marks"
    print(json.dumps({"ms": took * 1000, "mode": next(iter(reports.values())).isolation.mode}))
"""


def _baseline_env(rev: str) -> tuple[Path, Path]:
    """REV's tree and a virtual environment with REV installed (non-editable), made once and kept in /tmp."""
    sha = subprocess.run(["git", "rev-parse", rev], capture_output=True, text=True, check=True).stdout.strip()
    home = Path(tempfile.gettempdir()) / f"frg-bench-{sha[:12]}"
    tree, venv = home / "tree", home / "venv"
    if not (venv / "bin" / "python").exists():
        shutil.rmtree(home, ignore_errors=True)
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", sha], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(tree)], check=True)
    return tree, venv


def _measure_a(python: Path, exercise: Path, n: int) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([str(python), "-c", _MEASURE_A, str(exercise), str(n)], capture_output=True, text=True,
                         env=env, cwd=tempfile.gettempdir(), check=True).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def compare(opts: argparse.Namespace) -> None:
    tree, venv = _baseline_env(opts.against)
    exercise = tree / "exercises" / opts.exercise  # the checks both graders can run
    this = Path(sys.executable)
    runs: dict[str, list[float]] = {"now": [], "then": []}
    mode = ""
    for i in range(opts.rounds):
        order = [("now", this), ("then", venv / "bin" / "python")]
        for key, python in order if i % 2 == 0 else order[::-1]:  # alternate who goes first
            result = _measure_a(python, exercise, opts.n)
            runs[key].append(float(result["ms"]))  # type: ignore[arg-type]
            mode = str(result["mode"])
    now, then = statistics.median(runs["now"]), statistics.median(runs["then"])
    print(f"exercise {opts.exercise} (as at {opts.against}), N={opts.n}, {opts.rounds} interleaved round(s), "
          f"isolation={mode}")
    print(f"(a) this tree        {now:8.1f} ms/submission  {_spread([v / 1000 for v in runs['now']])}")
    print(f"(a) at {opts.against:<13} {then:8.1f} ms/submission  {_spread([v / 1000 for v in runs['then']])}")
    print(f"this tree / {opts.against} = {now / then:.3f}")


def _spread(values: list[float]) -> str:
    return f"(range {min(values) * 1000:.0f}-{max(values) * 1000:.0f})" if len(values) > 1 else ""


if __name__ == "__main__":
    main()
