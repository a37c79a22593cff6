"""Text from a submission, made safe for a terminal: every control character shown, none obeyed.

A load error or an app's output can hold ``\\r``, ``ESC [2K`` or a right-to-left override; printed raw they
erase the real line and draw a forged one ("auth-failed: 10/10"). Everything the CLI prints that came from
a submission goes through :func:`visible` first. Newlines and tabs are kept; everything else in Unicode's
control (Cc) and format (Cf) categories becomes a Python-style escape that anyone can read.
"""

from __future__ import annotations

import re


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch == "\r":
        return "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


# Unicode's Cc and Cf categories but newline and tab (this Python's Unicode data; a test compares the two).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2"
                     "\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd"
                     "\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
                     "\U000e0020-\U000e007f]")


def visible(text: str) -> str:
    """``text`` with every control and format character (but newline and tab) written as an escape."""
    return _UNSAFE.sub(lambda m: _escape(m.group()), text)
