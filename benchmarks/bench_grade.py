"""Issue 2: seconds per submission for the grader against two baselines, from one run.

    .venv/bin/python benchmarks/bench_grade.py [--exercise login-greeting] [--n 50] [--subprocess-sample 20]
                                               [--rounds 3]

(a) the grader: Grader.grade_many over N copies in one pytest session, full isolation (zygote start excluded);
(b) the same checks in-process, no isolation: one pytest session, Flask's test client on a fresh app per check;
(c) one `pytest --json-report` subprocess per submission, app in the same process (on a sample of the N).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
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
    opts = parser.parse_args()
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


def _spread(values: list[float]) -> str:
    return f"(range {min(values) * 1000:.0f}-{max(values) * 1000:.0f})" if len(values) > 1 else ""


if __name__ == "__main__":
    main()
