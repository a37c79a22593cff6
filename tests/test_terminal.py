"""Text from a submission reaches a terminal with every control character visible."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from grader.terminal import _UNSAFE, visible


@pytest.mark.parametrize(("raw", "shown"), [
    ("\r\x1b[2Kauth-failed: 10/10", "\\r\\x1b[2Kauth-failed: 10/10"),
    ("a\u202eb", "a\\u202eb"),  # right-to-left override
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("\x85next line", "\\x85next line"),
    ("line one\nline two\tend", "line one\nline two\tend"),  # kept: they cannot redraw what was printed
    ("Olá, 世界 ✓", "Olá, 世界 ✓"),
])
def test_visible(raw: str, shown: str) -> None:
    assert visible(raw) == shown


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the table is this Python's Unicode data")
def test_the_table_is_exactly_unicodes_control_and_format_characters() -> None:
    expected = {c for c in range(0x110000) if unicodedata.category(chr(c)) in ("Cc", "Cf")} - {ord("\n"), ord("\t")}
    assert {c for c in range(0x110000) if _UNSAFE.fullmatch(chr(c))} == expected
