"""Bounded load on ``grader serve`` over loopback, graded by the local pool on this machine, in two phases:

1. spread: N students (200) each hand in twice within a window (60 s), the 2N hand-ins arriving evenly, through
   HTTP (log in, upload app.py, follow the status as status.js does until graded, read the feedback);
2. rush: N other students all hand in at once, twice each, so the queue stays full: the grading throughput.
   Then ``grader batch`` grades the same submissions with as many workers, in the same run.

Prints, per phase: failed requests, p50/p95 of submit-to-feedback latency (from the upload's POST to the feedback
page loaded) and of page times (every GET and POST the students made), the web process's CPU per hand-in; and
the grading throughput of the rush against the batch's.

    .venv/bin/python benchmarks/bench_portal.py --students 200 --window 60 --workers 2
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
SLUG = "login-greeting"
WRONG = (EXERCISES / SLUG / "starter" / "app.py").read_bytes()
RIGHT = (EXERCISES / SLUG / "solution" / "app.py").read_bytes()
PASSWORD = "bench-password-1"
_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@dataclass
class Stats:
    pages: list[float] = field(default_factory=list)
    feedback: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    status_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self, seconds: float) -> None:
        with self.lock:
            self.pages.append(seconds)


class Student:
    def __init__(self, base: str, name: str, stats: Stats) -> None:
        self.base, self.name, self.stats = base, name, stats
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def _open(self, req: urllib.request.Request | str) -> tuple[str, str]:
        t = time.perf_counter()
        with self.opener.open(req, timeout=60) as resp:
            body = resp.read().decode()
            url = resp.geturl()
        self.stats.page(time.perf_counter() - t)
        return url, body

    def get(self, path: str) -> str:
        return self._open(self.base + path)[1]

    def wait_status(self, path: str) -> str:
        """A status request; not a page time, since a long poll is meant to take until the job moves on."""
        with self.opener.open(self.base + path, timeout=60) as resp:
            body: str = resp.read().decode()
        with self.stats.lock:
            self.stats.status_requests += 1
        return body

    def post_form(self, path: str, token: str, data: dict[str, str]) -> str:
        body = urllib.parse.urlencode({**data, "csrf_token": token}).encode()
        return self._open(urllib.request.Request(self.base + path, data=body))[0]

    def upload(self, path: str, token: str, content: bytes) -> str:
        boundary = uuid.uuid4().hex
        parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n".encode(),
                 f"--{boundary}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"app.py\"\r\n"
                 "Content-Type: text/x-python\r\n\r\n".encode() + content + b"\r\n", f"--{boundary}--\r\n".encode()]
        req = urllib.request.Request(self.base + path, data=b"".join(parts),
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        return self._open(req)[0]

    def wait_graded(self, path: str) -> None:
        """Follow the status as status.js does: a long poll from what was last seen, then ask again when the
        server says (at once after a request that waited; later when it was too busy to hold one open)."""
        seen = {"state": "queued", "phase": "queued"}
        while True:
            query = urllib.parse.urlencode({"wait": 10, **seen})
            status = json.loads(self.wait_status(f"{path}/status.json?{query}"))
            if status["state"] == "done":
                return
            seen = {"state": status["state"], "phase": status["phase"]}
            time.sleep(float(status.get("next_poll_s", 1.0)))

    def run(self, hand_ins: tuple[float, float]) -> None:
        """Log in, then hand in the starter at ``hand_ins[0]`` and the solution at ``hand_ins[1]`` (monotonic
        times), or as soon as the first one's feedback is read if that is later."""
        try:
            time.sleep(max(0.0, hand_ins[0] - time.monotonic()))
            page = self.get("/login")
            self.post_form("/login", _token(page), {"username": self.name, "password": PASSWORD})
            for at, content in zip(hand_ins, (WRONG, RIGHT), strict=True):
                time.sleep(max(0.0, at - time.monotonic()))
                token = _token(self.get(f"/exercises/{SLUG}"))
                t = time.perf_counter()
                url = self.upload(f"/exercises/{SLUG}/submit", token, content)
                path = urllib.parse.urlsplit(url).path
                if not re.fullmatch(r"/submissions/\d+", path):
                    raise RuntimeError(f"the hand-in was refused: {url}")
                self.wait_graded(path)
                page = self.get(path)
                with self.stats.lock:
                    self.stats.feedback.append(time.perf_counter() - t)
                if "Score:" not in page:
                    raise RuntimeError(f"{path}: no score on the feedback page")
        except Exception as exc:  # every failure is counted and printed, none is retried
            with self.stats.lock:
                self.stats.failures.append(f"{self.name}: {type(exc).__name__}: {exc}")


