"""Hostile submissions: each threat, and the concrete guarantee that stops it.

Every attack runs in a real sandbox built by a real zygote, under three configurations: `full` (namespaces,
private root, seccomp), `landlock` (namespaces switched off: Landlock + seccomp, as on machines without user
namespaces) and `bare` (every layer off: process boundary and rlimits only). Where a configuration does not
guarantee something, the test asserts the report's warning instead. The fixtures are bounded themselves (a few
GB of address space at most, a few hundred processes, seconds), so a broken defence cannot take the machine down.
The process-killing attacks run inside a pid namespace the test makes (see test_signals_inside_own_pid_namespace).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXERCISES, ROOT

from grader.client import SandboxClient
from grader.grading import Grader
from grader.results import ReportStatus, Status
from grader.sandbox import StudentRouteError, Submission, SubmissionProblem, Zygote
from grader.spec import Exercise, load_exercise

pytestmark = pytest.mark.slow

PROBE = ROOT / "tests" / "fixtures" / "probe"
CONFIGS = {"full": set(), "landlock": {"namespaces"}, "bare": {"namespaces", "landlock", "seccomp"}}
SECRET = "s3cret-grader-token"


@pytest.fixture(scope="module")
def probe() -> Exercise:
    return load_exercise(PROBE)


@pytest.fixture(scope="module")
def zygotes() -> Iterator[dict[str, Zygote]]:
    # A secret in the grader's environment must never reach a submission.
    os.environ["FRG_TEST_SECRET"] = SECRET
    made = {name: Zygote(disabled=disabled) for name, disabled in CONFIGS.items()}
    try:
        yield made
    finally:
        os.environ.pop("FRG_TEST_SECRET", None)
        for z in made.values():
            z.close()


def attack(zygote: Zygote, exercise: Exercise, body: str, *, imports: str = "") -> Any:
    """Run ``body`` (the body of a function returning JSON-able data) as a route; return what it answered,
    or the SubmissionProblem the check would have seen."""
    source = ATTACK_APP.format(imports=textwrap.indent(imports, ""), body=textwrap.indent(body, "    "))
    sub = Submission(Path("attack.py"), (("app.py", source.encode()),), "0" * 64)
    sandbox = zygote.spawn(sub, exercise)
    try:
        load = sandbox.wait_loaded()
        assert load.ok, load.message
        channel = sandbox.start_check()
        try:
            resp = SandboxClient(channel).get("/attack")
            return resp.get_json() if resp.status_code == 200 else resp.get_data(as_text=True)
        except SubmissionProblem as exc:
            return exc
        finally:
            channel.finish()
    finally:
        sandbox.kill()


ATTACK_APP = """\
import json, os, signal, socket, sys, time
{imports}
from flask import Flask

app = Flask(__name__)


def attack():
{body}


@app.get("/attack")
def run():
    return json.dumps(attack()), 200, {{"Content-Type": "application/json"}}
"""


def warned(zygote: Zygote, exercise: Exercise, protection: str) -> bool:
    iso = zygote.isolation([exercise.root])
    return not iso.layers[protection] and any(w.startswith(f"no {protection.replace('_', ' ')}:")
                                              for w in iso.warnings)


# --------------------------------------------------------------------------- reading what it must not


def test_cannot_read_checks_solutions_grader_or_secrets(zygotes, probe) -> None:
    targets = [
        PROBE / "checks" / "test_probe.py",  # this exercise's hidden checks
        PROBE / "solution" / "app.py",  # its reference solution
        EXERCISES / "login-greeting" / "checks" / "test_hidden.py",  # another exercise
        ROOT / "grader" / "runner.py",  # the grader's own files
        Path("/etc/shadow"),
        Path(f"/proc/{os.getpid()}/environ"),  # the grader's environment, through /proc
    ]
    body = f"""
