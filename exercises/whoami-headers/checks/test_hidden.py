"""Hidden checks: mobile detection (usual and unusual letter cases), no User-Agent at all, the Vary
header, and no X-Request-Id unless the request sent one."""

import pytest

from grader.checks import expect_equal, expect_json, expect_no_header, expect_status, fail

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
IPAD = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Safari/604.1"


def expect_whoami(resp, user_agent, mobile):
    """200 with exactly {"user_agent": ..., "mobile": <a JSON boolean>}."""
    __tracebackhide__ = True
    expect_status(resp, 200)
    body = expect_json(resp, {"user_agent": user_agent, "mobile": mobile})
    expect_equal(type(body["mobile"]).__name__, "bool", 'the type of "mobile" (a JSON true or false)')


# Usual spelling, "Mobile", so only the detection itself is tested here.
@pytest.mark.parametrize(
    ("user_agent", "mobile"),
    [(IPHONE, True), (ANDROID, True), (DESKTOP, False), (IPAD, False), ("Mobi/1.0", False)],
    ids=["iphone", "android", "desktop", "ipad-without-the-word", "mobi-is-not-mobile"],
)
def test_detects_mobile(client, user_agent, mobile):
    expect_whoami(client.get("/whoami", user_agent=user_agent), user_agent, mobile)


@pytest.mark.parametrize(
    "user_agent",
    ["okhttp/4.12 (mobile)", "MOBILE-CLIENT/2.0", "Bot/1.0 (mOBILE test)", "AutoMobile-Crawler/3.1"],
    ids=["lower", "upper", "mixed", "inside-a-word"],
)
def test_mobile_any_case(client, user_agent):
    expect_whoami(client.get("/whoami", user_agent=user_agent), user_agent, True)


def test_works_without_user_agent(client):
    expect_whoami(client.get("/whoami", user_agent=None), None, False)


def vary_entries(resp):
    """The Vary header's entries, lower case; several Vary lines count as one comma-separated list."""
    return [item.strip().lower() for line in resp.headers.getlist("Vary") for item in line.split(",")]


# Each with a User-Agent: a route that crashes without one is scored by works-without-user-agent only.
@pytest.mark.parametrize(
    "request_kwargs",
    [{"user_agent": DESKTOP}, {"user_agent": IPHONE}, {"headers": {"X-Request-Id": "r-1"}}],
    ids=["desktop", "mobile", "with-request-id"],
)
def test_vary_user_agent(client, request_kwargs):
    resp = client.get("/whoami", **request_kwargs)
    expect_status(resp, 200)
    if "user-agent" not in vary_entries(resp):
        vary = ", ".join(resp.headers.getlist("Vary"))
        got = f"`Vary: {vary}`" if vary else "no Vary header"
        fail(f"GET /whoami: expected a `Vary` header that lists User-Agent, got {got}")


@pytest.mark.parametrize("user_agent", [DESKTOP, IPHONE], ids=["desktop", "mobile"])
def test_no_request_id_when_absent(client, user_agent):
    resp = client.get("/whoami", user_agent=user_agent)
    expect_status(resp, 200)
    expect_no_header(resp, "X-Request-Id")
