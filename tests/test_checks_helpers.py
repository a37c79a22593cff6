"""The assertion helpers checks use: their messages are what students read."""

from __future__ import annotations

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from grader.checks import (
    CheckFailure,
    expect_cookie,
    expect_header,
    expect_json,
    expect_json_error,
    expect_no_cookie,
    expect_no_header,
    expect_status,
    same_json,
)


@Request.application
def app(request: Request) -> Response:
    if request.path == "/json":
        return Response('{"ok": true, "n": 1}', content_type="application/json")
    if request.path == "/cookie":
        resp = Response("x")
        resp.set_cookie("theme", "dark", max_age=60, httponly=True, samesite="Lax", path="/")
        return resp
    return Response("plain", status=200, headers={"X-One": "1"})


client = Client(app)


def message(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailure) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_status_message_names_request_and_query() -> None:
    assert message(expect_status, client.get("/x?limit=0"), 400) == "GET /x?limit=0: expected status 400, got 200"
    assert "expected status 201 or 204" in message(expect_status, client.get("/x"), (201, 204))


def test_json_is_type_strict_for_booleans() -> None:
    resp = client.get("/json")
    assert expect_json(resp, {"ok": True, "n": 1.0}) == {"ok": True, "n": 1}
    assert "expected the JSON {'ok': 1, 'n': 1}" in message(expect_json, resp, {"ok": 1, "n": 1})
    assert not same_json(0, False) and same_json([1, {"a": None}], [1.0, {"a": None}])
    assert "expected a JSON response" in message(expect_json, client.get("/"))
    assert "non-empty message" in message(expect_json_error, client.get("/json"), 200)


def test_header_and_cookie_messages() -> None:
    resp = client.get("/")
    assert expect_header(resp, "X-One", "1") == "1"
    assert message(expect_header, resp, "X-Two") == "GET /: expected a `X-Two` header, but the response has none"
    assert "expected no `X-One` header" in message(expect_no_header, resp, "X-One")
    cookie = client.get("/cookie")
    expect_cookie(cookie, "theme", "dark", path="/", httponly=True, samesite="Lax", max_age=60)
    assert "with Max-Age=2592000, got Max-Age=60" in message(expect_cookie, cookie, "theme", max_age=2592000)
    assert "expected cookie `theme` with the Secure attribute" in message(expect_cookie, cookie, "theme", secure=True)
    assert "expected no cookie `theme`" in message(expect_no_cookie, cookie, "theme")
    assert "cookies set: none" in message(expect_cookie, resp, "theme")