found = {{}}
for path in {[str(t) for t in targets]!r}:
    try:
        with open(path, "rb") as f:
            found[path] = f.read(200).decode("latin-1")
    except OSError as exc:
        found[path] = "blocked: " + type(exc).__name__
found["env"] = dict(os.environ)
return found
"""
    for name in ("full", "landlock"):
        result = attack(zygotes[name], probe, body)
        for path in targets:
            assert result[str(path)].startswith("blocked: "), (name, path, result[str(path)])
        assert SECRET not in json.dumps(result), name
        assert "FRG_TEST_SECRET" not in result["env"], name
    # Without any layer, files are not confined: the report must say so plainly; the environment still is.
    assert warned(zygotes["bare"], probe, "filesystem_confined")
    assert SECRET not in json.dumps(attack(zygotes["bare"], probe, "return dict(os.environ)"))


def test_cannot_read_another_submission(zygotes, probe, tmp_path: Path) -> None:
    """Two sandboxes alive at once: the second searches the whole tree for the first one's file."""
    zygote = zygotes["full"]
    first = zygote.spawn(Submission(Path("a"), (("app.py", b"from flask import Flask\napp = Flask('a')\n"),
                                                ("marker-7f3a.txt", b"mine")), "0" * 64), probe)
    try:
        assert first.wait_loaded().ok
        found = attack(zygote, probe, """
hits = []
for top in ("/tmp", "/proc"):
    for dirpath, dirs, files in os.walk(top):
        if dirpath.count("/") > 6:
            dirs[:] = []
        hits += [os.path.join(dirpath, f) for f in files if f == "marker-7f3a.txt"]
return hits
""")
        assert found == []
    finally:
        first.kill()


# --------------------------------------------------------------------------- writing where it must not


@pytest.mark.parametrize("config", ["full", "landlock"])
def test_cannot_write_outside_its_folder(zygotes, probe, tmp_path: Path, config: str) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    targets = [reports / "report.json", PROBE / "forged.txt", Path("/usr/forged.txt"), Path("/forged.txt")]
    body = f"""
out = {{}}
for path in {[str(t) for t in targets]!r}:
    try:
        with open(path, "w") as f:
            f.write('{{"score": 10}}')
        out[path] = "written"
    except OSError as exc:
        out[path] = type(exc).__name__
with open("mine.txt", "w") as f:
    f.write("ok")
out["own folder"] = "written"
return out
"""
    result = attack(zygotes[config], probe, body)
    assert result["own folder"] == "written"
    for path in targets:
        assert result[str(path)] != "written", (path, result)
        assert not path.exists(), path


# --------------------------------------------------------------------------- network


@pytest.mark.parametrize("config", ["full", "landlock"])
def test_no_network_not_even_loopback(zygotes, probe, config: str) -> None:
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(5)
    tcp.settimeout(0.5)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.5)
    body = f"""
out = {{}}
try:
    socket.create_connection(("127.0.0.1", {tcp.getsockname()[1]}), timeout=2)
    out["tcp"] = "connected"
except OSError as exc:
    out["tcp"] = str(exc)
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"leak", ("127.0.0.1", {udp.getsockname()[1]}))
    out["udp"] = "sent"
except OSError as exc:
    out["udp"] = str(exc)
return out
"""
    try:
        result = attack(zygotes[config], probe, body)
        assert result["tcp"] != "connected" and result["udp"] != "sent", result
        with pytest.raises(socket.timeout):
            tcp.accept()  # the listener saw no connection
        with pytest.raises(socket.timeout):
            udp.recvfrom(100)
    finally:
        tcp.close()
        udp.close()
    assert warned(zygotes["bare"], probe, "network_off")


# --------------------------------------------------------------------------- resources


@pytest.mark.parametrize("config", list(CONFIGS))
def test_memory_hog_is_stopped(zygotes, probe, config: str) -> None:
    result = attack(zygotes[config], probe, "hog = bytearray(4 * 1024 ** 3)\nreturn len(hog)")
    assert isinstance(result, SubmissionProblem)
    assert "ran out of memory (the limit is 128 MB)" in str(result)


