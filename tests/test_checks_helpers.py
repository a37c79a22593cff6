"""The assertion helpers checks use: their messages are what students read."""

from __future__ import annotations

import io
import shlex

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from grader.checks import (
    CheckFailure,
    expect_body,
    expect_cookie,
    expect_equal,
    expect_header,
    expect_json,
    expect_json_error,
    expect_json_key,
    expect_no_cookie,
    expect_no_header,
    expect_rejected_like,
    expect_status,
    fail,
    json_differences,
    same_json,
)
from grader.reproduce import SentRequest


@Request.application
def app(request: Request) -> Response:
    if request.path == "/json":
        return Response('{"ok": true, "n": 1}', content_type="application/json")
    if request.path == "/search":
        return Response('{"query": "flask", "count": 2, "results": ["Flask REST API", "flask testing"]}',
                        content_type="application/json")
    if request.path == "/escaped":
        return Response("Hello O&#39;Brien &amp; co from the web")
    if request.path == "/cookie":
        resp = Response("x")
        resp.set_cookie("theme", "dark", max_age=60, httponly=True, samesite="Lax", path="/")
        return resp
    return Response("plain", status=200, headers={"X-One": "1"})


client = Client(app)
fresh = Client(app, use_cookies=False)
AGENT = {"HTTP_USER_AGENT": "Werkzeug/3.1"}  # the grader's client sends its own, like Flask's


def message(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailure) as info:
        fn(*args, **kwargs)
    return str(info.value)


def first_line(fn, *args, **kwargs) -> str:
    return message(fn, *args, **kwargs).splitlines()[0]


def test_status_message_names_request_and_query() -> None:
    assert first_line(expect_status, client.get("/x?limit=0"), 400) == "GET /x?limit=0: expected status 400, got 200"
    assert "expected status 201 or 204" in message(expect_status, client.get("/x"), (201, 204))


def test_json_is_type_strict_for_booleans() -> None:
    resp = client.get("/json")
    assert expect_json(resp, {"ok": True, "n": 1.0}) == {"ok": True, "n": 1}
    assert "unexpected JSON: ok: expected 1 (a number), got True (a boolean)" in message(expect_json, resp,
                                                                                          {"ok": 1, "n": 1})
    assert not same_json(0, False) and same_json([1, {"a": None}], [1.0, {"a": None}])
    assert "expected a JSON response" in message(expect_json, client.get("/"))
    assert "non-empty message" in message(expect_json_error, client.get("/json"), 200)


def test_header_and_cookie_messages() -> None:
    resp = client.get("/")
    assert expect_header(resp, "X-One", "1") == "1"
    assert first_line(expect_header, resp, "X-Two") == "GET /: expected a `X-Two` header, but the response has none"
    assert "expected no `X-One` header" in message(expect_no_header, resp, "X-One")
    cookie = client.get("/cookie")
    expect_cookie(cookie, "theme", "dark", path="/", httponly=True, samesite="Lax", max_age=60)
    assert "with Max-Age=2592000, got Max-Age=60" in message(expect_cookie, cookie, "theme", max_age=2592000)
    assert "expected cookie `theme` with the Secure attribute" in message(expect_cookie, cookie, "theme", secure=True)
    assert "expected no cookie `theme`" in message(expect_no_cookie, cookie, "theme")
    assert "cookies set: none" in message(expect_cookie, resp, "theme")


def test_json_mismatch_names_the_paths_that_differ_not_whole_objects() -> None:
    resp = client.get("/search?q=Flask")
    text = message(expect_json, resp, {"query": "Flask", "count": 2, "results": ["Flask REST API", "Flask Testing"]})
    assert text.splitlines()[:3] == [
        "GET /search?q=Flask: the JSON differs in 2 places:",
        "  query: expected 'Flask', got 'flask'",
        "  results[1]: expected 'Flask Testing', got 'flask testing'",
    ]
    assert "'count'" not in text  # what is right is not repeated
    assert json_differences({"a": 1, "b": [1]}, {"a": 1, "c": 2, "b": [1, 2]}) == [
        "the JSON: missing the key 'c'", "b: expected 2 items [1, 2], got 1: [1]"]
    assert json_differences({"x y": {"id": 1, "z": 0}}, {"x y": {"id": 1}}) == [
        "['x y']: unexpected key 'z' (the keys are 'id')"]
    assert json_differences([], {}) == ["the JSON: expected an object, got a list []"]


def test_json_key_looks_at_one_key_only() -> None:
    resp = client.get("/search?q=Flask")
    assert expect_json_key(resp, "count", 2)["query"] == "flask"  # the query is not this check's business
    assert "unexpected JSON: results[1]: expected 'Flask Testing', got 'flask testing'" in message(
        expect_json_key, resp, "results", ["Flask REST API", "Flask Testing"])
    assert "expected the JSON object to have the key 'total'; its keys: 'query', 'count', 'results'" in message(
        expect_json_key, resp, "total", 3)


