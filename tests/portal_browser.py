"""A minimal browser base for the portal's tests: Debian's Chromium (/usr/bin/chromium, tests/system-packages.txt)
driven by Playwright, whose own browser builds are never downloaded; and axe-core (tests/package.json, from npm)
run inside a page.

The issue-13 branch is building the shared base (tests/browser.py); it had not reached main when this was
written, so this is the portal's own, kept small: replace it with that one once both are merged.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--no-default-browser-check", "--disable-dev-shm-usage"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def chromium_executable() -> str:
    found = shutil.which("/usr/bin/chromium") or shutil.which("chromium")
    if found is None:
        pytest.fail("Chromium is not installed: run the tests with ./dev/test, which installs "
                    "tests/system-packages.txt (or apt-get install -y chromium)", pytrace=False)
    return found


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        # Chromium's own sandbox cannot start as root (CI); the pages are the portal's own.
        args = CHROMIUM_ARGS + (["--no-sandbox"] if os.geteuid() == 0 else [])
        browser = p.chromium.launch(executable_path=chromium_executable(), args=args,
                                    chromium_sandbox=os.geteuid() != 0)
        yield browser
        browser.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now.

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern, so
    the page keeps its real CSP during the test (a <script> tag would need it switched off).
    """
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run the tests with ./dev/test, which runs npm install in tests/ "
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