FORK_FLOOD = """
children = 0
for _ in range(400):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    children += 1
"""


@pytest.mark.parametrize(("config", "where"), [*((c, "route") for c in CONFIGS), ("full", "import")])
def test_fork_flood_is_bounded(zygotes, probe, config: str, where: str) -> None:
    already = len(_processes_of_uid(os.getuid()))
    if where == "route":
        children = attack(zygotes[config], probe, FORK_FLOOD + "return children")
    else:  # at import time, in the sandbox's first process, which kills them all once the app is loaded
        children = attack(zygotes[config], probe, "return CHILDREN",
                          imports=f"def _flood():{textwrap.indent(FORK_FLOOD, '    ')}    return children\n"
                                  "CHILDREN = _flood()")
    limit = probe.limits.max_processes
    if where == "route" and config != "bare":
        assert children == 0  # seccomp: a check's process may start no process at all
    elif config == "full":
        assert 0 < children < limit
    elif os.geteuid() == 0:
        assert children <= limit  # a fresh uid per sandbox: the limit is the sandbox's own
    else:
        # Sharing the grader's uid, the limit is what the user ran when the sandbox started, plus the limit.
        assert children <= limit + already + 10


@pytest.mark.parametrize("config", ["full", "landlock", "bare"])
def test_disk_fill_is_bounded(zygotes, probe, config: str) -> None:
    body = """
written = 0
chunk = b"x" * (1024 * 1024)
try:
    with open("fill.bin", "wb") as f:
        for _ in range(2048):
            f.write(chunk)
            f.flush()
            written += len(chunk)
except OSError as exc:
    return {"written": written, "error": type(exc).__name__}
return {"written": written, "error": None}
"""
    result = attack(zygotes[config], probe, body)
    # Stopped at the 64 MB tmpfs (namespaces) or the 64 MB file-size rlimit (SIGXFSZ ends the process).
    if isinstance(result, SubmissionProblem):
        assert "SIGXFSZ" in str(result), result
    else:
        assert result["error"] is not None and result["written"] <= 64 * 1024 * 1024, result


@pytest.mark.parametrize("config", ["full", "bare"])
def test_output_flood_is_capped(zygotes, probe, config: str) -> None:
    sub = Submission(Path("flood"), (("app.py", b"""
import os, sys
from flask import Flask
app = Flask(__name__)

@app.get("/attack")
def flood():
    block = b"y" * (1024 * 1024)
    for _ in range(150):
        os.write(1, block)
        os.write(2, block)
    return "done"
"""),), "0" * 64)
    sandbox = zygotes[config].spawn(sub, probe)
    started = time.monotonic()
    try:
        assert sandbox.wait_loaded().ok
        channel = sandbox.start_check()
        resp = SandboxClient(channel).get("/attack")
        output = channel.finish()
    finally:
        sandbox.kill()
    assert resp.get_data() == b"done"
    assert len(output) < 70 * 1024
    assert "more bytes of output not kept: the limit is 64 KB" in output
    assert time.monotonic() - started < 30


# --------------------------------------------------------------------------- processes


def _processes_of_uid(uid: int) -> set[int]:
    found = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    found.add(int(name))
            except OSError:
                pass  # it ended while we looked
    return found


def _processes_in_namespace(link: str) -> set[int]:
    found = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.readlink(f"/proc/{name}/ns/pid") == link:
                    found.add(int(name))
            except OSError:
                pass
    return found


DAEMON = """
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in range(3, 64):
            try:
                os.close(fd)
            except OSError:
                pass
        time.sleep(3600)
    os._exit(0)
os.waitpid(pid, 0)
return {"visible_pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}
"""


