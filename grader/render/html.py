"""HTML report (placeholder until the template lands)."""

from __future__ import annotations

from ..results import Report


def render_html(report: Report) -> str:
    raise RuntimeError("the HTML renderer is being written")
