"""Report renderers: one pure function per format, ``Report -> str``, all fed by the same report.

Writers are separate from renderers so every format is written the same way: atomically, never half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..results import Report, to_json
from ._common import STATUS_LABELS, number
from .classroom import render_classroom
from .gradescope import render_gradescope
from .html import render_html
from .junit import render_junit, render_junit_annotated
from .markdown import render_markdown

__all__ = ["DEFAULT_FORMATS", "RENDERERS", "STATUS_LABELS", "Renderer", "number", "write_atomic", "write_reports"]

Renderer = Callable[[Report], str]

# format name -> (file name, renderer)
RENDERERS: dict[str, tuple[str, Renderer]] = {
    "json": ("report.json", to_json),
    "html": ("report.html", render_html),
    "gradescope": ("results.json", render_gradescope),  # the name Gradescope reads
    "junit": ("junit.xml", render_junit),  # valid against Jenkins xunit's junit-10.xsd
    "xunit1": ("xunit1.xml", render_junit_annotated),  # junit.xml + testcase file/line, as pytest's xunit1
    "markdown": ("report.md", render_markdown),
    "classroom": ("classroom.b64", render_classroom),  # one base64 line, as Classroom's step output holds
}
DEFAULT_FORMATS = ("json", "html")


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and ``os.replace``: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(report: Report, out_dir: Path, formats: tuple[str, ...] = DEFAULT_FORMATS) -> list[Path]:
    written = []
    for fmt in formats:
        name, render = RENDERERS[fmt]
        path = out_dir / name
        write_atomic(path, render(report))
        written.append(path)
    return written
