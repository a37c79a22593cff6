"""Issue 14: `grader batch --broker` through Celery and Redis, against the local pool, on the same class.

    .venv/bin/python benchmarks/bench_distributed.py [--n 200] [--rounds 3] [--empty-tasks 300]

Starts its own `redis-server` on a free loopback port (no persistence) and `grader worker` processes. The class is
bench_batch's (login-greeting, 55% correct, 25% wrong, 10% crash, 10% time out, short limits). Prints per
submission, measured in interleaved rounds: (l) `grader batch --workers 1` (the local pool), (c1) through Celery
with one worker process, (c2) with two worker processes (two `grader worker --concurrency 1`); c1/l (target
<= 1.15) and c1/c2 (the throughput of two against one); and (e) the broker's own cost per task: tasks that carry
no submission, sent at once and waited for, through one worker process (publish, deliver, ack, store and fetch
the result).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import LIMITS, build_class  # noqa: E402

from grader.distributed import Task, bundle_exercise, make_app  # noqa: E402
from grader.distributed.app import TASK_NAME  # noqa: E402
from grader.distributed.worker import bundle_key  # noqa: E402
from grader.spec import load_exercise  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GRADER = str(Path(sys.executable).parent / "grader")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def start_workers(url: str, names: list[str]) -> list[subprocess.Popen[bytes]]:
    procs = [subprocess.Popen([GRADER, "worker", "--broker", url, "--concurrency", "1", "--name", name],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name in names]
    app = make_app(url, visibility_timeout_s=60)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if set(names) <= {n for reply in app.control.ping(timeout=0.5) or [] for n in reply}:
            return procs
    raise SystemExit("workers did not start")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=30)


def batch_seconds(subs: Path, exercises: Path, *extra: str) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([GRADER, "batch", str(subs), "--exercise", "login-greeting", "--exercises", str(exercises),
                        "--out", out, *extra], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start


def empty_task_seconds(url: str, exercises: Path, n: int) -> float:
    """Per task: n tasks without submissions, published at once, waited for (one worker process)."""
    import redis
    from celery.result import ResultSet

    ex = load_exercise("login-greeting", exercises)
    bundle = bundle_exercise(ex)
    redis.Redis.from_url(url).set(bundle_key(bundle.sha256), json.dumps(bundle.to_json()))
    app = make_app(url, visibility_timeout_s=60)
    warm = app.send_task(TASK_NAME, args=[Task("bench", ex.slug, ex.version, bundle.sha256, ()).to_json()],
                         queue="grader")
    warm.get(timeout=60)  # the worker has fetched and installed the exercise
    start = time.perf_counter()
    results = [app.send_task(TASK_NAME, args=[Task("bench", ex.slug, ex.version, bundle.sha256, ()).to_json()],
                             queue="grader") for _ in range(n)]
    for _ in ResultSet(results, app=app).iter_native():
        pass
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1, help="measure each this many times, interleaved; print "
                        "the median and the range")
    parser.add_argument("--empty-tasks", type=int, default=300)
    opts = parser.parse_args()
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server is needed: apt-get install -y redis-server")
    runs: dict[str, list[float]] = {"l": [], "c1": [], "c2": [], "e": []}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        exercises = tmp / "exercises"
        shutil.copytree(ROOT / "exercises" / "login-greeting", exercises / "login-greeting")
        spec = exercises / "login-greeting" / "exercise.yaml"
        spec.write_text(spec.read_text() + LIMITS)
        subs = tmp / "class"
        subs.mkdir()
        build_class(subs, opts.n, ROOT / "exercises")
        (tmp / "redis").mkdir()
        redis_proc, url = start_redis(tmp / "redis")
        try:
            for _ in range(opts.rounds):
                runs["l"].append(batch_seconds(subs, exercises, "--workers", "1") / opts.n)
                one = start_workers(url, ["b1@bench"])
                try:
                    runs["c1"].append(batch_seconds(subs, exercises, "--broker", url) / opts.n)
                    runs["e"].append(empty_task_seconds(url, exercises, opts.empty_tasks))
                finally:
                    stop(one)
                two = start_workers(url, ["b1@bench", "b2@bench"])
                try:
                    runs["c2"].append(batch_seconds(subs, exercises, "--broker", url) / opts.n)
                finally:
                    stop(two)
        finally:
            redis_proc.kill()
            redis_proc.wait()
    local, c1, c2, e = (statistics.median(runs[k]) for k in ("l", "c1", "c2", "e"))
    print(f"class of N={opts.n} login-greeting submissions (bench_batch's mix, short limits), {opts.rounds} round(s)")
    print(f"(l)  grader batch --workers 1 (local pool)        {local * 1000:7.1f} ms/submission  {_spread(runs['l'])}")
    print(f"(c1) grader batch --broker, 1 worker process      {c1 * 1000:7.1f} ms/submission  {_spread(runs['c1'])}")
    print(f"(c2) grader batch --broker, 2 worker processes    {c2 * 1000:7.1f} ms/submission  {_spread(runs['c2'])}")
    print(f"(e)  broker cost per task (no submission in it)   {e * 1000:7.2f} ms/task  {_spread(runs['e'], 2)}")
    print(f"c1/l = {c1 / local:.2f} (target <= 1.15)   throughput 2 workers / 1 = {c1 / c2:.2f}x")


def _spread(values: list[float], digits: int = 0) -> str:
    return (f"(range {min(values) * 1000:.{digits}f}-{max(values) * 1000:.{digits}f})"
            if len(values) > 1 else "")


if __name__ == "__main__":
    main()
