"""Assertions for writing checks, with messages a student can act on.

Checks are ordinary pytest tests that take the ``client`` fixture (the Werkzeug test-client API; every
request crosses into the sandboxed submission) and assert on the response with these helpers::

    def test_created(client):
        resp = client.post("/items", json={"name": "pen", "price": 1.5})
        expect_status(resp, 201)
        body = expect_json(resp)
        expect_equal(body["name"], "pen", "the JSON key `name`")

Each helper raises :class:`CheckFailure` (an ``AssertionError``) whose message is shown to the student as is.
"""

from __future__ import annotations

from collections.abc import Iterable
from http.cookies import SimpleCookie
from typing import Any

from werkzeug.test import TestResponse

_SHOW = 200  # characters of a body quoted back to the student


class CheckFailure(AssertionError):
    """A check found behaviour that differs from the exercise statement."""


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOW else text[:_SHOW] + f"... ({len(text)} characters)"


def describe_request(resp: TestResponse) -> str:
    """``GET /search?q=x``: how messages name the request a response answers."""
    return _what(resp)


def _what(resp: TestResponse) -> str:
    request = getattr(resp, "request", None)
    if request is None:
        return "the request"
    query = request.query_string.decode("utf-8", "replace")
    # The query is often what the check varies (?limit=0, ?source=web): the student needs to see it.
    return f"{request.method} {request.path}" + (f"?{query}" if query else "")


def fail(message: str) -> None:
    __tracebackhide__ = True
    raise CheckFailure(message)


def expect_status(resp: TestResponse, expected: int | Iterable[int]) -> None:
    __tracebackhide__ = True
    allowed = (expected,) if isinstance(expected, int) else tuple(expected)
    if resp.status_code not in allowed:
        want = " or ".join(str(s) for s in allowed)
        fail(f"{_what(resp)}: expected status {want}, got {resp.status_code}")


def expect_body(resp: TestResponse, expected: str) -> None:
    """The body, as text, is exactly ``expected``."""
    __tracebackhide__ = True
    body = resp.get_data(as_text=True)
    if body != expected:
        fail(f"{_what(resp)}: expected the body {expected!r}, got {_short(body)!r}")


def expect_body_contains(resp: TestResponse, fragment: str) -> None:
    __tracebackhide__ = True
    body = resp.get_data(as_text=True)
    if fragment not in body:
        fail(f"{_what(resp)}: expected the body to contain {fragment!r}, got {_short(body)!r}")


def expect_json(resp: TestResponse, expected: Any = ...) -> Any:
    """The response is JSON (by content type and body); returns the parsed body.

    With ``expected``, the parsed body must equal it.
    """
    __tracebackhide__ = True
    if not resp.is_json:
        fail(
            f"{_what(resp)}: expected a JSON response (Content-Type application/json), "
            f"got {resp.mimetype or 'no content type'} with body {_short(resp.get_data(as_text=True))!r}"
        )
    data = resp.get_json(silent=True)
    if data is None and resp.get_data(as_text=True).strip() != "null":
        fail(f"{_what(resp)}: the body is not valid JSON: {_short(resp.get_data(as_text=True))!r}")
    if expected is not ... and not same_json(data, expected):
        fail(f"{_what(resp)}: expected the JSON {_short(expected)}, got {_short(data)}")
    return data


