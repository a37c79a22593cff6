"""Inside the sandbox: import the student's module once and find its app the way ``flask --app`` does.

Discovery is Flask's own (``flask.cli.find_best_app`` and ``find_app_by_string``); this module only imports
the file with a traceback we can trim to the student's lines, and words Flask's ``NoAppException`` for a
student. Runs in pid 1 of the sandbox, after confinement.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LoadError:
    kind: str  # syntax, import, exception, no_app, factory, missing_entry, exit
    message: str
    traceback: str = ""

    def to_header(self) -> dict[str, Any]:
        return {"op": "load_error", "kind": self.kind, "message": self.message[:2000],
                "traceback": self.traceback[:8000]}


def rel(path: str, workdir: str) -> str:
    return path[len(workdir) + 1 :] if path.startswith(workdir + "/") else os.path.basename(path)


def where(exc: BaseException, workdir: str) -> str:
    """`app.py line 7` for the innermost frame of the submission."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{rel(exc.filename, workdir)} line {exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(workdir + "/")]
    if frames:
        return f"{rel(frames[-1].filename, workdir)} line {frames[-1].lineno}"
    return ""


def student_traceback(exc: BaseException, workdir: str) -> str:
    """The traceback lines that are the student's own code, plus the exception line: no host paths."""
    lines: list[str] = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(workdir + "/"):
            lines.append(f'  File "{rel(frame.filename, workdir)}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
    if isinstance(exc, SyntaxError) and exc.text:
        lines.append(f'  File "{rel(exc.filename or "", workdir)}", line {exc.lineno}')
        lines.append(f"    {exc.text.rstrip()}")
        if exc.offset:
            lines.append("    " + " " * (len(exc.text.rstrip()) - len(exc.text.strip()) + exc.offset - 1) + "^")
    lines.append(exc_line(exc))
    return "\n".join(lines)


def exc_line(exc: BaseException) -> str:
    msg = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    return f"{type(exc).__name__}: {msg}"[:2000] if msg else type(exc).__name__


def files_under(workdir: str) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, n), workdir) for d, _dirs, names in os.walk(workdir)
                  for n in names)


def load(entry: str, app_name: str | None, workdir: str) -> tuple[Any, LoadError | None]:
    """Import ``entry`` from ``workdir`` and return its app, or why there is none."""
    path = os.path.join(workdir, entry)
    if not os.path.isfile(path):
        present = files_under(workdir)[:10]
        return None, LoadError("missing_entry", f"the submission has no {entry} (it has: "
                               f"{', '.join(present) or 'no files'})")
    module, error = _import(entry, path, workdir)
    if error is not None:
        return None, error
    return find_app(module, app_name, entry, workdir)


def _import(entry: str, path: str, workdir: str) -> tuple[Any, LoadError | None]:
    import importlib.util

    sys.path.insert(0, workdir)
    modname = entry[:-3]
    try:
        mspec = importlib.util.spec_from_file_location(modname, path)
        assert mspec is not None and mspec.loader is not None
        module = importlib.util.module_from_spec(mspec)
        sys.modules[modname] = module
        mspec.loader.exec_module(module)
    except SystemExit as exc:
        return None, LoadError("exit", f"{entry} called sys.exit({exc.code!r}) while loading",
                               student_traceback(exc, workdir))
    except BaseException as exc:
        at = where(exc, workdir)
        kind = "syntax" if isinstance(exc, SyntaxError) else "import" if isinstance(exc, ImportError) else "exception"
        head = f"{type(exc).__name__} at {at}" if at else f"{type(exc).__name__} while loading {entry}"
        detail = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        return None, LoadError(kind, (f"{head}: {detail}" if detail else head)[:2000],
                               student_traceback(exc, workdir))
    return module, None


def find_app(module: Any, app_name: str | None, entry: str, workdir: str) -> tuple[Any, LoadError | None]:
    """Flask's own discovery: ``app``/``application``, the only Flask instance, or a ``create_app()`` /
    ``make_app()`` factory; or the spec's ``app`` (a name or a call, as in ``flask --app app:name``)."""
    from flask.cli import NoAppException, find_app_by_string, find_best_app

    try:
        app = find_app_by_string(module, app_name) if app_name else find_best_app(module)
    except NoAppException as exc:
        return None, LoadError("no_app", _explain(str(exc), module, entry))
    except BaseException as exc:  # a factory that raised: the student's code
        at = where(exc, workdir)
        factory = app_name or next((n for n in ("create_app", "make_app") if callable(getattr(module, n, None))),
                                   "the factory")
        return None, LoadError("factory", f"{factory.removesuffix('()')}() raised {type(exc).__name__}"
                               f"{' at ' + at if at else ''}: {exc}"[:2000], student_traceback(exc, workdir))
    return app, None


def _explain(flask_message: str, module: Any, entry: str) -> str:
    """Flask's NoAppException in a student's words. Flask's classes of failure have no types, only texts; an
    unrecognised one is passed on as Flask wrote it."""
    from flask import Flask

    if flask_message.startswith("Detected multiple Flask applications"):
        names = ", ".join(k for k, v in vars(module).items() if isinstance(v, Flask))
        return f"{entry} defines several Flask apps ({names}); name the one to grade `app`"
    if "could not call it without arguments" in flask_message:
        factory = next((n for n in ("create_app", "make_app") if callable(getattr(module, n, None))), "create_app")
        return f"{entry}: {factory}() needs arguments; the grader calls it with none"
    if flask_message.startswith("Failed to find Flask application or factory"):
        return (f"no Flask app found in {entry}: define `app = Flask(__name__)` or a `create_app()` factory "
                "that returns one")
    return f"{entry}: {flask_message}"
