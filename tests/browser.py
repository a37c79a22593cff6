"""Browser tests' base: Debian's Chromium driven through Playwright, and the checks every page should pass.

Playwright's own browser builds are never downloaded (the machines reach PyPI, npm and Debian only); the tests
use the system Chromium that ``dev/test`` installs from ``tests/system-packages.txt``. Fixtures, which
``conftest.py`` defines from :func:`launch` and :func:`page_opener` so any test module can ask for them:

- ``browser``: one Chromium for the whole run (starting it costs about a second).
- ``open_page``: ``open_page(url, DESKTOP)`` or ``open_page(url, PHONE)`` gives a page loaded in a fresh
  context of that viewport (its own cookies and storage, closed after the test), with ``errors(page)``
  listing what the page logged as an error (a script that threw, a resource or script that CSP blocked).

Helpers take a loaded page: :func:`horizontal_overflow`, :func:`unresolved_links`, :func:`smallest_text_px`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")

# Chromium phones home at start-up (component updates, field trials, safe browsing); on a closed network each
# attempt is refused or hangs, so every background connection is switched off.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-gpu",
    "--disable-dev-shm-usage",
]


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    mobile: bool = False


DESKTOP = Viewport("desktop", 1280, 800)
# An iPhone 12-15 sized phone: the width the pages must fit without scrolling sideways.
PHONE = Viewport("phone", 390, 844, mobile=True)
VIEWPORTS = (DESKTOP, PHONE)

OpenPage = Callable[[str, Viewport], Page]


def chromium_executable() -> str:
    """The system Chromium; a missing one fails with the command that installs it."""
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    pytest.fail("Chromium is not installed: run the tests with ./dev/test, which installs tests/system-packages.txt"
                " (or apt-get install -y chromium)", pytrace=False)


def launch() -> Iterator[Browser]:
    """One headless Chromium, closed when the generator is."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_executable(),
            # Chromium's own sandbox cannot start as root; the pages under test are our own reports.
            chromium_sandbox=os.geteuid() != 0,
            args=CHROMIUM_ARGS,
        )
        yield chromium
        chromium.close()


_ERRORS_KEY = "_grader_test_errors"


def page_opener(browser: Browser) -> Iterator[OpenPage]:
    """``open_page(url, viewport)``; every context it opened is closed when the generator is."""
    contexts = []

    def open_(url: str, viewport: Viewport) -> Page:
        context = browser.new_context(viewport={"width": viewport.width, "height": viewport.height},
                                      is_mobile=viewport.mobile, has_touch=viewport.mobile,
                                      device_scale_factor=2 if viewport.mobile else 1)
        contexts.append(context)
        page = context.new_page()
        logged: list[str] = []
        page.on("console", lambda msg: logged.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: logged.append(f"uncaught: {exc}"))
        setattr(page, _ERRORS_KEY, logged)
        page.goto(url, wait_until="load")
        return page

    yield open_
    for context in contexts:
        context.close()


def errors(page: Page) -> list[str]:
    """What the page logged as an error since it was opened (CSP violations are logged this way)."""
    logged: list[str] = getattr(page, _ERRORS_KEY)
    return list(logged)


def horizontal_overflow(page: Page, viewport: Viewport) -> int:
    """How many CSS pixels the document is wider than the viewport (0 when nothing scrolls sideways)."""
    width: int = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    inner: int = page.evaluate("window.innerWidth")
    return max(0, width - min(inner, viewport.width))


def unresolved_links(page: Page) -> list[str]:
    """Every ``<a href>`` that leads nowhere: a missing file, a missing ``#anchor``, or a page off this machine.

    The pages under test are files opened from disk, so a link must be to another file (which must exist) or
    to an element id of the page itself.
    """
    here = urlsplit(page.url)
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    ids = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
    broken = []
    for href in hrefs:
        url = urlsplit(href)
        if url.scheme != "file":
            broken.append(href)
        elif url.path == here.path:
            if url.fragment and unquote(url.fragment) not in ids:
                broken.append(href)
        elif not Path(unquote(url.path)).is_file():
            broken.append(href)
    return broken


def smallest_text_px(page: Page, selector: str) -> float:
    """The smallest rendered font size, in CSS pixels of the page, of the text elements under ``selector``.

    SVG text is measured as drawn: its computed font size times the scale the SVG is shown at, since a
    viewBox drawn narrower than its width shrinks its text with it.
    """
    size: float = page.evaluate(
        """(selector) => {
          let smallest = Infinity;
          for (const root of document.querySelectorAll(selector)) {
            const all = [root, ...root.querySelectorAll("*")];
            for (const el of all) {
              const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
              if (!own || !el.getClientRects().length) continue;  // <title>, hidden elements
              let px = parseFloat(getComputedStyle(el).fontSize);
              const svg = el.closest("svg");
              if (svg && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
                px *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
              }
              smallest = Math.min(smallest, px);
            }
          }
          return smallest;
        }""",
        selector,
    )
    return size