def test_no_process_outlives_its_grading(zygotes, probe) -> None:
    # A check's process may not start a process at all...
    result = attack(zygotes["full"], probe, DAEMON)
    assert "PermissionError: [Errno 1] Operation not permitted" in str(result), result
    # ...and a daemon started while the module loads is gone before the first check runs.
    at_import = "def _daemon():\n" + textwrap.indent(DAEMON.replace("return {", "return {'at_import': True, "),
                                                       "    ") + "\nAT_IMPORT = _daemon()"
    body = 'return {"ns": os.readlink("/proc/self/ns/pid"), "pids": sorted(int(p) for p in os.listdir("/proc") ' \
           'if p.isdigit()), "at_import": AT_IMPORT}'
    source = ATTACK_APP.format(imports=at_import, body=textwrap.indent(body, "    "))
    sandbox = zygotes["full"].spawn(Submission(Path("d"), (("app.py", source.encode()),), "0" * 64), probe)
    try:
        assert sandbox.wait_loaded().ok
        sandbox_ns = os.readlink(f"/proc/{sandbox.pid}/ns/pid")
        channel = sandbox.start_check()
        result = SandboxClient(channel).get("/attack").get_json()
        channel.finish()
        assert result["ns"] == sandbox_ns
        # The daemon was running when the module finished loading, and it saw only this sandbox.
        assert max(result["at_import"]["visible_pids"]) < 20, result
        # Now there are only pid 1, this check's process and the one waiting for the next check.
        assert len(result["pids"]) <= 3, result
    finally:
        sandbox.kill()
    # At the end of grading nothing of the submission remains at all.
    deadline = time.monotonic() + 5
    while _processes_in_namespace(sandbox_ns) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _processes_in_namespace(sandbox_ns)


SELF_ONLY = """
import resource, threading
def refused(call):
    try:
        call()
    except PermissionError:
        return True
    return False
try:
    others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
except PermissionError:  # Landlock hides /proc: aim at what is known to exist
    others = [os.getppid(), 1]
seen = []
worker = threading.Thread(target=lambda: seen.append(os.getpid()))
worker.start()
worker.join()
os.kill(os.getpid(), 0)
resource.prlimit(0, resource.RLIMIT_NOFILE)
resource.prlimit(os.getpid(), resource.RLIMIT_NOFILE)
return {
    "others": len(others),
    "thread_ran": seen == [os.getpid()],
    "signal_refused": all(refused(lambda p=p: os.kill(p, 0)) for p in others) and refused(lambda: os.kill(-1, 0)),
    "prlimit_refused": all(refused(lambda p=p: resource.prlimit(p, resource.RLIMIT_NOFILE)) for p in others),
    "nice_refused": refused(lambda: os.setpriority(os.PRIO_PROCESS, others[0], 19)),
}
"""


@pytest.mark.parametrize("config", ["full", "landlock"])
def test_a_check_may_signal_and_limit_only_itself(zygotes, probe, config: str) -> None:
    """The process waiting to serve the next check shares the sandbox; a check must not be able to stop,
    starve or renice it. Threads are still allowed."""
    result = attack(zygotes[config], probe, SELF_ONLY)
    assert result["thread_ran"], result
    assert result["others"] >= 1  # pid 1 and the next check's process, or the parent
    assert result["signal_refused"] and result["prlimit_refused"] and result["nice_refused"], result


def test_without_pid_namespace_a_check_cannot_start_a_daemon(zygotes, probe) -> None:
    result = attack(zygotes["landlock"], probe, DAEMON)
    assert isinstance(result, StudentRouteError) and "PermissionError: [Errno 1]" in str(result), result  # EPERM
    assert warned(zygotes["landlock"], probe, "processes_contained")


# --------------------------------------------------------------------------- crashing and lying


