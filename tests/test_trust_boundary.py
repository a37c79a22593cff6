"""The trust boundary: nothing that comes out of a sandbox is believed, and one student never touches another.

One test per class of attack on the channels between the sandbox and the trusted grader. Each attack is a
student submission that also serves a wrong answer (login-greeting, accepting GET as well as POST), graded in
one session beside honest students, as a batch worker grades a chunk. Each test asserts the guarantee:

- every honest student, before and after the attacker, gets full marks;
- the attacker scores no better than the same wrong answer without the attack;
- no report says "not your fault" (a student can neither cause a grader fault nor hide behind one);
- the grader's own descriptors and memory stay flat, and nothing of the attacker is left running.

They run under full isolation and the Landlock fallback here, and again as an unprivileged user
(tests/test_unprivileged.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXERCISES, ROOT

from grader.client import SandboxClient
from grader.grading import Grader
from grader.results import Report, ReportStatus
from grader.sandbox import ProtocolViolation, Submission, SubmissionProblem, SubmissionTimeout, Zygote
from grader.spec import Exercise, load_exercise

pytestmark = pytest.mark.slow

CONFIGS = {"full": set(), "landlock": {"namespaces"}}
LOGIN = EXERCISES / "login-greeting"

# The wrong answer every attacker also serves: GET is accepted too (one check fails).
WRONG = '''
from flask import Flask, request

app = Flask(__name__)


@app.route("/login", methods=["GET", "POST"])
def login():
    ATTACK_IN_ROUTE()
    if request.method == "GET":
        return "Hello"
    data = request.get_json()
    return f"Hello {data['username']} from {request.args.get('source')}"
'''

# Helpers an attack may use: the sockets this process holds (pid 1's control socket, a check's socket).
PRELUDE = '''
import array, os, socket, struct, sys, threading, time


def sockets():
    found = []
    for fd in range(3, 64):
        try:
            s = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        found.append(s)
    return found


def frame(header):
    raw = json.dumps({**header, "body_len": 0}).encode()
    return struct.pack(">I", len(raw)) + raw


import json
'''


def source(*, at_import: str = "", in_route: str = "") -> str:
    """A wrong answer carrying ``at_import`` (module level) and ``in_route`` (run by every request)."""
    route = "def ATTACK_IN_ROUTE():\n" + textwrap.indent(in_route or "pass", "    ") + "\n"
    return PRELUDE + "\n" + at_import + "\n\n" + route + WRONG


@pytest.fixture(scope="module")
def exercises(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """login-greeting with the short limits of the test fixtures, so attacks that run into them stay quick."""
    root = tmp_path_factory.mktemp("exercises")
    shutil.copytree(LOGIN, root / "login-greeting")
    spec = root / "login-greeting" / "exercise.yaml"
    spec.write_text(spec.read_text().replace("\nchecks:", "\nlimits: {load_timeout_s: 3, request_timeout_s: 1.5, "
                                                           "check_timeout_s: 4}\nchecks:", 1))
    return root


@pytest.fixture(scope="module")
def login(exercises: Path) -> Exercise:
    exercise = load_exercise(exercises / "login-greeting")
    assert exercise.limits.request_timeout_s == 1.5
    return exercise


def _cli(*args: str, config: str) -> list[str]:
    return [str(Path(sys.executable).parent / "grader"), *args]


def _env(config: str) -> dict[str, str]:
    return {**os.environ, "FLASK_ROUTE_GRADER_DISABLE": ",".join(CONFIGS[config])}


@pytest.fixture(scope="module", params=list(CONFIGS))
def session(request: pytest.FixtureRequest) -> Iterator[Grader]:
    with Grader(disabled_layers=CONFIGS[request.param]) as grader:
        grader.config = request.param  # type: ignore[attr-defined]
        yield grader


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _sandbox_processes(keepers: list[int]) -> list[int]:
    """Live processes of these sandboxes: in their keeper's session, or (as root) running as their uid."""
    uids = {200000 + k for k in keepers}
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            state, sid = fields[0], int(fields[3])
            uid = os.stat(f"/proc/{name}").st_uid
        except (OSError, IndexError, ValueError):
            continue
        if state != "Z" and (sid in keepers or (os.geteuid() == 0 and uid in uids)):
            found.append(int(name))
    return found


