"""Hidden checks: POST /prefs rejects bad input without setting a cookie; GET /prefs reads the
cookie; a chosen theme survives a round trip."""

import pytest

from grader.checks import expect_json, expect_json_error, expect_no_cookie, expect_status


def expect_rejected(resp):
    """400 with {"error": "<non-empty string>"}, and no theme cookie."""
    __tracebackhide__ = True
    expect_json_error(resp, 400)
    expect_no_cookie(resp, "theme")


def expect_theme(resp, theme):
    __tracebackhide__ = True
    expect_status(resp, 200)
    expect_json(resp, {"theme": theme})


@pytest.mark.parametrize(
    "theme",
    ["blue", "Dark", "LIGHT", "", " dark"],
    ids=["blue", "Dark", "LIGHT", "empty", "leading-space"],
)
def test_rejects_unknown_theme(client, theme):
    expect_rejected(client.post("/prefs", json={"theme": theme}))


@pytest.mark.parametrize(
    "body",
    [
        "{}",
        '{"colour": "dark"}',
        '{"theme": null}',
        '{"theme": 1}',
        '{"theme": true}',
        '{"theme": ["dark"]}',
        '{"theme": {"name": "dark"}}',
        '["dark"]',
        '"dark"',
        "42",
        "null",
    ],
    ids=[
        "empty-object", "no-theme-key", "theme-null", "theme-number", "theme-bool", "theme-list",
        "theme-object", "json-list", "json-string", "json-number", "json-null",
    ],
)
def test_rejects_wrong_shape(client, body):
    expect_rejected(client.post("/prefs", data=body, content_type="application/json"))


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"theme": "dark"', "application/json"),
        ("theme=dark", "application/json"),
        ("", "application/json"),
        ("theme=dark", "application/x-www-form-urlencoded"),
        ("dark", "text/plain"),
        ("dark", None),
        ("", None),
    ],
    ids=[
        "broken-json", "form-text-labelled-json", "empty-labelled-json", "form-data", "plain-text",
        "text-without-content-type", "empty-without-content-type",
    ],
)
def test_rejects_non_json_body(client, body, content_type):
    expect_rejected(client.post("/prefs", data=body, content_type=content_type))


def test_get_defaults_to_light(client):
    expect_theme(client.get("/prefs"), "light")


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_get_reads_cookie(client, theme):
    client.set_cookie("theme", theme)
    expect_theme(client.get("/prefs"), theme)


@pytest.mark.parametrize("value", ["blue", "Dark", ""], ids=["blue", "Dark", "empty"])
def test_get_ignores_bogus_cookie(client, value):
    client.set_cookie("theme", value)
    expect_theme(client.get("/prefs"), "light")


def test_round_trip(client):
    for theme in ["dark", "light", "dark"]:
        client.post("/prefs", json={"theme": theme})
        expect_theme(client.get("/prefs"), theme)
