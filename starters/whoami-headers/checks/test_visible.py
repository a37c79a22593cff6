"""Checks you can run yourself: GET /whoami reports the User-Agent, and echoes X-Request-Id."""

import pytest

from grader.checks import expect_header, expect_json_key, expect_status, fail

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.mark.parametrize(
    "user_agent",
    [
        FIREFOX,
        "curl/8.5.0",
        # "the value of the request's `User-Agent` header, as a string": as it was sent, quotes and & included
        'Bot/1.0 (+https://bot.example/?a=1&b=2; "quoted" <x>)',
    ],
    ids=["firefox", "curl", "html-special-characters"],
)
def test_reports_user_agent(client, user_agent):
    # "Answer 200 with the JSON object {"user_agent": ..., "mobile": ...}" (both keys, no others); whether
    # `mobile` is right is the business of the mobile checks.
    resp = client.get("/whoami", user_agent=user_agent)
    expect_status(resp, 200)
    data = expect_json_key(resp, "user_agent", user_agent)
    if sorted(data) != ["mobile", "user_agent"]:
        fail(f"GET /whoami: expected a JSON object with exactly the keys 'user_agent' and 'mobile', got the keys "
             f"{', '.join(repr(k) for k in data)}", resp)


@pytest.mark.parametrize(
    "request_id",
    [
        "abc-123",  # the console example
        "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        "42",
        # "exactly the same value": spaces and characters HTML would escape are kept
        "req 7 & <8> 'x' \"y\"",
    ],
    ids=["short", "uuid", "digits", "spaces-and-html-special-characters"],
)
def test_echoes_request_id(client, request_id):
    # "When the request carries an X-Request-Id header, the response carries an X-Request-Id header with
    # exactly the same value"
    resp = client.get("/whoami", headers={"X-Request-Id": request_id})
    expect_status(resp, 200)
    expect_header(resp, "X-Request-Id", request_id)
