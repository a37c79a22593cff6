"""Issue 4: `grader batch` on a generated class, against the in-process floor and a subprocess per submission.

    .venv/bin/python benchmarks/bench_batch.py [--n 200] [--n-big 1000] [--subprocess-sample 30] [--rounds 3]

The class mixes correct (55%), wrong (25%), crashing (10%: syntax error, os._exit at import, a view that
raises) and timing-out (10%: a loop at import, or in GET /login only) submissions of login-greeting. A copy of
the exercise with SHORT limits is used (load 1 s, request 0.3 s, check 1 s) so timeouts do not dominate.
Prints per submission: (a) `grader batch --workers 1`, (b) the floor (one in-process pytest session, Flask's
test client, fresh app per check), (c) one `pytest --json-report` subprocess per submission (a sample), (b) and
(c) stopping loops at the same limits with SIGALRM;
c/a, a/b, the speed-up of 2 workers over 1, and the peak RSS of the batch process tree at N and N-big.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import floor_seconds, subprocess_each_seconds  # noqa: E402

from grader.spec import load_exercise  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LIMITS = "limits: {load_timeout_s: 1, request_timeout_s: 0.3, check_timeout_s: 1}\n"
RAISES = "from flask import Flask\napp = Flask(__name__)\n@app.post('/login')\ndef login():\n    return 1 / 0\n"
LOOP_IMPORT = "while True:\n    pass\n"
LOOP_GET = ("from flask import Flask, request\napp = Flask(__name__)\n@app.route('/login', methods=['GET', 'POST'])\n"
            "def login():\n    while request.method == 'GET':\n        pass\n"
            "    return f\"Hello {request.get_json()['username']} from {request.args['source']}\"\n")


def build_class(root: Path, n: int, exercises: Path) -> None:
    ex = exercises / "login-greeting"
    good = [(ex / "solution" / "app.py").read_text()] + [
        (ex / "examples" / f).read_text() for f in ("blueprint.py", "create-app-factory.py", "lesson-snippet.py")]
    wrong = [(ex / "examples" / f).read_text() for f in ("hardcoded.py", "source-from-json.py", "accepts-get.py")]
    crash = ["def broken(:\n", "import os\nos._exit(3)\n", RAISES]
    slow = [LOOP_IMPORT, LOOP_GET]
    for i in range(n):
        r = i % 20  # 11 good, 5 wrong, 2 crash, 2 timeout in every 20
        text = good[i % 4] if r < 11 else wrong[i % 3] if r < 16 else crash[i % 3] if r < 18 else slow[i % 2]
        (root / f"student{i:05d}.py").write_text(text)


def _tree_rss(pid: int) -> int:
    """Sum of RSS over pid and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    total, stack = 0, [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        p = stack.pop()
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page
        except (OSError, ValueError, IndexError):
            pass
        stack.extend(children.get(p, []))
    return total


def run_batch(subs: Path, exercises: Path, workers: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as out:
        args = [str(Path(sys.executable).parent / "grader"), "batch", str(subs), "--exercise", "login-greeting",
                "--exercises", str(exercises), "--out", out, "--workers", str(workers)]
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = [0]

        def sample() -> None:
            while proc.poll() is None:
                peak[0] = max(peak[0], _tree_rss(proc.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        seconds = time.perf_counter() - start
        sampler.join()
        assert code == 0, f"grader batch exited {code}"
        return seconds, peak[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--n-big", type=int, default=1000, help="0 to skip the memory run at this size")
    parser.add_argument("--subprocess-sample", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1, help="measure each this many times, interleaved; "
                        "print the median and the range (this VM's speed drifts by 10-20%%)")
    opts = parser.parse_args()
    runs: dict[str, list[float]] = {"a": [], "two": [], "b": [], "c": [], "rss1": [], "rss2": []}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        exercises = tmp / "exercises"
        shutil.copytree(ROOT / "exercises" / "login-greeting", exercises / "login-greeting")
        spec = exercises / "login-greeting" / "exercise.yaml"
        spec.write_text(spec.read_text() + LIMITS)
        ex = load_exercise("login-greeting", exercises)
        subs = tmp / "class"
        subs.mkdir()
        build_class(subs, opts.n, ROOT / "exercises")
        paths = sorted(subs.iterdir())
        # The floor ends a loop with SIGALRM, as the grader's limits would; os._exit would end the floor itself.
        safe = [p for p in paths if "_exit" not in p.read_text()]
        sample = paths[: opts.subprocess_sample]
        floor_seconds(ex, safe[:4])  # warm up (imports, check modules), as (a) starts its own process first
        for _ in range(opts.rounds):
            seconds, rss = run_batch(subs, exercises, 1)
            runs["a"].append(seconds / opts.n)
            runs["rss1"].append(rss)
            seconds, rss = run_batch(subs, exercises, 2)
            runs["two"].append(seconds / opts.n)
            runs["rss2"].append(rss)
            runs["b"].append(floor_seconds(ex, safe) / len(safe))
            runs["c"].append(subprocess_each_seconds(ex, sample, timeout=5) / len(sample))
        big = None
        if opts.n_big:
            subs_big = tmp / "class-big"
            subs_big.mkdir()
            build_class(subs_big, opts.n_big, ROOT / "exercises")
            big = run_batch(subs_big, exercises, 2)
    a, two, b, c, rss1, rss2 = (statistics.median(runs[k]) for k in ("a", "two", "b", "c", "rss1", "rss2"))
    print(f"class of N={opts.n} login-greeting submissions (55% correct, 25% wrong, 10% crash, 10% time out; "
          f"short limits), {opts.rounds} round(s)")
    print(f"(a) grader batch --workers 1, full isolation   {a * 1000:8.1f} ms/submission  {_spread(runs['a'])} "
          "(start-up included)")
    print(f"(b) floor: in-process pytest, fresh app/check  {b * 1000:8.1f} ms/submission  {_spread(runs['b'])} "
          f"(n={len(safe)}: os._exit would end it; the same limits, by SIGALRM)")
    print(f"(c) pytest --json-report subprocess each       {c * 1000:8.1f} ms/submission  {_spread(runs['c'])} "
          f"(n={len(sample)})")
    print(f"c/a = {c / a:.1f}   a/b = {a / b:.2f}   2 workers: {two * 1000:.1f} ms/submission, speed-up {a / two:.2f}x")
    print(f"peak RSS of the batch process tree: N={opts.n}: {rss1 / 2**20:.0f} MB (1 worker), "
          f"{rss2 / 2**20:.0f} MB (2 workers)")
    if big:
        print(f"peak RSS at N={opts.n_big} (2 workers): {big[1] / 2**20:.0f} MB ({big[1] / rss2:.2f}x N={opts.n}); "
              f"{big[0]:.1f} s, {big[0] / opts.n_big * 1000:.1f} ms/submission")


def _spread(values: list[float]) -> str:
    return f"(range {min(values) * 1000:.0f}-{max(values) * 1000:.0f})" if len(values) > 1 else ""


if __name__ == "__main__":
    main()