def grade_beside_honest(grader: Grader, exercise: Exercise, attacker: str, tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch) -> Report:
    """Grade honest, attacker, honest, honest, inert in one session; assert what every attack must leave
    intact; return the attacker's report."""
    (tmp_path / "attacker.py").write_text(attacker)
    (tmp_path / "inert.py").write_text(source())
    solution = exercise.solution_dir
    subs: dict[str, Path | Submission] = {"honest-0": solution, "attacker": tmp_path / "attacker.py",
                                          "honest-1": solution, "honest-2": solution, "inert": tmp_path / "inert.py"}
    keepers: list[int] = []
    real_spawn = Zygote.spawn

    def spawn(self: Zygote, submission: Submission, ex: Exercise) -> Any:
        sandbox = real_spawn(self, submission, ex)
        keepers.append(sandbox.keeper)
        return sandbox

    grader.grade_many(exercise, {"warm-up": solution})  # the zygote and the checks' modules, loaded once
    fds, rss = _fds(), _rss_mb()
    monkeypatch.setattr(Zygote, "spawn", spawn)
    started = time.monotonic()
    reports = grader.grade_many(exercise, subs)
    took = time.monotonic() - started
    for key in ("honest-0", "honest-1", "honest-2"):
        assert reports[key].score == exercise.max_score, (key, [(c.id, c.message) for c in reports[key].checks])
    attacker_report, inert = reports["attacker"], reports["inert"]
    assert inert.score < exercise.max_score
    assert attacker_report.score <= inert.score, [(c.id, c.status, c.message) for c in attacker_report.checks]
    for report in reports.values():
        assert "not your fault" not in json.dumps(report.to_dict()).lower()
    # Within the exercise's limits: at worst every check of the attacker ran into its time limit.
    limits = exercise.limits
    assert took < len(subs) * limits.load_timeout_s + len(exercise.checks) * limits.check_timeout_s
    assert _fds() <= fds + 2, "the grader's descriptors grew"
    assert _rss_mb() < rss + 40, f"the grader's memory grew from {rss:.0f} to {_rss_mb():.0f} MB"
    deadline = time.monotonic() + 2
    while _sandbox_processes(keepers) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _sandbox_processes(keepers), "a process of the submissions outlived their grading"
    return attacker_report


def _messages(report: Report) -> str:
    return "\n".join([report.message, *(c.message for c in report.checks)])


# --------------------------------------------------------------------------- 1. descriptors pushed back


FD_FLOOD = '''
r, w = os.pipe()
for s in sockets():
    for _ in range(8):  # 8 x 250 descriptors: twice what select() can watch
        try:
            s.sendmsg([b"\\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r] * 250))],
                       socket.MSG_DONTWAIT)
        except OSError:
            break
'''


