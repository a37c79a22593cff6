"""Golden files for the report formats: compare exactly, or rewrite them with UPDATE_GOLDEN=1.

After an intended change to a renderer, run
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_render_*.py
and review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def golden_text(name: str, actual: str) -> str:
    """The stored golden text for ``name`` (written from ``actual`` first under UPDATE_GOLDEN=1).

    Bytes, not text mode, so a carriage return in a report is compared as itself.
    """
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
    assert path.exists(), f"{path} is missing; create it with UPDATE_GOLDEN=1"
    return path.read_bytes().decode("utf-8")