def test_every_failure_names_the_request_and_holds_a_curl_line() -> None:
    resp = fresh.post("/x?source=the+web", json={"username": "O'Brien"}, headers={"X-Request-Id": "a&b"},
                      environ_base=AGENT)
    text = message(expect_status, resp, 201)
    assert "Request: POST /x?source=the+web" in text
    assert '  JSON body: {"username": "O\'Brien"}' in text and "  X-Request-Id: a&b" in text
    curl = text.splitlines()[-1].strip()
    # The shell would hand curl exactly these arguments.
    assert shlex.split(curl) == ["curl", "-i", "-X", "POST", "http://127.0.0.1:5000/x?source=the+web",
                                 "-H", "Content-Type: application/json", "-H", "X-Request-Id: a&b",
                                 "--data-binary", '{"username": "O\'Brien"}']
    assert "flask --app app run" in text
    # fail() and expect_equal() name the request when given the response.
    assert "curl -i" in message(fail, "nope", resp) and "curl" not in message(fail, "nope")
    assert "Request: POST /x" in message(expect_equal, 1, 2, "the id", resp)


def test_curl_for_uploads_forms_and_missing_user_agent() -> None:
    resp = fresh.post("/avatar", data={"avatar": (io.BytesIO(b"\x89PNG\x00"), "photo.png.exe"), "alt": "me"},
                      content_type="multipart/form-data", environ_base=AGENT)
    text = message(expect_status, resp, 201)
    assert "  file field 'avatar': file name 'photo.png.exe', 5 bytes" in text and "  form field 'alt': 'me'" in text
    assert text.splitlines()[-1].strip() == (
        "printf '%b' '\\0211PNG\\0000' | curl -i -X POST http://127.0.0.1:5000/avatar --form-string alt=me "
        "-F 'avatar=@-;filename=photo.png.exe'")
    sent = SentRequest.from_environ({**AGENT, "REQUEST_METHOD": "POST", "PATH_INFO": "/caf\xc3\xa9", "CONTENT_TYPE":
                                     "application/x-www-form-urlencoded"}, b"name=Ada&email=")
    assert sent.target == "POST /café"
    assert "  form fields: name='Ada', email=''" in sent.description()
    assert sent.curl() == "curl -i -X POST http://127.0.0.1:5000/caf%C3%A9 --data-binary 'name=Ada&email='"
    no_agent = SentRequest.from_environ({"REQUEST_METHOD": "GET", "PATH_INFO": "/whoami"}, b"")
    assert "  (no User-Agent header)" in no_agent.description()
    assert no_agent.curl() == "curl -i http://127.0.0.1:5000/whoami -H User-Agent:"
    plain = SentRequest.from_environ({"REQUEST_METHOD": "POST", "PATH_INFO": "/p", "HTTP_USER_AGENT": "Werkzeug/3"},
                                     b"dark")
    assert plain.curl() == "curl -i -X POST http://127.0.0.1:5000/p -H Content-Type: --data-binary dark"


def test_hints_for_common_causes() -> None:
    text = message(expect_body, client.get("/escaped"), "Hello O'Brien & co from the web")
    assert "Hint: the body is HTML-escaped" in text
    assert "Hint: the text is right but has extra spaces" in message(expect_body, client.get("/"), "plain\n")
    assert "Hint: " not in message(expect_body, client.get("/"), "other")
    assert "Hint: did you count characters?" in message(expect_status, client.get("/"), 201,
                                                        hint="did you count characters?")


def test_rejected_like_the_apps_own_rejection() -> None:
    ok = Client(Request.application(lambda r: Response('{"error": "no"}', 400, content_type="application/json")))
    odd = Client(Request.application(lambda r: Response('{"problem": "no"}', 422, content_type="application/json")))
    expect_rejected_like(ok.get("/a"), odd.get("/ref"))  # the statement's 400 with a JSON error is always fine
    expect_rejected_like(odd.get("/a"), odd.get("/ref"))  # so is the app's own rejection, scored elsewhere
    text = message(expect_rejected_like, odd.get("/a"), ok.get("/ref"))
    assert text.startswith("GET /a: expected status 400 with a JSON error, or the answer this app gives GET /ref "
                           "(status 400, JSON with the keys error), got status 422, JSON with the keys problem")
    accepted = Client(Request.application(lambda r: Response("{}", 200, content_type="application/json")))
    assert "expected status 400, got 422" in message(expect_rejected_like, odd.get("/a"), accepted.get("/ref"))