BROKEN_ROUTES = {
    "segfault": ("import ctypes\n    ctypes.string_at(0)", Status.ERROR, "it was killed by SIGSEGV"),
    "garbage": ("for fd in range(3, 40):\n        try:\n            os.write(fd, b'\\x00\\x00\\x00\\x05{garb')\n"
                "        except OSError:\n            pass\n    time.sleep(0.5)", Status.ERROR,
                "interfered with the grader.s channel|ended before answering"),
    "closes": ("for fd in range(3, 40):\n        try:\n            os.close(fd)\n        except OSError:\n"
               "            pass", Status.ERROR, "ended before answering"),
    "exits": ("raise SystemExit(9)", Status.ERROR, r"the route called sys\.exit\(9\)"),
}


def test_crashes_and_garbage_fail_cleanly_and_spare_the_others(grader_session: Grader, probe,
                                                               tmp_path: Path) -> None:
    import re

    solution = (PROBE / "solution" / "app.py").read_text()
    subs: dict[str, Path] = {"honest": PROBE / "solution"}
    for name, (code, _, _) in BROKEN_ROUTES.items():
        path = tmp_path / f"{name}.py"
        path.write_text("import os, time\n" + solution.replace('    return "new place"', f"    {code}\n"
                                                               '    return "new place"'))
        subs[name] = path
    reports = grader_session.grade_many(probe, subs)
    assert reports["honest"].score == probe.max_score
    for name, (_, status, pattern) in BROKEN_ROUTES.items():
        checks = {c.id: c for c in reports[name].checks}
        assert checks["redirect"].status is status, (name, checks["redirect"])
        assert re.search(pattern, checks["redirect"].message), (name, checks["redirect"].message)
        assert all(c.status is Status.PASSED for cid, c in checks.items() if cid != "redirect"), name


def test_patching_pytest_or_builtins_changes_nothing(grader_session: Grader, probe, tmp_path: Path) -> None:
    """The checks run in another process: a submission can only patch its own copy of anything."""
    hostile = tmp_path / "patcher.py"
    hostile.write_text(textwrap.dedent("""
        import builtins
        import sys
        try:
            import pytest
            pytest.fail = lambda *a, **k: None
        except ImportError:
            pass
        try:
            import grader.checks
            grader.checks.fail = lambda *a, **k: None
        except ImportError:
            pass
        builtins.AssertionError = type("Never", (Exception,), {})
        sys.modules["grader.checks"] = None
        from flask import Flask
        app = Flask(__name__)

        @app.post("/echo")
        def echo():
            return {"wrong": True}
    """))
    report = grader_session.grade(probe, hostile)
    assert report.status is ReportStatus.GRADED
    assert report.score == 0
    echo = next(c for c in report.checks if c.id == "json-echo")
    assert echo.status is Status.FAILED and "the JSON differs" in echo.message


# --------------------------------------------------------------------------- signals, in our own pid namespace


SIGNAL_SCRIPT = r"""
import json, os, subprocess, sys
from pathlib import Path
from grader.grading import Grader
from grader.spec import load_exercise

probe = load_exercise(sys.argv[1])
solution = Path(sys.argv[1], "solution", "app.py").read_text()
attacks = {
    "kill-all": "os.kill(-1, signal.SIGKILL)",
    "kill-parent": "os.kill(os.getppid(), signal.SIGKILL)",
    "kill-group": "os.killpg(0, signal.SIGKILL)",
    "kill-scan": "[os.kill(int(p), 9) for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()]",
}
canary = subprocess.Popen(["sleep", "60"])
out = Path(sys.argv[2])
subs = {"honest": Path(sys.argv[1], "solution")}
for name, code in attacks.items():
    p = out / f"{name}.py"
    p.write_text("import os, signal\n" + solution.replace('    return "new place"',
                 "    try:\n        " + code + "\n    except OSError:\n        pass\n    return 'new place'"))
    subs[name] = p
with Grader(disabled_layers=set(sys.argv[3].split(",")) - {""}) as grader:
    reports = grader.grade_many(probe, subs)
alive = canary.poll() is None
canary.kill()
print(json.dumps({"canary_alive": alive, "scores": {k: r.score for k, r in reports.items()},
                  "max": probe.max_score}))
"""