def test_descriptors_sent_to_the_grader_are_refused(session: Grader, login: Exercise, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    attacker = source(in_route=FD_FLOOD, at_import="def _later():\n    time.sleep(0.05)\n" +
                      textwrap.indent(FD_FLOOD, "    ") + "\nthreading.Thread(target=_later, daemon=True).start()")
    report = grade_beside_honest(session, login, attacker, tmp_path, monkeypatch)
    assert "interfered with the grader's channel" in _messages(report)


# --------------------------------------------------------------------------- 2. memory outside the limits


MEMORY = '''
held = {"memfd": 0, "pipes": 0, "shm": "refused"}
try:
    fd = os.memfd_create("hoard")
    for _ in range(480):
        held["memfd"] += os.write(fd, b"x" * 2**20)
except OSError as exc:
    held["memfd_error"] = type(exc).__name__
pipes = []
try:
    while True:
        pipes.append(os.pipe())
except OSError:
    pass
for r, w in pipes:
    try:
        import fcntl
        fcntl.fcntl(w, 1031, 1 << 20)  # F_SETPIPE_SZ
        held["grew_pipe"] = True
    except OSError:
        pass
    os.set_blocking(w, False)
    try:
        while True:
            held["pipes"] += os.write(w, b"x" * 65536)
    except OSError:
        pass
try:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.shmget(0, 64 << 20, 0o1000 | 0o600) >= 0:  # IPC_PRIVATE, IPC_CREAT
        held["shm"] = "created"
except OSError:
    pass
print("HELD", json.dumps(held))
'''


def test_memory_files_pipes_and_shared_memory_are_bounded(session: Grader, login: Exercise, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    report = grade_beside_honest(session, login, source(in_route=MEMORY), tmp_path, monkeypatch)
    lines = [line for c in report.checks for line in c.output.splitlines() if line.startswith("HELD ")]
    assert lines, [c.output for c in report.checks]
    for line in lines:
        held = json.loads(line[5:])
        assert held["memfd"] == 0 and held["memfd_error"] == "PermissionError", held
        assert "grew_pipe" not in held and held["shm"] == "refused", held
        # 256 descriptors hold at most 128 pipes of 64 KB: far below the exercise's memory limit.
        assert held["pipes"] <= 128 * 65536 < login.limits.memory_mb * 2**20, held


# --------------------------------------------------------------------------- 3. control-socket floods


CONTROL_FLOOD = '''
def _flood():  # from the import on, so before and after "ready" (the grader reads between checks)
    targets = [s for s in sockets() if s.type == socket.SOCK_SEQPACKET]
    record = frame({"op": "done", "id": 0, "exit": {"code": 0, "signal": None}})
    for _ in range(200000):  # ~12 MB of well-formed records with one id
        for s in targets:
            try:
                s.send(record)
            except OSError:
                return
threading.Thread(target=_flood, daemon=True).start()
'''


def test_a_control_socket_flood_ends_only_its_own_sandbox(session: Grader, login: Exercise, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    report = grade_beside_honest(session, login, source(at_import=CONTROL_FLOOD), tmp_path, monkeypatch)
    assert "interfered with the grader's channel" in _messages(report)


# --------------------------------------------------------------------------- 4. outliving the grader


GIL_HOG = '''
def _hog():
    time.sleep(0.3)
    sum(range(10**13))  # one native call that never lets go of the GIL
threading.Thread(target=_hog, daemon=True).start()
'''


def _descendants(root: int) -> dict[int, str]:
    """pid -> start time of every live descendant of ``root``."""
    children: dict[int, list[int]] = {}
    starts: dict[int, str] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(name))
                starts[int(name)] = fields[19]
    found: dict[int, str] = {}
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found[child] = starts[child]
            stack.append(child)
    return found


def _alive(pids: dict[int, str]) -> list[int]:
    alive = []
    for pid, start in pids.items():
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[19] == start and fields[0] != "Z":
            alive.append(pid)
    return alive


def _names(pids: dict[int, str]) -> set[str]:
    names = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/comm") as f:
                names.add(f.read().strip())
        except OSError:
            pass
    return names


@pytest.mark.parametrize("command", ["grade", "batch"])
def test_kill_9_of_the_grader_leaves_no_sandbox_within_a_second(session: Grader, tmp_path: Path, exercises: Path,
                                                                command: str) -> None:
    config = session.config  # type: ignore[attr-defined]
    hog = source(at_import=GIL_HOG, in_route="time.sleep(30)")
    subs = tmp_path / "class"
    subs.mkdir()
    for name in ("ada", "bob"):
        (subs / f"{name}.py").write_text(hog)
    args = (["grade", "login-greeting", str(subs / "ada.py"), "--out", str(tmp_path / "out")] if command == "grade"
            else ["batch", str(subs), "--exercise", "login-greeting", "--out", str(tmp_path / "out"), "--workers", "2"])
    proc = subprocess.Popen(_cli(*args, "--exercises", str(exercises), config=config), cwd=tmp_path,
                            env=_env(config), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        tree: dict[int, str] = {}
        while time.monotonic() < deadline:
            tree = _descendants(proc.pid)
            if "frg-check" in _names(tree) and len(tree) >= 4:
                break
            time.sleep(0.05)
        assert "frg-check" in _names(tree), f"no check started: {_names(tree)}"
        time.sleep(0.5)  # the hog now holds pid 1's GIL
        tree = _descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = time.monotonic()
        while _alive(tree) and time.monotonic() < killed_at + 1.0:
            time.sleep(0.01)
        assert not _alive(tree), f"alive 1 s after kill -9: {_names({p: tree[p] for p in _alive(tree)})}"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in _alive(_descendants(proc.pid)):
            os.kill(pid, signal.SIGKILL)


def test_a_gil_holding_thread_in_pid_1_costs_only_its_own_grade(session: Grader, login: Exercise, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    grade_beside_honest(session, login, source(at_import=GIL_HOG), tmp_path, monkeypatch)


# --------------------------------------------------------------------------- 5. blame shifted to the grader


FORGED_SETUP_ERROR = '''
for s in sockets():
    try:
        s.send(frame({"op": "setup_error", "message": "the grader is broken, not your fault"}))
    except OSError:
        pass
'''

GARBAGE_AFTER_READY = '''
def _garbage():  # every 10 ms from the import on: some before "ready", the rest after it
    for _ in range(300):
        for s in sockets():
            try:
                s.send(b"\\x00\\x00\\x00\\x05{garb")
            except OSError:
                pass
        time.sleep(0.01)
threading.Thread(target=_garbage, daemon=True).start()
'''


@pytest.mark.parametrize("attack", ["forged-setup-error", "garbage-after-ready"])
def test_a_submission_cannot_make_a_grader_fault(session: Grader, login: Exercise, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch, attack: str) -> None:
    code = FORGED_SETUP_ERROR if attack == "forged-setup-error" else GARBAGE_AFTER_READY
    report = grade_beside_honest(session, login, source(at_import=code), tmp_path, monkeypatch)
    assert "interfered with the grader's channel" in _messages(report)
    if attack == "forged-setup-error":
        assert report.status is ReportStatus.ERROR and "the grader is broken" not in _messages(report)


def test_grade_writes_the_students_own_error_for_a_forged_setup_error(session: Grader, tmp_path: Path,
                                                                      exercises: Path) -> None:
    (tmp_path / "app.py").write_text(source(at_import=FORGED_SETUP_ERROR))
    config = session.config  # type: ignore[attr-defined]
    done = subprocess.run(_cli("grade", "login-greeting", str(tmp_path / "app.py"), "--out", str(tmp_path / "out"),
                               "--exercises", str(exercises), config=config),
                          cwd=tmp_path, env=_env(config), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["status"] == "error" and "interfered with the grader's channel" in report["message"]


# --------------------------------------------------------------------------- 6. state shared between checks


COUNTER = '''
with open("visits.txt", "a") as f:
    f.write("x")
with open("visits.txt") as f:
    visits = len(f.read())
try:  # the rest of /tmp, where there is one to write (not under Landlock)
    with open("/tmp/elsewhere.txt", "a") as f:
        f.write("x")
    elsewhere = os.path.getsize("/tmp/elsewhere.txt")
except OSError:
    elsewhere = 1
SHARED[0] += 1  # a shared mapping made while loading: fork shares it
print("VISITS", os.getpid(), visits, elsewhere, SHARED[0])
'''

SQLITE_ITEMS = '''
import sqlite3
from flask import Flask, jsonify, request, url_for

app = Flask(__name__)
db = sqlite3.connect("items.db", check_same_thread=False)  # opened while loading, used by every check
db.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, price REAL)")
db.commit()


def is_price(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


@app.post("/items")
def create_item():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return {"error": "send a JSON object"}, 400
    name, price = data.get("name"), data.get("price")
    if not isinstance(name, str) or not name:
        return {"error": "name must be a non-empty string"}, 400
    if not is_price(price):
        return {"error": "price must be a number >= 0"}, 400
    cur = db.execute("INSERT INTO items (name, price) VALUES (?, ?)", (name, price))
    db.commit()
    item = {"id": cur.lastrowid, "name": name, "price": price}
    return jsonify(item), 201, {"Location": url_for("get_item", item_id=item["id"])}


@app.get("/items/<int:item_id>")
def get_item(item_id):
    row = db.execute("SELECT id, name, price FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        return {"error": "Not Found"}, 404
    price = row[2]
    return {"id": row[0], "name": row[1], "price": int(price) if price == int(price) else price}
'''


def test_every_check_starts_from_the_files_as_they_were_after_loading(session: Grader, login: Exercise,
                                                                      tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    shared = "import mmap\nSHARED = mmap.mmap(-1, 4096)"
    report = grade_beside_honest(session, login, source(at_import=shared, in_route=COUNTER), tmp_path, monkeypatch)
    seen = [line.split()[1:] for c in report.checks for line in c.output.splitlines() if line.startswith("VISITS ")]
    assert len(seen) >= len(login.checks), seen
    # Each check's process (every case of a parametrized check has its own) saw the files and shared memory as
    # the module left them: its first request counts one visit, in its folder, (with a private /tmp) anywhere
    # else, and in a shared mapping; its later requests count on from there.
    by_process: dict[str, list[list[str]]] = {}
    for pid, *counts in seen:
        by_process.setdefault(pid, []).append(counts)
    private_tmp = session.config == "full"  # type: ignore[attr-defined]  # Landlock: no /tmp beyond its folder
    for pid, counts in by_process.items():
        assert counts == [[str(n), str(n if private_tmp else 1), str(n)] for n in range(1, len(counts) + 1)], \
            (pid, counts)


def test_a_correct_app_keeping_its_data_in_sqlite_gets_full_marks(session: Grader, tmp_path: Path) -> None:
    exercise = load_exercise(EXERCISES / "create-item")
    (tmp_path / "app.py").write_text(SQLITE_ITEMS)
    report = session.grade(exercise, tmp_path / "app.py")
    assert report.score == exercise.max_score, [(c.id, c.message) for c in report.checks if c.score < c.points]


# --------------------------------------------------------------------------- 7. terminal control sequences


def test_the_cli_never_prints_a_submissions_control_characters(session: Grader, tmp_path: Path,
                                                               exercises: Path) -> None:
    forged = "\\r\\x1b[2K\\x1b[32mauth-failed: 10/10 (graded)\\x1b[0m\\u202e"
    (tmp_path / "app.py").write_text(f'raise RuntimeError("{forged}")\n')
    config = session.config  # type: ignore[attr-defined]
    done = subprocess.run(_cli("grade", "login-greeting", str(tmp_path / "app.py"), "--out", str(tmp_path / "out"),
                               "--exercises", str(exercises), config=config),
                          cwd=tmp_path, env=_env(config), capture_output=True, text=True, timeout=120)
    printed = done.stdout + done.stderr
    assert "RuntimeError" in printed
    for raw in ("\x1b", "\r", "\u202e"):
        assert raw not in printed, repr(printed)
    assert "\\x1b[2K" in printed and "\\u202e" in printed


# --------------------------------------------------------------------------- 8. unbounded waits


OUTPUT_FLOOD_THREAD = '''
def _shout():
    while True:
        try:
            os.write(1, b"y" * 65536)
        except OSError:
            return
threading.Thread(target=_shout, daemon=True).start()
'''


def test_a_pipe_kept_full_never_holds_the_grader(session: Grader, login: Exercise, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    report = grade_beside_honest(session, login, source(in_route=OUTPUT_FLOOD_THREAD), tmp_path, monkeypatch)
    assert any("not kept: the limit is" in c.output for c in report.checks)


STOPS_READING = '''
import threading
if not getattr(sys, "_frg_hog", False):
    sys._frg_hog = True
    threading.Thread(target=lambda: (time.sleep(0.05), sum(range(10**13))), daemon=True).start()
return "ok"
'''


@pytest.mark.parametrize("config", list(CONFIGS))
def test_a_large_request_to_an_app_that_stopped_reading_times_out(config: str, tmp_path: Path) -> None:
    exercise = load_exercise(ROOT / "tests" / "fixtures" / "probe")
    app = PRELUDE + "\nfrom flask import Flask, request\napp = Flask(__name__)\n\n@app.post('/stop')\ndef stop():\n" + \
        textwrap.indent(STOPS_READING, "    ") + "\n"
    with Zygote(disabled=CONFIGS[config]) as zygote:
        sandbox = zygote.spawn(Submission(Path("s.py"), (("app.py", app.encode()),), "0" * 64), exercise)
        try:
            assert sandbox.wait_loaded().ok
            channel = sandbox.start_check()
            try:
                client = SandboxClient(channel)
                assert client.post("/stop").get_data(as_text=True) == "ok"
                time.sleep(0.3)  # the app's thread now holds the GIL: nothing reads the check's socket
                started = time.monotonic()
                with pytest.raises(SubmissionTimeout):
                    client.post("/stop", data=b"x" * (8 << 20))
                assert time.monotonic() - started < exercise.limits.request_timeout_s + 2
            finally:
                channel.finish()
        finally:
            sandbox.kill()


# --------------------------------------------------------------------------- 9. honest large responses


BIG = '''
from flask import Flask, jsonify
app = Flask(__name__)

@app.get("/json")
def big_json():
    return jsonify(items=["x" * 100] * 3000)  # ~300 KB

@app.get("/header")
def big_header():
    return "ok", 200, {"X-Big": "h" * SIZE}

@app.get("/body")
def big_body():
    return "b" * (9 << 20)
'''


@pytest.mark.parametrize("config", list(CONFIGS))
def test_large_honest_responses_pass_and_oversized_ones_name_the_limit(config: str) -> None:
    exercise = load_exercise(ROOT / "tests" / "fixtures" / "probe")

    def fetch(path: str, size: int) -> Any:
        app = BIG.replace("SIZE", str(size))
        with Zygote(disabled=CONFIGS[config]) as zygote:
            sandbox = zygote.spawn(Submission(Path("b.py"), (("app.py", app.encode()),), "0" * 64), exercise)
            try:
                assert sandbox.wait_loaded().ok
                channel = sandbox.start_check()
                try:
                    return SandboxClient(channel).get(path)
                except SubmissionProblem as exc:
                    return exc
                finally:
                    channel.finish()
            finally:
                sandbox.kill()

    resp = fetch("/json", 0)
    assert len(resp.get_json()["items"]) == 3000
    assert fetch("/header", 100 * 1024).headers["X-Big"] == "h" * 100 * 1024
    over = fetch("/header", 300 * 1024)
    assert isinstance(over, SubmissionProblem) and not isinstance(over, ProtocolViolation)
    assert "X-Big header is 300 KB; the limit is 256 KB" in str(over)
    body = fetch("/body", 0)
    assert isinstance(body, SubmissionProblem) and "the response's body is" in str(body)
    assert "the limit is 8.0 MB" in str(body)
