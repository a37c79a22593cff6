"""Assertions for writing checks, with messages a student can act on.

Checks are ordinary pytest tests that take the ``client`` fixture (the Werkzeug test-client API; every
request crosses into the sandboxed submission) and assert on the response with these helpers::

    def test_created(client):
        resp = client.post("/items", json={"name": "pen", "price": 1.5})
        expect_status(resp, 201)
        expect_json_key(resp, "name", "pen")

Each helper raises :class:`CheckFailure` (an ``AssertionError``) whose message is shown to the student as is.
A message says what differs (for JSON, the keys or list positions, ``results[1]: expected 'Flask Testing',
got 'flask testing'``), a hint where the cause is common and knowable, and ends with the request the check
sent and a ``curl`` line that sends it again to ``flask --app app run``. Helpers that take a response name
its request themselves; ``fail`` and ``expect_equal`` do when given ``resp=``.

One mistake should cost one check: compare only what the check's title names (``expect_json_key`` for one key
of an object) and leave the rest to the checks that own it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from http.cookies import SimpleCookie
from typing import Any

from werkzeug.test import TestResponse

from .reproduce import SentRequest

_SHOW = 200  # characters of a body quoted back to the student
_DIFFERENCES = 6  # JSON differences listed before "... and N more"


class CheckFailure(AssertionError):
    """A check found behaviour that differs from the exercise statement."""


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOW else text[:_SHOW] + f"... ({len(text)} characters)"


def sent_request(resp: TestResponse) -> SentRequest | None:
    """What the client sent for ``resp`` (its ``.request``), or None for a response built by hand."""
    request = getattr(resp, "request", None)
    if request is None:
        return None
    stream = request.environ.get("wsgi.input")
    body = b""
    try:  # the proxy read the body to send it; the client's stream is a seekable BytesIO
        if stream is not None and stream.seekable():
            where = stream.tell()
            stream.seek(0)
            body = stream.read()
            stream.seek(where)
    except (OSError, ValueError):  # closed with its response: describe the rest
        body = b""
    return SentRequest.from_environ(request.environ, body)


def describe_request(resp: TestResponse) -> str:
    """``GET /search?q=x``: how messages name the request a response answers."""
    return _what(resp)


def _what(resp: TestResponse | None) -> str:
    sent = sent_request(resp) if resp is not None else None
    return sent.target if sent is not None else "the request"


def reproduce(resp: TestResponse) -> str:
    """The lines that end a failure: the request ``resp`` answers, and a curl line that sends it again."""
    sent = sent_request(resp)
    return sent.reproduce() if sent is not None else ""


def fail(message: str, resp: TestResponse | None = None, *, hint: str | None = None) -> None:
    """Fail the check with ``message``; with ``resp``, the message ends with its request and a curl line."""
    __tracebackhide__ = True
    parts = [message]
    if hint:
        parts.append(f"Hint: {hint}")
    if resp is not None:
        block = reproduce(resp)
        if block:
            parts.append(block)
    raise CheckFailure("\n".join(parts))


def expect_status(resp: TestResponse, expected: int | Iterable[int], *, hint: str | None = None) -> None:
    __tracebackhide__ = True
    allowed = (expected,) if isinstance(expected, int) else tuple(expected)
    if resp.status_code not in allowed:
        want = " or ".join(str(s) for s in allowed)
        if hint is None and resp.status_code == 405 and 405 not in allowed:
            hint = f"405 means the route does not accept {_method(resp)}: check its methods=[...]"
        fail(f"{_what(resp)}: expected status {want}, got {resp.status_code}", resp, hint=hint)


def _method(resp: TestResponse) -> str:
    sent = sent_request(resp)
    return sent.method if sent is not None else "this method"


def _body_hint(body: str, expected: str) -> str | None:
    """The causes of a wrong exact body that are common and can be told from the two texts."""
    if body.strip() == expected.strip():
        return "the text is right but has extra spaces or a newline at the start or end"
    if body == html.escape(expected) or body == html.escape(expected, quote=False) or (
            body.replace("&#39;", "'").replace("&#34;", '"') == html.escape(expected, quote=False)):
        return ("the body is HTML-escaped (&#39; or &amp; stand for ' and &): return the text itself, not "
                "markupsafe.escape(...) or a template that escapes it")
    if body.lower() == expected.lower():
        return "only the letter case differs"
    return None


def expect_body(resp: TestResponse, expected: str, *, hint: str | None = None) -> None:
    """The body, as text, is exactly ``expected``."""
    __tracebackhide__ = True
    body = resp.get_data(as_text=True)
    if body != expected:
        fail(f"{_what(resp)}: expected the body {expected!r}, got {_short(body)!r}", resp,
             hint=hint or _body_hint(body, expected))


def expect_body_contains(resp: TestResponse, fragment: str, *, hint: str | None = None) -> None:
    __tracebackhide__ = True
    body = resp.get_data(as_text=True)
    if fragment not in body:
        fail(f"{_what(resp)}: expected the body to contain {fragment!r}, got {_short(body)!r}", resp, hint=hint)


def _json_of(resp: TestResponse) -> Any:
    """The parsed JSON body, after checking it is JSON by content type and by body."""
    __tracebackhide__ = True
    if not resp.is_json:
        text = resp.get_data(as_text=True)
        hint = None
        if resp.mimetype == "text/html" and text.strip()[:1] in ("{", "["):
            hint = ("the body looks like JSON but is sent as text/html: return a dict or list, or use jsonify(...), "
                    "instead of a string")
        fail(f"{_what(resp)}: expected a JSON response (Content-Type application/json), "
             f"got {resp.mimetype or 'no content type'} with body {_short(text)!r}", resp, hint=hint)
    data = resp.get_json(silent=True)
    if data is None and resp.get_data(as_text=True).strip() != "null":
        fail(f"{_what(resp)}: the body is not valid JSON: {_short(resp.get_data(as_text=True))!r}", resp)
    return data


def expect_json(resp: TestResponse, expected: Any = ..., *, hint: str | None = None) -> Any:
    """The response is JSON (by content type and body); returns the parsed body.

    With ``expected``, the parsed body must equal it; the message names each key or position that differs.
    """
    __tracebackhide__ = True
    data = _json_of(resp)
    if expected is not ...:
        _expect_same(resp, data, expected, "", hint)
    return data


def expect_json_key(resp: TestResponse, key: str, expected: Any, *, hint: str | None = None) -> Any:
    """The response is a JSON object whose ``key`` equals ``expected`` (other keys are other checks' business).

    Returns the whole parsed object.
    """
    __tracebackhide__ = True
    data = _json_of(resp)
    value = json_key(resp, data, key)
    _expect_same(resp, value, expected, key, hint)
    return data


def json_key(resp: TestResponse, data: Any, key: str) -> Any:
    """``data[key]``, failing with a message naming the key when ``data`` is not an object holding it."""
    __tracebackhide__ = True
    if not isinstance(data, dict):
        fail(f"{_what(resp)}: expected a JSON object with the key {key!r}, got {_kind(data)} {_value(data)}", resp)
    if key not in data:
        keys = ", ".join(repr(k) for k in data) or "none"
        fail(f"{_what(resp)}: expected the JSON object to have the key {key!r}; its keys: {keys}", resp)
    return data[key]


def _expect_same(resp: TestResponse, actual: Any, expected: Any, path: str, hint: str | None) -> None:
    __tracebackhide__ = True
    found = json_differences(actual, expected, path)
    if not found:
        return
    if len(found) == 1:
        message = f"{_what(resp)}: unexpected JSON: {found[0]}"
    else:
        shown = found[:_DIFFERENCES]
        more = f"\n  ... and {len(found) - len(shown)} more" if len(found) > len(shown) else ""
        message = f"{_what(resp)}: the JSON differs in {len(found)} places:\n  " + "\n  ".join(shown) + more
    fail(message, resp, hint=hint)


def same_json(actual: Any, expected: Any) -> bool:
    """Equal as JSON values: ``true`` is not ``1`` and ``0`` is not ``false`` (Python's ``==`` says they are);
    ``1`` and ``1.0`` are the same number."""
    return not json_differences(actual, expected)


def _value(value: Any) -> str:
    return _short(repr(value))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def _scalar_equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return bool(actual == expected)
    return type(actual) is type(expected) and bool(actual == expected)


def json_differences(actual: Any, expected: Any, path: str = "") -> list[str]:
    """Where ``actual`` differs from ``expected`` as JSON: one line per key or list position, named by its path
    (``results[1]: expected 'Flask Testing', got 'flask testing'``). Empty when they are the same."""
    where = path or "the JSON"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {_kind(actual)} {_value(actual)}"]
        out = [f"{where}: missing the key {k!r}" for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if extra:
            wanted = ", ".join(repr(k) for k in expected) or "none"
            out.append(f"{where}: unexpected key{'s' if len(extra) > 1 else ''} "
                       f"{', '.join(repr(k) for k in extra)} (the keys are {wanted})")
        for k, v in expected.items():
            if k in actual:
                out += json_differences(actual[k], v, _join(path, k))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {_kind(actual)} {_value(actual)}"]
        if len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} item{'s' if len(expected) != 1 else ''} "
                    f"{_value(expected)}, got {len(actual)}: {_value(actual)}"]
        out = []
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            out += json_differences(a, e, _join(path, i))
        return out
    if _scalar_equal(actual, expected):
        return []
    kinds = f" ({_kind(expected)}), got {_value(actual)} ({_kind(actual)})" if _kind(actual) != _kind(expected) \
        else f", got {_value(actual)}"
    return [f"{where}: expected {_value(expected)}{kinds}"]


def expect_json_error(resp: TestResponse, status: int) -> dict[str, Any]:
    """``status`` with a JSON object holding a non-empty string ``error`` (wording is the student's)."""
    __tracebackhide__ = True
    expect_status(resp, status)
    data = expect_json(resp)
    if not isinstance(data, dict) or not isinstance(data.get("error"), str) or not data["error"].strip():
        fail(f"{_what(resp)}: expected JSON like {{\"error\": \"...\"}} with a non-empty message, got {_short(data)}",
             resp)
    return data


def _shape(resp: TestResponse) -> tuple[int, str, tuple[str, ...]]:
    data = resp.get_json(silent=True) if resp.is_json else None
    keys = tuple(sorted(str(k) for k in data)) if isinstance(data, dict) else ()
    return resp.status_code, "JSON" if resp.is_json else (resp.mimetype or "no content type"), keys


def expect_rejected_like(resp: TestResponse, reference: TestResponse, status: int = 400) -> None:
    """``resp`` is a rejection: ``status`` with a JSON error (as :func:`expect_json_error`), or the same status,
    content type and JSON keys as this app's rejection of ``reference``, a request another check scores the
    rejection of.

    So a rejection of the wrong shape (422 instead of 400, no ``error`` key) costs the one check that owns it.
    """
    __tracebackhide__ = True
    try:
        expect_json_error(resp, status)
        return
    except CheckFailure:
        if not 400 <= reference.status_code < 500:
            raise
    want, got = _shape(reference), _shape(resp)
    if got != want:
        def shown(shape: tuple[int, str, tuple[str, ...]]) -> str:
            keys = f" with the keys {', '.join(shape[2])}" if shape[2] else ""
            return f"status {shape[0]}, {shape[1]}{keys}"
        fail(f"{_what(resp)}: expected status {status} with a JSON error, or the answer this app gives "
             f"{_what(reference)} ({shown(want)}), got {shown(got)}: {_short(resp.get_data(as_text=True))!r}", resp)


def expect_equal(actual: Any, expected: Any, what: str, resp: TestResponse | None = None, *,
                 hint: str | None = None) -> None:
    """``actual == expected``; ``what`` names the value, ``resp`` the response it came from."""
    __tracebackhide__ = True
    if actual != expected:
        prefix = f"{_what(resp)}: " if resp is not None else ""
        fail(f"{prefix}expected {what} to be {_short(expected)}, got {_short(actual)}", resp, hint=hint)


def expect_header(resp: TestResponse, name: str, expected: str | None = None, *, contains: str | None = None) -> str:
    """The header is present (with the exact value, or containing a fragment); returns its value."""
    __tracebackhide__ = True
    value = resp.headers.get(name)
    if value is None:
        fail(f"{_what(resp)}: expected a `{name}` header, but the response has none", resp)
    assert value is not None
    if expected is not None and value != expected:
        hint = "only the letter case differs" if value.lower() == expected.lower() else None
        if value.strip() == expected.strip():
            hint = "the value has extra spaces at the start or end"
        fail(f"{_what(resp)}: expected header `{name}: {expected}`, got `{name}: {_short(value)}`", resp, hint=hint)
    if contains is not None and contains.lower() not in value.lower():
        fail(f"{_what(resp)}: expected header `{name}` to contain {contains!r}, got {_short(value)!r}", resp)
    return value


def expect_no_header(resp: TestResponse, name: str) -> None:
    __tracebackhide__ = True
    if name in resp.headers:
        fail(f"{_what(resp)}: expected no `{name}` header, got `{name}: {_short(resp.headers[name])}`", resp)


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
        fail(f"{_what(resp)}: expected the response to set cookie `{name}`; cookies set: {names}", resp)
    cookie = cookies[name]
    if value is not None and cookie["value"] != value:
        fail(f"{_what(resp)}: expected cookie `{name}` to be {value!r}, got {cookie['value']!r}", resp)
    for attr, want in attributes.items():
        key = attr.replace("_", "-")
        got = cookie.get(key)
        if isinstance(want, bool):
            if bool(got) != want:
                fail(f"{_what(resp)}: expected cookie `{name}` {'with' if want else 'without'} the "
                     f"{key.capitalize() if key != 'httponly' else 'HttpOnly'} attribute; got `{cookie['raw']}`", resp)
        elif str(got or "").lower() != str(want).lower():
            shown = {"max-age": "Max-Age", "samesite": "SameSite"}.get(key, key.capitalize())
            fail(f"{_what(resp)}: expected cookie `{name}` with {shown}={want}, got "
                 f"{shown}={got if got else '(missing)'} in `{cookie['raw']}`", resp)
    return cookie


def expect_no_cookie(resp: TestResponse, name: str) -> None:
    __tracebackhide__ = True
    cookies = set_cookies(resp)
    if name in cookies:
        fail(f"{_what(resp)}: expected no cookie `{name}` to be set, got `{cookies[name]['raw']}`", resp)
