"""Hidden checks: POST /prefs rejects bad input without setting a cookie; GET /prefs reads the
cookie; a chosen theme survives a round trip."""

import pytest

from grader.checks import expect_json, expect_json_error, expect_no_cookie, expect_rejected_like, expect_status, fail


def expect_rejected(resp):
    """400 with {"error": "<non-empty string>"}, and no theme cookie."""
    __tracebackhide__ = True
    expect_json_error(resp, 400)
    expect_no_cookie(resp, "theme")


def expect_rejected_as_unknown_theme(client, resp):
    """Rejected as this app rejects {"theme": "blue"} (`rejects-unknown-theme` scores that answer), no cookie."""
    __tracebackhide__ = True
    expect_rejected_like(resp, client.post("/prefs", json={"theme": "blue"}))
    expect_no_cookie(resp, "theme")


def expect_theme(resp, theme):
    __tracebackhide__ = True
    expect_status(resp, 200)
    expect_json(resp, {"theme": theme})


# "Otherwise answer **400** with a JSON object holding a non-empty `error` message ..., and do **not** set any
# `theme` cookie": "any other theme, such as `"blue"`, `"Dark"` (themes are lower case) or `""`"
@pytest.mark.parametrize(
    "theme",
    ["blue", "Dark", "LIGHT", "", " dark"],
    ids=["blue", "Dark", "LIGHT", "empty", "leading-space"],
)
def test_rejects_unknown_theme(client, theme):
    expect_rejected(client.post("/prefs", json={"theme": theme}))


# "a theme that is not a string (`1`, `null`, `["dark"]`...), or no `theme` key at all"; "JSON that is not an
# object (`["dark"]`, `"dark"`, `42`, `null`)"
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
    expect_rejected_as_unknown_theme(client, client.post("/prefs", data=body, content_type="application/json"))


# "a body that is not JSON at all (form data, plain text, broken JSON, an empty body), whether or not the request
# claims `Content-Type: application/json`"
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
    expect_rejected_as_unknown_theme(client, client.post("/prefs", data=body, content_type=content_type))


# "`light` in every other case (no cookie, or any other value)"
def test_get_defaults_to_light(client):
    expect_theme(client.get("/prefs"), "light")


# "the theme is the value of the `theme` cookie if it is `dark` or `light`"
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_get_reads_cookie(client, theme):
    client.set_cookie("theme", theme)
    expect_theme(client.get("/prefs"), theme)


# "and `light` in every other case (no cookie, or any other value)": `Cookie: theme=purple` in the example
@pytest.mark.parametrize("value", ["blue", "Dark", "", "purple"], ids=["blue", "Dark", "empty", "purple"])
def test_get_ignores_bogus_cookie(client, value):
    client.set_cookie("theme", value)
    expect_theme(client.get("/prefs"), "light")


def test_round_trip(client):
    # "a round trip: a theme chosen with `POST` is what the next `GET` answers": the GET after the POST answers
    # what this app answers to a GET carrying `Cookie: theme=<theme>` (that answer is `get-reads-cookie`'s).
    for theme in ["dark", "light", "dark"]:
        client.delete_cookie("theme")
        client.set_cookie("theme", theme)
        direct = client.get("/prefs")
        client.delete_cookie("theme")
        client.post("/prefs", json={"theme": theme})
        resp = client.get("/prefs")
        if (resp.status_code, resp.get_data()) != (direct.status_code, direct.get_data()):
            fail(f"GET /prefs after POST /prefs with {{\"theme\": \"{theme}\"}}: expected the same answer as a GET "
                 f"with the cookie theme={theme} (status {direct.status_code}, body "
                 f"{direct.get_data(as_text=True)[:200]!r}), got status {resp.status_code} with body "
                 f"{resp.get_data(as_text=True)[:200]!r}: the POST's cookie did not come back", resp)
