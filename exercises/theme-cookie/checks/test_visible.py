"""Checks you can run yourself: POST /prefs answers the theme as JSON and sets the theme cookie."""

import pytest

from grader.checks import expect_cookie, expect_json, expect_status

THEMES = ["dark", "light"]


@pytest.mark.parametrize("theme", THEMES)
def test_post_returns_theme(client, theme):
    # "If the theme is exactly `"dark"` or `"light"`, answer **200** with the JSON `{"theme": "<theme>"}`"
    resp = client.post("/prefs", json={"theme": theme})
    expect_status(resp, 200)
    expect_json(resp, {"theme": theme})


@pytest.mark.parametrize("theme", THEMES)
def test_post_sets_cookie(client, theme):
    # "and set the cookie `theme=<theme>` with these attributes: `Path=/`, `HttpOnly`, `SameSite=Lax` and
    # `Max-Age=2592000`"
    resp = client.post("/prefs", json={"theme": theme})
    expect_cookie(resp, "theme", theme, path="/", httponly=True, samesite="Lax", max_age=2592000)
