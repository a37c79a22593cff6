"""axe-core (tests/package.json, from npm) run inside a page of the portal's browser tests, which use the
shared browser base of tests/browser.py (Debian's Chromium through Playwright)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now.

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern, so
    the page keeps its real CSP during the test (a <script> tag would need it switched off).
    """
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run the tests with ./dev/test, which runs npm in tests/ "
                    "(tests/package.json)", pytrace=False)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Page) -> None:
    found = axe_violations(page)
    assert found == [], f"{page.url}: " + json.dumps(found, indent=1)