def same_json(actual: Any, expected: Any) -> bool:
    """Equal as JSON values: ``true`` is not ``1`` and ``0`` is not ``false`` (Python's ``==`` says they are);
    ``1`` and ``1.0`` are the same number."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, dict):
        return (isinstance(actual, dict) and actual.keys() == expected.keys()
                and all(same_json(actual[k], v) for k, v in expected.items()))
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(actual) == len(expected)
                and all(same_json(a, e) for a, e in zip(actual, expected, strict=True)))
    return bool(actual == expected)


def expect_json_error(resp: TestResponse, status: int) -> dict[str, Any]:
    """``status`` with a JSON object holding a non-empty string ``error`` (wording is the student's)."""
    __tracebackhide__ = True
    expect_status(resp, status)
    data = expect_json(resp)
    if not isinstance(data, dict) or not isinstance(data.get("error"), str) or not data["error"].strip():
        fail(f"{_what(resp)}: expected JSON like {{\"error\": \"...\"}} with a non-empty message, got {_short(data)}")
    return data


def expect_equal(actual: Any, expected: Any, what: str) -> None:
    __tracebackhide__ = True
    if actual != expected:
        fail(f"expected {what} to be {_short(expected)}, got {_short(actual)}")


def expect_header(resp: TestResponse, name: str, expected: str | None = None, *, contains: str | None = None) -> str:
    """The header is present (with the exact value, or containing a fragment); returns its value."""
    __tracebackhide__ = True
    value = resp.headers.get(name)
    if value is None:
        fail(f"{_what(resp)}: expected a `{name}` header, but the response has none")
    assert value is not None
    if expected is not None and value != expected:
        fail(f"{_what(resp)}: expected header `{name}: {expected}`, got `{name}: {_short(value)}`")
    if contains is not None and contains.lower() not in value.lower():
        fail(f"{_what(resp)}: expected header `{name}` to contain {contains!r}, got {_short(value)!r}")
    return value


def expect_no_header(resp: TestResponse, name: str) -> None:
    __tracebackhide__ = True
    if name in resp.headers:
        fail(f"{_what(resp)}: expected no `{name}` header, got `{name}: {_short(resp.headers[name])}`")


def set_cookies(resp: TestResponse) -> dict[str, dict[str, Any]]:
    """Every ``Set-Cookie`` in the response: name -> {value, path, httponly, samesite, max-age, ...}."""
    out: dict[str, dict[str, Any]] = {}
    for raw in resp.headers.getlist("Set-Cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:  # a malformed header is the student's; report it as missing
            continue
        for name, morsel in jar.items():
            attrs: dict[str, Any] = {"value": morsel.value, "raw": raw}
            for key in ("path", "domain", "max-age", "expires", "samesite"):
                if morsel[key]:
                    attrs[key] = morsel[key]
            # SimpleCookie keeps flags as True or "" depending on the Python version.
            lowered = raw.lower()
            attrs["httponly"] = "httponly" in [p.strip() for p in lowered.split(";")]
            attrs["secure"] = "secure" in [p.strip() for p in lowered.split(";")]
            out[name] = attrs
    return out


def expect_cookie(resp: TestResponse, name: str, value: str | None = None, **attributes: Any) -> dict[str, Any]:
    """A ``Set-Cookie`` for ``name`` with the value and attributes given.

    Attributes use Python names: ``path="/"``, ``httponly=True``, ``samesite="Lax"``, ``max_age=2592000``.
    """
    __tracebackhide__ = True
    cookies = set_cookies(resp)
    if name not in cookies:
        names = ", ".join(sorted(cookies)) or "none"
        fail(f"{_what(resp)}: expected the response to set cookie `{name}`; cookies set: {names}")
    cookie = cookies[name]
    if value is not None and cookie["value"] != value:
        fail(f"{_what(resp)}: expected cookie `{name}` to be {value!r}, got {cookie['value']!r}")
    for attr, want in attributes.items():
        key = attr.replace("_", "-")
        got = cookie.get(key)
        if isinstance(want, bool):
            if bool(got) != want:
                fail(f"{_what(resp)}: expected cookie `{name}` {'with' if want else 'without'} the "
                     f"{key.capitalize() if key != 'httponly' else 'HttpOnly'} attribute; got `{cookie['raw']}`")
        elif str(got or "").lower() != str(want).lower():
            shown = {"max-age": "Max-Age", "samesite": "SameSite"}.get(key, key.capitalize())
            fail(f"{_what(resp)}: expected cookie `{name}` with {shown}={want}, got "
                 f"{shown}={got if got else '(missing)'} in `{cookie['raw']}`")
    return cookie


def expect_no_cookie(resp: TestResponse, name: str) -> None:
    __tracebackhide__ = True
    cookies = set_cookies(resp)
    if name in cookies:
        fail(f"{_what(resp)}: expected no cookie `{name}` to be set, got `{cookies[name]['raw']}`")
