"""Which files of a folder the grader reads: the one rule for submissions, starters, handouts and bundles.

The lowest layer (it imports nothing of the grader), so the sandbox, the handout writer and the Gradescope
bundle all skip the same things.
"""

from __future__ import annotations

from pathlib import PurePath

# Tool and VCS folders: never part of anyone's work, and often large.
SKIP_DIRS = frozenset({".git", "__pycache__", ".venv", "venv", "node_modules", ".mypy_cache", ".pytest_cache",
                       ".ruff_cache", "__MACOSX"})  # the last: what macOS adds to a zip of a folder


def skipped(rel: PurePath) -> bool:
    """A path (relative to the folder being read) inside a skipped folder, or hidden (a dotfile or dot-folder)."""
    return any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts)