def _own_pid_namespace() -> list[str]:
    if os.geteuid() == 0:
        return ["unshare", "--pid", "--fork", "--mount-proc"]
    return ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc"]


@pytest.mark.parametrize("config", ["full", "landlock"])
def test_signals_inside_own_pid_namespace(tmp_path: Path, config: str) -> None:
    """kill(-1), the parent, the group, everything in /proc: the grader, a bystander process and the honest
    submission graded in the same batch all survive. Run in a pid namespace of the test's own making, so a
    broken defence kills only that namespace."""
    disabled = ",".join(sorted(CONFIGS[config]))
    proc = subprocess.run([*_own_pid_namespace(), sys.executable, "-c", SIGNAL_SCRIPT, str(PROBE), str(tmp_path),
                           disabled], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["canary_alive"], result
    assert result["scores"]["honest"] == result["max"]
    for name, score in result["scores"].items():
        # Each attack runs inside the redirect route only: the other checks still pass.
        assert score >= result["max"] - 1, (name, score)


# --------------------------------------------------------------------------- the batch is not affected


def test_one_hostile_submission_never_changes_another_score(grader_session: Grader, probe, tmp_path: Path) -> None:
    solution = (PROBE / "solution" / "app.py").read_text()
    hostile = {
        "fork-bomb": "while True:\n        try:\n            os.fork()\n        except OSError:\n            break",
        "hog": "x = bytearray(3 * 1024 ** 3)",
        "loop": "while True:\n        pass",
        "fill": "open('/tmp/f', 'wb').write(b'x' * (200 * 1024 * 1024))",
    }
    subs: dict[str, Path] = {}
    for i, (name, code) in enumerate(hostile.items()):
        subs[f"honest-{i}"] = PROBE / "solution"
        path = tmp_path / f"{name}.py"
        path.write_text("import os\n" + solution.replace('    return {"count": COUNT["n"]}',
                                                         f'    {code}\n    return {{"count": COUNT["n"]}}'))
        subs[name] = path
    reports = grader_session.grade_many(probe, subs)
    for key, report in reports.items():
        if key.startswith("honest"):
            assert report.score == probe.max_score, (key, [(c.id, c.message) for c in report.checks])
        else:
            # The fork bomb's first fork is refused (a check may start no process), so its route still answers.
            lost = 0 if key == "fork-bomb" and grader_session.zygote.layers["seccomp"] else 1
            assert report.score == probe.max_score - lost, (key, [(c.id, c.message) for c in report.checks
                                                                  if c.status is not Status.PASSED])


def test_a_python_installed_under_tmp_stays_visible(probe, tmp_path_factory) -> None:
    """CI checkouts often live under /tmp: the sandbox's own /tmp must not hide their virtualenv."""
    import venv

    where = Path(tempfile.mkdtemp(prefix="frg-venv-", dir="/tmp"))
    try:
        venv.EnvBuilder(system_site_packages=True, with_pip=False, symlinks=True).create(where)
        site = next(where.glob("lib/python3*/site-packages"))
        # The grader and Flask come from this checkout and the current environment.
        import sysconfig

        (site / "frg_parent.pth").write_text(f"{ROOT}\n{sysconfig.get_paths()['purelib']}\n")
        (site / "frg_lazy_module.py").write_text("VALUE = 'seen'\n")
        source = ATTACK_APP.format(imports="", body="    import frg_lazy_module\n    return frg_lazy_module.VALUE")
        with Zygote(python=str(where / "bin" / "python")) as zygote:
            sub = Submission(Path("lazy"), (("app.py", source.encode()),), "0" * 64)
            sandbox = zygote.spawn(sub, probe)
            try:
                assert sandbox.wait_loaded().ok
                channel = sandbox.start_check()
                assert SandboxClient(channel).get("/attack").get_json() == "seen"
                channel.finish()
            finally:
                sandbox.kill()
    finally:
        shutil.rmtree(where, ignore_errors=True)
