"""The self-hosted submission portal (``grader serve``): a Flask face on top of the grading session.

Nothing below it imports it; it uses :class:`grader.grading.Grader` through its worker pool (:mod:`.jobs`).
"""

from __future__ import annotations

from .app import create_app, start_grading, stop_grading
from .config import PortalConfig

__all__ = ["PortalConfig", "create_app", "start_grading", "stop_grading"]
