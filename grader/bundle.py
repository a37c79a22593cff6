"""The Gradescope autograder zip: ``setup.sh``, ``run_autograder``, a wheel of the grader and one exercise.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once when it builds the image, then
``run_autograder`` per submission, which must leave ``/autograder/results/results.json``. The zip carries
everything it needs (the grader as a wheel built with ``pip wheel --no-deps``; its dependencies come from
PyPI during setup), so building the image needs no access to the course's repository. The hidden checks
travel only inside this zip, which only instructors upload.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .errors import GraderError
from .files import SKIP_DIRS, skipped
from .spec import Exercise

DISTRIBUTION = "flask-route-grader"
# Fixed timestamps and sorted entries: the same inputs give the same zip, byte for byte.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"   # /autograder/source
ROOT="${AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
if ! command -v python3 >/dev/null || ! python3 -m venv --help >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
fi
# The grader needs Python 3.10 or newer; say so here rather than at the first submission.
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Flask Route Grader needs Python 3.10+")'
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
# The grader from the wheel in this zip; its dependencies (Flask, pytest, ...) from PyPI.
"$ROOT/venv/bin/python" -m pip install --quiet "$SOURCE"/wheels/*.whl
"$ROOT/venv/bin/grader" --version
# Fail the image build, not the first submission, if the exercise does not load here.
"$ROOT/venv/bin/grader" list --exercises "$SOURCE/exercises"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission, from /autograder. AUTOGRADER_ROOT points it at another tree.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
RESULTS="$ROOT/results"
# setup.sh installed the grader in $ROOT/venv; where there is none, the grader on PATH is used.
if [ -x "$ROOT/venv/bin/grader" ]; then PATH="$ROOT/venv/bin:$PATH"; fi
mkdir -p "$RESULTS"
cd "$ROOT"
grader grade @SLUG@ "$ROOT/submission" --exercises "$ROOT/source/exercises" --out "$RESULTS" --format gradescope
code=$?
if [ "$code" -ne 0 ] || [ ! -s "$RESULTS/results.json" ]; then
  # Exit 1 or 2 is the grader's own fault (its message is in stdout, which only instructors see).
  # Say so to the student instead of leaving Gradescope to blame the submission.
  msg="The autograder itself failed (exit code $code) before it could grade your submission."
  msg="$msg This is not a problem with your submission: your course staff have the details and will grade it again."
  cat > "$RESULTS/results.json" <<JSON
{"score": 0, "visibility": "visible", "stdout_visibility": "hidden", "tests": [], "output": "$msg",
 "extra_data": {"grader_exit_code": $code}}
JSON
fi
exit 0
"""


def _project_root() -> Path | None:
    """The source tree this grader runs from (an editable install or a clone), if there is one."""
    root = Path(__file__).resolve().parent.parent
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and f'name = "{DISTRIBUTION}"' in pyproject.read_text("utf-8"):
        return root
    return None


def build_wheel(dest: Path) -> Path:
    """``pip wheel --no-deps`` of this grader, built from a copy so the source tree gains no build/ folder."""
    root = _project_root()
    if root is None:
        raise GraderError("cannot build a wheel of the grader: it is not running from its source tree",
                          tip="build one where the source is (`pip wheel --no-deps -w dist .`) and pass --wheel")
    with tempfile.TemporaryDirectory(prefix="frg-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            if (root / name).is_file():
                shutil.copy2(root / name, src / name)
        shutil.copytree(root / "grader", src / "grader", ignore=shutil.ignore_patterns(*SKIP_DIRS, "*.pyc"))
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
               "-w", str(dest), str(src)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            raise GraderError(f"`pip wheel` failed to build the grader:\n{tail}",
                              tip="build a wheel yourself (`pip wheel --no-deps -w dist .`) and pass --wheel")
    wheels = sorted(dest.glob("flask_route_grader-*.whl"))
    if not wheels:
        raise GraderError(f"`pip wheel` left no flask_route_grader wheel in {dest}")
    return wheels[-1]


def _add(zf: zipfile.ZipFile, name: str, data: bytes, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16  # Unix mode; Gradescope runs them
    zf.writestr(info, data)


def _exercise_files(exercise: Exercise) -> list[Path]:
    """The spec and the checks folder: what a grade depends on. Starter, solution and examples stay out."""
    files = [exercise.spec_path]
    files += sorted(p for p in exercise.checks_dir.rglob("*") if p.is_file()
                    and not skipped(p.relative_to(exercise.root))
                    and p.suffix != ".pyc")
    return files


def run_autograder_script(exercise: Exercise) -> str:
    return RUN_AUTOGRADER.replace("@SLUG@", exercise.slug)  # a slug is [a-z0-9-]: safe unquoted in bash


def build_bundle(exercise: Exercise, out: Path, *, wheel: Path | None = None) -> Path:
    """Write the Gradescope zip for ``exercise`` to ``out`` (atomically) and return ``out``."""
    if wheel is not None and not wheel.is_file():
        raise GraderError(f"wheel {wheel} does not exist", tip="pass the .whl file that `pip wheel` wrote")
    with tempfile.TemporaryDirectory(prefix="frg-bundle-") as tmp:
        wheel = wheel or build_wheel(Path(tmp))
        staging = Path(tmp) / "bundle.zip"
        with zipfile.ZipFile(staging, "w") as zf:
            _add(zf, "setup.sh", SETUP_SH.encode(), executable=True)
            _add(zf, "run_autograder", run_autograder_script(exercise).encode(), executable=True)
            _add(zf, f"wheels/{wheel.name}", wheel.read_bytes())
            for path in _exercise_files(exercise):
                rel = path.relative_to(exercise.root).as_posix()
                _add(zf, f"exercises/{exercise.slug}/{rel}", path.read_bytes())
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp_out = out.with_name(f".{out.name}.tmp")
        shutil.copyfile(staging, tmp_out)
        tmp_out.replace(out)
    return out