def _token(page: str) -> str:
    m = _TOKEN.search(page)
    if not m:
        raise RuntimeError("no CSRF token on the page")
    return m.group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _make_students(db_url: str, n: int) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from grader.portal.accounts import create_user, hash_password
    from grader.portal.db import Database
    from grader.portal.demo import seed_demo
    from grader.portal.models import User

    db = Database(db_url)
    db.upgrade()
    seed_demo(db, EXERCISES)
    names = [f"student-{i:03d}" for i in range(n)]
    digest = hash_password(PASSWORD)  # one hash for all: the benchmark measures logins, not sign-ups
    with db.session(write=True) as s:
        create_user(s, "bench-first", PASSWORD)
        for name in names:
            s.add(User(username=name, password_hash=digest, role="student", display_name=name))
    db.dispose()
    return names


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds the process ``pid`` has used (its own threads, not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    """CPU seconds every core of this machine has been busy (all of /proc/stat's states but idle and iowait)."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    name: str
    stats: Stats
    wall: float
    web_cpu: float
    client_cpu: float  # this process: the students' HTTP clients
    machine_cpu: float  # every process on this machine
    first_id: int  # the phase's submissions have ids above this


def _run_phase(name: str, base: str, names: list[str], schedule: list[tuple[float, float]], server_pid: int,
               db_path: Path) -> Phase:
    stats = Stats()
    with sqlite3.connect(db_path) as conn:
        first_id = conn.execute("SELECT coalesce(max(id), 0) FROM submissions").fetchone()[0]
    cpu0, t0 = _cpu_s(server_pid), time.monotonic()
    client0, machine0 = time.process_time(), _machine_busy_s()
    threads = [threading.Thread(target=Student(base, n, stats).run, args=((t0 + a, t0 + b),))
               for n, (a, b) in zip(names, schedule, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Phase(name, stats, time.monotonic() - t0, _cpu_s(server_pid) - cpu0, time.process_time() - client0,
                 _machine_busy_s() - machine0, first_id)


def _graded(db_path: Path, phase: Phase) -> list[tuple[str, str, bytes]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT s.started_at, s.finished_at, s.files FROM submissions s JOIN users u "
                            "ON u.id = s.user_id WHERE u.username LIKE 'student-%' AND s.state = 'done' "
                            "AND s.id > ?", (phase.first_id,)).fetchall()


def _report(phase: Phase, students: int) -> None:
    st = phase.stats
    print(f"[{phase.name}] hand-ins {2 * students} over {phase.wall:.1f} s; failed students: {len(st.failures)}")
    for f in st.failures[:10]:
        print("  ", f)
    if st.feedback:
        print(f"[{phase.name}] submit-to-feedback: p50 {_pct(st.feedback, 50):.2f} s, "
              f"p95 {_pct(st.feedback, 95):.2f} s, max {max(st.feedback):.2f} s (n={len(st.feedback)})")
    if st.pages:
        print(f"[{phase.name}] page times: p50 {1000 * _pct(st.pages, 50):.0f} ms, "
              f"p95 {1000 * _pct(st.pages, 95):.0f} ms (n={len(st.pages)} requests, "
              f"{len(st.pages) / phase.wall:.1f}/s, {len(st.pages) / (2 * students):.1f} per hand-in) and "
              f"{st.status_requests} status requests ({st.status_requests / (2 * students):.1f} per hand-in); "
              f"web process CPU {phase.web_cpu:.1f} s ({1000 * phase.web_cpu / (2 * students):.0f} ms per hand-in)")
    # The sandboxes' CPU is mostly not in the server's tree (they live in their own pid namespaces, and the
    # kernel's work to make and drop those namespaces is done by kernel threads): what the machine did beyond
    # the web process and the clients is taken as the grading's.
    grading = phase.machine_cpu - phase.web_cpu - phase.client_cpu
    per = 1000 / (2 * students)
    print(f"[{phase.name}] CPU per hand-in: web process {per * phase.web_cpu:.0f} ms, the clients "
          f"{per * phase.client_cpu:.0f} ms, everything else (grading) {per * grading:.0f} ms; the machine was "
          f"busy {phase.machine_cpu / phase.wall:.2f} of its {os.cpu_count()} cores, the web process "
          f"{phase.web_cpu / phase.wall:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=200)
    ap.add_argument("--window", type=float, default=60.0, help="seconds within which the hand-ins arrive")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--threads", type=int, default=16, help="the server's web threads")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    db_path = tmp / "portal.db"
    n = args.students
    names = _make_students(f"sqlite:///{db_path}", 2 * n)
    port = _free_port()
    cmd = [sys.executable, "-c", "from grader.cli import main; main()", "serve", "--db", f"sqlite:///{db_path}",
           "--port", str(port), "--workers", str(args.workers), "--threads", str(args.threads),
           "--insecure-cookies", "--secret-file", str(tmp / "secret"), "--exercises", str(EXERCISES),
           "--login-limit", "100000 per minute"]
    log = open(tmp / "server.log", "wb")  # noqa: SIM115  (closed at the end)
    server = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit((tmp / "server.log").read_text()) from None
                time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        # One hand-in before the clock starts, so every worker's zygote is up (as the batch's are warmed).
        Student(base, "bench-first", Stats()).run((0.0, 0.0))
        # (1) The load: 2N hand-ins arriving evenly within the window. Student i hands in the starter at
        # i * W / 2N and the solution half a window later (or once the first feedback is read, if later).
        half = args.window / 2
        spread = _run_phase("spread", base, names[:n], [(i * half / n, i * half / n + half) for i in range(n)],
                            server.pid, db_path)
        # (2) A deadline rush, for the grading throughput: N other students all hand in at once, each the
        # starter then (after its feedback) the solution, so the queue is never empty until the end.
        rush = _run_phase("rush", base, names[n:], [(0.0, 0.0)] * n, server.pid, db_path)
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()

    with sqlite3.connect(db_path) as conn:
        not_done = conn.execute("SELECT count(*) FROM submissions WHERE state != 'done'").fetchone()[0]
    rows = _graded(db_path, rush)
    first, last = min(_ts(r[0]) for r in rows), max(_ts(r[1]) for r in rows)
    portal_rate = len(rows) / (last - first).total_seconds()

    # The same submissions through `grader batch`, with as many workers.
    import io
    import zipfile

    subs = tmp / "batch-in"
    for i, (_, _, blob) in enumerate(rows):
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            (subs / f"s{i:04d}").mkdir(parents=True)
            (subs / f"s{i:04d}" / "app.py").write_bytes(z.read("app.py"))
    t = time.monotonic()
    done = subprocess.run([sys.executable, "-c", "from grader.cli import main; main()", "batch", str(subs),
                           "--exercise", SLUG, "--exercises", str(EXERCISES), "--out", str(tmp / "batch-out"),
                           "--workers", str(args.workers)], capture_output=True, text=True)
    batch_wall = time.monotonic() - t
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    batch_rate = len(rows) / batch_wall

    print(f"students {n} per phase, grading workers {args.workers}, web threads {args.threads}; "
          f"submissions not done at the end: {not_done}")
    _report(spread, n)
    _report(rush, n)
    print(f"grading throughput in the rush: portal {portal_rate:.2f} submissions/s (first start to last record), "
          f"grader batch {batch_rate:.2f}/s ({batch_wall:.1f} s wall for the same {len(rows)}); portal/batch "
          f"{portal_rate / batch_rate:.2f}")


if __name__ == "__main__":
    main()
