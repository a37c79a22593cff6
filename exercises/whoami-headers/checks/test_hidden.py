"""Hidden checks: mobile detection (usual and unusual letter cases), `mobile` as a JSON boolean, no User-Agent at
all, the Vary header on every response, and no X-Request-Id unless the request sent one.

Each check scores one property: the mobile checks read "true"/"false" strings as what they say (their type is
`mobile-is-boolean`'s), and the header checks leave a crash without a User-Agent to `works-without-user-agent`."""

import pytest

from grader.checks import describe_request, expect_json, expect_no_header, expect_status, fail, json_key

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
IPAD = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Safari/604.1"


def reads_as(value):
    """What a `mobile` value says, whatever its type: "true" and 1 say true (the type is another check's)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def expect_mobile(resp, mobile):
    __tracebackhide__ = True
    expect_status(resp, 200)
    value = json_key(resp, expect_json(resp), "mobile")
    if reads_as(value) != mobile:
        fail(f"{describe_request(resp)}: expected \"mobile\" to be {str(mobile).lower()}, got {value!r}", resp)


def get_without_user_agent(client, **kwargs):
    """GET /whoami with no User-Agent; None when the route crashed (`works-without-user-agent` scores that)."""
    client.raise_on_exception = False
    resp = client.get("/whoami", user_agent=None, **kwargs)
    client.raise_on_exception = True
    return None if resp.status_code == 500 else resp


# "`mobile` is `true` if the `User-Agent` contains the word `mobile`...and `false` otherwise"; the usual
# spelling, "Mobile", so only the detection itself is tested here.
@pytest.mark.parametrize(
    ("user_agent", "mobile"),
    [(IPHONE, True), (ANDROID, True), (DESKTOP, False), (IPAD, False), ("Mobi/1.0", False)],
    ids=["iphone", "android", "desktop", "ipad-without-the-word", "mobi-is-not-mobile"],
)
def test_detects_mobile(client, user_agent, mobile):
    expect_mobile(client.get("/whoami", user_agent=user_agent), mobile)


# "in any letter case (`Mobile`, `MOBILE`, `mobile`, even inside a longer word)"
@pytest.mark.parametrize(
    "user_agent",
    ["okhttp/4.12 (mobile)", "MOBILE-CLIENT/2.0", "Bot/1.0 (mOBILE test)", "AutoMobile-Crawler/3.1"],
    ids=["lower", "upper", "mixed", "inside-a-word"],
)
def test_mobile_any_case(client, user_agent):
    expect_mobile(client.get("/whoami", user_agent=user_agent), True)


# "It is a JSON boolean, not a string or a number."
@pytest.mark.parametrize("user_agent", [IPHONE, DESKTOP, None], ids=["mobile", "desktop", "no-user-agent"])
def test_mobile_is_boolean(client, user_agent):
    resp = client.get("/whoami", user_agent=user_agent) if user_agent else get_without_user_agent(client)
    if resp is None:
        return
    expect_status(resp, 200)
    value = json_key(resp, expect_json(resp), "mobile")
    if not isinstance(value, bool):
        fail(f"{describe_request(resp)}: expected \"mobile\" to be a JSON boolean (true or false), got {value!r}",
             resp, hint="jsonify(mobile=True) sends true; \"true\" in quotes is a string")


def test_works_without_user_agent(client):
    # "when the request has **no** `User-Agent` header at all, it is `null`... your route must not crash
    # without it"; "`false` otherwise, including when there is no `User-Agent`"
    resp = client.get("/whoami", user_agent=None)
    expect_status(resp, 200)
    data = expect_json(resp)
    value = json_key(resp, data, "user_agent")
    if value is not None:
        fail(f"GET /whoami without a User-Agent header: expected \"user_agent\" to be null (None), got {value!r}",
             resp)
    expect_mobile(resp, False)


def vary_entries(resp):
    """The Vary header's entries, lower case; several Vary lines count as one comma-separated list."""
    return [item.strip().lower() for line in resp.headers.getlist("Vary") for item in line.split(",")]


# "The response carries a `Vary` header that lists `User-Agent`": every response, and the statement shows it
# on the answer to a request without a User-Agent too.
@pytest.mark.parametrize(
    "request_kwargs",
    [{"user_agent": DESKTOP}, {"user_agent": IPHONE}, {"headers": {"X-Request-Id": "r-1"}},
     {"user_agent": None}, {"user_agent": None, "headers": {"X-Request-Id": "r-2"}}],
    ids=["desktop", "mobile", "with-request-id", "no-user-agent", "no-user-agent-with-request-id"],
)
def test_vary_user_agent(client, request_kwargs):
    if request_kwargs.get("user_agent", "") is None:
        resp = get_without_user_agent(client, headers=request_kwargs.get("headers"))
        if resp is None:
            return
    else:
        resp = client.get("/whoami", **request_kwargs)
    expect_status(resp, 200)
    if "user-agent" not in vary_entries(resp):
        vary = ", ".join(resp.headers.getlist("Vary"))
        got = f"`Vary: {vary}`" if vary else "no Vary header"
        fail(f"{describe_request(resp)}: expected a `Vary` header that lists User-Agent, got {got}", resp,
             hint="set it on every response, with or without a User-Agent in the request: the answer depends on "
                  "whether there is one" if request_kwargs.get("user_agent", "") is None else None)


# "When the request has no `X-Request-Id`, the response has **no** `X-Request-Id` header at all"; the
# statement's second example (no User-Agent) has none either.
@pytest.mark.parametrize("user_agent", [DESKTOP, IPHONE, None], ids=["desktop", "mobile", "no-user-agent"])
def test_no_request_id_when_absent(client, user_agent):
    resp = client.get("/whoami", user_agent=user_agent) if user_agent else get_without_user_agent(client)
    if resp is None:
        return
    expect_status(resp, 200)
    expect_no_header(resp, "X-Request-Id")
